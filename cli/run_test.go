package cli

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// result is one Run: its streams, its error and the exit status main
// would give it.
type result struct {
	out, errOut string
	err         error
	code        int
}

// call configures one Run: the environment (nothing of the test process's
// own) and standard input (empty unless set).
type call struct {
	env   map[string]string
	stdin io.Reader
}

func (c call) run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut syncBuffer
	stdin := c.stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	err := Run(context.Background(), Env{Args: args, Getenv: func(k string) string { return c.env[k] },
		Stdin: stdin, Stdout: &out, Stderr: &errOut, Build: Build{Version: "test"}})
	return result{out: out.String(), errOut: errOut.String(), err: err, code: ExitCode(err)}
}

// run is Run with an empty environment and standard input.
func run(t *testing.T, args ...string) result {
	t.Helper()
	return call{}.run(t, args...)
}

// msg is the error text, "" for none.
func (r result) msg() string {
	if r.err == nil {
		return ""
	}
	return r.err.Error()
}

// newDB creates a database with one account, alice, and returns its path.
func newDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "auth.db")
	if r := run(t, "user", "create", "--db", path, "--username", "alice", "--email", "alice@example.com", "--password", "Strong1pw"); r.code != 0 {
		t.Fatalf("user create: %d %v %s", r.code, r.err, r.errOut)
	}
	return path
}

// syncBuffer is a bytes.Buffer safe for a writer and a poller.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
