package api_test

// The test harness: one server builder (buildServer), the env every HTTP
// test drives (a real SQLite file, real HTTP, a settable clock, a fast
// hasher, the mail fallback log) and the request and response helpers.
//
// Test files follow the product file under test (login_test.go tests
// login.go, ...), and test names say where a test comes from:
// Test<Endpoint>_<Provenance>_<What>, where Provenance is
//
//   - Contract: ported from the original's Django suite (CONTRACT section 4,
//     creators/tests.py), rewritten as black-box tests over HTTP. The
//     original's tests authenticated with legacy authtoken rows; these sign
//     in with POST auth/login/ instead, as section 4 says to.
//   - Security: a fix of one of the original's bugs (CONTRACT section 6, and
//     the OAuth differences of docs/OAUTH.md), each with a test that fails
//     against the original behaviour. go test -run Security runs them all.
//   - Core: this implementation's own tests of the CONTRACT.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
	"notechondria-auth/password"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is one test server on a real SQLite file, driven over real HTTP.
type env struct {
	t     *testing.T
	srv   *api.Server
	http  *httptest.Server
	store *db.DB
	clock *clock
	logs  *syncBuffer
	// hasher counts the hashes the server ran (Runs).
	hasher *password.Hasher
}

// fastHasher keeps argon2id but with small parameters so tests run fast.
func fastHasher() *password.Hasher {
	return password.New(4, password.WithParams(password.Params{Time: 1, MemoryKiB: 64, Threads: 1}))
}

// buildServer is the package's one server builder: a core on store with the
// given clock (nil: the real one), and the HTTP layer on it.
func buildServer(tb testing.TB, store app.Store, cfg api.Config, now func() time.Time, o api.Options) *api.Server {
	tb.Helper()
	core, err := app.NewCore(context.Background(), store, cfg.Config, app.Options{Logger: o.Logger, Now: now, Rand: o.Rand})
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := api.New(context.Background(), core, cfg, o)
	if err != nil {
		tb.Fatal(err)
	}
	if pushed, _ := core.Listening(); pushed {
		// PostgreSQL: the caches stay paused until the change listener
		// runs, and only Run starts it.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { srv.Run(ctx); close(done) }()
		tb.Cleanup(func() { cancel(); <-done })
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			if _, up := core.Listening(); up {
				break
			} else if time.Now().After(deadline) {
				tb.Fatal("change listener did not start")
			}
		}
	}
	return srv
}

// newEnv starts a server on a fresh database of the selected engine;
// mutate adjusts the configuration.
func newEnv(t *testing.T, mutate ...func(*api.Config)) *env {
	t.Helper()
	return newEnvAt(t, testdb.Target(t), nil, nil, mutate...)
}

// newEnvAt starts a server on the database at target (several servers on
// one database are replicas), on clock c (nil: a fresh test clock), with
// budgets (nil: serve's choice, the database's shared budgets on
// PostgreSQL and in-memory ones on SQLite).
func newEnvAt(t *testing.T, target string, c *clock, budgets api.SharedBudgets, mutate ...func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, target, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := api.DefaultConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	if c == nil {
		c = &clock{t: time.Date(2026, 4, 23, 3, 32, 23, 123456000, time.UTC)}
	}
	if budgets == nil {
		budgets = sharedBudgets(store)
	}
	logs := &syncBuffer{}
	hasher := fastHasher()
	srv := buildServer(t, store, cfg, c.Now, api.Options{Logger: zerolog.New(logs), Rand: rand.Reader, Hasher: hasher, Budgets: budgets,
		SecretsKey: testSecretsKey})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &env{t: t, srv: srv, http: hs, store: store, clock: c, logs: logs, hasher: hasher}
}

// testSecretsKey seals the test servers' TOTP secrets.
var testSecretsKey = bytes.Repeat([]byte{0x42}, 32)

// sharedBudgets is serve's (cli/serve.go): the store's budgets table on
// PostgreSQL, nil (in memory) on SQLite.
func sharedBudgets(store *db.DB) api.SharedBudgets {
	if store.Engine() != db.Postgres {
		return nil
	}
	return func(name string, limit int, window time.Duration, now func() time.Time) api.Limiter {
		b, _ := store.Budget(name, limit, window, now)
		return b
	}
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends method path (relative to /api/v1/ unless it starts with "/")
// with a JSON body (nil: none) and optional "Authorization" value.
func (e *env) do(method, path string, body any, auth string, hdr ...string) *response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			j, err := json.Marshal(b)
			if err != nil {
				e.t.Fatal(err)
			}
			rd = bytes.NewReader(j)
		}
	}
	if !strings.HasPrefix(path, "/") {
		path = "/api/v1/" + path
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := &response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
		}
	}
	return r
}

// expect asserts the status and, when detail is not "", the detail text.
func (r *response) expect(t *testing.T, status int, detail string) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	if detail != "" && r.body["detail"] != detail {
		t.Fatalf("detail %q, want %q", r.body["detail"], detail)
	}
	return r
}

// fieldError returns the first message of a DRF field error.
func (r *response) fieldError(name string) string {
	switch v := r.body[name].(type) {
	case []any:
		if len(v) > 0 {
			s, _ := v[0].(string)
			return s
		}
	case string:
		return v
	}
	return ""
}

// createUser makes an active account directly in the store.
func (e *env) createUser(username, email, pw string) *app.User {
	e.t.Helper()
	hash, err := fastHasher().Hash(context.Background(), pw)
	if err != nil {
		e.t.Fatal(err)
	}
	u := app.NewUser(username, email, e.clock.Now())
	u.Password, u.IsActive = hash, true
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// login signs in and returns the "Token <key>" header value.
func (e *env) login(ident, pw string, hdr ...string) string {
	e.t.Helper()
	r := e.do("POST", "auth/login/", map[string]string{"identifier": ident, "password": pw}, "", hdr...)
	r.expect(e.t, 200, "")
	return "Token " + r.body["token"].(string)
}

// lastCode returns the newest 6-digit code written by the development
// mail fallback to the log for the address to.
func (e *env) lastCode(to string) string {
	e.t.Helper()
	code := ""
	sc := bufio.NewScanner(strings.NewReader(e.logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	re := regexp.MustCompile(`Code: (\d{6})`)
	for sc.Scan() {
		var line struct{ To, Body, Message string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "mail delivery fallback" && line.To == to {
			if m := re.FindStringSubmatch(line.Body); m != nil {
				code = m[1]
			}
		}
	}
	if code == "" {
		e.t.Fatalf("no code mailed to %s; log:\n%s", to, e.logs.String())
	}
	return code
}

// bg is the background context for direct store calls.
var bg = context.Background()

// key strips the "Token " keyword from a login() result.
func key(tok string) string { return strings.TrimPrefix(tok, "Token ") }

// expect401 asserts a 401 with detail and the WWW-Authenticate header.
func (r *response) expect401(t *testing.T, detail string) {
	t.Helper()
	r.expect(t, 401, detail)
	if got := r.header.Get("WWW-Authenticate"); got != "Token" {
		t.Fatalf("WWW-Authenticate %q, want Token", got)
	}
}

// nonField returns the first non_field_errors message.
func (r *response) nonField() string { return r.fieldError("non_field_errors") }

// expectField asserts a 400 whose body has a field error for name; when msg
// is not "", the first message must equal it.
func (r *response) expectField(t *testing.T, name, msg string) *response {
	t.Helper()
	if r.status != 400 {
		t.Fatalf("status %d, want 400 with %q; body %s", r.status, name, r.raw)
	}
	got, ok := r.body[name].([]any)
	if !ok || len(got) == 0 {
		t.Fatalf("no field error %q in %s", name, r.raw)
	}
	if msg != "" && got[0] != msg {
		t.Fatalf("%s: %q, want %q", name, got[0], msg)
	}
	return r
}

// doForm posts a form body.
func (e *env) doForm(method, path, body, auth string) *response {
	e.t.Helper()
	return e.do(method, path, body, auth, "Content-Type", "application/x-www-form-urlencoded")
}

// doMultipart sends a multipart/form-data body with text fields (name,
// value pairs) and, when fileField is not "", one file part.
func (e *env) doMultipart(method, path, auth, fileField string, fileBody []byte, pairs ...string) *response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := mw.WriteField(pairs[i], pairs[i+1]); err != nil {
			e.t.Fatal(err)
		}
	}
	if fileField != "" {
		fw, err := mw.CreateFormFile(fileField, "avatar.png")
		if err != nil {
			e.t.Fatal(err)
		}
		fw.Write(fileBody)
	}
	mw.Close()
	return e.do(method, path, buf.String(), auth, "Content-Type", mw.FormDataContentType())
}

// postRaw is a goroutine-safe POST of a JSON body (it never calls t.Fatal):
// it returns the status and the raw body, or -1 on a transport error.
func (e *env) postRaw(path string, body any, auth string) (int, []byte) {
	j, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", e.http.URL+"/api/v1/"+path, bytes.NewReader(j))
	if err != nil {
		return -1, nil
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
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
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body)) // readable again by the caller
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
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body)) // readable again by the caller
	return resp
}
