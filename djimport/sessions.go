package djimport

import (
	"context"
	"fmt"

	"notechondria-auth/app"
)

// importSessions imports the live sessions: not revoked, and neither idle
// nor too old under the original's timeouts at import time (strictly
// greater is expired, as Session.is_active). The plaintext key becomes its
// sha256_hex, which is all this server stores (docs/COMPATIBILITY.md 1), so
// the device keeps its token.
//
// The IP hash is not carried over: the original's is an unsalted SHA-256
// of the address, which this server never stores (its own is keyed, entry
// 2), and the address itself is gone. Imported sessions show an empty
// ip_hash_prefix until the device signs in again.
func (im *importer) importSessions(ctx context.Context) error {
	t := im.rep.Table(TableSessions)
	timeouts := app.Timeouts{Idle: DjangoIdleTimeout, Absolute: DjangoAbsoluteTimeout}
	return eachSession(ctx, im.src, func(s *djSession) error {
		t.Read++
		reason, err := im.importSession(ctx, s, timeouts)
		if err != nil {
			return fmt.Errorf("import creators_session #%d: %w", s.ID, err)
		}
		if reason == "" {
			t.Imported++
		} else {
			t.skip(reason)
		}
		return nil
	})
}

func (im *importer) importSession(ctx context.Context, s *djSession, timeouts app.Timeouts) (string, error) {
	m := im.users[s.UserID]
	sess := &app.Session{RevokedAt: s.RevokedAt, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt}
	switch {
	case s.RevokedAt != nil:
		return SkipRevoked, nil
	case timeouts.Expired(sess, s.LastSeenAt, im.now):
		return SkipExpired, nil
	case m == nil:
		return SkipUserNotImported, nil
	case !m.active:
		return SkipUserInactive, nil
	case s.Key == "" || len([]rune(s.Key)) > app.MaxSessionKeyRunes:
		// Authentication refuses such keys before any lookup.
		return SkipBadSessionKey, nil
	}
	sess.UserID, sess.KeyHash = m.id, app.HashHex(s.Key)
	sess.DeviceLabel = app.TruncateRunes(s.DeviceLabel, 120)
	sess.UserAgent = app.TruncateRunes(s.UserAgent, 512)
	switch _, _, err := im.dst.SessionByKeyHash(ctx, sess.KeyHash); {
	case err == nil:
		return SkipAlreadyImported, nil
	case app.ErrorCode(err) != app.ENOTFOUND:
		return "", err
	}
	if err := im.write(func() error { return im.dst.CreateSession(ctx, sess) }); err != nil {
		return "", err
	}
	if s.IPHash != "" {
		im.ipDropped++
	}
	return "", nil
}
