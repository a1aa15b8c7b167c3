package api_test

// Tests of register.go's invitation gate: POST auth/validate-invitation/
// and invitation codes on POST auth/register/.

import (
	"bytes"
	"fmt"
	"testing"

	"notechondria-auth/app"
	"notechondria-auth/cli"
)

func TestRegister_Contract_InvitationCodeRequiredWhenCodesExist(t *testing.T) {
	e := newEnv(t)
	e.createInvite("secret-invite", 1)
	r := e.do("POST", "auth/register/", map[string]string{"username": "henry", "email": "henry@example.com", "password": "Strong1pw"}, "")
	r.expectField(t, "invitation_code", "Registration rejected: Backend.Creators.Auth/register.validate — an invitation code is required because this instance has at least one active invitation gate.")
	r = e.do("POST", "auth/validate-invitation/", map[string]string{}, "").expect(t, 200, "")
	if string(r.raw) != `{"required":true,"valid":false}` {
		t.Fatalf("validate-invitation: %s", r.raw)
	}
}

func TestRegister_Contract_ValidInvitationCodeAllowsRegistration(t *testing.T) {
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

func TestRegister_Contract_WrongInvitationCodeRejected(t *testing.T) {
	e := newEnv(t)
	e.createInvite("real", 5)
	r := e.do("POST", "auth/register/", map[string]string{"username": "jack", "email": "jack@example.com", "password": "Strong1pw", "invitation_code": "wrong-guess"}, "")
	r.expectField(t, "invitation_code", "Registration rejected: Backend.Creators.Auth/register.validate_invitation_code — invitation code is invalid or expired.")
	r = e.do("POST", "auth/validate-invitation/", map[string]string{"invitation_code": "wrong-guess"}, "").expect(t, 200, "")
	if string(r.raw) != `{"required":true,"valid":false}` {
		t.Fatalf("validate-invitation: %s", r.raw)
	}
}

func TestRegister_Contract_NoInvitationCodesInDBAllowsOpenRegistration(t *testing.T) {
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
func TestRegister_Contract_InvitationCodeModelAutoHashesPlaintextOnSave(t *testing.T) {
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
func TestRegister_Contract_InvitationExhaustedAndExpiredCodes(t *testing.T) {
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

// An invitation with max_uses=1 admits exactly one of ten concurrent
// registrations (the original's read-modify-write could admit several).
func TestRegister_Security_InvitationConcurrentRegistrationsExactlyOne(t *testing.T) {
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
