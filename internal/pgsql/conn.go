package pgsql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// conn is one connection. database/sql uses it from one goroutine at a
// time, so its buffers need no lock.
type conn struct {
	pc    *pgconn.PgConn
	enc   encoder
	rows  rows            // reused by the next query once closed
	txCtx context.Context // the open transaction's, for its commit
	stmts uint64          // statements prepared so far (their names)
	used  time.Time       // last ResetSession
	live  liveness
}

var (
	_ driver.Conn               = (*conn)(nil)
	_ driver.ConnBeginTx        = (*conn)(nil)
	_ driver.ConnPrepareContext = (*conn)(nil)
	_ driver.ExecerContext      = (*conn)(nil)
	_ driver.QueryerContext     = (*conn)(nil)
	_ driver.Pinger             = (*conn)(nil)
	_ driver.SessionResetter    = (*conn)(nil)
	_ driver.Validator          = (*conn)(nil)
	_ driver.Tx                 = (*tx)(nil)
)

// pingAfter is how long a connection may sit in the pool before its next
// use pings it first (as pgx's driver does): a connection the server
// dropped meanwhile (restart, pg_terminate_backend, idle timeout) is then
// replaced before a statement is sent on it, instead of failing it.
const pingAfter = time.Second

// Prepare prepares query on the server.
func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext prepares query under a name of its own on this
// connection; the statement's Close deallocates it.
func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.pc.IsBusy() {
		return nil, ErrBusy
	}
	c.stmts++
	name := "pgsql_" + strconv.FormatUint(c.stmts, 10)
	sd, err := c.pc.Prepare(ctx, name, query, nil)
	if err != nil {
		return nil, fail(err)
	}
	return newStmt(c, sd), nil
}

// Close says goodbye to the server and closes the socket.
func (c *conn) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.pc.Close(ctx)
}

// Begin starts a transaction.
func (c *conn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx starts a transaction with opts; its commit runs under ctx too.
func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if c.pc.IsBusy() {
		return nil, ErrBusy
	}
	q, err := beginSQL(opts)
	if err != nil {
		return nil, err
	}
	if _, err := c.simple(ctx, q); err != nil {
		return nil, fail(err)
	}
	c.txCtx = ctx
	return (*tx)(c), nil
}

// beginSQL spells opts as a BEGIN statement.
func beginSQL(opts driver.TxOptions) (string, error) {
	q := "BEGIN"
	switch sql.IsolationLevel(opts.Isolation) {
	case sql.LevelDefault:
	case sql.LevelReadUncommitted:
		q += " ISOLATION LEVEL READ UNCOMMITTED"
	case sql.LevelReadCommitted:
		q += " ISOLATION LEVEL READ COMMITTED"
	case sql.LevelRepeatableRead, sql.LevelSnapshot:
		q += " ISOLATION LEVEL REPEATABLE READ"
	case sql.LevelSerializable:
		q += " ISOLATION LEVEL SERIALIZABLE"
	default:
		return "", fmt.Errorf("pgsql: isolation level %v is not supported", sql.IsolationLevel(opts.Isolation))
	}
	if opts.ReadOnly {
		q += " READ ONLY"
	}
	return q, nil
}

// tx is the connection in a transaction (a conversion, not an allocation).
type tx conn

// Commit commits; a transaction that had failed is rolled back by the
// server instead, and Commit then returns ErrCommitRollback.
func (t *tx) Commit() error {
	c := (*conn)(t)
	ctx := c.txCtx
	c.txCtx = nil
	tag, err := c.simple(ctx, "COMMIT")
	if err != nil {
		return badIfClosed(c, err)
	}
	if tag.String() == "ROLLBACK" {
		return ErrCommitRollback
	}
	return nil
}

// Rollback rolls back. It does not use the transaction's context:
// database/sql rolls back when that context ends, and a rollback that
// never reaches the server would leave the connection in the transaction.
func (t *tx) Rollback() error {
	c := (*conn)(t)
	c.txCtx = nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.simple(ctx, "ROLLBACK")
	return badIfClosed(c, err)
}

// badIfClosed marks err driver.ErrBadConn when the connection died with it
// (database/sql then discards the connection without asking again).
func badIfClosed(c *conn, err error) error {
	if err != nil && c.pc.IsClosed() {
		return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
	}
	return err
}

// simple runs query through the simple protocol (one or more statements,
// no arguments) and returns the last statement's command tag.
func (c *conn) simple(ctx context.Context, query string) (pgconn.CommandTag, error) {
	mrr := c.pc.Exec(ctx, query)
	var tag pgconn.CommandTag
	for mrr.NextResult() {
		tag, _ = mrr.ResultReader().Close()
	}
	return tag, mrr.Close()
}

// ExecContext runs query and discards its rows: without arguments through
// the simple protocol (so it may hold several statements), with arguments
// in one extended-protocol round trip.
func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.pc.IsBusy() {
		return nil, ErrBusy
	}
	var tag pgconn.CommandTag
	var err error
	if len(args) == 0 {
		tag, err = c.simple(ctx, query)
	} else {
		if err := c.enc.encode(args); err != nil {
			return nil, err
		}
		oids, formats := c.enc.inferred(args)
		tag, err = c.pc.ExecParams(ctx, query, c.enc.vals, oids, formats, nil).Close()
	}
	if err != nil {
		return nil, fail(err)
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

// QueryContext runs query in one extended-protocol round trip.
func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.pc.IsBusy() {
		return nil, ErrBusy
	}
	if err := c.enc.encode(args); err != nil {
		return nil, err
	}
	oids, formats := c.enc.inferred(args)
	return c.start(c.pc.ExecParams(ctx, query, c.enc.vals, oids, formats, nil), nil)
}

// Ping checks that the server answers (a round trip).
func (c *conn) Ping(ctx context.Context) error {
	if c.pc.IsClosed() {
		return driver.ErrBadConn
	}
	if err := c.pc.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %w", driver.ErrBadConn, err)
	}
	return nil
}

// ResetSession runs before the pool hands the connection out again: a
// closed or busy connection, one left in a transaction and one the server
// has hung up on are bad (database/sql then takes another, or a new one);
// one idle for more than pingAfter is pinged first.
func (c *conn) ResetSession(ctx context.Context) error {
	if !c.IsValid() || c.pc.TxStatus() != 'I' || c.live.dead(c.pc.Conn()) {
		return driver.ErrBadConn
	}
	now := time.Now()
	if now.Sub(c.used) > pingAfter {
		if err := c.pc.Ping(ctx); err != nil {
			return driver.ErrBadConn
		}
	}
	c.used = now
	return nil
}

// IsValid reports whether the connection may go back to the pool.
func (c *conn) IsValid() bool { return !c.pc.IsClosed() && !c.pc.IsBusy() }
