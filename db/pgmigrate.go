package db

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"strings"
	"sync/atomic"

	"github.com/golang-migrate/migrate/v4/database"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgMigrations is golang-migrate's database.Driver for PostgreSQL over a
// *sql.DB of any driver, so migrations need neither pgx's database/sql
// driver nor lib/pq. It keeps the stock postgres and pgx drivers'
// behaviour and layout: the version table schema_migrations (version
// bigint, dirty boolean) in the current schema, and a session advisory
// lock with the same id, so replicas of older builds and this one still
// take turns.
type pgMigrations struct {
	db     *sql.DB
	conn   *sql.Conn // the lock is held by a session: always the same one
	table  string    // "schema"."schema_migrations", quoted
	lockID string
	locked atomic.Bool
}

var _ database.Driver = (*pgMigrations)(nil)

// migrationsTable is golang-migrate's default version table.
const migrationsTable = "schema_migrations"

// newPGMigrations wraps p (which it closes on Close) and creates the
// version table when missing.
func newPGMigrations(ctx context.Context, p *sql.DB) (*pgMigrations, error) {
	conn, err := p.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var dbName, schemaName string
	if err := conn.QueryRowContext(ctx, `SELECT current_database(), current_schema()`).Scan(&dbName, &schemaName); err != nil {
		conn.Close()
		return nil, err
	}
	lockID, err := database.GenerateAdvisoryLockId(dbName, schemaName, migrationsTable)
	if err != nil {
		conn.Close()
		return nil, err
	}
	m := &pgMigrations{db: p, conn: conn, lockID: lockID,
		table: quoteIdent(schemaName) + "." + quoteIdent(migrationsTable)}
	if err := m.ensureTable(ctx, schemaName); err != nil {
		conn.Close()
		return nil, err
	}
	return m, nil
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(name string) string {
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// ensureTable creates the version table under the lock unless it exists
// (checked first, so that a role without CREATE can still read it).
func (m *pgMigrations) ensureTable(ctx context.Context, schemaName string) (err error) {
	if err := m.Lock(); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, m.Unlock()) }()
	var n int
	q := `SELECT count(1) FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2`
	if err := m.conn.QueryRowContext(ctx, q, schemaName, migrationsTable).Scan(&n); err != nil {
		return &database.Error{OrigErr: err, Query: []byte(q)}
	}
	if n == 1 {
		return nil
	}
	q = `CREATE TABLE IF NOT EXISTS ` + m.table + ` (version bigint not null primary key, dirty boolean not null)`
	if _, err := m.conn.ExecContext(ctx, q); err != nil {
		return &database.Error{OrigErr: err, Query: []byte(q)}
	}
	return nil
}

// Open is not supported: the driver is made from an open pool.
func (m *pgMigrations) Open(string) (database.Driver, error) {
	return nil, errors.New("db: the PostgreSQL migration driver is made with newPGMigrations")
}

// Close releases the session and closes the pool.
func (m *pgMigrations) Close() error {
	return errors.Join(m.conn.Close(), m.db.Close())
}

// Lock waits for the migration lock.
func (m *pgMigrations) Lock() error {
	return database.CasRestoreOnErr(&m.locked, false, true, database.ErrLocked, func() error {
		q := `SELECT pg_advisory_lock($1)`
		if _, err := m.conn.ExecContext(context.Background(), q, m.lockID); err != nil {
			return &database.Error{OrigErr: err, Err: "try lock failed", Query: []byte(q)}
		}
		return nil
	})
}

// Unlock releases the migration lock.
func (m *pgMigrations) Unlock() error {
	return database.CasRestoreOnErr(&m.locked, true, false, database.ErrNotLocked, func() error {
		q := `SELECT pg_advisory_unlock($1)`
		if _, err := m.conn.ExecContext(context.Background(), q, m.lockID); err != nil {
			return &database.Error{OrigErr: err, Query: []byte(q)}
		}
		return nil
	})
}

// Run applies one migration file as one multi-statement execution.
func (m *pgMigrations) Run(migration io.Reader) error {
	b, err := io.ReadAll(migration)
	if err != nil {
		return err
	}
	q := string(b)
	if strings.TrimSpace(q) == "" {
		return nil
	}
	if _, err := m.conn.ExecContext(context.Background(), q); err != nil {
		msg := "migration failed"
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			msg += ": " + pe.Message
			if pe.Detail != "" {
				msg += ", " + pe.Detail
			}
		}
		return database.Error{OrigErr: err, Err: msg, Query: b}
	}
	return nil
}

// SetVersion records version and dirty in one transaction: the table
// holds at most one row (none for NilVersion unless dirty).
func (m *pgMigrations) SetVersion(version int, dirty bool) error {
	ctx := context.Background()
	tx, err := m.conn.BeginTx(ctx, nil)
	if err != nil {
		return &database.Error{OrigErr: err, Err: "transaction start failed"}
	}
	defer tx.Rollback()
	q := `TRUNCATE ` + m.table
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return &database.Error{OrigErr: err, Query: []byte(q)}
	}
	// A dirty NilVersion is kept too (golang-migrate issue 330).
	if version >= 0 || (version == database.NilVersion && dirty) {
		q = `INSERT INTO ` + m.table + ` (version, dirty) VALUES ($1, $2)`
		if _, err := tx.ExecContext(ctx, q, int64(version), dirty); err != nil {
			return &database.Error{OrigErr: err, Query: []byte(q)}
		}
	}
	if err := tx.Commit(); err != nil {
		return &database.Error{OrigErr: err, Err: "transaction commit failed"}
	}
	return nil
}

// Version is the recorded version (NilVersion: none, or no table yet).
func (m *pgMigrations) Version() (version int, dirty bool, err error) {
	q := `SELECT version, dirty FROM ` + m.table + ` LIMIT 1`
	var v int64
	err = m.conn.QueryRowContext(context.Background(), q).Scan(&v, &dirty)
	var pe *pgconn.PgError
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return database.NilVersion, false, nil
	case errors.As(err, &pe) && pe.Code == "42P01": // undefined_table
		return database.NilVersion, false, nil
	case err != nil:
		return 0, false, &database.Error{OrigErr: err, Query: []byte(q)}
	}
	return int(v), dirty, nil
}

// Drop drops every table of the current schema.
func (m *pgMigrations) Drop() error {
	ctx := context.Background()
	q := `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	rows, err := m.conn.QueryContext(ctx, q)
	if err != nil {
		return &database.Error{OrigErr: err, Query: []byte(q)}
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return &database.Error{OrigErr: err, Query: []byte(q)}
	}
	for _, t := range tables {
		q = `DROP TABLE IF EXISTS ` + quoteIdent(t) + ` CASCADE`
		if _, err := m.conn.ExecContext(ctx, q); err != nil {
			return &database.Error{OrigErr: err, Query: []byte(q)}
		}
	}
	return nil
}
