package api_test

// Tests of respond.go: routing (405, 404, the trailing-slash redirect, the
// operational endpoints), JSON rendering, and authentication as every
// route runs it first (the Authorization header forms, API keys, stale
// tokens on AllowAny endpoints).

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
)

// TestRespond_Core_Routing covers 405, 404, the trailing-slash redirect and the
// operational endpoints.
func TestRespond_Core_Routing(t *testing.T) {
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

// TestRespond_Core_JSONRendering: compact, UTF-8, no HTML escaping, no trailing
// newline; timestamps as Python isoformat.
func TestRespond_Core_JSONRendering(t *testing.T) {
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

// TestRespond_Core_ParseAuthorization checks the header classification of CONTRACT
// 3.1 (Python split(None, 1) semantics for Token, exact "Bearer ntc_").
func TestRespond_Core_ParseAuthorization(t *testing.T) {
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

// TestRespond_Core_AuthHeaders drives every header form of CONTRACT 3.1/3.2 against
// a protected endpoint, an AllowAny endpoint (login) and the probe.
func TestRespond_Core_AuthHeaders(t *testing.T) {
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

func TestRespond_Contract_ApiKeyAuthRejectsMissingUnknownAndForeignKeys(t *testing.T) {
	e := newAdminEnv(t)
	e.do("GET", "settings/", nil, "").expect(t, 401, "Authentication credentials were not provided.")
	e.do("GET", "settings/", nil, "Bearer ntc_0000000000000000000000000000dead").expect(t, 401, "Invalid API key.")
	e.do("GET", "settings/", nil, "Bearer some-other-token").expect(t, 401, "Authentication credentials were not provided.")
}

func TestRespond_Contract_StaleTokenOnLoginAndRegisterIs401(t *testing.T) {
	e := newEnv(t)
	e.createUser("sam", "sam@example.com", "Strong1pw")
	tok := e.login("sam", "Strong1pw")
	e.do("POST", "auth/logout/", nil, tok).expect(t, 204, "")
	e.do("POST", "auth/login/", map[string]string{"email": "sam", "password": "Strong1pw"}, tok).expect(t, 401, "Invalid token.")
	e.do("POST", "auth/register/", map[string]string{"username": "tia", "email": "tia@example.com", "password": "Strong1pw"}, tok).expect(t, 401, "Invalid token.")
	e.do("POST", "auth/password-reset/", map[string]string{"email": "sam@example.com"}, "Token "+strings.Repeat("0", 40)).expect(t, 401, "Invalid token.")
}

// A request that misses (or adds) a trailing slash is redirected with a
// JSON body that names the right URL; a POST keeps its method (307).
func TestRespond_Core_TrailingSlashRedirectSaysWhere(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		method, path, want string
		status             int
	}{
		{"POST", "/api/v1/auth/login", "/api/v1/auth/login/", 307},
		{"GET", "/api/v1/auth/sessions?x=1", "/api/v1/auth/sessions/", 301},
		{"GET", "/healthz/", "/healthz", 301},
	} {
		resp := e.noRedirect(tc.method, tc.path)
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Location"), tc.want) ||
			body["detail"] != "Wrong trailing slash: the URL is "+tc.want+" (redirected there)." {
			t.Errorf("%s %s: %d %q %v", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"), body)
		}
	}
	e.do("POST", "/api/v1/auth/nothing", nil, "").expect(t, 404, "Not found.")
}
