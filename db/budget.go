package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"notechondria-auth/app"
)

// Budget is one rate limit of docs/SECURITY.md kept in the budgets table of
// a PostgreSQL database, so that every replica on the database spends from
// the same budget: N replicas do not give a guesser N times the tries.
//
// It is the generic cell rate algorithm of throttle/throttle.go with the
// same semantics (read the algorithm there): one row per key holds its
// theoretical arrival time (tat), here in microseconds since the epoch. A
// key is within budget while tat <= now + (limit-1)*interval; taking an
// event sets tat = max(tat, now) + interval. A row whose tat is not after
// now behaves exactly as no row.
//
// Every operation is one statement on the pool, outside the store's write
// lock (budgets are checked before the work they limit, on every sign-in
// and anonymous request; they must not queue behind the store's writes).
// Take is a single INSERT ... ON CONFLICT DO UPDATE ... WHERE: PostgreSQL
// locks the key's row for the statement, so of concurrent takes on one key
// from any number of replicas at most the remaining budget succeed.
//
// Time comes from the injected clock, not from the database: the replicas'
// clocks are assumed to agree (NTP) to well within an interval; a replica
// whose clock is off by d makes a key's budget refill up to d early or late.
type Budget struct {
	p        pool
	name     string
	limit    int64
	interval int64 // microseconds per event: window / limit
	now      func() time.Time
}

// maxBudgetKey is the longest key stored as it is; longer keys are stored
// as their SHA-256 digest (index entries are limited to about 2.7 kB, and a
// key may carry client-supplied text). Callers' keys are prefixed by their
// purpose ("login:", "ip:", ...), so none is ever the digest form.
const maxBudgetKey = 256

// Budget returns the shared budget called name allowing limit events per
// window for each key (limit <= 0 or window <= 0: disabled, it allows
// everything and touches no row), on the clock now (time.Now when nil).
// Budgets of the same name share their keys, in this process and every
// other one on the database; every process must give a name the same limit
// and window. ok is false on SQLite, whose processes keep their budgets in
// memory (throttle.Limiter): the caller uses one of those instead.
func (db *DB) Budget(name string, limit int, window time.Duration, now func() time.Time) (b *Budget, ok bool) {
	if db.d.engine != Postgres {
		return nil, false
	}
	if now == nil {
		now = time.Now
	}
	b = &Budget{p: pool{db: db.w, d: db.d}, name: name, now: now}
	if limit > 0 && window > 0 {
		b.limit = int64(limit)
		b.interval = max(window.Microseconds()/int64(limit), 1)
	}
	return b, true
}

// Enabled reports whether the budget limits anything.
func (b *Budget) Enabled() bool { return b.limit > 0 }

// slack is how far ahead of now a key's tat may be for one more event:
// (limit-1) intervals, that is while the bucket holds fewer than limit
// events.
func (b *Budget) slack() int64 { return (b.limit - 1) * b.interval }

// TakeClean reserves one event for key before the work it limits: when the
// key is within budget it counts the event and reports ok; otherwise it
// counts nothing and reports how long until the key may have one more.
// wasClean reports whether the key's bucket was empty just before; of a
// concurrent burst on one key, only the first can see it clean. A database
// error is returned as an EINTERNAL *app.Error (or the context's error) with
// ok false: the caller must not do the work.
func (b *Budget) TakeClean(ctx context.Context, key string) (retryAfter time.Duration, ok, wasClean bool, err error) {
	if !b.Enabled() {
		return 0, true, true, nil
	}
	now := micros(b.now())
	k := budgetKey(key)
	var tat int64
	// A new key starts at now + interval; an existing one within budget
	// moves to max(tat, now) + interval. The WHERE refuses a key over
	// budget without writing it; the row lock makes the decision atomic.
	err = b.p.QueryRowContext(ctx, `INSERT INTO budgets (name, key, tat) VALUES (?, ?, ?)
		ON CONFLICT (name, key) DO UPDATE SET tat = GREATEST(budgets.tat + ?, EXCLUDED.tat)
		WHERE budgets.tat <= ?
		RETURNING tat`, b.name, k, now+b.interval, b.interval, now+b.slack()).Scan(&tat)
	switch {
	case err == nil:
		// tat = max(old, now) + interval equals now + interval exactly
		// when old <= now: the bucket was empty.
		return 0, true, tat == now+b.interval, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, false, false, b.fail(ctx, err)
	}
	// Refused. The retry is advisory, so a second statement reads it.
	retryAfter, _, err = b.retry(ctx, k, now)
	if err != nil {
		return 0, false, false, err
	}
	return max(retryAfter, time.Microsecond), false, false, nil
}

// Take is TakeClean without the cleanliness.
func (b *Budget) Take(ctx context.Context, key string) (retryAfter time.Duration, ok bool, err error) {
	retryAfter, ok, _, err = b.TakeClean(ctx, key)
	return retryAfter, ok, err
}

// Check reports whether key may have one more event now, without counting
// one; when it may not, retryAfter is how long until it may. Errors as in
// TakeClean.
func (b *Budget) Check(ctx context.Context, key string) (retryAfter time.Duration, ok bool, err error) {
	if !b.Enabled() {
		return 0, true, nil
	}
	retryAfter, _, err = b.retry(ctx, budgetKey(key), micros(b.now()))
	if err != nil {
		return 0, false, err
	}
	return retryAfter, retryAfter == 0, nil
}

// Clean reports whether key has no event in its bucket. Errors as in
// TakeClean.
func (b *Budget) Clean(ctx context.Context, key string) (bool, error) {
	if !b.Enabled() {
		return true, nil
	}
	_, clean, err := b.retry(ctx, budgetKey(key), micros(b.now()))
	return clean, err
}

// retry reads key's row: how long until it may have one more event (0 if
// it may now) and whether its bucket is empty.
func (b *Budget) retry(ctx context.Context, k []byte, now int64) (time.Duration, bool, error) {
	var tat int64
	err := b.p.QueryRowContext(ctx, `SELECT tat FROM budgets WHERE name = ? AND key = ?`, b.name, k).Scan(&tat)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, true, nil
	} else if err != nil {
		return 0, false, b.fail(ctx, err)
	}
	d := tat - now - b.slack()
	return time.Duration(max(d, 0)) * time.Microsecond, tat <= now, nil
}

// Refund gives back one event counted by Take, in one statement. A key
// whose bucket is empty again stays as a row with tat <= now (the same as
// no row) until Sweep. A refund that fails leaves the event counted (the
// budget errs on the side of refusing); the error says so.
func (b *Budget) Refund(ctx context.Context, key string) error {
	if !b.Enabled() {
		return nil
	}
	if _, err := b.p.ExecContext(ctx, `UPDATE budgets SET tat = tat - ? WHERE name = ? AND key = ?`,
		b.interval, b.name, budgetKey(key)); err != nil {
		return b.fail(ctx, err)
	}
	return nil
}

// Sweep deletes this budget's keys that are back to their full budget (an
// indexed range on (name, tat)). Any replica may sweep; deleting a row that
// another replica just deleted is harmless. Errors as in TakeClean.
func (b *Budget) Sweep(ctx context.Context) error {
	if !b.Enabled() {
		return nil
	}
	if _, err := b.p.ExecContext(ctx, `DELETE FROM budgets WHERE name = ? AND tat <= ?`, b.name, micros(b.now())); err != nil {
		return b.fail(ctx, err)
	}
	return nil
}

// Len counts this budget's rows (expired ones included), for tests and
// diagnostics.
func (b *Budget) Len(ctx context.Context) (int, error) {
	var n int
	if err := b.p.QueryRowContext(ctx, `SELECT count(*) FROM budgets WHERE name = ?`, b.name).Scan(&n); err != nil {
		return 0, b.fail(ctx, err)
	}
	return n, nil
}

// fail wraps a driver error: the context's own error when the caller went
// away, else an EINTERNAL *app.Error naming the budget.
func (b *Budget) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return app.Internal(fmt.Errorf("db: budget %s: %w", b.name, err))
}

// budgetKey is the stored form of a key: the key itself, or "sha256:" and
// its digest when it is longer than maxBudgetKey.
func budgetKey(key string) []byte {
	if len(key) <= maxBudgetKey {
		return []byte(key)
	}
	sum := sha256.Sum256([]byte(key))
	return append([]byte("sha256:"), sum[:]...)
}
