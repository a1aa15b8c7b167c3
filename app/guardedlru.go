package app

import (
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// cachePolicy is shared by a Core's caches: a switch that keeps them empty
// while changes cannot be followed (a lost PostgreSQL listener), and the
// positive-entry lifetime bound (--cache-ttl, 0: none).
type cachePolicy struct {
	paused atomic.Bool
	ttl    time.Duration
	now    func() time.Time
}

// stamped is a cached value and when it was read from the database.
type stamped[V any] struct {
	v  V
	at time.Time
}

// guardedLRU is an LRU whose inserts cannot resurrect what a concurrent
// drop removed. A reader that missed reads the database and then inserts;
// a write that commits and drops in between would leave the reader's stale
// snapshot behind. So every drop bumps a generation counter under mu, the
// reader takes the generation before its read, and add inserts only when it
// is unchanged. Size 0 disables the cache (every get misses). While the
// policy is paused nothing is added; with a ttl, an entry older than it is
// a miss.
type guardedLRU[K comparable, V any] struct {
	lru    *lru.Cache[K, stamped[V]]
	mu     sync.Mutex
	gen    atomic.Uint64
	policy *cachePolicy
}

func newGuardedLRU[K comparable, V any](size int, policy *cachePolicy) *guardedLRU[K, V] {
	if policy == nil {
		policy = &cachePolicy{}
	}
	c := &guardedLRU[K, V]{policy: policy}
	if size > 0 {
		c.lru, _ = lru.New[K, stamped[V]](size) // only fails for size <= 0
	}
	return c
}

func (c *guardedLRU[K, V]) get(k K) (V, bool) {
	var zero V
	if c.lru == nil {
		return zero, false
	}
	e, ok := c.lru.Get(k)
	if !ok {
		return zero, false
	}
	if p := c.policy; p.ttl > 0 && p.now().Sub(e.at) >= p.ttl {
		c.remove(k)
		return zero, false
	}
	return e.v, true
}

// peek returns an entry without touching its recency or checking its age
// (for scans and tests).
func (c *guardedLRU[K, V]) peek(k K) (V, bool) {
	var zero V
	if c.lru == nil {
		return zero, false
	}
	e, ok := c.lru.Peek(k)
	return e.v, ok
}

// generation is read before a database lookup and passed to add.
func (c *guardedLRU[K, V]) generation() uint64 { return c.gen.Load() }

// add stores v unless a drop happened since gen was read, or the caches
// are paused.
func (c *guardedLRU[K, V]) add(k K, v V, gen uint64) {
	if c.lru == nil || c.policy.paused.Load() {
		return
	}
	e := stamped[V]{v: v}
	if c.policy.ttl > 0 {
		e.at = c.policy.now()
	}
	c.mu.Lock()
	if c.gen.Load() == gen && !c.policy.paused.Load() {
		c.lru.Add(k, e)
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
			if e, ok := c.lru.Peek(k); ok && match(e.v) {
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

func (c *guardedLRU[K, V]) contains(k K) bool {
	return c.lru != nil && c.lru.Contains(k)
}
