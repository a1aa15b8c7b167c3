package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Auth is the authenticated caller: the user, and the session for a session
// token (nil for an API key). For session tokens User holds the identity
// fields only (ID, Username, Email, IsActive); handlers that need the
// profile read it with Store.UserByID.
type Auth struct {
	User    *User
	Session *Session
	entry   *authEntry
}

// ViaAPIKey reports whether the caller used an MCP API key.
func (a *Auth) ViaAPIKey() bool { return a != nil && a.Session == nil }

type authCtxKey struct{}

// withAuth stores the caller in ctx.
func withAuth(ctx context.Context, a *Auth) context.Context {
	return context.WithValue(ctx, authCtxKey{}, a)
}

// authFrom returns the caller stored by withAuth, or nil.
func authFrom(ctx context.Context) *Auth {
	a, _ := ctx.Value(authCtxKey{}).(*Auth)
	return a
}

// Messages of the authentication classes (CONTRACT 3.1).
const (
	msgInvalidToken    = "Invalid token."
	msgInvalidAPIKey   = "Invalid API key."
	msgUserDisabled    = "User account is disabled."
	msgNotProvided     = "Authentication credentials were not provided."
	maxSessionKeyRunes = 40
)

// ParseAuthorization classifies an Authorization header as the original's
// two authentication classes do. kind is credSession for "Token <key>" (the
// keyword case-insensitive, the key stripped; Python split(None, 1)
// semantics), credAPIKey for a header starting with exactly "Bearer ntc_"
// (key = everything after "Bearer ", not stripped), 0 for anything else
// (anonymous).
func ParseAuthorization(h string) (kind credKind, key string) {
	rest := strings.TrimLeftFunc(h, unicode.IsSpace)
	if i := strings.IndexFunc(rest, unicode.IsSpace); i > 0 && strings.EqualFold(rest[:i], "token") {
		if key = strings.TrimSpace(rest[i:]); key != "" {
			return credSession, key
		}
	}
	if strings.HasPrefix(h, "Bearer ntc_") {
		return credAPIKey, h[len("Bearer "):]
	}
	return 0, ""
}

// authenticate resolves the request's credentials. It returns (nil, nil) for
// an anonymous request and a 401 *Error for bad credentials. A valid session
// is touched in memory when touch is set.
func (s *Server) authenticate(r *http.Request, touch bool) (*Auth, error) {
	hv := r.Header["Authorization"]
	if len(hv) == 0 {
		return nil, nil
	}
	kind, key := ParseAuthorization(hv[0])
	switch kind {
	case credSession:
		if len(key) > maxSessionKeyRunes && utf8.RuneCountInString(key) > maxSessionKeyRunes {
			return nil, unauthorized(msgInvalidToken)
		}
		return s.authSession(r.Context(), key, touch)
	case credAPIKey:
		return s.authAPIKey(r.Context(), key)
	}
	return nil, nil
}

func unauthorized(msg string) *Error { return &Error{Code: EUNAUTHORIZED, Message: msg} }

func (s *Server) authSession(ctx context.Context, key string, touch bool) (*Auth, error) {
	k := cacheKey{kind: credSession, digest: sha256.Sum256([]byte(key))}
	now := s.now()
	e, ok := s.cache.get(k)
	if !ok {
		gen := s.cache.generation()
		sess, u, err := s.store.SessionByKeyHash(ctx, hex.EncodeToString(k.digest[:]))
		if ErrorCode(err) == ENOTFOUND {
			return nil, unauthorized(msgInvalidToken)
		} else if err != nil {
			return nil, err
		}
		if t, ok := s.touch.seen(sess.ID); ok && t.After(sess.LastSeenAt) {
			sess.LastSeenAt = t
		}
		e = newAuthEntry(credSession, u, sess)
		if sess.RevokedAt == nil {
			s.cache.add(k, e, gen)
		}
	}
	sess := e.session
	lastSeen := time.UnixMicro(e.lastSeen.Load())
	if sess.RevokedAt != nil || now.Sub(lastSeen) > s.cfg.Timeouts.Idle || now.Sub(sess.CreatedAt) > s.cfg.Timeouts.Absolute {
		if ok {
			s.cache.drop(credSession, sess.KeyHash)
		}
		return nil, unauthorized(msgInvalidToken)
	}
	if !e.user.IsActive {
		return nil, unauthorized(msgUserDisabled)
	}
	if touch {
		s.touchEntry(ctx, e, now)
	}
	return &Auth{User: e.user, Session: sess, entry: e}, nil
}

// touchEntry records now as the session's last-seen time: in memory at
// once, in the database through the touch writer (or at once when the touch
// interval is zero, the original's write-through behaviour).
func (s *Server) touchEntry(ctx context.Context, e *authEntry, now time.Time) {
	us := now.UnixMicro()
	for {
		old := e.lastSeen.Load()
		if us <= old || e.lastSeen.CompareAndSwap(old, us) {
			break
		}
	}
	if s.cfg.TouchInterval <= 0 {
		if err := s.store.TouchSessions(ctx, map[int64]time.Time{e.session.ID: now}); err != nil {
			s.log.Warn().Err(err).Msg("touch failed")
		}
		return
	}
	if !e.dirty.Swap(true) {
		s.touch.mark(e)
	}
}

func (s *Server) authAPIKey(ctx context.Context, key string) (*Auth, error) {
	k := cacheKey{kind: credAPIKey, digest: sha256.Sum256([]byte(key))}
	e, ok := s.cache.get(k)
	if !ok {
		gen := s.cache.generation()
		u, err := s.store.UserByAPIKeyHash(ctx, hex.EncodeToString(k.digest[:]))
		if ErrorCode(err) == ENOTFOUND {
			return nil, unauthorized(msgInvalidAPIKey)
		} else if err != nil {
			return nil, err
		}
		e = newAuthEntry(credAPIKey, u, nil)
		s.cache.add(k, e, gen)
	}
	if !e.user.IsActive {
		return nil, unauthorized(msgUserDisabled)
	}
	return &Auth{User: e.user, entry: e}, nil
}

// sessionLastSeen returns the exact last-seen time of a session: the
// unflushed in-memory value when newer than the stored one.
func (s *Server) sessionLastSeen(sess *Session) time.Time {
	if t, ok := s.touch.seen(sess.ID); ok && t.After(sess.LastSeenAt) {
		return t
	}
	return sess.LastSeenAt
}
