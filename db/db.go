// Package db implements app.Store on SQLite (pure Go, modernc.org/sqlite)
// and on PostgreSQL (pgx's wire protocol pgconn, through internal/pgsql), with one set of statements for both (see
// dialect.go for what is rewritten, sqlite.go and postgres.go for what
// differs by more than spelling).
//
// Writes are serialised on both engines: SQLite has one writer connection
// (it allows one writer anyway; queuing in Go is cheaper than SQLITE_BUSY
// retries), PostgreSQL write transactions take one transaction-level
// advisory lock first, so every replica's writes run one at a time as on
// SQLite. That keeps the check-then-write flows (codes, registrations, the
// password guard of a new session) exactly as they are on SQLite without
// SERIALIZABLE retries, and numbers the change log in commit order. Reads
// never wait for it. Every exported method is one transaction.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"notechondria-auth/app"
)

var _ app.Store = (*DB)(nil)

// DB is the store on either engine.
type DB struct {
	d    *dialect
	path string  // SQLite: the file; PostgreSQL: the URL without its password
	url  string  // PostgreSQL: the URL as given
	w    *sql.DB // writes (SQLite: one connection; PostgreSQL: the pool)
	r    pool    // reads of varying shape
	rd   *preparedReader
	// webhooks makes every event write its webhook outbox row too
	// (SetWebhooks).
	webhooks atomic.Bool
}

// Options tune Open.
type Options struct {
	// ReadConns bounds the SQLite read pool (default: 2 x CPUs, at least
	// 4) and the PostgreSQL pool (default 10).
	ReadConns int
	// CheckTimeout bounds the integrity check of an existing SQLite file at
	// open (PRAGMA quick_check; default 30 s, negative: skip it).
	CheckTimeout time.Duration
}

// IsPostgres reports whether target names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// Open opens the database target names, a SQLite file path (created when
// missing) or a PostgreSQL URL, applies the pending migrations and returns
// the store.
func Open(ctx context.Context, target string, opts Options) (*DB, error) {
	if target == "" {
		return nil, errors.New("db: empty database path")
	}
	if IsPostgres(target) {
		return openPostgres(ctx, target, opts)
	}
	return openSQLite(ctx, target, opts)
}

// Engine is the engine of this store.
func (db *DB) Engine() Engine { return db.d.engine }

// Path is the SQLite file, or the PostgreSQL URL without its password.
func (db *DB) Path() string { return db.path }

// Close closes the pools (on SQLite, closing the last connection
// checkpoints the WAL).
func (db *DB) Close() error {
	db.rd.close()
	if db.r.db == db.w {
		return db.w.Close()
	}
	return errors.Join(db.r.db.Close(), db.w.Close())
}

// Ping checks that the database answers and its schema is the newest one
// this binary knows.
func (db *DB) Ping(ctx context.Context) error {
	var v int64
	var dirty bool
	if err := db.rd.QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&v, &dirty); err != nil {
		return app.Internal(fmt.Errorf("db: read schema version: %w", err))
	}
	want, err := latestVersion(db.d.engine)
	if err != nil {
		return app.Internal(err)
	}
	if dirty || uint(v) != want {
		return app.Internal(fmt.Errorf("db: schema version %d (dirty=%v), binary wants %d", v, dirty, want))
	}
	return nil
}

// ECONFLICT re-exported for brevity in this package.
const ECONFLICT = app.ECONFLICT

// write runs fn in a write transaction, appends the change-log rows fn
// asked for and commits.
func (db *DB) write(ctx context.Context, fn func(tx *txn) error) error {
	err := db.writeTx(ctx, fn)
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // the caller went away; not a database fault
	}
	return translate(err)
}

func (db *DB) writeTx(ctx context.Context, fn func(tx *txn) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	t := &txn{tx: tx, d: db.d, outbox: db.webhooks.Load()}
	if err := lockWrites(ctx, t); err != nil {
		return err
	}
	if err := fn(t); err != nil {
		return err
	}
	events, err := writeAudit(ctx, t)
	if err != nil {
		return err
	}
	if err := appendChanges(ctx, t); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if a := app.AuditFrom(ctx); a != nil {
		a.Committed(events)
	}
	return nil
}

// SetWebhooks turns the webhook outbox on or off: while on, every event
// written also writes its outbox row in the same transaction (serve sets
// it when --webhook-url is given; every replica should be started alike).
func (db *DB) SetWebhooks(on bool) { db.webhooks.Store(on) }

// translate maps driver errors to app errors by type and code.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var ae *app.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &app.Error{Code: app.ENOTFOUND, Message: "Not found.", Err: err}
	}
	if uniqueViolation(err) {
		return &app.Error{Code: app.ECONFLICT, Message: "Already exists.", Err: err}
	}
	return app.Internal(err)
}

// uniqueViolation reports a UNIQUE or PRIMARY KEY violation on either engine.
func uniqueViolation(err error) bool { return sqliteUnique(err) || pgUnique(err) }

// micros and the helpers below convert between time.Time and the stored
// representation (INTEGER microseconds since the epoch, UTC).
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}
