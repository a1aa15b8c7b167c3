package api_test

// Helpers shared by the tests of several files: the messages asserted
// verbatim, fixtures (an admin account, invitations, API keys, identity
// codes), readers of the store and of the mail log, and concurrency
// helpers.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/internal/testdb"
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

var (
	sixDigits = regexp.MustCompile(`^\d{6}$`)
	hex64     = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// newAdminEnv is AuthApiTests.setUp: an active superuser admin /
// admin@example.com with password change-me (no policy at login).
func newAdminEnv(t *testing.T) *env {
	e := newEnv(t)
	u := e.createUser("admin", "admin@example.com", "change-me")
	u.IsStaff, u.IsSuperuser = true, true
	if err := e.store.UpdateUser(bg, u); err != nil {
		t.Fatal(err)
	}
	return e
}

// noThrottle turns the failure budgets off so a long table of bad requests
// does not end in 429s.
func noThrottle(c *api.Config) {
	c.LoginFailuresPerAccount = api.Rule{}
	c.LoginFailuresPerIP = api.Rule{}
	c.EmailRequestsPerAddress = api.Rule{}
}

// expectThrottled asserts DRF's 429: the detail names the same number of
// seconds as Retry-After. It returns that number.
func expectThrottled(t *testing.T, r *response) int {
	t.Helper()
	if r.status != 429 {
		t.Fatalf("status %d, want 429; body %s", r.status, r.raw)
	}
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n <= 0 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if want := fmt.Sprintf("Request was throttled. Expected available in %d seconds.", n); r.body["detail"] != want || len(r.body) != 1 {
		t.Fatalf("429 body %s, want detail %q", r.raw, want)
	}
	return n
}

func loginBody(ident, pw string) map[string]string {
	return map[string]string{"identifier": ident, "password": pw}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

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

// acctForm encodes pairs (name, value, name, value...) as an
// application/x-www-form-urlencoded body.
func acctForm(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v.Encode()
}

// acctConcurrently runs fn(i) for i in [0, n) at once (released together) and
// returns the statuses.
func acctConcurrently(n int, fn func(i int) int) []int {
	var wg sync.WaitGroup
	start := make(chan struct{})
	out := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			out[i] = fn(i)
		}(i)
	}
	close(start)
	wg.Wait()
	return out
}

func acctCount(statuses []int, want int) int {
	n := 0
	for _, s := range statuses {
		if s == want {
			n++
		}
	}
	return n
}

// loginBody signs in and returns the whole auth payload.
func (e *env) loginBody(ident, pw string, hdr ...string) *response {
	e.t.Helper()
	return e.do("POST", "auth/login/", map[string]string{"identifier": ident, "password": pw}, "", hdr...).expect(e.t, 200, "")
}

// rotate mints an API key for the caller and returns "Bearer <key>".
func (e *env) rotate(auth string) string {
	e.t.Helper()
	r := e.do("POST", "auth/rotate-api-key/", nil, auth).expect(e.t, 200, "")
	return "Bearer " + r.body["api_key"].(string)
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
func (e *env) sqlDB() testdb.Raw {
	e.t.Helper()
	return testdb.OpenRaw(e.t, e.store.Path())
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

// registerOK posts auth/register/ and asserts 201.
func (e *env) registerOK(username, email, pw string, extra ...string) *response {
	e.t.Helper()
	body := map[string]string{"username": username, "email": email, "password": pw}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return e.do("POST", "auth/register/", body, "").expect(e.t, 201, "")
}

// registerAndVerify registers an account, verifies it with the mailed
// code and returns the session header of the verify response.
func (e *env) registerAndVerify(username, email, pw string) string {
	e.t.Helper()
	e.registerOK(username, email, pw)
	r := e.do("POST", "auth/verify-email/", map[string]string{"email": email, "code": e.lastCode(email)}, "").expect(e.t, 200, "")
	return "Token " + r.body["token"].(string)
}

// identityCode asks for an identity code with auth and returns it from the
// mail log.
func (e *env) identityCode(auth, email string) string {
	e.t.Helper()
	e.do("POST", "auth/send-identity-code/", nil, auth).expect(e.t, 200, "")
	return e.lastCode(email)
}

// userByEmail reads an account from the store by email.
func (e *env) userByEmail(email string) *app.User {
	e.t.Helper()
	u, err := e.store.UserByEmail(bg, email)
	if err != nil {
		e.t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// createInvite creates an invitation code in the store.
func (e *env) createInvite(code string, maxUses int) {
	e.t.Helper()
	inv := &app.Invitation{CodeHash: app.CodeHash(code), Label: "test", MaxUses: maxUses, CreatedAt: e.clock.Now()}
	if err := e.store.CreateInvitation(bg, inv); err != nil {
		e.t.Fatal(err)
	}
}

// mailLines returns the fallback log lines written for address to.
func (e *env) mailLines(to string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "mail delivery fallback" && m["to"] == to {
			out = append(out, m)
		}
	}
	return out
}
