package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The console log writes colour codes only to a terminal: a log file (make
// run keeps one) or a pipe gets plain text, and the field names carry
// their units.
func TestLogger_ConsoleColourOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The process's own stderr, pointed at a file (a redirect, systemd, a
	// pipe to tee): the old code coloured whatever os.Stderr was.
	saved := os.Stderr
	os.Stderr = f
	defer func() { os.Stderr = saved }()
	log, err := newLogger(os.Stderr, "console", "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Str("to", "bob@example.com").Msg("mail delivery fallback")
	b, _ := os.ReadFile(f.Name())
	if strings.Contains(string(b), "\x1b[") || !strings.Contains(string(b), "mail delivery fallback") {
		t.Fatalf("console log in a file: %q", b)
	}
}
