package db

import (
	"context"
	"database/sql"
	"time"

	"notechondria-auth/app"
)

// signal records changes for the change log of tx's transaction; write
// appends them just before the commit, so they commit (or roll back) with
// the write they describe: a process that dies right after its commit has
// already told every other process on the database.
func signal(_ context.Context, tx *txn, changes ...app.Change) error {
	tx.changes = append(tx.changes, changes...)
	return nil
}

// appendChanges writes tx's change-log rows (and, on PostgreSQL, wakes
// every replica's listener when the transaction commits).
func appendChanges(ctx context.Context, tx *txn) error {
	if len(tx.changes) == 0 {
		return nil
	}
	at := micros(time.Now())
	if tx.d.engine == Postgres {
		return appendChangesPostgres(ctx, tx, at)
	}
	for _, c := range tx.changes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cache_changes (kind, user_id, key_hash, at)
			VALUES (?,?,?,?)`, string(c.Kind), c.UserID, c.KeyHash, at); err != nil {
			return err
		}
	}
	return nil
}

// userChanged is the change of a user row (and of many of its sessions).
func userChanged(userID int64) app.Change { return app.Change{Kind: app.ChangeUser, UserID: userID} }

// LastChange returns the newest change's sequence number (0: none). On
// SQLite it reads AUTOINCREMENT's high-water mark, not max(seq): after the
// sweeper emptied the log, the next row continues from there, and a process
// that started in between must not take that for a gap. On PostgreSQL it is
// change_head's committed value.
func (db *DB) LastChange(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	err := db.rd.QueryRowContext(ctx, lastChangeQuery(db.d.engine)).Scan(&seq)
	return seq.Int64, translate(err)
}

// lastChangeQuery reads LastChange's value on engine e.
func lastChangeQuery(e Engine) string {
	if e == Postgres {
		return `SELECT seq FROM change_head`
	}
	return `SELECT max(s) FROM (SELECT max(seq) AS s FROM cache_changes
		UNION ALL SELECT seq FROM sqlite_sequence WHERE name = 'cache_changes') AS x`
}

// ChangesSince returns up to limit changes after seq after, oldest first.
func (db *DB) ChangesSince(ctx context.Context, after int64, limit int) ([]app.Change, error) {
	rows, err := db.rd.QueryContext(ctx, `SELECT seq, kind, user_id, key_hash, at FROM cache_changes
		WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	return collect(rows, err, func(row scanner, _ ...any) (app.Change, error) {
		var c app.Change
		var kind string
		var at int64
		if err := row.Scan(&c.Seq, &kind, &c.UserID, &c.KeyHash, &at); err != nil {
			return c, translate(err)
		}
		c.Kind, c.At = app.ChangeKind(kind), fromMicros(at)
		return c, nil
	})
}

// SweepChanges deletes up to limit changes written before before.
func (db *DB) SweepChanges(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM cache_changes WHERE seq IN
			(SELECT seq FROM cache_changes WHERE at < ? ORDER BY seq LIMIT ?)`, micros(before), limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
