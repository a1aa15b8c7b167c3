package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// A session signed in on SQLite keeps working after migrate-store moves the
// database to PostgreSQL, and again after it moves back: the real binary,
// stopped for each move as docs/OPERATIONS.md says.
func TestMigrateStoreKeepsSignedInSessions(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "auth.db")
	mustCreateUser(t, file, "grace")
	s := start(t, file)
	token := s.login("grace", "Strong1pw")
	revoked := s.login("grace", "Strong1pw")
	if st, _, _ := s.call("POST", "/api/v1/auth/logout/", revoked, nil); st != 200 && st != 204 {
		t.Fatalf("logout: %d", st)
	}
	_, listed, _ := s.call("GET", "/api/v1/auth/sessions/", token, nil)
	if len(stable(listed)) != 1 {
		t.Fatalf("sessions before the move: %v", listed)
	}
	s.stop()

	pg := testdb.TargetOf(t, db.Postgres)
	back := filepath.Join(dir, "back.db")
	for _, move := range [][2]string{{file, pg}, {pg, back}} {
		out, errOut, code := runCLI(t, "migrate-store", "--from", move[0], "--to", move[1])
		// Every copied table is reported and verified.
		if code != 0 || !strings.Contains(out, fmt.Sprintf("\n%d tables copied from ", strings.Count(out, "  ok\n"))) {
			t.Fatalf("migrate-store %s -> %s: %d\n%s%s", move[0], move[1], code, out, errOut)
		}
		s := start(t, move[1])
		st, got, _ := s.call("GET", "/api/v1/auth/sessions/", token, nil)
		if st != 200 || fmt.Sprint(stable(got)) != fmt.Sprint(stable(listed)) {
			t.Fatalf("on %s: %d %v\nbefore the move: %v", move[1], st, got, listed)
		}
		if st, _, _ := s.call("GET", "/api/v1/auth/sessions/", revoked, nil); st != 401 {
			t.Fatalf("revoked session on %s: %d", move[1], st)
		}
		// A new sign-in from the same address gets the same IP hash: the
		// IP-hash key moved with the rows.
		fresh := s.login("grace", "Strong1pw")
		_, now, _ := s.call("GET", "/api/v1/auth/sessions/", fresh, nil)
		if rows := stable(now); len(rows) != 2 || rows[0]["ip_hash_prefix"] != rows[1]["ip_hash_prefix"] || rows[0]["ip_hash_prefix"] == "" {
			t.Fatalf("sessions after a new sign-in on %s: %v", move[1], now)
		}
		if st, _, _ := s.call("POST", "/api/v1/auth/logout/", fresh, nil); st != 200 && st != 204 {
			t.Fatalf("logout on %s: %d", move[1], st)
		}
		s.stop()
	}
	// The moved database is not a target any more.
	if _, errOut, code := runCLI(t, "migrate-store", "--from", file, "--to", pg); code != 1 || !strings.Contains(errOut, "not empty") {
		t.Fatalf("second move: %d %s", code, errOut)
	}
}

// stable is a session list without what moves on its own (last seen, which
// row is the caller's).
func stable(list map[string]any) []map[string]any {
	var out []map[string]any
	rows, _ := list["sessions"].([]any)
	for _, r := range rows {
		row := map[string]any{}
		for k, v := range r.(map[string]any) {
			if k != "last_seen_at" && k != "is_current" {
				row[k] = v
			}
		}
		out = append(out, row)
	}
	return out
}
