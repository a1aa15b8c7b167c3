package api

import (
	"testing"
	"time"
)

// TestServer_Core_MonotonicClockTest: New measures durations with
// time.Since exactly when the core's clock reads the real clock, told by
// the monotonic reading that only time.Now's results carry.
func TestServer_Core_MonotonicClockTest(t *testing.T) {
	if now := time.Now(); now == now.Round(0) {
		t.Fatal("time.Now without a monotonic reading")
	}
	if fake := time.Date(2026, 4, 23, 3, 32, 23, 123456000, time.UTC); fake != fake.Round(0) {
		t.Fatal("a constructed time with a monotonic reading")
	}
	if later := time.Now().Add(time.Hour); later == later.Round(0) {
		t.Fatal("Add dropped the monotonic reading")
	}
}
