package api_test

// Tests of the error answers of oauth_login.go's public sign-in endpoints
// (the messages and mapping of oauth_errors.go): the rows of CONTRACT #17
// and #18, unreachable providers and missing configuration.

import (
	"context"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
)

// TestOAuthLogin_Core_GoogleErrors covers the rows of CONTRACT #17.
func TestOAuthLogin_Core_GoogleErrors(t *testing.T) {
	e := newOAuthEnv(t)
	other := e.google.sign(googleClaims("1", "x@example.com", true), otherKey(t))
	expired := e.google.sign(googleClaims("1", "x@example.com", true, func(c map[string]any) {
		c["exp"] = oauthNow.Add(-time.Hour).Unix()
		c["iat"] = oauthNow.Add(-2 * time.Hour).Unix()
	}))
	wrongIss := e.google.sign(googleClaims("1", "x@example.com", true, func(c map[string]any) { c["iss"] = "https://evil.example" }))
	wrongAud := e.google.sign(googleClaims("1", "x@example.com", true, func(c map[string]any) { c["aud"] = "someone-else" }))
	e.google.codeFor("aud", googleClaims("1", "x@example.com", true, func(c map[string]any) { c["aud"] = "someone-else" }))
	needs := "OAuth request rejected: Backend.Creators.Auth/oauth.google.validate — payload must include either 'code' (authorization code) or 'id_token'."

	tests := []struct {
		name   string
		body   any
		status int
		detail string
		field  string // field error name, when the answer is one
		msg    string
	}{
		{name: "empty body", body: map[string]any{}, status: 400, field: "non_field_errors", msg: needs},
		{name: "both blank", body: map[string]any{"code": "", "id_token": "  "}, status: 400, field: "non_field_errors", msg: needs},
		{name: "bind intent without code is validation first", body: map[string]any{"intent": "bind"}, status: 400,
			field: "non_field_errors", msg: needs},
		{name: "bad intent", body: map[string]any{"code": "c", "intent": "signup"}, status: 400, field: "intent",
			msg: `"signup" is not a valid choice.`},
		{name: "blank intent", body: map[string]any{"code": "c", "intent": ""}, status: 400, field: "intent",
			msg: `"" is not a valid choice.`},
		{name: "null code", body: map[string]any{"code": nil}, status: 400, field: "code", msg: "This field may not be null."},
		{name: "bind intent", body: map[string]any{"code": "fake-authorization-code", "intent": "bind"}, status: 400,
			detail: "Account binding requires authentication. Use /api/v1/auth/bind/google/."},
		{name: "exchange rejected, description", body: map[string]any{"code": "reject"}, status: 400, detail: "Malformed auth code."},
		{name: "exchange rejected, error only", body: map[string]any{"code": "reject-error"}, status: 400, detail: "invalid_grant"},
		{name: "exchange rejected, bare", body: map[string]any{"code": "reject-bare"}, status: 400,
			detail: "Failed to exchange Google authorization code."},
		{name: "redirect_uri is sent", body: map[string]any{"code": "reject", "redirect_uri": "https://elsewhere.example/cb"},
			status: 400, detail: "Bad Request"},
		{name: "no id_token", body: map[string]any{"code": "noid"}, status: 400, detail: "No ID token received from Google."},
		{name: "bad signature", body: map[string]any{"id_token": other}, status: 400, detail: "Google ID token verification failed."},
		{name: "expired", body: map[string]any{"id_token": expired}, status: 400, detail: "Google ID token verification failed."},
		{name: "wrong issuer", body: map[string]any{"id_token": wrongIss}, status: 400, detail: "Google ID token verification failed."},
		{name: "garbage token", body: map[string]any{"id_token": "not.a.jwt"}, status: 400, detail: "Google ID token verification failed."},
		{name: "audience mismatch", body: map[string]any{"id_token": wrongAud}, status: 400, detail: "ID token audience mismatch."},
		{name: "audience mismatch via code", body: map[string]any{"code": "aud"}, status: 400, detail: "ID token audience mismatch."},
		{name: "malformed JSON", body: `{"code":`, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "auth/google/", tt.body, "").expect(t, tt.status, tt.detail)
			if tt.field != "" && (r.fieldError(tt.field) != tt.msg || len(r.body) != 1) {
				t.Fatalf("field %s: %s", tt.field, r.raw)
			}
		})
	}
	// A stale token is refused before anything (CONTRACT 1.0).
	e.do("POST", "auth/google/", map[string]any{"code": "c"}, "Token "+strings.Repeat("a", 40)).expect(t, 401, "Invalid token.")
	users, _ := e.store.ListUsers(context.Background())
	if len(users) != 0 {
		t.Fatalf("errors created %d users", len(users))
	}
	e.assertNoSecretsLogged(t, other, expired, wrongAud)
}

// TestOAuthLogin_Core_GitHubErrors covers the rows of CONTRACT #18.
func TestOAuthLogin_Core_GitHubErrors(t *testing.T) {
	e := newOAuthEnv(t)
	e.github.codeFor("revoked", ghUser{userStatus: 401, user: `{"message":"Bad credentials"}`})
	e.github.codeFor("noid", ghUser{user: `{"login":"ghost"}`})
	tests := []struct {
		name   string
		body   any
		status int
		detail string
		field  string
		msg    string
	}{
		{name: "code missing", body: map[string]any{}, status: 400, field: "code", msg: "This field is required."},
		{name: "code blank", body: map[string]any{"code": " "}, status: 400, field: "code", msg: "This field may not be blank."},
		{name: "bad intent", body: map[string]any{"code": "c", "intent": "x"}, status: 400, field: "intent",
			msg: `"x" is not a valid choice.`},
		{name: "bind intent", body: map[string]any{"code": "c", "intent": "bind"}, status: 400,
			detail: "Account binding requires authentication. Use /api/v1/auth/bind/github/."},
		{name: "exchange non-200 with error", body: map[string]any{"code": "reject"}, status: 400, detail: "incorrect_client_credentials"},
		{name: "exchange non-200 bare", body: map[string]any{"code": "reject-bare"}, status: 400,
			detail: "Failed to exchange GitHub authorization code."},
		{name: "no access_token, description", body: map[string]any{"code": "badcode"}, status: 400,
			detail: "GitHub OAuth error: The code passed is incorrect or expired."},
		{name: "no access_token, nothing", body: map[string]any{"code": "empty"}, status: 400, detail: "GitHub OAuth error: unknown"},
		{name: "redirect_uri is sent", body: map[string]any{"code": "badcode", "redirect_uri": "https://elsewhere.example/cb"},
			status: 400, detail: "GitHub OAuth error: The redirect_uri MUST match the registered callback URL for this application."},
		{name: "profile non-200", body: map[string]any{"code": "revoked"}, status: 400, detail: "Failed to fetch GitHub user profile."},
		{name: "profile without id", body: map[string]any{"code": "noid"}, status: 400, detail: "Failed to fetch GitHub user profile."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "auth/github/", tt.body, "").expect(t, tt.status, tt.detail)
			if tt.field != "" && (r.fieldError(tt.field) != tt.msg || len(r.body) != 1) {
				t.Fatalf("field %s: %s", tt.field, r.raw)
			}
		})
	}
	e.assertNoSecretsLogged(t)
}

// TestOAuthLogin_Core_NetworkAndConfigErrors: unreachable providers are 502 with a
// clear detail (the original gave 500), missing configuration 503.
func TestOAuthLogin_Core_NetworkAndConfigErrors(t *testing.T) {
	dead := oauthDeadURL(t)
	t.Run("google token endpoint down", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *api.Config) { c.Google.TokenURL = dead + "/token" })
		e.do("POST", "auth/google/", map[string]any{"code": "c"}, "").expect(t, 502,
			"Sign-in failed: Backend.Creators.Auth/oauth.google.token_exchange — could not reach Google token endpoint (*net.OpError).")
	})
	t.Run("google keys down", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *api.Config) { c.Google.JWKSURL = dead + "/certs" })
		tok := e.google.sign(googleClaims("1", "a@example.com", true))
		e.do("POST", "auth/google/", map[string]any{"id_token": tok}, "").expect(t, 502,
			"Sign-in failed: Backend.Creators.Auth/oauth.google.token_verify — could not reach Google signing keys endpoint (*net.OpError).")
	})
	t.Run("github token endpoint down", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *api.Config) { c.GitHub.TokenURL = dead + "/login/oauth/access_token" })
		e.do("POST", "auth/github/", map[string]any{"code": "c"}, "").expect(t, 502,
			"Sign-in failed: Backend.Creators.Auth/oauth.github.token_exchange — could not reach GitHub token endpoint (*net.OpError).")
	})
	t.Run("github api down", func(t *testing.T) {
		e := newOAuthEnv(t)
		e.github.codeFor("ok", ghUser{user: ghProfile(1, "a", "", ""), dropUser: true})
		e.do("POST", "auth/github/", map[string]any{"code": "ok"}, "").expect(t, 502,
			"Sign-in failed: Backend.Creators.Auth/oauth.github.profile_fetch — could not reach GitHub /user (*errors.errorString).")
	})
	t.Run("github email fallback down", func(t *testing.T) {
		e := newOAuthEnv(t)
		e.github.codeFor("ok", ghUser{user: ghProfile(1, "a", "", ""), dropEmails: true})
		e.do("POST", "auth/github/", map[string]any{"code": "ok"}, "").expect(t, 502,
			"Sign-in failed: Backend.Creators.Auth/oauth.github.email_fetch — could not reach GitHub /user/emails (*errors.errorString).")
	})
	t.Run("not configured", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *api.Config) { c.Google.ClientSecret = ""; c.GitHub.ClientID = "" })
		e.do("POST", "auth/google/", map[string]any{"code": "c"}, "").expect(t, 503,
			"Sign-in unavailable: Backend.Creators.Auth/oauth.google.config_lookup — server is missing GOOGLE_OAUTH_CLIENT_ID/SECRET configuration.")
		e.do("POST", "auth/github/", map[string]any{"code": "c"}, "").expect(t, 503,
			"Sign-in unavailable: Backend.Creators.Auth/oauth.github.config_lookup — server is missing GITHUB_APP_CLIENT_ID/SECRET configuration.")
		if n := e.google.calls.Load() + e.github.calls.Load(); n != 0 {
			t.Fatalf("%d provider calls while unconfigured", n)
		}
		cfg := e.do("GET", "auth/oauth-config/", nil, "").expect(t, 200, "")
		if cfg.body["github"].(map[string]any)["client_id"] != "" {
			t.Fatalf("oauth-config: %s", cfg.raw)
		}
	})
}
