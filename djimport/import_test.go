package djimport_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/djimport"
	"notechondria-auth/internal/djangotest"
)

// firstRun is the report of importing the fixture into an empty target.
func firstRun() map[string]counts {
	return map[string]counts{
		djimport.TableUsers: {7, 6, map[string]int{djimport.SkipUsernameTaken: 1}},
		djimport.TableCreators: {6, 4, map[string]int{djimport.SkipSecondCreator: 1,
			djimport.SkipUsernameTaken: 1}},
		djimport.TableAPIKeys: {2, 2, nil},
		djimport.TableSessions: {8, 3, map[string]int{djimport.SkipRevoked: 1, djimport.SkipExpired: 2,
			djimport.SkipUserInactive: 1, djimport.SkipUserNotImported: 1}},
		djimport.TableSocial:      {4, 3, map[string]int{djimport.SkipSecondLink: 1}},
		djimport.TableInvitations: {3, 3, nil},
		djimport.TableCodes:       {3, 0, map[string]int{djimport.SkipLiveCode: 1, djimport.SkipDeadCode: 2}},
	}
}

// rerun is the report of importing the fixture a second time.
func rerun() map[string]counts {
	return map[string]counts{
		djimport.TableUsers: {7, 0, map[string]int{djimport.SkipAlreadyImported: 6, djimport.SkipUsernameTaken: 1}},
		djimport.TableCreators: {6, 0, map[string]int{djimport.SkipAlreadyImported: 4,
			djimport.SkipSecondCreator: 1, djimport.SkipUsernameTaken: 1}},
		djimport.TableAPIKeys: {2, 0, map[string]int{djimport.SkipAlreadyImported: 2}},
		djimport.TableSessions: {8, 0, map[string]int{djimport.SkipAlreadyImported: 3, djimport.SkipRevoked: 1,
			djimport.SkipExpired: 2, djimport.SkipUserInactive: 1, djimport.SkipUserNotImported: 1}},
		djimport.TableSocial:      {4, 0, map[string]int{djimport.SkipAlreadyImported: 3, djimport.SkipSecondLink: 1}},
		djimport.TableInvitations: {3, 0, map[string]int{djimport.SkipAlreadyImported: 3}},
		djimport.TableCodes:       {3, 0, map[string]int{djimport.SkipLiveCode: 1, djimport.SkipDeadCode: 2}},
	}
}

// Every table lands where CONTRACT section 2 says, field by field.
func TestImport_CopiesEveryTable(t *testing.T) {
	f := newFixture(t, 1000)
	store := newTarget(t)
	ctx := t.Context()
	rep := runImport(t, f.dj.URL, store, false)
	checkReport(t, rep, firstRun())

	alice, err := store.UserByID(ctx, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	want := app.User{ID: f.alice, Username: "alice", Email: "alice@example.com", Password: alice.Password,
		FirstName: "Alice", LastName: "Liddell", IsActive: true, IsStaff: true,
		DateJoined: ago(400*day + 123456*time.Microsecond), Motto: "curiouser", SocialLink: "https://alice.example",
		ImageURL: "/media/user_upload/user_1/profile_pic/profile_latest.png", EditorMode: "G",
		ThemePreset: "ocean", ThemeMode: "D", APIBaseURL: "https://notes.example/api/v1",
		AppSettingsJSON: `{"font": "serif", "theme_mode": "D"}`, AppSettingsUpdatedAt: alice.AppSettingsUpdatedAt,
		APIKeyPrefix: f.aliceAPI[:8]}
	if *alice != want || alice.AppSettingsUpdatedAt == nil || !alice.AppSettingsUpdatedAt.Equal(ago(10*day)) {
		t.Errorf("alice:\n got %+v\nwant %+v", *alice, want)
	}
	if !strings.HasPrefix(alice.Password, "pbkdf2_sha256$1000$aliceSalt0123456789ABC$") {
		t.Errorf("the Django hash is kept as it is until sign-in: %q", alice.Password)
	}
	if got := string(alice.AppSettings()); got != `{"theme_preset":"ocean","theme_mode":"D","api_base_url":"https://notes.example/api/v1","font":"serif"}` {
		t.Errorf("app_settings: %s", got)
	}
	if u, err := store.UserByAPIKeyHash(ctx, app.HashHex(f.aliceAPI)); err != nil || u.ID != alice.ID {
		t.Errorf("alice's API key: %v %v", u, err)
	}

	// Sessions: looked up by the hash of the plaintext key; times exact,
	// the original's unsalted IP hash dropped.
	for _, c := range []struct {
		key      string
		imported bool
		label    string
		created  time.Time
	}{
		{f.aliceKey, true, "Mac", ago(48 * time.Hour)},
		{f.aliceBoundary, true, "Windows PC", ago(25 * time.Hour)},
		{f.bobKey, true, "", ago(time.Hour)},
		{f.aliceRevoked, false, "", time.Time{}},
		{f.aliceIdle, false, "", time.Time{}},
		{f.aliceOld, false, "", time.Time{}},
		{f.daveKey, false, "", time.Time{}},
		{f.upperKey, false, "", time.Time{}},
	} {
		s, _, err := store.SessionByKeyHash(ctx, app.HashHex(c.key))
		if !c.imported {
			if app.ErrorCode(err) != app.ENOTFOUND {
				t.Errorf("session %s: imported (%v), want skipped", c.key[:6], err)
			}
			continue
		}
		if err != nil || s.DeviceLabel != c.label || !s.CreatedAt.Equal(c.created) || s.RevokedAt != nil {
			t.Errorf("session %s: %+v %v", c.key[:6], s, err)
		}
	}
	live, err := store.ListSessions(ctx, alice.ID, time.Time{}, time.Time{})
	if err != nil || len(live) != 2 {
		t.Fatalf("alice's sessions: %v %v", live, err)
	}
	for _, s := range live {
		if s.IPHash != "" || s.KeyHash == f.aliceKey {
			t.Errorf("session %d: ip_hash %q key_hash %q", s.ID, s.IPHash, s.KeyHash)
		}
	}
	if s := live[0]; s.UserAgent != "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)" || !s.LastSeenAt.Equal(ago(time.Hour)) {
		t.Errorf("alice's newest session: %+v", s)
	}

	// Accounts without a Creator get the defaults; the oldest Creator
	// wins; the OAuth-only account keeps its unusable password.
	bob, _ := store.UserByUsername(ctx, "bob")
	if bob.EditorMode != "P" || bob.ThemePreset != "teal" || bob.ThemeMode != "S" ||
		bob.APIBaseURL != app.DefaultAPIBaseURL || bob.ImageURL != "" || bob.APIKeyPrefix != "" {
		t.Errorf("bob's defaults: %+v", bob)
	}
	if frank, _ := store.UserByUsername(ctx, "frank"); frank.Motto != "first" {
		t.Errorf("frank's profile: %+v", frank)
	}
	if erin, _ := store.UserByUsername(ctx, "erin"); erin.HasUsablePassword() {
		t.Errorf("erin's password became usable: %q", erin.Password)
	}

	// Inactive accounts: pending when they never signed in, disabled when
	// they had been active.
	carol, _ := store.UserByUsername(ctx, "carol")
	dave, _ := store.UserByUsername(ctx, "dave")
	if carol.IsActive || carol.Disabled || dave.IsActive || !dave.Disabled {
		t.Errorf("carol %v/%v (want pending), dave %v/%v (want disabled)", carol.IsActive, carol.Disabled, dave.IsActive, dave.Disabled)
	}
	if _, err := store.UserByUsername(ctx, "ALICE"); err != nil {
		t.Errorf("lookup ALICE: %v", err) // finds alice: case-insensitive
	}
	users, _ := store.ListUsers(ctx)
	ids := map[string]int64{}
	for _, u := range users {
		ids[u.Username] = u.ID
	}
	if len(users) != 6 || ids["alice"] != f.alice || ids["bob"] != f.bob || ids["carol"] != f.carol ||
		ids["dave"] != f.dave || ids["erin"] != f.erin || ids["frank"] != f.frank {
		t.Errorf("accounts and their ids: %v, want the Django ids", ids)
	}

	// Social links: the oldest of bob's two GitHub links, extra_data kept.
	if a, err := store.SocialAccountByUID(ctx, "google", "g-alice"); err != nil || a.UserID != alice.ID ||
		a.Email != "alice@example.com" || a.ExtraData != `{"name": "Alice", "picture": "https://img.example/a.png"}` ||
		!a.CreatedAt.Equal(ago(100*day)) {
		t.Errorf("alice's Google link: %+v %v", a, err)
	}
	if a, err := store.SocialAccountByUID(ctx, "github", "1001"); err != nil || a.UserID != bob.ID {
		t.Errorf("bob's first GitHub link: %+v %v", a, err)
	}
	if _, err := store.SocialAccountByUID(ctx, "github", "1002"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("bob's second GitHub link: %v", err)
	}

	// Invitations: all three, the code hashes as the API computes them.
	for _, c := range []struct {
		code        string
		valid       bool
		used, limit int
	}{{"WELCOME", true, 2, 5}, {"USED", false, 1, 1}, {"OLD", false, 0, 3}} {
		inv, err := store.InvitationByHash(ctx, app.CodeHash(" "+c.code+" "))
		valid, _ := store.InvitationValid(ctx, app.CodeHash(c.code), importTime)
		if err != nil || inv.TimesUsed != c.used || inv.MaxUses != c.limit || valid != c.valid {
			t.Errorf("invitation %s: %+v %v valid %v", c.code, inv, err, valid)
		}
	}
	if gate, _ := store.InvitationGate(ctx); !gate {
		t.Error("the invitation gate is off")
	}

	var out bytes.Buffer
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"auth_user                  7     6         1",
		"creators_session: 2 expired", `auth_user #6 "ALICE"`, "1 inactive account(s) that never signed in",
		"1 inactive account(s) that had been active", "the IP hashes of 1 imported session(s) were dropped",
		"passwords of the new accounts: 1 unusable, 5 pbkdf2_sha256"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, out.String())
		}
	}
}

// A second run imports nothing and writes nothing; a later run after
// Django went on picks up exactly what is new.
func TestImport_RerunIsIdempotent(t *testing.T) {
	f := newFixture(t, 1000)
	store := newTarget(t)
	ctx := t.Context()
	runImport(t, f.dj.URL, store, false)
	before, _ := store.LastChange(ctx)
	checkReport(t, runImport(t, f.dj.URL, store, false), rerun())
	if after, _ := store.LastChange(ctx); after != before {
		t.Errorf("the re-run wrote to the change log (%d -> %d)", before, after)
	}
	if users, _ := store.ListUsers(ctx); len(users) != 6 {
		t.Errorf("%d accounts after the re-run, want 6", len(users))
	}

	// Django kept running: a new account with a session, a new session
	// of bob, bob renamed on the target meanwhile.
	gina := f.dj.AddUser(djangotest.User{Username: "gina", Email: "gina@example.com",
		Password: djangotest.Hash("Gina-pw-7", "ginaSalt", 1000), IsActive: true, DateJoined: ago(time.Hour)})
	ginaKey, bobKey2 := djangotest.RandomHex(t, 20), djangotest.RandomHex(t, 20)
	f.dj.AddSession(djangotest.Session{UserID: gina, Key: ginaKey, CreatedAt: ago(time.Hour), LastSeenAt: ago(time.Hour)})
	f.dj.AddSession(djangotest.Session{UserID: f.bob, Key: bobKey2, CreatedAt: ago(time.Minute), LastSeenAt: ago(time.Minute)})
	bob, _ := store.UserByUsername(ctx, "bob")
	bob.Username = "robert"
	if err := store.UpdateUser(ctx, bob); err != nil {
		t.Fatal(err)
	}
	rep := runImport(t, f.dj.URL, store, false)
	if u, s := rep.Table(djimport.TableUsers), rep.Table(djimport.TableSessions); u.Imported != 1 || s.Imported != 2 ||
		u.SkippedFor(djimport.SkipAlreadyImported) != 6 {
		t.Errorf("catch-up run: users %+v sessions %+v", u, s)
	}
	for _, k := range []string{ginaKey, bobKey2} {
		if _, u, err := store.SessionByKeyHash(ctx, app.HashHex(k)); err != nil || (k == bobKey2 && u.ID != bob.ID) {
			t.Errorf("new session: %v %v", u, err)
		}
	}
	if _, err := store.UserByUsername(ctx, "bob"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("the renamed account was imported again: %v", err)
	}
}

// A dry run reports what a real run does and writes nothing, on an empty
// target and on one imported before.
func TestImport_DryRunWritesNothing(t *testing.T) {
	f := newFixture(t, 1000)
	ctx := t.Context()
	empty := newTarget(t)
	dry := runImport(t, f.dj.URL, empty, true)
	if !dry.DryRun {
		t.Error("report not marked as a dry run")
	}
	checkReport(t, dry, firstRun())
	if n, _ := empty.LastChange(ctx); n != 0 {
		t.Errorf("the dry run wrote %d change-log rows", n)
	}
	if users, _ := empty.ListUsers(ctx); len(users) != 0 {
		t.Errorf("the dry run created %d accounts", len(users))
	}
	if gate, _ := empty.InvitationGate(ctx); gate {
		t.Error("the dry run created invitations")
	}
	var out bytes.Buffer
	dry.Write(&out)
	if !strings.Contains(out.String(), "Dry run: nothing was written") || !strings.Contains(out.String(), "TO IMPORT") {
		t.Errorf("dry-run report:\n%s", out.String())
	}

	imported := newTarget(t)
	runImport(t, f.dj.URL, imported, false)
	before, _ := imported.LastChange(ctx)
	checkReport(t, runImport(t, f.dj.URL, imported, true), rerun())
	if after, _ := imported.LastChange(ctx); after != before {
		t.Errorf("the dry run wrote to an imported target (%d -> %d)", before, after)
	}
}
