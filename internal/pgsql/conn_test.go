package pgsql_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"notechondria-auth/internal/pgsql"
)

// A unique violation is a *pgconn.PgError with code 23505 on every path.
func TestUniqueViolation(t *testing.T) {
	db := open(t)
	mustExec(t, db, `CREATE TABLE u (k text PRIMARY KEY); INSERT INTO u VALUES ('a')`)
	stmt, err := db.Prepare(`INSERT INTO u VALUES ($1)`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	paths := map[string]func() error{
		"exec": func() error { _, err := db.Exec(`INSERT INTO u VALUES ($1)`, "a"); return err },
		"returning": func() error {
			var k string
			return db.QueryRow(`INSERT INTO u VALUES ($1) RETURNING k`, "a").Scan(&k)
		},
		"prepared": func() error { _, err := stmt.Exec("a"); return err },
		"simple":   func() error { _, err := db.Exec(`INSERT INTO u VALUES ('a')`); return err },
		"in a transaction": func() error {
			tx, err := db.Begin()
			if err != nil {
				return err
			}
			defer tx.Rollback()
			_, err = tx.Exec(`INSERT INTO u VALUES ($1)`, "a")
			return err
		},
	}
	for name, run := range paths {
		var pe *pgconn.PgError
		if err := run(); !errors.As(err, &pe) || pe.Code != "23505" {
			t.Errorf("%s: %v, want a PgError 23505", name, err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM u`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the violations: %d rows, %v", n, err)
	}
}

// Commit keeps, rollback drops, a failed transaction's commit reports the
// server's rollback, and the options reach the server.
func TestTransactions(t *testing.T) {
	db := open(t)
	mustExec(t, db, `CREATE TABLE x (v bigint UNIQUE)`)
	count := func() (n int) {
		t.Helper()
		if err := db.QueryRow(`SELECT count(*) FROM x`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tx, _ := db.Begin()
	if _, err := tx.Exec(`INSERT INTO x VALUES ($1)`, 1); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil || count() != 0 {
		t.Fatalf("rollback: %v, %d rows", err, count())
	}
	tx, _ = db.Begin()
	tx.Exec(`INSERT INTO x VALUES ($1)`, 1)
	if err := tx.Commit(); err != nil || count() != 1 {
		t.Fatalf("commit: %v, %d rows", err, count())
	}
	tx, _ = db.Begin()
	tx.Exec(`INSERT INTO x VALUES ($1)`, 2)
	if _, err := tx.Exec(`INSERT INTO x VALUES ($1)`, 1); err == nil {
		t.Fatal("duplicate accepted")
	}
	if err := tx.Commit(); !errors.Is(err, pgsql.ErrCommitRollback) || count() != 1 {
		t.Fatalf("commit of a failed transaction: %v, %d rows", err, count())
	}
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var level string
	if err := tx.QueryRow(`SHOW transaction_isolation`).Scan(&level); err != nil || level != "serializable" {
		t.Fatalf("isolation %q, %v", level, err)
	}
	var pe *pgconn.PgError
	if _, err := tx.Exec(`INSERT INTO x VALUES ($1)`, 3); !errors.As(err, &pe) || pe.Code != "25006" {
		t.Fatalf("write in a read-only transaction: %v", err)
	}
	tx.Rollback()
	// Rows still open on the transaction's connection: the next statement
	// is refused instead of corrupting them.
	tx, _ = db.Begin()
	defer tx.Rollback()
	rows, err := tx.Query(`SELECT generate_series(1, 3)`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`SELECT $1::int`, 1); !errors.Is(err, pgsql.ErrBusy) {
		t.Fatalf("statement while rows are open: %v", err)
	}
	got := 0
	for rows.Next() {
		var v int
		rows.Scan(&v)
		got += v
	}
	if rows.Close(); got != 6 {
		t.Fatalf("rows after the refused statement: sum %d", got)
	}
	if _, err := tx.Exec(`SELECT $1::int`, 1); err != nil {
		t.Fatalf("after the rows closed: %v", err)
	}
}

// Several statements without arguments run as one (migrations); the
// result counts the last one's rows.
func TestMultiStatementExec(t *testing.T) {
	db := open(t)
	res, err := db.Exec(`CREATE TABLE m (x int); INSERT INTO m VALUES (1), (2), (3); UPDATE m SET x = x + 1 WHERE x > 1`)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); n != 2 || err != nil {
		t.Fatalf("rows affected %d, %v", n, err)
	}
	if _, err := res.LastInsertId(); err == nil {
		t.Fatal("LastInsertId: no error")
	}
	res, err = db.Exec(`DELETE FROM m WHERE x > $1`, 0)
	if n, _ := res.RowsAffected(); err != nil || n != 3 {
		t.Fatalf("delete with an argument: %d, %v", n, err)
	}
	if _, err := db.Exec(`SELECT $1`, sql.Named("a", 1)); !errors.Is(err, pgsql.ErrNamedArgs) {
		t.Fatalf("named argument: %v", err)
	}
}

// A prepared statement is parsed once per connection and reused; closing
// it deallocates it on the server.
func TestPreparedStatementsReused(t *testing.T) {
	db := open(t)
	db.SetMaxOpenConns(1)
	stmt, err := db.Prepare(`SELECT $1::bigint + 1, $2::text`)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 100; i++ {
		var n int64
		var s string
		if err := stmt.QueryRow(i, "s").Scan(&n, &s); err != nil || n != i+1 || s != "s" {
			t.Fatalf("run %d: %d %q %v", i, n, s, err)
		}
	}
	prepared := func() (n int) {
		t.Helper()
		if err := db.QueryRow(`SELECT count(*) FROM pg_prepared_statements`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := prepared(); n != 1 {
		t.Fatalf("%d statements prepared on the connection, want 1", n)
	}
	stmt.Close()
	if n := prepared(); n != 0 {
		t.Fatalf("%d statements prepared after Close, want 0", n)
	}
}

// A query whose context ends returns at once, and the pool goes on.
func TestContextCancelsQuery(t *testing.T) {
	db := open(t)
	db.SetMaxOpenConns(1)
	for _, how := range []string{"unprepared", "prepared"} {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		var err error
		if how == "prepared" {
			var stmt *sql.Stmt
			if stmt, err = db.Prepare(`SELECT pg_sleep($1)`); err != nil {
				t.Fatal(err)
			}
			_, err = stmt.ExecContext(ctx, 30)
			stmt.Close()
		} else {
			_, err = db.ExecContext(ctx, `SELECT pg_sleep($1)`, 30)
		}
		cancel()
		if err == nil || time.Since(start) > 5*time.Second {
			t.Fatalf("%s: %v after %v", how, err, time.Since(start))
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want a deadline error", how, err)
		}
		var one int
		if err := db.QueryRow(`SELECT 1`).Scan(&one); err != nil || one != 1 {
			t.Fatalf("%s: pool after the cancellation: %v", how, err)
		}
	}
}

// A connection whose backend was terminated is replaced before the next
// statement is sent on it: the statement succeeds on a new connection,
// prepared statements included.
func TestKilledBackendIsReplaced(t *testing.T) {
	db := open(t)
	db.SetMaxOpenConns(1)
	admin := open(t)
	stmt, err := db.Prepare(`SELECT pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	var pid int64
	if err := stmt.QueryRow().Scan(&pid); err != nil {
		t.Fatal(err)
	}
	for i, run := range []func() (int64, error){
		func() (p int64, err error) { return p, db.QueryRow(`SELECT pg_backend_pid()`).Scan(&p) },
		func() (p int64, err error) { return p, stmt.QueryRow().Scan(&p) },
		func() (p int64, err error) { _, err = db.Exec(`SELECT 1`); return 0, err },
	} {
		if pid != 0 {
			terminate(t, admin, pid)
		}
		got, err := run()
		if err != nil {
			t.Fatalf("statement %d after pg_terminate_backend: %v", i, err)
		}
		if got == pid {
			t.Fatalf("statement %d ran on the terminated backend %d", i, pid)
		}
		pid = got
	}
}

// terminate ends backend pid and waits until it has gone.
func terminate(t *testing.T, admin *sql.DB, pid int64) {
	t.Helper()
	var ok bool
	if err := admin.QueryRow(`SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d): %v, %v", pid, ok, err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var n int
		if err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backend %d still there", pid)
		}
	}
}

// slowConn is a TCP connection whose writes return late, after the
// server has already answered them.
type slowConn struct{ *net.TCPConn }

func (c slowConn) Write(b []byte) (int, error) {
	n, err := c.TCPConn.Write(b)
	time.Sleep(30 * time.Millisecond)
	return n, err
}

// A write that takes pgconn more than 15 ms starts its background reader;
// when the server's whole answer arrives meanwhile, the reader is left
// waiting in one more read on the idle connection, holding the socket's
// read lock. The check of the next checkout must not wait for that lock
// (it would wait until the server sends something: forever).
func TestSlowWriteThenReuse(t *testing.T) {
	u := cluster.Database(t)
	c, err := pgsql.NewConnectorDial(u, func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := new(net.Dialer).DialContext(ctx, network, addr)
		if tc, ok := nc.(*net.TCPConn); ok {
			return slowConn{tc}, err
		}
		return nc, err
	})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxOpenConns(1)
	done := make(chan error, 1)
	go func() {
		for i := 0; i < 5; i++ {
			var n int
			if err := db.QueryRow(`SELECT $1::int`, i).Scan(&n); err != nil || n != i {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the connection stalled")
	}
}
