//go:build unix

package pgsql

import (
	"errors"
	"net"
	"syscall"
)

// liveness finds out, without blocking, whether the server has closed an
// idle connection: pg_terminate_backend, a restart or a failover leave a
// FATAL error and the end of the stream in the socket, and the pool
// should replace that connection before it sends a statement on it rather
// than fail the statement. It is one non-blocking read(2); the raw
// connection and the callback are made once per connection, so a check
// does not allocate.
//
// The read runs under RawConn.Control, not RawConn.Read: Read waits for
// the descriptor's read lock, which pgconn's background reader may hold
// on an idle connection (it is started when a write is slow and keeps
// waiting in its last read after it is stopped), so it would block until
// the server sends something. Control takes no lock; the socket is
// non-blocking, so an idle connection answers EAGAIN at once, and a byte
// taken from under the background reader belongs to a connection that is
// dropped anyway.
type liveness struct {
	rc  syscall.RawConn
	fn  func(fd uintptr)
	err error
	buf [1]byte
}

// dead reports whether nc (pgconn's socket, TLS or not) is readable: at
// end of stream, in error, or holding bytes an idle connection should not
// have (it is then dropped all the same: the byte read is lost to it).
// It may miss a hang-up whose bytes the background reader took first; the
// statement then fails as it would without the check.
func (l *liveness) dead(nc net.Conn) bool {
	if l.rc == nil {
		if t, ok := nc.(interface{ NetConn() net.Conn }); ok {
			nc = t.NetConn()
		}
		sc, ok := nc.(syscall.Conn)
		if !ok {
			return false
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return false
		}
		l.rc, l.fn = rc, l.read
	}
	l.err = nil
	if err := l.rc.Control(l.fn); err != nil {
		return true
	}
	return !errors.Is(l.err, syscall.EAGAIN)
}

// read is the check's one attempt. A read of 0 bytes without an error is
// the end of the stream; a byte read is unexpected data: both dead.
func (l *liveness) read(fd uintptr) {
	_, l.err = syscall.Read(int(fd), l.buf[:])
}
