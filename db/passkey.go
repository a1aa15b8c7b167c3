package db

import (
	"context"
	"database/sql"
	"time"

	"notechondria-auth/app"
)

// WebAuthnHandle returns the account's WebAuthn user handle, storing
// newHandle first when it has none; with newHandle "" it only reads
// (ENOTFOUND when there is none).
func (db *DB) WebAuthnHandle(ctx context.Context, userID int64, newHandle string) (string, error) {
	var handle string
	err := db.rd.QueryRowContext(ctx, `SELECT handle FROM webauthn_users WHERE user_id = ?`, userID).Scan(&handle)
	if err == nil {
		return handle, nil
	} else if err != sql.ErrNoRows || newHandle == "" {
		return "", translate(err)
	}
	err = db.write(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webauthn_users (user_id, handle) VALUES (?, ?)
			ON CONFLICT (user_id) DO NOTHING`, userID, newHandle); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT handle FROM webauthn_users WHERE user_id = ?`, userID).Scan(&handle)
	})
	return handle, err
}

// UserByWebAuthnHandle returns the account of a user handle. ENOTFOUND.
func (db *DB) UserByWebAuthnHandle(ctx context.Context, handle string) (int64, error) {
	var id int64
	if err := db.rd.QueryRowContext(ctx, `SELECT user_id FROM webauthn_users WHERE handle = ?`,
		handle).Scan(&id); err != nil {
		return 0, translate(err)
	}
	return id, nil
}

// Passkeys lists the account's passkeys, oldest first.
func (db *DB) Passkeys(ctx context.Context, userID int64) ([]*app.Passkey, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT id, user_id, credential_id, name, credential,
		created_at, last_used_at FROM passkeys WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*app.Passkey
	for rows.Next() {
		p := &app.Passkey{}
		var cred string
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&p.ID, &p.UserID, &p.CredentialID, &p.Name, &cred, &created, &used); err != nil {
			return nil, translate(err)
		}
		p.Credential, p.CreatedAt, p.LastUsedAt = []byte(cred), fromMicros(created), fromNullMicros(used)
		out = append(out, p)
	}
	return out, translate(rows.Err())
}

// AddPasskey inserts p and keeps users.second_factor. ECONFLICT when the
// credential id is taken or the account has app.MaxPasskeys.
func (db *DB) AddPasskey(ctx context.Context, p *app.Passkey) error {
	return db.write(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM passkeys WHERE user_id = ?`,
			p.UserID).Scan(&n); err != nil {
			return err
		}
		if n >= app.MaxPasskeys {
			return &app.Error{Code: app.ECONFLICT, Message: "Too many passkeys."}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO passkeys (user_id, credential_id, name,
			credential, created_at) VALUES (?,?,?,?,?) RETURNING id`, p.UserID, p.CredentialID, p.Name,
			string(p.Credential), micros(p.CreatedAt)).Scan(&p.ID); err != nil {
			return err
		}
		return syncSecondFactor(ctx, tx, p.UserID)
	})
}

// DeletePasskey removes one of the account's passkeys and keeps
// users.second_factor. ENOTFOUND.
func (db *DB) DeletePasskey(ctx context.Context, userID, id int64, _ time.Time) error {
	return db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = ? AND user_id = ?`, id, userID)
		if n, err := rowsAffected(res, err); err != nil {
			return err
		} else if n == 0 {
			return &app.Error{Code: app.ENOTFOUND, Message: "Passkey not found."}
		}
		return syncSecondFactor(ctx, tx, userID)
	})
}

// UsePasskey stores the credential record after an assertion and the time
// of use. ENOTFOUND.
func (db *DB) UsePasskey(ctx context.Context, userID int64, credentialID string, credential []byte, now time.Time) error {
	return db.write(ctx, func(tx *txn) error { return usePasskey(ctx, tx, userID, credentialID, credential, now) })
}

func usePasskey(ctx context.Context, tx *txn, userID int64, credentialID string, credential []byte, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE passkeys SET credential = ?, last_used_at = ?
		WHERE user_id = ? AND credential_id = ?`, string(credential), micros(now), userID, credentialID)
	if n, err := rowsAffected(res, err); err != nil {
		return err
	} else if n == 0 {
		return &app.Error{Code: app.ENOTFOUND, Message: "Passkey not found."}
	}
	return nil
}

// PutCeremony stores a ceremony, replacing one with the same id hash.
func (db *DB) PutCeremony(ctx context.Context, c *app.Ceremony) error {
	var user, sess any
	if c.UserID != 0 {
		user = c.UserID
	}
	if c.SessionID != 0 {
		sess = c.SessionID
	}
	return db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webauthn_ceremonies (id_hash, kind, user_id,
			session_id, ip_hash, user_agent, data, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?)
			ON CONFLICT (id_hash) DO UPDATE SET kind = excluded.kind, user_id = excluded.user_id,
			session_id = excluded.session_id, ip_hash = excluded.ip_hash,
			user_agent = excluded.user_agent, data = excluded.data,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
			c.IDHash, c.Kind, user, sess, c.IPHash, c.UserAgent, string(c.Data),
			micros(c.CreatedAt), micros(c.ExpiresAt))
		return err
	})
}

// TakeCeremony deletes and returns a live ceremony of kind. ENOTFOUND
// when there is none or it expired before now (an expired one is deleted
// too).
func (db *DB) TakeCeremony(ctx context.Context, idHash, kind string, now time.Time) (*app.Ceremony, error) {
	c := &app.Ceremony{}
	err := db.write(ctx, func(tx *txn) error {
		var user, sess sql.NullInt64
		var data string
		var created, expires int64
		if err := tx.QueryRowContext(ctx, `DELETE FROM webauthn_ceremonies WHERE id_hash = ? AND kind = ?
			RETURNING id_hash, kind, user_id, session_id, ip_hash, user_agent, data, created_at, expires_at`,
			idHash, kind).Scan(&c.IDHash, &c.Kind, &user, &sess, &c.IPHash, &c.UserAgent, &data,
			&created, &expires); err != nil {
			return err
		}
		c.UserID, c.SessionID, c.Data = user.Int64, sess.Int64, []byte(data)
		c.CreatedAt, c.ExpiresAt = fromMicros(created), fromMicros(expires)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if now.After(c.ExpiresAt) {
		return nil, &app.Error{Code: app.ENOTFOUND, Message: "Ceremony expired."}
	}
	return c, nil
}

// sweepCeremonies deletes up to limit ceremonies that expired before
// before (part of SweepChallenges).
func sweepCeremonies(ctx context.Context, tx *txn, before time.Time, limit int) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM webauthn_ceremonies WHERE id_hash IN (
		SELECT id_hash FROM webauthn_ceremonies WHERE expires_at < ? LIMIT ?)`, micros(before), limit)
	return rowsAffected(res, err)
}
