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

	msqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"notechondria-auth/app"
)

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

// openSQLite opens (creating when missing) the database file at path.
func openSQLite(ctx context.Context, path string, opts Options) (*DB, error) {
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
	if err := migrateSQLite(path); err != nil {
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
	d := &dialect{engine: SQLite}
	db := &DB{d: d, path: path, w: w, r: pool{db: r, d: d}, rd: &preparedReader{pool: r, d: d}}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrateSQLite(path string) error {
	conn, err := sql.Open("sqlite", dsn(path, roleMigrate))
	if err != nil {
		return err
	}
	drv, err := msqlite.WithInstance(conn, &msqlite.Config{})
	if err != nil {
		conn.Close()
		return fmt.Errorf("db: migrate driver: %w", err)
	}
	return migrateUp(SQLite, drv, func() { conn.Close() })
}

// Backup writes a consistent copy of the live SQLite database to path with
// VACUUM INTO; it runs while the server serves. On PostgreSQL it refuses:
// pg_dump is the tool for that (docs/OPERATIONS.md).
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.d.engine == Postgres {
		return &app.Error{Code: app.EINVALID, Message: "backup copies SQLite files; on PostgreSQL use pg_dump (see docs/OPERATIONS.md)"}
	}
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

// sqliteUnique reports a SQLite UNIQUE or PRIMARY KEY violation.
func sqliteUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	return false
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
