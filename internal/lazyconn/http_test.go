package lazyconn

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// counting is a listener whose connections count the deadline changes that
// reach the socket.
type counting struct {
	net.Listener
	calls *atomic.Int64
}

func (l counting) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.calls}, nil
}

type countingConn struct {
	net.Conn
	calls *atomic.Int64
}

func (c countingConn) SetReadDeadline(t time.Time) error {
	c.calls.Add(1)
	return c.Conn.SetReadDeadline(t)
}

func (c countingConn) SetWriteDeadline(t time.Time) error {
	c.calls.Add(1)
	return c.Conn.SetWriteDeadline(t)
}

// serve starts an http.Server with the given timeouts on a loopback
// listener, wrapped by Wrap when lazy; it returns the address.
func serve(t *testing.T, lazy bool, calls *atomic.Int64, hdr, write, idle time.Duration, h http.HandlerFunc) string {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener = raw
	if calls != nil {
		ln = counting{ln, calls}
	}
	if lazy {
		ln = Wrap(ln, time.Now)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: hdr, ReadTimeout: hdr, WriteTimeout: write, IdleTimeout: idle}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return raw.Addr().String()
}

func ok(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }

// get sends one keep-alive GET on c and reads the answer's body.
func get(c net.Conn, br *bufio.Reader) (string, error) {
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return "", err
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// TestHTTP_DeadlineCallsPerRequest is why the package exists: with the
// product's four timeouts, net/http moves a keep-alive connection's
// deadlines five times a request; through Wrap at most two of those reach
// the socket.
func TestHTTP_DeadlineCallsPerRequest(t *testing.T) {
	const requests = 200
	for _, tc := range []struct {
		lazy    bool
		atLeast float64
		atMost  float64
	}{{false, 5, 100}, {true, 0, 2}} {
		t.Run(fmt.Sprintf("lazy=%v", tc.lazy), func(t *testing.T) {
			var calls atomic.Int64
			addr := serve(t, tc.lazy, &calls, 15*time.Second, 30*time.Second, 2*time.Minute, ok)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			if _, err := get(c, br); err != nil { // the connection's first deadlines
				t.Fatal(err)
			}
			before := calls.Load()
			for i := range requests {
				if body, err := get(c, br); err != nil || body != "ok" {
					t.Fatalf("request %d: %q, %v", i, body, err)
				}
			}
			per := float64(calls.Load()-before) / requests
			if per < tc.atLeast || per > tc.atMost {
				t.Fatalf("%.2f socket deadline changes a request; want %v to %v", per, tc.atLeast, tc.atMost)
			}
		})
	}
}

// TestHTTP_TimeoutsStillHold: the server's timeouts behave through Wrap as
// they do without it. Each case runs against both.
func TestHTTP_TimeoutsStillHold(t *testing.T) {
	const hdr, write, idle = 200 * time.Millisecond, 400 * time.Millisecond, 2 * time.Second
	slow := func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * write)
		io.WriteString(w, "late")
	}
	cases := []struct {
		name string
		h    http.HandlerFunc
		run  func(t *testing.T, c net.Conn, br *bufio.Reader, dialed time.Time)
	}{
		{"keep-alive requests spanning many header timeouts", ok, func(t *testing.T, c net.Conn, br *bufio.Reader, dialed time.Time) {
			for i := range 8 {
				if body, err := get(c, br); err != nil || body != "ok" {
					t.Fatalf("request %d: %q, %v", i, body, err)
				}
				time.Sleep(hdr / 2) // idle, shorter than every timeout
			}
		}},
		{"idle longer than the header timeout, shorter than the idle one", ok, func(t *testing.T, c net.Conn, br *bufio.Reader, dialed time.Time) {
			if _, err := get(c, br); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * hdr)
			if body, err := get(c, br); err != nil || body != "ok" {
				t.Fatalf("after %v idle: %q, %v", 2*hdr, body, err)
			}
		}},
		{"idle past the idle timeout: closed", ok, func(t *testing.T, c net.Conn, br *bufio.Reader, dialed time.Time) {
			if _, err := get(c, br); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			c.SetReadDeadline(start.Add(10 * idle))
			if _, err := br.ReadByte(); err != io.EOF {
				t.Fatalf("idle connection: %v; want EOF", err)
			}
			if d := time.Since(start); d < idle {
				t.Fatalf("closed after %v idle, before the idle timeout", d)
			}
		}},
		{"headers never finish (slowloris): closed", ok, func(t *testing.T, c net.Conn, br *bufio.Reader, dialed time.Time) {
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n")
			c.SetReadDeadline(dialed.Add(10 * idle))
			b, err := io.ReadAll(br)
			if err != nil {
				t.Fatalf("slow headers: %v; want the server to close", err)
			}
			// The first request's header timeout runs from the accept.
			if d := time.Since(dialed); d < hdr {
				t.Fatalf("closed %v after the dial, before the header timeout", d)
			}
			if len(b) > 0 && !strings.Contains(string(b), "408") {
				t.Fatalf("slow headers answered %q", b)
			}
		}},
		{"handler past the write timeout: no answer", slow, func(t *testing.T, c net.Conn, br *bufio.Reader, dialed time.Time) {
			c.SetReadDeadline(time.Now().Add(10 * idle))
			if body, err := get(c, br); err == nil {
				t.Fatalf("a handler past the write timeout answered %q", body)
			}
		}},
	}
	for _, tc := range cases {
		for _, lazy := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/lazy=%v", tc.name, lazy), func(t *testing.T) {
				t.Parallel()
				addr := serve(t, lazy, nil, hdr, write, idle, tc.h)
				dialed := time.Now() // before the server can accept
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				tc.run(t, c, bufio.NewReader(c), dialed)
			})
		}
	}
}
