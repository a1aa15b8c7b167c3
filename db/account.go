package db

import (
	"context"
	"database/sql"
	"time"

	"notechondria-auth/app"
)

// Register consumes the invitation, creates or updates the pending account
// and issues its code, in one transaction.
func (db *DB) Register(ctx context.Context, r *app.Registration) (*app.User, error) {
	var u *app.User
	err := db.write(ctx, func(tx *txn) error {
		if r.InvitationHash != "" {
			ok, err := consumeInvitation(ctx, tx, r.InvitationHash, r.Now)
			if err != nil {
				return err
			} else if !ok {
				return app.FieldError("invitation_code", app.MsgInvitationInvalid)
			}
		}
		existing, err := userByEmail(ctx, tx, r.Email)
		if r.Recheck && !staleOK(existing, err, r) {
			return errStaleRegistration
		}
		switch {
		case app.ErrorCode(err) == app.ENOTFOUND:
			u = app.NewUser(r.Username, r.Email, r.Now)
			if r.APIBaseURL != "" {
				u.APIBaseURL = r.APIBaseURL
			}
			u.Password = r.PasswordHash
			if err := insertUser(ctx, tx, u); err != nil {
				return usernameConflict(err)
			}
		case err != nil:
			return err
		case existing.IsActive || existing.Disabled:
			return app.FieldError("email", app.MsgEmailTaken)
		case r.SamePassword:
			// The same person again: take the new username, as the
			// original did.
			u = existing
			u.Username = r.Username
			if _, err := tx.ExecContext(ctx, `UPDATE users SET username = ? WHERE id = ?`,
				u.Username, u.ID); err != nil {
				return usernameConflict(translate(err))
			}
		default:
			// Somebody else chose another password for this pending email:
			// keep the account as it is and mark it contested.
			u = existing
			if _, err := tx.ExecContext(ctx, `UPDATE users SET registration_contested = 1 WHERE id = ?`,
				u.ID); err != nil {
				return err
			}
		}
		r.Code.UserID = u.ID
		if err := issueCode(ctx, tx, r.Code); err != nil {
			return err
		}
		return signal(ctx, tx, userChanged(u.ID))
	})
	return u, err
}

// errStaleRegistration tells the handler that the pending account changed
// after it compared passwords; it is the only ECONFLICT Register returns.
var errStaleRegistration = &app.Error{Code: app.ECONFLICT, Message: "The pending account changed during registration."}

// staleOK reports whether the account found in the transaction is the one
// the handler compared the password with (or there still is none).
func staleOK(existing *app.User, err error, r *app.Registration) bool {
	switch {
	case app.ErrorCode(err) == app.ENOTFOUND:
		return r.PendingID == 0
	case err != nil || existing.IsActive || existing.Disabled:
		return true // reported by the switch below
	}
	return existing.ID == r.PendingID && existing.Password == r.PendingHash
}

func usernameConflict(err error) error {
	if app.ErrorCode(err) == app.ECONFLICT {
		return app.FieldError("username", app.MsgUsernameTaken)
	}
	return err
}

// VerifyEmail spends a registration code and activates the pending account.
func (db *DB) VerifyEmail(ctx context.Context, email, codeHash string, maxAttempts int, now time.Time, unusablePassword string) (*app.User, error) {
	var u *app.User
	var missed bool
	err := db.write(ctx, func(tx *txn) error {
		c, err := consumeOrMiss(ctx, tx, email, app.CodeRegister, codeHash, 0, maxAttempts, now)
		if err != nil {
			return err
		} else if c == nil {
			missed = true
			tx.noChange() // a wrong try is counted; nothing the audit describes happened
			return nil    // commit the wrong try
		}
		var id int64
		var contested bool
		err = tx.QueryRowContext(ctx, `SELECT id, registration_contested FROM users
			WHERE email = ? AND is_active = 0 AND disabled = 0 ORDER BY id LIMIT 1`, email).Scan(&id, &contested)
		if err == sql.ErrNoRows {
			return app.NonFieldError(app.MsgNoPendingAccount)
		} else if err != nil {
			return err
		}
		if contested {
			_, err = tx.ExecContext(ctx, `UPDATE users SET is_active = 1, registration_contested = 0,
				password = ? WHERE id = ?`, unusablePassword, id)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE users SET is_active = 1 WHERE id = ?`, id)
		}
		if err != nil {
			return err
		}
		if u, err = db.oneUser(ctx, tx, `WHERE u.id = ?`, id); err != nil {
			return err
		}
		return signal(ctx, tx, userChanged(id))
	})
	if err == nil && missed {
		return nil, codeNotFound()
	}
	return u, err
}

// ResetPassword spends a reset code, sets the password and revokes every
// session of the account.
func (db *DB) ResetPassword(ctx context.Context, email, codeHash, passwordHash string, maxAttempts int, now time.Time) (*app.User, []string, error) {
	var u *app.User
	var revoked []string
	var missed bool
	err := db.write(ctx, func(tx *txn) error {
		c, err := consumeOrMiss(ctx, tx, app.FuncPasswordReset(email), app.CodeFunction, codeHash, 0, maxAttempts, now)
		if err != nil {
			return err
		} else if c == nil {
			missed = true
			tx.noChange() // a wrong try is counted; nothing the audit describes happened
			return nil
		}
		if u, err = userByEmail(ctx, tx, email); err != nil {
			if app.ErrorCode(err) == app.ENOTFOUND {
				return app.NonFieldError(app.MsgResetNoAccount)
			}
			return err
		}
		tx.noteSubject(u.ID)
		// The reset proves who owns the inbox, so a contested registration
		// (see Register) is settled: verification keeps this password.
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password = ?, registration_contested = 0
			WHERE id = ?`, passwordHash, u.ID); err != nil {
			return err
		}
		// A reset ends every credential but the new password: the API key,
		// every linked sign-in provider and every passkey go too (the owner
		// adds them again), so nothing an intruder added survives it.
		for _, q := range []string{`DELETE FROM api_keys WHERE user_id = ?`,
			`DELETE FROM social_accounts WHERE user_id = ?`, `DELETE FROM passkeys WHERE user_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, u.ID); err != nil {
				return err
			}
		}
		if err := syncSecondFactor(ctx, tx, u.ID); err != nil {
			return err
		}
		revoked, err = revokeUserSessions(ctx, tx, u.ID, 0, now)
		return err
	})
	if err == nil && missed {
		return nil, nil, codeNotFound()
	}
	return u, revoked, err
}

// ChangeEmail spends the user's change-email code for newEmail, sets the
// email and revokes the user's other sessions.
func (db *DB) ChangeEmail(ctx context.Context, userID, keepSessionID int64, newEmail, codeHash string, maxAttempts int, now time.Time) ([]string, error) {
	var revoked []string
	var missed bool
	err := db.write(ctx, func(tx *txn) error {
		c, err := consumeOrMiss(ctx, tx, app.FuncChangeEmail(newEmail), app.CodeFunction, codeHash, userID, maxAttempts, now)
		if err != nil {
			return err
		} else if c == nil {
			missed = true
			tx.noChange() // a wrong try is counted; nothing the audit describes happened
			return nil
		}
		if taken, err := exists(ctx, tx, `SELECT 1 FROM users WHERE email = ? AND id != ? LIMIT 1`, newEmail, userID); err != nil {
			return err
		} else if taken {
			return &app.Error{Code: app.ECONFLICT, Message: "Email in use."}
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET email = ? WHERE id = ?`, newEmail, userID)
		if err := mustAffect(res, err); err != nil {
			return err
		}
		revoked, err = revokeUserSessions(ctx, tx, userID, keepSessionID, now)
		return err
	})
	if err == nil && missed {
		return nil, codeNotFound()
	}
	return revoked, err
}
