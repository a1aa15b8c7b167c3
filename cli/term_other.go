//go:build !linux

package cli

import (
	"errors"
	"os"
)

// isTerminal reports whether f is a terminal (a character device).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// echoOff cannot stop the echo on this system without golang.org/x/term;
// the prompt then says the typing is visible.
func echoOff(*os.File) (restore func(), err error) {
	return nil, errors.New("cannot turn the terminal's echo off on this system")
}
