package djimport_test

import (
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/djimport"
	"notechondria-auth/internal/djangotest"
)

// Only sessions live under the original's Session.is_active at import time
// come over: not revoked, idle at most 24 h, at most 72 h old (strictly
// greater is expired), of an active account that was imported.
func TestImport_SessionLiveness(t *testing.T) {
	for _, c := range []struct {
		name           string
		created, seen  time.Duration // before the import
		revoked        bool
		inactive, kept bool // the user is pending / the key is empty
		emptyKey       bool
		reason         string // "" = imported
	}{
		{name: "live", created: time.Hour, seen: time.Minute},
		{name: "seen in the future (clock skew)", created: time.Hour, seen: -time.Minute},
		{name: "revoked", created: time.Hour, seen: time.Minute, revoked: true, reason: djimport.SkipRevoked},
		{name: "idle exactly 24h", created: 30 * time.Hour, seen: day},
		{name: "idle 24h and 1µs", created: 30 * time.Hour, seen: day + time.Microsecond, reason: djimport.SkipExpired},
		{name: "created exactly 72h ago", created: 72 * time.Hour, seen: time.Minute},
		{name: "created 72h and 1µs ago", created: 72*time.Hour + time.Microsecond, seen: time.Minute, reason: djimport.SkipExpired},
		{name: "pending user", created: time.Hour, seen: time.Minute, inactive: true, reason: djimport.SkipUserInactive},
		{name: "empty key", created: time.Hour, seen: time.Minute, emptyKey: true, reason: djimport.SkipBadSessionKey},
	} {
		t.Run(c.name, func(t *testing.T) {
			dj := newDjango(t)
			uid := dj.AddUser(djangotest.User{Username: "u", Email: "u@example.com", IsActive: !c.inactive,
				Password: djangotest.Hash("U-pw-1234", "s", 1), DateJoined: ago(day)})
			key := djangotest.RandomHex(t, 20)
			if c.emptyKey {
				key = ""
			}
			s := djangotest.Session{UserID: uid, Key: key, CreatedAt: ago(c.created), LastSeenAt: ago(c.seen)}
			if c.revoked {
				s.RevokedAt = ptr(ago(time.Minute))
			}
			dj.AddSession(s)
			store := newTarget(t)
			rep := runImport(t, dj.URL, store, false)
			tb := rep.Table(djimport.TableSessions)
			if c.reason == "" {
				if tb.Imported != 1 {
					t.Fatalf("not imported: %+v", tb)
				}
				got, _, err := store.SessionByKeyHash(t.Context(), app.HashHex(key))
				if err != nil || !got.CreatedAt.Equal(ago(c.created)) || !got.LastSeenAt.Equal(ago(c.seen)) {
					t.Fatalf("stored %+v %v", got, err)
				}
				return
			}
			if tb.Imported != 0 || tb.SkippedFor(c.reason) != 1 {
				t.Fatalf("want skipped for %q: %+v", c.reason, tb)
			}
		})
	}
}

// An account made on the target before the import holds the username: the
// Django account and everything of it is left out and named in the
// report; once the operator renamed the target's account, a re-run brings
// it in.
func TestImport_UsernameTakenOnTarget(t *testing.T) {
	f := newFixture(t, 1000)
	store := newTarget(t)
	ctx := t.Context()
	mine := app.NewUser("Alice", "admin-alice@example.com", importTime.Add(-time.Hour))
	mine.ID, mine.IsActive = 100, true
	if err := store.ImportUser(ctx, mine); err != nil {
		t.Fatal(err)
	}
	rep := runImport(t, f.dj.URL, store, false)
	users, sess := rep.Table(djimport.TableUsers), rep.Table(djimport.TableSessions)
	if users.SkippedFor(djimport.SkipUsernameTaken) != 2 || sess.SkippedFor(djimport.SkipUserNotImported) != 3 ||
		rep.Table(djimport.TableAPIKeys).SkippedFor(djimport.SkipUserNotImported) != 1 ||
		rep.Table(djimport.TableSocial).SkippedFor(djimport.SkipUserNotImported) != 1 {
		t.Fatalf("report: %+v %+v", users, sess)
	}
	if len(rep.Attention) != 2 || rep.Attention[0] != `auth_user #1 "alice" (Alice@Example.com): the username is taken on `+
		`the target by account #100 "Alice", which joined at another time; rename one of them (in Django or on the target) and run the import again` {
		t.Fatalf("attention: %q", rep.Attention)
	}
	if _, _, err := store.SessionByKeyHash(ctx, app.HashHex(f.aliceKey)); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("alice's session went to the other account: %v", err)
	}

	mine.Username = "alice-admin"
	if err := store.UpdateUser(ctx, mine); err != nil {
		t.Fatal(err)
	}
	rep = runImport(t, f.dj.URL, store, false)
	if rep.Table(djimport.TableUsers).Imported != 1 || rep.Table(djimport.TableSessions).Imported != 2 {
		t.Fatalf("after the rename: %+v", rep.Tables)
	}
	if _, u, err := store.SessionByKeyHash(ctx, app.HashHex(f.aliceKey)); err != nil || u.ID != f.alice || u.Username != "alice" {
		t.Fatalf("alice's session: %v %v", u, err)
	}
}

// Accounts keep their Django ids, which other services know them by; an
// account made on the target first has id 1, so Django's account 1 is not
// imported under another id (which would hand it someone else's data
// elsewhere) but named in the report. New accounts then get higher ids
// than any imported one.
func TestImport_IDTakenOnTarget(t *testing.T) {
	f := newFixture(t, 1000)
	store := newTarget(t)
	ctx := t.Context()
	first := app.NewUser("admin", "admin@example.com", importTime.Add(-time.Hour))
	if err := store.CreateUser(ctx, first); err != nil || first.ID != f.alice {
		t.Fatalf("the target's first account: %d %v", first.ID, err)
	}
	rep := runImport(t, f.dj.URL, store, false)
	// (ALICE comes in now: the alice her username collided with did not.)
	if n := rep.Table(djimport.TableUsers).SkippedFor(djimport.SkipIDTaken); n != 1 || len(rep.Attention) != 1 ||
		!strings.HasPrefix(rep.Attention[0], `auth_user #1 "alice" (Alice@Example.com): id 1 is taken on the target by account #1 "admin"`) {
		t.Fatalf("report: %d %q", n, rep.Attention)
	}
	if u, err := store.UserByID(ctx, f.bob); err != nil || u.Username != "bob" {
		t.Fatalf("bob kept his id: %v %v", u, err)
	}
	next := app.NewUser("newcomer", "new@example.com", importTime)
	if err := store.CreateUser(ctx, next); err != nil || next.ID != f.frank+1 {
		t.Fatalf("the next account's id %d, want %d (%v)", next.ID, f.frank+1, err)
	}
}
