package djimport

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The Django rows, as CONTRACT section 2 describes them. Nullable text
// columns are read through COALESCE, so every string is "" rather than NULL.

type djUser struct {
	ID                             int64
	Username, Email, Password      string
	FirstName, LastName            string
	IsActive, IsStaff, IsSuperuser bool
	DateJoined                     time.Time
	creator                        *djCreator // the lowest-id Creator row, nil when none
	hasSession, hasSocial          bool       // marks that the account was once active
}

type djCreator struct {
	ID, UserID                                  int64
	Image, Motto, SocialLink                    string
	EditorMode, ThemePreset, ThemeMode, BaseURL string
	APIKeyHash, APIKeyPrefix                    string
	AppSettingsJSON                             string
	AppSettingsUpdatedAt                        *time.Time
}

type djSession struct {
	ID, UserID                  int64
	Key, DeviceLabel, UserAgent string
	IPHash                      string
	CreatedAt, LastSeenAt       time.Time
	RevokedAt                   *time.Time
}

type djSocial struct {
	ID, UserID                      int64
	Provider, UID, Email, ExtraData string
	CreatedAt                       time.Time
}

type djInvitation struct {
	ID                 int64
	CodeHash, Label    string
	MaxUses, TimesUsed int
	ExpireAt           *time.Time
	CreatedAt          time.Time
}

// query runs q on tx and calls scan for each row.
func query(ctx context.Context, tx *sql.Tx, what, q string, scan func(*sql.Rows) error, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// nullTime turns a scanned nullable timestamp into a UTC pointer.
func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// readCreators returns every Creator row, lowest id first.
func readCreators(ctx context.Context, tx *sql.Tx) ([]*djCreator, error) {
	var out []*djCreator
	err := query(ctx, tx, "creators_creator", `SELECT id, user_id, COALESCE(image, ''),
		COALESCE(motto, ''), COALESCE(social_link, ''), COALESCE(editor_mode, ''),
		COALESCE(theme_preset, ''), COALESCE(theme_mode, ''), COALESCE(api_base_url, ''),
		COALESCE(api_key_hash, ''), COALESCE(api_key_prefix, ''), COALESCE(app_settings_json, ''),
		app_settings_updated_at FROM creators_creator ORDER BY id`, func(r *sql.Rows) error {
		c := &djCreator{}
		var updated sql.NullTime
		if err := r.Scan(&c.ID, &c.UserID, &c.Image, &c.Motto, &c.SocialLink, &c.EditorMode,
			&c.ThemePreset, &c.ThemeMode, &c.BaseURL, &c.APIKeyHash, &c.APIKeyPrefix,
			&c.AppSettingsJSON, &updated); err != nil {
			return err
		}
		c.AppSettingsUpdatedAt = nullTime(updated)
		out = append(out, c)
		return nil
	})
	return out, err
}

// readUsers returns every auth_user row, lowest id first, with the marks of
// past activity filled: a session row (live or not) or a social link.
func readUsers(ctx context.Context, tx *sql.Tx) ([]*djUser, error) {
	var out []*djUser
	err := query(ctx, tx, "auth_user", `SELECT u.id, u.username, COALESCE(u.email, ''),
		COALESCE(u.password, ''), COALESCE(u.first_name, ''), COALESCE(u.last_name, ''),
		u.is_active, u.is_staff, u.is_superuser, u.date_joined,
		EXISTS (SELECT 1 FROM creators_session s WHERE s.user_id = u.id),
		EXISTS (SELECT 1 FROM creators_socialaccount a WHERE a.user_id = u.id)
		FROM auth_user u ORDER BY u.id`, func(r *sql.Rows) error {
		u := &djUser{}
		if err := r.Scan(&u.ID, &u.Username, &u.Email, &u.Password, &u.FirstName, &u.LastName,
			&u.IsActive, &u.IsStaff, &u.IsSuperuser, &u.DateJoined, &u.hasSession, &u.hasSocial); err != nil {
			return err
		}
		u.DateJoined = u.DateJoined.UTC()
		out = append(out, u)
		return nil
	})
	return out, err
}

// eachSession calls fn for every session row, lowest id first.
func eachSession(ctx context.Context, tx *sql.Tx, fn func(*djSession) error) error {
	return query(ctx, tx, "creators_session", `SELECT id, user_id, COALESCE(key, ''),
		COALESCE(device_label, ''), COALESCE(user_agent, ''), COALESCE(ip_hash, ''),
		created_at, last_seen_at, revoked_at FROM creators_session ORDER BY id`, func(r *sql.Rows) error {
		s := &djSession{}
		var revoked sql.NullTime
		if err := r.Scan(&s.ID, &s.UserID, &s.Key, &s.DeviceLabel, &s.UserAgent, &s.IPHash,
			&s.CreatedAt, &s.LastSeenAt, &revoked); err != nil {
			return err
		}
		s.CreatedAt, s.LastSeenAt, s.RevokedAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), nullTime(revoked)
		return fn(s)
	})
}

// eachSocial calls fn for every social account row, lowest id first.
// extra_data is read as JSON text whatever its column type (jsonb in
// Django's PostgreSQL schema).
func eachSocial(ctx context.Context, tx *sql.Tx, fn func(*djSocial) error) error {
	return query(ctx, tx, "creators_socialaccount", `SELECT id, user_id, COALESCE(provider, ''),
		COALESCE(provider_uid, ''), COALESCE(email, ''), COALESCE(extra_data::text, ''), created_at
		FROM creators_socialaccount ORDER BY id`, func(r *sql.Rows) error {
		a := &djSocial{}
		if err := r.Scan(&a.ID, &a.UserID, &a.Provider, &a.UID, &a.Email, &a.ExtraData, &a.CreatedAt); err != nil {
			return err
		}
		a.CreatedAt = a.CreatedAt.UTC()
		return fn(a)
	})
}

// eachInvitation calls fn for every invitation row, lowest id first.
func eachInvitation(ctx context.Context, tx *sql.Tx, fn func(*djInvitation) error) error {
	return query(ctx, tx, "creators_invitationcode", `SELECT id, COALESCE(code_hash, ''),
		COALESCE(label, ''), max_uses, times_used, expire_date, created_at
		FROM creators_invitationcode ORDER BY id`, func(r *sql.Rows) error {
		inv := &djInvitation{}
		var expire sql.NullTime
		if err := r.Scan(&inv.ID, &inv.CodeHash, &inv.Label, &inv.MaxUses, &inv.TimesUsed, &expire,
			&inv.CreatedAt); err != nil {
			return err
		}
		inv.CreatedAt, inv.ExpireAt = inv.CreatedAt.UTC(), nullTime(expire)
		return fn(inv)
	})
}

// countCodes counts the verification codes, and those still usable at now
// (max_use > 0 and not expired).
func countCodes(ctx context.Context, tx *sql.Tx, now time.Time) (all, live int, err error) {
	err = tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE max_use > 0 AND expire_date > $1)
		FROM creators_verificationcode`, now).Scan(&all, &live)
	if err != nil {
		err = fmt.Errorf("read creators_verificationcode: %w", err)
	}
	return all, live, err
}
