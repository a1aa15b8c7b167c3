package app

import (
	"context"
	"slices"
	"time"
)

// MintSession creates a session for u, labelled from the User-Agent ua, with
// the client's IP hash, and returns it with its key (shown to the client
// once; only its hash is stored). requirePassword, when set, is the password
// hash the caller verified: the session is refused with ECONFLICT when the
// user's password changed since. methods are how the sign-in authenticated
// (Session.AuthMethods, e.g. "password", "totp"). Errors: the store's.
func (c *Core) MintSession(ctx context.Context, u *User, ua, ipHash, requirePassword string, methods ...string) (*Session, string, error) {
	key, err := RandomHex(c.rand, SessionKeyBytes)
	if err != nil {
		return nil, "", Internal(err)
	}
	now := c.now()
	sess := &Session{
		UserID:      u.ID,
		KeyHash:     HashHex(key),
		DeviceLabel: TruncateRunes(DeviceLabel(ua), 120),
		UserAgent:   TruncateRunes(ua, 512),
		IPHash:      ipHash,
		CreatedAt:   now,
		LastSeenAt:  now,

		AuthMethods:     methods,
		AuthenticatedAt: now,
		RequirePassword: requirePassword,
	}
	if err := c.store.CreateSession(ctx, sess); err != nil {
		return nil, "", err
	}
	return sess, key, nil
}

// LiveSession is a live session with its exact last-seen time. Session is
// shared with the cache (its LastSeenAt is the stored value): read only.
type LiveSession struct {
	*Session
	LastSeen time.Time
}

// LiveSessions returns the user's live sessions (not revoked, not idle- or
// absolute-expired) with their exact last-seen times, newest seen first.
// Errors: the store's.
//
// The stored last_seen_at lags the in-memory value by up to a touch
// interval (longer while flushes fail), so filtering on it in SQL would
// drop a session that was used a moment ago after a long idle spell, from
// the list and from multi_device / other_sessions_count. The store is
// therefore asked only for the non-revoked sessions younger than the
// absolute timeout, and Timeouts.Listed is applied here on the exact
// value.
func (c *Core) LiveSessions(ctx context.Context, userID int64) ([]LiveSession, error) {
	now := c.now()
	list, err := c.userSessions(ctx, userID, now)
	if err != nil {
		return nil, err
	}
	seen := make([]time.Time, len(list))
	c.touch.seenAll(list, seen) // one lock for the whole list
	live := make([]LiveSession, 0, len(list))
	for i, shared := range list {
		if c.cfg.Timeouts.Listed(shared, seen[i], now) {
			live = append(live, LiveSession{shared, seen[i]})
		}
	}
	slices.SortStableFunc(live, func(a, b LiveSession) int { return b.LastSeen.Compare(a.LastSeen) })
	return live, nil
}

// userSessions returns the user's non-revoked sessions younger than the
// absolute timeout, from the list cache or the database. The slice and its
// sessions are shared: callers copy before changing anything.
func (c *Core) userSessions(ctx context.Context, userID int64, now time.Time) ([]*Session, error) {
	if rows, ok := c.lists.get(userID); ok {
		return rows, nil
	}
	gen := c.lists.generation()
	_, created := c.cfg.Timeouts.Cutoffs(now)
	// last_seen_at >= created_at always holds, so passing the creation
	// cutoff as the idle bound filters nothing more.
	rows, err := c.raw.ListSessions(ctx, userID, created, created)
	if err != nil {
		return nil, err
	}
	c.lists.add(userID, rows, gen)
	return rows, nil
}

// CountOtherLive counts the user's live sessions other than excludeID
// without reading them all (a login flood may leave thousands). Sessions
// with an unflushed touch are judged on their exact last-seen time (read
// from the toucher, their revocation and age from the database); all
// others are counted in SQL on the stored time, which is then exact.
// Errors: the store's.
func (c *Core) CountOtherLive(ctx context.Context, userID, excludeID int64) (int, error) {
	now := c.now()
	if list, ok := c.lists.get(userID); ok {
		return c.countListed(list, excludeID, now), nil
	}
	idle, created := c.cfg.Timeouts.Cutoffs(now)
	pending := c.touch.pendingFor(userID)
	exclude := []int64{excludeID}
	ids := make([]int64, 0, len(pending))
	for id := range pending {
		exclude = append(exclude, id)
		ids = append(ids, id)
	}
	n, err := c.raw.CountSessions(ctx, userID, exclude, idle, created)
	if err != nil || len(ids) == 0 {
		return n, err
	}
	rows, err := c.raw.SessionsByIDs(ctx, userID, ids)
	if err != nil {
		return 0, err
	}
	for _, sess := range rows {
		if sess.ID != excludeID && c.cfg.Timeouts.Listed(sess, pending[sess.ID], now) {
			n++
		}
	}
	return n, nil
}

// OtherLiveSessions is CountOtherLive for the read paths (the probe): it
// counts from the user's cached session list, reading and caching the list
// on a miss, so repeated probes touch no table. Errors: the store's.
func (c *Core) OtherLiveSessions(ctx context.Context, userID, excludeID int64) (int, error) {
	now := c.now()
	list, err := c.userSessions(ctx, userID, now)
	if err != nil {
		return 0, err
	}
	return c.countListed(list, excludeID, now), nil
}

// countListed counts the sessions of list other than excludeID that the
// list rule admits on their exact last-seen times.
func (c *Core) countListed(list []*Session, excludeID int64, now time.Time) int {
	n := 0
	for _, sess := range list {
		if sess.ID != excludeID && c.cfg.Timeouts.Listed(sess, c.lastSeen(sess), now) {
			n++
		}
	}
	return n
}

// lastSeen returns the exact last-seen time of a session: the unflushed
// in-memory value when newer than the stored one.
func (c *Core) lastSeen(sess *Session) time.Time {
	if t, ok := c.touch.seen(sess.ID); ok && t.After(sess.LastSeenAt) {
		return t
	}
	return sess.LastSeenAt
}
