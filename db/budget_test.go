package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// budgetClock is a settable clock safe for concurrent use.
type budgetClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *budgetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *budgetClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// budgetStep is one operation on key "k" after advancing the clock. take
// and check compare ok and retry; take also compares clean (the bucket
// was empty before); clean compares clean.
type budgetStep struct {
	advance time.Duration
	op      string // take, check, refund, clean, sweep
	ok      bool
	retry   time.Duration
	clean   bool
}

// newBudget is a shared budget on a fresh PostgreSQL database.
func newBudget(t *testing.T, name string, limit int, window time.Duration) (*db.Budget, *budgetClock, *db.DB) {
	t.Helper()
	store := openOn(t, db.Postgres)
	c := &budgetClock{t: t0}
	b, ok := store.Budget(name, limit, window, c.Now)
	if !ok {
		t.Fatal("no shared budget on PostgreSQL")
	}
	return b, c, store
}

// The GCRA of throttle/throttle.go on a table: the cases of throttle's
// TestBudget for reserving budgets (Take counts nothing when it refuses),
// on a fake clock.
func TestBudget_Postgres_Semantics(t *testing.T) {
	const m = time.Minute
	take := func(adv time.Duration, ok bool, retry time.Duration, clean bool) budgetStep {
		return budgetStep{advance: adv, op: "take", ok: ok, retry: retry, clean: clean}
	}
	check := func(adv time.Duration, ok bool, retry time.Duration) budgetStep {
		return budgetStep{advance: adv, op: "check", ok: ok, retry: retry}
	}
	tests := []struct {
		name   string
		limit  int
		window time.Duration
		steps  []budgetStep
	}{
		{"under the limit", 3, 3 * m, []budgetStep{
			check(0, true, 0), take(0, true, 0, true), take(0, true, 0, false), check(0, true, 0),
		}},
		{"limit reached, one interval later one more", 3, 3 * m, []budgetStep{
			take(0, true, 0, true), take(0, true, 0, false), take(0, true, 0, false),
			take(0, false, m, false), check(0, false, m),
			check(20*time.Second, false, 40*time.Second), check(40*time.Second, true, 0),
			take(0, true, 0, false), take(0, false, m, false),
			check(30*time.Second, false, 30*time.Second),
		}},
		{"refused takes count nothing", 3, 3 * m, []budgetStep{
			take(0, true, 0, true), take(0, true, 0, false), take(0, true, 0, false),
			take(0, false, m, false), take(0, false, m, false), take(0, false, m, false),
			check(m, true, 0),
		}},
		{"events spread out never block", 3, 3 * m, []budgetStep{
			take(0, true, 0, true), take(m, true, 0, true), take(m, true, 0, true), take(m, true, 0, true),
		}},
		{"the window passing restores the full budget", 3, 3 * m, []budgetStep{
			take(0, true, 0, true), take(0, true, 0, false), take(0, true, 0, false), take(0, false, m, false),
			{advance: 3 * m, op: "clean", clean: true},
			take(0, true, 0, true), take(0, true, 0, false), take(0, true, 0, false), take(0, false, m, false),
		}},
		{"refund gives one back", 3, 3 * m, []budgetStep{
			take(0, true, 0, true), take(0, true, 0, false), take(0, true, 0, false), take(0, false, m, false),
			{op: "refund"}, check(0, true, 0), take(0, true, 0, false), take(0, false, m, false),
		}},
		{"a full refund is clean again", 3, 3 * m, []budgetStep{
			take(0, true, 0, true), {op: "clean", clean: false}, {op: "refund"}, {op: "clean", clean: true},
			take(0, true, 0, true),
		}},
		{"refund of an unknown key does nothing", 3, 3 * m, []budgetStep{
			{op: "refund"}, take(0, true, 0, true),
		}},
		{"limit 1 is a cooldown", 1, 10 * m, []budgetStep{
			take(0, true, 0, true), take(0, false, 10*m, false), check(9*m, false, m), take(m, true, 0, true),
		}},
		{"sweeping keeps live keys", 2, 2 * m, []budgetStep{
			take(0, true, 0, true), take(0, true, 0, false), {advance: 30 * time.Second, op: "sweep"},
			take(0, false, 30*time.Second, false),
		}},
		{"disabled when the limit is 0", 0, 15 * m, []budgetStep{
			take(0, true, 0, true), take(0, true, 0, true), take(0, true, 0, true), check(0, true, 0),
			{op: "refund"}, {op: "clean", clean: true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, c, _ := newBudget(t, "test", tc.limit, tc.window)
			ctx := context.Background()
			for i, s := range tc.steps {
				c.Advance(s.advance)
				var (
					ok, clean bool
					retry     time.Duration
					err       error
				)
				switch s.op {
				case "take":
					retry, ok, clean, err = b.TakeClean(ctx, "k")
				case "check":
					retry, ok, err = b.Check(ctx, "k")
					clean = s.clean
				case "clean":
					clean, err = b.Clean(ctx, "k")
					ok, retry = s.ok, s.retry
				case "refund":
					err = b.Refund(ctx, "k")
					ok, retry, clean = s.ok, s.retry, s.clean
				case "sweep":
					err = b.Sweep(ctx)
					ok, retry, clean = s.ok, s.retry, s.clean
				}
				if err != nil || ok != s.ok || retry != s.retry || clean != s.clean {
					t.Fatalf("step %d (%s after %v): ok=%v retry=%v clean=%v err=%v; want ok=%v retry=%v clean=%v",
						i, s.op, s.advance, ok, retry, clean, err, s.ok, s.retry, s.clean)
				}
			}
			if tc.limit == 0 {
				if n, err := b.Len(ctx); err != nil || n != 0 {
					t.Fatalf("a disabled budget stored %d rows (%v)", n, err)
				}
			}
		})
	}
}

// Keys and budget names are independent; long and binary keys are stored
// (long ones as a digest, still one row per key); the sweep deletes only
// the keys that are back to their full budget, and only its own budget's.
func TestBudget_Postgres_KeysNamesSweep(t *testing.T) {
	b, c, store := newBudget(t, "one", 2, 2*time.Minute)
	other, _ := store.Budget("two", 2, 2*time.Minute, c.Now)
	ctx := context.Background()
	long1, long2 := strings.Repeat("x", 5000)+"1", strings.Repeat("x", 5000)+"2"
	for _, k := range []string{"a", "b", long1, long2, "nul\x00and\xffinvalid"} {
		for i := 0; i < 2; i++ {
			if _, ok, err := b.Take(ctx, k); !ok || err != nil {
				t.Fatalf("take %d of %.10q: %v %v", i, k, ok, err)
			}
		}
		if _, ok, err := b.Take(ctx, k); ok || err != nil {
			t.Fatalf("third take of %.10q: %v %v", k, ok, err)
		}
	}
	if _, ok, _ := other.Take(ctx, "a"); !ok {
		t.Fatal("budget two shares keys with budget one")
	}
	c.Advance(time.Minute)
	if _, ok, _ := b.Take(ctx, "a"); !ok { // a: tat = now + 2m again
		t.Fatal("a after one interval")
	}
	c.Advance(time.Minute) // every other key of "one" is back to full
	if err := b.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.Len(ctx); n != 1 {
		t.Fatalf("after the sweep %d rows of one, want 1 (a)", n)
	}
	if n, _ := other.Len(ctx); n != 1 {
		t.Fatalf("the sweep of one deleted %d rows of two", 1-n)
	}
}

// Of a burst of concurrent takes on one key from three replicas (three
// connection pools on one database), exactly the budget succeeds, and
// exactly one sees the key clean.
func TestBudget_Postgres_ConcurrentTakesExact(t *testing.T) {
	const limit, callers = 7, 60
	url := testdb.TargetOf(t, db.Postgres)
	c := &budgetClock{t: t0}
	var replicas []*db.Budget
	for i := 0; i < 3; i++ {
		store := testdb.OpenAt(t, url, db.Options{})
		b, _ := store.Budget("race", limit, time.Hour, c.Now)
		replicas = append(replicas, b)
	}
	var ok, clean, failed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(b *db.Budget) {
			defer wg.Done()
			<-start
			_, took, wasClean, err := b.TakeClean(context.Background(), "k")
			if err != nil {
				failed.Add(1)
			}
			if took {
				ok.Add(1)
			}
			if wasClean {
				clean.Add(1)
			}
		}(replicas[i%3])
	}
	close(start)
	wg.Wait()
	if ok.Load() != limit || clean.Load() != 1 || failed.Load() != 0 {
		t.Fatalf("%d callers, limit %d: %d took, %d clean, %d errors", callers, limit, ok.Load(), clean.Load(), failed.Load())
	}
}

// A database fault is an error, never a yes: TakeClean and Check report
// ok=false with an EINTERNAL error, Refund and Sweep an error; a cancelled
// context comes back as itself.
func TestBudget_Postgres_ErrorsFailClosed(t *testing.T) {
	url := testdb.TargetOf(t, db.Postgres)
	store := testdb.OpenAt(t, url, db.Options{})
	b, _ := store.Budget("broken", 3, time.Hour, nil)
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, ok, _, err := b.TakeClean(cancelled, "k"); ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled take: ok=%v err=%v", ok, err)
	}
	if _, err := testdb.OpenRaw(t, url).Exec(`DROP TABLE budgets`); err != nil {
		t.Fatal(err)
	}
	if _, ok, _, err := b.TakeClean(ctx, "k"); ok || app.ErrorCode(err) != app.EINTERNAL {
		t.Fatalf("take without a table: ok=%v err=%v", ok, err)
	}
	if _, ok, err := b.Check(ctx, "k"); ok || app.ErrorCode(err) != app.EINTERNAL {
		t.Fatalf("check without a table: ok=%v err=%v", ok, err)
	}
	if err := b.Refund(ctx, "k"); app.ErrorCode(err) != app.EINTERNAL {
		t.Fatalf("refund without a table: %v", err)
	}
	if err := b.Sweep(ctx); app.ErrorCode(err) != app.EINTERNAL || !strings.Contains(err.Error(), "budget broken") {
		t.Fatalf("sweep without a table: %v", err)
	}
}

// SQLite has no shared budgets: its processes keep theirs in memory.
func TestBudget_SQLiteHasNone(t *testing.T) {
	if b, ok := openOn(t, db.SQLite).Budget("x", 3, time.Hour, nil); ok || b != nil {
		t.Fatalf("SQLite budget: %v %v", b, ok)
	}
}

// The retry a refused take reports has microsecond resolution (the
// interval, window/limit, is computed in microseconds).
func TestBudget_Postgres_RetryResolution(t *testing.T) {
	b, _, _ := newBudget(t, "odd", 3, 10*time.Second)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		b.Take(ctx, "k")
	}
	retry, ok, err := b.Take(ctx, "k")
	if want := 3333333 * time.Microsecond; ok || err != nil || retry != want {
		t.Fatalf("retry %v ok %v err %v; want %v", retry, ok, err, want)
	}
}
