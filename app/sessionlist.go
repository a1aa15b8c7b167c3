package app

import (
	"context"
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
)

// listCache keeps each user's session rows (as read from the database, all
// non-revoked sessions younger than the absolute timeout) so GET
// auth/sessions/ and the auth payload's counts skip the query. The rows are
// immutable; exact last-seen times are overlaid from the toucher on every
// use. Every path that creates or revokes a session of a user calls
// forgetUser (through Server.revoked and mintSession); changes made by
// other processes purge it through the cache epoch. The generation counter
// guards against a read that raced a forget, as in tokenCache.
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

// userSessions returns the user's non-revoked sessions younger than the
// absolute timeout, from the list cache or the database. The slice and its
// sessions are shared: callers copy before changing anything.
func (s *Server) userSessions(ctx context.Context, userID int64) ([]*Session, error) {
	if rows, ok := s.lists.get(userID); ok {
		return rows, nil
	}
	gen := s.lists.gen.Load()
	_, created := s.cfg.Timeouts.Cutoffs(s.now())
	rows, err := s.store.ListSessions(ctx, userID, created, created)
	if err != nil {
		return nil, err
	}
	s.lists.add(userID, rows, gen)
	return rows, nil
}

// revoked is called after sessions of a user were revoked in the database,
// before the response: their token-cache entries and the user's cached list
// go.
func (s *Server) revoked(userID int64, keyHashes ...string) {
	s.cache.drop(credSession, keyHashes...)
	s.lists.forgetUser(userID)
}

// purgeCaches forgets every cached credential and list (wipe, or a change
// made by another process).
func (s *Server) purgeCaches() {
	s.cache.purge()
	s.lists.purge()
}
