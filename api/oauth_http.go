package api

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/oauth"
)

// oauthRoutes registers the OAuth endpoints (CONTRACT #16-#22) and the
// provider callback pages.
func (s *Server) oauthRoutes(rt *httprouter.Router, api func(method, path string, mode authMode, h apiHandler)) {
	api("GET", "auth/oauth-config/", authOptional, s.handleOAuthConfig)
	api("GET", "auth/social-accounts/", authRequired, s.handleSocialAccounts)
	api("DELETE", "auth/social-accounts/:provider/", authRequired, s.handleSocialUnlink)
	for _, p := range []string{oauth.ProviderGoogle, oauth.ProviderGitHub} {
		provider := p
		api("POST", "auth/"+provider+"/", authOptional, s.handleOAuthSignIn(provider))
		api("POST", "auth/bind/"+provider+"/", authRequired, s.handleOAuthBind(provider))
		rt.HandlerFunc("GET", "/auth/"+provider+"/callback", func(w http.ResponseWriter, r *http.Request) {
			setRoute(w, "/auth/"+provider+"/callback")
			status, page := oauth.CallbackPage(providerTitle(provider), r.URL.Query(), s.cfg.FrontendOrigin)
			h := w.Header()
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(status)
			w.Write(page)
		})
	}
}

// handleOAuthConfig is GET auth/oauth-config/ (CONTRACT #16): unset values
// are empty strings.
func (s *Server) handleOAuthConfig(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	type provider struct {
		ClientID    string `json:"client_id"`
		RedirectURI string `json:"redirect_uri"`
	}
	writeJSON(w, http.StatusOK, map[string]provider{
		"google": {s.cfg.Google.ClientID, s.cfg.Google.RedirectURI},
		"github": {s.cfg.GitHub.ClientID, s.cfg.GitHub.RedirectURI},
	})
	return nil
}
