package app

import (
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
)

// guardedLRU is an LRU whose inserts cannot resurrect what a concurrent
// drop removed. A reader that missed reads the database and then inserts;
// a write that commits and drops in between would leave the reader's stale
// snapshot behind. So every drop bumps a generation counter under mu, the
// reader takes the generation before its read, and add inserts only when it
// is unchanged. Size 0 disables the cache (every get misses).
type guardedLRU[K comparable, V any] struct {
	lru *lru.Cache[K, V]
	mu  sync.Mutex
	gen atomic.Uint64
}

func newGuardedLRU[K comparable, V any](size int) *guardedLRU[K, V] {
	c := &guardedLRU[K, V]{}
	if size > 0 {
		c.lru, _ = lru.New[K, V](size) // only fails for size <= 0
	}
	return c
}

func (c *guardedLRU[K, V]) get(k K) (V, bool) {
	if c.lru == nil {
		var zero V
		return zero, false
	}
	return c.lru.Get(k)
}

// generation is read before a database lookup and passed to add.
func (c *guardedLRU[K, V]) generation() uint64 { return c.gen.Load() }

// add stores v unless a drop happened since gen was read.
func (c *guardedLRU[K, V]) add(k K, v V, gen uint64) {
	if c.lru == nil {
		return
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		c.lru.Add(k, v)
	}
	c.mu.Unlock()
}

// remove drops the given keys.
func (c *guardedLRU[K, V]) remove(keys ...K) {
	c.mu.Lock()
	c.gen.Add(1)
	if c.lru != nil {
		for _, k := range keys {
			c.lru.Remove(k)
		}
	}
	c.mu.Unlock()
}

// removeIf drops every entry whose value matches (a scan of the cache).
func (c *guardedLRU[K, V]) removeIf(match func(V) bool) {
	c.mu.Lock()
	c.gen.Add(1)
	if c.lru != nil {
		for _, k := range c.lru.Keys() {
			if v, ok := c.lru.Peek(k); ok && match(v) {
				c.lru.Remove(k)
			}
		}
	}
	c.mu.Unlock()
}

// purge drops everything.
func (c *guardedLRU[K, V]) purge() {
	c.mu.Lock()
	c.gen.Add(1)
	if c.lru != nil {
		c.lru.Purge()
	}
	c.mu.Unlock()
}

func (c *guardedLRU[K, V]) len() int {
	if c.lru == nil {
		return 0
	}
	return c.lru.Len()
}
