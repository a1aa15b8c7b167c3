package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/app"
)

// TestChanges_OtherProcessWritesReachThisCache: a second core on the same
// file (as a second process would be) caches alice's credentials; every kind
// of write made through the first core reaches it through the change log.
func TestChanges_OtherProcessWritesReachThisCache(t *testing.T) {
	cases := []struct {
		name  string
		write func(t *testing.T, f *fixture)
		check func(t *testing.T, f *fixture, other *app.Core)
	}{
		{"revoke one session", func(t *testing.T, f *fixture) {
			f.core.Store().RevokeSession(bg, f.user.ID, f.sess.ID, f.clock.Now())
		}, func(t *testing.T, f *fixture, other *app.Core) {
			expectCode(t, authCode(other, f.token), app.EUNAUTHORIZED)
		}},
		{"sign out the others", func(t *testing.T, f *fixture) {
			f.core.Store().RevokeUserSessions(bg, f.user.ID, 0, f.clock.Now())
		}, func(t *testing.T, f *fixture, other *app.Core) {
			expectCode(t, authCode(other, f.token), app.EUNAUTHORIZED)
		}},
		{"deactivate", func(t *testing.T, f *fixture) {
			f.core.Store().SetActive(bg, f.user.ID, false, f.clock.Now())
		}, func(t *testing.T, f *fixture, other *app.Core) {
			expectCode(t, authCode(other, f.apiKey), app.EUNAUTHORIZED)
		}},
		{"rotate the API key", func(t *testing.T, f *fixture) {
			key := app.APIKeyPrefix + "ffffffffffffffffffffffffffffffff"
			f.core.Store().SetAPIKey(bg, f.user.ID, app.HashHex(key), key[:8], f.clock.Now())
		}, func(t *testing.T, f *fixture, other *app.Core) {
			expectCode(t, authCode(other, f.apiKey), app.EUNAUTHORIZED)
		}},
		{"wipe", func(t *testing.T, f *fixture) {
			f.core.WipeSessions(bg)
		}, func(t *testing.T, f *fixture, other *app.Core) {
			expectCode(t, authCode(other, f.token), app.EUNAUTHORIZED)
		}},
		{"new session shows in the other's list", func(t *testing.T, f *fixture) {
			f.signIn("Mozilla/5.0 (iPhone)")
		}, func(t *testing.T, f *fixture, other *app.Core) {
			if live, _ := other.LiveSessions(bg, f.user.ID); len(live) != 2 {
				t.Fatalf("other process lists %d sessions, want 2", len(live))
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			_, other := newCore(t, f.store.Path(), f.clock)
			for _, h := range []string{f.token, f.apiKey} {
				expectCode(t, authCode(other, h), "")
			}
			other.LiveSessions(bg, f.user.ID)
			tc.write(t, f)
			other.PollChanges(bg)
			tc.check(t, f, other)
		})
	}
}

// TestChanges_RunRefusesWithinOneSecond measures, with the real poll
// interval and Run, how long a revocation written by another process takes
// to be refused by a core that had the token cached.
func TestChanges_RunRefusesWithinOneSecond(t *testing.T) {
	f := newFixture(t)
	_, other := newCore(t, f.store.Path(), f.clock)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { other.Run(ctx, nil); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for i := 0; i < 5; i++ {
		sess, tok := f.signIn("Mozilla/5.0 (X11; Linux)")
		expectCode(t, authCode(other, tok), "")
		start := time.Now()
		if _, err := f.core.Store().RevokeSession(bg, f.user.ID, sess.ID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		for authCode(other, tok) == "" {
			if time.Since(start) > time.Second {
				t.Fatalf("revocation not seen by the other process after %v", time.Since(start))
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("revocation refused by the other process after %v", time.Since(start).Round(time.Millisecond))
	}
}

// TestChanges_GapPurges: rows swept before a process read them leave a gap
// in the sequence; the process cannot know what they named and purges.
func TestChanges_GapPurges(t *testing.T) {
	f := newFixture(t)
	_, other := newCore(t, f.store.Path(), f.clock)
	expectCode(t, authCode(other, f.token), "")
	sess, _ := f.signIn("a")
	f.core.Store().RevokeSession(bg, f.user.ID, sess.ID, f.clock.Now())
	// Sweep everything written so far, then write one more change.
	if _, err := f.store.SweepChanges(bg, time.Now().Add(time.Hour), 1000); err != nil {
		t.Fatal(err)
	}
	f.signIn("b")
	other.PollChanges(bg)
	if n := other.CachedCredentials(f.user.ID); n != 0 {
		t.Fatalf("%d credentials still cached after a gap", n)
	}
	if st := other.Stats(); st.CachePurges == 0 {
		t.Fatal("no purge counted")
	}
}

func authCode(c *app.Core, h string) string {
	_, err := c.Authenticate(bg, h, false)
	return app.ErrorCode(err)
}

// The sweeper empties the change log of rows older than an hour, however
// many there are (a sign-in writes one), in batches.
func TestChanges_SweptToTheEnd(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 100; i++ {
		f.signIn("x")
	}
	if rows, _ := f.store.ChangesSince(bg, 0, 1000); len(rows) < 100 {
		t.Fatalf("%d change rows, want at least 100", len(rows))
	}
	// A core whose clock is two hours ahead of the rows' (wall-clock)
	// times, sweeping 40 rows per transaction.
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }
	cfg := app.DefaultConfig()
	cfg.SweepBatch = 2
	sweeper, err := app.NewCore(bg, f.store, cfg, app.Options{Logger: zerolog.Nop(), Now: later})
	if err != nil {
		t.Fatal(err)
	}
	sweeper.Sweep(bg)
	if rows, _ := f.store.ChangesSince(bg, 0, 1000); len(rows) != 0 {
		t.Fatalf("%d change rows left after the sweep", len(rows))
	}
}
