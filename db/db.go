// Package db implements app.Store on SQLite (pure Go, modernc.org/sqlite).
//
// One writer connection serialises every write transaction (SQLite allows
// one writer anyway; queuing in Go is cheaper than SQLITE_BUSY retries) and a
// read pool serves lookups concurrently thanks to WAL. Every exported method
// is one transaction.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/golang-migrate/migrate/v4"
	msqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"notechondria-auth/app"
	"notechondria-auth/schema"
)

var _ app.Store = (*DB)(nil)

// DB is the SQLite store.
type DB struct {
	path string
	w    *sql.DB // one connection: every write transaction
	r    *sql.DB // read pool
	rd   *preparedReader
}

// Options tune Open.
type Options struct {
	// ReadConns bounds the read pool (default: 2 x CPUs, at least 4).
	ReadConns int
	// CheckTimeout bounds the integrity check at open (PRAGMA
	// quick_check; default 30 s, negative: skip it).
	CheckTimeout time.Duration
}

// pragmas are set through the DSN so that every pooled connection gets them.
//   - journal_mode(WAL): readers never block the writer and vice versa.
//   - synchronous(FULL): a commit is fsynced before it is acknowledged, so an
//     acknowledged login, revocation or password change survives kill -9 and
//     power loss. The hot path (token checks) writes nothing, and touches are
//     batched, so the fsync cost lands only on rare writes.
//   - busy_timeout(5000): a second process (the admin CLI) waits for the lock
//     instead of failing at once.
//   - foreign_keys(1): ON DELETE CASCADE from users to their rows.
//   - temp_store(MEMORY): sorts for the session list stay off the disk.
const pragmas = "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"

// Connection roles for dsn.
const (
	// BEGIN IMMEDIATE takes the write lock up front: no deadlock-prone lock
	// upgrades inside a transaction.
	roleWrite = "&_txlock=immediate"
	// Readers cannot write by mistake.
	roleRead    = "&_pragma=query_only(1)"
	roleMigrate = ""
)

func dsn(path, role string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas + role
}

// Open opens (creating when missing) the database file at path, applies the
// pending migrations and returns the store.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("db: empty database path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("db: create directory: %w", err)
		}
	}
	// SQLite creates a missing database file with mode 0644 (and gives its
	// -wal and -shm files the database file's mode), so in an existing
	// directory the password hashes and addresses would be readable by every
	// local user. Create the file first, private; an existing file keeps
	// whatever mode its operator gave it.
	created := false
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
		created = true
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("db: create database file %s: %w", path, err)
	}
	// SQLite treats an empty file as a new database. Only the file this
	// call just created may be one: an existing empty file is a truncated
	// database, a wrong path or a failed copy, and initialising it would
	// hide that (every account "gone", every device signed out).
	if !created {
		if st, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("db: %w", err)
		} else if st.Size() == 0 {
			return nil, fmt.Errorf("db: %s exists but is empty (0 bytes), so it is not a notechondria-auth database: restore it from a backup, or delete it to start with a new empty database", path)
		}
		if err := quickCheck(ctx, path, opts.CheckTimeout); err != nil {
			return nil, err
		}
	}
	if err := migrateUp(path); err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite", dsn(path, roleWrite))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	n := opts.ReadConns
	if n <= 0 {
		n = max(4, 2*runtime.NumCPU())
	}
	r, err := sql.Open("sqlite", dsn(path, roleRead))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	// sqlite_stat4 (from a manual ANALYZE) makes SQLite re-plan every
	// prepared statement on each run: the token lookup then costs 3-4x.
	// The schema's indexes need no statistics, so do without them.
	if _, err := w.ExecContext(ctx, `DROP TABLE IF EXISTS sqlite_stat4`); err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("db: %w", err)
	}
	db := &DB{path: path, w: w, r: r, rd: &preparedReader{pool: r}}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrateUp(path string) error {
	conn, err := sql.Open("sqlite", dsn(path, roleMigrate))
	if err != nil {
		return err
	}
	drv, err := msqlite.WithInstance(conn, &msqlite.Config{})
	if err != nil {
		conn.Close()
		return fmt.Errorf("db: migrate driver: %w", err)
	}
	src, err := iofs.New(schema.Migrations, "sqlite")
	if err != nil {
		conn.Close()
		return fmt.Errorf("db: migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "sqlite", drv)
	if err != nil {
		conn.Close()
		return fmt.Errorf("db: migrate: %w", err)
	}
	defer m.Close() // closes conn too
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("db: migrate up: %w", err)
	}
	return nil
}

// LatestVersion is the number of the newest embedded migration.
func LatestVersion() (uint, error) {
	src, err := iofs.New(schema.Migrations, "sqlite")
	if err != nil {
		return 0, err
	}
	defer src.Close()
	v, err := src.First()
	if err != nil {
		return 0, err
	}
	for {
		next, err := src.Next(v)
		if err != nil {
			return v, nil
		}
		v = next
	}
}

// Close closes both pools. Closing the last connection checkpoints the WAL.
func (db *DB) Close() error {
	db.rd.close()
	return errors.Join(db.r.Close(), db.w.Close())
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers and its schema is the newest one
// this binary knows.
func (db *DB) Ping(ctx context.Context) error {
	var v int64
	var dirty bool
	if err := db.rd.QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&v, &dirty); err != nil {
		return app.Internal(fmt.Errorf("db: read schema version: %w", err))
	}
	want, err := LatestVersion()
	if err != nil {
		return app.Internal(err)
	}
	if dirty || uint(v) != want {
		return app.Internal(fmt.Errorf("db: schema version %d (dirty=%v), binary wants %d", v, dirty, want))
	}
	return nil
}

// Backup writes a consistent copy of the live database to path with VACUUM
// INTO; it runs while the server serves.
func (db *DB) Backup(ctx context.Context, path string) error {
	// The copy holds password hashes and addresses: create it private
	// before SQLite writes a byte (a chmod after VACUUM INTO would leave a
	// window in which it is readable). O_EXCL refuses an existing file;
	// VACUUM INTO accepts the empty one.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return app.Errorf(ECONFLICT, "backup target %s exists", path)
	} else if err != nil {
		return fmt.Errorf("db: create backup file: %w", err)
	}
	f.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(path)
		}
	}()
	// A connection of its own: the read pool is query_only, which VACUUM
	// INTO refuses, and the writer must stay free for the server.
	conn, err := sql.Open("sqlite", dsn(db.path, roleMigrate))
	if err != nil {
		return translate(err)
	}
	defer conn.Close()
	if _, err = conn.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return translate(err)
	}
	done = true
	return nil
}

// ECONFLICT re-exported for brevity in this package.
const ECONFLICT = app.ECONFLICT

// write runs fn in a write transaction and commits it.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the caller went away; not a database fault
		}
		return translate(err)
	}
	if err := tx.Commit(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return translate(err)
	}
	return nil
}

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
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &app.Error{Code: app.ECONFLICT, Message: "Already exists.", Err: err}
		}
	}
	return app.Internal(err)
}

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

// quickCheck runs PRAGMA quick_check on an existing file before anything
// else touches it (every page and index entry readable, no structural
// damage; linear in the file size), so a damaged file is refused at start
// instead of answering 500 on the first login. It is bounded by timeout: a
// check that does not finish in time is skipped, never mistaken for damage.
func quickCheck(ctx context.Context, path string, timeout time.Duration) error {
	if timeout < 0 {
		return nil
	}
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	damaged := func(detail any) error {
		return fmt.Errorf("db: %s failed its integrity check (PRAGMA quick_check: %v): restore it from a backup (see docs/OPERATIONS.md)", path, detail)
	}
	conn, err := sql.Open("sqlite", dsn(path, roleMigrate))
	if err != nil {
		return err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rows, err := conn.QueryContext(cctx, `PRAGMA quick_check`)
	if err != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			return nil
		}
		return damaged(err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return damaged(err)
		}
		if line != "ok" && len(problems) < 5 {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			return nil
		}
		return damaged(err)
	}
	if len(problems) > 0 {
		return damaged(strings.Join(problems, "; "))
	}
	return nil
}
