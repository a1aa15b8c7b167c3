package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// GitHub's real endpoints, used for every GitHubConfig field left empty.
const (
	GitHubAuthURL  = "https://github.com/login/oauth/authorize"
	GitHubTokenURL = "https://github.com/login/oauth/access_token"
	GitHubAPIURL   = "https://api.github.com"
)

// GitHubConfig is the GitHub OAuth app registration and endpoints.
// RedirectURI is GITHUB_AUTHORIZED_REDIRECT_URI, the default for Exchange.
type GitHubConfig struct {
	ClientID, ClientSecret, RedirectURI string
	AuthURL, TokenURL, APIURL           string
}

// Configured reports whether both the client id and secret are set.
func (c GitHubConfig) Configured() bool { return c.ClientID != "" && c.ClientSecret != "" }

// WithDefaults returns c with GitHub's real endpoints in the empty fields.
func (c GitHubConfig) WithDefaults() GitHubConfig {
	c.AuthURL = firstNonEmpty(c.AuthURL, GitHubAuthURL)
	c.TokenURL = firstNonEmpty(c.TokenURL, GitHubTokenURL)
	c.APIURL = strings.TrimSuffix(firstNonEmpty(c.APIURL, GitHubAPIURL), "/")
	return c
}

// GitHub exchanges authorization codes for access tokens and reads the
// signed-in user's profile. It is safe for concurrent use.
type GitHub struct {
	cfg    GitHubConfig
	opts   Options
	client *http.Client
}

// NewGitHub builds a GitHub client; empty endpoint fields get GitHub's.
func NewGitHub(cfg GitHubConfig, opts Options) *GitHub {
	opts = opts.withDefaults()
	return &GitHub{cfg: cfg.WithDefaults(), opts: opts, client: opts.client(0)}
}

// Config returns the configuration in use, defaults filled in.
func (g *GitHub) Config() GitHubConfig { return g.cfg }

// Exchange trades an authorization code for an access token (CONTRACT #18
// step 1) by POSTing JSON to the token URL. redirectURI defaults to the
// configured one and is omitted when both are empty. Errors are *Error in
// phase token_exchange: NotConfigured; Network; Rejected for a non-200
// (Status, Reason = error_description or error); NoToken for a 200 without
// access_token, which is how GitHub answers a bad or used code (Reason =
// error_description or error, empty if GitHub gave neither).
func (g *GitHub) Exchange(ctx context.Context, code, redirectURI string) (accessToken string, err error) {
	if !g.cfg.Configured() {
		return "", notConfigured(ProviderGitHub)
	}
	ctx, cancel := context.WithTimeout(ctx, g.opts.ExchangeTimeout)
	defer cancel()
	// Marshalling a struct of strings cannot fail.
	payload, _ := json.Marshal(struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Code         string `json:"code"`
		RedirectURI  string `json:"redirect_uri,omitempty"`
	}{g.cfg.ClientID, g.cfg.ClientSecret, code, firstNonEmpty(redirectURI, g.cfg.RedirectURI)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.cfg.TokenURL, bytes.NewReader(payload))
	if err != nil {
		return "", netError(ProviderGitHub, PhaseTokenExchange, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return "", netError(ProviderGitHub, PhaseTokenExchange, err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken      string `json:"access_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	body, _ := io.ReadAll(resp.Body) // already buffered by the transport
	_ = json.Unmarshal(body, &out)   // a body we cannot read leaves out empty
	reason := sanitize(firstNonEmpty(out.ErrorDescription, out.Error))
	if resp.StatusCode != http.StatusOK {
		return "", &Error{Provider: ProviderGitHub, Phase: PhaseTokenExchange, Kind: Rejected,
			Status: resp.StatusCode, Reason: reason}
	}
	if out.AccessToken == "" {
		return "", &Error{Provider: ProviderGitHub, Phase: PhaseTokenExchange, Kind: NoToken, Reason: reason}
	}
	return out.AccessToken, nil
}

type githubUser struct {
	ID        int64  `json:"id"`
	Login     string `json:"login"`
	Name      string `json:"name"`
	Email     string `json:"email"`
	AvatarURL string `json:"avatar_url"`
	HTMLURL   string `json:"html_url"`
}

type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// Profile reads GET /user and GET /user/emails with the access token
// (CONTRACT #18 steps 2-4).
//
// Email choice: the profile's public email if set, else the first
// /user/emails entry that is primary and verified. EmailVerified is true only
// when the chosen address appears as verified in /user/emails: a public
// profile email is whatever the user typed and GitHub does not vouch for it
// there. If /user/emails fails (for example 403/404 when the user:email scope
// was not granted) the identity has no verified email; a network failure
// there is an error (phase email_fetch) only when the profile had no email,
// because then it would silently change which account the login resolves to.
//
// Errors are *Error: Network or Rejected (non-200, Status and GitHub's
// "message" as Reason; or a 200 without a usable profile) in phase
// profile_fetch; Network in phase email_fetch.
func (g *GitHub) Profile(ctx context.Context, accessToken string) (Identity, error) {
	var u githubUser
	if e := g.getJSON(ctx, PhaseProfileFetch, "/user", accessToken, &u); e != nil {
		return Identity{}, e
	}
	if u.ID <= 0 {
		return Identity{}, &Error{Provider: ProviderGitHub, Phase: PhaseProfileFetch, Kind: Rejected,
			Status: http.StatusOK, Reason: "profile has no id"}
	}
	var emails []githubEmail
	if e := g.getJSON(ctx, PhaseEmailFetch, "/user/emails", accessToken, &emails); e != nil {
		if e.Kind == Network && u.Email == "" {
			return Identity{}, e
		}
		emails = nil
	}
	email, verified := pickEmail(u.Email, emails)

	uid := strconv.FormatInt(u.ID, 10)
	username := firstNonEmpty(u.Login, "github_"+uid)
	return Identity{
		Provider:      ProviderGitHub,
		UID:           uid,
		Email:         email,
		EmailVerified: verified,
		Username:      username,
		DisplayName:   firstNonEmpty(u.Name, username),
		Extra:         map[string]any{"login": u.Login, "avatar_url": u.AvatarURL, "html_url": u.HTMLURL},
	}, nil
}

// pickEmail applies the rule documented on Profile.
func pickEmail(profile string, emails []githubEmail) (email string, verified bool) {
	if profile != "" {
		for _, e := range emails {
			if e.Verified && strings.EqualFold(e.Email, profile) {
				return profile, true
			}
		}
		return profile, false
	}
	for _, e := range emails {
		if e.Primary && e.Verified && e.Email != "" {
			return e.Email, true
		}
	}
	return "", false
}

// getJSON GETs an API path with the token and decodes a 200 body into v.
func (g *GitHub) getJSON(ctx context.Context, phase, path, token string, v any) *Error {
	ctx, cancel := context.WithTimeout(ctx, g.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.cfg.APIURL+path, nil)
	if err != nil {
		return netError(ProviderGitHub, phase, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	resp, err := g.client.Do(req)
	if err != nil {
		return netError(ProviderGitHub, phase, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body) // already buffered by the transport
	if resp.StatusCode != http.StatusOK {
		var m struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &m)
		return &Error{Provider: ProviderGitHub, Phase: phase, Kind: Rejected,
			Status: resp.StatusCode, Reason: sanitize(m.Message)}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{Provider: ProviderGitHub, Phase: phase, Kind: Rejected,
			Status: resp.StatusCode, Reason: "malformed response"}
	}
	return nil
}
