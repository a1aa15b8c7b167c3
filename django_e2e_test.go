package main

import (
	"strings"
	"testing"
	"time"

	"notechondria-auth/db"
	"notechondria-auth/internal/djangotest"
	"notechondria-auth/internal/testdb"
)

// The switch from the Django backend through the real binary: import, then
// serve the imported database; the device signed in on Django is still
// signed in, and the Django password signs in.
func TestImportDjangoThenServe(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) { importDjangoThenServe(t, e) })
}

func importDjangoThenServe(t *testing.T, target db.Engine) {
	dj := djangotest.New(t, testdb.TargetOf(t, db.Postgres))
	now := time.Now()
	id := dj.AddUser(djangotest.User{Username: "alice", Email: "Alice@Example.com", IsActive: true,
		Password: djangotest.Hash("Alice-pw-1", "djangoSalt", 600_000), DateJoined: now.Add(-100 * 24 * time.Hour)})
	key := djangotest.RandomHex(t, 20)
	dj.AddSession(djangotest.Session{UserID: id, Key: key, DeviceLabel: "Mac", CreatedAt: now.Add(-2 * time.Hour),
		LastSeenAt: now.Add(-time.Minute)})
	dbPath := testdb.TargetOf(t, target)

	out, errOut, code := runCLI(t, "import-django", "--from", dj.URL, "--db", dbPath)
	if code != 0 || !strings.Contains(out, "creators_session           1     1") {
		t.Fatalf("import-django: %d\n%s\n%s", code, out, errOut)
	}
	s := start(t, dbPath)
	st, probe, _ := s.call("GET", "/api/v1/auth/session/", "Token "+key, nil)
	if st != 200 || probe["authenticated"] != true || probe["token"] != key {
		t.Fatalf("the Django session after the switch: %d %v", st, probe)
	}
	if st, list, _ := s.call("GET", "/api/v1/auth/sessions/", "Token "+key, nil); st != 200 || len(list["sessions"].([]any)) != 1 {
		t.Fatalf("sessions: %d %v", st, list)
	}
	tok := s.login("alice@example.com", "Alice-pw-1")
	if st, probe, _ := s.call("GET", "/api/v1/auth/session/", tok, nil); st != 200 || probe["other_sessions_count"] != 1.0 {
		t.Fatalf("new session: %d %v", st, probe)
	}
	s.stop()

	// A re-run after the switch (and the password's upgrade at that
	// sign-in) imports nothing again; the account is listed once.
	out, _, code = runCLI(t, "import-django", "--from", dj.URL, "--db", dbPath)
	if code != 0 || !strings.Contains(out, "auth_user: 1 already imported") {
		t.Fatalf("re-run: %d\n%s", code, out)
	}
	if out, _, _ := runCLI(t, "user", "list", "--db", dbPath); strings.Count(out, "alice") != 2 { // username and email
		t.Fatalf("user list:\n%s", out)
	}
}
