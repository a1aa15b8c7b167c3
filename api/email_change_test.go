package api_test

// Tests of email_change.go: POST auth/change-email/ (request and confirm).

import (
	"testing"
)

// The change-email confirm code is bound to the user who asked for it (the
// original keyed it only by the new address), and another user asking for
// the same address does not cancel it.
func TestEmailChange_Security_CodeBoundToUser(t *testing.T) {
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
func TestEmailChange_Security_RevokesOtherSessions(t *testing.T) {
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
