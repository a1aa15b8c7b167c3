package api

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// socialAccountListJSON is one row of GET auth/social-accounts/.
type socialAccountListJSON struct {
	ID          int64  `json:"id"`
	Provider    string `json:"provider"`
	ProviderUID string `json:"provider_uid"`
	Email       string `json:"email"`
	CreatedAt   string `json:"created_at"`
}

// handleSocialAccounts is GET auth/social-accounts/ (CONTRACT #19): a bare
// list, oldest link first, created_at rendered by DRF's encoder (ends in Z).
func (s *Server) handleSocialAccounts(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	rows, err := s.store.SocialAccountsByUser(r.Context(), authFrom(r.Context()).User.ID)
	if err != nil {
		return err
	}
	out := make([]socialAccountListJSON, 0, len(rows))
	for _, a := range rows {
		out = append(out, socialAccountListJSON{ID: a.ID, Provider: a.Provider, ProviderUID: a.ProviderUID,
			Email: a.Email, CreatedAt: drfTime(a.CreatedAt)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleSocialUnlink is DELETE auth/social-accounts/<provider>/ (CONTRACT
// #20): removes every link of the caller to provider, 204; 404 when there is
// none. Unlike the original it refuses (400, from the store, in the same
// transaction) to remove the last sign-in method of an account without a
// usable password.
func (s *Server) handleSocialUnlink(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
	provider := p.ByName("provider")
	userID := authFrom(r.Context()).User.ID
	ev := s.audit(r).Add(userID, app.EventOAuthUnlinked, map[string]any{"provider": provider})
	n, err := s.store.DeleteSocialAccounts(audited(r, ev), userID, provider)
	if err != nil {
		return err
	}
	if n == 0 {
		return app.Detail(app.ENOTFOUND, "No "+provider+" account linked.")
	}
	noContent(w)
	return nil
}
