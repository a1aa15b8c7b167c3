package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"notechondria-auth/app"
)

// copyTable is one table Copy moves: its primary key (rows are read,
// hashed and compared in its order) and whether that key is an identity
// (PostgreSQL) / AUTOINCREMENT (SQLite) id whose high-water mark moves
// with the rows.
type copyTable struct {
	name, key string
	serial    bool
}

// copyTables are the tables Copy moves, parents first: every foreign key
// points up this list. Their columns are read from the schemas (see
// copyPlan), so a migration that adds a column to both engines needs no
// change here; a new table does, and until then Copy refuses to run.
func copyTables() []copyTable {
	return []copyTable{
		{"users", "id", true},
		{"sessions", "id", true},
		{"api_keys", "user_id", false},
		{"verification_codes", "id", true},
		{"invitation_codes", "id", true},
		{"social_accounts", "id", true},
		{"second_factors", "user_id", false},
		{"recovery_codes", "id", true},
		{"webauthn_users", "user_id", false},
		{"passkeys", "id", true},
		// The IP-hash key: without it every stored ip_hash changes meaning.
		{"server_secrets", "name", false},
		// The security log (issue 15): the events, the known devices (or
		// every next sign-in would look new), the mailed links and the
		// deliveries still owed.
		{"security_events", "seq", true},
		{"user_devices", "id", true},
		{"action_tokens", "token_hash", false},
		{"webhook_outbox", "seq", true},
	}
}

// notCopied reports the tables Copy leaves alone on purpose.
func notCopied(table string) bool {
	switch table {
	case "schema_migrations": // golang-migrate's own; Open wrote the target's
	case "cache_changes", "change_head": // the change log: see Copy
	case "meta": // SQLite only, empty since migration 2
	case "budgets": // PostgreSQL only: rate-limit state, minutes long; SQLite keeps it in memory
	case "login_challenges": // pending sign-ins, ten minutes long
	case "webauthn_ceremonies": // WebAuthn ceremonies, five minutes long
	default:
		return strings.HasPrefix(table, "sqlite_") // SQLite's own (sqlite_sequence)
	}
	return true
}

// CopyOptions tune Copy.
type CopyOptions struct {
	// DryRun runs the whole copy and its verification inside the target's
	// transaction, then rolls it back: nothing is written.
	DryRun bool
}

// CopyReport is what Copy did.
type CopyReport struct {
	// Tables are the copied tables in copy order, each verified.
	Tables []TableReport
	// LastChange is the source's change-log position; the target's
	// counter now continues from at least it.
	LastChange int64
}

// TableReport is one table as read from the source and read back from the
// target. The checksum is the hex SHA-256 of the rows in primary-key order,
// each value encoded by kind (integer, text, bytes, NULL), so it is
// computed the same way on both engines.
type TableReport struct {
	Table                    string
	Rows, TargetRows         int64
	Checksum, TargetChecksum string
	OK                       bool // same rows and checksum on both sides
	// HighWater is the largest id the source's counter handed out (0 for
	// tables without one); the target's counter continues after it.
	HighWater int64
}

// Copy copies every table of from into to, which must hold no data, in one
// transaction on to: foreign keys in order, ids kept, then each table read
// back and compared with the source (row count and checksum) before the
// commit. Any failure, a mismatch included, rolls everything back and
// leaves to as it was. The source is read in one snapshot.
//
// Ids keep their values, and each id's high-water mark moves too (SQLite's
// sqlite_sequence, PostgreSQL's identity sequence), so an id the source
// handed out and later deleted is never handed out again. The change log
// (cache_changes) is not copied: the target starts with empty caches and no
// process follows both databases. Its counter is set to at least the
// source's, so change numbers keep growing across the move and a process
// that remembers a position from the source cannot skip the target's first
// changes.
//
// Errors: ECONFLICT when to holds data (nothing is written); EINVALID when
// from and to are one database, or when either schema has a table or
// column this binary's table list does not know (a schema from another
// binary); a verification mismatch or a driver error otherwise, naming the
// table (the report is returned with what was compared so far).
func Copy(ctx context.Context, from, to *DB, o CopyOptions) (*CopyReport, error) {
	if sameDatabase(from, to) {
		return nil, app.Errorf(app.EINVALID, "the source and the target are the same database (%s)", to.path)
	}
	src, err := from.r.db.BeginTx(ctx, readSnapshot(from.d.engine))
	if err != nil {
		return nil, fmt.Errorf("db: read the source: %w", err)
	}
	defer src.Rollback()
	stx := &txn{tx: src, d: from.d}
	dst, err := to.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("db: write the target: %w", err)
	}
	defer dst.Rollback()
	dtx := &txn{tx: dst, d: to.d}
	if err := lockWrites(ctx, dtx); err != nil {
		return nil, fmt.Errorf("db: lock the target: %w", err)
	}
	plan, err := copyPlan(ctx, stx, dtx)
	if err != nil {
		return nil, err
	}
	if err := refuseData(ctx, dtx, plan); err != nil {
		return nil, err
	}
	rep := &CopyReport{}
	for _, t := range plan {
		tr, err := copyOne(ctx, stx, dtx, t)
		if err != nil {
			return rep, err
		}
		rep.Tables = append(rep.Tables, tr)
	}
	if bad := mismatches(rep.Tables); bad != "" {
		return rep, fmt.Errorf("db: verification failed (%s): nothing was written", bad)
	}
	if rep.LastChange, err = lastChange(ctx, stx); err != nil {
		return rep, fmt.Errorf("db: read the source's change log: %w", err)
	}
	if o.DryRun {
		return rep, nil // the deferred Rollback undoes everything
	}
	// Last, because PostgreSQL's setval outlives a rollback: nothing can
	// fail after it but the commit.
	for i, t := range plan {
		if t.serial {
			if err := setHighWater(ctx, dtx, t.name, t.key, rep.Tables[i].HighWater); err != nil {
				return rep, fmt.Errorf("db: set the id counter of %s: %w", t.name, err)
			}
		}
	}
	if err := continueChanges(ctx, dtx, rep.LastChange); err != nil {
		return rep, fmt.Errorf("db: set the target's change counter: %w", err)
	}
	if err := dst.Commit(); err != nil {
		return rep, fmt.Errorf("db: commit the target: %w", err)
	}
	return rep, nil
}

// readSnapshot are the options of the source's read transaction: one
// snapshot for every table (SQLite's read transactions are one anyway).
func readSnapshot(e Engine) *sql.TxOptions {
	if e == Postgres {
		return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return &sql.TxOptions{ReadOnly: true}
}

// sameDatabase reports whether a and b are one database (a copy onto
// itself would read what it writes).
func sameDatabase(a, b *DB) bool {
	if a.d.engine != b.d.engine {
		return false
	}
	if a.d.engine == Postgres {
		return a.path == b.path
	}
	sa, errA := os.Stat(a.path)
	sb, errB := os.Stat(b.path)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	pa, _ := filepath.Abs(a.path)
	pb, _ := filepath.Abs(b.path)
	return pa == pb
}

// refuseData answers ECONFLICT, naming the tables and their row counts,
// when the target holds any row of a table Copy would fill.
func refuseData(ctx context.Context, tx *txn, plan []tablePlan) error {
	var full []string
	for _, t := range plan {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&n); err != nil {
			return fmt.Errorf("db: count the target's %s: %w", t.name, err)
		}
		switch {
		case n == 1:
			full = append(full, t.name+": 1 row")
		case n > 1:
			full = append(full, fmt.Sprintf("%s: %d rows", t.name, n))
		}
	}
	if len(full) > 0 {
		return app.Errorf(app.ECONFLICT, "the target database is not empty (%s): nothing was written", strings.Join(full, ", "))
	}
	return nil
}

// copyOne copies table t and reads it back from the target.
func copyOne(ctx context.Context, src, dst *txn, t tablePlan) (TableReport, error) {
	tr := TableReport{Table: t.name}
	ins := newInserter(dst, t)
	defer ins.close()
	var err error
	tr.Rows, tr.Checksum, err = scanTable(ctx, src, t, func(vals []any) error {
		if t.serial {
			tr.HighWater = max(tr.HighWater, vals[t.keyIndex].(sql.NullInt64).Int64)
		}
		return ins.add(ctx, vals)
	})
	if err == nil {
		err = ins.flush(ctx)
	}
	if err != nil {
		return tr, fmt.Errorf("db: copy %s: %w", t.name, err)
	}
	if t.serial {
		mark, err := highWater(ctx, src, t.name, t.key)
		if err != nil {
			return tr, fmt.Errorf("db: read the id counter of %s: %w", t.name, err)
		}
		tr.HighWater = max(tr.HighWater, mark)
	}
	tr.TargetRows, tr.TargetChecksum, err = scanTable(ctx, dst, t, nil)
	if err != nil {
		return tr, fmt.Errorf("db: read back %s: %w", t.name, err)
	}
	tr.OK = tr.Rows == tr.TargetRows && tr.Checksum == tr.TargetChecksum
	return tr, nil
}

// mismatches names the tables whose copy differs from the source.
func mismatches(tables []TableReport) string {
	var bad []string
	for _, t := range tables {
		if !t.OK {
			bad = append(bad, fmt.Sprintf("%s: %d rows read, %d written, checksum %.16s vs %.16s",
				t.Table, t.Rows, t.TargetRows, t.Checksum, t.TargetChecksum))
		}
	}
	return strings.Join(bad, "; ")
}

// highWater is the largest id the table's counter has handed out (0 for
// none): AUTOINCREMENT's sqlite_sequence row, or the identity sequence's
// last value (NULL until first used).
func highWater(ctx context.Context, tx *txn, table, key string) (int64, error) {
	var v sql.NullInt64
	q := `SELECT seq FROM sqlite_sequence WHERE name = ?`
	args := []any{table}
	if tx.d.engine == Postgres {
		q = `SELECT pg_sequence_last_value(pg_get_serial_sequence(?, ?)::regclass)`
		args = append(args, key)
	}
	err := tx.QueryRowContext(ctx, q, args...).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v.Int64, err
}

// setHighWater makes the table's counter continue after mark (when mark is
// above what the inserted ids already set it to).
func setHighWater(ctx context.Context, tx *txn, table, key string, mark int64) error {
	if mark <= 0 {
		return nil
	}
	if tx.d.engine == Postgres {
		_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, ?), ?)`, table, key, mark)
		return err
	}
	return raiseSQLiteSequence(ctx, tx, table, mark)
}

// raiseSQLiteSequence sets table's sqlite_sequence row to at least mark.
// Inserting explicit ids already raised it to the largest of them; this
// carries the source's mark when its newest rows were deleted.
func raiseSQLiteSequence(ctx context.Context, tx *txn, table string, mark int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?`, mark, table)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`, table, mark)
	return err
}

// continueChanges sets the target's change-log counter to at least seq.
func continueChanges(ctx context.Context, tx *txn, seq int64) error {
	if seq <= 0 {
		return nil
	}
	if tx.d.engine == Postgres {
		_, err := tx.ExecContext(ctx, `UPDATE change_head SET seq = GREATEST(seq, ?) WHERE one = 1`, seq)
		return err
	}
	return raiseSQLiteSequence(ctx, tx, "cache_changes", seq)
}

// lastChange is LastChange inside tx.
func lastChange(ctx context.Context, tx *txn) (int64, error) {
	var seq sql.NullInt64
	err := tx.QueryRowContext(ctx, lastChangeQuery(tx.d.engine)).Scan(&seq)
	return seq.Int64, err
}
