package db

import (
	"context"
	"strings"
	"time"

	"notechondria-auth/app"
)

// StartDeviceChallenge sets the number and choices of a live, unanswered
// challenge's "device" step. ENOTFOUND.
func (db *DB) StartDeviceChallenge(ctx context.Context, idHash, number string, choices []string, now time.Time) error {
	return db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE login_challenges SET device_number = ?, device_choices = ?
			WHERE id_hash = ? AND device_state = '' AND done_at IS NULL AND expires_at >= ? AND failures < ?`,
			number, strings.Join(choices, ","), idHash, micros(now), app.ChallengeMaxFailures)
		return oneRow(res, err)
	})
}

// PendingDeviceChallenges lists the user's live challenges whose "device"
// step was started and not answered, oldest first.
func (db *DB) PendingDeviceChallenges(ctx context.Context, userID int64, now time.Time) ([]*app.Challenge, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+challengeColumns+` FROM login_challenges
		WHERE user_id = ? AND device_number <> '' AND device_state = '' AND done_at IS NULL
			AND expires_at >= ? AND failures < ?
		ORDER BY created_at, id_hash`, userID, micros(now), app.ChallengeMaxFailures)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*app.Challenge
	for rows.Next() {
		c, err := scanChallenge(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, c)
	}
	return out, translate(rows.Err())
}

// AnswerDeviceChallenge records the answer of a signed-in device on the
// user's live, started, unanswered challenge. ENOTFOUND.
func (db *DB) AnswerDeviceChallenge(ctx context.Context, userID int64, idHash, state string, now time.Time) error {
	return db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE login_challenges SET device_state = ?
			WHERE id_hash = ? AND user_id = ? AND device_number <> '' AND device_state = ''
				AND done_at IS NULL AND expires_at >= ? AND failures < ?`,
			state, idHash, userID, micros(now), app.ChallengeMaxFailures)
		return oneRow(res, err)
	})
}

// spendApproval requires the challenge (being spent in tx) to carry a
// device approval. ENOTFOUND.
func spendApproval(ctx context.Context, tx *txn, idHash string) error {
	res, err := tx.ExecContext(ctx, `UPDATE login_challenges SET device_state = ?
		WHERE id_hash = ? AND device_state = ?`, app.DeviceApproved+":used", idHash, app.DeviceApproved)
	return oneRow(res, err)
}

// oneRow is ENOTFOUND when an update changed no row.
func oneRow(res interface{ RowsAffected() (int64, error) }, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return &app.Error{Code: app.ENOTFOUND, Message: "Challenge not found."}
	}
	return nil
}
