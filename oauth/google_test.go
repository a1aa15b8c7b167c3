package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestGoogleConfigDefaults(t *testing.T) {
	got := GoogleConfig{ClientID: "id"}.WithDefaults()
	want := GoogleConfig{ClientID: "id", AuthURL: GoogleAuthURL, TokenURL: GoogleTokenURL,
		Issuer: GoogleIssuer, JWKSURL: GoogleJWKSURL}
	if got != want {
		t.Errorf("WithDefaults() = %+v, want %+v", got, want)
	}
	if kept := (GoogleConfig{TokenURL: "http://x/t"}).WithDefaults().TokenURL; kept != "http://x/t" {
		t.Errorf("TokenURL overwritten: %q", kept)
	}
	for _, c := range []struct {
		cfg  GoogleConfig
		want bool
	}{{GoogleConfig{}, false}, {GoogleConfig{ClientID: "a"}, false}, {GoogleConfig{ClientSecret: "b"}, false},
		{GoogleConfig{ClientID: "a", ClientSecret: "b"}, true}} {
		if got := c.cfg.Configured(); got != c.want {
			t.Errorf("%+v.Configured() = %v, want %v", c.cfg, got, c.want)
		}
	}
}

func TestGoogleExchange(t *testing.T) {
	key := newKey(t)
	f := newFakeGoogle(t, key)
	f.idToken = signIDToken(t, key, baseClaims())
	dead := closedURL(t)

	tests := []struct {
		name       string
		cfg        func(GoogleConfig) GoogleConfig
		code       string
		redirect   string
		wantKind   Kind
		wantStatus int
		wantReason string
		wantClass  string
	}{
		{name: "success, default redirect", code: "good"},
		{name: "success, explicit redirect", code: "good", redirect: testRedirect},
		{name: "explicit redirect is sent", code: "good", redirect: "https://other.example/cb",
			wantKind: Rejected, wantStatus: 418},
		{name: "400 with error_description", code: "bad", wantKind: Rejected, wantStatus: 400,
			wantReason: "Bad Request"},
		{name: "200 without id_token", code: "noid", wantKind: NoToken, wantReason: "no id_token in token response"},
		{name: "200 not JSON", code: "garbage", wantKind: NoToken, wantReason: "malformed token response"},
		{name: "network", code: "good", wantKind: Network, wantClass: "*net.OpError",
			cfg: func(c GoogleConfig) GoogleConfig { c.TokenURL = dead + "/token"; return c }},
		{name: "not configured", code: "good", wantKind: NotConfigured,
			cfg: func(c GoogleConfig) GoogleConfig { c.ClientSecret = ""; return c }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := f.config()
			if tt.cfg != nil {
				cfg = tt.cfg(cfg)
			}
			g := NewGoogle(cfg, Options{Now: fixedNow})
			got, err := g.Exchange(context.Background(), tt.code, tt.redirect)
			if tt.wantKind == 0 {
				if err != nil {
					t.Fatalf("Exchange: %v", err)
				}
				if got != f.idToken {
					t.Fatalf("id_token = %q, want the fake's", got)
				}
				return
			}
			if got != "" {
				t.Errorf("token %q returned with error", got)
			}
			e := asError(t, err)
			if e.Kind != tt.wantKind || e.Provider != ProviderGoogle {
				t.Fatalf("got %s/%s, want google/%s (%v)", e.Provider, e.Kind, tt.wantKind, err)
			}
			wantPhase := PhaseTokenExchange
			if tt.wantKind == NotConfigured {
				wantPhase = PhaseConfigLookup
			}
			if e.Phase != wantPhase || e.Status != tt.wantStatus || e.ExcClass != tt.wantClass {
				t.Errorf("phase/status/class = %s/%d/%q, want %s/%d/%q",
					e.Phase, e.Status, e.ExcClass, wantPhase, tt.wantStatus, tt.wantClass)
			}
			if tt.wantReason != "" && e.Reason != tt.wantReason {
				t.Errorf("Reason = %q, want %q", e.Reason, tt.wantReason)
			}
			assertNoSecrets(t, err, tt.code, f.idToken)
		})
	}
}

func TestGoogleVerify(t *testing.T) {
	key, otherKey := newKey(t), newKey(t)
	f := newFakeGoogle(t, key)
	dead := closedURL(t)

	with := func(kv ...any) map[string]any {
		c := baseClaims()
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	ada := Identity{Provider: "google", UID: "1098765", Email: "ada@example.com", EmailVerified: true,
		Username: "ada", DisplayName: "Ada Lovelace",
		Extra: map[string]any{"picture": "https://img.example/ada.png", "locale": "en"}}
	unverified := ada
	unverified.EmailVerified = false
	noEmail := Identity{Provider: "google", UID: "1098765", Username: "google_1098765",
		DisplayName: "Ada Lovelace", Extra: map[string]any{"picture": nil, "locale": nil}}

	// An unsigned token must be refused even though its claims are perfect.
	payload, _ := json.Marshal(baseClaims())
	algNone := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(payload) + "."

	tests := []struct {
		name     string
		claims   map[string]any
		signWith any    // *rsa.PrivateKey; nil means key
		raw      string // used instead of signing when set
		clock    time.Duration
		jwksURL  string
		want     Identity
		wantKind Kind
		reason   string
	}{
		{name: "valid", claims: baseClaims(), want: ada},
		{name: "issuer without scheme", claims: with("iss", "accounts.google.com"), want: ada},
		{name: "audience list", claims: with("aud", []string{"other", testClientID}), want: ada},
		{name: "email_verified as string", claims: with("email_verified", "true"), want: ada},
		{name: "email_verified false", claims: with("email_verified", false), want: unverified},
		{name: "email_verified string false", claims: with("email_verified", "false"), want: unverified},
		{name: "no email", claims: with("email", nil, "email_verified", nil, "picture", nil, "locale", nil),
			want: noEmail},
		{name: "wrong audience", claims: with("aud", "someone-else"), wantKind: AudienceMismatch},
		{name: "expired", claims: baseClaims(), clock: 2 * time.Hour, wantKind: InvalidToken,
			reason: "id_token has expired"},
		{name: "bad signature", claims: baseClaims(), signWith: otherKey, wantKind: InvalidToken,
			reason: "id_token signature or format is invalid"},
		{name: "wrong issuer", claims: with("iss", "https://evil.example"), wantKind: InvalidToken,
			reason: "id_token issuer is not accepted"},
		{name: "no subject", claims: with("sub", nil), wantKind: InvalidToken},
		{name: "not a JWT", raw: "not.a.jwt", wantKind: InvalidToken},
		{name: "alg none", raw: algNone, wantKind: InvalidToken},
		{name: "keys unreachable", claims: baseClaims(), jwksURL: dead + "/certs", wantKind: Network},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := f.config()
			if tt.jwksURL != "" {
				cfg.JWKSURL = tt.jwksURL
			}
			now := func() time.Time { return fixedNow().Add(tt.clock) }
			g := NewGoogle(cfg, Options{Now: now})
			raw := tt.raw
			if raw == "" {
				k := key
				if tt.signWith != nil {
					k = otherKey
				}
				raw = signIDToken(t, k, tt.claims)
			}
			got, err := g.Verify(context.Background(), raw)
			if tt.wantKind == 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("identity = %+v\nwant %+v", got, tt.want)
				}
				return
			}
			e := asError(t, err)
			if e.Kind != tt.wantKind || e.Phase != PhaseTokenVerify || e.Provider != ProviderGoogle {
				t.Fatalf("got %s/%s/%s, want google/token_verify/%s (%v)",
					e.Provider, e.Phase, e.Kind, tt.wantKind, err)
			}
			if tt.reason != "" && e.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", e.Reason, tt.reason)
			}
			if tt.wantKind == Network && e.ExcClass != "*net.OpError" {
				t.Errorf("ExcClass = %q, want *net.OpError", e.ExcClass)
			}
			if got.UID != "" {
				t.Errorf("identity returned with error: %+v", got)
			}
			assertNoSecrets(t, err, raw)
		})
	}
}

// A deadline while the key set is being fetched is a network failure.
func TestGoogleVerifyTimeout(t *testing.T) {
	key := newKey(t)
	f := newFakeGoogle(t, key)
	g := NewGoogle(f.config(), Options{Now: fixedNow})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := g.Verify(ctx, signIDToken(t, key, baseClaims()))
	e := asError(t, err)
	if e.Kind != Network || e.ExcClass != "context.Canceled" {
		t.Fatalf("got %s (%q), want network with a context class: %v", e.Kind, e.ExcClass, err)
	}
}

func TestGoogleVerifyNotConfigured(t *testing.T) {
	g := NewGoogle(GoogleConfig{}, Options{})
	_, err := g.Verify(context.Background(), "x.y.z")
	if e := asError(t, err); e.Kind != NotConfigured || e.Phase != PhaseConfigLookup {
		t.Fatalf("got %s/%s, want config_lookup/not_configured", e.Phase, e.Kind)
	}
}
