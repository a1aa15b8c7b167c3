package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"notechondria-auth/db"
	"notechondria-auth/internal/pgsql"
)

// adminFlags are shared by the commands that open the database.
type adminFlags struct {
	config, db string
	create     bool // the command may create a missing database (user/invite create)
}

func (a *adminFlags) define(fs *flagSet) {
	fs.str(&a.config, "config", "NTC_CONFIG", "", "read NTC_DB from this KEY=VALUE `FILE`")
	fs.str(&a.db, "db", "NTC_DB", DefaultDB, "the database: a SQLite file `PATH` or a postgres:// URL")
}

// open opens the database a live server may be using (WAL and
// busy_timeout make that safe).
func (a *adminFlags) open(ctx context.Context) (*db.DB, error) {
	return openDB(ctx, a.db, a.create, db.Options{ReadConns: 2})
}

// openError is a database that would not open: the file, the cause and
// what to do about it.
type openError struct {
	path string
	err  error
	hint string // empty when err already says what to do
}

func (e openError) Error() string {
	msg := e.err.Error()
	var pe *fs.PathError
	if errors.As(e.err, &pe) && pe.Path == e.path && pe == e.err {
		msg = pe.Err.Error() // the path is named already
	}
	msg = "open database " + e.path + ": " + strings.TrimPrefix(msg, "db: ")
	if e.hint != "" {
		msg += ": " + e.hint
	}
	return msg
}

func (e openError) Unwrap() error { return e.err }

// openDB is db.Open with errors that name the file and the next step.
// Unless mayCreate, a missing file is refused instead of created (an admin
// command pointed at the wrong path would otherwise make an empty
// database there and report "no such account").
func openDB(ctx context.Context, path string, mayCreate bool, opts db.Options) (*db.DB, error) {
	if db.IsPostgres(path) {
		store, err := db.Open(ctx, path, opts)
		if err != nil {
			return nil, fmt.Errorf("open database: %s: %s", strings.TrimPrefix(err.Error(), "db: "), pgHint(err))
		}
		return store, nil
	}
	if err := checkDBFile(path, mayCreate); err != nil {
		return nil, err
	}
	store, err := db.Open(ctx, path, opts)
	if err != nil {
		return nil, openError{path: path, err: err, hint: dbHint(err)}
	}
	return store, nil
}

// checkDBFile finds, before SQLite does and in plainer words, a missing
// file, a directory, and a file this user may not write.
func checkDBFile(path string, mayCreate bool) error {
	if strings.TrimSpace(path) == "" {
		return errors.New("open database: no path given: set --db or NTC_DB")
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && mayCreate:
		return nil // db.Open creates it, and its directory
	case errors.Is(err, fs.ErrNotExist):
		return openError{path: path, err: errors.New("no such file"),
			hint: "check --db / NTC_DB (this command does not create a database; serve, user create and invite create do)"}
	case errors.Is(err, syscall.ENOTDIR) && fileAncestor(path) != "":
		return openError{path: path, err: fmt.Errorf("%s is a file, not a directory", fileAncestor(path)), hint: "fix --db / NTC_DB"}
	case err != nil:
		return openError{path: path, err: err, hint: dbHint(err)}
	case st.IsDir():
		return openError{path: path, err: errors.New("is a directory"),
			hint: "--db / NTC_DB names the database file itself, e.g. " + filepath.Join(path, "notechondria-auth.db")}
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return openError{path: path, err: err, hint: dbHint(err)}
	}
	defer f.Close()
	return checkHeader(path, f, st.Size())
}

// sqliteMagic opens every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkHeader refuses a file that is not a SQLite database at all (most
// often --db naming the wrong file). An empty file passes: db.Open
// explains that case itself.
func checkHeader(path string, f *os.File, size int64) error {
	if size == 0 {
		return nil
	}
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(f, head); err != nil || string(head) != sqliteMagic {
		return openError{path: path, err: errors.New("not a SQLite database (it does not start with \"SQLite format 3\")"),
			hint: "check that --db / NTC_DB names the right file; if it does, the file is damaged: restore it from a backup"}
	}
	return nil
}

// fileAncestor names the nearest existing parent of path that is not a
// directory, "" when there is none.
func fileAncestor(path string) string {
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(dir); err == nil {
			if st.IsDir() {
				return ""
			}
			return dir
		}
		if next := filepath.Dir(dir); next == dir {
			return ""
		}
	}
}

// dbHint says what to do about an error of db.Open or of the file system;
// "" when the error says it already.
func dbHint(err error) string {
	msg := err.Error()
	code := 0
	var se *sqlite.Error
	if errors.As(err, &se) {
		code = se.Code() & 0xff // the primary result code
	}
	switch {
	case errors.Is(err, fs.ErrPermission), code == sqlite3.SQLITE_READONLY, code == sqlite3.SQLITE_PERM:
		return "permission denied: run the command as the user that owns the database (the service user, or with sudo), or fix the owner and mode of the file and its directory"
	case errors.Is(err, syscall.ENOTDIR):
		return "a parent of the file is not a directory: fix --db / NTC_DB"
	case errors.Is(err, syscall.EROFS):
		return "the file system is read-only: put the database on a writable volume"
	case errors.Is(err, syscall.ENOSPC), code == sqlite3.SQLITE_FULL:
		return "the disk is full: free some space, then retry"
	case strings.Contains(msg, "create directory"):
		return "create the directory yourself, or point --db / NTC_DB at a writable one"
	case strings.Contains(msg, "restore it from a backup"):
		return ""
	case code == sqlite3.SQLITE_BUSY, strings.Contains(msg, "database is locked"):
		return "another process holds the database's write lock: retry in a moment"
	case code == sqlite3.SQLITE_CANTOPEN, strings.Contains(msg, "unable to open database file"):
		return "SQLite needs read and write access to the file and to its directory (for the -wal and -shm files beside it)"
	}
	return "check --db / NTC_DB"
}

// pgHint says what to do about a PostgreSQL database that would not open.
func pgHint(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "password authentication failed"), strings.Contains(msg, "no password"):
		return "check the user name and password in the URL (or PGPASSWORD / ~/.pgpass)"
	case strings.Contains(msg, "does not exist"):
		return "create the database first (createdb), or fix the name in the URL"
	case strings.Contains(msg, "connection refused"), strings.Contains(msg, "no such host"), strings.Contains(msg, "timeout"):
		return "is the server running and reachable at the URL's host and port?"
	case strings.Contains(msg, "permission denied"):
		return "the role needs CREATE on the database (for the migrations) and the citext extension"
	}
	return "check --db / NTC_DB"
}

// readOnly opens path for queries only: nothing is created, migrated or
// written (unlike db.Open). The caller has checked that the file exists.
func readOnly(path string) (*sql.DB, error) {
	if db.IsPostgres(path) {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return pgsql.Open(path + sep + "default_transaction_read_only=on")
	}
	return sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(5000)")
}

// schemaLine describes the schema version of the database at path
// against the newest migration this binary carries, e.g. "schema: 2
// (current)". The file is opened read-only and never migrated.
func schemaLine(ctx context.Context, path string) (string, error) {
	if db.IsPostgres(path) {
		return schemaLinePostgres(ctx, path)
	}
	latest, err := db.LatestVersion()
	if err != nil {
		return "", err
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("schema: none (%s does not exist yet; serve creates it)", path), nil
	case errors.Is(err, syscall.ENOTDIR) && fileAncestor(path) != "":
		return "", openError{path: path, err: fmt.Errorf("%s is a file, not a directory", fileAncestor(path)), hint: "fix --db / NTC_DB"}
	case err != nil:
		return "", openError{path: path, err: err, hint: dbHint(err)}
	case st.IsDir():
		return "", openError{path: path, err: errors.New("is a directory"), hint: "--db / NTC_DB names the database file itself"}
	case st.Size() == 0:
		return "", openError{path: path, err: errors.New("the file is empty (0 bytes)"),
			hint: "it is not a notechondria-auth database: restore it from a backup, or delete it to start with a new empty database"}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", openError{path: path, err: err, hint: dbHint(err)}
	}
	err = checkHeader(path, f, st.Size())
	f.Close()
	if err != nil {
		return "", err
	}
	conn, err := readOnly(path)
	if err != nil {
		return "", openError{path: path, err: err, hint: dbHint(err)}
	}
	defer conn.Close()
	return describeSchema(ctx, conn, latest, func(err error) error { return openError{path: path, err: err, hint: dbHint(err)} })
}

// schemaLinePostgres is schemaLine for a PostgreSQL URL.
func schemaLinePostgres(ctx context.Context, url string) (string, error) {
	latest, err := db.LatestVersionOf(db.Postgres)
	if err != nil {
		return "", err
	}
	conn, err := readOnly(url)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return describeSchema(ctx, conn, latest, func(err error) error { return fmt.Errorf("open database: %v: %s", err, pgHint(err)) })
}

// describeSchema reads the schema version through conn and compares it
// with latest.
func describeSchema(ctx context.Context, conn *sql.DB, latest uint, fail func(error) error) (string, error) {
	var v int64
	var dirty bool
	err := conn.QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&v, &dirty)
	switch {
	case errors.Is(err, sql.ErrNoRows), err != nil && (strings.Contains(err.Error(), "no such table") || strings.Contains(err.Error(), "does not exist (SQLSTATE 42P01)")):
		return fmt.Sprintf("schema: none (no migration applied; this binary's is %d and serve applies it)", latest), nil
	case err != nil:
		return "", fail(err)
	case dirty:
		return fmt.Sprintf("schema: %d (dirty: a migration stopped midway; restore the database from a backup)", v), nil
	case v == int64(latest):
		return fmt.Sprintf("schema: %d (current)", v), nil
	case v < int64(latest):
		return fmt.Sprintf("schema: %d (behind: this binary's is %d; serve migrates the database when it starts)", v, latest), nil
	}
	return fmt.Sprintf("schema: %d (ahead: this binary's is only %d; run the newer binary that migrated it)", v, latest), nil
}

// countInvitations counts the invitation rows (used-up and expired ones
// included: any row turns the registration gate on).
func countInvitations(ctx context.Context, path string) (int, error) {
	conn, err := readOnly(path)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var n int
	err = conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM invitation_codes`).Scan(&n)
	return n, err
}
