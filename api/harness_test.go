package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/db"
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
}

// fastHasher keeps argon2id but with small parameters so tests run fast.
func fastHasher() *password.Hasher {
	return password.New(4, password.WithParams(password.Params{Time: 1, MemoryKiB: 64, Threads: 1}))
}

// newEnv starts a server; mutate adjusts the configuration.
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
	return srv
}

func newEnv(t *testing.T, mutate ...func(*api.Config)) *env {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "auth.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := api.DefaultConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	c := &clock{t: time.Date(2026, 4, 23, 3, 32, 23, 123456000, time.UTC)}
	logs := &syncBuffer{}
	srv := buildServer(t, store, cfg, c.Now, api.Options{Logger: zerolog.New(logs), Rand: rand.Reader, Hasher: fastHasher()})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &env{t: t, srv: srv, http: hs, store: store, clock: c, logs: logs}
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
