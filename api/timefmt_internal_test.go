package api

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The digit-by-digit isoTime agrees with time.Format on every time, with
// and without microseconds, in and out of the fast path's year range.
func TestIsoTimeMatchesFormat(t *testing.T) {
	ref := func(t time.Time) string {
		t = t.UTC()
		if t.Nanosecond()/1000 == 0 {
			return t.Format("2006-01-02T15:04:05") + "+00:00"
		}
		return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
	}
	r := rand.New(rand.NewPCG(1, 2))
	cases := []time.Time{time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(2026, 4, 23, 3, 32, 23, 123456000, time.FixedZone("x", 3600))}
	for i := 0; i < 20000; i++ {
		cases = append(cases, time.Unix(r.Int64N(300_000_000_000)-50_000_000_000, r.Int64N(1e9)))
	}
	for _, c := range cases {
		if got, want := isoTime(c), ref(c); got != want {
			t.Fatalf("isoTime(%v) = %q, want %q", c, got, want)
		}
	}
}
