package oauth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

func TestGitHubConfigDefaults(t *testing.T) {
	got := GitHubConfig{ClientID: "id", APIURL: "http://api.local/"}.WithDefaults()
	want := GitHubConfig{ClientID: "id", AuthURL: GitHubAuthURL, TokenURL: GitHubTokenURL, APIURL: "http://api.local"}
	if got != want {
		t.Errorf("WithDefaults() = %+v, want %+v", got, want)
	}
	if got := (GitHubConfig{}).WithDefaults().APIURL; got != GitHubAPIURL {
		t.Errorf("APIURL default = %q", got)
	}
}

func githubConfig(srv *httptest.Server) GitHubConfig {
	return GitHubConfig{ClientID: testClientID, ClientSecret: testClientSecret, RedirectURI: testRedirect,
		TokenURL: srv.URL + "/login/oauth/access_token", APIURL: srv.URL}
}

func TestGitHubExchange(t *testing.T) {
	srv := newFakeGitHub(t, nil)
	dead := closedURL(t)
	tests := []struct {
		name       string
		cfg        func(GitHubConfig) GitHubConfig
		code       string
		redirect   string
		want       string
		wantKind   Kind
		wantStatus int
		wantReason string
		wantClass  string
	}{
		{name: "success", code: "good", want: "gho_good"},
		{name: "success, explicit redirect", code: "good", redirect: testRedirect, want: "gho_good"},
		{name: "explicit redirect is sent", code: "good", redirect: "https://x.example/cb",
			wantKind: Rejected, wantStatus: 418},
		{name: "bad code is 200 with error", code: "badcode", wantKind: NoToken,
			wantReason: "The code passed is incorrect or expired."},
		{name: "200 without anything", code: "empty", wantKind: NoToken, wantReason: ""},
		{name: "non-200", code: "wrongcreds", wantKind: Rejected, wantStatus: 401,
			wantReason: "incorrect_client_credentials"},
		{name: "network", code: "good", wantKind: Network, wantClass: "*net.OpError",
			cfg: func(c GitHubConfig) GitHubConfig { c.TokenURL = dead + "/login/oauth/access_token"; return c }},
		{name: "not configured", code: "good", wantKind: NotConfigured,
			cfg: func(c GitHubConfig) GitHubConfig { c.ClientID = ""; return c }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := githubConfig(srv)
			if tt.cfg != nil {
				cfg = tt.cfg(cfg)
			}
			got, err := NewGitHub(cfg, Options{}).Exchange(context.Background(), tt.code, tt.redirect)
			if tt.wantKind == 0 {
				if err != nil || got != tt.want {
					t.Fatalf("Exchange = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			e := asError(t, err)
			wantPhase := PhaseTokenExchange
			if tt.wantKind == NotConfigured {
				wantPhase = PhaseConfigLookup
			}
			if got != "" || e.Provider != ProviderGitHub || e.Kind != tt.wantKind || e.Phase != wantPhase ||
				e.Status != tt.wantStatus || e.Reason != tt.wantReason && tt.wantKind != NotConfigured ||
				e.ExcClass != tt.wantClass {
				t.Fatalf("got %q, %+v\nwant kind %s phase %s status %d reason %q class %q", got, *e,
					tt.wantKind, wantPhase, tt.wantStatus, tt.wantReason, tt.wantClass)
			}
			assertNoSecrets(t, err, tt.code, "gho_good")
		})
	}
}

func TestGitHubProfile(t *testing.T) {
	const (
		octo       = `{"id":583231,"login":"octocat","name":"The Octocat","email":"octo@github.com","avatar_url":"https://a.example/o.png","html_url":"https://github.com/octocat"}`
		octoNoMail = `{"id":583231,"login":"octocat","name":"","email":null,"avatar_url":"https://a.example/o.png","html_url":"https://github.com/octocat"}`
	)
	accounts := map[string]ghAccount{
		"public-verified": {200, octo, 200, `[{"email":"OCTO@github.com","primary":true,"verified":true}]`},
		"public-unlisted": {200, octo, 200, `[{"email":"other@example.com","primary":true,"verified":true}]`},
		"public-noscope":  {200, octo, 404, `{"message":"Not Found"}`},
		"fallback": {200, octoNoMail, 200, `[{"email":"old@example.com","primary":false,"verified":true},` +
			`{"email":"main@example.com","primary":true,"verified":true}]`},
		"unverified-primary": {200, octoNoMail, 200, `[{"email":"main@example.com","primary":true,"verified":false}]`},
		"no-login":           {200, `{"id":7,"login":"","name":null,"email":null}`, 403, `{"message":"Forbidden"}`},
		"user-500":           {500, `{"message":"Server Error"}`, 200, `[]`},
		"no-id":              {200, `{"login":"ghost"}`, 200, `[]`},
		"user-garbage":       {200, `<html>`, 200, `[]`},
	}
	srv := newFakeGitHub(t, accounts)
	octoExtra := map[string]any{"login": "octocat", "avatar_url": "https://a.example/o.png",
		"html_url": "https://github.com/octocat"}
	octoID := func(email string, verified bool, display string) Identity {
		return Identity{Provider: "github", UID: "583231", Email: email, EmailVerified: verified,
			Username: "octocat", DisplayName: display, Extra: octoExtra}
	}

	tests := []struct {
		name       string
		token      string
		transport  http.RoundTripper
		want       Identity
		wantKind   Kind
		wantPhase  string
		wantStatus int
		wantReason string
	}{
		{name: "public email, verified in list", token: "public-verified",
			want: octoID("octo@github.com", true, "The Octocat")},
		{name: "public email, not in list", token: "public-unlisted",
			want: octoID("octo@github.com", false, "The Octocat")},
		{name: "public email, emails 404", token: "public-noscope",
			want: octoID("octo@github.com", false, "The Octocat")},
		{name: "public email, emails unreachable", token: "public-verified",
			transport: failPath{"/user/emails"}, want: octoID("octo@github.com", false, "The Octocat")},
		{name: "fallback to primary verified", token: "fallback",
			want: octoID("main@example.com", true, "octocat")},
		{name: "unverified primary skipped", token: "unverified-primary", want: octoID("", false, "octocat")},
		{name: "no login, no name", token: "no-login", want: Identity{Provider: "github", UID: "7",
			Username: "github_7", DisplayName: "github_7",
			Extra: map[string]any{"login": "", "avatar_url": "", "html_url": ""}}},
		{name: "bad token", token: "nope", wantKind: Rejected, wantPhase: PhaseProfileFetch,
			wantStatus: 401, wantReason: "Bad credentials"},
		{name: "user 500", token: "user-500", wantKind: Rejected, wantPhase: PhaseProfileFetch,
			wantStatus: 500, wantReason: "Server Error"},
		{name: "user without id", token: "no-id", wantKind: Rejected, wantPhase: PhaseProfileFetch,
			wantStatus: 200, wantReason: "profile has no id"},
		{name: "user not JSON", token: "user-garbage", wantKind: Rejected, wantPhase: PhaseProfileFetch,
			wantStatus: 200, wantReason: "malformed response"},
		{name: "user unreachable", token: "fallback", transport: failPath{"/user"},
			wantKind: Network, wantPhase: PhaseProfileFetch},
		{name: "no public email, emails unreachable", token: "fallback", transport: failPath{"/user/emails"},
			wantKind: Network, wantPhase: PhaseEmailFetch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := NewGitHub(githubConfig(srv), Options{Transport: tt.transport})
			got, err := gh.Profile(context.Background(), tt.token)
			if tt.wantKind == 0 {
				if err != nil {
					t.Fatalf("Profile: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("identity = %+v\nwant %+v", got, tt.want)
				}
				return
			}
			e := asError(t, err)
			if e.Kind != tt.wantKind || e.Phase != tt.wantPhase || e.Status != tt.wantStatus ||
				e.Reason != tt.wantReason || e.Provider != ProviderGitHub {
				t.Fatalf("got %+v\nwant kind %s phase %s status %d reason %q",
					*e, tt.wantKind, tt.wantPhase, tt.wantStatus, tt.wantReason)
			}
			if tt.wantKind == Network && e.ExcClass != "*oauth.netOpError" {
				t.Errorf("ExcClass = %q", e.ExcClass)
			}
			assertNoSecrets(t, err, tt.token)
		})
	}
}

// A provider slower than the configured timeout is a network failure.
func TestGitHubTimeout(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Drain the body so the server notices the client hanging up.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	cfg := GitHubConfig{ClientID: "id", ClientSecret: "secret", TokenURL: slow.URL, APIURL: slow.URL}
	gh := NewGitHub(cfg, Options{ExchangeTimeout: 50 * time.Millisecond, RequestTimeout: 50 * time.Millisecond})
	start := time.Now()
	_, errX := gh.Exchange(context.Background(), "c", "")
	_, errP := gh.Profile(context.Background(), "t")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeouts not applied: took %v", d)
	}
	for phase, err := range map[string]error{PhaseTokenExchange: errX, PhaseProfileFetch: errP} {
		e := asError(t, err)
		if e.Kind != Network || e.Phase != phase || e.ExcClass != "context.DeadlineExceeded" {
			t.Errorf("got %s/%s/%q, want %s/network/context.DeadlineExceeded", e.Phase, e.Kind, e.ExcClass, phase)
		}
	}
}
