package app

import (
	"context"
	"sync"
)

// Test hooks: what the caches hold, for the coherence tests in app_test.

// CachedCredentials counts the token-cache entries of a user.
func (c *Core) CachedCredentials(userID int64) int {
	n := 0
	if c.cache.lru == nil {
		return 0
	}
	for _, k := range c.cache.lru.Keys() {
		if e, ok := c.cache.peek(k); ok && e.user.ID == userID {
			n++
		}
	}
	return n
}

// CachedList reports whether the user's session list is cached.
func (c *Core) CachedList(userID int64) bool {
	return c.lists.contains(userID)
}

// PollChanges applies the change log now (Run does it every ChangePoll).
func (c *Core) PollChanges(ctx context.Context) { c.changes.poll(ctx) }

// CachedProfile reports whether the user's profile is cached.
func (c *Core) CachedProfile(userID int64) bool {
	return c.profiles.contains(userID)
}

// ListenForTests starts the store's change feed without Run (tests poll
// by hand with PollChanges) and waits until it listens, so the caches are
// in use on PostgreSQL too. A no-op on SQLite.
func (c *Core) ListenForTests(ctx context.Context) {
	if c.feed == nil {
		return
	}
	up := make(chan struct{})
	var once sync.Once
	go c.feed.ListenChanges(ctx, func() {}, func(ok bool, err error) {
		if ok {
			c.listening.Store(true)
			c.policy.paused.Store(false)
			once.Do(func() { close(up) })
		} else {
			c.pauseCaches(err)
		}
	})
	<-up
}

// ParseAuthorizationRule is ParseAuthorization without its "Token " fast
// path, for the test that both agree.
func ParseAuthorizationRule(h string) (CredKind, string) { return parseAuthorization(h) }
