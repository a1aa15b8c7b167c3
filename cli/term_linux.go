//go:build linux

package cli

import (
	"os"
	"syscall"
	"unsafe"
)

// Terminal control through the standard library alone (golang.org/x/term
// is not a dependency of this module).

func tcget(fd uintptr) (*syscall.Termios, error) {
	var t syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&t))); e != 0 {
		return nil, e
	}
	return &t, nil
}

func tcset(fd uintptr, t *syscall.Termios) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCSETS, uintptr(unsafe.Pointer(t))); e != 0 {
		return e
	}
	return nil
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := tcget(f.Fd())
	return err == nil
}

// echoOff stops f echoing what is typed (lines are still read whole);
// restore puts the previous mode back.
func echoOff(f *os.File) (restore func(), err error) {
	old, err := tcget(f.Fd())
	if err != nil {
		return nil, err
	}
	quiet := *old
	quiet.Lflag &^= syscall.ECHO
	quiet.Lflag |= syscall.ICANON
	if err := tcset(f.Fd(), &quiet); err != nil {
		return nil, err
	}
	return func() { tcset(f.Fd(), old) }, nil
}
