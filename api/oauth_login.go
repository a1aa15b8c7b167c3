package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/oauth"
)

// OAuth intents (CONTRACT #17, #18).
const (
	intentLogin    = "login"
	intentRegister = "register"
	intentBind     = "bind"
)

// oauthRequest is the validated body of auth/<provider>/ and
// auth/bind/<provider>/ (one serializer per provider in the original).
type oauthRequest struct {
	provider    string
	code        string
	idToken     string // Google only
	redirectURI string // "" for the configured one
	invitation  string
	intent      string
}

// parseOAuthRequest decodes and validates the body with the provider's
// serializer rules: Google needs code or id_token (both may be blank, but
// not both), GitHub a non-blank code; intent is a choice defaulting to
// register.
func parseOAuthRequest(r *http.Request, provider string) (*oauthRequest, error) {
	in, err := decodeBody(r)
	if err != nil {
		return nil, err
	}
	req := &oauthRequest{provider: provider}
	if provider == oauth.ProviderGoogle {
		req.code, _ = in.str("code", field{allowBlank: true})
		req.idToken, _ = in.str("id_token", field{allowBlank: true})
	} else {
		req.code, _ = in.str("code", field{required: true})
	}
	req.redirectURI, _ = in.str("redirect_uri", field{allowBlank: true})
	req.invitation, _ = in.str("invitation_code", field{allowBlank: true})
	req.intent = in.choice("intent", intentRegister, intentLogin, intentRegister, intentBind)
	if err := in.err(); err != nil {
		return nil, err
	}
	if provider == oauth.ProviderGoogle && req.code == "" && req.idToken == "" {
		return nil, app.NonFieldError(msgGoogleNeedsCode)
	}
	return req, nil
}

// choice reads a DRF ChoiceField: absent gives def; anything that is not
// one of choices is `"x" is not a valid choice.`.
func (in *input) choice(name, def string, choices ...string) string {
	v, present := in.m[name]
	if !present {
		return def
	}
	var s string
	switch t := v.(type) {
	case nil:
		in.fail(name, "This field may not be null.")
		return def
	case string:
		s = t
	case json.Number:
		s = string(t)
	case bool:
		s = "False"
		if t {
			s = "True"
		}
	default:
		s = fmt.Sprint(t)
	}
	for _, c := range choices {
		if s == c {
			return s
		}
	}
	in.fail(name, `"`+s+`" is not a valid choice.`)
	return def
}

// identify runs the provider calls for req: Google exchanges the code (if
// any) for an id_token and verifies it; GitHub exchanges the code for an
// access token and reads the profile. Errors are *oauth.Error.
func (s *Server) identify(ctx context.Context, req *oauthRequest) (oauth.Identity, error) {
	if req.provider == oauth.ProviderGitHub {
		token, err := s.github.Exchange(ctx, req.code, req.redirectURI)
		if err != nil {
			return oauth.Identity{}, err
		}
		return s.github.Profile(ctx, token)
	}
	idToken := req.idToken
	if req.code != "" {
		var err error
		if idToken, err = s.google.Exchange(ctx, req.code, req.redirectURI); err != nil {
			return oauth.Identity{}, err
		}
	}
	return s.google.Verify(ctx, idToken)
}

// configured reports whether the provider's client id and secret are set.
func (s *Server) configured(provider string) bool {
	if provider == oauth.ProviderGitHub {
		return s.github.Config().Configured()
	}
	return s.google.Config().Configured()
}

// handleOAuthSignIn serves POST auth/google/ and auth/github/ (CONTRACT
// #17, #18): 200 + auth payload, 404 not_registered for an unknown identity
// with intent login, 400 for provider rejections and the invitation gate,
// 502 when the provider cannot be reached, 503 when not configured.
func (s *Server) handleOAuthSignIn(provider string) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
		req, err := parseOAuthRequest(r, provider)
		if err != nil {
			return err
		}
		// The guard runs before any network call.
		if req.intent == intentBind {
			return app.Detail(app.EINVALID, "Account binding requires authentication. Use /api/v1/auth/bind/"+provider+"/.")
		}
		if !s.configured(provider) {
			return notConfiguredPublic(provider)
		}
		id, err := s.identify(r.Context(), req)
		if err != nil {
			return s.publicOAuthError(r, err)
		}
		login, err := s.socialLogin(req, id)
		if err != nil {
			return err
		}
		login.APIBaseURL = s.apiBaseURL(r)
		// The audit records a link made by the verified address (the store
		// adds oauth.linked when it links an existing account).
		u, err := s.store.ResolveSocialLogin(audited(r, s.audit(r)), login)
		if app.ErrorCode(err) == app.ENOTFOUND {
			msg := msgGoogleNotRegistered
			if provider == oauth.ProviderGitHub {
				msg = msgGitHubNotRegistered
			}
			return &app.Error{Code: app.ENOTFOUND, Message: msg, Extra: map[string]any{"code": "not_registered"}}
		} else if err != nil {
			return err
		}
		if !u.IsActive {
			return app.Detail(app.EFORBIDDEN, app.MsgUserDisabled)
		}
		p, err := s.mintSession(r, u, app.MethodOAuth)
		if err != nil {
			return err
		}
		writeSecret(w, http.StatusOK, p)
		return nil
	}
}

// socialLogin turns a verified identity into the store's request.
func (s *Server) socialLogin(req *oauthRequest, id oauth.Identity) (*app.SocialLogin, error) {
	extra, err := extraJSON(id.Extra)
	if err != nil {
		return nil, app.Internal(err)
	}
	unusable, err := app.UnusablePassword(s.rand)
	if err != nil {
		return nil, app.Internal(err)
	}
	first, last := splitDisplayName(id.DisplayName)
	login := &app.SocialLogin{
		Provider:         id.Provider,
		UID:              id.UID,
		Email:            strings.ToLower(id.Email),
		EmailVerified:    id.EmailVerified,
		Username:         id.Username,
		FirstName:        first,
		LastName:         last,
		ExtraData:        extra,
		Register:         req.intent == intentRegister,
		UnusablePassword: unusable,
		Now:              s.now(),
	}
	if req.invitation != "" {
		login.InvitationHash = app.CodeHash(req.invitation)
	}
	return login, nil
}

// extraJSON renders a provider's extra data as the stored JSON object.
func extraJSON(m map[string]any) (string, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// splitDisplayName gives first_name (the first word, at most 30 characters)
// and last_name (the other words, at most 150), as the original did.
func splitDisplayName(name string) (first, last string) {
	words := strings.Fields(name)
	if len(words) == 0 {
		return "", ""
	}
	return app.TruncateRunes(words[0], 30), app.TruncateRunes(strings.Join(words[1:], " "), 150)
}
