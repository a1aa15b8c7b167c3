package db

import (
	"context"
	"database/sql"
	"time"

	"notechondria-auth/app"
)

var _ app.OutboxStore = (*DB)(nil)

// ClaimOutbox leases up to limit due rows until now+lease, in one write
// transaction: under the write lock (PostgreSQL) or the single writer
// (SQLite) no two servers claim one row while its lease holds.
func (db *DB) ClaimOutbox(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]app.OutboxItem, error) {
	// Most polls find nothing: look on the read pool before taking the
	// write lock.
	var one int
	err := db.r.QueryRowContext(ctx, `SELECT 1 FROM webhook_outbox WHERE next_at <= ? AND claimed_until <= ? LIMIT 1`,
		micros(now), micros(now)).Scan(&one)
	if err == sql.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, translate(err)
	}
	var out []app.OutboxItem
	err = db.write(ctx, func(tx *txn) error {
		rows, err := tx.QueryContext(ctx, `UPDATE webhook_outbox SET claimed_until = ?, attempts = attempts + 1
			WHERE seq IN (SELECT seq FROM webhook_outbox WHERE next_at <= ? AND claimed_until <= ?
				ORDER BY seq LIMIT ?)
			RETURNING seq, event_id, body, created_at, attempts`, micros(now.Add(lease)), micros(now), micros(now), limit)
		out, err = collect(rows, err, func(row scanner, _ ...any) (app.OutboxItem, error) {
			var it app.OutboxItem
			var body string
			var created int64
			err := row.Scan(&it.Seq, &it.EventID, &body, &created, &it.Attempts)
			it.Body, it.CreatedAt = []byte(body), fromMicros(created)
			return it, err
		})
		return err
	})
	return out, err
}

// FinishOutbox removes a delivered or abandoned row.
func (db *DB) FinishOutbox(ctx context.Context, seq int64) error {
	return db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM webhook_outbox WHERE seq = ?`, seq)
		return err
	})
}

// RetryOutbox releases a row for another attempt at next.
func (db *DB) RetryOutbox(ctx context.Context, seq int64, next time.Time, lastError string) error {
	return db.write(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhook_outbox SET next_at = ?, claimed_until = 0, last_error = ?
			WHERE seq = ?`, micros(next), app.TruncateRunes(lastError, 500), seq)
		return err
	})
}

// OutboxPending counts the rows owed and returns the oldest's time.
func (db *DB) OutboxPending(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM webhook_outbox`).Scan(&n, &oldest)
	if err != nil {
		return 0, time.Time{}, translate(err)
	}
	return n, fromMicros(oldest.Int64), nil
}
