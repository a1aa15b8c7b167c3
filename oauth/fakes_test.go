package oauth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Test credentials. They must never appear in an error string.
const (
	testClientID     = "client-123.apps.example"
	testClientSecret = "s3cret-never-print"
	testRedirect     = "https://auth.example/auth/google/callback"
	testKeyID        = "k1"
)

// fixedNow is the test clock's "now"; tokens are minted relative to it.
func fixedNow() time.Time { return time.Date(2026, 4, 23, 3, 32, 23, 0, time.UTC) }

func newKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signIDToken signs claims with key as an RS256 JWT with kid testKeyID.
func signIDToken(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256,
		Key: jose.JSONWebKey{Key: key, KeyID: testKeyID, Algorithm: string(jose.RS256)}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// baseClaims is a valid Google ID token body for the test client.
func baseClaims() map[string]any {
	now := fixedNow()
	return map[string]any{
		"iss":            GoogleIssuer,
		"aud":            testClientID,
		"sub":            "1098765",
		"iat":            now.Unix(),
		"exp":            now.Add(time.Hour).Unix(),
		"email":          "ada@example.com",
		"email_verified": true,
		"name":           "Ada Lovelace",
		"picture":        "https://img.example/ada.png",
		"locale":         "en",
	}
}

// fakeGoogle serves /token and /certs. The code picks the token answer:
// "good" gives idToken, "bad" a 400 with error_description, "noid" a 200
// without id_token, "garbage" a 200 that is not JSON.
type fakeGoogle struct {
	srv     *httptest.Server
	idToken string
}

func newFakeGoogle(t *testing.T, key *rsa.PrivateKey) *fakeGoogle {
	t.Helper()
	f := &fakeGoogle{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusTeapot)
			return
		}
		want := map[string]string{"grant_type": "authorization_code", "client_id": testClientID,
			"client_secret": testClientSecret, "redirect_uri": testRedirect}
		for k, v := range want {
			if got := r.PostForm.Get(k); got != v {
				http.Error(w, "unexpected "+k+"="+got, http.StatusTeapot)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.PostForm.Get("code") {
		case "good":
			_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "ya29.at", "token_type": "Bearer",
				"expires_in": 3599, "id_token": f.idToken})
		case "bad":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"Bad\nRequest"}`))
		case "noid":
			_, _ = w.Write([]byte(`{"access_token":"ya29.at","token_type":"Bearer"}`))
		case "garbage":
			_, _ = w.Write([]byte(`<html>oops</html>`))
		default:
			http.Error(w, "unknown code", http.StatusTeapot)
		}
	})
	mux.HandleFunc("GET /certs", func(w http.ResponseWriter, r *http.Request) {
		set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: testKeyID,
			Algorithm: string(jose.RS256), Use: "sig"}}}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGoogle) config() GoogleConfig {
	return GoogleConfig{ClientID: testClientID, ClientSecret: testClientSecret, RedirectURI: testRedirect,
		TokenURL: f.srv.URL + "/token", JWKSURL: f.srv.URL + "/certs"}
}

// closedURL returns an address nothing listens on: port 0 refuses every
// connection (a closed test server's port could be taken by another test).
func closedURL(t *testing.T) string {
	t.Helper()
	return "http://127.0.0.1:0"
}

// ghAccount is what the fake GitHub answers for one access token.
type ghAccount struct {
	userStatus   int
	user         string // JSON body of /user
	emailsStatus int
	emails       string // JSON body of /user/emails
}

// newFakeGitHub serves the token endpoint and the API. Codes: "good" gives
// access token "gho_good", "badcode" a 200 with error, "wrongcreds" a 401,
// "empty" a 200 {}. Tokens are looked up in accounts.
func newFakeGitHub(t *testing.T, accounts map[string]ghAccount) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]string
		if r.Header.Get("Accept") != "application/json" || json.NewDecoder(r.Body).Decode(&in) != nil ||
			in["client_id"] != testClientID || in["client_secret"] != testClientSecret ||
			in["redirect_uri"] != testRedirect {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch in["code"] {
		case "good":
			_, _ = w.Write([]byte(`{"access_token":"gho_good","token_type":"bearer","scope":"user:email"}`))
		case "badcode":
			_, _ = w.Write([]byte(`{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}`))
		case "wrongcreds":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"incorrect_client_credentials"}`))
		case "empty":
			_, _ = w.Write([]byte(`{}`))
		default:
			http.Error(w, "unknown code", http.StatusTeapot)
		}
	})
	api := func(pick func(ghAccount) (int, string)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			acct, ok := accounts[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			if !ok || r.Header.Get("Accept") != "application/vnd.github+json" {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"message":"Bad credentials"}`))
				return
			}
			status, body := pick(acct)
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}
	}
	mux.HandleFunc("GET /user", api(func(a ghAccount) (int, string) { return a.userStatus, a.user }))
	mux.HandleFunc("GET /user/emails", api(func(a ghAccount) (int, string) { return a.emailsStatus, a.emails }))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// failPath is a transport that fails requests for one path with a dial
// error and passes the rest through.
type failPath struct{ path string }

func (f failPath) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path == f.path {
		return nil, &netOpError{}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// netOpError stands in for a dial failure with a distinctive type name.
type netOpError struct{}

func (*netOpError) Error() string { return "dial tcp: connection refused" }

// asError asserts err is an *Error and returns it.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *oauth.Error", err, err)
	}
	return e
}

// assertNoSecrets fails if an error string carries a credential.
func assertNoSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, testClientSecret) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error string %q contains secret %q", err.Error(), s)
		}
	}
}
