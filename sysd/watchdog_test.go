package sysd

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func TestWatchdogInterval(t *testing.T) {
	const pid = 4242
	tests := []struct {
		name   string
		usec   string
		wdPID  string
		want   time.Duration
		wantOK bool
	}{
		{"unset", "", "", 0, false},
		{"30s as in WatchdogSec=30s", "30000000", "", 30 * time.Second, true},
		{"one microsecond", "1", "", time.Microsecond, true},
		{"pid matches", "5000000", "4242", 5 * time.Second, true},
		{"pid is another process", "5000000", "4243", 0, false},
		{"pid not a number", "5000000", "abc", 0, false},
		{"pid zero", "5000000", "0", 0, false},
		{"zero", "0", "", 0, false},
		{"negative", "-1", "", 0, false},
		{"not a number", "30s", "", 0, false},
		{"fractional", "1.5", "", 0, false},
		{"leading space", " 1000", "", 0, false},
		{"overflows int64", "99999999999999999999", "", 0, false},
		{"overflows duration", "9223372036854776", "", 0, false},
		{"largest duration", "9223372036854775", "", 9223372036854775 * time.Microsecond, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				switch k {
				case "WATCHDOG_USEC":
					return tc.usec
				case "WATCHDOG_PID":
					return tc.wdPID
				}
				return ""
			}
			got, ok := watchdogInterval(getenv, pid)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("watchdogInterval(%q, pid %q) = (%v, %v), want (%v, %v)",
					tc.usec, tc.wdPID, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestWatchdogIntervalUsesOwnPID(t *testing.T) {
	getenv := func(k string) string {
		return map[string]string{"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}[k]
	}
	// This test process is never pid 1, so the variables are not ours.
	if d, ok := WatchdogInterval(getenv); ok {
		t.Errorf("WatchdogInterval with WATCHDOG_PID=1 = (%v, true), want off", d)
	}
}

// watchdogSocket is a notify socket that counts WATCHDOG=1 pings.
type watchdogSocket struct {
	conn  *net.UnixConn
	pings atomic.Int64
	other atomic.Value // last non-watchdog message, if any
}

func newWatchdogSocket(t *testing.T) (*Notifier, *watchdogSocket) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wd.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &watchdogSocket{conn: conn}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			if msg := string(buf[:n]); msg == "WATCHDOG=1" {
				s.pings.Add(1)
			} else {
				s.other.Store(msg)
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return &Notifier{Socket: path}, s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

func TestRunWatchdogPingsOnlyWhileHealthy(t *testing.T) {
	const interval = 40 * time.Millisecond // pings every 20ms
	n, sock := newWatchdogSocket(t)

	var healthy atomic.Bool
	healthy.Store(true)
	var checks atomic.Int64
	check := func(ctx context.Context) error {
		checks.Add(1)
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("health check context has no deadline")
		}
		if !healthy.Load() {
			return errors.New("database unreachable")
		}
		return nil
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); RunWatchdog(ctx, n, interval, check) }()

	if !waitFor(2*time.Second, func() bool { return sock.pings.Load() >= 3 }) {
		t.Fatalf("healthy: %d pings after 2s, want >= 3", sock.pings.Load())
	}

	healthy.Store(false)
	// Let any ping already past its check land, then expect silence while
	// the checks keep running and failing.
	time.Sleep(interval)
	before, checksBefore := sock.pings.Load(), checks.Load()
	time.Sleep(5 * interval)
	if got := sock.pings.Load(); got != before {
		t.Errorf("unhealthy: pings went from %d to %d, want none", before, got)
	}
	if checks.Load() <= checksBefore {
		t.Error("unhealthy: health checks stopped running")
	}

	healthy.Store(true)
	if !waitFor(2*time.Second, func() bool { return sock.pings.Load() > before }) {
		t.Error("healthy again: pings did not resume")
	}

	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("RunWatchdog did not return after cancel")
	}
	if v := sock.other.Load(); v != nil {
		t.Errorf("unexpected non-watchdog message %q", v)
	}
}

func TestRunWatchdogReturnsAtOnce(t *testing.T) {
	enabled, _ := newWatchdogSocket(t)
	tests := []struct {
		name     string
		n        *Notifier
		interval time.Duration
	}{
		{"no socket", &Notifier{}, time.Second},
		{"nil notifier", nil, time.Second},
		{"zero interval", enabled, 0},
		{"negative interval", enabled, -time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				RunWatchdog(context.Background(), tc.n, tc.interval, nil)
			}()
			select {
			case <-done:
			case <-time.After(2 * time.Second):
				t.Fatal("RunWatchdog blocked; want immediate return")
			}
		})
	}
}

func TestRunWatchdogHungCheckIsUnhealthy(t *testing.T) {
	n, sock := newWatchdogSocket(t)
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	RunWatchdog(ctx, n, 40*time.Millisecond, hang)
	if got := sock.pings.Load(); got != 0 {
		t.Errorf("hanging health check: %d pings, want 0", got)
	}
}

func TestRunWatchdogNilCheckPings(t *testing.T) {
	n, sock := newWatchdogSocket(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); RunWatchdog(ctx, n, 40*time.Millisecond, nil) }()
	ok := waitFor(2*time.Second, func() bool { return sock.pings.Load() >= 2 })
	cancel()
	<-done
	if !ok {
		t.Errorf("nil check: %d pings, want >= 2", sock.pings.Load())
	}
}
