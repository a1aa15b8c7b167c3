package api_test

// Tests of oauth_social.go: GET auth/social-accounts/ and
// DELETE auth/social-accounts/<provider>/.

import (
	"strings"
	"testing"
	"time"
)

// TestOAuthSocial_Core_ListAndUnlink covers CONTRACT #19 and #20, and the
// refusal to unlink the last sign-in method.
func TestOAuthSocial_Core_ListAndUnlink(t *testing.T) {
	e := newOAuthEnv(t)
	e.do("GET", "auth/social-accounts/", nil, "").expect(t, 401, "Authentication credentials were not provided.")

	// A password account: an empty list, then links, then unlinks freely.
	e.createUser("erin", "erin@example.com", "Strong1pw")
	tok := e.login("erin", "Strong1pw")
	r := e.do("GET", "auth/social-accounts/", nil, tok).expect(t, 200, "")
	if string(r.raw) != "[]" {
		t.Fatalf("empty list: %s", r.raw)
	}
	e.google.codeFor("erin-g", googleClaims("7001", "erin@example.com", true))
	e.github.codeFor("erin-gh", ghUser{user: ghProfile(7002, "erin", "", ""), emails: ghEmails("erin@example.com", true)})
	e.do("POST", "auth/bind/google/", map[string]any{"code": "erin-g"}, tok).expect(t, 201, "")
	e.clock.Advance(1500 * time.Microsecond) // created_at shows microseconds
	e.do("POST", "auth/bind/github/", map[string]any{"code": "erin-gh"}, tok).expect(t, 201, "")
	r = e.do("GET", "auth/social-accounts/", nil, tok).expect(t, 200, "")
	want := `[{"id":1,"provider":"google","provider_uid":"7001","email":"erin@example.com","created_at":"2026-04-23T03:32:23.123456Z"},` +
		`{"id":2,"provider":"github","provider_uid":"7002","email":"erin@example.com","created_at":"2026-04-23T03:32:23.124956Z"}]`
	if string(r.raw) != want {
		t.Fatalf("list:\n got %s\nwant %s", r.raw, want)
	}
	e.do("DELETE", "auth/social-accounts/google/", nil, tok).expect(t, 204, "")
	e.do("DELETE", "auth/social-accounts/google/", nil, tok).expect(t, 404, "No google account linked.")
	e.do("DELETE", "auth/social-accounts/facebook/", nil, tok).expect(t, 404, "No facebook account linked.")
	e.do("DELETE", "auth/social-accounts/github/", nil, tok).expect(t, 204, "")

	// An OAuth-only account keeps its last sign-in method.
	const refused = "Account unlinking rejected: Backend.Creators.Auth/social.unlink — this is the last sign-in method of an account without a password; link another provider or set a password (password reset) first."
	otok, _ := e.oauthOnlyUser(t, "8001", "fay@example.com")
	e.do("DELETE", "auth/social-accounts/google/", nil, otok).expect(t, 400, refused)
	e.github.codeFor("fay-gh", ghUser{user: ghProfile(8002, "fay", "", ""), emails: ghEmails("fay@example.com", true)})
	e.do("POST", "auth/bind/github/", map[string]any{"code": "fay-gh"}, otok).expect(t, 201, "")
	e.do("DELETE", "auth/social-accounts/google/", nil, otok).expect(t, 204, "")
	e.do("DELETE", "auth/social-accounts/github/", nil, otok).expect(t, 400, refused)
	r = e.do("GET", "auth/social-accounts/", nil, otok).expect(t, 200, "")
	if !strings.Contains(string(r.raw), `"provider_uid":"8002"`) {
		t.Fatalf("refused unlink removed the link: %s", r.raw)
	}
}
