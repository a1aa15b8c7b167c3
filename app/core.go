package app

import (
	"context"
	"crypto/rand"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Config is the session core's configuration.
type Config struct {
	Timeouts      Timeouts
	TouchInterval time.Duration // 0: write-through (the original's behaviour)
	CacheSize     int           // 0 disables the token and list caches
	SweepInterval time.Duration // 0 disables the sweeper
	SweepBatch    int
	// ChangePoll is how often the change log is read for writes made by
	// other processes on the same database (default 250 ms). On a store
	// that pushes changes (PostgreSQL) every notification reads it at once
	// as well.
	ChangePoll time.Duration
	// CacheTTL bounds how long a positive cache entry (a credential, a
	// list, a profile) is served without reading the database again; 0:
	// no bound. The change log is what keeps the caches exact; this is the
	// last safety net (cli: 60 s on PostgreSQL, off on SQLite).
	CacheTTL time.Duration
	// SecurityLogRetention is how long security events are kept (cli
	// --security-log-retention, default 180 days); the sweeper deletes
	// older ones. 0: the default.
	SecurityLogRetention time.Duration
}

// DefaultConfig returns the compiled-in defaults of the session core.
func DefaultConfig() Config {
	return Config{
		Timeouts:      Timeouts{Idle: 24 * time.Hour, Absolute: 72 * time.Hour},
		TouchInterval: time.Minute,
		CacheSize:     10000,
		SweepInterval: 10 * time.Minute,
		SweepBatch:    500,
		ChangePoll:    250 * time.Millisecond,

		SecurityLogRetention: DefaultSecurityLogRetention,
	}
}

// ClampTouchInterval keeps the touch interval well below the idle timeout
// (at most a tenth of it), so coalescing can never make a live session look
// idle.
func ClampTouchInterval(touch, idle time.Duration) time.Duration {
	if limit := idle / 10; touch > limit {
		return limit
	}
	return touch
}

// Options carries the injected collaborators of a Core; zero values get real
// defaults.
type Options struct {
	Logger zerolog.Logger
	Now    func() time.Time
	Rand   io.Reader // session keys (default crypto/rand)
}

// Core is the session core: it owns the token and session-list caches, the
// touch writer, the sweeper and authentication, and hands out the coherent
// store (Store) through which every write that changes cached state goes.
type Core struct {
	cfg   Config
	raw   Store
	store *coherentStore
	log   zerolog.Logger
	now   func() time.Time
	rand  io.Reader
	cache *tokenCache
	lists *listCache
	// profiles caches whole user rows for the probe and settings/.
	profiles *profileCache
	touch    *toucher
	activeMu sync.Mutex // guards the cached live-session count
	activeN  int
	activeAt time.Time

	// changes follows the change log; only Run's goroutine uses it.
	changes *changeWatcher
	// policy pauses the caches while a pushed change feed is down.
	policy *cachePolicy
	// feed is the store's change feed when it pushes changes (several
	// servers share the database), else nil; wake asks Run to poll now.
	feed      ChangeFeed
	wake      chan struct{}
	listening atomic.Bool

	sweeps, sweptSessions, sweptCodes atomic.Uint64
	sweptPending, sweptEvents         atomic.Uint64
	changesApplied, purges            atomic.Uint64
}

// NewCore builds the core on store (the raw engine: db.DB). It reads the
// end of the change log: every change committed after NewCore returns is
// applied by Run, and nothing was cached before. Errors: the store's.
func NewCore(ctx context.Context, store Store, cfg Config, o Options) (*Core, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if cfg.ChangePoll <= 0 {
		cfg.ChangePoll = DefaultConfig().ChangePoll
	}
	cfg.TouchInterval = ClampTouchInterval(cfg.TouchInterval, cfg.Timeouts.Idle)
	policy := &cachePolicy{ttl: cfg.CacheTTL, now: o.Now}
	c := &Core{
		cfg:      cfg,
		raw:      store,
		log:      o.Logger,
		now:      o.Now,
		rand:     o.Rand,
		policy:   policy,
		cache:    newTokenCache(cfg.CacheSize, policy),
		lists:    newListCache(cfg.CacheSize, policy),
		profiles: newProfileCache(cfg.CacheSize, policy),
		touch:    newToucher(),
		wake:     make(chan struct{}, 1),
	}
	if f, ok := store.(ChangeFeed); ok && f.PushesChanges() {
		// Until the listener runs, nothing is cached: a change another
		// replica commits could otherwise wait for the next poll.
		c.feed = f
		policy.paused.Store(true)
	}
	c.store = &coherentStore{Store: store, c: c}
	last, err := store.LastChange(ctx)
	if err != nil {
		return nil, err
	}
	c.changes = &changeWatcher{c: c, last: last}
	return c, nil
}

// Store returns the coherent store: every method that changes a session, a
// user or a key commits through the engine and then drops what it changed
// from the caches before it returns. Callers never touch a cache.
func (c *Core) Store() Store { return c.store }

// Config returns the effective configuration (after clamping).
func (c *Core) Config() Config { return c.cfg }

// Now is the core's clock.
func (c *Core) Now() time.Time { return c.now() }

// WipeSessions revokes every session (--wipe-sessions-on-boot) and returns
// the count; every account that had one gets a session.revoked event
// (cause boot_wipe) in the same transaction.
func (c *Core) WipeSessions(ctx context.Context) (int, error) {
	now := c.now()
	a := NewAudit(c.rand, now, Actor{})
	a.Cause = CauseBootWipe
	return c.store.RevokeAllSessions(WithAudit(ctx, a), now)
}

// Run runs the background work (touch writer, sweeper, change-log watch)
// until ctx ends, then flushes pending touches. sweepHook, when non-nil,
// runs after every sweep (the HTTP layer cleans its throttles there).
func (c *Core) Run(ctx context.Context, sweepHook func()) {
	flushEvery := c.cfg.TouchInterval
	if flushEvery <= 0 {
		flushEvery = time.Second
	}
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	poll := time.NewTicker(c.cfg.ChangePoll)
	defer poll.Stop()
	var sweep <-chan time.Time
	if c.cfg.SweepInterval > 0 {
		t := time.NewTicker(c.cfg.SweepInterval)
		defer t.Stop()
		sweep = t.C
	}
	var listener <-chan bool
	if c.feed != nil {
		listener = c.listen(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			c.Flush(context.WithoutCancel(ctx))
			return
		case <-flush.C:
			c.Flush(ctx)
		case <-poll.C:
			c.changes.poll(ctx)
		case <-c.wake:
			c.changes.poll(ctx)
		case up := <-listener:
			c.listenerState(ctx, up)
		case <-sweep:
			c.Sweep(ctx)
			if sweepHook != nil {
				sweepHook()
			}
		}
	}
}

// Flush persists pending last-seen times.
func (c *Core) Flush(ctx context.Context) {
	if err := c.touch.flush(ctx, c.raw); err != nil {
		c.log.Error().Err(err).Msg("touch flush failed")
	}
}

// Stats are the core's counters, for /metrics.
type Stats struct {
	CacheEntries, CacheHits, CacheMisses            uint64
	TouchBatches, TouchRows                         uint64
	Sweeps, SweptSessions, SweptCodes, SweptPending uint64
	SweptEvents                                     uint64
	ChangesApplied, CachePurges                     uint64
}

// Stats returns the current counters.
func (c *Core) Stats() Stats {
	batches, rows := c.touch.stats()
	return Stats{
		CacheEntries: uint64(c.cache.len()), CacheHits: c.cache.hits.Load(), CacheMisses: c.cache.misses.Load(),
		TouchBatches: batches, TouchRows: rows,
		Sweeps: c.sweeps.Load(), SweptSessions: c.sweptSessions.Load(), SweptCodes: c.sweptCodes.Load(),
		SweptPending: c.sweptPending.Load(), SweptEvents: c.sweptEvents.Load(),
		ChangesApplied: c.changesApplied.Load(), CachePurges: c.purges.Load(),
	}
}

// ActiveSessions counts every user's live sessions (for /metrics). The count
// is an index range over the sessions seen within the idle timeout, so it is
// taken at most once per activeCountTTL and shared: a scraper polling
// /metrics (public on the main listener unless --metrics-addr is set) cannot
// make the server count on every request.
func (c *Core) ActiveSessions(ctx context.Context) (int, error) {
	now := c.now()
	c.activeMu.Lock()
	defer c.activeMu.Unlock()
	if !c.activeAt.IsZero() && now.Sub(c.activeAt) < activeCountTTL && now.Sub(c.activeAt) >= 0 {
		return c.activeN, nil
	}
	idle, created := c.cfg.Timeouts.Cutoffs(now)
	n, err := c.raw.CountActiveSessions(ctx, idle, created)
	if err != nil {
		return 0, err
	}
	c.activeN, c.activeAt = n, now
	return n, nil
}

// activeCountTTL is how long a count of live sessions is reused.
const activeCountTTL = 15 * time.Second
