package api_test

// Tests of account.go: POST auth/send-identity-code/, auth/change-password/
// and auth/rotate-api-key/. The Contract tests of rotate-api-key are the
// original's ApiKeyRotationTests, whose MCP ping becomes an authenticated
// API call (/mcp/ is not part of this server).

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/app"
)

const (
	msgIdentityCodeInvalid = "Password not updated: Backend.Creators.Auth/password.change — identity verification code is invalid, expired, or already consumed."
	msgCurrentPwWrong      = "Password not updated: Backend.Creators.Auth/password.change — current password does not match."
	msgPolicyChange        = "Password not updated: Backend.Creators.Auth/password.change.validate — password must contain at least one uppercase letter, one lowercase letter, and one digit or special character."
	msgPasswordChanged     = "Password changed: Backend.Creators.Auth/password.change — session token rotated; previous sessions invalidated."
	msgSMTPFallback        = "SMTP is not configured. Contact an admin for the verification code."
)

// TestAccount_Core_SendIdentityCode is POST auth/send-identity-code/ (CONTRACT #8),
// including the masked_email rule.
func TestAccount_Core_SendIdentityCode(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.EmailRequestsPerAddress = api.Rule{} })
	tests := []struct {
		username, email, masked string
	}{
		{"m1", "alice@example.com", "a***@example.com"},
		{"m2", "x@y.io", "x***@y.io"},
		{"m3", "éclair@example.com", "é***@example.com"},
		{"m4", "@example.com", "***"},
		{"m5", "no-at-sign", "***"},
		{"m6", "a@b@c.example", "a***@b@c.example"},
	}
	for _, tc := range tests {
		t.Run(tc.email, func(t *testing.T) {
			e.createUser(tc.username, tc.email, "Strong1pw")
			tok := e.login(tc.username, "Strong1pw")
			r := e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 200, "")
			sameKeys(t, "identity", r.body, "message", "delivery_fallback", "masked_email")
			if r.body["masked_email"] != tc.masked || r.body["delivery_fallback"] != true || r.body["message"] != msgSMTPFallback {
				t.Fatalf("body %s", r.raw)
			}
			if code := e.lastCode(tc.email); !regexp.MustCompile(`^\d{6}$`).MatchString(code) {
				t.Fatalf("code %q", code)
			}
		})
	}
	e.createUser("noemail", "", "Strong1pw")
	tok := e.login("noemail", "Strong1pw")
	e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 400, "No email address on file for this account.")
	e.do("POST", "auth/send-identity-code/", nil, "").expect401(t, msgNotProvided)
}

// send-identity-code: masked email, "Email sent." wording on delivery is
// not reachable without SMTP, the fallback message otherwise.
func TestAccount_Contract_SendIdentityCodeResponse(t *testing.T) {
	e := newEnv(t)
	e.createUser("xena", "xena@example.com", "Strong1pw")
	tok := e.login("xena", "Strong1pw")
	r := e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 200, "")
	if r.body["masked_email"] != "x***@example.com" || r.body["delivery_fallback"] != true || len(r.body) != 3 {
		t.Fatalf("identity %s", r.raw)
	}
	lines := e.mailLines("xena@example.com")
	if len(lines) != 1 || lines[0]["subject"] != "Verify your identity – Notechondria" {
		t.Fatalf("mail %v", lines)
	}
	c, err := e.store.LatestCode(bg, app.FuncIdentity(e.userByEmail("xena@example.com").ID), app.CodeFunction, e.clock.Now())
	if err != nil || c.Usage != "F" || c.ExpireAt.Sub(c.CreatedAt) != 24*time.Hour {
		t.Fatalf("identity code %+v %v", c, err)
	}
}

// TestAccount_Core_ChangePassword is POST auth/change-password/ (CONTRACT #9, with
// the fix that a wrong current password does not burn the code).
func TestAccount_Core_ChangePassword(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	e.createUser("bob", "bob@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw")
	other := e.login("alice@example.com", "Strong1pw")
	bob := e.login("bob", "Strong1pw")
	e.do("GET", "auth/verify/", nil, other).expect(t, 200, "") // cached
	e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 200, "")
	code := e.lastCode("alice@example.com")
	wrongCode := "000000"
	if code == wrongCode {
		wrongCode = "000001"
	}

	fieldCases := []struct {
		name   string
		body   map[string]any
		fields map[string]string
	}{
		{"empty", map[string]any{}, map[string]string{"current_password": msgRequired, "new_password": msgRequired, "identity_code": msgRequired}},
		{"blank", map[string]any{"current_password": "", "new_password": "", "identity_code": ""},
			map[string]string{"current_password": msgBlank, "new_password": msgBlank, "identity_code": msgBlank}},
		{"short", map[string]any{"current_password": "Strong1pw", "new_password": "Ab1", "identity_code": code},
			map[string]string{"new_password": "Ensure this field has at least 8 characters."}},
		{"policy: no upper", map[string]any{"current_password": "Strong1pw", "new_password": "alllower1", "identity_code": code},
			map[string]string{"new_password": msgPolicyChange}},
		{"policy: letters only", map[string]any{"current_password": "Strong1pw", "new_password": "OnlyLetters", "identity_code": code},
			map[string]string{"new_password": msgPolicyChange}},
		{"wrong types", map[string]any{"current_password": map[string]any{}, "new_password": "NewStrong2pw", "identity_code": true},
			map[string]string{"current_password": msgNotString, "identity_code": msgNotString}},
	}
	for _, tc := range fieldCases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "auth/change-password/", tc.body, tok).expect(t, 400, "")
			if len(r.body) != len(tc.fields) {
				t.Fatalf("errors %s, want %v", r.raw, tc.fields)
			}
			for f, msg := range tc.fields {
				if got := r.fieldError(f); got != msg {
					t.Fatalf("%s: %q, want %q", f, got, msg)
				}
			}
		})
	}
	change := func(current, code string) *response {
		return e.do("POST", "auth/change-password/", map[string]any{"current_password": current, "new_password": "NewStrong2pw", "identity_code": code}, tok)
	}
	change("Strong1pw", wrongCode).expect(t, 400, msgIdentityCodeInvalid)
	change("Wrong1pw", code).expect(t, 400, msgCurrentPwWrong)
	// Neither failure burned the code nor changed anything.
	e.do("GET", "auth/verify/", nil, other).expect(t, 200, "")
	r := change("Strong1pw", " "+code+" ").expect(t, 200, "") // the code is stripped
	sameKeys(t, "change-password", r.body, "message", "token", "session")
	if r.body["message"] != msgPasswordChanged {
		t.Fatalf("message %v", r.body["message"])
	}
	sameKeys(t, "session", r.body["session"].(map[string]any), "id", "device_label", "created_at", "last_seen_at")
	newTok := "Token " + r.body["token"].(string)

	// Every old session of the user is gone at once (also the cached one);
	// another user's is not.
	e.do("GET", "auth/verify/", nil, tok).expect401(t, msgInvalidToken)
	e.do("GET", "auth/verify/", nil, other).expect401(t, msgInvalidToken)
	e.do("GET", "auth/verify/", nil, bob).expect(t, 200, "")
	rows, cur := e.sessions(newTok)
	if len(rows) != 1 || cur != r.body["session"].(map[string]any)["id"] {
		t.Fatalf("after change: %v", rows)
	}
	// The code is spent; the password changed.
	e.do("POST", "auth/change-password/", map[string]any{"current_password": "NewStrong2pw", "new_password": "Third3pw!", "identity_code": code}, newTok).
		expect(t, 400, msgIdentityCodeInvalid)
	e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "Strong1pw"}, "").expect(t, 400, "")
	e.login("alice", "NewStrong2pw")

	// An API key cannot change the password; no credentials is a 401.
	key := e.rotate(newTok)
	e.do("POST", "auth/change-password/", map[string]any{"current_password": "NewStrong2pw", "new_password": "Third3pw!", "identity_code": code}, key).
		expect(t, 403, "")
	e.do("POST", "auth/change-password/", map[string]any{}, "").expect401(t, msgNotProvided)
}

func TestAccount_Contract_ChangePasswordRevokesOldTokensAndReturnsWorkingOne(t *testing.T) {
	e := newEnv(t)
	e.createUser("uma", "uma@example.com", "Strong1pw")
	a := e.login("uma", "Strong1pw")
	b := e.login("uma", "Strong1pw")
	code := e.identityCode(a, "uma@example.com")
	r := e.do("POST", "auth/change-password/", map[string]string{"current_password": "Strong1pw", "new_password": "Newer2pw!", "identity_code": code}, a).expect(t, 200, "")
	if r.body["message"] != "Password changed: Backend.Creators.Auth/password.change — session token rotated; previous sessions invalidated." || len(r.body) != 3 {
		t.Fatalf("change-password %s", r.raw)
	}
	sess := r.body["session"].(map[string]any)
	if len(sess) != 4 || sess["id"] == nil {
		t.Fatalf("session %v", sess)
	}
	c := "Token " + r.body["token"].(string)
	e.do("GET", "auth/sessions/", nil, a).expect(t, 401, "Invalid token.")
	e.do("GET", "auth/sessions/", nil, b).expect(t, 401, "Invalid token.")
	e.do("GET", "auth/sessions/", nil, c).expect(t, 200, "")
	e.do("POST", "auth/login/", map[string]string{"email": "uma", "password": "Strong1pw"}, "").expect(t, 400, "")
	e.login("uma", "Newer2pw!")
}

// A wrong current password on change-password does not burn the identity
// code (the original consumed the code first).
func TestAccount_Security_WrongCurrentPasswordDoesNotBurnIdentityCode(t *testing.T) {
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

// The wrong-password budget of change-password is the account's login
// budget: guessing the current password through it is throttled too.
func TestAccount_Security_ChangePasswordGuessesThrottled(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerAccount = api.Rule{Limit: 3, Window: 15 * time.Minute}
	})
	e.createUser("rose", "rose@example.com", "Strong1pw")
	tok := e.login("rose", "Strong1pw")
	code := e.identityCode(tok, "rose@example.com")
	for i := 0; i < 3; i++ {
		e.do("POST", "auth/change-password/", map[string]string{"current_password": "guess" + itoa(int64(i)), "new_password": "Newer2pw!", "identity_code": code}, tok).
			expect(t, 400, "Password not updated: Backend.Creators.Auth/password.change — current password does not match.")
	}
	r := e.do("POST", "auth/change-password/", map[string]string{"current_password": "Strong1pw", "new_password": "Newer2pw!", "identity_code": code}, tok)
	expectThrottled(t, r)
	if !strings.Contains(string(r.raw), "throttled") {
		t.Fatal(string(r.raw))
	}
}

// An API key cannot change the password or the email (403); it can still
// do everything else it could.
func TestAccount_Security_APIKeyCannotChangePasswordOrEmail(t *testing.T) {
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

// TestAccount_Core_RotateAPIKey is POST auth/rotate-api-key/ (CONTRACT #11) and the
// api_key_prefix of GET settings/.
func TestAccount_Core_RotateAPIKey(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw")
	if s := e.do("GET", "settings/", nil, tok).expect(t, 200, ""); s.body["api_key_prefix"] != "" {
		t.Fatalf("prefix before any key: %s", s.raw)
	}
	shape := regexp.MustCompile(`^ntc_[0-9a-f]{32}$`)
	r := e.do("POST", "auth/rotate-api-key/", nil, tok).expect(t, 200, "")
	sameKeys(t, "rotate", r.body, "api_key", "api_key_prefix")
	k1 := r.body["api_key"].(string)
	if !shape.MatchString(k1) || len(k1) != 36 || r.body["api_key_prefix"] != k1[:8] {
		t.Fatalf("rotate: %s", r.raw)
	}
	b1 := "Bearer " + k1
	if s := e.do("GET", "settings/", nil, b1).expect(t, 200, ""); s.body["api_key_prefix"] != k1[:8] {
		t.Fatalf("settings prefix: %s", s.raw)
	}
	// Rotating with the API key itself: the old key dies at once even
	// though it was cached.
	r = e.do("POST", "auth/rotate-api-key/", nil, b1).expect(t, 200, "")
	k2 := r.body["api_key"].(string)
	if k2 == k1 || !shape.MatchString(k2) {
		t.Fatalf("second key %q", k2)
	}
	e.do("GET", "settings/", nil, b1).expect401(t, msgInvalidAPIKey)
	e.do("GET", "auth/verify/", nil, b1).expect401(t, msgInvalidAPIKey)
	if s := e.do("GET", "settings/", nil, "Bearer "+k2).expect(t, 200, ""); s.body["api_key_prefix"] != k2[:8] {
		t.Fatalf("settings prefix after second rotation: %s", s.raw)
	}
	if s := e.do("GET", "settings/", nil, tok).expect(t, 200, ""); s.body["api_key_prefix"] != k2[:8] {
		t.Fatalf("settings prefix via session: %s", s.raw)
	}
	e.do("POST", "auth/rotate-api-key/", nil, "").expect401(t, msgNotProvided)
	e.do("POST", "auth/rotate-api-key/", nil, b1).expect401(t, msgInvalidAPIKey)
}

func TestAccount_Contract_RotateReturnsKeyAndPrefix(t *testing.T) {
	e := newAdminEnv(t)
	tok := e.login("admin", "change-me")
	r := e.do("POST", "auth/rotate-api-key/", nil, tok).expect(t, 200, "")
	key, _ := r.body["api_key"].(string)
	if !strings.HasPrefix(key, "ntc_") || len(key) != 36 || r.body["api_key_prefix"] != key[:8] || len(r.body) != 2 {
		t.Fatalf("rotate %s", r.raw)
	}
	g := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	if g.body["api_key_prefix"] != key[:8] {
		t.Fatalf("settings prefix %v", g.body["api_key_prefix"])
	}
}

func TestAccount_Contract_RotatedKeyWorks(t *testing.T) {
	e := newAdminEnv(t)
	tok := e.login("admin", "change-me")
	first := e.do("POST", "auth/rotate-api-key/", nil, tok).expect(t, 200, "").body["api_key"].(string)
	e.do("GET", "settings/", nil, "Bearer "+first).expect(t, 200, "")
	// Rotating with the key itself works, and the old key dies at once.
	second := e.do("POST", "auth/rotate-api-key/", nil, "Bearer "+first).expect(t, 200, "").body["api_key"].(string)
	e.do("GET", "settings/", nil, "Bearer "+first).expect(t, 401, "Invalid API key.")
	e.do("GET", "settings/", nil, "Bearer "+second).expect(t, 200, "")
	e.do("GET", "/api/v1/auth/verify/", nil, "Bearer "+second).expect(t, 200, "")
}

func TestAccount_Contract_RotateRequiresAuth(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "auth/rotate-api-key/", nil, "").expect(t, 401, "Authentication credentials were not provided.")
	if r.header.Get("WWW-Authenticate") != "Token" {
		t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
}
