package app

import (
	"context"
	"time"
)

// ChangeFeed is implemented by stores that several servers share
// (PostgreSQL): they push a notification when a change-log row commits, so
// every server applies a revocation within milliseconds instead of at its
// next poll.
type ChangeFeed interface {
	// PushesChanges reports whether ListenChanges delivers anything (false
	// on SQLite, where the processes on one file poll).
	PushesChanges() bool
	// ListenChanges follows the feed until ctx ends: up(true) once it
	// listens, wake() after every notification, up(false, err) when the
	// connection is lost (it reconnects by itself).
	ListenChanges(ctx context.Context, wake func(), up func(bool, error)) error
}

// Leader is implemented by stores that several servers share: work that
// must run once per deployment (the sweeper) runs on the server holding
// the lock of its name.
type Leader interface {
	// TryLead takes the lock called name if it is free; release gives it
	// back.
	TryLead(ctx context.Context, name string) (release func(), ok bool, err error)
}

// listen runs the store's feed in its own goroutine and reports its state
// changes to Run.
func (c *Core) listen(ctx context.Context) <-chan bool {
	states := make(chan bool, 16)
	go c.feed.ListenChanges(ctx, func() {
		select {
		case c.wake <- struct{}{}:
		default: // a poll is pending already: it reads this change too
		}
	}, func(up bool, err error) {
		if !up {
			// Pause at once, from the listener's goroutine: Run may be
			// busy, and a change committed now would not be pushed.
			c.pauseCaches(err)
		}
		select {
		case states <- up:
		case <-ctx.Done():
		}
	})
	return states
}

// pauseCaches empties the caches and keeps them empty until the feed
// listens again: meanwhile every check reads the database.
func (c *Core) pauseCaches(err error) {
	if c.policy.paused.Swap(true) && !c.listening.Load() {
		return // paused already
	}
	c.listening.Store(false)
	c.purgeCaches()
	c.log.Warn().Err(err).Msg("change listener lost: caches purged, every check reads the database until it listens again")
}

// listenerState applies a listener state change on Run's goroutine. Once
// it listens, the log is read to its end (changes committed while nothing
// listened are in it) and only then are the caches used again.
func (c *Core) listenerState(ctx context.Context, up bool) {
	if !up {
		return // pauseCaches ran already
	}
	c.changes.poll(ctx)
	c.purgeCaches()
	c.listening.Store(true)
	c.policy.paused.Store(false)
	c.log.Info().Msg("change listener up: caches in use")
}

// Listening reports whether the caches follow a pushed change feed (always
// true on a store without one); /readyz shows it.
func (c *Core) Listening() (pushed, up bool) {
	if c.feed == nil {
		return false, true
	}
	return true, c.listening.Load()
}

// cacheTTLDefault is the positive-cache lifetime bound the CLI applies on a
// shared (PostgreSQL) store when --cache-ttl is not given.
const cacheTTLDefault = time.Minute

// DefaultCacheTTL is the --cache-ttl default for a store: 60 s when it is
// shared by several servers, none on SQLite.
func DefaultCacheTTL(store Store) time.Duration {
	if f, ok := store.(ChangeFeed); ok && f.PushesChanges() {
		return cacheTTLDefault
	}
	return 0
}
