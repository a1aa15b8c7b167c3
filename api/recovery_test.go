package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/app"
)

// A leaked API key cannot link its holder's own GitHub (and then sign in by
// OAuth for good) nor unlink the owner's providers: 403, as for
// change-password. The old code accepted "Bearer ntc_" on both.
func TestOAuthBind_Security_APIKeyCannotLinkOrUnlink(t *testing.T) {
	e := newOAuthEnv(t)
	e.createUser("carol", "carol@example.com", "Strong1pw")
	tok := e.login("carol", "Strong1pw")
	key := "Bearer " + e.do("POST", "auth/rotate-api-key/", nil, tok).expect(t, 200, "").body["api_key"].(string)
	e.github.codeFor("mallory", ghUser{user: ghProfile(666, "mallory", "", ""), emails: ghEmails("mallory@example.com", true)})
	const msg = "This action requires a signed-in session: an API key cannot link or unlink a sign-in provider."
	for _, path := range []string{"auth/bind/github/", "auth/bind/google/"} {
		e.do("POST", path, map[string]any{"code": "mallory"}, key).expect(t, 403, msg)
	}
	e.do("DELETE", "auth/social-accounts/github/", nil, key).expect(t, 403, msg)
	if links, _ := e.store.SocialAccountsByUser(bg, e.userByEmail("carol@example.com").ID); len(links) != 0 {
		t.Fatalf("linked with an API key: %v", links)
	}
	// The owner's session still can.
	e.do("POST", "auth/bind/github/", map[string]any{"code": "mallory"}, tok).expect(t, 201, "")
}

// A password reset ends every credential but the new password: all
// sessions, the API key, every linked sign-in provider and every passkey;
// the reset mail names the providers and counts the passkeys it removes. The old code revoked sessions only:
// the intruder's API key and the GitHub they linked kept working.
func TestPasswordReset_Security_EndsEveryCredential(t *testing.T) {
	e := newOAuthEnv(t)
	e.createUser("olive", "olive@example.com", "Strong1pw")
	tok := e.login("olive", "Strong1pw")
	key := "Bearer " + e.do("POST", "auth/rotate-api-key/", nil, tok).expect(t, 200, "").body["api_key"].(string)
	e.github.codeFor("intruder", ghUser{user: ghProfile(4242, "intruder", "", ""), emails: ghEmails("intruder@example.com", true)})
	e.do("POST", "auth/bind/github/", map[string]any{"code": "intruder"}, tok).expect(t, 201, "")
	intruder := newSoftAuthn(t, pkOrigin)
	e.addPasskey(tok, intruder, "intruder's key")

	e.do("POST", "auth/password-reset/", map[string]string{"email": "olive@example.com"}, "").expect(t, 200, "")
	if !strings.Contains(e.logs.String(), "Sign-in providers linked to this account: GitHub. This account has 1 passkey.") {
		t.Fatalf("the reset mail does not name the linked provider and the passkey: %s", e.logs.String())
	}
	code := e.lastCode("olive@example.com")
	e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "olive@example.com", "code": code, "password": "Fresh3pw!"}, "").expect(t, 200, "")

	e.do("GET", "auth/sessions/", nil, tok).expect(t, 401, "Invalid token.")
	e.do("GET", "auth/verify/", nil, key).expect(t, 401, "Invalid API key.")
	e.github.codeFor("intruder2", ghUser{user: ghProfile(4242, "intruder", "", ""), emails: ghEmails("intruder@example.com", true)})
	e.do("POST", "auth/github/", map[string]any{"code": "intruder2", "intent": "login"}, "").expect(t, 404, "")
	e.passkeySignIn(intruder).expectField(t, "credential", "")
	fresh := e.login("olive", "Fresh3pw!") // one step: no passkey is left
	if r := e.do("GET", "auth/social-accounts/", nil, fresh).expect(t, 200, ""); string(r.raw) != "[]" {
		t.Fatalf("links after the reset: %s", r.raw)
	}
}

// A bogus reset confirm costs a read, not a hash: the code is looked at
// before the new password is hashed (the old code hashed first, so 300
// bogus confirms held a core for seconds). A miss still counts as a wrong
// try.
func TestPasswordReset_Security_BogusConfirmDoesNotHash(t *testing.T) {
	e := newEnv(t)
	e.createUser("pam", "pam@example.com", "Strong1pw")
	e.do("POST", "auth/password-reset/", map[string]string{"email": "pam@example.com"}, "").expect(t, 200, "")
	right := e.lastCode("pam@example.com")
	before := e.hasher.Runs()
	for _, email := range []string{"pam@example.com", "nobody@example.com"} {
		e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": email, "code": "000000", "password": "Bogus9pw!"}, "").expect(t, 400, "")
	}
	if n := e.hasher.Runs() - before; n != 0 {
		t.Fatalf("%d hashes for bogus confirms", n)
	}
	c, err := e.store.LatestCode(bg, app.FuncPasswordReset("pam@example.com"), app.CodeFunction, e.clock.Now())
	if err != nil || c.Attempts != 1 {
		t.Fatalf("the miss was not counted: %+v %v", c, err)
	}
	e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "pam@example.com", "code": right, "password": "Fresh3pw!"}, "").expect(t, 200, "")
}

// Every anonymous endpoint that hashes, mails or tells whether an account
// exists is budgeted per client network, so enumeration through register
// and resend ends in 429 (the old code answered 12 of 12 tries, and more).
func TestRegister_Security_AnonymousEndpointsBudgetedPerNetwork(t *testing.T) {
	cases := []struct {
		path string
		body map[string]string
	}{
		{"auth/register/", map[string]string{"username": "taken", "email": "taken@example.com", "password": "Strong1pw"}},
		{"auth/resend-verification/", map[string]string{"email": "someone@example.com"}},
		{"auth/validate-invitation/", map[string]string{"code": "guess"}},
		{"auth/verify-email/", map[string]string{"email": "someone%d@example.com", "code": "123456"}},
		{"auth/password-reset/", map[string]string{"email": "someone@example.com"}},
		{"auth/password-reset/confirm/", map[string]string{"email": "someone%d@example.com", "code": "123456", "password": "Strong1pw"}},
		{"auth/google/", map[string]string{"credential": "x"}},
		{"auth/github/", map[string]string{"code": "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			e := newEnv(t, func(c *api.Config) { c.AnonymousRequestsPerIP = api.Rule{Limit: 12, Window: 15 * time.Minute} })
			e.createUser("taken", "taken@example.com", "Strong1pw")
			// Distinct addresses where the code-guess budget (5 per
			// address and client) would answer 429 first.
			body := func(i int) map[string]string {
				b := map[string]string{}
				for k, v := range tc.body {
					if strings.Contains(v, "%d") {
						v = fmt.Sprintf(v, i)
					}
					b[k] = v
				}
				return b
			}
			for i := 0; i < 12; i++ {
				if r := e.do("POST", tc.path, body(i), "", "X-Forwarded-For", "203.0.113.5"); r.status == 429 {
					t.Fatalf("request %d throttled early: %s", i+1, r.raw)
				}
			}
			expectThrottled(t, e.do("POST", tc.path, body(12), "", "X-Forwarded-For", "203.0.113.5"))
			if r := e.do("POST", tc.path, body(13), "", "X-Forwarded-For", "198.51.100.5"); r.status == 429 {
				t.Fatalf("another network was throttled: %s", r.raw)
			}
		})
	}
}

// Responses that carry a credential are never cached; the OAuth callback
// page cannot be framed.
func TestRespond_Security_CredentialsAreNoStore(t *testing.T) {
	e := newEnv(t)
	e.createUser("nina", "nina@example.com", "Strong1pw")
	r := e.do("POST", "auth/login/", loginBody("nina", "Strong1pw"), "").expect(t, 200, "")
	tok := "Token " + r.body["token"].(string)
	for name, resp := range map[string]*response{
		"login":          r,
		"probe":          e.do("GET", "auth/session/", nil, tok).expect(t, 200, ""),
		"rotate-api-key": e.do("POST", "auth/rotate-api-key/", nil, tok).expect(t, 200, ""),
	} {
		if got := resp.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q", name, got)
		}
	}
	page := e.do("GET", "/auth/github/callback?code=x&state=y", nil, "")
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("callback CSP %q", csp)
	}
}
