package api_test

// Tests of password_reset.go: POST auth/password-reset/ and
// auth/password-reset/confirm/.

import (
	"fmt"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/mail"
)

func TestPasswordReset_Contract_FullCycle(t *testing.T) {
	e := newEnv(t)
	e.createUser("reset", "reset@example.com", "OldPass1!")
	r := e.do("POST", "auth/password-reset/", map[string]string{"email": "Reset@Example.com"}, "").expect(t, 200, "")
	if r.body["email"] != "reset@example.com" || r.body["delivery_fallback"] != true || r.body["message"] != mail.NotConfiguredMessage {
		t.Fatalf("reset body %s", r.raw)
	}
	code := e.lastCode("reset@example.com")
	if !sixDigits.MatchString(code) {
		t.Fatalf("code %q", code)
	}
	r = e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "reset@example.com", "code": code, "password": "NewPass2!"}, "").expect(t, 200, "")
	if string(r.raw) != `{"message":"Password updated. You can now log in."}` {
		t.Fatalf("confirm body %s", r.raw)
	}
	e.do("POST", "auth/login/", map[string]string{"email": "reset@example.com", "password": "OldPass1!"}, "").expect(t, 400, "")
	e.login("reset@example.com", "NewPass2!")
	// The code is spent.
	r = e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "reset@example.com", "code": code, "password": "Other3pw!"}, "").expect(t, 400, "")
	if r.nonField() != "Password not updated: Backend.Creators.Auth/password.reset.confirm — reset code is invalid, expired, or already consumed." {
		t.Fatalf("reuse: %s", r.raw)
	}
}

func TestPasswordReset_Contract_RejectsUnknownEmail(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "auth/password-reset/", map[string]string{"email": "nobody@example.com"}, "")
	r.expectField(t, "email", "Password reset email not sent: Backend.Creators.Auth/password.reset.request — no account found for this email.")
	if n := len(e.mailLines("nobody@example.com")); n != 0 {
		t.Fatalf("%d mails to an unknown address", n)
	}
}

// A reset neither activates a pending account (as in the original) nor
// works with a code of another address.
func TestPasswordReset_Contract_DoesNotActivateAndIsBoundToEmail(t *testing.T) {
	e := newEnv(t)
	e.registerOK("pending", "pending@example.com", "Strong1pw")
	e.createUser("other", "other@example.com", "Strong1pw")
	e.do("POST", "auth/password-reset/", map[string]string{"email": "pending@example.com"}, "").expect(t, 200, "")
	code := e.lastCode("pending@example.com")
	e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "other@example.com", "code": code, "password": "NewPass2!"}, "").expect(t, 400, "")
	e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "pending@example.com", "code": code, "password": "NewPass2!"}, "").expect(t, 200, "")
	if e.userByEmail("pending@example.com").IsActive {
		t.Fatal("reset activated a pending account")
	}
	e.do("POST", "auth/login/", map[string]string{"email": "pending@example.com", "password": "NewPass2!"}, "").expect(t, 400, "")
}

func TestPasswordReset_Contract_SendPasswordResetEmailFallsBackToLogsWhenSMTPMissing(t *testing.T) {
	e := newAdminEnv(t)
	r := e.do("POST", "auth/password-reset/", map[string]string{"email": "admin@example.com"}, "").expect(t, 200, "")
	if r.body["delivery_fallback"] != true || r.body["message"] != "SMTP is not configured. Contact an admin for the verification code." {
		t.Fatalf("body %s", r.raw)
	}
	lines := e.mailLines("admin@example.com")
	if len(lines) != 1 || lines[0]["level"] != "warn" || lines[0]["subject"] != "Reset your Notechondria password" {
		t.Fatalf("fallback lines %v", lines)
	}
}

// Password reset revokes every session and applies the password policy
// (the original did neither).
func TestPasswordReset_Security_RevokesSessionsAndAppliesPolicy(t *testing.T) {
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

// The same for a password-reset code.
func TestPasswordReset_Security_ConcurrentResetConfirmExactlyOneSucceeds(t *testing.T) {
	e := newEnv(t)
	e.createUser("cora", "cora@example.com", "Strong1pw")
	e.do("POST", "auth/password-reset/", map[string]string{"email": "cora@example.com"}, "").expect(t, 200, "")
	code := e.lastCode("cora@example.com")
	statuses := acctConcurrently(10, func(i int) int {
		s, _ := e.postRaw("auth/password-reset/confirm/", map[string]string{"email": "cora@example.com", "code": code, "password": fmt.Sprintf("NewPass%d!", i)}, "")
		return s
	})
	// Exactly one wins; the others find the code spent (400) or, from this
	// one client, run out of guesses first (429).
	if acctCount(statuses, 200) != 1 || acctCount(statuses, 400)+acctCount(statuses, 429) != 9 {
		t.Fatalf("statuses %v", statuses)
	}
}

// A password reset proves who owns the inbox, so it settles a contested
// registration: the reset password survives the verification.
func TestPasswordReset_Security_ResetSettlesContestedRegistration(t *testing.T) {
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
