package app

import (
	"crypto/sha256"
	"sync/atomic"
)

// cacheKey is the raw SHA-256 of a credential plus its kind, so that
// "Token ntc_..." never hits an API key's entry.
type cacheKey struct {
	kind   CredKind
	digest [sha256.Size]byte
}

// authEntry is a snapshot of an authenticated credential: its user and (for
// session tokens) its session. The user and session values are never
// mutated; any change to them drops the entry. lastSeen is the exact
// last-seen time (Unix microseconds), dirty says a newer value than the
// stored one waits for the touch writer.
type authEntry struct {
	kind     CredKind
	user     *User
	session  *Session // nil for API keys
	lastSeen atomic.Int64
	dirty    atomic.Bool

	// Header values for GET auth/verify/, built once per entry.
	hdrUserID, hdrUsername, hdrSessionID []string
	// auth is what Authenticate returns for this entry: built once, as
	// every field of it is fixed for the entry's life (no allocation per
	// request).
	auth *Auth
}

func newAuthEntry(kind CredKind, u *User, s *Session) *authEntry {
	e := &authEntry{kind: kind, user: u, session: s,
		hdrUserID: []string{itoa(u.ID)}, hdrUsername: []string{u.Username}}
	if s != nil {
		e.hdrSessionID = []string{itoa(s.ID)}
		e.lastSeen.Store(s.LastSeenAt.UnixMicro())
	}
	e.auth = &Auth{User: u, Session: s, entry: e}
	return e
}

// tokenCache is the LRU of hot credentials (see guardedLRU for why a miss
// cannot insert a snapshot that a concurrent revocation dropped), with hit
// and miss counters.
type tokenCache struct {
	*guardedLRU[cacheKey, *authEntry]
	hits, misses atomic.Uint64
}

func newTokenCache(size int, p *cachePolicy) *tokenCache {
	return &tokenCache{guardedLRU: newGuardedLRU[cacheKey, *authEntry](size, p)}
}

func (c *tokenCache) get(k cacheKey) (*authEntry, bool) {
	e, ok := c.guardedLRU.get(k)
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, ok
}

// drop forgets the credentials with the given stored hashes (hex SHA-256).
func (c *tokenCache) drop(kind CredKind, hexHashes ...string) {
	keys := make([]cacheKey, 0, len(hexHashes))
	for _, h := range hexHashes {
		if k, ok := keyFromHex(kind, h); ok {
			keys = append(keys, k)
		}
	}
	c.remove(keys...)
}

// dropUser forgets every credential of a user (after a change to the user
// row: deactivation, username or email change).
func (c *tokenCache) dropUser(userID int64) {
	c.removeIf(func(e *authEntry) bool { return e.user.ID == userID })
}

func keyFromHex(kind CredKind, h string) (cacheKey, bool) {
	k := cacheKey{kind: kind}
	if len(h) != 2*sha256.Size {
		return k, false
	}
	for i := range k.digest {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k.digest[i] = hi<<4 | lo
	}
	return k, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
