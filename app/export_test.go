package app

import "context"

// Test hooks: what the caches hold, for the coherence tests in app_test.

// CachedCredentials counts the token-cache entries of a user.
func (c *Core) CachedCredentials(userID int64) int {
	n := 0
	if c.cache.lru == nil {
		return 0
	}
	for _, k := range c.cache.lru.Keys() {
		if e, ok := c.cache.lru.Peek(k); ok && e.user.ID == userID {
			n++
		}
	}
	return n
}

// CachedList reports whether the user's session list is cached.
func (c *Core) CachedList(userID int64) bool {
	if c.lists.lru == nil {
		return false
	}
	return c.lists.lru.Contains(userID)
}

// PollChanges applies the change log now (Run does it every ChangePoll).
func (c *Core) PollChanges(ctx context.Context) { c.changes.poll(ctx) }

// CachedProfile reports whether the user's profile is cached.
func (c *Core) CachedProfile(userID int64) bool {
	if c.profiles.lru == nil {
		return false
	}
	return c.profiles.lru.Contains(userID)
}

// ParseAuthorizationRule is ParseAuthorization without its "Token " fast
// path, for the test that both agree.
func ParseAuthorizationRule(h string) (CredKind, string) { return parseAuthorization(h) }
