package db

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"notechondria-auth/app"
)

const challengeColumns = `id_hash, user_id, ip_hash, user_agent, channels, first_factor,
	password_hash, failures, created_at, expires_at, done_at, device_number, device_choices, device_state`

// CreateChallenge inserts a pending sign-in.
func (db *DB) CreateChallenge(ctx context.Context, c *app.Challenge) error {
	return db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO login_challenges (`+challengeColumns+`)
			VALUES (?,?,?,?,?,?,?,?,?,?,NULL,'','','')`, c.IDHash, c.UserID, c.IPHash, c.UserAgent,
			strings.Join(c.Channels, ","), c.FirstFactor, c.PasswordHash, c.Failures,
			micros(c.CreatedAt), micros(c.ExpiresAt))
		return err
	})
}

// ChallengeByHash returns a pending sign-in, live or not. ENOTFOUND.
func (db *DB) ChallengeByHash(ctx context.Context, idHash string) (*app.Challenge, error) {
	c, err := scanChallenge(db.rd.QueryRowContext(ctx, `SELECT `+challengeColumns+` FROM login_challenges
		WHERE id_hash = ?`, idHash))
	if err != nil {
		return nil, translate(err)
	}
	return c, nil
}

// scanChallenge reads one row of challengeColumns.
func scanChallenge(row interface{ Scan(...any) error }) (*app.Challenge, error) {
	c := &app.Challenge{}
	var channels, choices string
	var created, expires int64
	var done sql.NullInt64
	if err := row.Scan(&c.IDHash, &c.UserID, &c.IPHash, &c.UserAgent, &channels,
		&c.FirstFactor, &c.PasswordHash, &c.Failures, &created, &expires, &done,
		&c.DeviceNumber, &choices, &c.DeviceState); err != nil {
		return nil, err
	}
	if channels != "" {
		c.Channels = strings.Split(channels, ",")
	}
	if choices != "" {
		c.DeviceChoices = strings.Split(choices, ",")
	}
	c.CreatedAt, c.ExpiresAt, c.DoneAt = fromMicros(created), fromMicros(expires), fromNullMicros(done)
	return c, nil
}

// FailChallenge counts one wrong answer and returns the failures so far.
// ENOTFOUND.
func (db *DB) FailChallenge(ctx context.Context, idHash string) (int, error) {
	var n int
	err := db.write(ctx, func(tx *txn) error {
		return tx.QueryRowContext(ctx, `UPDATE login_challenges SET failures = failures + 1
			WHERE id_hash = ? RETURNING failures`, idHash).Scan(&n)
	})
	return n, err
}

// CompleteChallenge spends a live challenge and step in one transaction.
// ENOTFOUND when the challenge is spent, expired (strictly after
// expires_at) or failed out; step's own errors leave both unspent.
func (db *DB) CompleteChallenge(ctx context.Context, idHash string, step app.SecondStep) error {
	return db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE login_challenges SET done_at = ?
			WHERE id_hash = ? AND user_id = ? AND done_at IS NULL AND expires_at >= ? AND failures < ?`,
			micros(step.Now), idHash, step.UserID, micros(step.Now), app.ChallengeMaxFailures)
		if n, err := rowsAffected(res, err); err != nil {
			return err
		} else if n == 0 {
			return &app.Error{Code: app.ENOTFOUND, Message: "Challenge not found."}
		}
		if step.DeviceApproval {
			return spendApproval(ctx, tx, idHash)
		}
		return spendStep(ctx, tx, step)
	})
}

// MarkSessionFresh sets the session's authenticated_at and returns its key
// hash; other processes drop their cached copy. ENOTFOUND when the session
// is not the user's.
func (db *DB) MarkSessionFresh(ctx context.Context, userID, sessionID int64, now time.Time) (string, error) {
	var hash string
	err := db.write(ctx, func(tx *txn) error {
		if err := tx.QueryRowContext(ctx, `UPDATE sessions SET authenticated_at = ?
			WHERE id = ? AND user_id = ? RETURNING key_hash`, micros(now), sessionID, userID).Scan(&hash); err != nil {
			return err
		}
		return signal(ctx, tx, app.Change{Kind: app.ChangeSession, UserID: userID, KeyHash: hash})
	})
	return hash, err
}

// SweepChallenges deletes up to limit challenges, and up to limit WebAuthn
// ceremonies, that expired before before; it returns the larger count.
func (db *DB) SweepChallenges(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE id_hash IN (
			SELECT id_hash FROM login_challenges WHERE expires_at < ? LIMIT ?)`, micros(before), limit)
		if n, err = rowsAffected(res, err); err != nil {
			return err
		}
		m, err := sweepCeremonies(ctx, tx, before, limit)
		n = max(n, m)
		return err
	})
	return int(n), err
}
