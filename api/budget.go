package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/app"
	"notechondria-auth/throttle"
)

// Limiter is what a budget needs of its limiter: the in-memory
// throttle.Limiter of one process (SQLite), or a limiter every replica
// shares (db.Budget on PostgreSQL). Semantics are throttle's GCRA; read the
// methods there. A shared limiter can fail: then TakeClean and Check report
// ok=false with the error, and the server refuses the work (fail closed,
// 503); a failed Refund leaves the event counted.
type Limiter interface {
	// Enabled reports whether the limiter limits anything.
	Enabled() bool
	// Check reports whether key may have one more event, counting none.
	Check(ctx context.Context, key string) (retryAfter time.Duration, ok bool, err error)
	// TakeClean reserves one event for key when it is within budget, and
	// reports whether the key's bucket was empty just before.
	TakeClean(ctx context.Context, key string) (retryAfter time.Duration, ok, wasClean bool, err error)
	// Refund gives back one event TakeClean counted.
	Refund(ctx context.Context, key string) error
	// Sweep forgets keys that are back to their full budget.
	Sweep(ctx context.Context) error
}

// SharedBudgets makes the deployment-wide limiter called name (limit
// events per window per key, on the clock now), or returns nil when the
// store has none (SQLite): that budget is then kept in memory by this
// process. cli passes one backed by db.(*DB).Budget.
type SharedBudgets func(name string, limit int, window time.Duration, now func() time.Time) Limiter

// memLimiter is a throttle.Limiter as a Limiter: in memory, never failing.
type memLimiter struct{ l *throttle.Limiter }

func (m memLimiter) Enabled() bool { return m.l.Enabled() }

func (m memLimiter) Check(_ context.Context, key string) (time.Duration, bool, error) {
	retry, ok := m.l.Check(key)
	return retry, ok, nil
}

func (m memLimiter) TakeClean(_ context.Context, key string) (time.Duration, bool, bool, error) {
	retry, ok, clean := m.l.TakeClean(key)
	return retry, ok, clean, nil
}

func (m memLimiter) Refund(_ context.Context, key string) error {
	m.l.Refund(key)
	return nil
}

func (m memLimiter) Sweep(context.Context) error {
	m.l.Sweep()
	return nil
}

// msgBudgetUnavailable is the 503 of a budget that could not be checked
// (DRF's ServiceUnavailable text).
const msgBudgetUnavailable = "Service temporarily unavailable, try again later."

// budget is one of the server's rate limits: its name (the key space it
// shares with the other replicas), its limiter, and the log its faults go
// to.
type budget struct {
	name string
	l    Limiter
	log  zerolog.Logger
}

// newBudget is the budget called name: shared when shared makes one, else
// in memory.
func newBudget(name string, r Rule, now func() time.Time, shared SharedBudgets, log zerolog.Logger) *budget {
	var l Limiter
	if shared != nil {
		l = shared(name, r.Limit, r.Window, now)
	}
	if l == nil {
		l = memLimiter{throttle.New(r.Limit, r.Window, now)}
	}
	return &budget{name: name, l: l, log: log}
}

// check is Limiter.Check; a fault is the 503 of unavailable.
func (b *budget) check(r *http.Request, key string) (retryAfter time.Duration, ok bool, err error) {
	retryAfter, ok, err = b.l.Check(r.Context(), key)
	if err != nil {
		return 0, false, b.unavailable(r, "check", err)
	}
	return retryAfter, ok, nil
}

// takeClean is Limiter.TakeClean; a fault is the 503 of unavailable.
func (b *budget) takeClean(r *http.Request, key string) (retryAfter time.Duration, ok, wasClean bool, err error) {
	retryAfter, ok, wasClean, err = b.l.TakeClean(r.Context(), key)
	if err != nil {
		return 0, false, false, b.unavailable(r, "take", err)
	}
	return retryAfter, ok, wasClean, nil
}

// refund is Limiter.Refund, also after the client went away (the work did
// not count either way). A fault is logged and leaves the event counted:
// the answer (a correct password, a mail not sent) stands.
func (b *budget) refund(r *http.Request, key string) {
	if err := b.l.Refund(context.WithoutCancel(r.Context()), key); err != nil {
		b.log.Error().Err(err).Str("req_id", requestID(r)).Str("budget", b.name).
			Msg("budget refund failed: the event stays counted")
	}
}

// unavailable is the answer to a budget that could not be checked: the work
// it limits is refused (fail closed) with 503 and Retry-After: 1, and the
// fault is logged. A client that went away gets its context's error (not
// logged as a fault).
func (b *budget) unavailable(r *http.Request, op string, err error) error {
	if errors.Is(err, context.Canceled) || r.Context().Err() != nil {
		return err
	}
	b.log.Error().Err(err).Str("req_id", requestID(r)).Str("budget", b.name).Str("op", op).
		Msg("budget unavailable: request refused")
	return &app.Error{Code: app.EUNAVAILABLE, Message: msgBudgetUnavailable, RetryAfter: 1, Err: err}
}
