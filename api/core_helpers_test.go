package api_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
)

// Messages the core tests assert verbatim (CONTRACT 1.0, 1.3, 3.1).
const (
	msgInvalidToken  = "Invalid token."
	msgInvalidAPIKey = "Invalid API key."
	msgDisabled      = "User account is disabled."
	msgNotProvided   = "Authentication credentials were not provided."
	msgMismatch      = "Sign-in rejected: Backend.Creators.Auth/login — email/username and password do not match any active account."
	msgIdentReq      = "Sign-in rejected: Backend.Creators.Auth/login — either email or username is required in the login payload."
	msgRequired      = "This field is required."
	msgBlank         = "This field may not be blank."
	msgNotString     = "Not a valid string."
	msgNotNull       = "This field may not be null."
)

// key strips the "Token " keyword from a login() result.
func key(tok string) string { return strings.TrimPrefix(tok, "Token ") }

// rotate mints an API key for the caller and returns "Bearer <key>".
func (e *env) rotate(auth string) string {
	e.t.Helper()
	r := e.do("POST", "auth/rotate-api-key/", nil, auth).expect(e.t, 200, "")
	return "Bearer " + r.body["api_key"].(string)
}

// loginBody signs in and returns the whole auth payload.
func (e *env) loginBody(ident, pw string, hdr ...string) *response {
	e.t.Helper()
	return e.do("POST", "auth/login/", map[string]string{"identifier": ident, "password": pw}, "", hdr...).expect(e.t, 200, "")
}

// sessions lists the caller's sessions (GET auth/sessions/).
func (e *env) sessions(auth string) (rows []map[string]any, current any) {
	e.t.Helper()
	r := e.do("GET", "auth/sessions/", nil, auth).expect(e.t, 200, "")
	for _, v := range r.body["sessions"].([]any) {
		rows = append(rows, v.(map[string]any))
	}
	return rows, r.body["current_session_id"]
}

// sessionID returns the id of the session a payload describes.
func sessionID(r *response) int64 {
	return int64(r.body["session"].(map[string]any)["id"].(float64))
}

// storedSessions returns every non-revoked row of the user as stored (no
// time filter), keyed by id.
func (e *env) storedSessions(userID int64) map[int64]*app.Session {
	e.t.Helper()
	list, err := e.store.ListSessions(context.Background(), userID, time.Unix(0, 0), time.Unix(0, 0))
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[int64]*app.Session{}
	for _, s := range list {
		out[s.ID] = s
	}
	return out
}

// sqlDB opens a second connection to the test database, for changes the
// Store interface deliberately does not offer (and for counting rows).
func (e *env) sqlDB() *sql.DB {
	e.t.Helper()
	d, err := sql.Open("sqlite", "file:"+e.store.Path()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { d.Close() })
	return d
}

// count runs a SELECT count(*) query.
func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.sqlDB().QueryRow(query, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// status sends a request without test helpers that may call t.Fatal, so it
// is safe from other goroutines. It returns the status (0 on a transport
// error).
func (e *env) status(method, path, auth string) int {
	req, err := http.NewRequest(method, e.http.URL+"/api/v1/"+path, nil)
	if err != nil {
		return 0
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// noRedirect sends a request and returns the response without following
// redirects.
func (e *env) noRedirect(method, path string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// expect401 asserts a 401 with detail and the WWW-Authenticate header.
func (r *response) expect401(t *testing.T, detail string) {
	t.Helper()
	r.expect(t, 401, detail)
	if got := r.header.Get("WWW-Authenticate"); got != "Token" {
		t.Fatalf("WWW-Authenticate %q, want Token", got)
	}
}

// keys returns the sorted-independent key set of a JSON object.
func keysOf(m map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// sameKeys asserts that m has exactly the keys want.
func sameKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	got := keysOf(m)
	if len(got) != len(want) {
		t.Fatalf("%s keys %v, want %v", what, got, want)
	}
	for _, k := range want {
		if !got[k] {
			t.Fatalf("%s: key %q missing (have %v)", what, k, got)
		}
	}
}
