package app

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// OutboxItem is one webhook delivery owed: the event's id, its body as it
// will be signed, when it was written and how many attempts it had.
type OutboxItem struct {
	Seq       int64
	EventID   string
	Body      []byte
	CreatedAt time.Time
	Attempts  int
}

// OutboxStore is the webhook outbox: rows written with their events (the
// store's SetWebhooks), claimed by one server at a time with a lease, so
// replicas never post the same row at once while its lease holds.
type OutboxStore interface {
	// ClaimOutbox leases up to limit rows due at now (next attempt reached,
	// no live lease) to the caller until now+lease, counting an attempt.
	ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxItem, error)
	// FinishOutbox removes a delivered (or abandoned) row.
	FinishOutbox(ctx context.Context, seq int64) error
	// RetryOutbox releases a row for another attempt at next.
	RetryOutbox(ctx context.Context, seq int64, next time.Time, lastError string) error
	// OutboxPending counts the rows owed and returns the oldest's time.
	OutboxPending(ctx context.Context) (int, time.Time, error)
}

// Poster delivers one webhook body (webhook.Client).
type Poster interface {
	Post(ctx context.Context, eventID string, body []byte) error
}

// DeliveryConfig tunes the deliverer.
type DeliveryConfig struct {
	Poll     time.Duration // how often the outbox is read (default 1 s)
	Lease    time.Duration // how long a claim holds (default 1 min)
	Backoff  time.Duration // the first retry's delay, doubled each time (default 5 s)
	MaxDelay time.Duration // the longest delay (default 1 h)
	GiveUp   time.Duration // a row older than this is abandoned (default 24 h)
	Batch    int           // rows per claim (default 20)
}

func (c *DeliveryConfig) defaults() {
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Lease <= 0 {
		c.Lease = time.Minute
	}
	if c.Backoff <= 0 {
		c.Backoff = 5 * time.Second
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = time.Hour
	}
	if c.GiveUp <= 0 {
		c.GiveUp = 24 * time.Hour
	}
	if c.Batch <= 0 {
		c.Batch = 20
	}
}

// Deliverer posts the outbox's rows: at least once per event (a crash
// after the post and before the row's removal posts it again once the
// lease ends; receivers de-duplicate on the event id), retried with
// exponential backoff until GiveUp after the event.
type Deliverer struct {
	cfg   DeliveryConfig
	store OutboxStore
	post  Poster
	now   func() time.Time
	log   zerolog.Logger

	delivered, failed, abandoned atomic.Uint64
	pending                      atomic.Int64
	oldest                       atomic.Int64 // unix seconds, 0: none
}

// NewDeliverer makes a deliverer on store posting with post; now nil: the
// real clock.
func NewDeliverer(store OutboxStore, post Poster, cfg DeliveryConfig, now func() time.Time, log zerolog.Logger) *Deliverer {
	cfg.defaults()
	if now == nil {
		now = time.Now
	}
	return &Deliverer{cfg: cfg, store: store, post: post, now: now, log: log}
}

// DeliveryStats are the deliverer's counters, for /metrics.
type DeliveryStats struct {
	Delivered, Failed, Abandoned uint64 // since start: 2xx answers, failed attempts, rows given up
	Pending                      int64  // rows owed at the last poll
	OldestAge                    time.Duration
}

// Stats returns the counters.
func (d *Deliverer) Stats() DeliveryStats {
	s := DeliveryStats{Delivered: d.delivered.Load(), Failed: d.failed.Load(), Abandoned: d.abandoned.Load(),
		Pending: d.pending.Load()}
	if o := d.oldest.Load(); o > 0 {
		s.OldestAge = d.now().Sub(time.Unix(o, 0))
	}
	return s
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) {
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	for {
		d.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once claims and posts one batch (and keeps going while batches are
// full), then refreshes the pending figures.
func (d *Deliverer) Once(ctx context.Context) {
	for ctx.Err() == nil {
		items, err := d.store.ClaimOutbox(ctx, d.now(), d.cfg.Lease, d.cfg.Batch)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error().Err(err).Msg("webhook outbox claim failed")
			}
			break
		}
		for _, it := range items {
			d.deliver(ctx, it)
		}
		if len(items) < d.cfg.Batch {
			break
		}
	}
	if n, oldest, err := d.store.OutboxPending(ctx); err == nil {
		d.pending.Store(int64(n))
		if n == 0 {
			d.oldest.Store(0)
		} else {
			d.oldest.Store(oldest.Unix())
		}
	}
}

// deliver posts one row and records the outcome.
func (d *Deliverer) deliver(ctx context.Context, it OutboxItem) {
	err := d.post.Post(ctx, it.EventID, it.Body)
	if err == nil {
		d.delivered.Add(1)
		if err := d.store.FinishOutbox(ctx, it.Seq); err != nil {
			// The lease runs out and the row is posted again: at least once.
			d.log.Error().Err(err).Str("event_id", it.EventID).Msg("webhook delivered but not marked")
		}
		return
	}
	d.failed.Add(1)
	now := d.now()
	if now.Sub(it.CreatedAt) >= d.cfg.GiveUp {
		d.abandoned.Add(1)
		d.log.Error().Err(err).Str("event_id", it.EventID).Int("attempts", it.Attempts).Msg("webhook abandoned")
		if err := d.store.FinishOutbox(ctx, it.Seq); err != nil {
			d.log.Error().Err(err).Msg("webhook outbox remove failed")
		}
		return
	}
	d.log.Warn().Err(err).Str("event_id", it.EventID).Int("attempts", it.Attempts).Msg("webhook attempt failed")
	if err := d.store.RetryOutbox(ctx, it.Seq, now.Add(d.backoff(it.Attempts)), err.Error()); err != nil {
		d.log.Error().Err(err).Msg("webhook outbox retry failed")
	}
}

// backoff is the delay after the attempts-th failed attempt: Backoff
// doubled per attempt, at most MaxDelay.
func (d *Deliverer) backoff(attempts int) time.Duration {
	delay := d.cfg.Backoff
	for i := 1; i < attempts && delay < d.cfg.MaxDelay; i++ {
		delay *= 2
	}
	return min(delay, d.cfg.MaxDelay)
}
