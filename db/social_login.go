package db

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"notechondria-auth/app"
)

// BindSocialAccount links (provider, uid) to a.UserID, replacing that user's
// previous link to the provider. ECONFLICT when another user has it.
func (db *DB) BindSocialAccount(ctx context.Context, a *app.SocialAccount) (bool, error) {
	var created bool
	err := db.write(ctx, func(tx *txn) error {
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM social_accounts WHERE provider = ? AND provider_uid = ?`,
			a.Provider, a.ProviderUID).Scan(&owner)
		if err == nil && owner != a.UserID {
			return &app.Error{Code: app.ECONFLICT, Message: "linked to another user"}
		} else if err != nil && err != sql.ErrNoRows {
			return err
		}
		var id int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM social_accounts WHERE user_id = ? AND provider = ?
			ORDER BY id LIMIT 1`, a.UserID, a.Provider).Scan(&id)
		switch {
		case err == sql.ErrNoRows:
			created = true
			return insertSocial(ctx, tx, a)
		case err != nil:
			return err
		}
		// Keep one row per user and provider: drop extra rows a login path
		// may have added, update the first.
		if _, err := tx.ExecContext(ctx, `DELETE FROM social_accounts WHERE user_id = ? AND provider = ? AND id != ?`,
			a.UserID, a.Provider, id); err != nil {
			return err
		}
		a.ID = id
		return scanInto(tx.QueryRowContext(ctx, `UPDATE social_accounts SET provider_uid = ?, email = ?, extra_data = ?
			WHERE id = ? RETURNING created_at`, a.ProviderUID, a.Email, a.ExtraData, id), a)
	})
	return created, err
}

func scanInto(row *sql.Row, a *app.SocialAccount) error {
	var created int64
	if err := row.Scan(&created); err != nil {
		return err
	}
	a.CreatedAt = fromMicros(created)
	return nil
}

func insertSocial(ctx context.Context, tx *txn, a *app.SocialAccount) error {
	if a.ExtraData == "" {
		a.ExtraData = "{}"
	}
	return tx.QueryRowContext(ctx, `INSERT INTO social_accounts (user_id, provider, provider_uid, email,
		extra_data, created_at) VALUES (?,?,?,?,?,?) RETURNING id`, a.UserID, a.Provider, a.ProviderUID, a.Email,
		a.ExtraData, micros(a.CreatedAt)).Scan(&a.ID)
}

// linkBySignIn links req's identity to the account userID, which the
// sign-in matched by its verified address or has just created. A link made
// by signing in is a link all the same: the owner's log shows it (issue
// 15), in this transaction.
func linkBySignIn(ctx context.Context, tx *txn, userID int64, req *app.SocialLogin) error {
	a := &app.SocialAccount{UserID: userID, Provider: req.Provider, ProviderUID: req.UID, Email: req.Email,
		ExtraData: req.ExtraData, CreatedAt: req.Now}
	if err := insertSocial(ctx, tx, a); err != nil {
		return err
	}
	if audit := app.AuditFrom(ctx); audit != nil {
		audit.Add(userID, app.EventOAuthLinked, map[string]any{"provider": req.Provider, "by": "sign_in"})
	}
	return nil
}

// ResolveSocialLogin finds or creates the account of an OAuth identity in
// one write transaction, so concurrent first logins make one account.
// ENOTFOUND when nothing matches and req.Register is false.
func (db *DB) ResolveSocialLogin(ctx context.Context, req *app.SocialLogin) (*app.User, error) {
	var u *app.User
	err := db.write(ctx, func(tx *txn) error {
		var userID int64
		err := tx.QueryRowContext(ctx, `UPDATE social_accounts SET extra_data = ? WHERE provider = ?
			AND provider_uid = ? RETURNING user_id`, req.ExtraData, req.Provider, req.UID).Scan(&userID)
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, `UPDATE users SET is_active = 1 WHERE id = ? AND disabled = 0`, userID); err != nil {
				return err
			}
		case err != sql.ErrNoRows:
			return err
		case req.Email != "" && req.EmailVerified:
			if userID, err = linkByEmail(ctx, tx, req); err != nil {
				return err
			}
		}
		if userID == 0 {
			if !req.Register {
				return &app.Error{Code: app.ENOTFOUND, Message: "not registered"}
			}
			// An address the provider does not vouch for must neither take
			// over the account that has it nor make a second account with it.
			if req.Email != "" && !req.EmailVerified {
				if taken, err := exists(ctx, tx, `SELECT 1 FROM users WHERE email = ? LIMIT 1`, req.Email); err != nil {
					return err
				} else if taken {
					return &app.Error{Code: app.EINVALID, Message: app.MsgOAuthEmailUnverified}
				}
			}
			if userID, err = createSocialUser(ctx, tx, req); err != nil {
				return err
			}
		}
		if u, err = db.oneUser(ctx, tx, `WHERE u.id = ?`, userID); err != nil {
			return err
		}
		return signal(ctx, tx, userChanged(userID))
	})
	return u, err
}

// linkByEmail links the identity to the account with the provider-verified
// email, if there is one. A pending account is activated without the
// password its unverified registrant chose.
func linkByEmail(ctx context.Context, tx *txn, req *app.SocialLogin) (int64, error) {
	u, err := userByEmail(ctx, tx, req.Email)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	if !u.IsActive && !u.Disabled {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET is_active = 1, password = ?, registration_contested = 0
			WHERE id = ?`, req.UnusablePassword, u.ID); err != nil {
			return 0, err
		}
	}
	return u.ID, linkBySignIn(ctx, tx, u.ID, req)
}

func createSocialUser(ctx context.Context, tx *txn, req *app.SocialLogin) (int64, error) {
	if gate, err := exists(ctx, tx, `SELECT 1 FROM invitation_codes LIMIT 1`); err != nil {
		return 0, err
	} else if gate {
		if req.InvitationHash == "" {
			return 0, &app.Error{Code: app.EINVALID, Fields: map[string]any{"invitation_code": app.MsgOAuthGate}}
		}
		if ok, err := consumeInvitation(ctx, tx, req.InvitationHash, req.Now); err != nil {
			return 0, err
		} else if !ok {
			return 0, &app.Error{Code: app.EINVALID, Fields: map[string]any{"invitation_code": app.MsgOAuthInvitationInvalid}}
		}
	}
	name, err := uniqueUsername(ctx, tx, usernameBase(req))
	if err != nil {
		return 0, err
	}
	u := app.NewUser(name, req.Email, req.Now)
	if req.APIBaseURL != "" {
		u.APIBaseURL = req.APIBaseURL
	}
	u.IsActive = true
	u.Password = req.UnusablePassword
	u.FirstName, u.LastName = req.FirstName, req.LastName
	if err := insertUser(ctx, tx, u); err != nil {
		return 0, err
	}
	return u.ID, linkBySignIn(ctx, tx, u.ID, req)
}

// usernameBase derives a valid username (the register regex) from the
// provider's data.
func usernameBase(req *app.SocialLogin) string {
	base := req.Username
	if base == "" && req.Email != "" {
		base, _, _ = strings.Cut(req.Email, "@")
	}
	base = regexp.MustCompile(`[^a-zA-Z0-9_-]+`).ReplaceAllString(base, "")
	if len(base) < 3 {
		base = req.Provider + "_user"
	}
	return base
}

// uniqueUsername returns base[:150], or base[:145] + "_N" for the first N
// not taken (case-insensitively).
func uniqueUsername(ctx context.Context, tx *txn, base string) (string, error) {
	name := base[:min(len(base), 150)]
	for i := 1; ; i++ {
		taken, err := exists(ctx, tx, `SELECT 1 FROM users WHERE username = ? LIMIT 1`, name)
		if err != nil || !taken {
			return name, err
		}
		name = fmt.Sprintf("%s_%d", base[:min(len(base), 145)], i)
	}
}
