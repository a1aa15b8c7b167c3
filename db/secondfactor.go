package db

import (
	"context"
	"database/sql"
	"time"

	"notechondria-auth/app"
)

// SecondFactors returns the account's second-factor state; the zero value
// (with UserID) when it never set one up.
func (db *DB) SecondFactors(ctx context.Context, userID int64) (*app.SecondFactors, error) {
	f := &app.SecondFactors{UserID: userID}
	var updated int64
	err := db.rd.QueryRowContext(ctx, `SELECT totp_secret, totp_confirmed, totp_last_step,
		confirm_new_sign_ins, updated_at FROM second_factors WHERE user_id = ?`, userID).
		Scan(&f.TOTPSecret, &f.TOTPConfirmed, &f.TOTPLastStep, &f.ConfirmNewSignIns, &updated)
	if err != nil && err != sql.ErrNoRows {
		return nil, translate(err)
	}
	f.UpdatedAt = fromMicros(updated)
	if err := db.rd.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM recovery_codes
		WHERE user_id = ?1 AND used_at IS NULL), (SELECT count(*) FROM passkeys WHERE user_id = ?1)`,
		userID).Scan(&f.RecoveryLeft, &f.Passkeys); err != nil {
		return nil, translate(err)
	}
	return f, nil
}

// ensureFactors makes the account's second_factors row exist.
func ensureFactors(ctx context.Context, tx *txn, userID int64, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO second_factors (user_id, updated_at) VALUES (?, ?)
		ON CONFLICT (user_id) DO NOTHING`, userID, micros(now))
	return err
}

// syncSecondFactor recomputes users.second_factor from the account's row
// and passkeys, and signals the user change (cached snapshots carry the
// flag).
func syncSecondFactor(ctx context.Context, tx *txn, userID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET second_factor = CASE
		WHEN EXISTS (SELECT 1 FROM second_factors WHERE user_id = ?1
			AND (totp_confirmed = 1 OR confirm_new_sign_ins = 1))
			OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = ?1) THEN 1 ELSE 0 END
		WHERE id = ?1`, userID); err != nil {
		return err
	}
	return signal(ctx, tx, userChanged(userID))
}

// BeginTOTP stores a sealed secret awaiting confirmation. ECONFLICT when
// TOTP is already on.
func (db *DB) BeginTOTP(ctx context.Context, userID int64, sealed string, now time.Time) error {
	return db.write(ctx, func(tx *txn) error {
		if err := ensureFactors(ctx, tx, userID, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE second_factors SET totp_secret = ?, updated_at = ?
			WHERE user_id = ? AND totp_confirmed = 0`, sealed, micros(now), userID)
		if n, _ := rowsAffected(res, err); err == nil && n == 0 {
			return &app.Error{Code: app.ECONFLICT, Message: "TOTP is already on."}
		}
		return err
	})
}

// ConfirmTOTP turns the pending secret on and replaces the recovery codes.
// ENOTFOUND: no pending setup; ECONFLICT: already on.
func (db *DB) ConfirmTOTP(ctx context.Context, userID, step int64, recoveryHashes []string, now time.Time) error {
	return db.write(ctx, func(tx *txn) error {
		var secret string
		var confirmed bool
		err := tx.QueryRowContext(ctx, `SELECT totp_secret, totp_confirmed FROM second_factors
			WHERE user_id = ?`, userID).Scan(&secret, &confirmed)
		if err == sql.ErrNoRows || (err == nil && secret == "") {
			return &app.Error{Code: app.ENOTFOUND, Message: "No TOTP setup is pending."}
		} else if err != nil {
			return err
		}
		if confirmed {
			return &app.Error{Code: app.ECONFLICT, Message: "TOTP is already on."}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE second_factors SET totp_confirmed = 1,
			totp_last_step = ?, updated_at = ? WHERE user_id = ?`, step, micros(now), userID); err != nil {
			return err
		}
		if err := replaceRecovery(ctx, tx, userID, recoveryHashes, now); err != nil {
			return err
		}
		return syncSecondFactor(ctx, tx, userID)
	})
}

// DisableTOTP removes the secret and the recovery codes (they back up the
// authenticator app and go with it).
func (db *DB) DisableTOTP(ctx context.Context, userID int64, now time.Time) error {
	return db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE second_factors SET totp_secret = '', totp_confirmed = 0,
			updated_at = ? WHERE user_id = ? AND totp_confirmed = 1`, micros(now), userID)
		if n, err := rowsAffected(res, err); err != nil {
			return err
		} else if n == 0 {
			tx.noChange() // no authenticator app was on
		}
		if _, err := tx.ExecContext(ctx, `UPDATE second_factors SET totp_secret = '', updated_at = ?
			WHERE user_id = ?`, micros(now), userID); err != nil {
			return err
		}
		if err := replaceRecovery(ctx, tx, userID, nil, now); err != nil {
			return err
		}
		return syncSecondFactor(ctx, tx, userID)
	})
}

// ReplaceRecoveryCodes replaces every recovery code of the account.
func (db *DB) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string, now time.Time) error {
	return db.write(ctx, func(tx *txn) error { return replaceRecovery(ctx, tx, userID, hashes, now) })
}

func replaceRecovery(ctx context.Context, tx *txn, userID int64, hashes []string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash, created_at)
			VALUES (?,?,?)`, userID, h, micros(now)); err != nil {
			return err
		}
	}
	return nil
}

// SetConfirmNewSignIns turns "confirm new sign-ins" on or off.
func (db *DB) SetConfirmNewSignIns(ctx context.Context, userID int64, on bool, now time.Time) error {
	return db.write(ctx, func(tx *txn) error {
		if err := ensureFactors(ctx, tx, userID, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE second_factors SET confirm_new_sign_ins = ?,
			updated_at = ? WHERE user_id = ? AND confirm_new_sign_ins != ?`, on, micros(now), userID, on)
		if n, err := rowsAffected(res, err); err != nil {
			return err
		} else if n == 0 {
			tx.noChange() // already so
		}
		return syncSecondFactor(ctx, tx, userID)
	})
}

// SpendSecondFactor spends a TOTP step, a recovery code or a passkey's
// assertion on its own (a step-up). ECONFLICT: a TOTP replay; ENOTFOUND: no
// such recovery code or passkey.
func (db *DB) SpendSecondFactor(ctx context.Context, step app.SecondStep) error {
	return db.write(ctx, func(tx *txn) error { return spendStep(ctx, tx, step) })
}

// spendStep spends what step names, or fails without writing.
func spendStep(ctx context.Context, tx *txn, step app.SecondStep) error {
	switch {
	case step.TOTPStep > 0:
		res, err := tx.ExecContext(ctx, `UPDATE second_factors SET totp_last_step = ?
			WHERE user_id = ? AND totp_confirmed = 1 AND totp_last_step < ?`,
			step.TOTPStep, step.UserID, step.TOTPStep)
		if n, _ := rowsAffected(res, err); err == nil && n == 0 {
			return &app.Error{Code: app.ECONFLICT, Message: "This TOTP code was already used."}
		}
		return err
	case step.RecoveryHash != "":
		res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ?
			WHERE id = (SELECT id FROM recovery_codes WHERE user_id = ? AND code_hash = ?
				AND used_at IS NULL ORDER BY id LIMIT 1)`, micros(step.Now), step.UserID, step.RecoveryHash)
		if n, _ := rowsAffected(res, err); err == nil && n == 0 {
			return &app.Error{Code: app.ENOTFOUND, Message: "No such recovery code."}
		}
		return err
	case step.PasskeyCredentialID != "":
		return usePasskey(ctx, tx, step.UserID, step.PasskeyCredentialID, step.PasskeyCredential, step.Now)
	case step.EmailCodeHash != "":
		c, err := consumeOrMiss(ctx, tx, step.EmailFunction, app.CodeFunction, step.EmailCodeHash,
			step.UserID, step.MaxAttempts, step.Now)
		if err == nil && c == nil {
			return codeNotFound()
		}
		return err
	}
	return &app.Error{Code: app.EINVALID, Message: "No second step given."}
}

// rowsAffected is res.RowsAffected after a successful Exec.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
