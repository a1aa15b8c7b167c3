//go:build linux

package cli

import (
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"notechondria-auth/password"
)

// openPTY returns the two ends of a new pseudo-terminal, or skips.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlockpt: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("ptsname: %v", e)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the terminal end: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// On a terminal, user set-password prompts twice with the echo off, and
// puts the echo back.
func TestUserPassword_TerminalPrompt(t *testing.T) {
	for _, c := range []struct {
		name          string
		first, second string
		err           string
	}{
		{"typed twice", "Typed1pw", "Typed1pw", ""},
		{"differ", "Typed1pw", "Typed2pw", "user set-password: the two passwords differ"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := newDB(t)
			master, tty := openPTY(t)
			if !isTerminal(tty) {
				t.Fatal("isTerminal(pty) = false")
			}
			var out, errOut syncBuffer
			done := make(chan error, 1)
			go func() {
				done <- Run(context.Background(), Env{Args: []string{"user", "set-password", "--db", path, "--user", "alice"},
					Getenv: func(string) string { return "" }, Stdin: tty, Stdout: &out, Stderr: &errOut})
			}()
			// Type each line once its prompt shows (the echo is off by then).
			for _, step := range []struct{ prompt, line string }{{"Password: ", c.first}, {"Repeat the password: ", c.second}} {
				deadline := time.Now().Add(10 * time.Second)
				for !strings.HasSuffix(errOut.String(), step.prompt) {
					if time.Now().After(deadline) {
						t.Fatalf("no prompt %q; stderr %q", step.prompt, errOut.String())
					}
					time.Sleep(5 * time.Millisecond)
				}
				io.WriteString(master, step.line+"\n")
			}
			err := <-done
			if c.err != "" {
				if err == nil || err.Error() != c.err || ExitCode(err) != 2 {
					t.Fatalf("err %v, want %q", err, c.err)
				}
			} else if err != nil {
				t.Fatalf("set-password: %v", err)
			}
			st, terr := tcget(tty.Fd())
			if terr != nil || st.Lflag&syscall.ECHO == 0 {
				t.Fatalf("echo not restored (%v)", terr)
			}
			tty.Close()
			echoed, _ := io.ReadAll(master) // EIO once drained
			if strings.Contains(string(echoed), "Typed") {
				t.Fatalf("the terminal echoed the password: %q", echoed)
			}
			if c.err != "" {
				return
			}
			u := userByEmail(t, path, "alice@example.com")
			if ok, _, _ := password.New(1).Verify(context.Background(), c.first, u.Password); !ok {
				t.Fatal("the typed password was not stored")
			}
		})
	}
}
