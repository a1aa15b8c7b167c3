package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/app"
)

// TestCoreCORS covers CONTRACT 1.0's CORS rules.
func TestCoreCORS(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.CORSOrigins = []string{"https://notes.example.com", "app.example.org"} })
	e.createUser("alice", "alice@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw")
	corsHeaders := map[string]string{
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Headers":     "Authorization, Content-Type, Accept, Origin, X-Requested-With",
		"Access-Control-Allow-Methods":     "GET, POST, PATCH, PUT, DELETE, OPTIONS",
		"Vary":                             "Origin",
	}
	tests := []struct {
		origin  string
		allowed bool
	}{
		{"http://localhost:3000", true},
		{"http://localhost", true},
		{"https://localhost:8443", true},
		{"http://127.0.0.1:5173", true},
		{"http://[::1]:8080", true},
		{"https://notes.example.com", true},
		{"https://app.example.org", true},
		{"http://app.example.org:8080", true},
		{"https://evil.example", false},
		{"http://localhost.evil.example", false},
		{"http://127.0.0.2", false},
		{"https://notes.example.com.evil.example", false},
		{"null", false},
		{"localhost", false},
	}
	for _, tc := range tests {
		t.Run(tc.origin, func(t *testing.T) {
			for _, req := range []struct {
				method, path, auth string
				status             int
			}{
				// Preflights are answered before authentication and routing.
				{"OPTIONS", "auth/sessions/", "Token stale", 204},
				{"OPTIONS", "auth/login/", "", 204},
				{"OPTIONS", "does/not/exist/", "", 204},
				{"OPTIONS", "/media/x.png", "", 204},
				// Real requests get the headers too, errors included.
				{"GET", "auth/sessions/", tok, 200},
				{"GET", "auth/sessions/", "", 401},
			} {
				r := e.do(req.method, req.path, nil, req.auth, "Origin", tc.origin).expect(t, req.status, "")
				if req.status == 204 && len(r.raw) != 0 {
					t.Fatalf("preflight body %q", r.raw)
				}
				got := r.header.Get("Access-Control-Allow-Origin")
				if !tc.allowed {
					for h := range corsHeaders {
						if r.header.Get(h) != "" && h != "Vary" {
							t.Fatalf("%s %s: %s set for a foreign origin", req.method, req.path, h)
						}
					}
					if got != "" {
						t.Fatalf("ACAO %q for a foreign origin", got)
					}
					continue
				}
				if got != tc.origin {
					t.Fatalf("%s %s: ACAO %q", req.method, req.path, got)
				}
				for h, v := range corsHeaders {
					if r.header.Get(h) != v {
						t.Fatalf("%s %s: %s = %q, want %q", req.method, req.path, h, r.header.Get(h), v)
					}
				}
			}
		})
	}
	// Outside /api/ and /media/ there is no CORS.
	r := e.do("GET", "/healthz", nil, "", "Origin", "http://localhost:3000").expect(t, 200, "")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS headers on /healthz")
	}
}

// TestCoreRouting covers 405, 404, the trailing-slash redirect and the
// operational endpoints.
func TestCoreRouting(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		method, path string
		status       int
		detail       string
	}{
		{"GET", "auth/login/", 405, `Method "GET" not allowed.`},
		{"PUT", "auth/logout/", 405, `Method "PUT" not allowed.`},
		{"POST", "auth/sessions/", 405, `Method "POST" not allowed.`},
		{"POST", "auth/verify/", 405, `Method "POST" not allowed.`},
		{"GET", "nope/", 404, "Not found."},
		{"GET", "/api/v2/auth/login/", 404, "Not found."},
		{"GET", "/nothing-here", 404, "Not found."},
		{"GET", "/healthz", 200, ""},
		{"GET", "/readyz", 200, ""},
	}
	for _, tc := range tests {
		r := e.do(tc.method, tc.path, nil, "").expect(t, tc.status, tc.detail)
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: Content-Type %q", tc.method, tc.path, ct)
		}
	}
	if r := e.do("GET", "/healthz", nil, ""); r.body["status"] != "ok" {
		t.Fatalf("healthz %s", r.raw)
	}
	if r := e.do("GET", "/readyz", nil, ""); r.body["status"] != "ready" {
		t.Fatalf("readyz %s", r.raw)
	}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/auth/sessions", 301},
		{"GET", "/api/v1/settings", 301},
		{"POST", "/api/v1/auth/login", 307},
		{"DELETE", "/api/v1/auth/sessions/5", 307},
	} {
		resp := e.noRedirect(tc.method, tc.path)
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != tc.path+"/" {
			t.Errorf("%s %s: %d Location %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	e.do("GET", "auth/sessions/", nil, "").expect(t, 401, "")
	m := e.do("GET", "/metrics", nil, "").expect(t, 200, "")
	for _, want := range []string{"ntc_http_requests_total", `route="/api/v1/auth/sessions/",status="401"`} {
		if !strings.Contains(string(m.raw), want) {
			t.Fatalf("/metrics lacks %s:\n%s", want, m.raw)
		}
	}
}

// TestCoreJSONRendering: compact, UTF-8, no HTML escaping, no trailing
// newline; timestamps as Python isoformat.
func TestCoreJSONRendering(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("alice", "alice@example.com", "Strong1pw")
	u.FirstName = "<b>&"
	u.LastName = "é"
	if err := e.store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	r := e.loginBody("alice", "Strong1pw")
	raw := string(r.raw)
	for _, want := range []string{`"first_name":"<b>&"`, `"display_name":"<b>& é"`} {
		if !strings.Contains(raw, want) {
			t.Fatalf("want %s in %s", want, raw)
		}
	}
	if strings.Contains(raw, `\u003c`) || strings.Contains(raw, `\u0026`) || strings.Contains(raw, ", ") ||
		strings.Contains(raw, `": `) || strings.HasSuffix(raw, "\n") {
		t.Fatalf("not DRF's compact rendering: %q", raw)
	}
	if r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
	// The em dash of the project's messages is literal.
	bad := e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "x"}, "").expect(t, 400, "")
	if !strings.Contains(string(bad.raw), "login — email") {
		t.Fatalf("em dash escaped: %s", bad.raw)
	}

	// Timestamps: isoformat with +00:00, microseconds only when non-zero,
	// always six digits when present.
	for _, tc := range []struct {
		advance time.Duration
		want    string
	}{
		{0, "2026-04-23T03:32:23.123456+00:00"},
		{876544 * time.Microsecond, "2026-04-23T03:32:24+00:00"},
		{500 * time.Millisecond, "2026-04-23T03:32:24.500000+00:00"},
		{time.Microsecond + 999, "2026-04-23T03:32:24.500001+00:00"}, // nanoseconds dropped
	} {
		e.clock.Advance(tc.advance)
		s := e.loginBody("alice", "Strong1pw").body["session"].(map[string]any)
		if s["created_at"] != tc.want || s["last_seen_at"] != tc.want {
			t.Fatalf("timestamps %v, want %s", s, tc.want)
		}
		rows, _ := e.sessions("Token " + e.loginBody("alice", "Strong1pw").body["token"].(string))
		if rows[0]["created_at"] != tc.want {
			t.Fatalf("list created_at %v, want %s", rows[0]["created_at"], tc.want)
		}
	}
}

// TestCoreTouchWriter: with a touch interval, requests keep last-seen in
// memory and Flush persists it; with interval 0 every request writes.
func TestCoreTouchWriter(t *testing.T) {
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

// TestCoreSweep: Sweep deletes revoked and expired sessions and dead codes,
// and keeps live ones, also a session whose last touch is only in memory.
func TestCoreSweep(t *testing.T) {
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

// TestCoreWipeSessions: --wipe-sessions-on-boot revokes everything and
// empties the cache.
func TestCoreWipeSessions(t *testing.T) {
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
