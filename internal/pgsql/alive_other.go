//go:build !unix

package pgsql

import "net"

// liveness is the socket check of unix systems; elsewhere a dropped
// connection is found by the ping after a second idle, or by the
// statement that fails on it.
type liveness struct{}

func (*liveness) dead(net.Conn) bool { return false }
