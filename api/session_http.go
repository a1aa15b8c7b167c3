package api

import (
	"notechondria-auth/app"

	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/throttle"
)

// Sign-in messages (CONTRACT 1.3 #5).
const (
	msgLoginIdentifierRequired = "Sign-in rejected: Backend.Creators.Auth/login — either email or username is required in the login payload."
	msgLoginMismatch           = "Sign-in rejected: Backend.Creators.Auth/login — email/username and password do not match any active account."
)

// throttled is the 429 DRF's throttling answers with ("1 second.", else
// "N seconds.").
func (s *Server) throttled(retry time.Duration) error {
	s.metrics.throttled.Add(1)
	n := throttle.Seconds(retry)
	unit := " seconds."
	if n == 1 {
		unit = " second." // DRF's ngettext: extra_detail_singular
	}
	return &app.Error{Code: app.ERATELIMIT, Message: "Request was throttled. Expected available in " + strconv.Itoa(n) + unit, RetryAfter: n}
}

// handleLogin is POST auth/login/.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	ident, _ := in.str("identifier", field{})
	email, _ := in.str("email", field{})
	pw, _ := in.str("password", field{required: true})
	if err := in.err(); err != nil {
		return err
	}
	if ident == "" {
		ident = email
	}
	if ident = strings.TrimSpace(ident); ident == "" {
		return app.NonFieldError(msgLoginIdentifierRequired)
	}
	ipKey := "ip:" + s.clientIP(r)
	if retry, ok := s.loginIP.Check(ipKey); !ok {
		return s.throttled(retry)
	}
	u, err := s.lookupLogin(r, ident)
	if err != nil {
		return err
	}
	// One budget per account, whichever identifier (email or username)
	// names it; unknown identifiers get their own.
	accountKey := loginThrottleKey(ident)
	if u != nil {
		accountKey = accountThrottleKey(u.ID)
	}
	if retry, ok := s.loginAccount.Check(accountKey); !ok {
		return s.throttled(retry)
	}
	ok := false
	if u == nil {
		// Unknown account: spend the same time as a real check.
		if err := s.hasher.DummyVerify(r.Context(), pw); err != nil {
			return app.Internal(err)
		}
	} else {
		var rehash bool
		ok, rehash, _ = s.hasher.Verify(r.Context(), pw, u.Password)
		ok = ok && u.IsActive
		if ok && rehash {
			if h, err := s.hasher.Hash(r.Context(), pw); err == nil {
				if _, err := s.store.SetPassword(r.Context(), u.ID, h, false, 0, s.now()); err != nil {
					s.log.Warn().Err(err).Int64("user_id", u.ID).Msg("password rehash failed")
				}
			}
		}
	}
	if !ok {
		s.metrics.loginFailures.Add(1)
		s.loginAccount.Add(accountKey)
		s.loginIP.Add(ipKey)
		return app.NonFieldError(msgLoginMismatch)
	}
	p, err := s.mintSession(r, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// maxThrottleKeyLen bounds the identifier part of a login throttle key. No
// account can match a longer identifier (usernames have at most 150
// characters, emails 254), but the field itself is unbounded (up to the
// body limit), and every failing identifier is kept as a limiter key: a
// stream of distinct megabyte-long identifiers would otherwise pin up to
// DefaultMaxKeys megabytes.
const maxThrottleKeyLen = 256

// loginThrottleKey is the per-account failure budget key of an identifier:
// case-insensitive, and a digest for identifiers too long to be an account.
func loginThrottleKey(ident string) string {
	k := strings.ToLower(ident)
	if len(k) > maxThrottleKeyLen {
		return "login#" + app.HashHex(k)
	}
	return "login:" + k
}

// accountThrottleKey is the failure budget of an existing account.
func accountThrottleKey(userID int64) string { return "user:" + itoa(userID) }

// lookupLogin finds the account of a sign-in identifier: by email first,
// then by username, both case-insensitively. nil when none matches.
func (s *Server) lookupLogin(r *http.Request, ident string) (*app.User, error) {
	u, err := s.store.UserByEmail(r.Context(), ident)
	if app.ErrorCode(err) == app.ENOTFOUND {
		u, err = s.store.UserByUsername(r.Context(), ident)
	}
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, nil
	}
	return u, err
}

// handleLogout is POST auth/logout/: revokes the current session only.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	if a.Session != nil {
		if _, err := s.store.RevokeSession(r.Context(), a.User.ID, a.Session.ID, s.now()); err != nil {
			return err
		}
	}
	noContent(w)
	return nil
}

// probeJSON is the session probe's answer.
type probeJSON struct {
	Authenticated bool `json:"authenticated"`
	*authPayload
}

// handleProbe is GET auth/session/: always 200, never touches.
func (s *Server) handleProbe(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	hv := r.Header["Authorization"]
	anon := probeJSON{}
	if len(hv) == 0 {
		writeJSON(w, http.StatusOK, anon)
		return nil
	}
	kind, key := app.ParseAuthorization(hv[0])
	if kind != app.CredSession || len(key) > app.MaxSessionKeyRunes {
		writeJSON(w, http.StatusOK, anon)
		return nil
	}
	a, err := s.core.AuthenticateSession(r.Context(), key, false)
	if app.ErrorCode(err) == app.EUNAUTHORIZED {
		writeJSON(w, http.StatusOK, anon)
		return nil
	} else if err != nil {
		return err
	}
	u, err := s.store.UserByID(r.Context(), a.User.ID)
	if err != nil {
		return err
	}
	p, err := s.payload(r, u, a.Session, key, a.LastSeen())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, probeJSON{Authenticated: true, authPayload: p})
	return nil
}

type sessionRowJSON struct {
	ID           int64  `json:"id"`
	DeviceLabel  string `json:"device_label"`
	UserAgent    string `json:"user_agent"`
	IPHashPrefix string `json:"ip_hash_prefix"`
	CreatedAt    string `json:"created_at"`
	LastSeenAt   string `json:"last_seen_at"`
	IsCurrent    bool   `json:"is_current"`
}

type sessionListJSON struct {
	Sessions         []sessionRowJSON `json:"sessions"`
	CurrentSessionID *int64           `json:"current_session_id"`
}

// handleSessionList is GET auth/sessions/.
func (s *Server) handleSessionList(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	list, err := s.core.LiveSessions(r.Context(), a.User.ID)
	if err != nil {
		return err
	}
	out := sessionListJSON{Sessions: make([]sessionRowJSON, 0, len(list))}
	if a.Session != nil {
		id := a.Session.ID
		out.CurrentSessionID = &id
	}
	for _, sess := range list {
		prefix := sess.IPHash
		if len(prefix) > 8 {
			prefix = prefix[:8]
		}
		out.Sessions = append(out.Sessions, sessionRowJSON{
			ID: sess.ID, DeviceLabel: sess.DeviceLabel, UserAgent: sess.UserAgent, IPHashPrefix: prefix,
			CreatedAt: isoTime(sess.CreatedAt), LastSeenAt: isoTime(sess.LastSeenAt),
			IsCurrent: a.Session != nil && sess.ID == a.Session.ID,
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleSessionRevoke is DELETE auth/sessions/<id>/.
func (s *Server) handleSessionRevoke(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
	a := authFrom(r.Context())
	// Django's <int:...> converter matches [0-9]+ only; anything else is an
	// unknown route. A number too large for an id cannot name a session.
	raw := p.ByName("id")
	if raw == "" || strings.Trim(raw, "0123456789") != "" {
		return app.Detail(app.ENOTFOUND, "Not found.")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return app.Detail(app.ENOTFOUND, "Session not found.")
	}
	_, err = s.store.RevokeSession(r.Context(), a.User.ID, id, s.now())
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.Detail(app.ENOTFOUND, "Session not found.")
	} else if err != nil {
		return err
	}
	noContent(w)
	return nil
}

// handleSessionRevokeOthers is DELETE auth/sessions/: signs out every other
// device (new; not in the original).
func (s *Server) handleSessionRevokeOthers(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	var keep int64
	if a.Session != nil {
		keep = a.Session.ID
	}
	hashes, err := s.store.RevokeUserSessions(r.Context(), a.User.ID, keep, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": len(hashes)})
	return nil
}

// handleVerify is GET auth/verify/, the forward-auth check for a reverse
// proxy. It is the hot path: a cache hit does no database work and builds
// no JSON.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	setRoute(w, "/api/v1/auth/verify/")
	a, err := s.authenticate(r, true)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if a == nil {
		s.writeError(w, r, app.Unauthorized(app.MsgNotProvided))
		return
	}
	h := w.Header()
	uid, uname, sid := a.HeaderValues()
	h["X-Auth-User-Id"] = uid
	h["X-Auth-Username"] = uname
	if sid != nil {
		h["X-Auth-Session-Id"] = sid
	}
	h["Cache-Control"] = s.hdrNoStore
	w.WriteHeader(http.StatusOK)
}
