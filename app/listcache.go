package app

import (
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
)

// listCache keeps each user's session rows (as read from the database, all
// non-revoked sessions younger than the absolute timeout) so GET
// auth/sessions/ and the auth payload's counts skip the query. The rows are
// immutable; exact last-seen times are overlaid from the toucher on every
// use. The coherent store forgets a user's rows whenever it creates or
// revokes one of the user's sessions; changes made by other processes
// arrive through the change log. The generation counter guards against a
// read that raced a forget, as in tokenCache.
type listCache struct {
	lru *lru.Cache[int64, []*Session]
	mu  sync.Mutex
	gen atomic.Uint64
}

func newListCache(size int) *listCache {
	c := &listCache{}
	if size > 0 {
		c.lru, _ = lru.New[int64, []*Session](size)
	}
	return c
}

func (c *listCache) get(userID int64) ([]*Session, bool) {
	if c.lru == nil {
		return nil, false
	}
	return c.lru.Get(userID)
}

func (c *listCache) add(userID int64, rows []*Session, gen uint64) {
	if c.lru == nil {
		return
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		c.lru.Add(userID, rows)
	}
	c.mu.Unlock()
}

func (c *listCache) forgetUser(userID int64) {
	c.mu.Lock()
	c.gen.Add(1)
	if c.lru != nil {
		c.lru.Remove(userID)
	}
	c.mu.Unlock()
}

func (c *listCache) purge() {
	c.mu.Lock()
	c.gen.Add(1)
	if c.lru != nil {
		c.lru.Purge()
	}
	c.mu.Unlock()
}
