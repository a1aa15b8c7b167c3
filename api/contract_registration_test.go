package api_test

// CONTRACT section 4, creators/tests.py: RegistrationFlowTests,
// InvitationCodeTests, VerificationCodeModelTests and the mail fallback
// checks of CreatorModelTests, rewritten as black-box tests over HTTP.

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"notechondria-auth/app"
	"notechondria-auth/cli"
	"notechondria-auth/mail"
)

var (
	sixDigits = regexp.MustCompile(`^\d{6}$`)
	hex64     = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// --- RegistrationFlowTests

func TestRegistrationFlow_RegisterCreatesInactiveUserAndSendsCode(t *testing.T) {
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

func TestRegistrationFlow_RegisterThenVerifyActivatesUser(t *testing.T) {
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

func TestRegistrationFlow_RegisterRejectsWeakPasswordNoUppercase(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "auth/register/", map[string]string{"username": "carol", "email": "carol@example.com", "password": "alllower1"}, "")
	r.expectField(t, "password", "Registration rejected: Backend.Creators.Auth/register.validate_password — password must contain at least one uppercase letter, one lowercase letter, and one digit or special character.")
	if _, err := e.store.UserByEmail(bg, "carol@example.com"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("user created despite the error: %v", err)
	}
}

func TestRegistrationFlow_RegisterRejectsShortPassword(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "auth/register/", map[string]string{"username": "dave", "email": "dave@example.com", "password": "Ab1"}, "")
	r.expectField(t, "password", "Ensure this field has at least 8 characters.")
}

func TestRegistrationFlow_RegisterRejectsDuplicateUsername(t *testing.T) {
	e := newEnv(t)
	e.createUser("taken", "taken@example.com", "Strong1pw")
	r := e.do("POST", "auth/register/", map[string]string{"username": "TAKEN", "email": "new@example.com", "password": "Strong1pw"}, "")
	r.expectField(t, "username", "Registration rejected: Backend.Creators.Auth/register.validate_username — this username is already taken.")
}

func TestRegistrationFlow_RegisterRequiresUsername(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "auth/register/", map[string]string{"email": "erin@example.com", "password": "Strong1pw"}, "")
	r.expectField(t, "username", "This field is required.")
}

// Every invalid field is reported at once (DRF), and the register regex and
// lengths apply.
func TestRegistrationFlow_RegisterReportsEveryFieldError(t *testing.T) {
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
func TestRegistrationFlow_ResendVerification(t *testing.T) {
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

// --- InvitationCodeTests

func TestInvitationCode_InvitationCodeRequiredWhenCodesExist(t *testing.T) {
	e := newEnv(t)
	e.createInvite("secret-invite", 1)
	r := e.do("POST", "auth/register/", map[string]string{"username": "henry", "email": "henry@example.com", "password": "Strong1pw"}, "")
	r.expectField(t, "invitation_code", "Registration rejected: Backend.Creators.Auth/register.validate — an invitation code is required because this instance has at least one active invitation gate.")
	r = e.do("POST", "auth/validate-invitation/", map[string]string{}, "").expect(t, 200, "")
	if string(r.raw) != `{"required":true,"valid":false}` {
		t.Fatalf("validate-invitation: %s", r.raw)
	}
}

func TestInvitationCode_ValidInvitationCodeAllowsRegistration(t *testing.T) {
	e := newEnv(t)
	e.createInvite("secret-invite", 5)
	r := e.do("POST", "auth/validate-invitation/", map[string]string{"invitation_code": " secret-invite "}, "").expect(t, 200, "")
	if string(r.raw) != `{"required":true,"valid":true}` {
		t.Fatalf("validate-invitation: %s", r.raw)
	}
	e.registerOK("ivy", "ivy@example.com", "Strong1pw", "invitation_code", "secret-invite")
	inv, err := e.store.InvitationByHash(bg, app.CodeHash("secret-invite"))
	if err != nil {
		t.Fatal(err)
	}
	if inv.TimesUsed != 1 || inv.Label != "test" {
		t.Fatalf("times_used %d label %q", inv.TimesUsed, inv.Label)
	}
}

func TestInvitationCode_WrongInvitationCodeRejected(t *testing.T) {
	e := newEnv(t)
	e.createInvite("real", 5)
	r := e.do("POST", "auth/register/", map[string]string{"username": "jack", "email": "jack@example.com", "password": "Strong1pw", "invitation_code": "wrong-guess"}, "")
	r.expectField(t, "invitation_code", "Registration rejected: Backend.Creators.Auth/register.validate_invitation_code — invitation code is invalid or expired.")
	r = e.do("POST", "auth/validate-invitation/", map[string]string{"invitation_code": "wrong-guess"}, "").expect(t, 200, "")
	if string(r.raw) != `{"required":true,"valid":false}` {
		t.Fatalf("validate-invitation: %s", r.raw)
	}
}

func TestInvitationCode_NoInvitationCodesInDBAllowsOpenRegistration(t *testing.T) {
	e := newEnv(t)
	e.registerOK("kate", "kate@example.com", "Strong1pw")
	r := e.do("POST", "auth/validate-invitation/", nil, "").expect(t, 200, "")
	if string(r.raw) != `{"required":false,"valid":true}` {
		t.Fatalf("validate-invitation: %s", r.raw)
	}
	// As in the original, a non-blank bogus code is rejected even on an
	// open instance.
	e.do("POST", "auth/register/", map[string]string{"username": "liam", "email": "liam@example.com", "password": "Strong1pw", "invitation_code": "bogus"}, "").
		expectField(t, "invitation_code", "")
}

// The original hashed a plaintext code_hash on save (admin only). Here
// invitations are made by "notechondria-auth invite create", which stores
// sha256(strip(code)); a registration then finds it by the plaintext.
func TestInvitationCode_InvitationCodeModelAutoHashesPlaintextOnSave(t *testing.T) {
	e := newEnv(t)
	var out, errOut bytes.Buffer
	err := cli.Run(bg, cli.Env{Args: []string{"invite", "create", "--db", e.store.Path(), "--code", "my-plain-code", "--max-uses", "2"},
		Getenv: func(string) string { return "" }, Stdout: &out, Stderr: &errOut})
	if err != nil {
		t.Fatalf("invite create: %v\n%s", err, errOut.String())
	}
	inv, err := e.store.InvitationByHash(bg, app.HashHex("my-plain-code"))
	if err != nil {
		t.Fatalf("invitation not stored as sha256(plaintext): %v", err)
	}
	if !hex64.MatchString(inv.CodeHash) || inv.CodeHash == "my-plain-code" || inv.MaxUses != 2 {
		t.Fatalf("stored %+v", inv)
	}
	e.registerOK("mona", "mona@example.com", "Strong1pw", "invitation_code", "my-plain-code")
}

// An exhausted or expired invitation still switches the gate on and is
// refused.
func TestInvitationCode_ExhaustedAndExpiredCodes(t *testing.T) {
	e := newEnv(t)
	e.createInvite("once", 1)
	past := e.clock.Now().Add(-1)
	if err := e.store.CreateInvitation(bg, &app.Invitation{CodeHash: app.CodeHash("old"), MaxUses: 5, ExpireAt: &past, CreatedAt: past}); err != nil {
		t.Fatal(err)
	}
	e.registerOK("nina", "nina@example.com", "Strong1pw", "invitation_code", "once")
	for _, code := range []string{"once", "old"} {
		e.do("POST", "auth/register/", map[string]string{"username": "oscar", "email": "oscar@example.com", "password": "Strong1pw", "invitation_code": code}, "").
			expectField(t, "invitation_code", "Registration rejected: Backend.Creators.Auth/register.validate_invitation_code — invitation code is invalid or expired.")
		r := e.do("POST", "auth/validate-invitation/", map[string]string{"invitation_code": code}, "").expect(t, 200, "")
		if string(r.raw) != `{"required":true,"valid":false}` {
			t.Fatalf("%s: %s", code, r.raw)
		}
	}
}

// --- VerificationCodeModelTests (unit-level checks through the HTTP flow)

func TestVerificationCodeModel_GenerateCodeReturnsSixDigits(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"pa", "pb", "pc", "pd", "pe"} {
		email := name + "@example.com"
		e.registerOK(name+"-user", email, "Strong1pw")
		lines := e.mailLines(email)
		body, _ := lines[len(lines)-1]["body"].(string)
		m := regexp.MustCompile(`\nCode: ([^\n]*)\n`).FindStringSubmatch(body)
		if m == nil || !sixDigits.MatchString(m[1]) {
			t.Fatalf("code line of %q", body)
		}
	}
}

// The stored code is sha256_hex(plaintext), 64 hex characters; a fresh
// registration code has usage "R" and max_use 1 (test_verification_defaults,
// test_issue_registration_code_returns_tuple); lookups hash strip(input).
func TestVerificationCodeModel_StoredCodeIsHashOfPlaintext(t *testing.T) {
	e := newEnv(t)
	e.registerOK("quinn", "quinn@example.com", "Strong1pw")
	plain := e.lastCode("quinn@example.com")
	c, err := e.store.LatestCode(bg, "quinn@example.com", app.CodeRegister, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !hex64.MatchString(c.CodeHash) || c.CodeHash != app.HashHex(plain) || c.CodeHash != app.CodeHash(plain) {
		t.Fatalf("stored %q for %q", c.CodeHash, plain)
	}
	if c.Usage != "R" || c.MaxUse != 1 || c.Function != "quinn@example.com" || c.Attempts != 0 {
		t.Fatalf("code %+v", c)
	}
	if got := c.ExpireAt.Sub(c.CreatedAt); got != e.srv.Config().CodeTTL {
		t.Fatalf("ttl %v", got)
	}
	e.do("POST", "auth/verify-email/", map[string]string{"email": "quinn@example.com", "code": "  " + plain + "\t"}, "").expect(t, 200, "")
}

func TestVerificationCodeModel_HashCodeIsDeterministic(t *testing.T) {
	if app.CodeHash("123456") != app.CodeHash("123456") || app.CodeHash(" 123456 ") != app.CodeHash("123456") {
		t.Fatal("not deterministic")
	}
	if app.CodeHash("123456") == app.CodeHash("654321") {
		t.Fatal("different codes hash alike")
	}
	// sha256("123456")
	if app.CodeHash("123456") != "8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92" {
		t.Fatalf("hash %s", app.CodeHash("123456"))
	}
}

// --- CreatorModelTests (the mail fallback, in HTTP terms)

func TestCreatorModel_SendRegistrationEmailFallsBackToLogsWhenSMTPMissing(t *testing.T) {
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

// test_verification_defaults: the original's model defaults (usage "A",
// max_use 1) are implicit over HTTP; what shows is that every flow issues
// single-use codes with its own usage and function key, bound to the
// account where there is one.
func TestCreatorModel_VerificationDefaults(t *testing.T) {
	e := newEnv(t)
	e.registerOK("sue", "sue@example.com", "Strong1pw")
	e.createUser("tom", "tom@example.com", "Strong1pw")
	tok := e.login("tom", "Strong1pw")
	e.do("POST", "auth/password-reset/", map[string]string{"email": "tom@example.com"}, "").expect(t, 200, "")
	id := e.identityCode(tok, "tom@example.com")
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "tom2@example.com", "identity_code": id}, tok).expect(t, 200, "")
	sue, tomID := e.userByEmail("sue@example.com").ID, e.userByEmail("tom@example.com").ID
	for _, want := range []app.Code{
		{Function: "sue@example.com", Usage: "R", UserID: sue},
		{Function: "password_reset:tom@example.com", Usage: "F"},
		{Function: app.FuncChangeEmail("tom2@example.com"), Usage: "F", UserID: tomID},
	} {
		c, err := e.store.LatestCode(bg, want.Function, want.Usage, e.clock.Now())
		if err != nil {
			t.Fatalf("%s: %v", want.Function, err)
		}
		if c.MaxUse != 1 || c.UserID != want.UserID || c.Attempts != 0 || !hex64.MatchString(c.CodeHash) {
			t.Fatalf("%s: %+v", want.Function, c)
		}
	}
}
