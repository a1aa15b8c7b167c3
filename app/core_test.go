package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

var bg = context.Background()

// clock is the package's one fake clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// fixture is a core on a real database file with one active user, one
// signed-in session and an API key, all cached.
type fixture struct {
	t      *testing.T
	store  *db.DB
	core   *app.Core
	clock  *clock
	user   *app.User
	sess   *app.Session
	token  string // "Token <key>"
	apiKey string // "Bearer ntc_..."
}

// newCore opens a second store on path and builds a core on it, as a second
// process on the same file would.
func newCore(t *testing.T, path string, c *clock, mutate ...func(*app.Config)) (*db.DB, *app.Core) {
	t.Helper()
	store, err := db.Open(bg, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cfg := app.DefaultConfig()
	for _, m := range mutate {
		m(&cfg)
	}
	core, err := app.NewCore(bg, store, cfg, app.Options{Logger: zerolog.Nop(), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	t.Cleanup(cancel)
	core.ListenForTests(ctx)
	return store, core
}

func newFixture(t *testing.T, mutate ...func(*app.Config)) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 4, 23, 3, 32, 23, 0, time.UTC)}
	store, core := newCore(t, testdb.Target(t), c, mutate...)
	f := &fixture{t: t, store: store, core: core, clock: c}
	u := app.NewUser("alice", "alice@example.com", c.Now())
	u.IsActive, u.Password = true, "!unusable"
	if err := store.CreateUser(bg, u); err != nil {
		t.Fatal(err)
	}
	f.user = u
	f.sess, f.token = f.signIn("Mozilla/5.0 (Macintosh)")
	key := app.APIKeyPrefix + "0123456789abcdef0123456789abcdef"
	if _, err := core.Store().SetAPIKey(bg, u.ID, app.HashHex(key), key[:8], c.Now()); err != nil {
		t.Fatal(err)
	}
	f.apiKey = "Bearer " + key
	f.warm()
	return f
}

// signIn mints a session through the core.
func (f *fixture) signIn(ua string) (*app.Session, string) {
	f.t.Helper()
	s, key, err := f.core.MintSession(bg, f.user, ua, "", "")
	if err != nil {
		f.t.Fatal(err)
	}
	return s, "Token " + key
}

// warm fills the caches: both credentials and the session list.
func (f *fixture) warm() {
	f.t.Helper()
	for _, h := range []string{f.token, f.apiKey} {
		if _, err := f.core.Authenticate(bg, h, true); err != nil {
			f.t.Fatalf("warm %q: %v", h, err)
		}
	}
	if _, err := f.core.LiveSessions(bg, f.user.ID); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.core.Profile(bg, f.user.ID); err != nil {
		f.t.Fatal(err)
	}
	if n := f.core.CachedCredentials(f.user.ID); n != 2 || !f.core.CachedList(f.user.ID) || !f.core.CachedProfile(f.user.ID) {
		f.t.Fatalf("warm: %d credentials cached, list cached %v", n, f.core.CachedList(f.user.ID))
	}
}

// authCode is the error code Authenticate gives for h ("" for success).
func (f *fixture) authCode(h string) string {
	f.t.Helper()
	_, err := f.core.Authenticate(bg, h, false)
	return app.ErrorCode(err)
}

// The live-session count of /metrics is taken at most every 15 s.
func TestCore_ActiveSessionsCountIsShared(t *testing.T) {
	f := newFixture(t)
	n, err := f.core.ActiveSessions(bg)
	if err != nil || n != 1 {
		t.Fatalf("count %d %v", n, err)
	}
	f.signIn("b")
	if n, _ := f.core.ActiveSessions(bg); n != 1 {
		t.Fatalf("recounted within 15 s: %d", n)
	}
	f.clock.Advance(15 * time.Second)
	if n, _ := f.core.ActiveSessions(bg); n != 2 {
		t.Fatalf("after 15 s: %d, want 2", n)
	}
}
