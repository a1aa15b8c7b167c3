package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"notechondria-auth/app"
)

// sessionJSON is the "session" object of the auth payload.
type sessionJSON struct {
	ID          int64  `json:"id"`
	DeviceLabel string `json:"device_label"`
	CreatedAt   string `json:"created_at"`
	LastSeenAt  string `json:"last_seen_at"`
}

// userJSON is the "user" object of the auth payload (CONTRACT 1.2).
type userJSON struct {
	ID          int64  `json:"id"`
	Email       string `json:"email"`
	Username    string `json:"username"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	DisplayName string `json:"display_name"`
	profileJSON
	APIBaseURL           string          `json:"api_base_url"`
	AppSettings          json.RawMessage `json:"app_settings"`
	AppSettingsUpdatedAt *string         `json:"app_settings_updated_at"`
}

// authPayload is what login, verify-email and OAuth return.
type authPayload struct {
	Token              string      `json:"token"`
	Session            sessionJSON `json:"session"`
	MultiDevice        bool        `json:"multi_device"`
	OtherSessionsCount int         `json:"other_sessions_count"`
	User               userJSON    `json:"user"`
}

// profileJSON is the run of profile fields that the auth payload's user
// and settings/ share, in the same order.
type profileJSON struct {
	IsStaff     bool   `json:"is_staff"`
	IsSuperuser bool   `json:"is_superuser"`
	Motto       string `json:"motto"`
	SocialLink  string `json:"social_link"`
	ImageURL    string `json:"image_url"`
	EditorMode  string `json:"editor_mode"`
	ThemePreset string `json:"theme_preset"`
	ThemeMode   string `json:"theme_mode"`
}

func profileView(u *app.User, r *http.Request) profileJSON {
	return profileJSON{IsStaff: u.IsStaff, IsSuperuser: u.IsSuperuser, Motto: u.Motto,
		SocialLink: u.SocialLink, ImageURL: imageURL(u.ImageURL, r), EditorMode: u.EditorMode,
		ThemePreset: u.ThemePreset, ThemeMode: u.ThemeMode}
}

func sessionView(s *app.Session, lastSeen time.Time) sessionJSON {
	return sessionJSON{ID: s.ID, DeviceLabel: s.DeviceLabel, CreatedAt: isoTime(s.CreatedAt), LastSeenAt: isoTime(lastSeen)}
}

func userView(u *app.User, r *http.Request) userJSON {
	return userJSON{
		ID: u.ID, Email: u.Email, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
		DisplayName: u.DisplayName(), profileJSON: profileView(u, r),
		APIBaseURL: u.APIBaseURL, AppSettings: appSettings(u),
		AppSettingsUpdatedAt: isoTimePtr(u.AppSettingsUpdatedAt),
	}
}

// apiBaseURL is the api_base_url of an account created by r: --public-url
// + "/api/v1", or the address the request reached (forwarded by a trusted
// proxy, or its Host) when that is not set.
func (s *Server) apiBaseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/") + "/api/v1"
	}
	return s.requestOrigin(r) + "/api/v1"
}

// requestOrigin is scheme://host of the request as the client sent it:
// X-Forwarded-Proto and X-Forwarded-Host when a trusted proxy set them.
func (s *Server) requestOrigin(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if s.fromTrustedProxy(r) {
		if v := r.Header.Get("X-Forwarded-Proto"); v == "http" || v == "https" {
			scheme = v
		}
		if v := r.Header.Get("X-Forwarded-Host"); v != "" && !strings.ContainsAny(v, "/ ,") {
			host = v
		}
	}
	return scheme + "://" + host
}

// imageURL makes a stored media path absolute from the forwarded (or
// request) scheme and host, as the original did.
func imageURL(stored string, r *http.Request) string {
	if stored == "" || strings.HasPrefix(stored, "http://") || strings.HasPrefix(stored, "https://") {
		return stored
	}
	scheme := r.Header.Get("X-Forwarded-Proto")
	if scheme == "" {
		scheme = "http"
		if r.TLS != nil {
			scheme = "https"
		}
	}
	host := r.Header.Get("X-Forwarded-Host")
	if host == "" {
		host = r.Host
	}
	if !strings.HasPrefix(stored, "/") {
		stored = "/" + stored
	}
	return scheme + "://" + host + stored
}

// appSettings builds {theme_preset, theme_mode, api_base_url} from the
// columns and merges the stored JSON object's keys on top, keeping key order
// (base keys first, then new keys in stored order).
func appSettings(u *app.User) json.RawMessage {
	o := newOrderedObject()
	o.set("theme_preset", mustJSON(u.ThemePreset))
	o.set("theme_mode", mustJSON(u.ThemeMode))
	o.set("api_base_url", mustJSON(u.APIBaseURL))
	if stored, err := parseOrderedObject([]byte(u.AppSettingsJSON)); err == nil {
		for _, k := range stored.keys {
			o.set(k, stored.vals[k])
		}
	}
	return o.marshal()
}

func mustJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return json.RawMessage("null")
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// orderedObject is a JSON object that keeps its key order, as Python dicts
// do.
type orderedObject struct {
	keys []string
	vals map[string]json.RawMessage
}

func newOrderedObject() *orderedObject { return &orderedObject{vals: map[string]json.RawMessage{}} }

func (o *orderedObject) set(k string, v json.RawMessage) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *orderedObject) marshal() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(mustJSON(k))
		b.WriteByte(':')
		b.Write(compactJSON(o.vals[k]))
	}
	b.WriteByte('}')
	return b.Bytes()
}

func compactJSON(v json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return []byte("null")
	}
	return b.Bytes()
}

// parseOrderedObject parses a JSON object's top level keeping key order; an
// error when data is not exactly one JSON object.
func parseOrderedObject(data []byte) (*orderedObject, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errNotObject{}
	}
	o := newOrderedObject()
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o.set(t.(string), v)
	}
	// Like json.loads: the object must be closed and nothing but
	// whitespace may follow, else nothing is merged.
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, errNotObject{}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errNotObject{}
	}
	return o, nil
}

type errNotObject struct{}

func (errNotObject) Error() string { return "not a JSON object" }

// mintSession creates a session for u from the request's User-Agent and
// client IP and builds the auth payload around it.
func (s *Server) mintSession(r *http.Request, u *app.User) (*authPayload, error) {
	return s.mintSessionFor(r, u, "")
}

// mintSessionFor is mintSession for a caller that verified the password
// hash requirePassword: ECONFLICT when it changed meanwhile.
func (s *Server) mintSessionFor(r *http.Request, u *app.User, requirePassword string) (*authPayload, error) {
	sess, key, err := s.core.MintSession(r.Context(), u, r.Header.Get("User-Agent"), s.ipHash(s.clientIP(r)), requirePassword)
	if err != nil {
		return nil, err
	}
	return s.payload(r, u, sess, key, sess.LastSeenAt)
}

// payload builds the auth payload for an existing session, counting the
// user's other live sessions with exact last-seen times (CONTRACT 3.6).
func (s *Server) payload(r *http.Request, u *app.User, sess *app.Session, key string, lastSeen time.Time) (*authPayload, error) {
	n, err := s.core.CountOtherLive(r.Context(), u.ID, sess.ID)
	if err != nil {
		return nil, err
	}
	return &authPayload{Token: key, Session: sessionView(sess, lastSeen), MultiDevice: n > 0,
		OtherSessionsCount: n, User: userView(u, r)}, nil
}
