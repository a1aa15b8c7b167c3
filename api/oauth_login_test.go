package api_test

// Tests of oauth_login.go: the public sign-in endpoints POST auth/google/
// and auth/github/ (sign-in, registration, linking by verified email), with
// oauth-config and the callback pages of oauth_config.go in the round
// trip. The Contract test is the original's OAuthBindRejectionTests: the
// public endpoints refuse intent=bind before any network exchange. Their
// error answers are in oauth_login_errors_test.go.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"notechondria-auth/app"
)

func TestOAuthLogin_Core_ConfigAndCallbackRoundTrip(t *testing.T) {
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

func TestOAuthLogin_Core_GoogleRegisterThenLogin(t *testing.T) {
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

func TestOAuthLogin_Core_GitHubRegisterThenLogin(t *testing.T) {
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

// TestOAuthLogin_Core_BindIntentGuardNoNetwork: the public endpoints refuse intent
// bind before calling any provider, configured or not.
func TestOAuthLogin_Core_BindIntentGuardNoNetwork(t *testing.T) {
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

func TestOAuthLogin_Contract_PublicEndpointsRejectBindIntent(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"auth/google/", "auth/github/"} {
		r := e.do("POST", p, map[string]string{"code": "fake-authorization-code", "intent": "bind"}, "")
		if r.status == 404 || r.status == 405 {
			t.Skipf("%s is not served yet (%d)", p, r.status)
		}
		r.expect(t, 400, "")
		if d, _ := r.body["detail"].(string); !strings.Contains(strings.ToLower(d), "bind") {
			t.Fatalf("%s: %s", p, r.raw)
		}
	}
}

const msgUnverifiedEmailTaken = "Registration rejected: Backend.Creators.Auth/oauth.register.validate_email — an account with this email already exists and the provider has not verified the address; sign in to that account and link this provider from its settings."

// TestOAuthLogin_Security_UnverifiedEmailDoesNotLink: an email the provider does not vouch
// for neither links to nor activates the account that has it (the original
// linked on any email match).
func TestOAuthLogin_Security_UnverifiedEmailDoesNotLink(t *testing.T) {
	e := newOAuthEnv(t)
	gina := e.createUser("gina", "gina@example.com", "Strong1pw")
	e.google.codeFor("g", googleClaims("9001", "Gina@Example.com", false))
	// GitHub: a public profile email, but /user/emails not granted (404).
	e.github.codeFor("gh", ghUser{user: ghProfile(9002, "gina-gh", "", "gina@example.com"), emailsStatus: 404,
		emails: `{"message":"Not Found"}`})

	for _, p := range []string{"google", "github"} {
		code := map[string]string{"google": "g", "github": "gh"}[p]
		title := map[string]string{"google": "Google", "github": "GitHub"}[p]
		r := e.do("POST", "auth/"+p+"/", map[string]any{"code": code, "intent": "login"}, "")
		r.expect(t, 404, "No account found for this "+title+" identity. Please register first.")
		e.do("POST", "auth/"+p+"/", map[string]any{"code": code}, "").expect(t, 400, msgUnverifiedEmailTaken)
	}
	if rows, _ := e.store.SocialAccountsByUser(context.Background(), gina.ID); len(rows) != 0 {
		t.Fatalf("unverified email linked: %+v", rows)
	}
	if users, _ := e.store.ListUsers(context.Background()); len(users) != 1 {
		t.Fatalf("%d users: a second account with the same email was made", len(users))
	}
	e.login("gina", "Strong1pw")

	// A pending account is not activated either.
	e.do("POST", "auth/register/", map[string]any{"username": "hank", "email": "hank@example.com", "password": "Strong1pw"}, "").expect(t, 201, "")
	e.google.codeFor("h", googleClaims("9003", "hank@example.com", false))
	e.do("POST", "auth/google/", map[string]any{"code": "h", "intent": "login"}, "").expect(t, 404, "")
	if u, _ := e.store.UserByEmail(context.Background(), "hank@example.com"); u.IsActive {
		t.Fatal("pending account activated by an unverified email")
	}

	// With no account holding it, an unverified email may register.
	e.google.codeFor("new", googleClaims("9004", "ivy@example.com", false))
	r := e.do("POST", "auth/google/", map[string]any{"code": "new"}, "").expect(t, 200, "")
	if r.body["user"].(map[string]any)["email"] != "ivy@example.com" {
		t.Fatalf("register: %s", r.raw)
	}
}

// TestOAuthLogin_Security_VerifiedEmailLinks: a verified email links the identity to the
// existing account, for intent login too, and a pending account is
// activated without the password its unverified registrant chose.
func TestOAuthLogin_Security_VerifiedEmailLinks(t *testing.T) {
	e := newOAuthEnv(t)
	jo := e.createUser("jo", "jo@example.com", "Strong1pw")
	e.github.codeFor("jo", ghUser{user: ghProfile(3001, "jo-gh", "", ""), emails: ghEmails("JO@example.com", true)})
	r := e.do("POST", "auth/github/", map[string]any{"code": "jo", "intent": "login"}, "").expect(t, 200, "")
	if int64(r.body["user"].(map[string]any)["id"].(float64)) != jo.ID {
		t.Fatalf("linked to another account: %s", r.raw)
	}
	if a, err := e.store.SocialAccountByUID(context.Background(), "github", "3001"); err != nil || a.UserID != jo.ID {
		t.Fatalf("link %+v %v", a, err)
	}
	e.login("jo", "Strong1pw") // the password still works

	e.do("POST", "auth/register/", map[string]any{"username": "kim", "email": "kim@example.com", "password": "Attacker1pw"}, "").expect(t, 201, "")
	e.google.codeFor("kim", googleClaims("3002", "kim@example.com", true))
	r = e.do("POST", "auth/google/", map[string]any{"code": "kim", "intent": "login"}, "").expect(t, 200, "")
	if r.body["user"].(map[string]any)["username"] != "kim" {
		t.Fatalf("activation: %s", r.raw)
	}
	u, _ := e.store.UserByEmail(context.Background(), "kim@example.com")
	if !u.IsActive || u.HasUsablePassword() {
		t.Fatalf("pending account: active=%v usable password=%v", u.IsActive, u.HasUsablePassword())
	}
	lr := e.do("POST", "auth/login/", map[string]string{"identifier": "kim", "password": "Attacker1pw"}, "")
	if lr.status == 200 {
		t.Fatal("the unverified registrant's password still signs in")
	}
}

// TestOAuthLogin_Security_InvitationGate covers CONTRACT 3.13 for OAuth registration: the
// errors are strings, not lists; a valid code is consumed; the gate only
// applies to creating an account.
func TestOAuthLogin_Security_InvitationGate(t *testing.T) {
	e := newOAuthEnv(t)
	// On an open instance a bogus code is ignored.
	e.google.codeFor("open", googleClaims("4000", "open@example.com", true))
	e.do("POST", "auth/google/", map[string]any{"code": "open", "invitation_code": "bogus"}, "").expect(t, 200, "")

	ctx := context.Background()
	if err := e.store.CreateInvitation(ctx, &app.Invitation{CodeHash: app.CodeHash("WELCOME"), MaxUses: 1,
		CreatedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	e.google.codeFor("new", googleClaims("4001", "newbie@example.com", true))
	gate := "Registration rejected: Backend.Creators.Auth/oauth.register.validate_invitation_code — this instance has active invitation gates; supply a valid invitation code."
	invalid := "Registration rejected: Backend.Creators.Auth/oauth.register.validate_invitation_code — invitation code is invalid or expired."
	for _, tt := range []struct {
		body map[string]any
		msg  string
	}{
		{map[string]any{"code": "new"}, gate},
		{map[string]any{"code": "new", "invitation_code": ""}, gate},
		{map[string]any{"code": "new", "invitation_code": "nope"}, invalid},
	} {
		r := e.do("POST", "auth/google/", tt.body, "").expect(t, 400, "")
		if s, ok := r.body["invitation_code"].(string); !ok || s != tt.msg || len(r.body) != 1 {
			t.Fatalf("gate body %s", r.raw)
		}
	}
	e.do("POST", "auth/google/", map[string]any{"code": "new", "invitation_code": " WELCOME "}, "").expect(t, 200, "")
	if inv, err := e.store.InvitationByHash(ctx, app.CodeHash("WELCOME")); err != nil || inv.TimesUsed != 1 {
		t.Fatalf("invitation %+v %v", inv, err)
	}
	// Used up: the next account is refused...
	e.github.codeFor("late", ghUser{user: ghProfile(4002, "late", "", ""), emails: ghEmails("late@example.com", true)})
	r := e.do("POST", "auth/github/", map[string]any{"code": "late", "invitation_code": "WELCOME"}, "").expect(t, 400, "")
	if r.body["invitation_code"] != invalid {
		t.Fatalf("used-up code: %s", r.raw)
	}
	// ...but known identities and verified-email links need no code.
	e.do("POST", "auth/google/", map[string]any{"code": "new"}, "").expect(t, 200, "")
	e.createUser("lee", "late@example.com", "Strong1pw")
	e.do("POST", "auth/github/", map[string]any{"code": "late"}, "").expect(t, 200, "")
}

// TestOAuthLogin_Security_Usernames: the username taken from the provider is made valid
// (register rules) and unique, case-insensitively.
func TestOAuthLogin_Security_Usernames(t *testing.T) {
	e := newOAuthEnv(t)
	e.createUser("Ada", "ada@old.example", "Strong1pw")
	cases := []struct {
		code, wantUser string
		register       func(code string)
	}{
		{"a1", "ada_1", func(c string) { e.google.codeFor(c, googleClaims("a1", "ada@new.example", true)) }},
		{"a2", "ADA_2", func(c string) {
			e.github.codeFor(c, ghUser{user: ghProfile(11, "ADA", "", ""), emails: ghEmails("ada@third.example", true)})
		}},
		{"dots", "marieclaire", func(c string) { e.google.codeFor(c, googleClaims("d", "marie.claire@x.example", true)) }},
		{"short", "google_user", func(c string) { e.google.codeFor(c, googleClaims("s", "é@x.example", true)) }},
		{"short2", "google_user_1", func(c string) { e.google.codeFor(c, googleClaims("s2", "xy@x.example", true)) }},
		{"noemail", "google_777", func(c string) {
			e.google.codeFor(c, googleClaims("777", "", false, func(m map[string]any) { delete(m, "email") }))
		}},
		// Without an email the original named every GitHub user
		// "github_user"; the provider's login is used instead.
		{"ghnoemail", "quiet-one", func(c string) {
			e.github.codeFor(c, ghUser{user: ghProfile(12, "quiet-one", "", ""), emailsStatus: 404})
		}},
	}
	for _, c := range cases {
		c.register(c.code)
		p := "google"
		if strings.HasPrefix(c.code, "a2") || strings.HasPrefix(c.code, "gh") {
			p = "github"
		}
		r := e.do("POST", "auth/"+p+"/", map[string]any{"code": c.code}, "").expect(t, 200, "")
		got := r.body["user"].(map[string]any)["username"]
		if got != c.wantUser || !app.ValidUsername(got.(string)) {
			t.Errorf("%s: username %v, want %s", c.code, got, c.wantUser)
		}
	}
}

// TestOAuthLogin_Security_ConcurrentFirstLogin: eight simultaneous first sign-ins of one
// identity make one account and one link (the original could 500).
func TestOAuthLogin_Security_ConcurrentFirstLogin(t *testing.T) {
	e := newOAuthEnv(t)
	tok := e.google.sign(googleClaims("race", "race@example.com", true))
	e.github.codeFor("race", ghUser{user: ghProfile(555, "racer", "", ""), emails: ghEmails("racer@example.com", true)})
	const n = 8
	for _, p := range []string{"google", "github"} {
		body := map[string]any{"id_token": tok}
		if p == "github" {
			body = map[string]any{"code": "race"}
		}
		var wg sync.WaitGroup
		ids := make([]any, n)
		statuses := make([]int, n)
		for i := range n {
			wg.Go(func() {
				r := e.doNoFatal(t, "POST", "auth/"+p+"/", body)
				statuses[i] = r.status
				if u, ok := r.body["user"].(map[string]any); ok {
					ids[i] = u["id"]
				}
			})
		}
		wg.Wait()
		for i := range n {
			if statuses[i] != 200 || ids[i] != ids[0] {
				t.Fatalf("%s: statuses %v ids %v", p, statuses, ids)
			}
		}
	}
	users, _ := e.store.ListUsers(context.Background())
	if len(users) != 2 {
		t.Fatalf("%d users, want 2", len(users))
	}
	for _, u := range users {
		rows, _ := e.store.SocialAccountsByUser(context.Background(), u.ID)
		if len(rows) != 1 {
			t.Fatalf("user %s has %d links", u.Username, len(rows))
		}
	}
}

// doNoFatal is e.do for goroutines: it reports instead of calling Fatal.
func (e *oauthEnv) doNoFatal(t *testing.T, method, path string, body map[string]any) *response {
	req, err := http.NewRequest(method, e.http.URL+"/api/v1/"+path, strings.NewReader(mustJSON(body)))
	if err != nil {
		t.Error(err)
		return &response{}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return &response{}
	}
	defer resp.Body.Close()
	r := &response{status: resp.StatusCode}
	if err := jsonDecode(resp.Body, &r.body); err != nil {
		t.Error(err)
	}
	return r
}
