package cli

import (
	"strings"
	"testing"
)

// audit prints the account's log as a table, filtered by --type and
// --since; admin commands leave their own events (cause admin); every bad
// flag is a usage error (exit 2).
func TestAudit_PrintsAndFilters(t *testing.T) {
	path := newDB(t)
	if r := run(t, "user", "set-password", "--db", path, "--user", "alice", "--password", "Newer1pass"); r.code != 0 {
		t.Fatalf("set-password: %d %v", r.code, r.err)
	}
	if r := run(t, "sessions", "revoke", "--db", path, "--user", "alice"); r.code != 0 {
		t.Fatalf("revoke: %d %v", r.code, r.err)
	}
	r := run(t, "audit", "--db", path, "--user", "alice")
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "AT") ||
		!strings.Contains(lines[1], "password.changed") || !strings.Contains(lines[1], `{"by":"admin"}`) {
		t.Fatalf("exit %d, out:\n%s", r.code, r.out)
	}
	for _, c := range []struct {
		args []string
		rows int
	}{
		{[]string{"--type", "password.changed"}, 1},
		{[]string{"--type", "login.failed"}, 0},
		{[]string{"--since", "7d"}, 1},
		{[]string{"--since", "1h", "--limit", "1"}, 1},
	} {
		r := run(t, append([]string{"audit", "--db", path, "--user", "alice@example.com"}, c.args...)...)
		if got := strings.Count(strings.TrimSpace(r.out), "\n"); r.code != 0 || got != c.rows {
			t.Errorf("%v: exit %d, %d rows, want %d:\n%s", c.args, r.code, got, c.rows, r.out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
		code int
	}{
		{[]string{}, "--user is required", 2},
		{[]string{"--user", "alice", "--type", "nope"}, `unknown --type "nope"`, 2},
		{[]string{"--user", "alice", "--since", "soon"}, `--since "soon"`, 2},
		{[]string{"--user", "alice", "--since", "-1d"}, `--since "-1d"`, 2},
		{[]string{"--user", "alice", "--limit", "0"}, "--limit must be positive", 2},
		{[]string{"--user", "nobody"}, "nobody", 1},
	} {
		r := run(t, append([]string{"audit", "--db", path}, c.args...)...)
		if r.code != c.code || !strings.Contains(r.msg(), c.want) {
			t.Errorf("%v: exit %d %q, want %d %q", c.args, r.code, r.msg(), c.code, c.want)
		}
	}
}
