// Package testdb gives tests the database they run on: a SQLite file in a
// temporary directory, or a fresh database on a throwaway PostgreSQL
// cluster (internal/pgtest) when NTC_TEST_ENGINE=postgres. `make test` runs
// the store, core, HTTP and end-to-end tests once per engine this way; the
// store tests of package db run on both engines in every run (Each).
//
// The cluster is shared by the tests of one test binary: it is the one
// package-level variable here, started on first use and stopped by Main.
package testdb

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"notechondria-auth/db"
	"notechondria-auth/internal/pgsql"
	"notechondria-auth/internal/pgtest"
)

// cluster is this test binary's PostgreSQL server (started on first use).
var cluster pgtest.Cluster

// EngineEnv selects the engine of Target and Open.
const EngineEnv = "NTC_TEST_ENGINE"

// Main runs the tests and stops the cluster; call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }
func Main(m *testing.M) int { return cluster.Run(m) }

// Engine is the engine selected by NTC_TEST_ENGINE (default SQLite).
func Engine() db.Engine {
	if os.Getenv(EngineEnv) == string(db.Postgres) {
		return db.Postgres
	}
	return db.SQLite
}

// Target returns a fresh, empty database of the selected engine: a file
// path or a PostgreSQL URL, for db.Open or --db.
func Target(t testing.TB) string { return TargetOf(t, Engine()) }

// TargetOf returns a fresh, empty database of engine e.
func TargetOf(t testing.TB, e db.Engine) string {
	t.Helper()
	if e == db.Postgres {
		return cluster.Database(t)
	}
	return filepath.Join(t.TempDir(), "auth.db")
}

// Server is the PostgreSQL server of this test binary (for restarts).
func Server(t testing.TB) *pgtest.Server {
	t.Helper()
	srv, err := cluster.Start()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return srv
}

// Open opens a fresh store of the selected engine, closed when t ends.
func Open(t testing.TB, opts db.Options) *db.DB {
	t.Helper()
	return OpenAt(t, Target(t), opts)
}

// OpenAt opens the store at target, closed when t ends.
func OpenAt(t testing.TB, target string, opts db.Options) *db.DB {
	t.Helper()
	store, err := db.Open(context.Background(), target, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// Each runs fn once per engine, as subtests named after them.
func Each(t *testing.T, fn func(t *testing.T, e db.Engine)) {
	for _, e := range []db.Engine{db.SQLite, db.Postgres} {
		t.Run(string(e), func(t *testing.T) { fn(t, e) })
	}
}

// Raw is a plain connection to a test database, for the changes and counts
// the Store interface deliberately does not offer. Queries are written in
// SQLite's spelling (? placeholders) and rewritten for PostgreSQL.
type Raw struct {
	db *sql.DB
	e  db.Engine
}

// OpenRaw opens a Raw connection to target, closed when t ends.
func OpenRaw(t testing.TB, target string) Raw {
	t.Helper()
	e, open := db.SQLite, func() (*sql.DB, error) {
		return sql.Open("sqlite", "file:"+target+"?_pragma=busy_timeout(5000)")
	}
	if db.IsPostgres(target) {
		e, open = db.Postgres, func() (*sql.DB, error) { return pgsql.Open(target) }
	}
	d, err := open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return Raw{db: d, e: e}
}

// Exec runs a statement.
func (r Raw) Exec(query string, args ...any) (sql.Result, error) {
	return r.db.Exec(db.Rebind(r.e, query), args...)
}

// QueryRow runs a single-row query.
func (r Raw) QueryRow(query string, args ...any) *sql.Row {
	return r.db.QueryRow(db.Rebind(r.e, query), args...)
}
