package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
)

// TestCoreParseAuthorization checks the header classification of CONTRACT
// 3.1 (Python split(None, 1) semantics for Token, exact "Bearer ntc_").
func TestCoreParseAuthorization(t *testing.T) {
	session, _ := app.ParseAuthorization("Token k")
	apiKey, _ := app.ParseAuthorization("Bearer ntc_k")
	if session == 0 || apiKey == 0 || session == apiKey {
		t.Fatalf("reference kinds: session %v apiKey %v", session, apiKey)
	}
	anon, _ := app.ParseAuthorization("")
	tests := []struct {
		header string
		kind   any
		key    string
	}{
		{"Token abc", session, "abc"},
		{"token abc", session, "abc"},
		{"TOKEN abc", session, "abc"},
		{"ToKeN abc", session, "abc"},
		{"   Token abc", session, "abc"},
		{"\tToken\tabc", session, "abc"},
		{"Token     abc", session, "abc"},
		{"Token abc   ", session, "abc"},
		{"Token  abc def ", session, "abc def"},
		{"Token\u00a0abc", session, "abc"}, // Python str.split() splits at NBSP too
		{"Token ntc_abc", session, "ntc_abc"},
		{"Token", anon, ""},
		{"Token   ", anon, ""},
		{"Tokenabc", anon, ""},
		{" Token", anon, ""},
		{"Bearer ntc_abc", apiKey, "ntc_abc"},
		{"Bearer ntc_abc  ", apiKey, "ntc_abc  "}, // not stripped
		{"Bearer ntc_", apiKey, "ntc_"},
		{"bearer ntc_abc", anon, ""},
		{"BEARER ntc_abc", anon, ""},
		{"Bearer  ntc_abc", anon, ""},
		{" Bearer ntc_abc", anon, ""},
		{"Bearer NTC_abc", anon, ""},
		{"Bearer abc", anon, ""},
		{"Basic dXNlcjpwdw==", anon, ""},
		{"", anon, ""},
	}
	for _, tc := range tests {
		kind, k := app.ParseAuthorization(tc.header)
		if any(kind) != tc.kind || k != tc.key {
			t.Errorf("ParseAuthorization(%q) = (%v, %q), want (%v, %q)", tc.header, kind, k, tc.kind, tc.key)
		}
	}
}

// TestCoreAuthHeaders drives every header form of CONTRACT 3.1/3.2 against
// a protected endpoint, an AllowAny endpoint (login) and the probe.
func TestCoreAuthHeaders(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw")
	k := key(tok)
	bearer := e.rotate(tok)
	apiKey := strings.TrimPrefix(bearer, "Bearer ")

	const (
		ok   = 200
		anon = -1 // anonymous: 401 "not provided" on protected routes
	)
	tests := []struct {
		name   string
		header string
		want   int    // ok, anon or 401
		detail string // for 401
		probe  bool   // authenticated on the probe
	}{
		{"no header", "", anon, "", false},
		{"token", "Token " + k, ok, "", true},
		{"lower keyword", "token " + k, ok, "", true},
		{"upper keyword", "TOKEN " + k, ok, "", true},
		{"mixed keyword", "tOkEn " + k, ok, "", true},
		{"leading whitespace", "   Token " + k, ok, "", true},
		{"extra spaces", "Token      " + k, ok, "", true},
		{"tab separator", "Token\t" + k, ok, "", true},
		{"trailing spaces", "Token " + k + "    ", ok, "", true},
		{"key over 40", "Token " + k + "0", 401, msgInvalidToken, false},
		{"key of 41 runes", "Token " + strings.Repeat("é", 41), 401, msgInvalidToken, false},
		{"key of 40 runes 80 bytes", "Token " + strings.Repeat("é", 40), 401, msgInvalidToken, false},
		{"unknown key", "Token " + strings.Repeat("0", 40), 401, msgInvalidToken, false},
		{"short unknown key", "Token abc", 401, msgInvalidToken, false},
		{"key with inner space", "Token " + k[:20] + " " + k[20:], 401, msgInvalidToken, false},
		{"token with api key", "Token " + apiKey, 401, msgInvalidToken, false},
		{"bearer api key", bearer, ok, "", false},
		{"bearer unknown api key", "Bearer ntc_" + strings.Repeat("0", 32), 401, msgInvalidAPIKey, false},
		{"bearer bare prefix", "Bearer ntc_", 401, msgInvalidAPIKey, false},
		{"bearer api key with suffix", bearer + "x", 401, msgInvalidAPIKey, false},
		{"lower bearer", "bearer " + apiKey, anon, "", false},
		{"bearer session key", "Bearer " + k, anon, "", false},
		{"basic", "Basic YWxpY2U6U3Ryb25nMXB3", anon, "", false},
		{"keyword only", "Token", anon, "", false},
		{"bearer only", "Bearer", anon, "", false},
		{"unknown scheme", "ApiKey " + apiKey, anon, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A protected endpoint.
			r := e.do("GET", "auth/sessions/", nil, tc.header)
			switch tc.want {
			case ok:
				r.expect(t, 200, "")
			case anon:
				r.expect401(t, msgNotProvided)
			default:
				r.expect401(t, tc.detail)
			}
			// An AllowAny endpoint: authentication still runs first, so
			// bad credentials are a 401 even with a right password.
			r = e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "Strong1pw"}, tc.header)
			if tc.want == 401 {
				r.expect401(t, tc.detail)
			} else {
				r.expect(t, 200, "")
			}
			// The probe never fails.
			r = e.do("GET", "auth/session/", nil, tc.header).expect(t, 200, "")
			if r.body["authenticated"] != tc.probe {
				t.Fatalf("probe authenticated=%v, want %v: %s", r.body["authenticated"], tc.probe, r.raw)
			}
			if !tc.probe && len(r.body) != 1 {
				t.Fatalf("anonymous probe has extra keys: %s", r.raw)
			}
		})
	}
}

// TestCoreAuthDeadSessions covers revoked, idle-expired, absolute-expired
// and disabled accounts on a protected endpoint, on login and on the probe.
func TestCoreAuthDeadSessions(t *testing.T) {
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

// TestCoreIdleBoundary: a session idle exactly the idle timeout still
// authenticates (is_active uses '>'), but is already left out of the list
// and the counts (strict '>' on last_seen_at).
func TestCoreIdleBoundary(t *testing.T) {
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

// TestCoreProbe checks the probe's success payload and that it never
// touches the session.
func TestCoreProbe(t *testing.T) {
	e := newEnv(t)
	e.createUser("frank", "frank@example.com", "Strong1pw")
	a := e.loginBody("frank", "Strong1pw", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64)")
	b := e.loginBody("frank", "Strong1pw")
	aTok, bTok := "Token "+a.body["token"].(string), "Token "+b.body["token"].(string)
	created := a.body["session"].(map[string]any)["created_at"].(string)

	e.clock.Advance(time.Hour)
	p := e.do("GET", "auth/session/", nil, "token   "+key(aTok)).expect(t, 200, "")
	sameKeys(t, "probe", p.body, "authenticated", "token", "session", "multi_device", "other_sessions_count", "user")
	if p.body["authenticated"] != true || p.body["token"] != key(aTok) {
		t.Fatalf("probe: %s", p.raw)
	}
	sess := p.body["session"].(map[string]any)
	if int64(sess["id"].(float64)) != sessionID(a) || sess["device_label"] != "Linux" ||
		sess["created_at"] != created || sess["last_seen_at"] != created {
		t.Fatalf("probe session: %v", sess)
	}
	if p.body["multi_device"] != true || p.body["other_sessions_count"] != float64(1) {
		t.Fatalf("probe counts: %s", p.raw)
	}
	if p.body["user"].(map[string]any)["username"] != "frank" {
		t.Fatalf("probe user: %s", p.raw)
	}
	// The probe minted nothing and touched nothing: A still shows its
	// creation time as last seen, seen from B an hour later.
	e.clock.Advance(time.Hour)
	rows, _ := e.sessions(bTok)
	if len(rows) != 2 {
		t.Fatalf("probe minted a session: %v", rows)
	}
	for _, r := range rows {
		if int64(r["id"].(float64)) == sessionID(a) && r["last_seen_at"] != created {
			t.Fatalf("probe touched the session: %v", r)
		}
	}
	// And the idle window did not roll: 24 h after creation plus a
	// microsecond, the probed session is dead even though it was probed.
	e.clock.Advance(22*time.Hour + time.Microsecond)
	p = e.do("GET", "auth/session/", nil, aTok).expect(t, 200, "")
	if p.body["authenticated"] != false {
		t.Fatalf("probe rolled the idle window: %s", p.raw)
	}
}
