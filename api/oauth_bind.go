package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// socialAccountJSON is the body of a successful bind (CONTRACT #21).
type socialAccountJSON struct {
	ID          int64  `json:"id"`
	Provider    string `json:"provider"`
	ProviderUID string `json:"provider_uid"`
	Email       string `json:"email"`
}

// handleOAuthBind serves POST auth/bind/google/ and auth/bind/github/
// (CONTRACT #21, #22): links the provider identity to the caller. 201 when
// a link was created, 200 when the caller's link to that provider was
// replaced; 409 when the identity belongs to another user; 400 for provider
// rejections; 502 when the provider cannot be reached; 503 when not
// configured. intent and invitation_code are validated but ignored.
func (s *Server) handleOAuthBind(provider string) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
		req, err := parseOAuthRequest(r, provider)
		if err != nil {
			return err
		}
		if !s.configured(provider) {
			return notConfiguredBind(provider)
		}
		id, err := s.identify(r.Context(), req)
		if err != nil {
			return s.bindOAuthError(r, err)
		}
		extra, err := extraJSON(id.Extra)
		if err != nil {
			return app.Internal(err)
		}
		a := &app.SocialAccount{UserID: authFrom(r.Context()).User.ID, Provider: id.Provider,
			ProviderUID: id.UID, Email: strings.ToLower(id.Email), ExtraData: extra, CreatedAt: s.now()}
		ev := s.audit(r).Add(a.UserID, app.EventOAuthLinked, map[string]any{"provider": id.Provider})
		created, err := s.store.BindSocialAccount(audited(r, ev), a)
		switch {
		case app.ErrorCode(err) == app.ECONFLICT:
			return app.Detail(app.ECONFLICT, bindMessage("aborted", provider, "db_write",
				"this "+provider+" account is already linked to another user."))
		case err != nil:
			// The contract names the failure in the detail even for a 500.
			s.log.Error().Err(err).Str("req_id", requestID(r)).Str("path", r.URL.Path).Msg("social account bind failed")
			writeJSON(w, http.StatusInternalServerError, map[string]string{"detail": bindMessage("failed", provider, "db_write",
				fmt.Sprintf("could not persist social account link (%s).", errClass(err)))})
			return nil
		}
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		writeJSON(w, status, socialAccountJSON{ID: a.ID, Provider: a.Provider, ProviderUID: a.ProviderUID, Email: a.Email})
		return nil
	}
}

// errClass names the innermost error's Go type (the original showed the
// Python exception class).
func errClass(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return fmt.Sprintf("%T", err)
		}
		err = next
	}
}
