package db

import (
	"context"

	"notechondria-auth/app"
)

const socialColumns = `id, user_id, provider, provider_uid, email, extra_data, created_at`

func scanSocial(row scanner) (*app.SocialAccount, error) {
	a := &app.SocialAccount{}
	var created int64
	if err := row.Scan(&a.ID, &a.UserID, &a.Provider, &a.ProviderUID, &a.Email, &a.ExtraData, &created); err != nil {
		return nil, translate(err)
	}
	a.CreatedAt = fromMicros(created)
	return a, nil
}

// SocialAccountsByUser lists a user's links, oldest first.
func (db *DB) SocialAccountsByUser(ctx context.Context, userID int64) ([]*app.SocialAccount, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT `+socialColumns+` FROM social_accounts
		WHERE user_id = ? ORDER BY id`, userID)
	return collect(rows, err, func(row scanner, _ ...any) (*app.SocialAccount, error) { return scanSocial(row) })
}

// SocialAccountByUID finds the link of a provider identity. ENOTFOUND.
func (db *DB) SocialAccountByUID(ctx context.Context, provider, uid string) (*app.SocialAccount, error) {
	return scanSocial(db.rd.QueryRowContext(ctx, `SELECT `+socialColumns+` FROM social_accounts
		WHERE provider = ? AND provider_uid = ?`, provider, uid))
}

// msgUnlinkLastMethod refuses to unlink the only way left to sign in.

// DeleteSocialAccounts removes a user's links to provider and returns how
// many went (0: none existed). It refuses, with an EINVALID {"detail"}
// error and nothing deleted, when the user has no usable password and no
// link to another provider would remain: the check and the delete share one
// transaction, so two concurrent unlinks cannot both pass it.
func (db *DB) DeleteSocialAccounts(ctx context.Context, userID int64, provider string) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM social_accounts WHERE user_id = ? AND provider = ?`, userID, provider)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			tx.noChange()
			return err
		}
		// Django's unusable marker starts with "!"; an empty hash never matches.
		stranded, err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = ? AND (password = '' OR password LIKE '!%')
			AND NOT EXISTS (SELECT 1 FROM social_accounts WHERE user_id = users.id)`, userID)
		if err != nil {
			return err
		}
		if stranded {
			n = 0
			return &app.Error{Code: app.EINVALID, Message: app.MsgUnlinkLastMethod}
		}
		return nil
	})
	return int(n), err
}
