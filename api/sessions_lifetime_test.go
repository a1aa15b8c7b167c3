package api_test

// Tests of a session's lifetime as the endpoints of sessions.go see it:
// idle and absolute expiry, revoked and disabled accounts, last-seen
// touches and their flush, the sweep of dead rows and the wipe on boot.

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/cli"
	"notechondria-auth/db"
)

// TestSessions_Core_IdleBoundary: a session idle exactly the idle timeout still
// authenticates (is_active uses '>'), but is already left out of the list
// and the counts (strict '>' on last_seen_at).
func TestSessions_Core_IdleBoundary(t *testing.T) {
	e := newEnv(t)
	e.createUser("erin", "erin@example.com", "Strong1pw")
	old := e.loginBody("erin", "Strong1pw")
	oldTok, oldID := "Token "+old.body["token"].(string), sessionID(old)
	e.clock.Advance(24 * time.Hour)
	fresh := e.loginBody("erin", "Strong1pw")
	if fresh.body["other_sessions_count"] != float64(0) || fresh.body["multi_device"] != false {
		t.Fatalf("session idle exactly 24h counted: %s", fresh.raw)
	}
	freshTok := "Token " + fresh.body["token"].(string)
	rows, _ := e.sessions(freshTok)
	for _, r := range rows {
		if int64(r["id"].(float64)) == oldID {
			t.Fatalf("session idle exactly 24h listed: %v", rows)
		}
	}
	if len(rows) != 1 {
		t.Fatalf("want only the fresh session: %v", rows)
	}
	// Still accepted by authentication, which touches it...
	e.do("GET", "auth/verify/", nil, oldTok).expect(t, 200, "")
	// ...so it is listed again.
	rows, _ = e.sessions(freshTok)
	if len(rows) != 2 {
		t.Fatalf("touched session not listed: %v", rows)
	}
}

func TestSessions_Core_IdleAndAbsoluteExpiry(t *testing.T) {
	e := newEnv(t)
	e.createUser("bob", "bob@example.com", "Strong1pw")
	tok := e.login("bob", "Strong1pw")
	// Keep the session busy every 23 h: the idle window rolls...
	for i := 0; i < 3; i++ {
		e.clock.Advance(23 * time.Hour)
		e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, "")
	}
	// ...but the absolute window does not (69 h + 4 h > 72 h).
	e.clock.Advance(4 * time.Hour)
	e.do("GET", "auth/sessions/", nil, tok).expect(t, 401, "Invalid token.")

	tok = e.login("bob", "Strong1pw")
	e.clock.Advance(24*time.Hour + time.Microsecond)
	e.do("GET", "auth/sessions/", nil, tok).expect(t, 401, "Invalid token.")
}

// TestSessions_Core_AuthDeadSessions covers revoked, idle-expired, absolute-expired
// and disabled accounts on a protected endpoint, on login and on the probe.
func TestSessions_Core_AuthDeadSessions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		setup  func(t *testing.T, e *env, u *app.User) string // returns the Authorization header
		detail string
	}{
		{"revoked by logout", func(t *testing.T, e *env, _ *app.User) string {
			tok := e.login("carol", "Strong1pw")
			e.do("POST", "auth/logout/", nil, tok).expect(t, 204, "")
			return tok
		}, msgInvalidToken},
		{"idle expired", func(t *testing.T, e *env, _ *app.User) string {
			tok := e.login("carol", "Strong1pw")
			e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, "") // cached
			e.clock.Advance(24*time.Hour + time.Microsecond)
			return tok
		}, msgInvalidToken},
		{"idle expired, not cached", func(t *testing.T, e *env, _ *app.User) string {
			tok := e.login("carol", "Strong1pw")
			e.clock.Advance(25 * time.Hour)
			return tok
		}, msgInvalidToken},
		{"absolute expired", func(t *testing.T, e *env, _ *app.User) string {
			tok := e.login("carol", "Strong1pw")
			for i := 0; i < 3; i++ {
				e.clock.Advance(24 * time.Hour) // exactly the idle timeout: still alive
				e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, "")
			}
			e.clock.Advance(time.Microsecond) // 72 h + 1 µs after creation
			return tok
		}, msgInvalidToken},
		{"deactivated through the store (sessions revoked)", func(t *testing.T, e *env, u *app.User) string {
			tok := e.login("carol", "Strong1pw")
			if _, err := e.store.SetActive(ctx, u.ID, false, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			return tok
		}, msgInvalidToken},
		{"inactive user with a live session", func(t *testing.T, e *env, u *app.User) string {
			tok := e.login("carol", "Strong1pw")
			if _, err := e.sqlDB().Exec(`UPDATE users SET is_active = 0 WHERE id = ?`, u.ID); err != nil {
				t.Fatal(err)
			}
			return tok
		}, msgDisabled},
		{"inactive user's api key", func(t *testing.T, e *env, u *app.User) string {
			b := e.rotate(e.login("carol", "Strong1pw"))
			if _, err := e.store.SetActive(ctx, u.ID, false, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			return b
		}, msgDisabled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			u := e.createUser("carol", "carol@example.com", "Strong1pw")
			e.createUser("dave", "dave@example.com", "Strong1pw")
			hdr := tc.setup(t, e, u)
			e.do("GET", "auth/sessions/", nil, hdr).expect401(t, tc.detail)
			e.do("GET", "auth/verify/", nil, hdr).expect401(t, tc.detail)
			e.do("POST", "auth/login/", map[string]string{"identifier": "dave", "password": "Strong1pw"}, hdr).expect401(t, tc.detail)
			r := e.do("GET", "auth/session/", nil, hdr).expect(t, 200, "")
			if r.body["authenticated"] != false || len(r.body) != 1 {
				t.Fatalf("probe: %s", r.raw)
			}
			// The answer is stable (a cached entry is not resurrected).
			e.do("GET", "auth/sessions/", nil, hdr).expect401(t, tc.detail)
		})
	}
}

// Deactivating an account (the admin CLI) revokes its sessions, and the
// running server notices through the change log.
func TestSessions_Security_AccountDisableRevokesSessions(t *testing.T) {
	e := newEnv(t)
	e.createUser("ida", "ida@example.com", "Strong1pw")
	tok := e.login("ida", "Strong1pw")
	e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, "") // now cached
	if e.store.Engine() != db.Postgres {                       // on PostgreSQL the harness runs it already
		runCtx, cancel := context.WithCancel(bg)
		done := make(chan struct{})
		go func() { e.srv.Run(runCtx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	var out, errOut bytes.Buffer
	if err := cli.Run(bg, cli.Env{Args: []string{"user", "deactivate", "--db", e.store.Path(), "--user", "ida@example.com"},
		Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut}); err != nil {
		t.Fatalf("deactivate: %v %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "1 session(s) revoked") {
		t.Fatalf("cli said %q", out.String())
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e.do("GET", "auth/sessions/", nil, tok)
		if r.status == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session still accepted after deactivation: %d %s", r.status, r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.do("POST", "auth/login/", loginBody("ida", "Strong1pw"), "").expect(t, 400, "")
	if u := e.userByEmail("ida@example.com"); u.IsActive {
		t.Fatal("still active")
	}
}

// TestSessions_Core_TouchWriter: with a touch interval, requests keep last-seen in
// memory and Flush persists it; with interval 0 every request writes.
func TestSessions_Core_TouchWriter(t *testing.T) {
	ctx := context.Background()
	t.Run("batched", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) { c.TouchInterval = time.Minute })
		u := e.createUser("alice", "alice@example.com", "Strong1pw")
		a := e.loginBody("alice", "Strong1pw")
		tok, id := "Token "+a.body["token"].(string), sessionID(a)
		t0 := e.clock.Now()
		e.clock.Advance(5 * time.Minute)
		e.do("GET", "auth/verify/", nil, tok).expect(t, 200, "")
		e.do("GET", "auth/verify/", nil, tok).expect(t, 200, "")
		if got := e.storedSessions(u.ID)[id].LastSeenAt; !got.Equal(t0) {
			t.Fatalf("last_seen_at written on the request path: %v", got)
		}
		// The API sees the exact in-memory value...
		rows, _ := e.sessions(tok)
		if rows[0]["last_seen_at"] != "2026-04-23T03:37:23.123456+00:00" {
			t.Fatalf("list last_seen_at %v", rows[0]["last_seen_at"])
		}
		// ...and Flush persists it in one batch.
		e.srv.Flush(ctx)
		if got := e.storedSessions(u.ID)[id].LastSeenAt; !got.Equal(e.clock.Now()) {
			t.Fatalf("after flush: %v, want %v", got, e.clock.Now())
		}
		// A flush with nothing pending writes nothing; a later touch is
		// pending again.
		e.srv.Flush(ctx)
		e.clock.Advance(time.Minute)
		e.do("GET", "auth/verify/", nil, tok).expect(t, 200, "")
		before := e.storedSessions(u.ID)[id].LastSeenAt
		e.srv.Flush(ctx)
		if after := e.storedSessions(u.ID)[id].LastSeenAt; !after.After(before) || !after.Equal(e.clock.Now()) {
			t.Fatalf("second flush: %v -> %v", before, after)
		}
	})
	t.Run("write-through", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) { c.TouchInterval = 0 })
		u := e.createUser("alice", "alice@example.com", "Strong1pw")
		a := e.loginBody("alice", "Strong1pw")
		tok, id := "Token "+a.body["token"].(string), sessionID(a)
		e.clock.Advance(5 * time.Minute)
		e.do("GET", "auth/verify/", nil, tok).expect(t, 200, "")
		if got := e.storedSessions(u.ID)[id].LastSeenAt; !got.Equal(e.clock.Now()) {
			t.Fatalf("write-through: %v, want %v", got, e.clock.Now())
		}
		// The probe and API keys do not touch.
		key := e.rotate(tok)
		e.clock.Advance(5 * time.Minute)
		e.do("GET", "auth/session/", nil, tok).expect(t, 200, "")
		e.do("GET", "auth/sessions/", nil, key).expect(t, 200, "")
		if got := e.storedSessions(u.ID)[id].LastSeenAt; !got.Equal(e.clock.Now().Add(-5 * time.Minute)) {
			t.Fatalf("probe or API key touched: %v", got)
		}
	})
	t.Run("clamped", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) {
			c.TouchInterval = time.Hour
			c.Timeouts.Idle = time.Hour
		})
		if got := e.srv.Config().TouchInterval; got != 6*time.Minute {
			t.Fatalf("touch interval %v not clamped to a tenth of the idle timeout", got)
		}
	})
}

// TestSessions_Core_Sweep: Sweep deletes revoked and expired sessions and dead codes,
// and keeps live ones, also a session whose last touch is only in memory.
func TestSessions_Core_Sweep(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *api.Config) { c.SweepBatch = 2 })
	u := e.createUser("alice", "alice@example.com", "Strong1pw")
	t0 := e.clock.Now()
	at := func(d time.Duration) {
		if now := e.clock.Now(); now.Before(t0.Add(d)) {
			e.clock.Advance(t0.Add(d).Sub(now))
		}
	}
	abs := e.login("alice", "Strong1pw") // kept busy, dies of old age
	at(23 * time.Hour)
	e.do("GET", "auth/verify/", nil, abs).expect(t, 200, "")
	at(40 * time.Hour)
	idle := e.login("alice", "Strong1pw") // never used again
	mem := e.login("alice", "Strong1pw")  // used once more, touch only in memory
	at(46 * time.Hour)
	e.do("GET", "auth/verify/", nil, abs).expect(t, 200, "")
	at(63 * time.Hour)
	e.do("GET", "auth/verify/", nil, mem).expect(t, 200, "")
	at(69 * time.Hour)
	e.do("GET", "auth/verify/", nil, abs).expect(t, 200, "")
	at(72 * time.Hour)
	rev := e.login("alice", "Strong1pw")
	e.do("POST", "auth/logout/", nil, rev).expect(t, 204, "")
	at(73 * time.Hour)
	live := e.login("alice", "Strong1pw")

	issue := func(fn string, expire time.Duration) *app.Code {
		c := &app.Code{CodeHash: app.CodeHash(fn), Usage: app.CodeFunction, Function: fn, MaxUse: 1,
			CreatedAt: e.clock.Now(), ExpireAt: e.clock.Now().Add(expire)}
		if err := e.store.IssueCode(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	issue("live", time.Hour)
	issue("expired", -time.Second)
	issue("spent", time.Hour)
	if _, err := e.store.ConsumeCode(ctx, "spent", app.CodeFunction, app.CodeHash("spent"), 0, 5, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	issue("replaced", time.Hour)
	issue("replaced", time.Hour) // invalidates the first

	sessions, codes := e.srv.Core().Sweep(ctx)
	if sessions != 3 || codes != 3 {
		t.Fatalf("swept %d sessions, %d codes; want 3, 3", sessions, codes)
	}
	if n := e.count(`SELECT count(*) FROM sessions WHERE user_id = ?`, u.ID); n != 2 {
		t.Fatalf("%d session rows left, want 2", n)
	}
	if n := e.count(`SELECT count(*) FROM verification_codes`); n != 2 {
		t.Fatalf("%d code rows left, want 2", n)
	}
	if _, err := e.store.LatestCode(ctx, "live", app.CodeFunction, e.clock.Now()); err != nil {
		t.Fatalf("live code swept: %v", err)
	}
	for name, tok := range map[string]string{"abs": abs, "idle": idle, "rev": rev} {
		if r := e.do("GET", "auth/verify/", nil, tok); r.status != 401 {
			t.Fatalf("%s: %d", name, r.status)
		}
	}
	for _, tok := range []string{mem, live} {
		e.do("GET", "auth/verify/", nil, tok).expect(t, 200, "")
	}
	if rows, _ := e.sessions(live); len(rows) != 2 {
		t.Fatalf("live sessions after sweep: %v", rows)
	}
	// Nothing left to sweep.
	if s, c := e.srv.Core().Sweep(ctx); s != 0 || c != 0 {
		t.Fatalf("second sweep: %d, %d", s, c)
	}
}

// TestSessions_Core_Wipe: --wipe-sessions-on-boot revokes everything and
// empties the cache.
func TestSessions_Core_Wipe(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	e.createUser("bob", "bob@example.com", "Strong1pw")
	toks := []string{e.login("alice", "Strong1pw"), e.login("alice", "Strong1pw"), e.login("bob", "Strong1pw")}
	e.do("POST", "auth/logout/", nil, toks[1]).expect(t, 204, "")
	key := e.rotate(toks[0])
	for _, tok := range []string{toks[0], toks[2]} {
		e.do("GET", "auth/verify/", nil, tok).expect(t, 200, "") // cached
	}
	n, err := e.srv.WipeSessions(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("wiped %d, %v; want 2", n, err)
	}
	for _, tok := range toks {
		e.do("GET", "auth/verify/", nil, tok).expect401(t, msgInvalidToken)
	}
	e.do("GET", "auth/verify/", nil, key).expect(t, 200, "") // API keys are not sessions
	if n, _ := e.srv.WipeSessions(context.Background()); n != 0 {
		t.Fatalf("second wipe: %d", n)
	}
	e.login("alice", "Strong1pw")
}
