package app

import "time"

// Session is one signed-in device. The key itself is never stored: KeyHash is
// sha256_hex(key).
type Session struct {
	ID          int64
	UserID      int64
	KeyHash     string
	DeviceLabel string
	UserAgent   string
	IPHash      string
	CreatedAt   time.Time
	LastSeenAt  time.Time
	RevokedAt   *time.Time
	// AuthMethods are the methods the sign-in proved, in order
	// ("password", "totp", ...); empty for sessions minted before second
	// factors existed. AuthenticatedAt is when they were last proven (a
	// step-up re-authentication moves it); zero: CreatedAt.
	AuthMethods     []string
	AuthenticatedAt time.Time

	// RequirePassword is not stored. When set, CreateSession refuses with
	// ECONFLICT unless it is still the user's stored password hash, checked
	// in the inserting transaction: a sign-in whose password check raced a
	// password change (which revoked everything) must not mint a session
	// with the old password.
	RequirePassword string
}

// Timeouts are the session lifetime rules: a session dies when it has been
// idle longer than Idle or exists longer than Absolute (strictly greater, as
// in the original's Session.is_active).
type Timeouts struct {
	Idle     time.Duration
	Absolute time.Duration
}

// Expired is THE session liveness rule: a session is dead when it is
// revoked, idle longer than Idle at now (judged on lastSeen, the exact
// last-seen time, which may be newer than s.LastSeenAt while a touch waits
// to be written) or older than Absolute. Strictly greater, as in the
// original's Session.is_active: a session exactly at a bound still lives.
func (t Timeouts) Expired(s *Session, lastSeen, now time.Time) bool {
	return s.RevokedAt != nil || now.Sub(lastSeen) > t.Idle || now.Sub(s.CreatedAt) > t.Absolute
}

// Listed is the rule of the session list and the counts (the original's
// queries): not revoked, last_seen_at > now - Idle and created_at > now -
// Absolute. Strict, so a session exactly at a bound is left out of the list
// while Expired still accepts it, as in the original. Cutoffs is the same
// rule as SQL bounds.
func (t Timeouts) Listed(s *Session, lastSeen, now time.Time) bool {
	idleAfter, createdAfter := t.Cutoffs(now)
	return s.RevokedAt == nil && lastSeen.After(idleAfter) && s.CreatedAt.After(createdAfter)
}

// Cutoffs returns the bounds for listing and counting live sessions:
// last_seen_at > idleAfter and created_at > createdAfter (strict, as the
// original's queries; a session exactly at the boundary is left out).
func (t Timeouts) Cutoffs(now time.Time) (idleAfter, createdAfter time.Time) {
	return now.Add(-t.Idle), now.Add(-t.Absolute)
}

// Authenticated returns when the session last proved its factors:
// AuthenticatedAt, or CreatedAt when that was never set.
func (s *Session) Authenticated() time.Time {
	if s.AuthenticatedAt.IsZero() {
		return s.CreatedAt
	}
	return s.AuthenticatedAt
}
