package db

import (
	"context"
	"database/sql"
	"sync"
)

// preparedReader runs read queries through statements prepared once per
// query text (and, inside database/sql, once per pooled connection), so the
// hot lookups skip SQLite's parse and plan on every call. It satisfies
// queryer; ExecContext is not meant for it (the read pool is query_only).
type preparedReader struct {
	pool  *sql.DB
	d     *dialect
	stmts sync.Map // query text -> *sql.Stmt
	mu    sync.Mutex
}

func (p *preparedReader) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := p.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.stmts.Load(query); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := p.pool.PrepareContext(ctx, p.d.q(query))
	if err != nil {
		return nil, err
	}
	p.stmts.Store(query, s)
	return s, nil
}

// QueryRowContext runs a prepared single-row query.
func (p *preparedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return p.pool.QueryRowContext(ctx, p.d.q(query), p.d.args(args)...) // reports the error
	}
	return s.QueryRowContext(ctx, p.d.args(args)...)
}

// QueryContext runs a prepared query.
func (p *preparedReader) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, p.d.args(args)...)
}

// ExecContext passes through (reads only; kept to satisfy queryer).
func (p *preparedReader) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.pool.ExecContext(ctx, p.d.q(query), p.d.args(args)...)
}

// close releases every prepared statement.
func (p *preparedReader) close() {
	p.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
}
