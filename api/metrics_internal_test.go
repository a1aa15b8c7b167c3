package api

import (
	"sync"
	"testing"
	"time"
)

// TestMetrics_Core_ConcurrentStatuses: the copy-on-write status list of a
// route loses no count when goroutines add new statuses at once, keeps
// them sorted, and one name always yields the same stats.
func TestMetrics_Core_ConcurrentStatuses(t *testing.T) {
	m := newMetrics()
	rs := m.route("/r")
	if m.route("/r") != rs {
		t.Fatal("two stats for one route name")
	}
	codes := []int{500, 200, 404, 204, 401, 301, 429, 403}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				m.observe(rs, codes[(g+i)%len(codes)], time.Duration(i)*time.Microsecond)
			}
		}()
	}
	wg.Wait()
	l := *rs.statuses.Load()
	if len(l) != len(codes) {
		t.Fatalf("%d statuses, want %d", len(l), len(codes))
	}
	var total, buckets uint64
	for i, sc := range l {
		if i > 0 && l[i-1].code >= sc.code {
			t.Fatalf("statuses not sorted: %v", l)
		}
		if n := sc.n.Load(); n != 1000 {
			t.Fatalf("status %d: %d, want 1000", sc.code, n)
		}
		total += sc.n.Load()
	}
	for i := range rs.hist.counts {
		buckets += rs.hist.counts[i].Load()
	}
	if total != 8000 || buckets != 8000 {
		t.Fatalf("total %d, histogram %d, want 8000", total, buckets)
	}
	// 0..999 µs: 500 at or under 0.5 ms (the first bucket's bound is
	// inclusive), the rest under 1 ms.
	if got := rs.hist.counts[0].Load(); got != 8*501 {
		t.Fatalf("first bucket %d, want %d", got, 8*501)
	}
}

// TestMiddleware_Core_RequestIDBatches: ids from several batches are
// unique, each a one-element value, and the counter part counts in base 36.
func TestMiddleware_Core_RequestIDBatches(t *testing.T) {
	g := &requestIDs{prefix: "abcd0123-"}
	seen := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3*idBatchSize; i++ {
				v := g.next()
				if len(v) != 1 || cap(v) != 1 {
					t.Errorf("value %v: len %d cap %d", v, len(v), cap(v))
				}
				mu.Lock()
				if seen[v[0]] {
					t.Errorf("id %q twice", v[0])
				}
				seen[v[0]] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 4*3*idBatchSize {
		t.Fatalf("%d ids", len(seen))
	}
	b := (&requestIDs{prefix: "p-"}).batch()
	if b.vals[0] != "p-1" || b.vals[35] != "p-10" || b.vals[36] != "p-11" || b.vals[idBatchSize-1] != "p-1s" {
		t.Fatalf("batch %v", b.vals)
	}
}
