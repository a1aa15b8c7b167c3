package throttle

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestTakeReservesBeforeTheWork: a concurrent burst of 30 Takes on a budget
// of 4 gets exactly 4 reservations; Refund gives them back.
func TestTakeReservesBeforeTheWork(t *testing.T) {
	c := newClock()
	l := New(4, time.Minute, c.Now)
	var ok atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, got := l.Take("k"); got {
				ok.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 4 {
		t.Fatalf("%d reservations granted, want 4", ok.Load())
	}
	if d, got := l.Take("k"); got || d <= 0 || d > 15*time.Second {
		t.Fatalf("over budget: Take = %v, %v; want refused with a retry within one interval", d, got)
	}
	for i := 0; i < 4; i++ {
		l.Refund("k")
	}
	if !l.Clean("k") || l.Len() != 0 {
		t.Fatalf("after refunding everything: clean %v, %d keys", l.Clean("k"), l.Len())
	}
}

func TestTakeRefundClean(t *testing.T) {
	c := newClock()
	l := New(2, time.Minute, c.Now) // one event every 30 s
	cases := []struct {
		advance time.Duration
		op      string
		want    bool // Take: granted; Clean: clean
	}{
		{0, "clean", true},
		{0, "take", true},
		{0, "clean", false},
		{0, "take", true},
		{0, "take", false}, // the budget is spent
		{0, "refund", false},
		{0, "take", true}, // the refund made room
		{29 * time.Second, "take", false},
		{time.Second, "take", true},
		{0, "refund", false},
		{0, "clean", false}, // one event is still in the bucket
		{30 * time.Second, "clean", true},
	}
	for i, tc := range cases {
		c.Advance(tc.advance)
		var got bool
		switch tc.op {
		case "take":
			_, got = l.Take("k")
		case "refund":
			l.Refund("k")
			got = tc.want
		case "clean":
			got = l.Clean("k")
		}
		if got != tc.want {
			t.Fatalf("step %d (%s after %v): got %v, want %v", i, tc.op, tc.advance, got, tc.want)
		}
	}
	l.Refund("absent") // no entry: nothing happens
	if l.Len() > 1 {
		t.Fatalf("keys %d", l.Len())
	}
}

func TestTakeDisabled(t *testing.T) {
	l := New(0, time.Minute, nil)
	for i := 0; i < 100; i++ {
		if _, ok := l.Take("k"); !ok {
			t.Fatal("disabled limiter refused")
		}
	}
	l.Refund("k")
	if !l.Clean("k") || l.Len() != 0 {
		t.Fatal("disabled limiter stored state")
	}
}

// Of a concurrent burst on one key, exactly one Take sees the key clean.
func TestTakeCleanOnlyTheFirst(t *testing.T) {
	l := New(100, time.Minute, newClock().Now)
	var clean atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, was := l.TakeClean("k"); ok && was {
				clean.Add(1)
			}
		}()
	}
	wg.Wait()
	if clean.Load() != 1 {
		t.Fatalf("%d takes saw the key clean, want 1", clean.Load())
	}
}
