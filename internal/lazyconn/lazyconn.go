// Package lazyconn wraps a net.Listener so that the deadlines net/http sets
// on every request cost almost nothing when they only move later.
//
// An http.Server with read, write and idle timeouts moves a connection's
// deadlines four or five times a request (header read, whole request, write,
// write cleared, idle). Each move is a runtime timer update under the poll
// descriptor's lock; on a keep-alive connection answering small requests
// that is a measurable share of the server's CPU (bench/verify-gap.sh).
//
// A Conn keeps the deadline it was asked for (want) apart from the one set
// on the socket (armed), which is never later than want. A deadline that
// moves earlier, the first one, or any after a deadline in the past is armed
// at once, so a deadline in the past still interrupts a blocked Read
// (net/http's abortPendingRead relies on that). One that moves later, or is
// cleared, is only remembered: the armed one fires first, the Read or Write
// sees that the deadline it was asked for has not passed, arms that one and
// goes on. A timeout therefore reaches the caller exactly when it asked for
// it, never earlier, and a busy keep-alive connection sets its socket's
// deadline twice a request (net/http's abort of its background read, then
// the last remembered deadline) instead of five times, and reads no clock of
// its own for it (each socket deadline reads the clock once more; a reading
// costs about 140 ns on the benchmark VM).
package lazyconn

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// Listener is a net.Listener whose accepted connections are Conns.
type Listener struct {
	net.Listener
	now   func() time.Time
	epoch time.Time
}

// Wrap returns ln with lazy deadlines on every accepted connection. now is
// the clock the deadlines are measured against: time.Now outside tests,
// since the runtime's poller fires deadlines on the real clock.
func Wrap(ln net.Listener, now func() time.Time) *Listener {
	return &Listener{Listener: ln, now: now, epoch: now()}
}

// Accept waits for the next connection and wraps it.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: c, now: l.now, epoch: l.epoch}, nil
}

// Conn is a net.Conn with lazy deadlines (see the package doc).
type Conn struct {
	net.Conn
	now   func() time.Time
	epoch time.Time // before it, a deadline is past without reading the clock
	read  side
	write side
}

// side is the deadline state of one direction.
type side struct {
	mu     sync.Mutex
	want   time.Time // asked for by the caller; zero: none
	armed  time.Time // set on the socket, never after want; zero: none
	dead   bool      // armed had passed when it was set: every call fails
	recent time.Time // the last deadline that was only remembered
}

// sock sets the deadline of one direction on the socket.
func (c *Conn) sock(s *side, t time.Time) error {
	if s == &c.read {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

// set records d as wanted and arms it when the socket's deadline could
// otherwise fire after d (or the socket is dead).
func (c *Conn) set(s *side, d time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.want = d
	switch {
	case d.IsZero():
		if !s.dead {
			return nil
		}
		// net/http clears the deadline after aborting its background
		// read and then sets later ones: arming the last remembered
		// deadline lets those stay lazy. Any deadline is allowed when
		// none is wanted; one already past costs a retry, no more.
		return c.arm(s, s.recent, false)
	case !s.dead && !s.armed.IsZero() && !d.Before(s.armed):
		s.recent = d
		return nil
	}
	// net/http's abort uses a deadline long past (1970): no clock needed.
	return c.arm(s, d, d.Before(c.epoch) || !d.After(c.now()))
}

// arm sets at on the socket. s.mu is held.
func (c *Conn) arm(s *side, at time.Time, dead bool) error {
	if err := c.sock(s, at); err != nil {
		return err
	}
	s.armed, s.dead = at, dead
	return nil
}

// expired reports whether a timeout seen on the socket is the caller's
// deadline passing. If it is not (the armed deadline was an earlier one),
// it arms the wanted one so the call can be retried.
func (c *Conn) expired(s *side) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.want.IsZero() && !c.now().Before(s.want) {
		return true, nil
	}
	if err := c.arm(s, s.want, false); err != nil {
		return true, err
	}
	return false, nil
}

// Read reads from the connection; a timeout of a deadline the caller has
// moved later is retried.
func (c *Conn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		if done, aerr := c.expired(&c.read); done || aerr != nil {
			return n, firstErr(aerr, err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// Write writes p to the connection; after a timeout of a deadline the
// caller has moved later it writes the rest.
func (c *Conn) Write(p []byte) (int, error) {
	written := 0
	for {
		n, err := c.Conn.Write(p[written:])
		written += n
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return written, err
		}
		if done, aerr := c.expired(&c.write); done || aerr != nil {
			return written, firstErr(aerr, err)
		}
		if written == len(p) {
			return written, nil
		}
	}
}

// firstErr is a if it is not nil, else b. The timeout is returned as the
// socket gave it: net/http tells its own aborts by the net.Error type.
func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// SetReadDeadline sets the read deadline (see the package doc).
func (c *Conn) SetReadDeadline(d time.Time) error { return c.set(&c.read, d) }

// SetWriteDeadline sets the write deadline (see the package doc).
func (c *Conn) SetWriteDeadline(d time.Time) error { return c.set(&c.write, d) }

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(d time.Time) error {
	return errors.Join(c.SetReadDeadline(d), c.SetWriteDeadline(d))
}

// CloseWrite shuts down the writing side when the connection supports it
// (net/http uses it to close a connection gracefully).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
