package api_test

// Benchmarks of the hot paths (issue 4). They drive the Server's ServeHTTP
// directly with httptest recorders: no sockets, so they measure the
// application alone. `make bench` runs them with -benchmem; bench/load.sh
// measures the same paths over real HTTP with wrk.
//
// Profiles: go test -run '^$' -bench VerifyCacheHit -benchmem \
//   -cpuprofile cpu.prof -memprofile mem.prof -mutexprofile mutex.prof ./app/

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/password"
)

const benchPassword = "Bench-pass-1"

// benchEnv is a Server on a real SQLite file in b.TempDir(), with the real
// clock, driven through ServeHTTP.
type benchEnv struct {
	b     *testing.B
	srv   *api.Server
	store *db.DB
}

// newBench builds a server; hasher nil means the production default
// (password.New(0): argon2id m=19 MiB, t=2, p=1). logger zero value: Nop.
func newBench(b *testing.B, hasher *password.Hasher, logger *zerolog.Logger, mutate ...func(*api.Config)) *benchEnv {
	b.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(b.TempDir(), "auth.db"), db.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	cfg := api.DefaultConfig()
	cfg.SweepInterval = 0
	cfg.LoginFailuresPerAccount.Limit, cfg.LoginFailuresPerIP.Limit = 0, 0
	for _, m := range mutate {
		m(&cfg)
	}
	log := zerolog.Nop()
	if logger != nil {
		log = *logger
	}
	srv := buildServer(b, store, cfg, nil, api.Options{Logger: log, Hasher: hasher})
	return &benchEnv{b: b, srv: srv, store: store}
}

// user creates an active account whose password hash was made by h.
func (e *benchEnv) user(name string, h *password.Hasher) *app.User {
	e.b.Helper()
	hash, err := h.Hash(context.Background(), benchPassword)
	if err != nil {
		e.b.Fatal(err)
	}
	u := app.NewUser(name, name+"@example.com", time.Now())
	u.Password, u.IsActive = hash, true
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.b.Fatal(err)
	}
	return u
}

// session inserts a live session with a known key and returns the
// Authorization header value.
func (e *benchEnv) session(u *app.User, i int) string {
	e.b.Helper()
	key := fmt.Sprintf("%040x", sha256.Sum256([]byte(fmt.Sprint(u.ID, "/", i))))[:40]
	now := time.Now()
	s := &app.Session{UserID: u.ID, KeyHash: app.HashHex(key), DeviceLabel: "Firefox on Linux",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		IPHash:    app.HashHex(fmt.Sprint("198.51.100.", i)), CreatedAt: now.Add(-time.Hour), LastSeenAt: now.Add(-time.Minute)}
	if err := e.store.CreateSession(context.Background(), s); err != nil {
		e.b.Fatal(err)
	}
	return "Token " + key
}

// get serves one GET with a fresh request and recorder and checks the status.
func (e *benchEnv) get(path, auth string, want int) {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", auth)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code != want {
		e.b.Fatalf("GET %s: %d, want %d: %s", path, rec.Code, want, rec.Body.String())
	}
}

func fastBenchHasher() *password.Hasher {
	return password.New(4, password.WithParams(password.Params{Time: 1, MemoryKiB: 64, Threads: 1}))
}

// BenchmarkParseAuthorizationHash is the first step of every authenticated
// request: classify the header and hash the key for the cache lookup.
func BenchmarkParseAuthorizationHash(b *testing.B) {
	h := "Token 0123456789abcdef0123456789abcdef01234567"
	var sink [sha256.Size]byte
	for b.Loop() {
		kind, key := app.ParseAuthorization(h)
		if kind == 0 {
			b.Fatal("not a token")
		}
		sink = sha256.Sum256([]byte(key))
	}
	_ = sink
}

// BenchmarkRecorderBaseline is the cost of the harness itself (request,
// recorder, header) around a handler that does nothing; subtract it from
// the ServeHTTP benchmarks below to get the server's own cost.
func BenchmarkRecorderBaseline(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	for b.Loop() {
		req := httptest.NewRequest("GET", "/api/v1/auth/verify/", nil)
		req.Header.Set("Authorization", "Token 0123456789abcdef0123456789abcdef01234567")
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkVerifyCacheHit is scenario (a): GET auth/verify/ with a valid
// token whose session is in the LRU (no SQL; touch coalesced in memory).
func BenchmarkVerifyCacheHit(b *testing.B) {
	e := newBench(b, fastBenchHasher(), nil)
	tok := e.session(e.user("alice", fastBenchHasher()), 0)
	e.get("/api/v1/auth/verify/", tok, 200) // warm
	for b.Loop() {
		e.get("/api/v1/auth/verify/", tok, 200)
	}
}

// BenchmarkVerifyCacheHitParallel is (a) from GOMAXPROCS goroutines over
// 1000 tokens: shows contention on the LRU lock and the touch queue.
func BenchmarkVerifyCacheHitParallel(b *testing.B) {
	e := newBench(b, fastBenchHasher(), nil)
	u := e.user("alice", fastBenchHasher())
	toks := make([]string, 1000)
	for i := range toks {
		toks[i] = e.session(u, i)
		e.get("/api/v1/auth/verify/", toks[i], 200)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			e.get("/api/v1/auth/verify/", toks[i%len(toks)], 200)
			i++
		}
	})
}

// BenchmarkVerifyCacheHitLogged is (a) with the info-level access log on
// (JSON to io.Discard): the cost of one log line per request.
func BenchmarkVerifyCacheHitLogged(b *testing.B) {
	log := zerolog.New(io.Discard).Level(zerolog.InfoLevel)
	e := newBench(b, fastBenchHasher(), &log)
	tok := e.session(e.user("alice", fastBenchHasher()), 0)
	e.get("/api/v1/auth/verify/", tok, 200)
	for b.Loop() {
		e.get("/api/v1/auth/verify/", tok, 200)
	}
}

// BenchmarkVerifyCacheMiss is scenario (b): the cache disabled, so every
// request runs the indexed SELECT of the session and its user.
func BenchmarkVerifyCacheMiss(b *testing.B) {
	e := newBench(b, fastBenchHasher(), nil, func(c *api.Config) { c.CacheSize = 0 })
	tok := e.session(e.user("alice", fastBenchHasher()), 0)
	for b.Loop() {
		e.get("/api/v1/auth/verify/", tok, 200)
	}
}

// BenchmarkVerifyWriteThrough is scenario (c): --touch-interval 0, one
// UPDATE (a committed, fsynced write transaction) per request.
func BenchmarkVerifyWriteThrough(b *testing.B) {
	e := newBench(b, fastBenchHasher(), nil, func(c *api.Config) { c.TouchInterval = 0 })
	tok := e.session(e.user("alice", fastBenchHasher()), 0)
	for b.Loop() {
		e.get("/api/v1/auth/verify/", tok, 200)
	}
}

// BenchmarkSessionList10 is scenario (d): GET auth/sessions/ for a user with
// 10 live sessions (cache hit for the caller, one SELECT for the list).
func BenchmarkSessionList10(b *testing.B) {
	e := newBench(b, fastBenchHasher(), nil)
	u := e.user("alice", fastBenchHasher())
	var tok string
	for i := range 10 {
		tok = e.session(u, i)
	}
	e.get("/api/v1/auth/sessions/", tok, 200)
	for b.Loop() {
		e.get("/api/v1/auth/sessions/", tok, 200)
	}
}

// BenchmarkProbe10 is scenario (g): GET auth/session/ (the probe every front
// end calls on load) for a user with 10 live sessions.
func BenchmarkProbe10(b *testing.B) {
	e := newBench(b, fastBenchHasher(), nil)
	u := e.user("alice", fastBenchHasher())
	var tok string
	for i := range 10 {
		tok = e.session(u, i)
	}
	e.get("/api/v1/auth/session/", tok, 200)
	for b.Loop() {
		e.get("/api/v1/auth/session/", tok, 200)
	}
}

// BenchmarkSettingsGet is scenario (h): GET settings/.
func BenchmarkSettingsGet(b *testing.B) {
	e := newBench(b, fastBenchHasher(), nil)
	u := e.user("alice", fastBenchHasher())
	tok := e.session(u, 0)
	e.get("/api/v1/settings/", tok, 200)
	for b.Loop() {
		e.get("/api/v1/settings/", tok, 200)
	}
}

// BenchmarkLoginArgon2id is scenario (e) for one caller: POST auth/login/
// with the production default hasher (password.New(0): argon2id m=19 MiB,
// t=2, p=1), which also creates a session row (one write transaction).
func BenchmarkLoginArgon2id(b *testing.B) {
	e := newBench(b, nil, nil)
	e.user("alice", password.New(1))
	body := `{"identifier":"alice","password":"` + benchPassword + `"}`
	for b.Loop() {
		req := httptest.NewRequest("POST", "/api/v1/auth/login/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.srv.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("login: %d %s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkLoginArgon2idParallel is the login flood in miniature: as many
// concurrent logins as GOMAXPROCS; ns/op is the inverse of logins/s.
func BenchmarkLoginArgon2idParallel(b *testing.B) {
	e := newBench(b, nil, nil)
	e.user("alice", password.New(1))
	body := `{"identifier":"alice","password":"` + benchPassword + `"}`
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/api/v1/auth/login/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			e.srv.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Errorf("login: %d %s", rec.Code, rec.Body.String())
				return
			}
		}
	})
}

// BenchmarkVerifyCacheMissParallel is (b) with 64 concurrent callers, as
// under wrk -c64: the read pool (2 x CPUs connections) is contended.
func BenchmarkVerifyCacheMissParallel(b *testing.B) {
	e := newBench(b, fastBenchHasher(), nil, func(c *api.Config) { c.CacheSize = 0 })
	tok := e.session(e.user("alice", fastBenchHasher()), 0)
	b.SetParallelism(32) // x GOMAXPROCS goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.get("/api/v1/auth/verify/", tok, 200)
		}
	})
}
