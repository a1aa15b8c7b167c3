package djimport_test

// The test harness: a real PostgreSQL per test holding a Django 0.1.65
// database (internal/djangotest), a real SQLite target, the fixed import
// time, and one fixture instance whose every row is there for a reason
// (see newFixture).

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"notechondria-auth/db"
	"notechondria-auth/djimport"
	"notechondria-auth/internal/djangotest"
	"notechondria-auth/internal/pgtest"
)

var cluster pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(cluster.Run(m)) }

// importTime is when every test's import runs (microseconds set, to check
// exact round trips).
var importTime = time.Date(2026, 3, 2, 12, 0, 0, 654321000, time.UTC)

func ago(d time.Duration) time.Time { return importTime.Add(-d) }

func ptr[T any](v T) *T { return &v }

const day = 24 * time.Hour

// newDjango returns an empty Django 0.1.65 database.
func newDjango(t *testing.T) *djangotest.DB {
	t.Helper()
	return djangotest.New(t, cluster.Database(t))
}

// newTarget opens a fresh SQLite store (the PostgreSQL engine is tested
// through the same app.Store methods once it exists).
func newTarget(t *testing.T) *db.DB {
	t.Helper()
	store, err := db.Open(t.Context(), filepath.Join(t.TempDir(), "auth.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// runImport opens url and imports it into store at importTime.
func runImport(t *testing.T, url string, store *db.DB, dryRun bool) *djimport.Report {
	t.Helper()
	src, err := djimport.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, err := src.Import(t.Context(), store, djimport.Options{DryRun: dryRun, Now: func() time.Time { return importTime }})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// fixture is a small Django instance with one row for every case the
// import distinguishes.
type fixture struct {
	dj *djangotest.DB
	// Django ids.
	alice, bob, carol, dave, erin, aliceUpper, frank int64
	// Session keys (plaintext, as Django kept them) and API keys.
	aliceKey, aliceRevoked, aliceIdle, aliceBoundary, aliceOld string
	bobKey, daveKey, upperKey                                  string
	aliceAPI, daveAPI                                          string
	alicePW, bobPW                                             string
}

// newFixture fills a Django database. aliceIterations is the PBKDF2 cost of
// alice's hash (Django 4.2's 600000 where the sign-in is tested, a cheap
// one elsewhere).
func newFixture(t *testing.T, aliceIterations int) *fixture {
	t.Helper()
	dj := newDjango(t)
	f := &fixture{dj: dj, alicePW: "Alice-pw-1", bobPW: "Bob-pw-22"}
	key := func() string { return djangotest.RandomHex(t, 20) }
	apiKey := func() string { return "ntc_" + djangotest.RandomHex(t, 16) }

	// alice: active staff member with a full profile, five sessions (one
	// live, one revoked, one idle a microsecond too long, one idle exactly
	// 24 h, which is still live, one created a microsecond over 72 h ago),
	// an API key and a Google link.
	f.alice = dj.AddUser(djangotest.User{Username: "alice", Email: "Alice@Example.com",
		Password:  djangotest.Hash(f.alicePW, "aliceSalt0123456789ABC", aliceIterations),
		FirstName: "Alice", LastName: "Liddell", IsActive: true, IsStaff: true,
		DateJoined: ago(400*day + 123456*time.Microsecond)})
	f.aliceAPI = apiKey()
	dj.AddCreator(djangotest.Creator{UserID: f.alice, Image: "user_upload/user_1/profile_pic/profile_latest.png",
		Motto: "curiouser", SocialLink: "https://alice.example", EditorMode: "G", ThemePreset: "ocean",
		ThemeMode: "D", URL: "https://notes.example/api/v1", APIKeyHash: djangotest.SHA256Hex(f.aliceAPI),
		APIKeyPrefix: f.aliceAPI[:8], AppSettingsJSON: `{"font": "serif", "theme_mode": "D"}`,
		AppSettingsUpdatedAt: ptr(ago(10 * day))})
	f.aliceKey, f.aliceRevoked, f.aliceIdle, f.aliceBoundary, f.aliceOld = key(), key(), key(), key(), key()
	dj.AddSession(djangotest.Session{UserID: f.alice, Key: f.aliceKey, DeviceLabel: "Mac",
		UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)", IPHash: djangotest.SHA256Hex("203.0.113.5"),
		CreatedAt: ago(48 * time.Hour), LastSeenAt: ago(time.Hour)})
	dj.AddSession(djangotest.Session{UserID: f.alice, Key: f.aliceRevoked, DeviceLabel: "iPhone",
		CreatedAt: ago(2 * time.Hour), LastSeenAt: ago(time.Hour), RevokedAt: ptr(ago(time.Hour))})
	dj.AddSession(djangotest.Session{UserID: f.alice, Key: f.aliceIdle, DeviceLabel: "Linux",
		CreatedAt: ago(30 * time.Hour), LastSeenAt: ago(day + time.Microsecond)})
	dj.AddSession(djangotest.Session{UserID: f.alice, Key: f.aliceBoundary, DeviceLabel: "Windows PC",
		CreatedAt: ago(25 * time.Hour), LastSeenAt: ago(day)})
	dj.AddSession(djangotest.Session{UserID: f.alice, Key: f.aliceOld, DeviceLabel: "Android device",
		CreatedAt: ago(72*time.Hour + time.Microsecond), LastSeenAt: ago(time.Minute)})
	dj.AddSocial(djangotest.Social{UserID: f.alice, Provider: "google", UID: "g-alice", Email: "Alice@Example.com",
		ExtraData: `{"name": "Alice", "picture": "https://img.example/a.png"}`, CreatedAt: ago(100 * day)})

	// bob: active, no Creator row (ensure_creator would make one), one live
	// session, two GitHub links (the original could make a second one).
	f.bob = dj.AddUser(djangotest.User{Username: "bob", Email: "bob@example.com",
		Password: djangotest.Hash(f.bobPW, "bobSalt", 1000), IsActive: true, DateJoined: ago(300 * day)})
	f.bobKey = key()
	dj.AddSession(djangotest.Session{UserID: f.bob, Key: f.bobKey, CreatedAt: ago(time.Hour), LastSeenAt: ago(time.Minute)})
	dj.AddSocial(djangotest.Social{UserID: f.bob, Provider: "github", UID: "1001", CreatedAt: ago(200 * day)})
	dj.AddSocial(djangotest.Social{UserID: f.bob, Provider: "github", UID: "1002", CreatedAt: ago(100 * day)})

	// carol: registered, never verified: a pending account with a live and
	// an expired registration code.
	f.carol = dj.AddUser(djangotest.User{Username: "carol", Email: "carol@example.com",
		Password: djangotest.Hash("Carol-pw-3", "carolSalt", 1000), DateJoined: ago(2 * time.Hour)})
	dj.AddCode(djangotest.Code{Code: "012345", Usage: "R", Function: "carol@example.com", MaxUse: 1, ExpireAt: importTime.Add(22 * time.Hour)})
	dj.AddCode(djangotest.Code{Code: "111111", Usage: "R", Function: "carol@example.com", MaxUse: 1, ExpireAt: ago(time.Hour)})
	dj.AddCode(djangotest.Code{Code: "222222", Usage: "F", Function: "password_reset:bob@example.com", MaxUse: 0, ExpireAt: importTime.Add(time.Hour)})

	// dave: deactivated after he had been active (an API key and a
	// session say so): disabled here, his session not imported.
	f.dave = dj.AddUser(djangotest.User{Username: "dave", Email: "dave@example.com",
		Password: djangotest.Hash("Dave-pw-4", "daveSalt", 1000), DateJoined: ago(200 * day)})
	f.daveAPI, f.daveKey = apiKey(), key()
	dj.AddCreator(djangotest.Creator{UserID: f.dave, APIKeyHash: djangotest.SHA256Hex(f.daveAPI), APIKeyPrefix: f.daveAPI[:8]})
	dj.AddSession(djangotest.Session{UserID: f.dave, Key: f.daveKey, CreatedAt: ago(time.Hour), LastSeenAt: ago(time.Minute)})

	// erin: made by Google sign-in, with Django's unusable password.
	f.erin = dj.AddUser(djangotest.User{Username: "erin", Email: "erin@example.com",
		Password: "!" + djangotest.RandomHex(t, 20), IsActive: true, DateJoined: ago(50 * day)})
	dj.AddCreator(djangotest.Creator{UserID: f.erin})
	dj.AddSocial(djangotest.Social{UserID: f.erin, Provider: "google", UID: "g-erin", Email: "erin@example.com", CreatedAt: ago(50 * day)})

	// ALICE: Django usernames are unique case-sensitively, this server's
	// case-insensitively: not imported, nor is her session.
	f.aliceUpper = dj.AddUser(djangotest.User{Username: "ALICE", Email: "other-alice@example.com",
		Password: djangotest.Hash("Upper-pw-5", "upperSalt", 1000), IsActive: true, DateJoined: ago(30 * day)})
	dj.AddCreator(djangotest.Creator{UserID: f.aliceUpper})
	f.upperKey = key()
	dj.AddSession(djangotest.Session{UserID: f.aliceUpper, Key: f.upperKey, CreatedAt: ago(time.Hour), LastSeenAt: ago(time.Minute)})

	// frank: two Creator rows (a ForeignKey, not OneToOne): the oldest is
	// his profile.
	f.frank = dj.AddUser(djangotest.User{Username: "frank", Email: "frank@example.com",
		Password: djangotest.Hash("Frank-pw-6", "frankSalt", 1000), IsActive: true, DateJoined: ago(20 * day)})
	dj.AddCreator(djangotest.Creator{UserID: f.frank, Motto: "first"})
	dj.AddCreator(djangotest.Creator{UserID: f.frank, Motto: "second"})

	// Invitations: usable, used up, expired (all three keep the gate on).
	dj.AddInvitation(djangotest.Invitation{Code: "WELCOME", Label: "friends", MaxUses: 5, TimesUsed: 2, CreatedAt: ago(60 * day)})
	dj.AddInvitation(djangotest.Invitation{Code: "USED", MaxUses: 1, TimesUsed: 1, CreatedAt: ago(50 * day)})
	dj.AddInvitation(djangotest.Invitation{Code: "OLD", MaxUses: 3, ExpireAt: ptr(ago(day)), CreatedAt: ago(90 * day)})
	return f
}

// counts is one table's expected line of a report.
type counts struct {
	read, imported int
	skips          map[string]int
}

// checkReport compares every table of rep with want (a missing table
// expects zeros).
func checkReport(t *testing.T, rep *djimport.Report, want map[string]counts) {
	t.Helper()
	for _, tb := range rep.Tables {
		w := want[tb.Name]
		got := map[string]int{}
		for _, s := range tb.Skips {
			got[s.Reason] = s.Count
		}
		if tb.Read != w.read || tb.Imported != w.imported || !sameCounts(got, w.skips) {
			t.Errorf("%s: read %d imported %d skips %v; want read %d imported %d skips %v",
				tb.Name, tb.Read, tb.Imported, got, w.read, w.imported, w.skips)
		}
	}
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
