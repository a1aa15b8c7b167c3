package db

import (
	"context"

	"notechondria-auth/app"
)

// ImportUser inserts an account moved from another system with the id it
// had there (u.ID), disabled when u.Disabled, in one transaction.
// AUTOINCREMENT (SQLite) or the identity sequence, moved past it
// (PostgreSQL), then never hands that id, or any below it, to a new
// account. ECONFLICT when the id or the username is taken; EINVALID for an
// id below 1.
func (db *DB) ImportUser(ctx context.Context, u *app.User) error {
	if u.ID < 1 {
		return app.Errorf(app.EINVALID, "ImportUser: id %d", u.ID)
	}
	return db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, username, email, password, first_name,
			last_name, is_active, is_staff, is_superuser, date_joined, motto, social_link, image_url,
			editor_mode, theme_preset, theme_mode, api_base_url, app_settings_json,
			app_settings_updated_at, disabled) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			u.ID, u.Username, u.Email, u.Password, u.FirstName, u.LastName, u.IsActive, u.IsStaff,
			u.IsSuperuser, micros(u.DateJoined), u.Motto, u.SocialLink, u.ImageURL, u.EditorMode,
			u.ThemePreset, u.ThemeMode, u.APIBaseURL, u.AppSettingsJSON, nullMicros(u.AppSettingsUpdatedAt),
			u.Disabled)
		if err != nil || tx.d.engine != Postgres {
			return translate(err)
		}
		// An identity column does not notice explicit ids: move it past
		// them, or the next sign-up would collide with an imported id.
		_, err = tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('users', 'id'),
			GREATEST((SELECT max(id) FROM users), 1))`)
		return err
	})
}
