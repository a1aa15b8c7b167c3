package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Auth is the authenticated caller: the user, and the session for a session
// token (nil for an API key). For session tokens User holds the identity
// fields only (ID, Username, Email, IsActive); callers that need the
// profile read it with Store.UserByID. An Auth is shared by every request
// of the same cached credential: callers must not modify it.
type Auth struct {
	User    *User
	Session *Session
	entry   *authEntry
}

// ViaAPIKey reports whether the caller used an MCP API key.
func (a *Auth) ViaAPIKey() bool { return a != nil && a.Session == nil }

// LastSeen is the session's exact last-seen time (this request's, when it
// was touched). Zero for an API key.
func (a *Auth) LastSeen() time.Time {
	if a.Session == nil {
		return time.Time{}
	}
	return time.UnixMicro(a.entry.lastSeen.Load())
}

// HeaderValues returns the forward-auth header values of the caller (user
// id, username, and session id or nil for an API key), built once per
// cached credential and shared: callers must not modify them.
func (a *Auth) HeaderValues() (userID, username, sessionID []string) {
	return a.entry.hdrUserID, a.entry.hdrUsername, a.entry.hdrSessionID
}

// Messages of the authentication classes (CONTRACT 3.1).
const (
	MsgInvalidToken  = "Invalid token."
	MsgInvalidAPIKey = "Invalid API key."
	MsgUserDisabled  = "User account is disabled."
	MsgNotProvided   = "Authentication credentials were not provided."
	// MaxSessionKeyRunes is the longest session key the original's Token
	// authentication accepts (its key column is 40 characters).
	MaxSessionKeyRunes = 40
)

// CredKind tells a session token from an API key.
type CredKind uint8

// The two credential kinds of ParseAuthorization (0 is anonymous).
const (
	CredSession CredKind = 1
	CredAPIKey  CredKind = 2
)

// ParseAuthorization classifies an Authorization header as the original's
// two authentication classes do. kind is CredSession for "Token <key>" (the
// keyword case-insensitive, the key stripped; Python split(None, 1)
// semantics), CredAPIKey for a header starting with exactly "Bearer ntc_"
// (key = everything after "Bearer ", not stripped), 0 for anything else
// (anonymous).
func ParseAuthorization(h string) (kind CredKind, key string) {
	// The header every proxy sends, "Token <key>", without decoding runes:
	// the rule below gives the same answer (the keyword ends at the first
	// space, the key is the stripped rest).
	if len(h) > len("Token ") && h[:len("Token ")] == "Token " {
		if key = strings.TrimSpace(h[len("Token "):]); key != "" {
			return CredSession, key
		}
	}
	return parseAuthorization(h)
}

// parseAuthorization is ParseAuthorization's rule for every header.
func parseAuthorization(h string) (kind CredKind, key string) {
	rest := strings.TrimLeftFunc(h, unicode.IsSpace)
	if i := strings.IndexFunc(rest, unicode.IsSpace); i > 0 && strings.EqualFold(rest[:i], "token") {
		if key = strings.TrimSpace(rest[i:]); key != "" {
			return CredSession, key
		}
	}
	if strings.HasPrefix(h, "Bearer ntc_") {
		return CredAPIKey, h[len("Bearer "):]
	}
	return 0, ""
}

// Unauthorized is the 401 of a bad credential.
func Unauthorized(msg string) *Error { return &Error{Code: EUNAUTHORIZED, Message: msg} }

// Authenticate resolves an Authorization header value. It returns (nil,
// nil) for an anonymous header and an EUNAUTHORIZED *Error for bad
// credentials (MsgInvalidToken, MsgInvalidAPIKey, MsgUserDisabled); any
// other error is the store's. A valid session is touched in memory when
// touch is set. A cache hit does no database work.
func (c *Core) Authenticate(ctx context.Context, header string, touch bool) (*Auth, error) {
	return c.AuthenticateAt(ctx, header, touch, c.now())
}

// AuthenticateAt is Authenticate at now, a reading of the core's clock
// (Core.Now) that the caller took for this request: the HTTP layer reads
// the clock once per request, and on a virtual machine a clock read costs
// as much as a cache hit. Errors as Authenticate.
func (c *Core) AuthenticateAt(ctx context.Context, header string, touch bool, now time.Time) (*Auth, error) {
	kind, key := ParseAuthorization(header)
	switch kind {
	case CredSession:
		if len(key) > MaxSessionKeyRunes && utf8.RuneCountInString(key) > MaxSessionKeyRunes {
			return nil, Unauthorized(MsgInvalidToken)
		}
		return c.authenticateSession(ctx, key, touch, now)
	case CredAPIKey:
		return c.authAPIKey(ctx, key)
	}
	return nil, nil
}

// AuthenticateSession checks a session key (the part after "Token "). Errors
// as Authenticate.
func (c *Core) AuthenticateSession(ctx context.Context, key string, touch bool) (*Auth, error) {
	return c.authenticateSession(ctx, key, touch, c.now())
}

func (c *Core) authenticateSession(ctx context.Context, key string, touch bool, now time.Time) (*Auth, error) {
	k := cacheKey{kind: CredSession, digest: digest(key)}
	e, hit := c.cache.get(k)
	if hit && c.expired(e, now) {
		c.cache.drop(CredSession, e.session.KeyHash)
		if e.session.RevokedAt != nil {
			return nil, Unauthorized(MsgInvalidToken)
		}
		// Idle here, but another process may have used (and flushed) the
		// session since this entry was read: look again before refusing.
		hit = false
	}
	if !hit {
		var err error
		if e, err = c.lookupSession(ctx, k); err != nil {
			return nil, err
		}
		if c.expired(e, now) {
			return nil, Unauthorized(MsgInvalidToken)
		}
	}
	if !e.user.IsActive {
		return nil, Unauthorized(MsgUserDisabled)
	}
	if touch {
		c.touchEntry(ctx, e, now)
	}
	return e.auth, nil
}

// lookupSession is the cache-miss path: one indexed read, then the entry is
// cached unless a drop happened meanwhile (see tokenCache).
func (c *Core) lookupSession(ctx context.Context, k cacheKey) (*authEntry, error) {
	gen := c.cache.generation()
	sess, u, err := c.raw.SessionByKeyHash(ctx, hex.EncodeToString(k.digest[:]))
	if ErrorCode(err) == ENOTFOUND {
		return nil, Unauthorized(MsgInvalidToken)
	} else if err != nil {
		return nil, err
	}
	if t, ok := c.touch.seen(sess.ID); ok && t.After(sess.LastSeenAt) {
		sess.LastSeenAt = t
	}
	e := newAuthEntry(CredSession, u, sess)
	if sess.RevokedAt == nil {
		c.cache.add(k, e, gen)
	}
	return e, nil
}

// expired applies the session rule to a cached entry's exact last-seen.
func (c *Core) expired(e *authEntry, now time.Time) bool {
	return c.cfg.Timeouts.Expired(e.session, time.UnixMicro(e.lastSeen.Load()), now)
}

// touchEntry records now as the session's last-seen time: in memory at
// once, in the database through the touch writer (or at once when the touch
// interval is zero, the original's write-through behaviour).
func (c *Core) touchEntry(ctx context.Context, e *authEntry, now time.Time) {
	us := now.UnixMicro()
	for {
		old := e.lastSeen.Load()
		if us <= old || e.lastSeen.CompareAndSwap(old, us) {
			break
		}
	}
	if c.cfg.TouchInterval <= 0 {
		if err := c.raw.TouchSessions(ctx, map[int64]time.Time{e.session.ID: now}); err != nil {
			c.log.Warn().Err(err).Msg("touch failed")
		}
		return
	}
	// Load first: once dirty, a request does not write the flag's cache line.
	if !e.dirty.Load() && !e.dirty.Swap(true) {
		c.touch.mark(e)
	}
}

func (c *Core) authAPIKey(ctx context.Context, key string) (*Auth, error) {
	k := cacheKey{kind: CredAPIKey, digest: digest(key)}
	e, ok := c.cache.get(k)
	if !ok {
		gen := c.cache.generation()
		u, err := c.raw.UserByAPIKeyHash(ctx, hex.EncodeToString(k.digest[:]))
		if ErrorCode(err) == ENOTFOUND {
			return nil, Unauthorized(MsgInvalidAPIKey)
		} else if err != nil {
			return nil, err
		}
		e = newAuthEntry(CredAPIKey, u, nil)
		c.cache.add(k, e, gen)
	}
	if !e.user.IsActive {
		return nil, Unauthorized(MsgUserDisabled)
	}
	return e.auth, nil
}

// digest is sha256(key) without a heap copy of the key for the usual sizes
// (session keys are 40 bytes, API keys 36): it runs on every request.
func digest(key string) [sha256.Size]byte {
	var buf [64]byte
	if len(key) <= len(buf) {
		return sha256.Sum256(append(buf[:0], key...))
	}
	return sha256.Sum256([]byte(key))
}
