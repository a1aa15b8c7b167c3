package api_test

// Tests of oauth_bind.go: POST auth/bind/google/ and auth/bind/github/.

import (
	"context"
	"strings"
	"testing"

	"notechondria-auth/api"
	"notechondria-auth/app"
)

// TestOAuthBind_Core_Google covers CONTRACT #21: flows and every row of its table.
func TestOAuthBind_Core_Google(t *testing.T) {
	e := newOAuthEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw")
	e.google.codeFor("g1", googleClaims("5001", "Alice.Work@Example.com", true))
	e.google.codeFor("g2", googleClaims("5002", "alice2@example.com", false))
	e.google.codeFor("aud", googleClaims("5003", "a@example.com", true, func(c map[string]any) { c["aud"] = "other-client" }))
	badSig := e.google.sign(googleClaims("5004", "a@example.com", true), otherKey(t))
	const pre = "Account linking aborted: Backend.Creators.Auth/bind.google."

	// Unauthenticated: DRF's 401, not the public endpoints' 400.
	r := e.do("POST", "auth/bind/google/", map[string]any{"code": "g1"}, "")
	r.expect(t, 401, "Authentication credentials were not provided.")
	if r.header.Get("WWW-Authenticate") != "Token" {
		t.Fatal("no WWW-Authenticate")
	}

	// Created, then updated (a second bind replaces the uid).
	r = e.do("POST", "auth/bind/google/", map[string]any{"code": "g1", "intent": "login", "invitation_code": "ignored"}, tok)
	r.expect(t, 201, "")
	if r.body["provider"] != "google" || r.body["provider_uid"] != "5001" || r.body["email"] != "alice.work@example.com" ||
		len(r.body) != 4 || r.body["id"] == nil {
		t.Fatalf("bind body: %s", r.raw)
	}
	firstID := r.body["id"]
	r = e.do("POST", "auth/bind/google/", map[string]any{"code": "g2"}, tok).expect(t, 200, "")
	if r.body["provider_uid"] != "5002" || r.body["id"] != firstID {
		t.Fatalf("rebind body: %s", r.raw)
	}
	if _, err := e.store.SocialAccountByUID(context.Background(), "google", "5001"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("old uid still linked: %v", err)
	}
	// Binding the identity one already has is an update.
	e.do("POST", "auth/bind/google/", map[string]any{"code": "g2"}, tok).expect(t, 200, "")

	// Linked to another user: 409.
	other, _ := e.oauthOnlyUser(t, "6001", "bob@example.com")
	e.google.codeFor("taken", googleClaims("6001", "bob@example.com", true))
	e.do("POST", "auth/bind/google/", map[string]any{"code": "taken"}, tok).expect(t, 409,
		pre+"db_write — this google account is already linked to another user.")
	_ = other

	tests := []struct {
		name   string
		body   map[string]any
		status int
		detail string
		field  string
		msg    string
	}{
		{name: "validation", body: map[string]any{}, status: 400, field: "non_field_errors",
			msg: "OAuth request rejected: Backend.Creators.Auth/oauth.google.validate — payload must include either 'code' (authorization code) or 'id_token'."},
		{name: "bad intent still validated", body: map[string]any{"code": "g1", "intent": "nope"}, status: 400,
			field: "intent", msg: `"nope" is not a valid choice.`},
		{name: "Google rejects the code", body: map[string]any{"code": "reject"}, status: 400,
			detail: pre + "token_exchange — Google rejected authorization code (HTTP 400: Malformed auth code.)."},
		{name: "Google rejects, no reason", body: map[string]any{"code": "reject-bare"}, status: 400,
			detail: pre + "token_exchange — Google rejected authorization code (HTTP 400: unknown)."},
		{name: "no id_token", body: map[string]any{"code": "noid"}, status: 400,
			detail: pre + "token_exchange — no id_token returned by Google (authorization code may have been consumed already)."},
		{name: "id_token rejected", body: map[string]any{"id_token": badSig}, status: 400,
			detail: pre + "token_verify — Google tokeninfo rejected id_token (HTTP 400)."},
		{name: "audience mismatch", body: map[string]any{"code": "aud"}, status: 400,
			detail: pre + "token_verify — id_token audience does not match this server's configured client_id."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "auth/bind/google/", tt.body, tok).expect(t, tt.status, tt.detail)
			if tt.field != "" && r.fieldError(tt.field) != tt.msg {
				t.Fatalf("field %s: %s", tt.field, r.raw)
			}
		})
	}

	dead := oauthDeadURL(t)
	t.Run("network, token_exchange", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *api.Config) { c.Google.TokenURL = dead })
		e.createUser("al", "al@example.com", "Strong1pw")
		e.do("POST", "auth/bind/google/", map[string]any{"code": "x"}, e.login("al", "Strong1pw")).expect(t, 502,
			"Account linking failed: Backend.Creators.Auth/bind.google.token_exchange — could not reach Google token endpoint (*net.OpError).")
	})
	t.Run("network, token_verify", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *api.Config) { c.Google.JWKSURL = dead })
		e.createUser("al", "al@example.com", "Strong1pw")
		e.google.codeFor("ok", googleClaims("1", "al@example.com", true))
		e.do("POST", "auth/bind/google/", map[string]any{"code": "ok"}, e.login("al", "Strong1pw")).expect(t, 502,
			"Account linking failed: Backend.Creators.Auth/bind.google.token_verify — could not reach Google signing keys endpoint (*net.OpError).")
	})
	t.Run("not configured", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *api.Config) { c.Google.ClientID = "" })
		e.createUser("al", "al@example.com", "Strong1pw")
		e.do("POST", "auth/bind/google/", map[string]any{"code": "x"}, e.login("al", "Strong1pw")).expect(t, 503,
			pre+"config_lookup — server is missing GOOGLE_OAUTH_CLIENT_ID/SECRET configuration.")
		if n := e.google.calls.Load(); n != 0 {
			t.Fatalf("%d calls while unconfigured", n)
		}
	})
	e.assertNoSecretsLogged(t, badSig)
}

// TestOAuthBind_Core_GitHub covers CONTRACT #22.
func TestOAuthBind_Core_GitHub(t *testing.T) {
	e := newOAuthEnv(t)
	e.createUser("carol", "carol@example.com", "Strong1pw")
	tok := e.login("carol", "Strong1pw")
	e.github.codeFor("c1", ghUser{user: ghProfile(77, "carol-gh", "Carol", ""), emails: ghEmails("carol@example.com", true)})
	e.github.codeFor("c2", ghUser{user: ghProfile(78, "carol-alt", "", "carol+alt@example.com")})
	e.github.codeFor("revoked", ghUser{userStatus: 403, user: `{"message":"Resource not accessible"}`})
	e.github.codeFor("dropuser", ghUser{dropUser: true})
	e.github.codeFor("dropemails", ghUser{user: ghProfile(79, "x", "", ""), dropEmails: true})
	const pre = "Account linking aborted: Backend.Creators.Auth/bind.github."
	const fail = "Account linking failed: Backend.Creators.Auth/bind.github."

	r := e.do("POST", "auth/bind/github/", map[string]any{"code": "c1"}, tok).expect(t, 201, "")
	if r.body["provider"] != "github" || r.body["provider_uid"] != "77" || r.body["email"] != "carol@example.com" {
		t.Fatalf("bind body: %s", r.raw)
	}
	r = e.do("POST", "auth/bind/github/", map[string]any{"code": "c2"}, tok).expect(t, 200, "")
	if r.body["provider_uid"] != "78" || r.body["email"] != "carol+alt@example.com" {
		t.Fatalf("rebind body: %s", r.raw)
	}
	list := e.do("GET", "auth/social-accounts/", nil, tok).expect(t, 200, "")
	if !strings.HasPrefix(string(list.raw), "[") || strings.Count(string(list.raw), `"provider":"github"`) != 1 {
		t.Fatalf("one row per provider through bind: %s", list.raw)
	}

	// 409: the identity belongs to someone else.
	e.github.codeFor("dave", ghUser{user: ghProfile(90, "dave", "", ""), emails: ghEmails("dave@example.com", true)})
	e.do("POST", "auth/github/", map[string]any{"code": "dave"}, "").expect(t, 200, "")
	e.do("POST", "auth/bind/github/", map[string]any{"code": "dave"}, tok).expect(t, 409,
		pre+"db_write — this github account is already linked to another user.")

	tests := []struct {
		name   string
		code   any
		status int
		detail string
	}{
		{name: "GitHub rejects the code", code: "reject", status: 400,
			detail: pre + "token_exchange — GitHub rejected authorization code (HTTP 401: incorrect_client_credentials)."},
		{name: "GitHub rejects, no reason", code: "reject-bare", status: 400,
			detail: pre + "token_exchange — GitHub rejected authorization code (HTTP 500: unknown)."},
		{name: "no access_token", code: "badcode", status: 400,
			detail: pre + "token_exchange — GitHub returned no access_token (reason: The code passed is incorrect or expired.)."},
		{name: "no access_token, no reason", code: "empty", status: 400,
			detail: pre + "token_exchange — GitHub returned no access_token (reason: unknown)."},
		{name: "/user non-200", code: "revoked", status: 400,
			detail: pre + "profile_fetch — GitHub /user returned HTTP 403 for the issued access_token."},
		{name: "/user unreachable", code: "dropuser", status: 502,
			detail: fail + "profile_fetch — could not reach GitHub /user (*errors.errorString)."},
		{name: "/user/emails unreachable (the original gave 500)", code: "dropemails", status: 502,
			detail: fail + "email_fetch — could not reach GitHub /user/emails (*errors.errorString)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.do("POST", "auth/bind/github/", map[string]any{"code": tt.code}, tok).expect(t, tt.status, tt.detail)
		})
	}
	r = e.do("POST", "auth/bind/github/", map[string]any{}, tok).expect(t, 400, "")
	if r.fieldError("code") != "This field is required." {
		t.Fatalf("validation: %s", r.raw)
	}

	dead := oauthDeadURL(t)
	t.Run("network, token_exchange", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *api.Config) { c.GitHub.TokenURL = dead })
		e.createUser("al", "al@example.com", "Strong1pw")
		e.do("POST", "auth/bind/github/", map[string]any{"code": "x"}, e.login("al", "Strong1pw")).expect(t, 502,
			fail+"token_exchange — could not reach GitHub token endpoint (*net.OpError).")
	})
	t.Run("not configured", func(t *testing.T) {
		e := newOAuthEnv(t, func(c *api.Config) { c.GitHub.ClientSecret = "" })
		e.createUser("al", "al@example.com", "Strong1pw")
		e.do("POST", "auth/bind/github/", map[string]any{"code": "x"}, e.login("al", "Strong1pw")).expect(t, 503,
			pre+"config_lookup — server is missing GITHUB_APP_CLIENT_ID/SECRET configuration.")
	})
	e.assertNoSecretsLogged(t)
}
