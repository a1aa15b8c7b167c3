package api_test

import (
	"testing"
	"time"
)

// TestSessionListCacheFollowsChanges: the cached list of a user is dropped
// by every login and revocation, and shows exact last-seen times after
// touches are flushed.
func TestSessionListCacheFollowsChanges(t *testing.T) {
	e := newEnv(t)
	e.createUser("lena", "lena@example.com", "Strong1pw")
	a := e.login("lena", "Strong1pw")
	count := func(tok string) int {
		t.Helper()
		r := e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, "")
		return len(r.body["sessions"].([]any))
	}
	if n := count(a); n != 1 { // now cached
		t.Fatalf("first list: %d", n)
	}
	b := e.login("lena", "Strong1pw")
	c := e.login("lena", "Strong1pw")
	if n := count(a); n != 3 {
		t.Fatalf("after two logins: %d", n)
	}
	e.do("POST", "auth/logout/", nil, c).expect(t, 204, "")
	if n := count(a); n != 2 {
		t.Fatalf("after logout: %d", n)
	}
	e.do("DELETE", "auth/sessions/", nil, a).expect(t, 200, "")
	if n := count(a); n != 1 {
		t.Fatalf("after revoking the others: %d", n)
	}
	e.do("GET", "auth/sessions/", nil, b).expect(t, 401, "Invalid token.")

	// Touches flushed after the list was cached still show, exactly.
	e.clock.Advance(30 * time.Minute)
	e.do("GET", "auth/verify/", nil, a).expect(t, 200, "")
	e.srv.Flush(bg)
	want := e.clock.Now()
	e.clock.Advance(time.Minute)
	r := e.do("GET", "auth/sessions/", nil, a)
	row := r.body["sessions"].([]any)[0].(map[string]any)
	got, err := time.Parse("2006-01-02T15:04:05.999999-07:00", row["last_seen_at"].(string))
	if err != nil || got.Before(want) {
		t.Fatalf("last_seen_at %v (%v), want at least %v", row["last_seen_at"], err, want)
	}

	// A wipe purges every list.
	if _, err := e.srv.WipeSessions(bg); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "auth/sessions/", nil, a).expect(t, 401, "Invalid token.")
	d := e.login("lena", "Strong1pw")
	if n := count(d); n != 1 {
		t.Fatalf("after wipe and login: %d", n)
	}
}
