package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

func session(t *testing.T, store *db.DB, userID int64, key string, created, seen time.Time) *app.Session {
	t.Helper()
	s := &app.Session{UserID: userID, KeyHash: app.HashHex(key), DeviceLabel: "Mac", UserAgent: "ua",
		CreatedAt: created, LastSeenAt: seen}
	if err := store.CreateSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSessionStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		alice, bob := user(t, store, "alice"), user(t, store, "bob")
		a1 := session(t, store, alice.ID, "a1", t0, t0)
		a2 := session(t, store, alice.ID, "a2", t0, t0.Add(time.Hour))
		b1 := session(t, store, bob.ID, "b1", t0, t0)

		// Round trip, microseconds exact.
		s, u, err := store.SessionByKeyHash(ctx, app.HashHex("a2"))
		if err != nil || s.ID != a2.ID || u.ID != alice.ID || !s.CreatedAt.Equal(t0) || !s.LastSeenAt.Equal(t0.Add(time.Hour)) ||
			s.RevokedAt != nil || s.DeviceLabel != "Mac" || u.Username != "alice" || !u.IsActive {
			t.Fatalf("SessionByKeyHash: %+v %v %v", s, u, err)
		}
		// List: strict bounds, newest seen first.
		list, err := store.ListSessions(ctx, alice.ID, t0, t0.Add(-time.Hour))
		if err != nil || len(list) != 1 || list[0].ID != a2.ID {
			t.Fatalf("strict idle bound: %v %v", list, err)
		}
		list, _ = store.ListSessions(ctx, alice.ID, t0.Add(-time.Second), t0.Add(-time.Second))
		if len(list) != 2 || list[0].ID != a2.ID || list[1].ID != a1.ID {
			t.Fatalf("order: %v", list)
		}
		if list, _ := store.ListSessions(ctx, alice.ID, t0.Add(-time.Second), t0); len(list) != 0 {
			t.Fatalf("strict created bound: %v", list)
		}
		if n, _ := store.CountSessions(ctx, alice.ID, []int64{a1.ID}, t0.Add(-time.Second), t0.Add(-time.Second)); n != 1 {
			t.Fatalf("count %d", n)
		}
		// Touch never moves last_seen_at backwards.
		if err := store.TouchSessions(ctx, map[int64]time.Time{a1.ID: t0.Add(2 * time.Hour), a2.ID: t0}); err != nil {
			t.Fatal(err)
		}
		got := map[int64]time.Time{}
		list, _ = store.ListSessions(ctx, alice.ID, t0.Add(-time.Second), t0.Add(-time.Second))
		for _, s := range list {
			got[s.ID] = s.LastSeenAt
		}
		if !got[a1.ID].Equal(t0.Add(2*time.Hour)) || !got[a2.ID].Equal(t0.Add(time.Hour)) {
			t.Fatalf("touch: %v", got)
		}
		// Revoke: only one's own, idempotent, keeps the first revocation time.
		if _, err := store.RevokeSession(ctx, alice.ID, b1.ID, t0); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("revoke someone else's: %v", err)
		}
		h, err := store.RevokeSession(ctx, alice.ID, a1.ID, t0.Add(time.Minute))
		if err != nil || h != app.HashHex("a1") {
			t.Fatalf("revoke: %q %v", h, err)
		}
		if _, err := store.RevokeSession(ctx, alice.ID, a1.ID, t0.Add(time.Hour)); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
		s, _, _ = store.SessionByKeyHash(ctx, app.HashHex("a1"))
		if s.RevokedAt == nil || !s.RevokedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("revoked_at %v", s.RevokedAt)
		}
		// Revoke the others.
		a3 := session(t, store, alice.ID, "a3", t0, t0)
		hashes, err := store.RevokeUserSessions(ctx, alice.ID, a3.ID, t0)
		if err != nil || len(hashes) != 1 || hashes[0] != app.HashHex("a2") {
			t.Fatalf("RevokeUserSessions: %v %v", hashes, err)
		}
		if n, err := store.RevokeAllSessions(ctx, t0); err != nil || n != 2 { // a3 and b1
			t.Fatalf("RevokeAllSessions: %d %v", n, err)
		}
	})
}

func TestSweepStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		u := user(t, store, "alice")
		now := t0.Add(100 * time.Hour)
		idleBefore, createdBefore := now.Add(-24*time.Hour), now.Add(-72*time.Hour)
		for i := 0; i < 5; i++ { // dead: idle
			session(t, store, u.ID, "idle"+string(rune('a'+i)), now.Add(-30*time.Hour), now.Add(-25*time.Hour))
		}
		old := session(t, store, u.ID, "old", now.Add(-73*time.Hour), now.Add(-time.Hour)) // dead: absolute
		rev := session(t, store, u.ID, "rev", now.Add(-time.Hour), now)
		store.RevokeSession(ctx, u.ID, rev.ID, now) // dead: revoked
		live := session(t, store, u.ID, "live", now.Add(-time.Hour), now.Add(-24*time.Hour+time.Microsecond))
		total := 0
		for i := 0; i < 10; i++ {
			n, err := store.SweepSessions(ctx, idleBefore, createdBefore, 3)
			if err != nil {
				t.Fatal(err)
			}
			if n > 3 {
				t.Fatalf("batch of %d over the limit", n)
			}
			total += n
			if n == 0 {
				break
			}
		}
		if total != 7 {
			t.Fatalf("swept %d, want 7", total)
		}
		list, _ := store.ListSessions(ctx, u.ID, time.Unix(0, 0), time.Unix(0, 0))
		if len(list) != 1 || list[0].ID != live.ID {
			t.Fatalf("left: %v (old %d)", list, old.ID)
		}
	})
}

func issue(t *testing.T, store *db.DB, fn, plain string, userID int64, expire time.Time) *app.Code {
	t.Helper()
	c := &app.Code{CodeHash: app.CodeHash(plain), Usage: app.CodeFunction, Function: fn, UserID: userID,
		MaxUse: 1, CreatedAt: t0, ExpireAt: expire}
	if err := store.IssueCode(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConsumeCode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		u := user(t, store, "alice")
		other := user(t, store, "bob")
		later := t0.Add(time.Hour)
		tests := []struct {
			name   string
			setup  func(t *testing.T, fn string)
			plain  string
			userID int64
			now    time.Time
			found  bool
		}{
			{"right code", func(t *testing.T, fn string) { issue(t, store, fn, "123456", u.ID, later) }, "123456", u.ID, t0, true},
			{"stripped input", func(t *testing.T, fn string) { issue(t, store, fn, "123456", u.ID, later) }, " 123456\n", u.ID, t0, true},
			{"any user", func(t *testing.T, fn string) { issue(t, store, fn, "123456", u.ID, later) }, "123456", 0, t0, true},
			{"wrong code", func(t *testing.T, fn string) { issue(t, store, fn, "123456", u.ID, later) }, "654321", u.ID, t0, false},
			{"other user", func(t *testing.T, fn string) { issue(t, store, fn, "123456", u.ID, later) }, "123456", other.ID, t0, false},
			{"expired", func(t *testing.T, fn string) { issue(t, store, fn, "123456", u.ID, later) }, "123456", u.ID, later, false},
			{"replaced", func(t *testing.T, fn string) {
				issue(t, store, fn, "123456", u.ID, later)
				issue(t, store, fn, "222222", u.ID, later)
			}, "123456", u.ID, t0, false},
			{"killed by wrong tries", func(t *testing.T, fn string) {
				issue(t, store, fn, "123456", u.ID, later)
				for i := 0; i < 3; i++ {
					store.ConsumeCode(ctx, fn, app.CodeFunction, app.CodeHash("000000"), u.ID, 3, t0)
				}
			}, "123456", u.ID, t0, false},
			{"survives fewer wrong tries", func(t *testing.T, fn string) {
				issue(t, store, fn, "123456", u.ID, later)
				for i := 0; i < 2; i++ {
					store.ConsumeCode(ctx, fn, app.CodeFunction, app.CodeHash("000000"), u.ID, 3, t0)
				}
			}, "123456", u.ID, t0, true},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				fn := "verify_identity:" + string(rune('a'+i))
				tc.setup(t, fn)
				c, err := store.ConsumeCode(ctx, fn, app.CodeFunction, app.CodeHash(tc.plain), tc.userID, 3, tc.now)
				if tc.found {
					if err != nil || c == nil || c.Function != fn || c.MaxUse != 0 {
						t.Fatalf("consume: %+v %v", c, err)
					}
					// Spent: a second use fails.
					if _, err := store.ConsumeCode(ctx, fn, app.CodeFunction, app.CodeHash(tc.plain), tc.userID, 3, tc.now); app.ErrorCode(err) != app.ENOTFOUND {
						t.Fatalf("second use: %v", err)
					}
				} else if app.ErrorCode(err) != app.ENOTFOUND {
					t.Fatalf("want ENOTFOUND, got %+v %v", c, err)
				}
			})
		}
	})
}

// TestConsumeCodeConcurrent: 20 goroutines race for one code; exactly one
// wins.
func TestConsumeCodeConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		u := user(t, store, "alice")
		for round := 0; round < 3; round++ {
			fn := "verify_identity:race" + string(rune('0'+round))
			issue(t, store, fn, "424242", u.ID, t0.Add(time.Hour))
			var wg sync.WaitGroup
			start := make(chan struct{})
			results := make(chan error, 20)
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, err := store.ConsumeCode(ctx, fn, app.CodeFunction, app.CodeHash("424242"), u.ID, 5, t0)
					results <- err
				}()
			}
			close(start)
			wg.Wait()
			close(results)
			wins := 0
			for err := range results {
				switch app.ErrorCode(err) {
				case "":
					wins++
				case app.ENOTFOUND:
				default:
					t.Fatalf("unexpected error: %v", err)
				}
			}
			if wins != 1 {
				t.Fatalf("round %d: %d winners, want exactly 1", round, wins)
			}
		}
	})
}

// A session whose RequirePassword is no longer the user's password hash is
// refused in the inserting transaction: a sign-in that checked the old
// password while a password change revoked everything mints nothing.
func TestCreateSession_Security_RechecksThePassword(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		store := openOn(t, e)
		u := user(t, store, "alice")
		ctx := context.Background()
		s := &app.Session{UserID: u.ID, KeyHash: app.HashHex("k1"), CreatedAt: t0, LastSeenAt: t0, RequirePassword: u.Password}
		if err := store.CreateSession(ctx, s); err != nil {
			t.Fatalf("with the current hash: %v", err)
		}
		if _, err := store.SetPassword(ctx, u.ID, "$argon2id$new", true, 0, t0); err != nil {
			t.Fatal(err)
		}
		stale := &app.Session{UserID: u.ID, KeyHash: app.HashHex("k2"), CreatedAt: t0, LastSeenAt: t0, RequirePassword: u.Password}
		if err := store.CreateSession(ctx, stale); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("with the old hash: %v, want ECONFLICT", err)
		}
		if _, _, err := store.SessionByKeyHash(ctx, app.HashHex("k2")); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("the stale session was stored: %v", err)
		}
	})
}

// The sweeper's pending-account query keeps accounts with a live code and
// active accounts, and deletes the rest.
func TestSweepPendingUsers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		store := openOn(t, e)
		ctx := context.Background()
		active := user(t, store, "active")
		mk := func(name string, joined time.Time) *app.User {
			u := app.NewUser(name, name+"@example.com", joined)
			if err := store.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			return u
		}
		old := mk("old", t0)
		resent := mk("resent", t0)
		if err := store.IssueCode(ctx, &app.Code{CodeHash: app.HashHex("c"), Usage: app.CodeRegister, Function: resent.Email,
			UserID: resent.ID, MaxUse: 1, CreatedAt: t0.Add(70 * time.Hour), ExpireAt: t0.Add(94 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		young := mk("young", t0.Add(60*time.Hour)) // its registration code still lives
		if err := store.IssueCode(ctx, &app.Code{CodeHash: app.HashHex("y"), Usage: app.CodeRegister, Function: young.Email,
			UserID: young.ID, MaxUse: 1, CreatedAt: t0.Add(60 * time.Hour), ExpireAt: t0.Add(84 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		ids, err := store.SweepPendingUsers(ctx, t0.Add(72*time.Hour), 10)
		if err != nil || len(ids) != 1 || ids[0] != old.ID {
			t.Fatalf("swept %v %v, want only %d", ids, err, old.ID)
		}
		for _, u := range []*app.User{active, resent, young} {
			if _, err := store.UserByID(ctx, u.ID); err != nil {
				t.Fatalf("%s was deleted: %v", u.Username, err)
			}
		}
	})
}
