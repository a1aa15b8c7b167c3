package sysd_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"notechondria-auth/sysd"
)

// listen opens a unixgram socket standing in for systemd's notify socket.
// name is either a file name inside a fresh temporary directory or, when it
// starts with '@', an abstract socket name.
func listen(t *testing.T, name string) (addr string, conn *net.UnixConn) {
	t.Helper()
	addr = name
	if addr[0] != '@' {
		addr = filepath.Join(t.TempDir(), name)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen %q: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return addr, conn
}

// recv reads one datagram, or reports ok=false if none arrives within wait.
func recv(t *testing.T, conn *net.UnixConn, wait time.Duration) (msg string, ok bool) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatalf("set deadline: %v", err)
	}
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "", false
	}
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(buf[:n]), true
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestNotifierSendsMessages(t *testing.T) {
	abstract := fmt.Sprintf("@notechondria-sysd-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	tests := []struct {
		name   string
		socket string // file name in a temp dir, or an abstract '@' name
		send   func(n *sysd.Notifier) (bool, error)
		want   string
	}{
		{"ready", "n.sock", (*sysd.Notifier).Ready, "READY=1"},
		{"stopping", "n.sock", (*sysd.Notifier).Stopping, "STOPPING=1"},
		{"watchdog", "n.sock", (*sysd.Notifier).Watchdog, "WATCHDOG=1"},
		{"status", "n.sock", func(n *sysd.Notifier) (bool, error) { return n.Status("serving on 127.0.0.1:8080") }, "STATUS=serving on 127.0.0.1:8080"},
		{"status newline flattened", "n.sock", func(n *sysd.Notifier) (bool, error) { return n.Status("a\nREADY=1") }, "STATUS=a READY=1"},
		{"raw multi-line", "n.sock", func(n *sysd.Notifier) (bool, error) { return n.Notify("READY=1\nSTATUS=up") }, "READY=1\nSTATUS=up"},
		{"abstract socket", abstract, (*sysd.Notifier).Ready, "READY=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, conn := listen(t, tc.socket)
			n := sysd.FromEnv(env(map[string]string{"NOTIFY_SOCKET": addr}))
			if !n.Enabled() {
				t.Fatalf("Enabled() = false with NOTIFY_SOCKET=%q", addr)
			}
			sent, err := tc.send(n)
			if err != nil || !sent {
				t.Fatalf("send = (%v, %v), want (true, nil)", sent, err)
			}
			got, ok := recv(t, conn, 2*time.Second)
			if !ok {
				t.Fatal("no datagram received")
			}
			if got != tc.want {
				t.Errorf("received %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNotifierDisabledIsNoop(t *testing.T) {
	tests := []struct {
		name string
		n    *sysd.Notifier
	}{
		{"unset env", sysd.FromEnv(env(nil))},
		{"zero value", &sysd.Notifier{}},
		{"nil pointer", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.n.Enabled() {
				t.Error("Enabled() = true, want false")
			}
			for _, send := range []func(*sysd.Notifier) (bool, error){
				(*sysd.Notifier).Ready, (*sysd.Notifier).Stopping, (*sysd.Notifier).Watchdog,
			} {
				sent, err := send(tc.n)
				if sent || err != nil {
					t.Errorf("send = (%v, %v), want (false, nil)", sent, err)
				}
			}
		})
	}
}

func TestNotifierErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nobody-listens.sock")
	tests := []struct {
		name   string
		socket string
		state  string
	}{
		{"relative path", "run/notify", "READY=1"},
		{"vsock address", "vsock:2:1234", "READY=1"},
		{"socket file missing", missing, "READY=1"},
		{"empty state", missing, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &sysd.Notifier{Socket: tc.socket}
			sent, err := n.Notify(tc.state)
			if err == nil || sent {
				t.Errorf("Notify = (%v, %v), want (false, error)", sent, err)
			}
		})
	}
}
