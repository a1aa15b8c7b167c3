package api

import (
	"encoding/json"
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
	// *sessionAuthJSON is nil (its fields absent) for accounts without a
	// second factor: their wire shapes stay 0.1.65's.
	*sessionAuthJSON
}

// sessionAuthJSON says how a session was authenticated (issue 14): shown on
// the session objects of accounts with a second factor, and of every
// account under --require-second-factor.
type sessionAuthJSON struct {
	AuthMethods     []string `json:"auth_methods"`
	AuthenticatedAt string   `json:"authenticated_at"`
}

// sessionAuthView is a session's authentication record for the wire.
func sessionAuthView(s *app.Session) *sessionAuthJSON {
	methods := s.AuthMethods
	if methods == nil {
		methods = []string{}
	}
	return &sessionAuthJSON{AuthMethods: methods, AuthenticatedAt: isoTime(s.Authenticated())}
}

// showAuth reports whether u's session objects carry auth_methods and
// authenticated_at.
func (s *Server) showAuth(u *app.User) bool { return s.needsSecondStep(u) }

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

// profileOf wraps a freshly read user for the views.
func profileOf(u *app.User) *app.Profile { return &app.Profile{User: u, AppSettings: u.AppSettings()} }

func userView(p *app.Profile, r *http.Request) userJSON {
	u := p.User
	return userJSON{
		ID: u.ID, Email: u.Email, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName,
		DisplayName: u.DisplayName(), profileJSON: profileView(u, r),
		APIBaseURL: u.APIBaseURL, AppSettings: p.AppSettings,
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

// mintSession creates a session for u from the request's User-Agent and
// client IP and builds the auth payload around it: a sign-in, recorded as
// login.succeeded (see mintSessionFor). methods are how the sign-in
// authenticated (Session.AuthMethods).
func (s *Server) mintSession(r *http.Request, u *app.User, methods ...string) (*authPayload, error) {
	return s.mintSessionFor(r, u, "", methods...)
}

// mintSessionFor is mintSession for a caller that verified the password
// hash requirePassword: ECONFLICT when it changed meanwhile. The session
// and its login.succeeded event commit together; a sign-in from a device
// the account has not used lately mails the owner (newDeviceMail).
func (s *Server) mintSessionFor(r *http.Request, u *app.User, requirePassword string, methods ...string) (*authPayload, error) {
	a := s.signInAudit(r, u, methods, nil)
	p, sess, err := s.mint(r.WithContext(audited(r, a)), u, requirePassword, methods...)
	if err != nil {
		return nil, err
	}
	if a.NewDevice && !a.FirstSignIn {
		s.newDeviceMail(r, u, sess)
	}
	return p, nil
}

// mint creates the session and its auth payload, recording what r's
// context's audit says (change-password's new session is no sign-in).
func (s *Server) mint(r *http.Request, u *app.User, requirePassword string, methods ...string) (*authPayload, *app.Session, error) {
	sess, key, err := s.core.MintSession(r.Context(), u, r.Header.Get("User-Agent"), s.ipHash(s.clientIP(r)), requirePassword, methods...)
	if err != nil {
		return nil, nil, err
	}
	n, err := s.core.CountOtherLive(r.Context(), u.ID, sess.ID)
	if err != nil {
		return nil, nil, err
	}
	return s.payload(r, profileOf(u), sess, key, sess.LastSeenAt, n), sess, nil
}

// payload builds the auth payload of a session; others is the count of the
// user's other live sessions (CONTRACT 3.6).
func (s *Server) payload(r *http.Request, p *app.Profile, sess *app.Session, key string, lastSeen time.Time, others int) *authPayload {
	view := sessionView(sess, lastSeen)
	if s.showAuth(p.User) {
		view.sessionAuthJSON = sessionAuthView(sess)
	}
	return &authPayload{Token: key, Session: view, MultiDevice: others > 0,
		OtherSessionsCount: others, User: userView(p, r)}
}
