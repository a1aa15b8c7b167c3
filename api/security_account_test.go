package api_test

// The original's account security bugs (CONTRACT section 6), each with a
// test that fails against the original behaviour.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/cli"
	"notechondria-auth/db"
	"notechondria-auth/password"
)

// Password reset revokes every session and applies the password policy
// (the original did neither).
func TestSecurity_PasswordResetRevokesSessionsAndAppliesPolicy(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "OldPass1!")
	a := e.login("alice", "OldPass1!")
	b := e.login("alice@example.com", "OldPass1!")
	e.do("POST", "auth/password-reset/", map[string]string{"email": "alice@example.com"}, "").expect(t, 200, "")
	code := e.lastCode("alice@example.com")
	r := e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "alice@example.com", "code": code, "password": "alllower1"}, "")
	r.expectField(t, "password", "Password not updated: Backend.Creators.Auth/password.reset.confirm — password must contain at least one uppercase letter, one lowercase letter, and one digit or special character.")
	// The refused password did not spend the code.
	e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "alice@example.com", "code": code, "password": "NewPass2!"}, "").expect(t, 200, "")
	e.do("GET", "auth/sessions/", nil, a).expect(t, 401, "Invalid token.")
	e.do("GET", "auth/sessions/", nil, b).expect(t, 401, "Invalid token.")
	probe := e.do("GET", "auth/session/", nil, a).expect(t, 200, "")
	if probe.body["authenticated"] != false {
		t.Fatalf("probe after reset: %s", probe.raw)
	}
	e.login("alice", "NewPass2!")
}

// Two (here ten) concurrent verifies of one code: exactly one succeeds and
// mints a session (the original could mint several).
func TestSecurity_ConcurrentVerifyExactlyOneSucceeds(t *testing.T) {
	e := newEnv(t)
	e.registerOK("bob", "bob@example.com", "Strong1pw")
	code := e.lastCode("bob@example.com")
	statuses := acctConcurrently(10, func(int) int {
		s, _ := e.postRaw("auth/verify-email/", map[string]string{"email": "bob@example.com", "code": code}, "")
		return s
	})
	if acctCount(statuses, 200) != 1 || acctCount(statuses, 400) != 9 {
		t.Fatalf("statuses %v", statuses)
	}
	list := e.do("GET", "auth/sessions/", nil, e.login("bob", "Strong1pw")).expect(t, 200, "")
	if n := len(list.body["sessions"].([]any)); n != 2 {
		t.Fatalf("%d sessions, want the verify's and the login's", n)
	}
}

// The same for a password-reset code.
func TestSecurity_ConcurrentResetConfirmExactlyOneSucceeds(t *testing.T) {
	e := newEnv(t)
	e.createUser("cora", "cora@example.com", "Strong1pw")
	e.do("POST", "auth/password-reset/", map[string]string{"email": "cora@example.com"}, "").expect(t, 200, "")
	code := e.lastCode("cora@example.com")
	statuses := acctConcurrently(10, func(i int) int {
		s, _ := e.postRaw("auth/password-reset/confirm/", map[string]string{"email": "cora@example.com", "code": code, "password": fmt.Sprintf("NewPass%d!", i)}, "")
		return s
	})
	if acctCount(statuses, 200) != 1 || acctCount(statuses, 400) != 9 {
		t.Fatalf("statuses %v", statuses)
	}
}

// An invitation with max_uses=1 admits exactly one of ten concurrent
// registrations (the original's read-modify-write could admit several).
func TestSecurity_InvitationConcurrentRegistrationsExactlyOne(t *testing.T) {
	e := newEnv(t)
	e.createInvite("single-use", 1)
	statuses := acctConcurrently(10, func(i int) int {
		s, _ := e.postRaw("auth/register/", map[string]string{"username": fmt.Sprintf("racer%d", i),
			"email": fmt.Sprintf("racer%d@example.com", i), "password": "Strong1pw", "invitation_code": "single-use"}, "")
		return s
	})
	if acctCount(statuses, 201) != 1 || acctCount(statuses, 400) != 9 {
		t.Fatalf("statuses %v", statuses)
	}
	inv, err := e.store.InvitationByHash(bg, app.CodeHash("single-use"))
	if err != nil || inv.TimesUsed != 1 {
		t.Fatalf("times_used %+v %v", inv, err)
	}
	users, err := e.store.ListUsers(bg)
	if err != nil || len(users) != 1 {
		t.Fatalf("%d users (%v)", len(users), err)
	}
}

// A second party re-registering a pending email with another password must
// not get that password activated by the inbox owner's verification: the
// account is marked contested and verification leaves it without a usable
// password. The verifier still gets a session (and can set a password
// through the reset flow).
func TestSecurity_ReRegistrationByAnotherPartyIsContested(t *testing.T) {
	e := newEnv(t)
	e.registerOK("owner", "owner@example.com", "Owner1pw!")
	e.registerOK("attacker", "OWNER@example.com", "Attack1pw!")
	u := e.userByEmail("owner@example.com")
	if u.Username != "owner" {
		t.Fatalf("the second registration took over the username: %q", u.Username)
	}
	code := e.lastCode("owner@example.com")
	r := e.do("POST", "auth/verify-email/", map[string]string{"email": "owner@example.com", "code": code}, "").expect(t, 200, "")
	tok := "Token " + r.body["token"].(string)
	e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	for _, pw := range []string{"Attack1pw!", "Owner1pw!"} {
		for _, ident := range []string{"owner", "attacker", "owner@example.com"} {
			e.do("POST", "auth/login/", loginBody(ident, pw), "").expect(t, 400, "")
		}
	}
	if u := e.userByEmail("owner@example.com"); !u.IsActive || u.HasUsablePassword() {
		t.Fatalf("active=%v usable=%v", u.IsActive, u.HasUsablePassword())
	}
	// The owner recovers through a reset.
	e.do("POST", "auth/password-reset/", map[string]string{"email": "owner@example.com"}, "").expect(t, 200, "")
	e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "owner@example.com", "code": e.lastCode("owner@example.com"), "password": "Owner2pw!"}, "").expect(t, 200, "")
	e.login("owner@example.com", "Owner2pw!")
}

// The same person registering again with the same password keeps it (and
// may pick another username, as in the original).
func TestSecurity_ReRegistrationWithSamePasswordKeepsIt(t *testing.T) {
	e := newEnv(t)
	e.registerOK("first-name", "same@example.com", "Same1pw!")
	e.registerOK("second-name", "same@example.com", "Same1pw!")
	// Re-registering with the pending account's own username works too
	// (the original refused it as "already taken").
	e.registerOK("second-name", "same@example.com", "Same1pw!")
	e.do("POST", "auth/verify-email/", map[string]string{"email": "same@example.com", "code": e.lastCode("same@example.com")}, "").expect(t, 200, "")
	e.login("second-name", "Same1pw!")
	e.login("same@example.com", "Same1pw!")
	e.do("POST", "auth/login/", loginBody("first-name", "Same1pw!"), "").expect(t, 400, "")
}

// A password reset proves who owns the inbox, so it settles a contested
// registration: the reset password survives the verification.
func TestSecurity_ResetSettlesContestedRegistration(t *testing.T) {
	e := newEnv(t)
	e.registerOK("owner", "owner@example.com", "Owner1pw!")
	e.registerOK("intruder", "owner@example.com", "Attack1pw!")
	e.do("POST", "auth/password-reset/", map[string]string{"email": "owner@example.com"}, "").expect(t, 200, "")
	reset := e.lastCode("owner@example.com")
	e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "owner@example.com", "code": reset, "password": "Owner3pw!"}, "").expect(t, 200, "")
	// The registration code is still live (it was mailed before the reset).
	c, err := e.store.LatestCode(bg, "owner@example.com", app.CodeRegister, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Issue a known registration code in its place to verify with.
	plain := "424242"
	if err := e.store.IssueCode(bg, &app.Code{CodeHash: app.CodeHash(plain), Usage: app.CodeRegister, Function: "owner@example.com",
		UserID: c.UserID, MaxUse: 1, CreatedAt: e.clock.Now(), ExpireAt: e.clock.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.do("POST", "auth/verify-email/", map[string]string{"email": "owner@example.com", "code": plain}, "").expect(t, 200, "")
	e.login("owner", "Owner3pw!")
	e.do("POST", "auth/login/", loginBody("owner", "Attack1pw!"), "").expect(t, 400, "")
}

// PATCH settings/ cannot change the email (the original changed it with no
// code at all). Other fields of a refused PATCH are not saved either.
func TestSecurity_PatchSettingsCannotChangeEmail(t *testing.T) {
	e := newEnv(t)
	e.createUser("dora", "dora@example.com", "Strong1pw")
	e.createUser("eve", "eve@example.com", "Strong1pw")
	tok := e.login("dora", "Strong1pw")
	for _, email := range []string{"new@example.com", "", "eve@example.com"} {
		r := e.do("PATCH", "settings/", map[string]string{"email": email, "first_name": "Changed"}, tok)
		r.expectField(t, "email", "")
	}
	r := e.doForm("PATCH", "settings/", acctForm("email", "form@example.com"), tok)
	r.expectField(t, "email", "")
	g := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	if g.body["email"] != "dora@example.com" || g.body["first_name"] != "" {
		t.Fatalf("settings after refused PATCHes: %s", g.raw)
	}
	if _, err := e.store.UserByEmail(bg, "new@example.com"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("email changed: %v", err)
	}
	// The current address in another case is not a change.
	e.do("PATCH", "settings/", map[string]string{"email": "DORA@example.com"}, tok).expect(t, 200, "")
}

// The change-email confirm code is bound to the user who asked for it (the
// original keyed it only by the new address), and another user asking for
// the same address does not cancel it.
func TestSecurity_ChangeEmailCodeBoundToUser(t *testing.T) {
	e := newEnv(t)
	e.createUser("ann", "ann@example.com", "Strong1pw")
	e.createUser("ben", "ben@example.com", "Strong1pw")
	a := e.login("ann", "Strong1pw")
	b := e.login("ben", "Strong1pw")
	ida := e.identityCode(a, "ann@example.com")
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "shared@example.com", "identity_code": ida}, a).expect(t, 200, "")
	codeA := e.lastCode("shared@example.com")
	// Ben asks for the same address: Ann's code stays valid.
	idb := e.identityCode(b, "ben@example.com")
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "shared@example.com", "identity_code": idb}, b).expect(t, 200, "")
	codeB := e.lastCode("shared@example.com")
	// Ben cannot confirm with Ann's code, nor burn it with guesses (his
	// misses count against his own code only: four leave it alive).
	for i := 0; i < 4; i++ {
		r := e.do("POST", "auth/change-email/", map[string]string{"new_email": "shared@example.com", "code": codeA}, b).expect(t, 400, "")
		if codeA != codeB && r.nonField() != "Email change aborted: Backend.Creators.Auth/email.change.confirm — verification code is invalid, expired, or already consumed." {
			t.Fatalf("ben with ann's code: %s", r.raw)
		}
		if codeA == codeB {
			break // both got the same six digits by chance; nothing more to check
		}
	}
	r := e.do("POST", "auth/change-email/", map[string]string{"new_email": "shared@example.com", "code": codeA}, a).expect(t, 200, "")
	if r.body["email"] != "shared@example.com" {
		t.Fatalf("confirm %s", r.raw)
	}
	// Ben's own code now meets an address in use.
	r = e.do("POST", "auth/change-email/", map[string]string{"new_email": "shared@example.com", "code": codeB}, b).expect(t, 400, "")
	if r.nonField() != "Email change aborted: Backend.Creators.Auth/email.change.confirm — this email is already in use by another account." {
		t.Fatalf("ben confirm %s", r.raw)
	}
	if e.userByEmail("shared@example.com").Username != "ann" {
		t.Fatal("the address went to the wrong account")
	}
}

// Change-email (confirm) and password reset revoke the other sessions.
func TestSecurity_ChangeEmailRevokesOtherSessions(t *testing.T) {
	e := newEnv(t)
	e.createUser("cal", "cal@example.com", "Strong1pw")
	a := e.login("cal", "Strong1pw")
	b := e.login("cal", "Strong1pw")
	id := e.identityCode(a, "cal@example.com")
	// Request step errors first: the address in use (even one's own).
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "CAL@example.com", "identity_code": id}, a).
		expectField(t, "new_email", "Email change aborted: Backend.Creators.Auth/email.change.request — this email is already in use by another account.")
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "cal2@example.com", "identity_code": "000000x"}, a).
		expect(t, 400, "Invalid or expired identity verification code.")
	r := e.do("POST", "auth/change-email/", map[string]string{"new_email": "cal2@example.com", "identity_code": id}, a).expect(t, 200, "")
	if r.body["email"] != "cal2@example.com" || r.body["delivery_fallback"] != true {
		t.Fatalf("request %s", r.raw)
	}
	if l := e.mailLines("cal2@example.com"); len(l) != 1 || l[0]["subject"] != "Confirm your new Notechondria email" {
		t.Fatalf("mail %v", l)
	}
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "cal2@example.com", "code": e.lastCode("cal2@example.com")}, a).expect(t, 200, "")
	e.do("GET", "auth/sessions/", nil, b).expect(t, 401, "Invalid token.")
	list := e.do("GET", "auth/sessions/", nil, a).expect(t, 200, "")
	if n := len(list.body["sessions"].([]any)); n != 1 {
		t.Fatalf("%d sessions left", n)
	}
	e.login("cal2@example.com", "Strong1pw")
}

// A wrong current password on change-password does not burn the identity
// code (the original consumed the code first).
func TestSecurity_WrongCurrentPasswordDoesNotBurnIdentityCode(t *testing.T) {
	e := newEnv(t)
	e.createUser("dina", "dina@example.com", "Strong1pw")
	tok := e.login("dina", "Strong1pw")
	code := e.identityCode(tok, "dina@example.com")
	e.do("POST", "auth/change-password/", map[string]string{"current_password": "Wrong1pw", "new_password": "Newer2pw!", "identity_code": code}, tok).
		expect(t, 400, "Password not updated: Backend.Creators.Auth/password.change — current password does not match.")
	e.do("POST", "auth/change-password/", map[string]string{"current_password": "Strong1pw", "new_password": "weakpass", "identity_code": code}, tok).
		expectField(t, "new_password", "Password not updated: Backend.Creators.Auth/password.change.validate — password must contain at least one uppercase letter, one lowercase letter, and one digit or special character.")
	e.do("POST", "auth/change-password/", map[string]string{"current_password": "Strong1pw", "new_password": "Newer2pw!", "identity_code": code}, tok).expect(t, 200, "")
	// Now it is spent.
	e.do("POST", "auth/change-password/", map[string]string{"current_password": "Newer2pw!", "new_password": "Newest3pw!", "identity_code": code}, e.login("dina", "Newer2pw!")).
		expect(t, 400, "Password not updated: Backend.Creators.Auth/password.change — identity verification code is invalid, expired, or already consumed.")
}

// An API key cannot change the password or the email (403); it can still
// do everything else it could.
func TestSecurity_APIKeyCannotChangePasswordOrEmail(t *testing.T) {
	e := newEnv(t)
	e.createUser("flo", "flo@example.com", "Strong1pw")
	tok := e.login("flo", "Strong1pw")
	key := "Bearer " + e.do("POST", "auth/rotate-api-key/", nil, tok).expect(t, 200, "").body["api_key"].(string)
	id := e.identityCode(key, "flo@example.com")
	const msg = "This action requires a signed-in session: an API key cannot change the password or the email address."
	e.do("POST", "auth/change-password/", map[string]string{"current_password": "Strong1pw", "new_password": "Newer2pw!", "identity_code": id}, key).expect(t, 403, msg)
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "flo2@example.com", "identity_code": id}, key).expect(t, 403, msg)
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "flo2@example.com", "code": "123456"}, key).expect(t, 403, msg)
	// The identity code was not spent by the refusals.
	e.do("POST", "auth/change-password/", map[string]string{"current_password": "Strong1pw", "new_password": "Newer2pw!", "identity_code": id}, tok).expect(t, 200, "")
	e.do("POST", "auth/logout/", nil, key).expect(t, 204, "")
	e.do("PATCH", "settings/", map[string]string{"first_name": "Flo"}, key).expect(t, 200, "")
}

// Unknown-user login answers exactly like a wrong password, and runs a
// dummy hash (checked without timing in the default run).
func TestSecurity_UnknownUserLoginLooksLikeWrongPassword(t *testing.T) {
	e := newEnv(t)
	e.createUser("gil", "gil@example.com", "Strong1pw")
	e.registerOK("pend", "pend@example.com", "Strong1pw")
	var bodies []string
	for _, ident := range []string{"nobody", "nobody@example.com", "gil"} {
		r := e.do("POST", "auth/login/", loginBody(ident, "Wrong1pw"), "").expect(t, 400, "")
		bodies = append(bodies, string(r.raw))
	}
	// A pending account with the right password gets the same answer.
	r := e.do("POST", "auth/login/", loginBody("pend", "Strong1pw"), "").expect(t, 400, "")
	bodies = append(bodies, string(r.raw))
	for _, b := range bodies {
		if b != `{"non_field_errors":["Sign-in rejected: Backend.Creators.Auth/login — email/username and password do not match any active account."]}` {
			t.Fatalf("login failure body %s", b)
		}
	}
	r = e.do("POST", "auth/login/", map[string]string{"password": "x"}, "").expect(t, 400, "")
	if r.nonField() != "Sign-in rejected: Backend.Creators.Auth/login — either email or username is required in the login payload." {
		t.Fatalf("no identifier %s", r.raw)
	}
	e.do("POST", "auth/login/", map[string]string{"identifier": "  ", "password": "x"}, "").expectField(t, "identifier", "This field may not be blank.")
}

// With a deliberately slow hasher, a login for an unknown account takes
// about as long as one for a known account with a wrong password: both run
// one hash. (The original answered unknown accounts without hashing.)
func TestSecurity_UnknownUserLoginRunsDummyHash(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	slow := password.New(2, password.WithParams(password.Params{Time: 2, MemoryKiB: 8 * 1024, Threads: 1}))
	start := time.Now()
	if _, _, err := slow.Verify(bg, "x", mustHash(t, slow, "Strong1pw")); err != nil {
		t.Fatal(err)
	}
	if hashTime := time.Since(start); hashTime < 20*time.Millisecond {
		t.Skipf("hash too fast to measure (%v)", hashTime)
	} else if hashTime > 2*time.Second {
		t.Skipf("hash too slow here (%v)", hashTime)
	}
	store, err := db.Open(bg, filepath.Join(t.TempDir(), "auth.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := buildServer(t, store, api.DefaultConfig(), nil, api.Options{Logger: zerolog.Nop(), Rand: rand.Reader, Hasher: slow})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &env{t: t, srv: srv, http: hs, store: store, clock: &clock{t: time.Now()}, logs: &syncBuffer{}}
	u := app.NewUser("hal", "hal@example.com", time.Now())
	u.Password, u.IsActive = mustHash(t, slow, "Strong1pw"), true
	if err := store.CreateUser(bg, u); err != nil {
		t.Fatal(err)
	}
	median := func(ident string) time.Duration {
		var d []time.Duration
		for i := 0; i < 5; i++ {
			s := time.Now()
			e.do("POST", "auth/login/", loginBody(ident, "Wrong1pw"), "").expect(t, 400, "")
			d = append(d, time.Since(s))
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[2]
	}
	known, unknown := median("hal"), median("nobody-at-all")
	if unknown < known/3 {
		t.Fatalf("unknown account %v vs known account %v: no dummy hash?", unknown, known)
	}
}

func mustHash(t *testing.T, h *password.Hasher, pw string) string {
	t.Helper()
	s, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Deactivating an account (the admin CLI) revokes its sessions, and the
// running server notices through the change log.
func TestSecurity_AccountDisableRevokesSessions(t *testing.T) {
	e := newEnv(t)
	e.createUser("ida", "ida@example.com", "Strong1pw")
	tok := e.login("ida", "Strong1pw")
	e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, "") // now cached
	runCtx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { e.srv.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	var out, errOut bytes.Buffer
	if err := cli.Run(bg, cli.Env{Args: []string{"user", "deactivate", "--db", e.store.Path(), "--user", "ida@example.com"},
		Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut}); err != nil {
		t.Fatalf("deactivate: %v %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "1 session(s) revoked") {
		t.Fatalf("cli said %q", out.String())
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e.do("GET", "auth/sessions/", nil, tok)
		if r.status == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session still accepted after deactivation: %d %s", r.status, r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.do("POST", "auth/login/", loginBody("ida", "Strong1pw"), "").expect(t, 400, "")
	if u := e.userByEmail("ida@example.com"); u.IsActive {
		t.Fatal("still active")
	}
}

// PATCH settings/ validates the values that arrive through app_settings
// (the original wrote them to the columns unchecked).
func TestSecurity_PatchSettingsValidatesAppSettings(t *testing.T) {
	e := newEnv(t)
	e.createUser("jo", "jo@example.com", "Strong1pw")
	tok := e.login("jo", "Strong1pw")
	for _, as := range []map[string]any{
		{"theme_mode": "dark"},
		{"theme_mode": 1},
		{"theme_preset": ""},
		{"theme_preset": strings.Repeat("p", 33)},
		{"theme_preset": nil},
		{"api_base_url": "localhost:9080/api/v1"},
		{"api_base_url": "ftp://example.com/"},
		{"api_base_url": "https://example.com/" + strings.Repeat("a", 255)},
	} {
		r := e.do("PATCH", "settings/", map[string]any{"app_settings": as}, tok)
		r.expectField(t, "app_settings", "Settings not saved: Backend.Creators.Settings/update.validate_app_settings — theme_preset, theme_mode and api_base_url inside app_settings must pass the same checks as the fields.")
	}
	g := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	if g.body["theme_mode"] != "S" || g.body["theme_preset"] != "teal" || g.body["app_settings_updated_at"] != nil {
		t.Fatalf("a refused PATCH changed settings: %s", g.raw)
	}
	// Valid values are copied onto the columns.
	r := e.do("PATCH", "settings/", map[string]any{"app_settings": map[string]any{"theme_mode": "D", "theme_preset": "rose", "api_base_url": " https://x.example.com/api/v1 "}}, tok).expect(t, 200, "")
	if r.body["theme_mode"] != "D" || r.body["theme_preset"] != "rose" || r.body["api_base_url"] != "https://x.example.com/api/v1" {
		t.Fatalf("valid app_settings %s", r.raw)
	}
	// ChoiceFields match the value as sent, like DRF.
	e.do("PATCH", "settings/", map[string]any{"theme_mode": " D "}, tok).expectField(t, "theme_mode", `" D " is not a valid choice.`)
	e.do("PATCH", "settings/", map[string]any{"editor_mode": ""}, tok).expectField(t, "editor_mode", `"" is not a valid choice.`)
	e.do("PATCH", "settings/", map[string]any{"editor_mode": nil}, tok).expectField(t, "editor_mode", "This field may not be null.")
}

// A username set through PATCH settings/ must match the register rule
// (the original accepted any string of up to 150 characters).
func TestSecurity_PatchSettingsUsernameMustMatchRegisterRule(t *testing.T) {
	e := newEnv(t)
	e.createUser("kai", "kai@example.com", "Strong1pw")
	tok := e.login("kai", "Strong1pw")
	for name, msg := range map[string]string{
		"has space":              "This value does not match the required pattern.",
		"kai@example.com":        "This value does not match the required pattern.",
		"ünïcode":                "This value does not match the required pattern.",
		"ab":                     "Ensure this field has at least 3 characters.",
		strings.Repeat("k", 151): "Ensure this field has no more than 150 characters.",
		"":                       "This field may not be blank.",
	} {
		e.do("PATCH", "settings/", map[string]string{"username": name}, tok).expectField(t, "username", msg)
	}
	r := e.do("PATCH", "settings/", map[string]string{"username": "Kai_2-x"}, tok).expect(t, 200, "")
	if r.body["username"] != "Kai_2-x" {
		t.Fatalf("%s", r.raw)
	}
	e.login("kai_2-X", "Strong1pw")
}
