package app

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"

	lru "github.com/hashicorp/golang-lru/v2"
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
}

func newAuthEntry(kind CredKind, u *User, s *Session) *authEntry {
	e := &authEntry{kind: kind, user: u, session: s,
		hdrUserID: []string{itoa(u.ID)}, hdrUsername: []string{u.Username}}
	if s != nil {
		e.hdrSessionID = []string{itoa(s.ID)}
		e.lastSeen.Store(s.LastSeenAt.UnixMicro())
	}
	return e
}

// tokenCache is the LRU of hot credentials. A nil lru disables caching.
//
// Consistency: every revocation commits to the database first, then drops
// the entry. A lookup that missed the cache may have read the row before a
// concurrent revocation committed; gen (bumped by every drop, under mu)
// lets it notice and not insert its stale snapshot.
type tokenCache struct {
	lru *lru.Cache[cacheKey, *authEntry]
	mu  sync.Mutex
	gen atomic.Uint64

	hits, misses atomic.Uint64
}

func newTokenCache(size int) *tokenCache {
	c := &tokenCache{}
	if size > 0 {
		c.lru, _ = lru.New[cacheKey, *authEntry](size) // only fails for size <= 0
	}
	return c
}

func (c *tokenCache) get(k cacheKey) (*authEntry, bool) {
	if c.lru == nil {
		c.misses.Add(1)
		return nil, false
	}
	e, ok := c.lru.Get(k)
	if ok {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
	return e, ok
}

// generation is read before a database lookup and passed to add.
func (c *tokenCache) generation() uint64 { return c.gen.Load() }

// add stores e unless a drop happened since gen was read.
func (c *tokenCache) add(k cacheKey, e *authEntry, gen uint64) {
	if c.lru == nil {
		return
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		c.lru.Add(k, e)
	}
	c.mu.Unlock()
}

// drop forgets the credentials with the given stored hashes (hex SHA-256).
func (c *tokenCache) drop(kind CredKind, hexHashes ...string) {
	c.mu.Lock()
	c.gen.Add(1)
	if c.lru != nil {
		for _, h := range hexHashes {
			if k, ok := keyFromHex(kind, h); ok {
				c.lru.Remove(k)
			}
		}
	}
	c.mu.Unlock()
}

// dropUser forgets every credential of a user (after a change to the user
// row: deactivation, username or email change).
func (c *tokenCache) dropUser(userID int64) {
	c.mu.Lock()
	c.gen.Add(1)
	if c.lru != nil {
		for _, k := range c.lru.Keys() {
			if e, ok := c.lru.Peek(k); ok && e.user.ID == userID {
				c.lru.Remove(k)
			}
		}
	}
	c.mu.Unlock()
}

// purge forgets everything (wipe, or a change made by another process).
func (c *tokenCache) purge() {
	c.mu.Lock()
	c.gen.Add(1)
	if c.lru != nil {
		c.lru.Purge()
	}
	c.mu.Unlock()
}

func (c *tokenCache) len() int {
	if c.lru == nil {
		return 0
	}
	return c.lru.Len()
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
