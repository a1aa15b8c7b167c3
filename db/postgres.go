package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"notechondria-auth/internal/pgsql"
)

// writeLockKey is the transaction-level advisory lock every PostgreSQL
// write transaction takes first (advisory locks are per database, so two
// deployments on one server do not share it).
const writeLockKey = 0x6e7463_0001 // "ntc" 1

// ChangeChannel is the NOTIFY channel of committed change-log rows.
const ChangeChannel = "notechondria_auth_changes"

// defaultPGConns is the PostgreSQL pool size when Options.ReadConns is 0.
const defaultPGConns = 10

// openPostgres connects to the database at rawURL and migrates it.
func openPostgres(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	safe := redactURL(rawURL)
	connector, err := pgsql.NewConnector(rawURL)
	if err != nil {
		return nil, fmt.Errorf("db: %s is not a usable PostgreSQL URL: %v", safe, pgErrText(err))
	}
	if err := migratePostgres(ctx, connector, safe); err != nil {
		return nil, err
	}
	p := sql.OpenDB(connector)
	n := opts.ReadConns
	if n <= 0 {
		n = defaultPGConns
	}
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	// Recycle connections now and then: a replica behind a pooler or
	// failover address follows DNS and server restarts.
	p.SetConnMaxLifetime(30 * time.Minute)
	d := &dialect{engine: Postgres}
	db := &DB{d: d, path: safe, url: rawURL, w: p, r: pool{db: p, d: d}, rd: &preparedReader{pool: p, d: d}}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migratePostgres applies the pending migrations on a pool of its own
// (safe is the URL for errors).
func migratePostgres(ctx context.Context, connector *pgsql.Connector, safe string) error {
	p := sql.OpenDB(connector)
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return fmt.Errorf("db: connect to %s: %v", safe, pgErrText(err))
	}
	drv, err := newPGMigrations(ctx, p)
	if err != nil {
		p.Close()
		return fmt.Errorf("db: migrate driver: %w", err)
	}
	return migrateUp(Postgres, drv, func() { drv.Close() }) // closes p
}

// redactURL is the URL with its password replaced, for logs and errors.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(unparseable URL)"
	}
	return u.Redacted()
}

// pgErrText is an error's text without the URL pgconn sometimes quotes
// (which may hold the password).
func pgErrText(err error) string {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) && ce.Unwrap() != nil {
		return ce.Unwrap().Error()
	}
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return pe.Unwrap().Error()
	}
	return err.Error()
}

// lockWrites takes the write lock of a PostgreSQL transaction (a no-op on
// SQLite, whose single writer connection is the lock).
func lockWrites(ctx context.Context, tx *txn) error {
	if tx.d.engine != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(writeLockKey))
	return err
}

// appendChangesPostgres numbers tx's changes from change_head and queues a
// NOTIFY, which PostgreSQL delivers only when (and if) the transaction
// commits. The write lock makes the numbers contiguous and in commit order.
func appendChangesPostgres(ctx context.Context, tx *txn, at int64) error {
	var head int64
	if err := tx.QueryRowContext(ctx, `UPDATE change_head SET seq = seq + ? WHERE one = 1 RETURNING seq`,
		int64(len(tx.changes))).Scan(&head); err != nil {
		return err
	}
	first := head - int64(len(tx.changes)) + 1
	for i, c := range tx.changes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO cache_changes (seq, kind, user_id, key_hash, at)
			VALUES (?,?,?,?,?)`, first+int64(i), string(c.Kind), c.UserID, c.KeyHash, at); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, ChangeChannel, strconv.FormatInt(head, 10))
	return err
}

// pgUnique reports a PostgreSQL unique violation.
func pgUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// ListenChanges follows the change channel on a connection of its own
// until ctx ends: up(true) once it listens, wake() after every
// notification, up(false) when the connection is lost (it reconnects with
// a backoff of up to 2 s). On SQLite it returns at once with nil: processes
// on one file poll the log.
func (db *DB) ListenChanges(ctx context.Context, wake func(), up func(bool, error)) error {
	if db.d.engine != Postgres {
		return nil
	}
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, wake, func() {
			backoff = 50 * time.Millisecond
			up(true, nil)
		})
		if ctx.Err() != nil {
			return nil
		}
		up(false, err)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
	return nil
}

func (db *DB) listenOnce(ctx context.Context, wake, listening func()) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgconn.Connect(cctx, db.url)
	cancel()
	if err != nil {
		return errors.New(pgErrText(err))
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if err := conn.Exec(ctx, `LISTEN `+ChangeChannel).Close(); err != nil {
		return err
	}
	listening()
	for {
		if err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}

// TryLead takes the deployment-wide lock called name on PostgreSQL (a
// session advisory lock on a connection of its own) and reports whether it
// got it; release gives it back. On SQLite it always succeeds: the
// processes on one file are one deployment's single server and its CLI.
func (db *DB) TryLead(ctx context.Context, name string) (release func(), ok bool, err error) {
	if db.d.engine != Postgres {
		return func() {}, true, nil
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, false, translate(err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 0))`, name).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, false, translate(err)
	}
	return func() {
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, name)
		conn.Close()
	}, true, nil
}

// PushesChanges reports whether ListenChanges delivers changes: true on
// PostgreSQL.
func (db *DB) PushesChanges() bool { return db.d.engine == Postgres }
