package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
)

func TestOAuthConfigAndCallbackRoundTrip(t *testing.T) {
	e := newOAuthEnv(t)
	cfg := e.do("GET", "auth/oauth-config/", nil, "").expect(t, 200, "")
	g := cfg.body["google"].(map[string]any)
	if g["client_id"] != googleClientID || g["redirect_uri"] != googleRedirect {
		t.Fatalf("oauth-config: %s", cfg.raw)
	}
	e.google.codeFor("code-ada", googleClaims("1001", "ada@example.com", true))

	// What the SPA does: build the authorize URL from oauth-config, follow
	// the provider back to this server's callback page, read the code off
	// the editor URL it redirects to, then POST it.
	callback := e.http.URL + "/auth/google/callback"
	authz := e.google.config().AuthURL + "?" + url.Values{"client_id": {googleClientID}, "response_type": {"code"},
		"redirect_uri": {callback}, "state": {"st<1>"}, "login_hint": {"code-ada"}}.Encode()
	resp, err := http.Get(authz)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := "https://notes.example/Notechondria/editor/?code=code-ada&amp;state=st%3c1%3e"
	if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(page)), strings.ToLower(want)) ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("callback page %d %v:\n%s", resp.StatusCode, resp.Header, page)
	}
	r := e.do("POST", "auth/google/", map[string]any{"code": "code-ada", "redirect_uri": googleRedirect}, "")
	r.expect(t, 200, "")
	if r.body["user"].(map[string]any)["email"] != "ada@example.com" || len(r.body["token"].(string)) != 40 {
		t.Fatalf("payload: %s", r.raw)
	}

	// A provider error is shown, escaped.
	resp, err = http.Get(e.http.URL + "/auth/github/callback?error=access_denied&error_description=%3Cscript%3E")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Authentication failed") || strings.Contains(string(page), "<script>") ||
		!strings.Contains(string(page), "GitHub") {
		t.Fatalf("error page:\n%s", page)
	}
}

func TestOAuthGoogleRegisterThenLogin(t *testing.T) {
	e := newOAuthEnv(t)
	claims := googleClaims("1001", "Ada.Lovelace+notes@Example.com", true)
	e.google.codeFor("c1", claims)

	// Unknown identity, intent login: 404 not_registered.
	r := e.do("POST", "auth/google/", map[string]any{"code": "c1", "intent": "login"}, "")
	r.expect(t, 404, "No account found for this Google identity. Please register first.")
	if r.body["code"] != "not_registered" || len(r.body) != 2 {
		t.Fatalf("not_registered body: %s", r.raw)
	}

	// Register (the default intent) creates an active account.
	r = e.do("POST", "auth/google/", map[string]any{"code": "c1"}, "").expect(t, 200, "")
	user := r.body["user"].(map[string]any)
	if user["username"] != "AdaLovelacenotes" || user["email"] != "ada.lovelace+notes@example.com" ||
		user["first_name"] != "Ada" || user["last_name"] != "Lovelace" || r.body["multi_device"] != false {
		t.Fatalf("register payload: %s", r.raw)
	}
	uid := int64(user["id"].(float64))
	u, err := e.store.UserByID(context.Background(), uid)
	if err != nil || !u.IsActive || u.HasUsablePassword() {
		t.Fatalf("created user %+v, %v", u, err)
	}
	a, err := e.store.SocialAccountByUID(context.Background(), "google", "1001")
	if err != nil || a.UserID != uid {
		t.Fatalf("link %+v, %v", a, err)
	}
	var extra map[string]any
	if err := json.Unmarshal([]byte(a.ExtraData), &extra); err != nil ||
		extra["picture"] != "https://img.example/1001.png" || extra["locale"] != "en" {
		t.Fatalf("extra_data %q: %v", a.ExtraData, err)
	}

	// Login with an id_token only (no code) finds the same account, and
	// refreshes extra_data.
	claims["picture"] = "https://img.example/new.png"
	tok := e.google.sign(claims)
	r = e.do("POST", "auth/google/", map[string]any{"id_token": tok, "code": "", "intent": "login"}, "").expect(t, 200, "")
	if int64(r.body["user"].(map[string]any)["id"].(float64)) != uid || r.body["multi_device"] != true ||
		r.body["other_sessions_count"] != float64(1) {
		t.Fatalf("login payload: %s", r.raw)
	}
	a, _ = e.store.SocialAccountByUID(context.Background(), "google", "1001")
	if !strings.Contains(a.ExtraData, "new.png") {
		t.Fatalf("extra_data not updated: %s", a.ExtraData)
	}
	// The minted token works.
	e.do("GET", "auth/social-accounts/", nil, "Token "+r.body["token"].(string)).expect(t, 200, "")
	e.assertNoSecretsLogged(t, tok)
}

func TestOAuthGitHubRegisterThenLogin(t *testing.T) {
	e := newOAuthEnv(t)
	e.github.codeFor("gh1", ghUser{user: ghProfile(4242, "octo-cat", "Octo Cat Junior", ""),
		emails: ghEmails("Octo@Example.com", true)})

	e.do("POST", "auth/github/", map[string]any{"code": "gh1", "intent": "login"}, "").
		expect(t, 404, "No account found for this GitHub identity. Please register first.")
	r := e.do("POST", "auth/github/", map[string]any{"code": "gh1", "intent": "register"}, "").expect(t, 200, "")
	user := r.body["user"].(map[string]any)
	if user["username"] != "octo-cat" || user["email"] != "octo@example.com" || user["first_name"] != "Octo" ||
		user["last_name"] != "Cat Junior" {
		t.Fatalf("register payload: %s", r.raw)
	}
	a, err := e.store.SocialAccountByUID(context.Background(), "github", "4242")
	if err != nil {
		t.Fatal(err)
	}
	var extra map[string]any
	if err := json.Unmarshal([]byte(a.ExtraData), &extra); err != nil || extra["login"] != "octo-cat" ||
		extra["avatar_url"] != "https://avatars.example/u/octo-cat" || extra["html_url"] != "https://github.example/octo-cat" {
		t.Fatalf("extra_data %q", a.ExtraData)
	}
	r = e.do("POST", "auth/github/", map[string]any{"code": "gh1", "intent": "login"}, "").expect(t, 200, "")
	if r.body["user"].(map[string]any)["id"] != user["id"] {
		t.Fatalf("login found another user: %s", r.raw)
	}
	// Form bodies work as JSON ones do.
	req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/auth/github/", strings.NewReader("code=gh1&intent=login"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("form body: %v %v", resp, err)
	}
	resp.Body.Close()
	e.assertNoSecretsLogged(t)
}

// TestOAuthGoogleErrors covers the rows of CONTRACT #17.
func TestOAuthGoogleErrors(t *testing.T) {
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

// TestOAuthBindIntentGuardNoNetwork: the public endpoints refuse intent
// bind before calling any provider, configured or not.
func TestOAuthBindIntentGuardNoNetwork(t *testing.T) {
	e := newOAuthEnv(t)
	for _, p := range []string{"google", "github"} {
		r := e.do("POST", "auth/"+p+"/", map[string]any{"code": "fake-authorization-code", "intent": "bind"}, "")
		r.expect(t, 400, "Account binding requires authentication. Use /api/v1/auth/bind/"+p+"/.")
		if !strings.Contains(strings.ToLower(r.body["detail"].(string)), "bind") {
			t.Fatal("detail does not mention bind")
		}
	}
	if n := e.google.calls.Load() + e.github.calls.Load(); n != 0 {
		t.Fatalf("%d provider calls for a bind intent", n)
	}
	unconfigured := newEnv(t)
	unconfigured.do("POST", "auth/github/", map[string]any{"code": "x", "intent": "bind"}, "").
		expect(t, 400, "Account binding requires authentication. Use /api/v1/auth/bind/github/.")
}

// TestOAuthGitHubErrors covers the rows of CONTRACT #18.
func TestOAuthGitHubErrors(t *testing.T) {
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

// TestOAuthNetworkAndConfigErrors: unreachable providers are 502 with a
// clear detail (the original gave 500), missing configuration 503.
func TestOAuthNetworkAndConfigErrors(t *testing.T) {
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
