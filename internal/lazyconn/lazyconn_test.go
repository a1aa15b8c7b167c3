package lazyconn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pair is a real loopback TCP connection: the server side wrapped, the
// client side plain.
func pair(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	wl := Wrap(ln, time.Now)
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() { c, err := wl.Accept(); ch <- res{c, err} }()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	server := r.c.(*Conn)
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// isTimeout reports whether err is what net/http expects of a deadline:
// os.ErrDeadlineExceeded, as a net.Error whose Timeout is true.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

// TestConn_Deadlines: each way a read deadline can move, against a real
// socket. The timeout reaches the caller when the deadline it asked for
// passes, never when an earlier, since moved one does.
func TestConn_Deadlines(t *testing.T) {
	const short, long = 60 * time.Millisecond, 3 * time.Second
	cases := []struct {
		name     string
		set      func(c *Conn, now time.Time)
		dataAt   time.Duration // the peer writes a byte then; 0: never
		wantData bool
		minWait  time.Duration // a timeout must not come sooner
	}{
		{"one deadline passes", func(c *Conn, now time.Time) { c.SetReadDeadline(now.Add(short)) }, 0, false, short},
		{"moved later: the earlier one does not fire", func(c *Conn, now time.Time) {
			c.SetReadDeadline(now.Add(short))
			c.SetReadDeadline(now.Add(long))
		}, 3 * short, true, 0},
		{"moved later, then passes", func(c *Conn, now time.Time) {
			c.SetReadDeadline(now.Add(short))
			c.SetReadDeadline(now.Add(3 * short))
		}, 0, false, 3 * short},
		{"cleared: blocks past the old deadline", func(c *Conn, now time.Time) {
			c.SetReadDeadline(now.Add(short))
			c.SetReadDeadline(time.Time{})
		}, 3 * short, true, 0},
		{"moved earlier: fires at the earlier one", func(c *Conn, now time.Time) {
			c.SetReadDeadline(now.Add(long))
			c.SetReadDeadline(now.Add(short))
		}, 0, false, short},
		{"in the past, then cleared: reads again", func(c *Conn, now time.Time) {
			c.SetReadDeadline(time.Unix(1, 0))
			c.SetReadDeadline(time.Time{})
		}, short, true, 0},
		{"in the past, then later: reads again", func(c *Conn, now time.Time) {
			c.SetReadDeadline(time.Unix(1, 0))
			c.SetReadDeadline(now.Add(long))
		}, short, true, 0},
		{"SetDeadline sets the read side", func(c *Conn, now time.Time) { c.SetDeadline(now.Add(short)) }, 0, false, short},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server, client := pair(t)
			start := time.Now()
			tc.set(server, start)
			if tc.dataAt > 0 {
				time.AfterFunc(tc.dataAt, func() { client.Write([]byte{'x'}) })
			}
			buf := make([]byte, 1)
			n, err := server.Read(buf)
			waited := time.Since(start)
			if tc.wantData {
				if err != nil || n != 1 || buf[0] != 'x' {
					t.Fatalf("Read = %d, %v after %v; want the byte", n, err, waited)
				}
				if waited < tc.dataAt {
					t.Fatalf("read after %v, before the byte was sent at %v", waited, tc.dataAt)
				}
				return
			}
			if !isTimeout(err) {
				t.Fatalf("Read = %d, %v; want a timeout", n, err)
			}
			if waited < tc.minWait {
				t.Fatalf("timed out after %v, before the deadline (%v)", waited, tc.minWait)
			}
		})
	}
}

// TestConn_PastDeadlineInterruptsBlockedRead is net/http's
// abortPendingRead: a Read blocked with no deadline, a deadline in the past
// set from another goroutine, the Read returns a timeout at once; a cleared
// deadline after it lets the next Read block and get data.
func TestConn_PastDeadlineInterruptsBlockedRead(t *testing.T) {
	server, client := pair(t)
	for round := range 50 { // the abort happens once per request
		server.SetReadDeadline(time.Now().Add(time.Hour)) // a far one armed, as between requests
		server.SetReadDeadline(time.Time{})
		errc := make(chan error, 1)
		go func() { _, err := server.Read(make([]byte, 1)); errc <- err }()
		time.Sleep(time.Millisecond)
		start := time.Now()
		server.SetReadDeadline(time.Unix(1, 0))
		select {
		case err := <-errc:
			if !isTimeout(err) {
				t.Fatalf("round %d: interrupted Read = %v; want a timeout", round, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: a deadline in the past did not interrupt the Read", round)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("round %d: interrupt took %v", round, d)
		}
		server.SetReadDeadline(time.Time{})
		go client.Write([]byte{byte(round)})
		buf := make([]byte, 1)
		if n, err := server.Read(buf); n != 1 || err != nil || buf[0] != byte(round) {
			t.Fatalf("round %d: Read after the abort = %d, %v", round, n, err)
		}
	}
}

// TestConn_WriteDeadlineMovedLaterWritesEverything: a write blocked on a
// peer that reads slowly, past an earlier write deadline that was moved
// later, writes every byte in order.
func TestConn_WriteDeadlineMovedLaterWritesEverything(t *testing.T) {
	server, client := pair(t)
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB: more than the socket buffers
	start := time.Now()
	server.SetWriteDeadline(start.Add(50 * time.Millisecond))
	server.SetWriteDeadline(start.Add(10 * time.Second))
	got := make(chan []byte, 1)
	go func() {
		time.Sleep(200 * time.Millisecond) // past the first deadline before reading at all
		b, _ := io.ReadAll(io.LimitReader(client, int64(len(payload))))
		got <- b
	}()
	n, err := server.Write(payload)
	if err != nil || n != len(payload) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(payload))
	}
	if b := <-got; !bytes.Equal(b, payload) {
		t.Fatalf("peer read %d bytes, not the payload", len(b))
	}
}

// TestConn_WriteDeadlinePasses: a peer that never reads; the write times
// out, not before its deadline, and reports how much it wrote.
func TestConn_WriteDeadlinePasses(t *testing.T) {
	server, _ := pair(t)
	payload := make([]byte, 64<<20)
	start := time.Now()
	server.SetWriteDeadline(start.Add(30 * time.Millisecond))
	server.SetWriteDeadline(start.Add(150 * time.Millisecond))
	n, err := server.Write(payload)
	if !isTimeout(err) {
		t.Fatalf("Write = %d, %v; want a timeout", n, err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Fatalf("write timed out after %v, before its deadline", waited)
	}
	if n <= 0 || n >= len(payload) {
		t.Fatalf("Write reported %d bytes written; want some, not all", n)
	}
}

// TestConn_ConcurrentDeadlinesAndReads races deadline moves (earlier,
// later, cleared, in the past) from one goroutine against reads in another,
// as net/http's background read does; run with -race. Every byte sent
// arrives, and no Read fails other than by a timeout.
func TestConn_ConcurrentDeadlinesAndReads(t *testing.T) {
	server, client := pair(t)
	const total = 2000
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			switch i % 4 {
			case 0:
				server.SetReadDeadline(time.Now().Add(time.Millisecond))
			case 1:
				server.SetReadDeadline(time.Now().Add(time.Hour))
			case 2:
				server.SetReadDeadline(time.Time{})
			case 3:
				server.SetReadDeadline(time.Unix(1, 0))
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := range total {
			client.Write([]byte{byte(i)})
		}
	}()
	got := 0
	buf := make([]byte, 64)
	for got < total {
		n, err := server.Read(buf)
		for _, b := range buf[:n] {
			if b != byte(got) {
				t.Fatalf("byte %d is %d", got, b)
			}
			got++
		}
		if err != nil && !isTimeout(err) {
			t.Fatalf("Read: %v", err)
		}
	}
	stop.Store(true)
	wg.Wait()
}

// TestListener_AcceptErrorPassesThrough: a closed listener's error reaches
// the caller (http.Server.Serve returns on it).
func TestListener_AcceptErrorPassesThrough(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wl := Wrap(ln, time.Now)
	ln.Close()
	if c, err := wl.Accept(); c != nil || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept on a closed listener = %v, %v", c, err)
	}
}

// TestConn_CloseWrite: the peer sees EOF after CloseWrite, and the reading
// side still works (net/http's graceful close).
func TestConn_CloseWrite(t *testing.T) {
	server, client := pair(t)
	if err := server.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(client); err != nil || len(b) != 0 {
		t.Fatalf("peer read %q, %v; want EOF", b, err)
	}
	client.Write([]byte{'y'})
	buf := make([]byte, 1)
	if n, err := server.Read(buf); n != 1 || err != nil {
		t.Fatalf("Read after CloseWrite = %d, %v", n, err)
	}
}
