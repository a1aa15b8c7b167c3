package db

import (
	"context"
	"database/sql"
	"time"

	"notechondria-auth/app"
)

// CreateActionToken stores a mailed link's token hash.
func (db *DB) CreateActionToken(ctx context.Context, t *app.ActionToken) error {
	return db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO action_tokens (token_hash, user_id, purpose, session_id,
			data, created_at, expires_at) VALUES (?,?,?,?,?,?,?)`, t.Hash, t.UserID, t.Purpose, t.SessionID,
			t.Data, micros(t.CreatedAt), micros(t.ExpiresAt))
		return err
	})
}

// ActionTokenByHash returns a token, live or not. ENOTFOUND.
func (db *DB) ActionTokenByHash(ctx context.Context, hash string) (*app.ActionToken, error) {
	return actionToken(ctx, db.r, hash)
}

func actionToken(ctx context.Context, q queryer, hash string) (*app.ActionToken, error) {
	t := &app.ActionToken{}
	var created, expires int64
	var used sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT token_hash, user_id, purpose, session_id, data, created_at,
		expires_at, used_at FROM action_tokens WHERE token_hash = ?`, hash).Scan(&t.Hash, &t.UserID,
		&t.Purpose, &t.SessionID, &t.Data, &created, &expires, &used)
	if err != nil {
		return nil, translate(err)
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMicros(created), fromMicros(expires), fromNullMicros(used)
	return t, nil
}

// RedeemActionToken spends a live token with its effect, in one
// transaction: every session of the account revoked and, for an email
// dispute, the old address put back.
func (db *DB) RedeemActionToken(ctx context.Context, hash, purpose string, now time.Time) (*app.ActionToken, *app.User, []string, error) {
	var t *app.ActionToken
	var u *app.User
	var revoked []string
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE action_tokens SET used_at = ? WHERE token_hash = ?
			AND purpose = ? AND used_at IS NULL AND expires_at >= ?`, micros(now), hash, purpose, micros(now))
		if n, err := rowsAffected(res, err); err != nil {
			return err
		} else if n == 0 {
			return &app.Error{Code: app.ENOTFOUND, Message: "No such live link."}
		}
		if t, err = actionToken(ctx, tx, hash); err != nil {
			return err
		}
		tx.noteSubject(t.UserID)
		if purpose == app.TokenEmailDispute {
			if taken, err := exists(ctx, tx, `SELECT 1 FROM users WHERE email = ? AND id != ? LIMIT 1`,
				t.Data, t.UserID); err != nil {
				return err
			} else if taken {
				return &app.Error{Code: app.ECONFLICT, Message: "Email in use."}
			}
			res, err := tx.ExecContext(ctx, `UPDATE users SET email = ? WHERE id = ?`, t.Data, t.UserID)
			if err := mustAffect(res, err); err != nil {
				return err
			}
			if err := signal(ctx, tx, userChanged(t.UserID)); err != nil {
				return err
			}
		}
		if revoked, err = revokeUserSessions(ctx, tx, t.UserID, 0, now); err != nil {
			return err
		}
		u, err = db.oneUser(ctx, tx, `WHERE u.id = ?`, t.UserID)
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return t, u, revoked, nil
}

// SweepActionTokens deletes up to limit tokens that expired before before.
func (db *DB) SweepActionTokens(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM action_tokens WHERE token_hash IN (
			SELECT token_hash FROM action_tokens WHERE expires_at < ? LIMIT ?)`, micros(before), limit)
		n, err = rowsAffected(res, err)
		return err
	})
	return int(n), err
}
