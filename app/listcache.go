package app

// listCache keeps each user's session rows (as read from the database, all
// non-revoked sessions younger than the absolute timeout) so GET
// auth/sessions/ and the auth payload's counts skip the query. The rows are
// immutable; exact last-seen times are overlaid from the toucher on every
// use. The coherent store forgets a user's rows whenever it creates or
// revokes one of the user's sessions; changes made by other processes
// arrive through the change log. The generation counter guards against a
// read that raced a forget, as in tokenCache.
type listCache struct {
	*guardedLRU[int64, []*Session]
}

func newListCache(size int, p *cachePolicy) *listCache {
	return &listCache{newGuardedLRU[int64, []*Session](size, p)}
}

// forgetUser drops the user's list.
func (c *listCache) forgetUser(userID int64) { c.remove(userID) }
