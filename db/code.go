package db

import (
	"context"
	"time"

	"notechondria-auth/app"
)

const codeColumns = `id, code_hash, usage, function, COALESCE(user_id, 0), max_use, attempts, created_at, expire_at`

func scanCode(row scanner) (*app.Code, error) {
	c := &app.Code{}
	var created, expire int64
	if err := row.Scan(&c.ID, &c.CodeHash, &c.Usage, &c.Function, &c.UserID, &c.MaxUse,
		&c.Attempts, &created, &expire); err != nil {
		return nil, translate(err)
	}
	c.CreatedAt, c.ExpireAt = fromMicros(created), fromMicros(expire)
	return c, nil
}

// IssueCode invalidates the live codes of c.Function/c.Usage and inserts c.
func (db *DB) IssueCode(ctx context.Context, c *app.Code) error {
	return db.write(ctx, func(tx *txn) error { return issueCode(ctx, tx, c) })
}

// issueCode invalidates the earlier live codes of c.Function/c.Usage and
// inserts c. A code bound to a user only invalidates that user's codes (and
// unbound ones): two users may have asked to move to the same new address
// (change_email:<email>), and one of them must not be able to cancel the
// other's code by asking again.
func issueCode(ctx context.Context, tx *txn, c *app.Code) error {
	if _, err := tx.ExecContext(ctx, `UPDATE verification_codes SET max_use = 0
		WHERE function = ? AND usage = ? AND max_use > 0
		AND (? = 0 OR user_id IS NULL OR user_id = ?)`, c.Function, c.Usage, c.UserID, c.UserID); err != nil {
		return err
	}
	var uid any
	if c.UserID != 0 {
		uid = c.UserID
	}
	return tx.QueryRowContext(ctx, `INSERT INTO verification_codes (code_hash, usage, function,
		user_id, max_use, attempts, created_at, expire_at) VALUES (?,?,?,?,?,0,?,?) RETURNING id`,
		c.CodeHash, c.Usage, c.Function, uid, c.MaxUse, micros(c.CreatedAt), micros(c.ExpireAt)).Scan(&c.ID)
}

// ConsumeCode spends a live matching code atomically, or records a wrong
// try (committed) and returns ENOTFOUND.
func (db *DB) ConsumeCode(ctx context.Context, function, usage, codeHash string, userID int64, maxAttempts int, now time.Time) (*app.Code, error) {
	var c *app.Code
	err := db.write(ctx, func(tx *txn) (err error) {
		c, err = consumeOrMiss(ctx, tx, function, usage, codeHash, userID, maxAttempts, now)
		return err
	})
	if err == nil && c == nil {
		return nil, codeNotFound()
	}
	return c, err
}

func codeNotFound() error { return &app.Error{Code: app.ENOTFOUND, Message: "Code not found."} }

// consumeOrMiss spends the code or records a wrong try. It returns (nil, nil)
// on a miss.
func consumeOrMiss(ctx context.Context, tx *txn, function, usage, codeHash string, userID int64, maxAttempts int, now time.Time) (*app.Code, error) {
	row := tx.QueryRowContext(ctx, `UPDATE verification_codes SET max_use = 0
		WHERE id = (SELECT id FROM verification_codes WHERE function = ? AND usage = ?
			AND code_hash = ? AND max_use > 0 AND expire_at > ? AND (? = 0 OR user_id = ?)
			ORDER BY id DESC LIMIT 1)
		RETURNING `+codeColumns, function, usage, codeHash, micros(now), userID, userID)
	c, err := scanCode(row)
	if err == nil {
		return c, nil
	}
	if app.ErrorCode(err) != app.ENOTFOUND {
		return nil, err
	}
	// A wrong guess: count it against every live code of this function that
	// the caller could have been guessing (the same filter as above: with
	// userID, only that user's codes, so one user cannot kill another's
	// change-email code), and kill the codes that reached the limit.
	if maxAttempts > 0 {
		_, err = tx.ExecContext(ctx, `UPDATE verification_codes SET attempts = attempts + 1,
			max_use = CASE WHEN attempts + 1 >= ? THEN 0 ELSE max_use END
			WHERE function = ? AND usage = ? AND max_use > 0 AND expire_at > ?
			AND (? = 0 OR user_id = ?)`,
			maxAttempts, function, usage, micros(now), userID, userID)
	}
	return nil, err
}

// LatestCode returns the newest live code of function/usage expiring after
// expiresAfter. ENOTFOUND.
func (db *DB) LatestCode(ctx context.Context, function, usage string, expiresAfter time.Time) (*app.Code, error) {
	return scanCode(db.rd.QueryRowContext(ctx, `SELECT `+codeColumns+` FROM verification_codes
		WHERE function = ? AND usage = ? AND max_use > 0 AND expire_at > ?
		ORDER BY expire_at DESC LIMIT 1`, function, usage, micros(expiresAfter)))
}

// SweepCodes deletes up to limit codes that are spent or expired before
// before.
func (db *DB) SweepCodes(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM verification_codes WHERE id IN (
			SELECT id FROM verification_codes WHERE max_use <= 0 OR expire_at < ? LIMIT ?)`,
			micros(before), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
