package app_test

import (
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// --cache-ttl bounds a cached credential's life even when no change-log row
// tells the cache to drop it (a write behind the server's back): within the
// bound the entry is served, past it the database is read again.
func TestCacheTTL_BoundsAStaleEntry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ttl     time.Duration
		refused bool // after 31 s
	}{
		{"no bound", 0, false},
		{"30s bound", 30 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(c *app.Config) { c.CacheTTL = tc.ttl })
			raw := testdb.OpenRaw(t, f.store.Path())
			if _, err := raw.Exec(`UPDATE sessions SET revoked_at = ? WHERE id = ?`, f.clock.Now().UnixMicro(), f.sess.ID); err != nil {
				t.Fatal(err)
			}
			if code := f.authCode(f.token); code != "" {
				t.Fatalf("within the bound the cached entry answers: got %q", code)
			}
			f.clock.Advance(31 * time.Second)
			if code := f.authCode(f.token); (code != "") != tc.refused {
				t.Fatalf("after 31 s: code %q, want refused=%v", code, tc.refused)
			}
		})
	}
}

// Losing the PostgreSQL listener purges the caches and keeps them empty
// (every check reads the database) until it listens again.
func TestFeed_ListenerLossPausesCaches(t *testing.T) {
	c := &clock{t: time.Date(2026, 4, 23, 3, 32, 23, 0, time.UTC)}
	store, core := newCore(t, testdb.TargetOf(t, db.Postgres), c)
	u := app.NewUser("lena", "lena@example.com", c.Now())
	u.IsActive, u.Password = true, "!unusable"
	if err := store.CreateUser(bg, u); err != nil {
		t.Fatal(err)
	}
	sess, key, err := core.MintSession(bg, u, "Mozilla/5.0", "", "")
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := core.MintSession(bg, u, "Mozilla/5.0 (other)", "", "")
	if err != nil {
		t.Fatal(err)
	}
	tok, tok2 := "Token "+key, "Token "+other
	if _, err := core.Authenticate(bg, tok, false); err != nil || core.CachedCredentials(u.ID) != 1 {
		t.Fatalf("warm: %v, %d cached", err, core.CachedCredentials(u.ID))
	}
	raw := testdb.OpenRaw(t, store.Path())
	if _, err := raw.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`); err != nil {
		t.Fatal(err)
	}
	waitListening(t, core, false)
	if n := core.CachedCredentials(u.ID); n != 0 {
		t.Fatalf("%d credentials cached after the listener was lost", n)
	}
	// Paused: a write behind the server's back is seen at once, and
	// nothing new is cached.
	if _, err := raw.Exec(`UPDATE sessions SET revoked_at = ? WHERE id = ?`, c.Now().UnixMicro(), sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := core.Authenticate(bg, tok, false); app.ErrorCode(err) == "" {
		t.Fatal("revoked session accepted while the listener was down")
	}
	if _, err := core.Authenticate(bg, tok2, false); err != nil || core.CachedCredentials(u.ID) != 0 {
		t.Fatalf("paused caches: %v, %d cached", err, core.CachedCredentials(u.ID))
	}
	waitListening(t, core, true)
	if _, err := core.Authenticate(bg, tok2, false); err != nil || core.CachedCredentials(u.ID) != 1 {
		t.Fatalf("caches not back after the listener reconnected: %v, %d cached", err, core.CachedCredentials(u.ID))
	}
}

func waitListening(t *testing.T, core *app.Core, want bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, up := core.Listening(); up == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener state did not become %v within 10 s", want)
		}
	}
}
