package sysd_test

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"

	"notechondria-auth/sysd"
)

// Example shows how serve wires the notifier: READY=1 once migrations have
// run and the listener is open, a watchdog fed by a database ping, and
// STOPPING=1 when shutdown begins. Outside systemd every call is a no-op.
func Example() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()

	var db *sql.DB // opened and migrated by db.Open before this point
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()

	n := sysd.FromEnv(os.Getenv)
	// go srv.Serve(ln) ...
	if _, err := n.Ready(); err != nil {
		fmt.Println("notify:", err) // log and carry on; systemd will time the start out
	}
	_, _ = n.Status("serving on " + ln.Addr().String())

	if interval, ok := sysd.WatchdogInterval(os.Getenv); ok {
		go sysd.RunWatchdog(ctx, n, interval, func(ctx context.Context) error {
			return db.PingContext(ctx)
		})
	}

	// <-signal received ...
	_, _ = n.Stopping()
	// srv.Shutdown(...)
}
