package sysd

import (
	"context"
	"os"
	"strconv"
	"time"
)

// WatchdogInterval reports the watchdog timeout systemd expects this process
// to honour (WatchdogSec= in the unit), read from WATCHDOG_USEC via getenv.
// ok is false when the watchdog is off: WATCHDOG_USEC unset, not a positive
// integer, or WATCHDOG_PID set to a process other than this one (the
// variables were inherited by a child and are not meant for it), or
// WATCHDOG_PID is not a valid pid. The rules follow sd_watchdog_enabled(3).
func WatchdogInterval(getenv func(string) string) (time.Duration, bool) {
	return watchdogInterval(getenv, os.Getpid())
}

// watchdogInterval is WatchdogInterval with the pid injected for tests.
func watchdogInterval(getenv func(string) string, pid int) (time.Duration, bool) {
	s := getenv("WATCHDOG_USEC")
	if s == "" {
		return 0, false
	}
	usec, err := strconv.ParseInt(s, 10, 64)
	// The upper bound keeps the conversion to nanoseconds from overflowing.
	if err != nil || usec <= 0 || usec > int64(time.Duration(1<<63-1)/time.Microsecond) {
		return 0, false
	}
	if p := getenv("WATCHDOG_PID"); p != "" {
		want, err := strconv.Atoi(p)
		if err != nil || want <= 0 || want != pid {
			return 0, false
		}
	}
	return time.Duration(usec) * time.Microsecond, true
}

// RunWatchdog keeps systemd's watchdog fed for as long as the service is
// healthy, and blocks until ctx is done.
//
// Every interval/2 (as sd_watchdog_enabled(3) recommends) it calls healthy
// with a context bounded by that same half interval and sends WATCHDOG=1
// only when healthy returns nil. A service whose check keeps failing or
// hanging therefore stops pinging, and systemd restarts it once interval
// passes without a ping. healthy should be cheap (for example a database
// ping) and is the place to log why a check failed. A nil healthy counts
// as always healthy.
//
// RunWatchdog returns at once when n is disabled or interval is not
// positive. Send errors are ignored: a missed ping is exactly what the
// watchdog exists to notice.
func RunWatchdog(ctx context.Context, n *Notifier, interval time.Duration, healthy func(context.Context) error) {
	if !n.Enabled() || interval <= 0 {
		return
	}
	period := interval / 2
	if period <= 0 {
		period = interval
	}
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		if check(ctx, period, healthy) {
			_, _ = n.Watchdog()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// check runs one bounded health check and reports whether it passed.
func check(ctx context.Context, limit time.Duration, healthy func(context.Context) error) bool {
	if ctx.Err() != nil {
		return false
	}
	if healthy == nil {
		return true
	}
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	return healthy(cctx) == nil
}
