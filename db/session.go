package db

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"notechondria-auth/app"
)

const sessionColumns = `s.id, s.user_id, s.key_hash, s.device_label, s.user_agent, s.ip_hash,
	s.created_at, s.last_seen_at, s.revoked_at, s.auth_methods, s.authenticated_at`

// collect scans every row of a query with scan; an empty result is an
// empty, non-nil slice.
func collect[T any](rows *sql.Rows, err error, scan func(scanner, ...any) (T, error)) ([]T, error) {
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, translate(rows.Err())
}

func scanSession(row scanner, extra ...any) (*app.Session, error) {
	s := &app.Session{}
	var created, seen int64
	var revoked, authAt sql.NullInt64
	var methods string
	dest := []any{&s.ID, &s.UserID, &s.KeyHash, &s.DeviceLabel, &s.UserAgent, &s.IPHash,
		&created, &seen, &revoked, &methods, &authAt}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, translate(err)
	}
	s.CreatedAt, s.LastSeenAt, s.RevokedAt = fromMicros(created), fromMicros(seen), fromNullMicros(revoked)
	setAuth(s, methods, authAt)
	return s, nil
}

// CreateSession inserts s and sets s.ID.
func (db *DB) CreateSession(ctx context.Context, s *app.Session) error {
	return db.write(ctx, func(tx *txn) error { return insertSession(ctx, tx, s) })
}

func insertSession(ctx context.Context, tx *txn, s *app.Session) error {
	if s.RequirePassword != "" {
		var stored string
		if err := tx.QueryRowContext(ctx, `SELECT password FROM users WHERE id = ?`, s.UserID).Scan(&stored); err != nil {
			return err
		}
		if stored != s.RequirePassword {
			return &app.Error{Code: app.ECONFLICT, Message: "The password changed during sign-in."}
		}
	}
	var authAt any
	if !s.AuthenticatedAt.IsZero() {
		authAt = micros(s.AuthenticatedAt)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO sessions (user_id, key_hash, device_label,
		user_agent, ip_hash, created_at, last_seen_at, auth_methods, authenticated_at)
		VALUES (?,?,?,?,?,?,?,?,?) RETURNING id`,
		s.UserID, s.KeyHash, s.DeviceLabel, s.UserAgent, s.IPHash, micros(s.CreatedAt), micros(s.LastSeenAt),
		strings.Join(s.AuthMethods, ","), authAt).Scan(&s.ID); err != nil {
		return err
	}
	tx.noteSession(s)
	return signal(ctx, tx, app.Change{Kind: app.ChangeList, UserID: s.UserID})
}

// SessionByKeyHash returns a session and the identity of its user with one
// indexed query. Only the user's ID, Username, Email, IsActive and Disabled
// are filled: this is the cache-miss path of every token check, and each
// column scanned costs (UserByID reads the whole profile). ENOTFOUND.
func (db *DB) SessionByKeyHash(ctx context.Context, keyHash string) (*app.Session, *app.User, error) {
	row := db.rd.QueryRowContext(ctx, `SELECT u.id, u.username, u.email, u.is_active, u.disabled,
		u.second_factor, s.id, s.key_hash, s.device_label, s.created_at, s.last_seen_at, s.revoked_at,
		s.auth_methods, s.authenticated_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.key_hash = ?`, keyHash)
	u, s := &app.User{}, &app.Session{}
	var created, seen int64
	var revoked, authAt sql.NullInt64
	var methods string
	if err := row.Scan(&u.ID, &u.Username, &u.Email, &u.IsActive, &u.Disabled, &u.SecondFactor,
		&s.ID, &s.KeyHash, &s.DeviceLabel, &created, &seen, &revoked, &methods, &authAt); err != nil {
		return nil, nil, translate(err)
	}
	s.UserID = u.ID
	s.CreatedAt, s.LastSeenAt, s.RevokedAt = fromMicros(created), fromMicros(seen), fromNullMicros(revoked)
	setAuth(s, methods, authAt)
	return s, u, nil
}

// ListSessions returns the user's live sessions, newest seen first.
func (db *DB) ListSessions(ctx context.Context, userID int64, idleAfter, createdAfter time.Time) ([]*app.Session, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = ? AND s.revoked_at IS NULL AND s.last_seen_at > ? AND s.created_at > ?
		ORDER BY s.last_seen_at DESC, s.id DESC`, userID, micros(idleAfter), micros(createdAfter))
	return collect(rows, err, scanSession)
}

// CountSessions counts the user's live sessions other than those in
// exclude.
func (db *DB) CountSessions(ctx context.Context, userID int64, exclude []int64, idleAfter, createdAfter time.Time) (int, error) {
	var n int
	q := `SELECT count(*) FROM sessions WHERE user_id = ? AND revoked_at IS NULL
		AND last_seen_at > ? AND created_at > ?`
	args := []any{userID, micros(idleAfter), micros(createdAfter)}
	if len(exclude) > 0 {
		q += ` AND id NOT IN (` + placeholders(len(exclude)) + `)`
		for _, id := range exclude {
			args = append(args, id)
		}
	}
	if len(exclude) <= 1 { // the common shape: worth a prepared statement
		return n, translate(db.rd.QueryRowContext(ctx, q, args...).Scan(&n))
	}
	return n, translate(db.r.QueryRowContext(ctx, q, args...).Scan(&n))
}

// RevokeSession revokes one of the user's sessions (idempotent) and returns
// its key hash. ENOTFOUND when the session is not the user's.
func (db *DB) RevokeSession(ctx context.Context, userID, sessionID int64, now time.Time) (string, error) {
	var hash string
	err := db.write(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `SELECT key_hash FROM sessions WHERE id = ? AND user_id = ?`,
			sessionID, userID).Scan(&hash); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
			micros(now), sessionID)
		if n, err := rowsAffected(res, err); err != nil {
			return err
		} else if n > 0 {
			tx.noteRevoked(userID, sessionID)
		}
		return signal(ctx, tx, app.Change{Kind: app.ChangeSession, UserID: userID, KeyHash: hash})
	})
	return hash, err
}

// RevokeUserSessions revokes the user's non-revoked sessions except exceptID.
func (db *DB) RevokeUserSessions(ctx context.Context, userID, exceptID int64, now time.Time) ([]string, error) {
	var hashes []string
	err := db.write(ctx, func(tx *txn) (err error) {
		hashes, err = revokeUserSessions(ctx, tx, userID, exceptID, now)
		return err
	})
	return hashes, err
}

func revokeUserSessions(ctx context.Context, tx *txn, userID, exceptID int64, now time.Time) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id != ?
		AND revoked_at IS NULL RETURNING id, key_hash`, micros(now), userID, exceptID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	hashes := []string{}
	var ids []int64
	for rows.Next() {
		var id int64
		var h string
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		hashes, ids = append(hashes, h), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	tx.noteRevoked(userID, ids...)
	// One row for the lot: other processes drop all of the user's entries.
	return hashes, signal(ctx, tx, userChanged(userID))
}

// RevokeAllSessions revokes every non-revoked session; returns the count.
func (db *DB) RevokeAllSessions(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL
			RETURNING id, user_id`, micros(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, userID int64
			if err := rows.Scan(&id, &userID); err != nil {
				return err
			}
			tx.noteRevoked(userID, id)
			n++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return signal(ctx, tx, app.Change{Kind: app.ChangeAll})
	})
	return int(n), err
}

// TouchSessions persists last-seen times in one transaction. A value never
// moves last_seen_at backwards.
func (db *DB) TouchSessions(ctx context.Context, seen map[int64]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	return db.write(ctx, func(tx *txn) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE sessions SET last_seen_at = ?
			WHERE id = ? AND last_seen_at < ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for id, t := range seen {
			if _, err := stmt.ExecContext(ctx, micros(t), id, micros(t)); err != nil {
				return err
			}
		}
		return nil
	})
}

// SweepSessions deletes up to limit dead sessions: revoked, idle since
// before idleBefore, or created before createdBefore. The candidates are
// found through indexes on the read pool, so the write lock is held only for
// the DELETE of at most limit rows.
func (db *DB) SweepSessions(ctx context.Context, idleBefore, createdBefore time.Time, limit int) (int, error) {
	rows, err := db.rd.QueryContext(ctx, `
		SELECT id FROM (SELECT id FROM sessions WHERE revoked_at IS NOT NULL LIMIT ?1) AS r
		UNION SELECT id FROM (SELECT id FROM sessions WHERE created_at < ?3 LIMIT ?1) AS c
		UNION SELECT id FROM (SELECT id FROM sessions WHERE last_seen_at < ?2 LIMIT ?1) AS i
		LIMIT ?1`, limit, micros(idleBefore), micros(createdBefore))
	if err != nil {
		return 0, translate(err)
	}
	ids := make([]any, 0, limit)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, translate(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return 0, translate(err)
	}
	var n int64
	err = db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id IN (`+placeholders(len(ids))+`)`, ids...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// placeholders returns "?,?,?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// CountActiveSessions counts live sessions of all users.
func (db *DB) CountActiveSessions(ctx context.Context, idleAfter, createdAfter time.Time) (int, error) {
	var n int
	err := db.rd.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE revoked_at IS NULL
		AND last_seen_at > ? AND created_at > ?`, micros(idleAfter), micros(createdAfter)).Scan(&n)
	return n, translate(err)
}

// SessionsByIDs returns the user's sessions among ids.
func (db *DB) SessionsByIDs(ctx context.Context, userID int64, ids []int64) ([]*app.Session, error) {
	out := []*app.Session{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{userID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = ? AND s.id IN (`+placeholders(len(ids))+`)`, args...)
	return collect(rows, err, scanSession)
}

// setAuth fills how the session was authenticated from its stored columns.
func setAuth(s *app.Session, methods string, authAt sql.NullInt64) {
	if methods != "" {
		s.AuthMethods = strings.Split(methods, ",")
	}
	if authAt.Valid {
		s.AuthenticatedAt = fromMicros(authAt.Int64)
	}
}
