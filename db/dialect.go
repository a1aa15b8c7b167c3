package db

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"

	"notechondria-auth/app"
)

// Engine names a database engine.
type Engine string

// The engines Open knows.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// dialect is everything that differs between the engines at the level of
// one statement; the statements themselves are written once, in SQLite's
// spelling (? placeholders, ?N for a numbered one), and dialect rewrites
// them for PostgreSQL:
//   - placeholders: ? and ?N become $N;
//   - arguments: a Go bool becomes 0 or 1 (flags are INTEGER columns on
//     both engines, so "is_active = 0" means the same everywhere).
//
// Timestamps are BIGINT microseconds on both engines and every id is
// returned with RETURNING, so neither needs a rewrite. What differs by more
// than spelling (migrations, the change log's sequence, the write lock,
// backups) lives in sqlite.go and postgres.go.
type dialect struct {
	engine  Engine
	rebound sync.Map // query text -> PostgreSQL text
}

// q returns query in this engine's spelling.
func (d *dialect) q(query string) string {
	if d.engine != Postgres {
		return query
	}
	if v, ok := d.rebound.Load(query); ok {
		return v.(string)
	}
	out := rebind(query)
	d.rebound.Store(query, out)
	return out
}

// Rebind returns query, written in SQLite's spelling, in engine e's (for
// tools and tests that run their own statements).
func Rebind(e Engine, query string) string {
	if e == Postgres {
		return rebind(query)
	}
	return query
}

// rebind turns ? and ?N placeholders into $N, leaving string literals,
// quoted identifiers and comments alone.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(query[i+1:], c)
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j+2])
			i += j + 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			b.WriteByte('$')
			if j > i+1 {
				b.WriteString(query[i+1 : j])
			} else {
				n++
				b.WriteString(strconv.Itoa(n))
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// args converts arguments for this engine. The caller's slice is never
// changed (it may be one passed with args...): a conversion copies it.
func (d *dialect) args(args []any) []any {
	if d.engine != Postgres {
		return args
	}
	copied := false
	for i, a := range args {
		if v, ok := a.(bool); ok {
			if !copied {
				args, copied = append([]any(nil), args...), true
			}
			args[i] = boolInt(v)
		}
	}
	return args
}

func boolInt(v bool) int64 {
	if v {
		return 1
	}
	return 0
}

// queryer is what statements run on: a transaction or a pool, already
// speaking the engine's dialect.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// txn is a write transaction: statements in the engine's dialect, and the
// change-log rows it will append just before it commits (see signal).
type txn struct {
	tx      *sql.Tx
	d       *dialect
	changes []app.Change
	// For the write's audit (event.go): what it revoked and created, and
	// whether events get webhook outbox rows.
	revoked   []revocation
	revokedAt map[int64]int // user id -> index in revoked
	created   []*app.Session
	unchanged bool  // noChange
	subject   int64 // the account the write found itself (noteSubject)
	outbox    bool
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.q(query), t.d.args(args)...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.q(query), t.d.args(args)...)
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.q(query), t.d.args(args)...)
}

// PrepareContext prepares a statement for repeated use in the transaction
// (its arguments are passed as they are: no flags).
func (t *txn) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.tx.PrepareContext(ctx, t.d.q(query))
}

// pool runs one-off statements on a connection pool in the engine's
// dialect (reads whose shape varies too much to prepare).
type pool struct {
	db *sql.DB
	d  *dialect
}

func (p pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, p.d.q(query), p.d.args(args)...)
}

func (p pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, p.d.q(query), p.d.args(args)...)
}

func (p pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, p.d.q(query), p.d.args(args)...)
}
