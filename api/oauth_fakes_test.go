package api_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"notechondria-auth/api"
	"notechondria-auth/oauth"
)

// Test OAuth client registrations. The secrets must never reach a log line
// or a response.
const (
	googleClientID     = "google-client-123.apps.example"
	googleClientSecret = "google-s3cret-never-print"
	googleRedirect     = "https://notes.example/auth/google/callback"
	githubClientID     = "Iv1.github-client-456"
	githubClientSecret = "github-s3cret-never-print"
	githubRedirect     = "https://notes.example/auth/github/callback"
	oauthKeyID         = "test-key-1"
)

// oauthNow is the harness clock's start; ID tokens are minted around it.
var oauthNow = time.Date(2026, 4, 23, 3, 32, 23, 0, time.UTC)

// RSA keys are shared by every test: generating them is slow.
var (
	signingKey = onceKey()
	otherKey   = onceKey() // not in the fake's JWKS
)

func onceKey() func(*testing.T) *rsa.PrivateKey {
	get := sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })
	return func(t *testing.T) *rsa.PrivateKey {
		t.Helper()
		k, err := get()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
}

// fakeGoogle is a local Google: GET /authorize redirects back with a code,
// POST /token answers per code, GET /certs serves the JWKS.
//
// Token endpoint answers: a code registered with codeFor gives its ID
// token; "reject" a 400 with error and error_description, "reject-error"
// a 400 with only error, "reject-bare" a 400 with an empty object, "noid" a
// 200 without id_token. The form must carry the test client's id, secret,
// and the expected redirect URI, else 400 redirect_uri_mismatch.
type fakeGoogle struct {
	t      *testing.T
	srv    *httptest.Server
	key    *rsa.PrivateKey
	mu     sync.Mutex
	codes  map[string]string // code -> id_token
	calls  atomic.Int64      // requests to /token and /certs
	wantRU string
}

func newFakeGoogle(t *testing.T) *fakeGoogle {
	t.Helper()
	f := &fakeGoogle{t: t, key: signingKey(t), codes: map[string]string{}, wantRU: googleRedirect}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != googleClientID || q.Get("response_type") != "code" {
			http.Error(w, "bad authorize request", http.StatusBadRequest)
			return
		}
		// The "user" consents: the code is the login_hint's registered code.
		target := q.Get("redirect_uri") + "?code=" + url.QueryEscape(q.Get("login_hint")) +
			"&state=" + url.QueryEscape(q.Get("state"))
		http.Redirect(w, r, target, http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("client_id") != googleClientID ||
			r.PostForm.Get("client_secret") != googleClientSecret {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"invalid_client","error_description":"The OAuth client was not found."}`))
			return
		}
		f.mu.Lock()
		wantRU := f.wantRU
		idToken, known := f.codes[r.PostForm.Get("code")]
		f.mu.Unlock()
		if r.PostForm.Get("redirect_uri") != wantRU {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"redirect_uri_mismatch","error_description":"Bad Request"}`))
			return
		}
		switch code := r.PostForm.Get("code"); {
		case code == "reject":
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"Malformed auth code."}`))
		case code == "reject-error":
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant"}`))
		case code == "reject-bare":
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{}`))
		case code == "noid":
			w.Write([]byte(`{"access_token":"ya29.fake-access","token_type":"Bearer","expires_in":3599}`))
		case known:
			json.NewEncoder(w).Encode(map[string]any{"access_token": "ya29.fake-access", "token_type": "Bearer",
				"expires_in": 3599, "id_token": idToken})
		default:
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"invalid_grant","error_description":"Bad Request"}`))
		}
	})
	mux.HandleFunc("GET /certs", func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: oauthKeyID,
			Algorithm: string(jose.RS256), Use: "sig"}}}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(set)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// config is the GoogleConfig pointing at the fake.
func (f *fakeGoogle) config() oauth.GoogleConfig {
	return oauth.GoogleConfig{ClientID: googleClientID, ClientSecret: googleClientSecret, RedirectURI: googleRedirect,
		AuthURL: f.srv.URL + "/authorize", TokenURL: f.srv.URL + "/token", JWKSURL: f.srv.URL + "/certs"}
}

// googleClaims is a valid ID token body for the test client; mutate edits it.
func googleClaims(sub, email string, verified bool, mutate ...func(map[string]any)) map[string]any {
	c := map[string]any{
		"iss":            oauth.GoogleIssuer,
		"aud":            googleClientID,
		"azp":            googleClientID,
		"sub":            sub,
		"iat":            oauthNow.Add(-time.Minute).Unix(),
		"exp":            oauthNow.Add(time.Hour).Unix(),
		"email":          email,
		"email_verified": verified,
		"name":           "Ada Lovelace",
		"picture":        "https://img.example/" + sub + ".png",
		"locale":         "en",
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

// sign signs claims as an RS256 JWT with the fake's key (or another).
func (f *fakeGoogle) sign(claims map[string]any, key ...*rsa.PrivateKey) string {
	f.t.Helper()
	k := f.key
	if len(key) > 0 {
		k = key[0]
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256,
		Key: jose.JSONWebKey{Key: k, KeyID: oauthKeyID, Algorithm: string(jose.RS256)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		f.t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		f.t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// codeFor registers code as exchangeable for an ID token of claims and
// returns the code.
func (f *fakeGoogle) codeFor(code string, claims map[string]any) string {
	f.t.Helper()
	tok := f.sign(claims)
	f.mu.Lock()
	f.codes[code] = tok
	f.mu.Unlock()
	return code
}

// ghUser is what the fake GitHub answers for one access token.
type ghUser struct {
	userStatus   int    // 0: 200
	user         string // JSON body of /user
	emailsStatus int    // 0: 200
	emails       string // JSON body of /user/emails ("" : [])
	dropUser     bool   // /user drops the connection
	dropEmails   bool   // /user/emails drops the connection
}

// fakeGitHub is a local GitHub: POST /login/oauth/access_token (JSON in,
// JSON out), GET /user and GET /user/emails with a Bearer token.
//
// Codes: a code registered with codeFor gives "gho_<code>"; "reject" a 401
// with error; "reject-bare" a 500 with {}; "badcode" a 200 with error and
// error_description; "empty" a 200 {}. Unknown tokens get 401 on the API.
type fakeGitHub struct {
	t     *testing.T
	srv   *httptest.Server
	mu    sync.Mutex
	users map[string]ghUser // access token -> answers
	calls atomic.Int64
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{t: t, users: map[string]ghUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		f.calls.Add(1)
		var in map[string]string
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Accept") != "application/json" || json.NewDecoder(r.Body).Decode(&in) != nil ||
			in["client_id"] != githubClientID || in["client_secret"] != githubClientSecret {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"incorrect_client_credentials"}`))
			return
		}
		if in["redirect_uri"] != githubRedirect {
			w.Write([]byte(`{"error":"redirect_uri_mismatch","error_description":"The redirect_uri MUST match the registered callback URL for this application."}`))
			return
		}
		switch code := in["code"]; code {
		case "reject":
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"incorrect_client_credentials"}`))
		case "reject-bare":
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{}`))
		case "badcode":
			w.Write([]byte(`{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}`))
		case "empty":
			w.Write([]byte(`{}`))
		default:
			f.mu.Lock()
			_, ok := f.users["gho_"+code]
			f.mu.Unlock()
			if !ok {
				w.Write([]byte(`{"error":"bad_verification_code"}`))
				return
			}
			w.Write([]byte(`{"access_token":"gho_` + code + `","token_type":"bearer","scope":"read:user,user:email"}`))
		}
	})
	api := func(emails bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			f.calls.Add(1)
			f.mu.Lock()
			u, ok := f.users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			if !ok || r.Header.Get("Accept") != "application/vnd.github+json" {
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"message":"Bad credentials"}`))
				return
			}
			if (emails && u.dropEmails) || (!emails && u.dropUser) {
				if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
					conn.Close()
				}
				return
			}
			status, body := u.userStatus, u.user
			if emails {
				status, body = u.emailsStatus, u.emails
				if body == "" {
					body = "[]"
				}
			}
			if status == 0 {
				status = http.StatusOK
			}
			w.WriteHeader(status)
			w.Write([]byte(body))
		}
	}
	mux.HandleFunc("GET /user", api(false))
	mux.HandleFunc("GET /user/emails", api(true))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// config is the GitHubConfig pointing at the fake.
func (f *fakeGitHub) config() oauth.GitHubConfig {
	return oauth.GitHubConfig{ClientID: githubClientID, ClientSecret: githubClientSecret, RedirectURI: githubRedirect,
		AuthURL: f.srv.URL + "/login/oauth/authorize", TokenURL: f.srv.URL + "/login/oauth/access_token", APIURL: f.srv.URL}
}

// codeFor registers code for the GitHub user u and returns the code.
func (f *fakeGitHub) codeFor(code string, u ghUser) string {
	f.mu.Lock()
	f.users["gho_"+code] = u
	f.mu.Unlock()
	return code
}

// ghProfile builds a /user body.
func ghProfile(id int64, login, name, email string) string {
	b, _ := json.Marshal(map[string]any{"id": id, "login": login, "name": name, "email": ghEmailOrNull(email),
		"avatar_url": "https://avatars.example/u/" + login, "html_url": "https://github.example/" + login})
	return string(b)
}

func ghEmailOrNull(e string) any {
	if e == "" {
		return nil
	}
	return e
}

// ghEmails builds a /user/emails body with one primary address.
func ghEmails(email string, verified bool) string {
	b, _ := json.Marshal([]map[string]any{
		{"email": "noreply@users.example", "primary": false, "verified": true},
		{"email": email, "primary": true, "verified": verified},
	})
	return string(b)
}

// oauthDeadURL is an address nothing listens on.
func oauthDeadURL(t *testing.T) string {
	t.Helper()
	// Port 0 refuses every connection. (A closed test server's port was
	// used before: under parallel tests another server could take it, and
	// the "unreachable" provider answered 404.)
	return "http://127.0.0.1:0"
}

// oauthEnv is a test server wired to both fakes.
type oauthEnv struct {
	*env
	google *fakeGoogle
	github *fakeGitHub
}

// newOAuthEnv starts the fakes and a server configured for them; mutate
// runs after, so it can break the configuration.
func newOAuthEnv(t *testing.T, mutate ...func(*api.Config)) *oauthEnv {
	t.Helper()
	g, gh := newFakeGoogle(t), newFakeGitHub(t)
	e := newEnv(t, append([]func(*api.Config){func(c *api.Config) {
		c.Google = g.config()
		c.GitHub = gh.config()
		c.FrontendOrigin = "https://notes.example"
	}}, mutate...)...)
	return &oauthEnv{env: e, google: g, github: gh}
}

// assertNoSecretsLogged fails if a credential reached the server log.
func (e *oauthEnv) assertNoSecretsLogged(t *testing.T, extra ...string) {
	t.Helper()
	logs := e.logs.String()
	for _, s := range append([]string{googleClientSecret, githubClientSecret, "ya29.fake-access", "gho_"}, extra...) {
		if strings.Contains(logs, s) {
			t.Errorf("server log contains %q", s)
		}
	}
}

// oauthOnlyUser signs up through Google and returns its token and id.
func (e *oauthEnv) oauthOnlyUser(t *testing.T, sub, email string) (string, int64) {
	t.Helper()
	code := e.google.codeFor("signup-"+sub, googleClaims(sub, email, true))
	r := e.do("POST", "auth/google/", map[string]any{"code": code}, "").expect(t, 200, "")
	return "Token " + r.body["token"].(string), int64(r.body["user"].(map[string]any)["id"].(float64))
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
