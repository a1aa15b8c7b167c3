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
}

// Timeouts are the session lifetime rules: a session dies when it has been
// idle longer than Idle or exists longer than Absolute (strictly greater, as
// in the original's Session.is_active).
type Timeouts struct {
	Idle     time.Duration
	Absolute time.Duration
}

// Active reports whether the session is usable at now.
func (t Timeouts) Active(s *Session, now time.Time) bool {
	return s.RevokedAt == nil && now.Sub(s.LastSeenAt) <= t.Idle && now.Sub(s.CreatedAt) <= t.Absolute
}

// Cutoffs returns the bounds for listing and counting live sessions:
// last_seen_at > idleAfter and created_at > createdAfter (strict, as the
// original's queries; a session exactly at the boundary is left out).
func (t Timeouts) Cutoffs(now time.Time) (idleAfter, createdAfter time.Time) {
	return now.Add(-t.Idle), now.Add(-t.Absolute)
}
