// Package sysd speaks the two halves of systemd's service protocol that a
// Type=notify unit needs: sd_notify(3) datagrams (READY=1, STOPPING=1,
// STATUS=..., WATCHDOG=1) and the watchdog interval from WATCHDOG_USEC.
//
// It holds no package state: the socket address is read once from the
// environment by FromEnv and carried in a Notifier value, so tests (and a
// process that wants to ignore systemd) simply build their own. Outside
// systemd NOTIFY_SOCKET is unset and every call is a cheap no-op, so callers
// never need to ask "am I under systemd?" before notifying.
package sysd

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// writeTimeout bounds one notification. A datagram to a live systemd is
// accepted at once; the bound only matters if the receiver has stopped
// reading, and then a late notification is worth less than a prompt
// shutdown.
const writeTimeout = 2 * time.Second

// Notifier sends sd_notify(3) messages to the socket named in Socket.
// The zero value (and a nil *Notifier) is a valid notifier that sends nothing.
type Notifier struct {
	// Socket is the NOTIFY_SOCKET address: an absolute filesystem path, or
	// an abstract socket name written with a leading '@'. Empty disables
	// notification.
	Socket string
}

// FromEnv builds a Notifier from NOTIFY_SOCKET as returned by getenv
// (normally os.Getenv). It never fails: an unset variable gives a Notifier
// whose methods are no-ops, and an unusable address is reported by the
// first send instead, so the service still runs outside systemd.
func FromEnv(getenv func(string) string) *Notifier {
	return &Notifier{Socket: getenv("NOTIFY_SOCKET")}
}

// Enabled reports whether n has a socket to send to.
func (n *Notifier) Enabled() bool {
	return n != nil && n.Socket != ""
}

// Notify sends state, one or more newline-separated VAR=value assignments
// as described in sd_notify(3), in a single datagram.
//
// It returns sent=false, err=nil when notification is disabled (no socket).
// It returns an error when the address is neither an absolute path nor an
// abstract '@' name (vsock and other forms are not supported), when state is
// empty, or when the socket cannot be reached or written within two seconds.
func (n *Notifier) Notify(state string) (sent bool, err error) {
	if !n.Enabled() {
		return false, nil
	}
	if state == "" {
		return false, errors.New("sysd: empty notification")
	}
	if !strings.HasPrefix(n.Socket, "/") && !strings.HasPrefix(n.Socket, "@") {
		return false, fmt.Errorf("sysd: unsupported NOTIFY_SOCKET address %q", n.Socket)
	}
	// The net package maps a leading '@' to Linux's abstract namespace.
	addr := &net.UnixAddr{Name: n.Socket, Net: "unixgram"}
	conn, err := net.DialUnix("unixgram", nil, addr)
	if err != nil {
		return false, fmt.Errorf("sysd: dial notify socket: %w", err)
	}
	defer conn.Close()
	if err := conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return false, fmt.Errorf("sysd: set deadline: %w", err)
	}
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sysd: write notification: %w", err)
	}
	return true, nil
}

// Ready tells systemd that start-up is finished (READY=1): call it after
// migrations have run and the listener is accepting connections. With
// Type=notify, units ordered after this one start only then. Errors are
// those of Notify.
func (n *Notifier) Ready() (bool, error) {
	return n.Notify("READY=1")
}

// Stopping tells systemd that shutdown has begun (STOPPING=1), so the unit
// shows "deactivating" while connections drain. Errors are those of Notify.
func (n *Notifier) Stopping() (bool, error) {
	return n.Notify("STOPPING=1")
}

// Status sets the free-form status line shown by `systemctl status`
// (STATUS=s). Newlines in s are replaced by spaces, since a newline would
// start a new assignment. Errors are those of Notify.
func (n *Notifier) Status(s string) (bool, error) {
	return n.Notify("STATUS=" + strings.ReplaceAll(s, "\n", " "))
}

// Watchdog sends one keep-alive ping (WATCHDOG=1). Prefer RunWatchdog,
// which pings only while the service is healthy. Errors are those of Notify.
func (n *Notifier) Watchdog() (bool, error) {
	return n.Notify("WATCHDOG=1")
}
