package db

import (
	"context"
	"database/sql"
	"time"

	"notechondria-auth/app"
)

// CreateInvitation inserts inv. ECONFLICT when the code exists.
func (db *DB) CreateInvitation(ctx context.Context, inv *app.Invitation) error {
	return db.write(ctx, func(tx *txn) error {
		return tx.QueryRowContext(ctx, `INSERT INTO invitation_codes (code_hash, label, max_uses,
			times_used, expire_at, created_at) VALUES (?,?,?,?,?,?) RETURNING id`, inv.CodeHash, inv.Label,
			inv.MaxUses, inv.TimesUsed, nullMicros(inv.ExpireAt), micros(inv.CreatedAt)).Scan(&inv.ID)
	})
}

// InvitationGate reports whether any invitation row exists (expired and used
// up ones count, as in the original).
func (db *DB) InvitationGate(ctx context.Context) (bool, error) {
	return exists(ctx, db.rd, `SELECT 1 FROM invitation_codes LIMIT 1`)
}

// InvitationValid reports whether codeHash names a usable invitation.
func (db *DB) InvitationValid(ctx context.Context, codeHash string, now time.Time) (bool, error) {
	return exists(ctx, db.rd, `SELECT 1 FROM invitation_codes WHERE code_hash = ?
		AND times_used < max_uses AND (expire_at IS NULL OR expire_at >= ?)`, codeHash, micros(now))
}

// InvitationByHash returns an invitation (for tests and the CLI). ENOTFOUND.
func (db *DB) InvitationByHash(ctx context.Context, codeHash string) (*app.Invitation, error) {
	inv := &app.Invitation{}
	var expire sql.NullInt64
	var created int64
	err := db.rd.QueryRowContext(ctx, `SELECT id, code_hash, label, max_uses, times_used,
		expire_at, created_at FROM invitation_codes WHERE code_hash = ?`, codeHash).Scan(
		&inv.ID, &inv.CodeHash, &inv.Label, &inv.MaxUses, &inv.TimesUsed, &expire, &created)
	if err != nil {
		return nil, translate(err)
	}
	inv.ExpireAt, inv.CreatedAt = fromNullMicros(expire), fromMicros(created)
	return inv, nil
}

// consumeInvitation spends one use atomically; false when the code is not
// usable.
func consumeInvitation(ctx context.Context, tx *txn, codeHash string, now time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE invitation_codes SET times_used = times_used + 1
		WHERE code_hash = ? AND times_used < max_uses AND (expire_at IS NULL OR expire_at >= ?)`,
		codeHash, micros(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
