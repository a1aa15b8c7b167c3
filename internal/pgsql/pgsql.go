// Package pgsql is a small database/sql driver for PostgreSQL over
// jackc/pgx's wire-protocol layer (pgconn: connect, TLS, SCRAM and the
// other authentication methods, the extended and simple query protocols,
// cancellation by context). It replaces pgx's own database/sql driver,
// whose root package links pgx's whole type system (pgtype's codecs) into
// the binary; this one reads and writes text and knows the few types the
// store uses.
//
// Arguments (after database/sql's default conversion) are sent as text
// with the type left for the server to infer, except []byte, which is
// sent as binary bytea. Results are decoded by column type: integers
// (int2, int4, int8, oid) as int64, bool as bool, float4/float8 as
// float64, bytea as []byte, NULL as nil, and everything else (text,
// varchar, citext, numeric, timestamps, ...) as its text, a string.
//
// There is no sql.Register: open a pool with Open, or with
// sql.OpenDB(connector) from NewConnector.
//
// A query, or an Exec with arguments, is one round trip of the extended
// protocol (Parse, Bind, Describe, Execute, Sync); an Exec without
// arguments goes through the simple protocol and may hold several
// statements (migrations). Prepared statements (sql.Stmt) skip the parse
// and the describe: Bind, Execute, Sync. A context that ends interrupts
// the statement as pgconn does by default (the connection is closed, and
// the pool replaces it).
//
// Errors from the server are *pgconn.PgError as they come. An error that
// happened before anything reached the server is also driver.ErrBadConn,
// so database/sql retries it on another connection; a connection the
// server hung up on while it sat in the pool (a restart,
// pg_terminate_backend) is replaced before a statement is sent on it.
package pgsql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Error is an error of this driver's own (a constant, for errors.Is).
type Error string

func (e Error) Error() string { return string(e) }

// The driver's own errors.
const (
	// ErrCommitRollback is the error of a commit that PostgreSQL turned
	// into a rollback (the transaction had failed before it).
	ErrCommitRollback Error = "pgsql: commit unexpectedly resulted in rollback"
	// ErrBusy refuses a statement while rows of an earlier one are still
	// open on the same connection (in a transaction).
	ErrBusy Error = "pgsql: connection busy: close the previous rows first"
	// ErrNamedArgs refuses sql.Named arguments: PostgreSQL numbers them.
	ErrNamedArgs Error = "pgsql: named arguments are not supported; use $1, $2, ..."
)

// Connector makes connections to one database; it is a driver.Connector
// for sql.OpenDB.
type Connector struct {
	cfg *pgconn.Config
}

// NewConnector parses url (a postgres:// URL or a key=value connection
// string, with the PG* environment variables and ~/.pgpass as libpq reads
// them). The error is a *pgconn.ParseConfigError.
func NewConnector(url string) (*Connector, error) {
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	return &Connector{cfg: cfg}, nil
}

// ConnectorFor makes connections with an already parsed configuration
// (for callers that adjust it, e.g. a connect timeout).
func ConnectorFor(cfg *pgconn.Config) *Connector { return &Connector{cfg: cfg} }

// Open is sql.OpenDB(NewConnector(url)): a pool that connects on first use.
func Open(url string) (*sql.DB, error) {
	c, err := NewConnector(url)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(c), nil
}

// Connect opens a connection (database/sql calls it).
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	pc, err := pgconn.ConnectConfig(ctx, c.cfg)
	if err != nil {
		return nil, err
	}
	return &conn{pc: pc, used: time.Now()}, nil
}

// Driver returns a driver.Driver whose Open takes a URL (for code that
// wants one; database/sql does not call it on a pool from OpenDB).
func (c *Connector) Driver() driver.Driver { return drv{} }

type drv struct{}

func (drv) Open(name string) (driver.Conn, error) {
	c, err := NewConnector(name)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// fail is err as returned to database/sql: also driver.ErrBadConn when
// nothing reached the server, so database/sql may retry elsewhere.
func fail(err error) error {
	if err == nil || errors.Is(err, driver.ErrBadConn) {
		return err
	}
	if pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
	}
	return err
}
