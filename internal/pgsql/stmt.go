package pgsql

import (
	"context"
	"database/sql/driver"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// stmt is a statement prepared on one connection. Running it is one round
// trip without a parse or a describe (pgconn's ExecStatement).
type stmt struct {
	c       *conn
	sd      *pgconn.StatementDescription
	formats []int16  // per parameter: binary for bytea, else text; nil: all text
	cols    []string // result column names
}

var (
	_ driver.Stmt             = (*stmt)(nil)
	_ driver.StmtExecContext  = (*stmt)(nil)
	_ driver.StmtQueryContext = (*stmt)(nil)
)

func newStmt(c *conn, sd *pgconn.StatementDescription) *stmt {
	s := &stmt{c: c, sd: sd, cols: columns(sd.Fields)}
	for i, oid := range sd.ParamOIDs {
		if oid == oidBytea {
			if s.formats == nil {
				s.formats = make([]int16, len(sd.ParamOIDs))
			}
			s.formats[i] = binaryFormat
		}
	}
	return s
}

// columns are the names of fields.
func columns(fields []pgconn.FieldDescription) []string {
	cols := make([]string, len(fields))
	for i := range fields {
		cols[i] = fields[i].Name
	}
	return cols
}

// Close deallocates the statement (nothing to do on a closed connection:
// the server forgot it with the session).
func (s *stmt) Close() error {
	if s.c.pc.IsClosed() {
		return nil
	}
	if s.c.pc.IsBusy() {
		return ErrBusy
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return fail(s.c.pc.Deallocate(ctx, s.sd.Name))
}

// NumInput is the number of parameters, which database/sql checks.
func (s *stmt) NumInput() int { return len(s.sd.ParamOIDs) }

// Exec runs the statement (database/sql calls ExecContext instead).
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

// Query runs the statement (database/sql calls QueryContext instead).
func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

// ExecContext runs the statement and discards its rows.
func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if s.c.pc.IsBusy() {
		return nil, ErrBusy
	}
	if err := s.c.enc.encode(args); err != nil {
		return nil, err
	}
	tag, err := s.c.pc.ExecStatement(ctx, s.sd, s.c.enc.vals, s.formats, nil).Close()
	if err != nil {
		return nil, fail(err)
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

// QueryContext runs the statement.
func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if s.c.pc.IsBusy() {
		return nil, ErrBusy
	}
	if err := s.c.enc.encode(args); err != nil {
		return nil, err
	}
	return s.c.start(s.c.pc.ExecStatement(ctx, s.sd, s.c.enc.vals, s.formats, nil), s.cols)
}

// named numbers positional values as database/sql does.
func named(args []driver.Value) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}
