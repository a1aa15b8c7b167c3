package api

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/oauth"
)

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

// handleOAuthCallback is GET /auth/<provider>/callback: the page the
// provider redirects to, which forwards code and state to the front end.
func (s *Server) handleOAuthCallback(provider string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, page := oauth.CallbackPage(providerTitle(provider), r.URL.Query(), s.cfg.FrontendOrigin)
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		// The page runs one inline script (the redirect); nothing may frame it.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		w.WriteHeader(status)
		w.Write(page)
	}
}
