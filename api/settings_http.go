package api

import (
	"notechondria-auth/app"

	"encoding/json"
	"net/http"

	"github.com/julienschmidt/httprouter"
)

// settingsJSON is GET/PATCH settings/ (CONTRACT #23).
type settingsJSON struct {
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	profileJSON
	APIKeyPrefix         string          `json:"api_key_prefix"`
	APIBaseURL           string          `json:"api_base_url"`
	AppSettings          json.RawMessage `json:"app_settings"`
	AppSettingsUpdatedAt *string         `json:"app_settings_updated_at"`
}

func settingsView(u *app.User, r *http.Request) settingsJSON {
	return settingsJSON{
		Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
		profileJSON: profileView(u, r), APIKeyPrefix: u.APIKeyPrefix, APIBaseURL: u.APIBaseURL,
		AppSettings: appSettings(u), AppSettingsUpdatedAt: isoTimePtr(u.AppSettingsUpdatedAt),
	}
}

// handleSettingsGet is GET settings/. It reads the user afresh (the cache
// snapshot may predate a rotation of the API key).
func (s *Server) handleSettingsGet(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	u, err := s.store.UserByID(r.Context(), authFrom(r.Context()).User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsView(u, r))
	return nil
}
