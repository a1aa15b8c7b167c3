package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Google's real endpoints, used for every GoogleConfig field left empty.
const (
	GoogleAuthURL  = "https://accounts.google.com/o/oauth2/v2/auth"
	GoogleTokenURL = "https://oauth2.googleapis.com/token"
	GoogleIssuer   = "https://accounts.google.com"
	GoogleJWKSURL  = "https://www.googleapis.com/oauth2/v3/certs"
)

// GoogleConfig is the Google OAuth client registration and endpoints.
// RedirectURI is GOOGLE_AUTHORIZED_REDIRECT_URI, the default for Exchange.
type GoogleConfig struct {
	ClientID, ClientSecret, RedirectURI string
	AuthURL, TokenURL, Issuer, JWKSURL  string
}

// Configured reports whether both the client id and secret are set.
func (c GoogleConfig) Configured() bool { return c.ClientID != "" && c.ClientSecret != "" }

// WithDefaults returns c with Google's real endpoints in the empty fields.
func (c GoogleConfig) WithDefaults() GoogleConfig {
	c.AuthURL = firstNonEmpty(c.AuthURL, GoogleAuthURL)
	c.TokenURL = firstNonEmpty(c.TokenURL, GoogleTokenURL)
	c.Issuer = firstNonEmpty(c.Issuer, GoogleIssuer)
	c.JWKSURL = firstNonEmpty(c.JWKSURL, GoogleJWKSURL)
	return c
}

// Google exchanges authorization codes for ID tokens and verifies ID tokens
// locally against Google's published keys. It is safe for concurrent use
// and should live as long as the server, so the signing keys stay cached.
type Google struct {
	cfg      GoogleConfig
	opts     Options
	client   *http.Client
	verifier *oidc.IDTokenVerifier
}

// NewGoogle builds a Google client; empty endpoint fields get Google's.
func NewGoogle(cfg GoogleConfig, opts Options) *Google {
	cfg = cfg.WithDefaults()
	opts = opts.withDefaults()
	// The key set fetches in the background with the client carried by this
	// context, so that client needs its own timeout.
	keys := oidc.NewRemoteKeySet(
		oidc.ClientContext(context.Background(), opts.client(opts.RequestTimeout)), cfg.JWKSURL)
	// go-oidc reports issuer and audience failures as plain strings; we check
	// both ourselves after it has verified the signature and expiry, so the
	// handlers can tell "audience mismatch" from "invalid token".
	verifier := oidc.NewVerifier(cfg.Issuer, recordingKeySet{keys}, &oidc.Config{
		SkipClientIDCheck:    true,
		SkipIssuerCheck:      true,
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  opts.Now,
	})
	return &Google{cfg: cfg, opts: opts, client: opts.client(0), verifier: verifier}
}

// Config returns the configuration in use, defaults filled in.
func (g *Google) Config() GoogleConfig { return g.cfg }

// Exchange trades an authorization code for Google's id_token (CONTRACT #17
// step 1). redirectURI defaults to the configured one. Errors are *Error in
// phase token_exchange: NotConfigured, Network, Rejected (non-2xx, with
// Status and error_description/error as Reason) or NoToken.
func (g *Google) Exchange(ctx context.Context, code, redirectURI string) (idToken string, err error) {
	if !g.cfg.Configured() {
		return "", notConfigured(ProviderGoogle)
	}
	ctx, cancel := context.WithTimeout(ctx, g.opts.ExchangeTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, g.client)
	conf := oauth2.Config{
		ClientID:     g.cfg.ClientID,
		ClientSecret: g.cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   g.cfg.AuthURL,
			TokenURL:  g.cfg.TokenURL,
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: firstNonEmpty(redirectURI, g.cfg.RedirectURI),
	}
	tok, err := conf.Exchange(ctx, code)
	if err != nil {
		return "", exchangeError(ProviderGoogle, err)
	}
	idToken, _ = tok.Extra("id_token").(string)
	if idToken == "" {
		return "", &Error{Provider: ProviderGoogle, Phase: PhaseTokenExchange, Kind: NoToken,
			Reason: "no id_token in token response"}
	}
	return idToken, nil
}

// exchangeError classifies an error from oauth2.Config.Exchange. The
// RetrieveError itself is not kept as Cause: its text includes the body.
func exchangeError(provider string, err error) *Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		reason := sanitize(firstNonEmpty(re.ErrorDescription, re.ErrorCode))
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		if status >= 200 && status < 300 {
			// 200 with {"error": ...}: no token came back.
			return &Error{Provider: provider, Phase: PhaseTokenExchange, Kind: NoToken, Reason: reason}
		}
		return &Error{Provider: provider, Phase: PhaseTokenExchange, Kind: Rejected,
			Status: status, Reason: reason}
	}
	if isNetwork(err) {
		return netError(provider, PhaseTokenExchange, err)
	}
	// 200 with an unparsable body or without access_token.
	return &Error{Provider: provider, Phase: PhaseTokenExchange, Kind: NoToken,
		Reason: "malformed token response"}
}

// Verify checks an ID token's RS256 signature against Google's keys, its
// expiry (with the injected clock), its issuer (the configured one, also
// without "https://", as Google issues both) and that its audience contains
// the client id, then returns the identity it asserts. Errors are *Error in
// phase token_verify: NotConfigured, Network (keys unreachable),
// AudienceMismatch or InvalidToken.
func (g *Google) Verify(ctx context.Context, idToken string) (Identity, error) {
	if g.cfg.ClientID == "" {
		return Identity{}, notConfigured(ProviderGoogle)
	}
	// A request that is already over is a network failure, whatever the
	// key set's cache holds: without this check the answer depended on
	// whether go-oidc's background key fetch won a race with ctx.Done().
	if err := ctx.Err(); err != nil {
		return Identity{}, netError(ProviderGoogle, PhaseTokenVerify, err)
	}
	ctx, cancel := context.WithTimeout(ctx, g.opts.RequestTimeout)
	defer cancel()
	var fetchErr error
	ctx = context.WithValue(ctx, fetchErrKey{}, &fetchErr)
	tok, err := g.verifier.Verify(ctx, idToken)
	if err != nil {
		if fetchErr != nil && isNetwork(fetchErr) {
			return Identity{}, netError(ProviderGoogle, PhaseTokenVerify, fetchErr)
		}
		reason := "id_token signature or format is invalid"
		if _, ok := errors.AsType[*oidc.TokenExpiredError](err); ok {
			reason = "id_token has expired"
		}
		return Identity{}, invalidToken(reason, err)
	}
	if tok.Issuer != g.cfg.Issuer && tok.Issuer != strings.TrimPrefix(g.cfg.Issuer, "https://") {
		return Identity{}, invalidToken("id_token issuer is not accepted", nil)
	}
	if !slices.Contains(tok.Audience, g.cfg.ClientID) {
		return Identity{}, &Error{Provider: ProviderGoogle, Phase: PhaseTokenVerify,
			Kind: AudienceMismatch, Reason: "id_token audience does not match client id"}
	}
	var c googleClaims
	if err := tok.Claims(&c); err != nil || tok.Subject == "" {
		return Identity{}, invalidToken("id_token claims are unusable", nil)
	}
	return c.identity(tok.Subject), nil
}

func invalidToken(reason string, cause error) *Error {
	return &Error{Provider: ProviderGoogle, Phase: PhaseTokenVerify, Kind: InvalidToken,
		Reason: reason, Cause: cause}
}

type googleClaims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	Name          string   `json:"name"`
	Picture       *string  `json:"picture"`
	Locale        *string  `json:"locale"`
}

// identity maps claims as the original did (CONTRACT #17 step 4).
func (c googleClaims) identity(sub string) Identity {
	username, _, _ := strings.Cut(c.Email, "@")
	if username == "" {
		username = "google_" + sub
	}
	return Identity{
		Provider:      ProviderGoogle,
		UID:           sub,
		Email:         c.Email,
		EmailVerified: bool(c.EmailVerified),
		Username:      username,
		DisplayName:   c.Name,
		Extra:         map[string]any{"picture": optString(c.Picture), "locale": optString(c.Locale)},
	}
}

// optString keeps an absent claim as JSON null, as the original's
// payload.get() did.
func optString(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

// flexBool accepts true and "true" (Google has sent both); anything else,
// including an unexpected type, is false.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil
	}
	switch v := v.(type) {
	case bool:
		*b = flexBool(v)
	case string:
		*b = flexBool(strings.EqualFold(v, "true"))
	}
	return nil
}

// fetchErrKey carries, through go-oidc's Verify, a slot where
// recordingKeySet stores the key set's own error. go-oidc flattens that error
// to text, and we need its type to tell "Google unreachable" from "bad
// signature".
type fetchErrKey struct{}

type recordingKeySet struct{ next oidc.KeySet }

func (r recordingKeySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := r.next.VerifySignature(ctx, jwt)
	if err != nil {
		if slot, ok := ctx.Value(fetchErrKey{}).(*error); ok {
			*slot = err
		}
	}
	return payload, err
}
