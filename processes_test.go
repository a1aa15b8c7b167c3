package main

import (
	"notechondria-auth/internal/testdb"
	"sort"
	"strconv"
	"testing"
	"time"
)

// Two `serve` processes on one SQLite file (a rolling restart overlaps the
// old and the new one; an operator may run two by mistake): every write that
// one of them commits reaches the other's caches through the change log,
// within its poll interval (docs/ARCHITECTURE.md, "Coherence").

// waitRefused polls GET auth/verify/ on s until tok is refused, failing
// after limit; it returns how long that took.
func waitRefused(t *testing.T, s *server, tok string, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		st, _, _ := s.call("GET", "/api/v1/auth/verify/", tok, nil)
		if st == 401 {
			return time.Since(since)
		}
		if st != 200 {
			t.Fatalf("verify: %d", st)
		}
		if time.Since(since) > limit {
			t.Fatalf("revoked token still accepted by the other process after %v", time.Since(since))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTwoServersOnOneFile(t *testing.T) {
	dbPath := testdb.Target(t)
	mustCreateUser(t, dbPath, "gina")
	a, b := start(t, dbPath), start(t, dbPath)

	// A revocation through A is refused by B, which had the token cached.
	var delays []time.Duration
	for i := 0; i < 10; i++ {
		tok := a.login("gina", "Strong1pw")
		if st, _, _ := b.call("GET", "/api/v1/auth/verify/", tok, nil); st != 200 { // cached in B
			t.Fatalf("B verify: %d", st)
		}
		if st, _, _ := a.call("POST", "/api/v1/auth/logout/", tok, nil); st != 204 {
			t.Fatalf("logout through A: %d", st)
		}
		delays = append(delays, waitRefused(t, b, tok, time.Now(), time.Second))
	}
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	t.Logf("revocation through A refused by B after: median %v, max %v", delays[len(delays)/2], delays[len(delays)-1])

	// A sign-in through B shows in the list read through A (A's list was
	// cached before it).
	tok := a.login("gina", "Strong1pw")
	_, before, _ := a.call("GET", "/api/v1/auth/sessions/", tok, nil)
	n := len(before["sessions"].([]any))
	b.login("gina", "Strong1pw")
	deadline := time.Now().Add(time.Second)
	for {
		_, after, _ := a.call("GET", "/api/v1/auth/sessions/", tok, nil)
		if len(after["sessions"].([]any)) == n+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("A lists %d sessions after a sign-in through B, want %d", len(after["sessions"].([]any)), n+1)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// The writer dies right after its acknowledged revocation: the signal
	// was in the same transaction, so B still refuses the token.
	_, list, _ := a.call("GET", "/api/v1/auth/sessions/", tok, nil)
	victim := b.login("gina", "Strong1pw")
	if st, _, _ := b.call("GET", "/api/v1/auth/verify/", victim, nil); st != 200 {
		t.Fatal(st)
	}
	_, victimList, _ := b.call("GET", "/api/v1/auth/sessions/", victim, nil)
	id := int64(victimList["current_session_id"].(float64))
	if st, _, _ := a.call("DELETE", "/api/v1/auth/sessions/"+strconv.FormatInt(id, 10)+"/", tok, nil); st != 204 {
		t.Fatalf("revoke through A: %d (list %v)", st, list)
	}
	a.kill()
	waitRefused(t, b, victim, time.Now(), time.Second)
	b.stop()
}
