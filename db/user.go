package db

import (
	"context"
	"database/sql"
	"time"

	"notechondria-auth/app"
)

const userColumns = `u.id, u.username, u.email, u.password, u.first_name, u.last_name,
	u.is_active, u.is_staff, u.is_superuser, u.date_joined, u.motto, u.social_link,
	u.image_url, u.editor_mode, u.theme_preset, u.theme_mode, u.api_base_url,
	u.app_settings_json, u.app_settings_updated_at, COALESCE(k.prefix, ''), u.disabled, u.second_factor`

const userFrom = ` FROM users u LEFT JOIN api_keys k ON k.user_id = u.id `

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner, extra ...any) (*app.User, error) {
	u := &app.User{}
	var joined int64
	var updated sql.NullInt64
	dest := []any{&u.ID, &u.Username, &u.Email, &u.Password, &u.FirstName, &u.LastName,
		&u.IsActive, &u.IsStaff, &u.IsSuperuser, &joined, &u.Motto, &u.SocialLink,
		&u.ImageURL, &u.EditorMode, &u.ThemePreset, &u.ThemeMode, &u.APIBaseURL,
		&u.AppSettingsJSON, &updated, &u.APIKeyPrefix, &u.Disabled, &u.SecondFactor}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, translate(err)
	}
	u.DateJoined = fromMicros(joined)
	u.AppSettingsUpdatedAt = fromNullMicros(updated)
	return u, nil
}

func (db *DB) oneUser(ctx context.Context, q queryer, where string, args ...any) (*app.User, error) {
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+userFrom+where, args...))
}

// CreateUser inserts u and sets u.ID. ECONFLICT when the username is taken.
func (db *DB) CreateUser(ctx context.Context, u *app.User) error {
	return db.write(ctx, func(tx *txn) error { return insertUser(ctx, tx, u) })
}

func insertUser(ctx context.Context, tx *txn, u *app.User) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO users (username, email, password, first_name,
		last_name, is_active, is_staff, is_superuser, date_joined, motto, social_link, image_url,
		editor_mode, theme_preset, theme_mode, api_base_url, app_settings_json, app_settings_updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
		u.Username, u.Email, u.Password, u.FirstName, u.LastName, u.IsActive, u.IsStaff,
		u.IsSuperuser, micros(u.DateJoined), u.Motto, u.SocialLink, u.ImageURL, u.EditorMode,
		u.ThemePreset, u.ThemeMode, u.APIBaseURL, u.AppSettingsJSON, nullMicros(u.AppSettingsUpdatedAt)).Scan(&u.ID)
	return translate(err)
}

// UserByID returns a user. ENOTFOUND.
func (db *DB) UserByID(ctx context.Context, id int64) (*app.User, error) {
	return db.oneUser(ctx, db.rd, `WHERE u.id = ?`, id)
}

// UserByEmail finds a user by email case-insensitively, an active one first.
// ENOTFOUND.
func (db *DB) UserByEmail(ctx context.Context, email string) (*app.User, error) {
	return userByEmail(ctx, db.rd, email)
}

func userByEmail(ctx context.Context, q queryer, email string) (*app.User, error) {
	if email == "" {
		return nil, &app.Error{Code: app.ENOTFOUND, Message: "Not found."}
	}
	return scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+userFrom+
		`WHERE u.email = ? ORDER BY u.is_active DESC, u.id LIMIT 1`, email))
}

// UserByUsername finds a user by username case-insensitively. ENOTFOUND.
func (db *DB) UserByUsername(ctx context.Context, username string) (*app.User, error) {
	return db.oneUser(ctx, db.rd, `WHERE u.username = ?`, username)
}

// UserByAPIKeyHash returns the owner of an API key. ENOTFOUND.
func (db *DB) UserByAPIKeyHash(ctx context.Context, keyHash string) (*app.User, error) {
	return db.oneUser(ctx, db.rd, `WHERE k.key_hash = ?`, keyHash)
}

// ListUsers returns every user ordered by id.
func (db *DB) ListUsers(ctx context.Context) ([]*app.User, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+userColumns+userFrom+`ORDER BY u.id`)
	return collect(rows, err, scanUser)
}

// UpdateUser writes every field of u except the password and the active
// flag. ECONFLICT on a taken username.
func (db *DB) UpdateUser(ctx context.Context, u *app.User) error {
	return db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET username=?, email=?, first_name=?,
			last_name=?, is_staff=?, is_superuser=?, motto=?, social_link=?, image_url=?,
			editor_mode=?, theme_preset=?, theme_mode=?, api_base_url=?, app_settings_json=?,
			app_settings_updated_at=? WHERE id=?`,
			u.Username, u.Email, u.FirstName, u.LastName, u.IsStaff, u.IsSuperuser, u.Motto,
			u.SocialLink, u.ImageURL, u.EditorMode, u.ThemePreset, u.ThemeMode, u.APIBaseURL,
			u.AppSettingsJSON, nullMicros(u.AppSettingsUpdatedAt), u.ID)
		if err := mustAffect(res, err); err != nil {
			return err
		}
		return signal(ctx, tx, userChanged(u.ID))
	})
}

func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return sql.ErrNoRows
	}
	return nil
}

// SetPassword stores a password hash and, with revoke, revokes the user's
// sessions except keepSessionID. Returns the revoked key hashes.
func (db *DB) SetPassword(ctx context.Context, userID int64, hash string, revoke bool, keepSessionID int64, now time.Time) ([]string, error) {
	var revoked []string
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password = ? WHERE id = ?`, hash, userID)
		if err := mustAffect(res, err); err != nil {
			return err
		}
		if revoke {
			if revoked, err = revokeUserSessions(ctx, tx, userID, keepSessionID, now); err != nil {
				return err
			}
		}
		return signal(ctx, tx, userChanged(userID))
	})
	return revoked, err
}

// SetActive activates or deactivates a user; deactivation revokes every
// session and returns their key hashes.
func (db *DB) SetActive(ctx context.Context, userID int64, active bool, now time.Time) ([]string, error) {
	var revoked []string
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET is_active = ?, disabled = ? WHERE id = ?`, active, !active, userID)
		if err := mustAffect(res, err); err != nil {
			return err
		}
		if !active {
			if revoked, err = revokeUserSessions(ctx, tx, userID, 0, now); err != nil {
				return err
			}
		}
		return signal(ctx, tx, userChanged(userID))
	})
	return revoked, err
}

// SetAPIKey replaces the user's API key; returns the previous hash or "".
func (db *DB) SetAPIKey(ctx context.Context, userID int64, keyHash, prefix string, now time.Time) (string, error) {
	var old string
	err := db.write(ctx, func(tx *txn) error {
		err := tx.QueryRowContext(ctx, `SELECT key_hash FROM api_keys WHERE user_id = ?`, userID).Scan(&old)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO api_keys (user_id, key_hash, prefix, created_at)
			VALUES (?,?,?,?) ON CONFLICT (user_id) DO UPDATE SET key_hash = excluded.key_hash,
			prefix = excluded.prefix, created_at = excluded.created_at`, userID, keyHash, prefix, micros(now))
		if err != nil {
			return err
		}
		changes := []app.Change{userChanged(userID)}
		if old != "" {
			changes = append(changes, app.Change{Kind: app.ChangeAPIKey, UserID: userID, KeyHash: old})
		}
		return signal(ctx, tx, changes...)
	})
	return old, err
}

// EmailInUse reports whether a user other than exceptUserID has email.
func (db *DB) EmailInUse(ctx context.Context, email string, exceptUserID int64) (bool, error) {
	return exists(ctx, db.rd, `SELECT 1 FROM users WHERE email = ? AND id != ? LIMIT 1`, email, exceptUserID)
}

// UsernameInUse reports whether a user other than exceptUserID has username.
func (db *DB) UsernameInUse(ctx context.Context, username string, exceptUserID int64) (bool, error) {
	return exists(ctx, db.rd, `SELECT 1 FROM users WHERE username = ? AND id != ? LIMIT 1`, username, exceptUserID)
}

func exists(ctx context.Context, q queryer, query string, args ...any) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, translate(err)
}

// ServerSecret returns the secret called name, storing gen's value first
// when none exists yet.
func (db *DB) ServerSecret(ctx context.Context, name string, gen []byte) ([]byte, error) {
	var v []byte
	err := db.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO server_secrets (name, value) VALUES (?, ?)
			ON CONFLICT (name) DO NOTHING`, name, gen); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = ?`, name).Scan(&v)
	})
	return v, err
}

// SweepPendingUsers deletes pending accounts whose codes all expired before
// before (register creates one for any address; unverified, they would stay
// forever) and returns their ids. Their rows cascade.
func (db *DB) SweepPendingUsers(ctx context.Context, before time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := db.write(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `DELETE FROM users WHERE id IN (
			SELECT u.id FROM users u WHERE u.is_active = 0 AND u.disabled = 0 AND u.date_joined < ?
			AND NOT EXISTS (SELECT 1 FROM verification_codes c WHERE c.user_id = u.id AND c.expire_at > ?)
			LIMIT ?) RETURNING id`, micros(before), micros(before), limit)
		if err != nil {
			return err
		}
		if ids, err = collect(rows, nil, func(row scanner, _ ...any) (int64, error) {
			var id int64
			return id, row.Scan(&id)
		}); err != nil {
			return err
		}
		changes := make([]app.Change, 0, len(ids))
		for _, id := range ids {
			changes = append(changes, userChanged(id))
		}
		return signal(ctx, tx, changes...)
	})
	return ids, err
}
