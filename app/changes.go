package app

import (
	"context"
	"time"
)

// ChangeKind names what a change-log row invalidates.
type ChangeKind string

// Change kinds. Each names the cache entries a process drops when it reads
// the row.
const (
	// ChangeSession: the session with KeyHash (of UserID) was revoked.
	ChangeSession ChangeKind = "session"
	// ChangeUser: the user row changed (profile, password, activation,
	// key) or many of the user's sessions were revoked: every cached
	// credential and the session list of UserID.
	ChangeUser ChangeKind = "user"
	// ChangeList: a session of UserID was created: the user's list.
	ChangeList ChangeKind = "list"
	// ChangeAPIKey: the API key with KeyHash stopped working.
	ChangeAPIKey ChangeKind = "apikey"
	// ChangeAll: every session was revoked (the boot wipe, the CLI's
	// revoke --all): everything.
	ChangeAll ChangeKind = "all"
)

// Change is one row of the change log.
type Change struct {
	Seq     int64
	Kind    ChangeKind
	UserID  int64
	KeyHash string
	At      time.Time
}

// changeRetention is how long change-log rows are kept. A process that has
// not read the log for longer (stopped with SIGSTOP, say) finds a gap and
// purges its caches instead.
const changeRetention = time.Hour

// changeBatch is how many rows one poll reads at a time.
const changeBatch = 500

// apply drops what one change names.
func (c *Core) apply(ch Change) {
	switch ch.Kind {
	case ChangeSession:
		c.cache.drop(CredSession, ch.KeyHash)
		c.lists.forgetUser(ch.UserID)
	case ChangeList:
		c.lists.forgetUser(ch.UserID)
	case ChangeAPIKey:
		c.cache.drop(CredAPIKey, ch.KeyHash)
		c.userChanged(ch.UserID)
	case ChangeUser:
		c.userChanged(ch.UserID)
	default: // ChangeAll, and kinds a newer binary wrote
		c.purgeCaches()
	}
}

// purgeCaches forgets every cached credential, list and profile.
func (c *Core) purgeCaches() {
	c.purges.Add(1)
	c.cache.purge()
	c.lists.purge()
	c.profiles.purge()
}

// userChanged forgets everything cached of one user: credentials (their
// snapshots carry the identity), the session list and the profile.
func (c *Core) userChanged(userID int64) {
	c.cache.dropUser(userID)
	c.lists.forgetUser(userID)
	c.profiles.remove(userID)
}

// changeWatcher follows the change log for writes made by other processes
// on the same database (and reads its own again, which costs a few drops).
// Sequence numbers are contiguous on SQLite (one writer; AUTOINCREMENT
// never reuses a number and a rolled-back insert gives its number back), so
// a gap means rows were swept before this process read them: it purges.
// When the log cannot be read the caches are purged on every failed poll
// and the position is kept, so nothing is skipped once it reads again.
type changeWatcher struct {
	c    *Core
	last int64
}

// poll applies the changes written since the last poll.
func (w *changeWatcher) poll(ctx context.Context) {
	for ctx.Err() == nil {
		rows, err := w.c.raw.ChangesSince(ctx, w.last, changeBatch)
		if err != nil {
			if ctx.Err() == nil {
				w.c.log.Warn().Err(err).Msg("change log read failed: caches purged")
				w.c.purgeCaches()
			}
			return
		}
		if len(rows) == 0 {
			return
		}
		if rows[0].Seq != w.last+1 {
			w.c.log.Warn().Int64("after", w.last).Int64("next", rows[0].Seq).Msg("change log gap: caches purged")
			w.c.purgeCaches()
		} else {
			for _, ch := range rows {
				w.c.apply(ch)
			}
			w.c.changesApplied.Add(uint64(len(rows)))
		}
		w.last = rows[len(rows)-1].Seq
		if len(rows) < changeBatch {
			return
		}
	}
}
