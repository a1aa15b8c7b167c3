package api_test

// Tests of register.go: POST auth/register/, auth/verify-email/ and
// auth/resend-verification/. Invitations (auth/validate-invitation/ and
// the registration gate) are in register_invitation_test.go.

import (
	"context"
	"strings"
	"testing"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/mail"
)

func TestRegister_Contract_CreatesInactiveUserAndSendsCode(t *testing.T) {
	e := newEnv(t)
	r := e.registerOK("alice", "Alice@Example.com", "Strong1pw")
	if r.body["email"] != "alice@example.com" || r.body["delivery_fallback"] != true || r.body["message"] != mail.NotConfiguredMessage {
		t.Fatalf("register body: %s", r.raw)
	}
	if len(r.body) != 3 {
		t.Fatalf("register body keys: %s", r.raw)
	}
	u := e.userByEmail("alice@example.com")
	if u.IsActive || u.Username != "alice" || u.Email != "alice@example.com" {
		t.Fatalf("user: active=%v username=%q email=%q", u.IsActive, u.Username, u.Email)
	}
	if code := e.lastCode("alice@example.com"); !sixDigits.MatchString(code) {
		t.Fatalf("code %q", code)
	}
	// A pending account cannot sign in.
	e.do("POST", "auth/login/", map[string]string{"email": "alice", "password": "Strong1pw"}, "").expect(t, 400, "")
}

func TestRegister_Contract_ThenVerifyActivatesUser(t *testing.T) {
	e := newEnv(t)
	e.registerOK("bob", "bob@example.com", "Strong1pw")
	code := e.lastCode("bob@example.com")
	r := e.do("POST", "auth/verify-email/", map[string]string{"email": "bob@example.com", "code": code}, "").expect(t, 200, "")
	tok, _ := r.body["token"].(string)
	if len(tok) != 40 {
		t.Fatalf("token %q", tok)
	}
	user := r.body["user"].(map[string]any)
	if user["username"] != "bob" || user["email"] != "bob@example.com" || r.body["multi_device"] != false {
		t.Fatalf("verify payload: %s", r.raw)
	}
	if !e.userByEmail("bob@example.com").IsActive {
		t.Fatal("user not active after verify")
	}
	e.do("GET", "settings/", nil, "Token "+tok).expect(t, 200, "")
	e.login("bob", "Strong1pw")
	// The code is spent.
	r = e.do("POST", "auth/verify-email/", map[string]string{"email": "bob@example.com", "code": code}, "").expect(t, 400, "")
	if r.nonField() != "Email verification failed: Backend.Creators.Auth/verify — verification code is invalid, expired, or already consumed." {
		t.Fatalf("reuse: %s", r.raw)
	}
}

func TestRegister_Contract_RejectsWeakPasswordNoUppercase(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "auth/register/", map[string]string{"username": "carol", "email": "carol@example.com", "password": "alllower1"}, "")
	r.expectField(t, "password", "Registration rejected: Backend.Creators.Auth/register.validate_password — password must contain at least one uppercase letter, one lowercase letter, and one digit or special character.")
	if _, err := e.store.UserByEmail(bg, "carol@example.com"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("user created despite the error: %v", err)
	}
}

func TestRegister_Contract_RejectsShortPassword(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "auth/register/", map[string]string{"username": "dave", "email": "dave@example.com", "password": "Ab1"}, "")
	r.expectField(t, "password", "Ensure this field has at least 8 characters.")
}

func TestRegister_Contract_RejectsDuplicateUsername(t *testing.T) {
	e := newEnv(t)
	e.createUser("taken", "taken@example.com", "Strong1pw")
	r := e.do("POST", "auth/register/", map[string]string{"username": "TAKEN", "email": "new@example.com", "password": "Strong1pw"}, "")
	r.expectField(t, "username", "Registration rejected: Backend.Creators.Auth/register.validate_username — this username is already taken.")
}

func TestRegister_Contract_RequiresUsername(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "auth/register/", map[string]string{"email": "erin@example.com", "password": "Strong1pw"}, "")
	r.expectField(t, "username", "This field is required.")
}

// Every invalid field is reported at once (DRF), and the register regex and
// lengths apply.
func TestRegister_Contract_ReportsEveryFieldError(t *testing.T) {
	e := newEnv(t)
	e.createUser("active", "active@example.com", "Strong1pw")
	r := e.do("POST", "auth/register/", map[string]string{"username": "no spaces", "email": "ACTIVE@example.com", "password": "short"}, "")
	r.expectField(t, "username", "This value does not match the required pattern.")
	r.expectField(t, "email", "Registration rejected: Backend.Creators.Auth/register.validate_email — a verified account already exists for this email.")
	r.expectField(t, "password", "Ensure this field has at least 8 characters.")
	e.do("POST", "auth/register/", map[string]string{"username": "ab", "email": "x@example.com", "password": "Strong1pw"}, "").
		expectField(t, "username", "Ensure this field has at least 3 characters.")
	e.do("POST", "auth/register/", map[string]string{"username": strings.Repeat("a", 151), "email": "x@example.com", "password": "Strong1pw"}, "").
		expectField(t, "username", "Ensure this field has no more than 150 characters.")
	e.do("POST", "auth/register/", map[string]string{"username": "frank", "email": "not-an-email", "password": "Strong1pw"}, "").
		expectField(t, "email", "Enter a valid email address.")
}

// Resend: unknown, verified, cooldown (field errors on email), then a new
// code that replaces the old one.
func TestRegister_Contract_ResendVerification(t *testing.T) {
	e := newEnv(t)
	e.createUser("verified", "verified@example.com", "Strong1pw")
	const pre = "Verification code not resent: Backend.Creators.Auth/resend_verification — "
	e.do("POST", "auth/resend-verification/", map[string]string{"email": "nobody@example.com"}, "").
		expectField(t, "email", pre+"no account found for this email.")
	e.do("POST", "auth/resend-verification/", map[string]string{"email": "verified@example.com"}, "").
		expectField(t, "email", pre+"this account is already verified.")
	e.registerOK("gina", "gina@example.com", "Strong1pw")
	first := e.lastCode("gina@example.com")
	e.clock.Advance(59 * e.srv.Config().ResendCooldown / 60)
	e.do("POST", "auth/resend-verification/", map[string]string{"email": "gina@example.com"}, "").
		expectField(t, "email", pre+"cooldown is active; wait 60 seconds before requesting a new code.")
	e.clock.Advance(2 * e.srv.Config().ResendCooldown / 60)
	r := e.do("POST", "auth/resend-verification/", map[string]string{"email": "GINA@example.com"}, "").expect(t, 200, "")
	if r.body["delivery_fallback"] != true || r.body["message"] != mail.NotConfiguredMessage || len(r.body) != 2 {
		t.Fatalf("resend body: %s", r.raw)
	}
	second := e.lastCode("gina@example.com")
	if first != second {
		e.do("POST", "auth/verify-email/", map[string]string{"email": "gina@example.com", "code": first}, "").expect(t, 400, "")
	}
	e.do("POST", "auth/verify-email/", map[string]string{"email": "gina@example.com", "code": second}, "").expect(t, 200, "")
}

func TestRegister_Contract_SendRegistrationEmailFallsBackToLogsWhenSMTPMissing(t *testing.T) {
	e := newEnv(t)
	r := e.registerOK("rita", "rita@example.com", "Strong1pw")
	if r.body["delivery_fallback"] != true || r.body["message"] != "SMTP is not configured. Contact an admin for the verification code." {
		t.Fatalf("body %s", r.raw)
	}
	lines := e.mailLines("rita@example.com")
	if len(lines) != 1 {
		t.Fatalf("want one fallback line, got %d:\n%s", len(lines), e.logs.String())
	}
	l := lines[0]
	if l["level"] != "warn" || l["reason"] != "smtp_not_configured" || l["subject"] != "Verify your Notechondria account" {
		t.Fatalf("fallback line %v", l)
	}
	body := l["body"].(string)
	if !strings.HasPrefix(body, "Use this code to verify your Notechondria account.\n\nEmail: rita@example.com\nCode: ") ||
		!strings.HasSuffix(body, "\nCode expires in: 24 hours\nVerify here: Open the app settings page to continue.\n") {
		t.Fatalf("body %q", body)
	}
}

// Two (here ten) concurrent verifies of one code: exactly one succeeds and
// mints a session (the original could mint several).
func TestRegister_Security_ConcurrentVerifyExactlyOneSucceeds(t *testing.T) {
	e := newEnv(t)
	e.registerOK("bob", "bob@example.com", "Strong1pw")
	code := e.lastCode("bob@example.com")
	statuses := acctConcurrently(10, func(int) int {
		s, _ := e.postRaw("auth/verify-email/", map[string]string{"email": "bob@example.com", "code": code}, "")
		return s
	})
	// Exactly one wins; the others find the code spent (400) or, from this
	// one client, run out of guesses first (429).
	if acctCount(statuses, 200) != 1 || acctCount(statuses, 400)+acctCount(statuses, 429) != 9 {
		t.Fatalf("statuses %v", statuses)
	}
	list := e.do("GET", "auth/sessions/", nil, e.login("bob", "Strong1pw")).expect(t, 200, "")
	if n := len(list.body["sessions"].([]any)); n != 2 {
		t.Fatalf("%d sessions, want the verify's and the login's", n)
	}
}

// A second party re-registering a pending email with another password must
// not get that password activated by the inbox owner's verification: the
// account is marked contested and verification leaves it without a usable
// password. The verifier still gets a session (and can set a password
// through the reset flow).
func TestRegister_Security_ReRegistrationByAnotherPartyIsContested(t *testing.T) {
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
func TestRegister_Security_ReRegistrationWithSamePasswordKeepsIt(t *testing.T) {
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

// The same registration form sent several times at once (a double click)
// must not mark its own account contested: the handler compares passwords
// again when the pending account appeared after it looked.
func TestRegister_Security_DoubleSubmittedRegistrationIsNotContested(t *testing.T) {
	e := newEnv(t, noThrottle)
	body := map[string]string{"username": "quick", "email": "quick@example.com", "password": "Quick1pw!"}
	statuses := acctConcurrently(8, func(int) int {
		s, raw := e.postRaw("auth/register/", body, "")
		if s == 400 && !strings.Contains(string(raw), "this username is already taken") {
			return -s
		}
		return s
	})
	// A request that read before the first one committed may see the
	// username taken (400); none may fail otherwise.
	if acctCount(statuses, 201) == 0 || acctCount(statuses, 201)+acctCount(statuses, 400) != 8 {
		t.Fatalf("statuses %v", statuses)
	}
	users, err := e.store.ListUsers(bg)
	if err != nil || len(users) != 1 {
		t.Fatalf("%d users (%v)", len(users), err)
	}
	e.do("POST", "auth/verify-email/", map[string]string{"email": "quick@example.com", "code": e.lastCode("quick@example.com")}, "").expect(t, 200, "")
	e.login("quick", "Quick1pw!")
}

// TestRegister_Security_DeactivatedAccountStaysDisabled: an admin-deactivated account
// cannot bring itself back by registering again, resending or verifying.
func TestRegister_Security_DeactivatedAccountStaysDisabled(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("mallory", "mallory@example.com", "Strong1pw")
	if _, err := e.store.SetActive(context.Background(), u.ID, false, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "auth/register/", map[string]string{"username": "mallory", "email": "mallory@example.com", "password": "Strong1pw"}, "")
	r.expect(t, 400, "")
	if r.fieldError("email") == "" {
		t.Fatalf("re-register of a disabled account: %s", r.raw)
	}
	r = e.do("POST", "auth/resend-verification/", map[string]string{"email": "mallory@example.com"}, "")
	r.expect(t, 400, "")
	e.do("POST", "auth/login/", map[string]string{"identifier": "mallory", "password": "Strong1pw"}, "").expect(t, 400, "")
	got, err := e.store.UserByID(context.Background(), u.ID)
	if err != nil || got.IsActive || !got.Disabled {
		t.Fatalf("account state after attempts: active=%v disabled=%v err=%v", got.IsActive, got.Disabled, err)
	}
}

// A new account's api_base_url is this server's API (from --public-url, or
// the address the registering request reached), not the original's
// http://localhost:9080/api/v1, which pointed the editor at nothing.
func TestRegister_Core_APIBaseURLIsThisServer(t *testing.T) {
	for _, tc := range []struct {
		name, public string
		hdr          []string
		want         func(e *env) string
	}{
		{"request address", "", nil, func(e *env) string { return e.http.URL + "/api/v1" }},
		{"behind a trusted proxy", "", []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "notes.example.com"},
			func(*env) string { return "https://notes.example.com/api/v1" }},
		{"--public-url", "https://auth.example.org/", nil, func(*env) string { return "https://auth.example.org/api/v1" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *api.Config) { c.PublicURL = tc.public })
			e.do("POST", "auth/register/", map[string]string{"username": "newbie", "email": "newbie@example.com", "password": "Strong1pw"}, "", tc.hdr...).expect(t, 201, "")
			r := e.do("POST", "auth/verify-email/", map[string]string{"email": "newbie@example.com", "code": e.lastCode("newbie@example.com")}, "").expect(t, 200, "")
			user := r.body["user"].(map[string]any)
			if got := user["api_base_url"]; got != tc.want(e) {
				t.Fatalf("api_base_url %v, want %s", got, tc.want(e))
			}
		})
	}
}
