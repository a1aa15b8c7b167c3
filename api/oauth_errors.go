package api

import (
	"errors"
	"fmt"
	"net/http"

	"notechondria-auth/app"
	"notechondria-auth/oauth"
)

// Messages of the public sign-in endpoints (CONTRACT #17, #18). The 502 and
// 503 ones are ours: the original let network errors become a 500 and had
// no "not configured" answer (docs/OAUTH.md, Differences).
const (
	msgGoogleNeedsCode      = "OAuth request rejected: Backend.Creators.Auth/oauth.google.validate — payload must include either 'code' (authorization code) or 'id_token'."
	msgGoogleExchangeFailed = "Failed to exchange Google authorization code."
	msgGoogleNoIDToken      = "No ID token received from Google."
	msgGoogleVerifyFailed   = "Google ID token verification failed."
	msgGoogleAudience       = "ID token audience mismatch."
	msgGitHubExchangeFailed = "Failed to exchange GitHub authorization code."
	msgGitHubProfileFailed  = "Failed to fetch GitHub user profile."
	msgGoogleNotRegistered  = "No account found for this Google identity. Please register first."
	msgGitHubNotRegistered  = "No account found for this GitHub identity. Please register first."
)

// providerTitle is how messages name a provider.
func providerTitle(provider string) string {
	if provider == oauth.ProviderGitHub {
		return "GitHub"
	}
	return "Google"
}

// configVars names the settings a provider needs, as the bind messages do.
func configVars(provider string) string {
	if provider == oauth.ProviderGitHub {
		return "GITHUB_APP_CLIENT_ID/SECRET"
	}
	return "GOOGLE_OAUTH_CLIENT_ID/SECRET"
}

// unreachable describes which provider endpoint could not be reached.
func unreachable(provider, phase string) string {
	switch phase {
	case oauth.PhaseTokenExchange:
		return "could not reach " + providerTitle(provider) + " token endpoint"
	case oauth.PhaseTokenVerify:
		return "could not reach Google signing keys endpoint"
	case oauth.PhaseProfileFetch:
		return "could not reach GitHub /user"
	case oauth.PhaseEmailFetch:
		return "could not reach GitHub /user/emails"
	}
	return "could not reach " + providerTitle(provider)
}

// orUnknown is s, or "unknown" when the provider gave no reason.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// asOAuthError returns the *oauth.Error in err's chain, or nil.
func asOAuthError(err error) *oauth.Error {
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return oe
	}
	return nil
}

// notConfiguredPublic is the 503 of the public endpoints.
func notConfiguredPublic(provider string) *app.Error {
	return app.Detail(app.EUNAVAILABLE, fmt.Sprintf("Sign-in unavailable: Backend.Creators.Auth/oauth.%s.%s — server is missing %s configuration.",
		provider, oauth.PhaseConfigLookup, configVars(provider)))
}

// publicOAuthError maps a provider failure on auth/google/ or auth/github/
// to the contract's answer (CONTRACT #17, #18); network failures are 502.
func (s *Server) publicOAuthError(r *http.Request, err error) error {
	oe := asOAuthError(err)
	if oe == nil {
		return err
	}
	s.logProviderError(r, oe)
	p := oe.Provider
	switch oe.Kind {
	case oauth.NotConfigured:
		return notConfiguredPublic(p)
	case oauth.Network:
		return app.Detail(app.EBADGATEWAY, fmt.Sprintf("Sign-in failed: Backend.Creators.Auth/oauth.%s.%s — %s (%s).",
			p, oe.Phase, unreachable(p, oe.Phase), oe.ExcClass))
	}
	if p == oauth.ProviderGoogle {
		switch oe.Kind {
		case oauth.Rejected:
			return app.Detail(app.EINVALID, firstOf(oe.Reason, msgGoogleExchangeFailed))
		case oauth.NoToken:
			return app.Detail(app.EINVALID, msgGoogleNoIDToken)
		case oauth.AudienceMismatch:
			return app.Detail(app.EINVALID, msgGoogleAudience)
		case oauth.InvalidToken:
			return app.Detail(app.EINVALID, msgGoogleVerifyFailed)
		}
		return app.Internal(err)
	}
	switch {
	case oe.Phase == oauth.PhaseTokenExchange && oe.Kind == oauth.Rejected:
		return app.Detail(app.EINVALID, firstOf(oe.Reason, msgGitHubExchangeFailed))
	case oe.Phase == oauth.PhaseTokenExchange && oe.Kind == oauth.NoToken:
		return app.Detail(app.EINVALID, "GitHub OAuth error: "+orUnknown(oe.Reason))
	case oe.Kind == oauth.Rejected:
		return app.Detail(app.EINVALID, msgGitHubProfileFailed)
	}
	return app.Internal(err)
}

// bindMessage builds "Account linking <verb>: Backend.Creators.Auth/bind.<provider>.<phase> — <cause>".
// "failed" is used for our own or the network's failures (500, 502),
// "aborted" for refusals (400, 409, 503).
func bindMessage(verb, provider, phase, cause string) string {
	return fmt.Sprintf("Account linking %s: Backend.Creators.Auth/bind.%s.%s — %s", verb, provider, phase, cause)
}

// notConfiguredBind is the 503 of the bind endpoints.
func notConfiguredBind(provider string) *app.Error {
	return app.Detail(app.EUNAVAILABLE, bindMessage("aborted", provider, oauth.PhaseConfigLookup,
		"server is missing "+configVars(provider)+" configuration."))
}

// bindOAuthError maps a provider failure on auth/bind/<provider>/ to the
// contract's table (CONTRACT #21, #22).
func (s *Server) bindOAuthError(r *http.Request, err error) error {
	oe := asOAuthError(err)
	if oe == nil {
		return err
	}
	s.logProviderError(r, oe)
	p, phase := oe.Provider, oe.Phase
	refuse := func(cause string) error { return app.Detail(app.EINVALID, bindMessage("aborted", p, phase, cause)) }
	switch oe.Kind {
	case oauth.NotConfigured:
		return notConfiguredBind(p)
	case oauth.Network:
		return app.Detail(app.EBADGATEWAY, bindMessage("failed", p, phase,
			fmt.Sprintf("%s (%s).", unreachable(p, phase), oe.ExcClass)))
	}
	if p == oauth.ProviderGoogle {
		switch oe.Kind {
		case oauth.Rejected:
			return refuse(fmt.Sprintf("Google rejected authorization code (HTTP %d: %s).", oe.Status, orUnknown(oe.Reason)))
		case oauth.NoToken:
			return refuse("no id_token returned by Google (authorization code may have been consumed already).")
		case oauth.InvalidToken:
			// The original asked Google's tokeninfo, which answers 400 for
			// the tokens we reject locally (bad signature, expired, wrong
			// issuer); the message keeps its wording.
			return refuse("Google tokeninfo rejected id_token (HTTP 400).")
		case oauth.AudienceMismatch:
			return refuse("id_token audience does not match this server's configured client_id.")
		}
		return app.Internal(err)
	}
	switch {
	case phase == oauth.PhaseTokenExchange && oe.Kind == oauth.Rejected:
		return refuse(fmt.Sprintf("GitHub rejected authorization code (HTTP %d: %s).", oe.Status, orUnknown(oe.Reason)))
	case phase == oauth.PhaseTokenExchange && oe.Kind == oauth.NoToken:
		return refuse(fmt.Sprintf("GitHub returned no access_token (reason: %s).", orUnknown(oe.Reason)))
	case oe.Kind == oauth.Rejected:
		return refuse(fmt.Sprintf("GitHub /user returned HTTP %d for the issued access_token.", oe.Status))
	}
	return app.Internal(err)
}

// logProviderError records a provider failure. oauth.Error's text never
// carries a token, code, secret or response body.
func (s *Server) logProviderError(r *http.Request, oe *oauth.Error) {
	ev := s.log.Info()
	if oe.Kind == oauth.Network || oe.Kind == oauth.NotConfigured {
		ev = s.log.Warn()
	}
	ev.Str("req_id", requestID(r)).Str("provider", oe.Provider).Str("phase", oe.Phase).
		Str("kind", oe.Kind.String()).Str("error", oe.Error()).Msg("oauth provider call failed")
}

// firstOf returns the first non-empty argument.
func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
