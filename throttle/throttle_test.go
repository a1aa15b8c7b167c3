package throttle

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// step is one action on key "k" after advancing the clock.
type step struct {
	advance time.Duration
	op      string // "add", "check" or "reset"
	retry   time.Duration
	blocked bool // Add: over; Check: !ok
}

func run(t *testing.T, l *Limiter, c *fakeClock, steps []step) {
	t.Helper()
	for i, s := range steps {
		c.Advance(s.advance)
		var retry time.Duration
		var blocked bool
		switch s.op {
		case "add":
			retry, blocked = l.Add("k")
		case "check":
			var ok bool
			retry, ok = l.Check("k")
			blocked = !ok
		case "reset":
			l.Reset("k")
			continue
		}
		if retry != s.retry || blocked != s.blocked {
			t.Fatalf("step %d (%s after %v): got %v, blocked=%v; want %v, blocked=%v",
				i, s.op, s.advance, retry, blocked, s.retry, s.blocked)
		}
	}
}

func TestBudget(t *testing.T) {
	const m = time.Minute
	tests := []struct {
		name   string
		limit  int
		window time.Duration
		steps  []step
	}{
		{"under limit", 3, 3 * m, []step{
			{0, "check", 0, false},
			{0, "add", 0, false},
			{0, "add", 0, false},
			{0, "check", 0, false},
		}},
		{"at limit blocked, one interval later one more", 3, 3 * m, []step{
			{0, "add", 0, false},
			{0, "add", 0, false},
			{0, "add", m, true},
			{0, "check", m, true},
			{20 * time.Second, "check", 40 * time.Second, true},
			{40 * time.Second, "check", 0, false},
			{0, "add", m, true},
			{30 * time.Second, "check", 30 * time.Second, true},
		}},
		{"events spread out never block", 3, 3 * m, []step{
			{0, "add", 0, false},
			{m, "add", 0, false},
			{m, "add", 0, false},
			{m, "add", 0, false},
			{m, "add", 0, false},
		}},
		{"window expiry restores the full budget", 3, 3 * m, []step{
			{0, "add", 0, false},
			{0, "add", 0, false},
			{0, "add", m, true},
			{3 * m, "check", 0, false},
			{0, "add", 0, false},
			{0, "add", 0, false},
			{0, "add", m, true},
		}},
		{"adding while over never locks longer than window", 3, 3 * m, []step{
			{0, "add", 0, false},
			{0, "add", 0, false},
			{0, "add", m, true},
			{0, "add", m, true},
			{0, "add", m, true},
			{59 * time.Second, "check", time.Second, true},
			{time.Second, "check", 0, false},
			{2 * m, "add", 0, false},
		}},
		{"reset", 3, 3 * m, []step{
			{0, "add", 0, false},
			{0, "add", 0, false},
			{0, "add", m, true},
			{0, "reset", 0, false},
			{0, "check", 0, false},
			{0, "add", 0, false},
			{0, "reset", 0, false},
			{0, "reset", 0, false},
		}},
		{"limit 1 is a cooldown", 1, m, []step{
			{0, "check", 0, false},
			{0, "add", m, true},
			{59 * time.Second, "check", time.Second, true},
			{time.Second, "check", 0, false},
			{0, "add", m, true},
		}},
		{"uneven division", 3, 10 * time.Nanosecond, []step{
			{0, "add", 0, false},
			{0, "add", 0, false},
			{0, "add", 3, true},
			{3, "check", 0, false},
		}},
		{"disabled by limit", 0, m, []step{
			{0, "add", 0, false},
			{0, "add", 0, false},
			{0, "check", 0, false},
			{0, "reset", 0, false},
		}},
		{"disabled by window", 1, 0, []step{
			{0, "add", 0, false},
			{0, "add", 0, false},
			{0, "check", 0, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			l := New(tt.limit, tt.window, c.Now)
			run(t, l, c, tt.steps)
		})
	}
}

func TestKeysAreIndependent(t *testing.T) {
	c := newClock()
	l := New(1, time.Minute, c.Now)
	if _, over := l.Add("a"); !over {
		t.Fatal("a: not over after one event with limit 1")
	}
	if _, ok := l.Check("b"); !ok {
		t.Fatal("b blocked by a's event")
	}
	if _, ok := l.Check("a"); ok {
		t.Fatal("a not blocked")
	}
}

func TestDisabledStoresNothing(t *testing.T) {
	l := New(0, time.Minute, nil)
	for i := range 10 {
		l.Add(strconv.Itoa(i))
	}
	l.Sweep()
	if n := l.Len(); n != 0 {
		t.Fatalf("Len = %d, want 0", n)
	}
}

func TestSweep(t *testing.T) {
	c := newClock()
	l := New(2, 2*time.Minute, c.Now)
	l.Add("one") // restored at 1m
	l.Add("two")
	l.Add("two") // restored at 2m
	c.Advance(time.Minute)
	l.Add("late")
	l.Add("late") // restored at 3m
	c.Advance(time.Second)
	l.Sweep()
	if n := l.Len(); n != 2 {
		t.Fatalf("after 1m1s: Len = %d, want 2 (two, late)", n)
	}
	c.Advance(59 * time.Second) // t = 2m: "two" restored exactly now
	l.Sweep()
	if n := l.Len(); n != 1 {
		t.Fatalf("after 2m: Len = %d, want 1 (late)", n)
	}
	c.Advance(time.Minute)
	l.Sweep()
	if n := l.Len(); n != 0 {
		t.Fatalf("after 3m: Len = %d, want 0", n)
	}
}

func TestMaxKeys(t *testing.T) {
	c := newClock()
	l := New(2, 2*time.Minute, c.Now, WithMaxKeys(3))
	l.Add("a")
	l.Add("a") // a is over budget until 1m, restored at 2m
	c.Advance(10 * time.Second)
	l.Add("b") // restored at 1m10s
	c.Advance(10 * time.Second)
	l.Add("c") // restored at 1m20s
	c.Advance(10 * time.Second)
	// Full, nothing expired: the key restored soonest (b) goes, not the
	// oldest (a), which is still over budget.
	l.Add("d")
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	if _, ok := l.Check("a"); ok {
		t.Fatal("a lost its over-budget state to eviction")
	}
	l.mu.Lock()
	_, hasB := l.entries["b"]
	l.mu.Unlock()
	if hasB {
		t.Fatal("b was not the key evicted")
	}
	// Once keys have expired, they go first, all at once.
	c.Advance(2 * time.Minute)
	l.Add("e")
	if n := l.Len(); n != 1 {
		t.Fatalf("Len after expiry = %d, want 1", n)
	}
	if New(1, time.Second, nil).maxKeys != DefaultMaxKeys {
		t.Fatal("default maxKeys not applied")
	}
}

func TestConcurrentAddCountsExactly(t *testing.T) {
	const goroutines, each = 8, 100
	c := newClock()
	l := New(goroutines*each, time.Duration(goroutines*each)*time.Second, c.Now)
	var mu sync.Mutex
	overs := 0
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				if _, over := l.Add("k"); over {
					mu.Lock()
					overs++
					mu.Unlock()
				}
				l.Check("k")
			}
		})
	}
	wg.Wait()
	// Exactly the last of the limit events exhausts the budget, and the key
	// then needs one interval (1s) to take another.
	if overs != 1 {
		t.Fatalf("%d Adds reported over, want exactly 1", overs)
	}
	if retry, ok := l.Check("k"); ok || retry != time.Second {
		t.Fatalf("Check = %v, %v; want 1s, false", retry, ok)
	}
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{-time.Second, 1},
		{0, 1},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{time.Second + time.Nanosecond, 2},
		{59*time.Second + 500*time.Millisecond, 60},
		{time.Minute, 60},
		{15 * time.Minute, 900},
	}
	for _, tt := range tests {
		if got := Seconds(tt.d); got != tt.want {
			t.Errorf("Seconds(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}
