package main

import (
	"bytes"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The command-line changes seen through the real binary: main passes no
// Stdin, so the password prompt must fall back to the process's own.
func TestCLIPasswordsAndMessages(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "auth.db")

	// A password piped on standard input.
	cmd := exec.Command(binPath, "user", "create", "--db", dbPath, "--username", "piper", "--email", "Piper@Example.com")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.Stdin = strings.NewReader("Strong1pw\n")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil || !regexp.MustCompile(`^\d+\n$`).MatchString(out.String()) {
		t.Fatalf("user create from stdin: %v %q %q", err, out.String(), errOut.String())
	}
	s := start(t, dbPath)
	s.login("piper@example.com", "Strong1pw") // lower-cased as the API does
	s.stop()

	for _, c := range []struct {
		name string
		args []string
		code int
		want string // in stderr
	}{
		{"no password anywhere", []string{"user", "create", "--db", dbPath, "--username", "nopw", "--email", "nopw@example.com"}, 2,
			"no password given: set NTC_USER_PASSWORD"},
		{"bad email", []string{"user", "create", "--db", dbPath, "--username", "bad", "--email", "bad", "--password", "Strong1pw"}, 2,
			`user create: --email "bad" is not a valid email address`},
		{"duration without unit", []string{"serve", "--db", dbPath, "--touch-interval", "5"}, 2,
			`--touch-interval "5": invalid value, want a duration such as 30s, 24h`},
		{"missing database", []string{"user", "list", "--db", dbPath + ".typo"}, 1, "open database " + dbPath + ".typo: no such file"},
		{"invite note", []string{"invite", "create", "--db", dbPath, "--code", "welcome"}, 0,
			"note: registration now requires an invitation code (this instance has 1 invitation(s))"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d (want %d)\nstdout %q\nstderr %q", code, c.code, stdout, stderr)
			}
			if c.code != 0 && (stdout != "" || strings.Count(stderr, "\n") != 1) {
				t.Fatalf("more than the one error line:\nstdout %q\nstderr %q", stdout, stderr)
			}
		})
	}
	stdout, _, code := runCLI(t, "version", "--db", dbPath)
	if code != 0 || !regexp.MustCompile(`\nschema: \d+ \(current\)\n$`).MatchString(stdout) {
		t.Fatalf("version --db: %d %q", code, stdout)
	}
}

// Every command that takes --db takes a PostgreSQL URL too; backup says to
// use pg_dump; config never prints the URL's password.
func TestCLI_PostgresURL(t *testing.T) {
	pg := testdb.TargetOf(t, db.Postgres)
	withPassword := strings.Replace(pg, "postgres@", "postgres:s3cret-pw@", 1)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout+stderr
	}{
		{"version before serve", []string{"version", "--db", pg}, 0, "schema: none"},
		{"user create", []string{"user", "create", "--db", pg, "--username", "pat", "--email", "pat@example.com", "--password", "Strong1pw"}, 0, "1\n"},
		{"user list", []string{"user", "list", "--db", pg}, 0, "pat"},
		{"version after", []string{"version", "--db", pg}, 0, "(current)"},
		{"invite create", []string{"invite", "create", "--db", pg, "--code", "welcome"}, 0, "requires an invitation code"},
		{"sessions list", []string{"sessions", "list", "--db", pg, "--user", "pat"}, 0, ""},
		{"backup", []string{"backup", "--db", pg, "--to", filepath.Join(t.TempDir(), "b.db")}, 1, "pg_dump"},
		{"config redacts", []string{"config", "--db", withPassword}, 0, "NTC_DB=postgres://postgres:xxxxx@"},
		{"unreachable", []string{"user", "list", "--db", "postgres://postgres@127.0.0.1:1/none?connect_timeout=2"}, 1, "is the server running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runCLI(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d (want %d); output %q %q; want %q", code, tc.code, out, errOut, tc.want)
			}
			if strings.Contains(out+errOut, "s3cret-pw") {
				t.Fatalf("the password is printed: %q %q", out, errOut)
			}
		})
	}
}
