package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// Settings messages (CONTRACT #23) and the ones the fixes add.
const (
	msgSettingsUsername = "Settings not saved: Backend.Creators.Settings/update.validate_username — this username is already in use by another account."
	msgSettingsEmail    = "Settings not saved: Backend.Creators.Settings/update.validate_email — this email is already in use by another account."
	msgSettingsEmailUse = "Settings not saved: Backend.Creators.Settings/update.validate_email — the email address can only be changed through auth/change-email/ (identity code, then a code sent to the new address)."
	msgSettingsAPIBase  = "Settings not saved: Backend.Creators.Settings/update.validate_api_base_url — value must be a full http:// or https:// URL with a host."
	msgSettingsAppBad   = "Settings not saved: Backend.Creators.Settings/update.validate_app_settings — theme_preset, theme_mode and api_base_url inside app_settings must pass the same checks as the fields."
	msgSettingsAvatar   = "Settings not saved: Backend.Creators.Settings/update.validate_avatar — avatar uploads are not stored by notechondria-auth."
	msgDatetimeFormat   = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)

// handleSettingsPatch is PATCH settings/: a partial update with every
// field's validation and the app_settings merge.
func (s *Server) handleSettingsPatch(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	u, err := s.store.UserByID(ctx, authFrom(ctx).User.ID)
	if err != nil {
		return err
	}
	if v, ok := in.str("username", field{required: false, minLen: 3, maxLen: 150}); ok {
		if !app.UsernameChars(v) {
			in.fail("username", "This value does not match the required pattern.")
		} else if taken, err := s.store.UsernameInUse(ctx, v, u.ID); err != nil {
			return err
		} else if taken {
			in.fail("username", msgSettingsUsername)
		} else {
			u.Username = v
		}
	}
	for _, f := range []struct {
		name string
		max  int
		dst  *string
	}{{"first_name", 150, &u.FirstName}, {"last_name", 150, &u.LastName}, {"motto", 100, &u.Motto}} {
		if v, ok := in.str(f.name, field{allowBlank: true, maxLen: f.max}); ok {
			*f.dst = v
		}
	}
	if v, ok := in.email("email", field{allowBlank: true}); ok && v == "" && u.Email != "" {
		in.fail("email", msgSettingsEmailUse)
	} else if ok && !strings.EqualFold(v, u.Email) {
		if taken, err := s.store.EmailInUse(ctx, strings.ToLower(v), u.ID); err != nil {
			return err
		} else if taken {
			in.fail("email", msgSettingsEmail)
		} else {
			in.fail("email", msgSettingsEmailUse)
		}
	}
	if v, ok := in.str("social_link", field{allowBlank: true, maxLen: 255}); ok {
		if v != "" && !validURL(v) {
			in.fail("social_link", "Enter a valid URL.")
		} else {
			u.SocialLink = v
		}
	}
	// An uploaded file lands in r.MultipartForm.File, not in the decoded
	// fields: look there too, so an avatar upload is refused rather than
	// silently dropped.
	if in.has("avatar") || (r.MultipartForm != nil && len(r.MultipartForm.File["avatar"]) > 0) {
		in.fail("avatar", msgSettingsAvatar)
	}
	preset, hasPreset := in.str("theme_preset", field{maxLen: 32})
	mode, hasMode := in.choiceField("theme_mode", "S", "L", "D")
	base, hasBase := in.str("api_base_url", field{maxLen: 255})
	if hasBase && !validAPIBase(base) {
		in.fail("api_base_url", msgSettingsAPIBase)
		hasBase = false
	}
	if v, ok := in.choiceField("editor_mode", "G", "B", "P"); ok {
		u.EditorMode = v
	}
	updatedAt, hasUpdatedAt := in.datetime("app_settings_updated_at")
	if err := in.err(); err != nil {
		return err
	}

	if in.has("app_settings") || hasPreset || hasMode || hasBase {
		merged, err := mergeAppSettings(u, in.m["app_settings"], preset, hasPreset, mode, hasMode, base, hasBase)
		if err != nil {
			return err
		}
		u.AppSettingsJSON = merged
		stamp := s.now().UTC()
		if hasUpdatedAt {
			u.AppSettingsUpdatedAt = updatedAt
		} else {
			u.AppSettingsUpdatedAt = &stamp
		}
	} else if hasUpdatedAt {
		u.AppSettingsUpdatedAt = updatedAt
	}
	if err := s.store.UpdateUser(ctx, u); app.ErrorCode(err) == app.ECONFLICT {
		return app.FieldError("username", msgSettingsUsername)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsView(profileOf(u), r))
	return nil
}

// mergeAppSettings applies CONTRACT #23's merge: current payload, then the
// sent app_settings object, then the explicit fields; the three mirrored
// keys are validated (a fix) and copied back onto the columns. Returns the
// JSON to store, keys sorted.
func mergeAppSettings(u *app.User, sent any, preset string, hasPreset bool, mode string, hasMode bool, base string, hasBase bool) (string, error) {
	merged := map[string]any{}
	if err := json.Unmarshal(u.AppSettings(), &merged); err != nil {
		return "", app.Internal(err)
	}
	if obj, ok := sent.(map[string]any); ok {
		for k, v := range obj {
			merged[k] = v
		}
	}
	if hasPreset {
		merged["theme_preset"] = preset
	}
	if hasMode {
		merged["theme_mode"] = mode
	}
	if hasBase {
		merged["api_base_url"] = base
	}
	p, ok1 := merged["theme_preset"].(string)
	m, ok2 := merged["theme_mode"].(string)
	b, ok3 := merged["api_base_url"].(string)
	if !ok1 || !ok2 || !ok3 || strings.TrimSpace(p) == "" || len([]rune(p)) > 32 || (m != "S" && m != "L" && m != "D") ||
		!validAPIBase(b) || len([]rune(strings.TrimSpace(b))) > 255 {
		return "", app.FieldError("app_settings", msgSettingsAppBad)
	}
	u.ThemePreset, u.ThemeMode, u.APIBaseURL = p, m, strings.TrimSpace(b)
	merged["api_base_url"] = u.APIBaseURL
	out, err := json.Marshal(merged) // map keys are sorted, as sort_keys=True
	if err != nil {
		return "", app.Internal(err)
	}
	return string(out), nil
}

// choiceField reads a ChoiceField as DRF does and reports whether it was
// sent and valid: the value is matched as sent (no trimming; "" and " S "
// are not valid choices), numbers by their text, null is "This field may
// not be null.".
func (in *input) choiceField(name string, choices ...string) (string, bool) {
	raw, present := in.m[name]
	if !present {
		return "", false
	}
	var v string
	switch t := raw.(type) {
	case string:
		v = t
	case json.Number:
		v = string(t)
	case nil:
		in.fail(name, "This field may not be null.")
		return "", false
	default:
		b, _ := json.Marshal(t)
		v = string(b)
	}
	for _, c := range choices {
		if v == c {
			return v, true
		}
	}
	in.fail(name, `"`+v+`" is not a valid choice.`)
	return "", false
}

// datetime reads a nullable DateTimeField (ISO 8601; naive values are UTC).
func (in *input) datetime(name string) (*time.Time, bool) {
	v, present := in.m[name]
	if !present {
		return nil, false
	}
	if v == nil {
		return nil, true
	}
	s, ok := v.(string)
	if !ok {
		in.fail(name, msgDatetimeFormat)
		return nil, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999", "2006-01-02T15:04", "2006-01-02 15:04:05.999999Z07:00", "2006-01-02 15:04:05.999999"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			t = t.UTC()
			return &t, true
		}
	}
	in.fail(name, msgDatetimeFormat)
	return nil, false
}

// validAPIBase: an http or https URL with a host.
func validAPIBase(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// validURL approximates Django's URLValidator: http(s)/ftp(s) with a host.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ftp" || u.Scheme == "ftps") &&
		u.Host != "" && !strings.ContainsAny(s, " \t\n")
}

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

func settingsView(p *app.Profile, r *http.Request) settingsJSON {
	u := p.User
	return settingsJSON{
		Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
		profileJSON: profileView(u, r), APIKeyPrefix: u.APIKeyPrefix, APIBaseURL: u.APIBaseURL,
		AppSettings: p.AppSettings, AppSettingsUpdatedAt: isoTimePtr(u.AppSettingsUpdatedAt),
	}
}

// handleSettingsGet is GET settings/, from the core's profile cache (every
// write that changes the user, a key rotation included, drops it).
func (s *Server) handleSettingsGet(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	p, err := s.core.Profile(r.Context(), authFrom(r.Context()).User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsView(p, r))
	return nil
}
