package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// handleLogout is POST auth/logout/: revokes the current session only.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	if a.Session != nil {
		ev := s.audit(r).Add(a.User.ID, app.EventLogout, nil)
		if _, err := s.store.RevokeSession(audited(r, ev), a.User.ID, a.Session.ID, s.now()); err != nil {
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
	prof, err := s.core.Profile(r.Context(), a.User.ID)
	if err != nil {
		return err
	}
	n, err := s.core.OtherLiveSessions(r.Context(), a.User.ID, a.Session.ID)
	if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, probeJSON{Authenticated: true, authPayload: s.payload(r, prof, a.Session, key, a.LastSeen(), n)})
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
	*sessionAuthJSON
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
	writeRawJSON(w, http.StatusOK, appendSessionListAuth(make([]byte, 0, 320*len(list)+64), list, a.Session, s.rows, s.showAuth(a.User)))
	return nil
}

// pathID reads the numeric ":id" of a route as Django's <int:...> does: [0-9]+
// only, anything else is an unknown route (404 "Not found."); a number too
// large for an id names nothing (404 notFound).
func pathID(p httprouter.Params, notFound string) (int64, error) {
	raw := p.ByName("id")
	if raw == "" || strings.Trim(raw, "0123456789") != "" {
		return 0, app.Detail(app.ENOTFOUND, "Not found.")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, app.Detail(app.ENOTFOUND, notFound)
	}
	return id, nil
}

// handleSessionRevoke is DELETE auth/sessions/<id>/.
func (s *Server) handleSessionRevoke(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
	a := authFrom(r.Context())
	id, err := pathID(p, "Session not found.")
	if err != nil {
		return err
	}
	ev := s.audit(r)
	ev.Cause = app.CauseOtherSession
	if a.Session != nil && a.Session.ID == id {
		ev.Cause = app.CauseThisDevice
	}
	_, err = s.store.RevokeSession(audited(r, ev), a.User.ID, id, s.now())
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
	ev := s.audit(r)
	ev.Cause = app.CauseOtherSession
	hashes, err := s.store.RevokeUserSessions(audited(r, ev), a.User.ID, keep, s.now())
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
	a, err := s.authenticate(w, r, true)
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
