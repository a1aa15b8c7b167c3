package db_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-migrate/migrate/v4/database"

	"notechondria-auth/db"
	"notechondria-auth/internal/pgsql"
	"notechondria-auth/internal/testdb"
)

// The version table has golang-migrate's postgres layout, so databases
// migrated by earlier builds (the stock pgx driver) open as they are.
func TestPGMigrations_VersionTableLayout(t *testing.T) {
	target := testdb.TargetOf(t, db.Postgres)
	testdb.OpenAt(t, target, db.Options{})
	r := testdb.OpenRaw(t, target)
	var cols string
	if err := r.QueryRow(`SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`).Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if cols != "version bigint NO, dirty boolean NO" {
		t.Fatalf("schema_migrations columns: %s", cols)
	}
	var pk string
	if err := r.QueryRow(`SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		WHERE i.indrelid = 'schema_migrations'::regclass AND i.indisprimary`).Scan(&pk); err != nil || pk != "version" {
		t.Fatalf("primary key %q, %v", pk, err)
	}
	var n int
	var dirty bool
	want, _ := db.LatestVersionOf(db.Postgres)
	if err := r.QueryRow(`SELECT count(*), bool_or(dirty), max(version) FROM schema_migrations`).Scan(&n, &dirty, new(int64)); err != nil || n != 1 || dirty {
		t.Fatalf("%d rows, dirty %v, %v (want one clean row at %d)", n, dirty, err, want)
	}
}

// Migrations wait for the advisory lock golang-migrate's postgres drivers
// take (same id), so an older build migrating at the same time is waited
// for; replicas opening together migrate once.
func TestPGMigrations_WaitForTheLock(t *testing.T) {
	target := testdb.TargetOf(t, db.Postgres)
	r := testdb.OpenRaw(t, target)
	var name, schema string
	if err := r.QueryRow(`SELECT current_database(), current_schema()`).Scan(&name, &schema); err != nil {
		t.Fatal(err)
	}
	id, _ := database.GenerateAdvisoryLockId(name, schema, "schema_migrations")
	ctx := context.Background()
	p, err := pgsql.Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	holder, err := p.Conn(ctx) // a session lock: one connection
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_lock($1::bigint)`, id); err != nil {
		t.Fatal(err)
	}
	opened := make(chan error, 3)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			store, err := db.Open(ctx, target, db.Options{})
			if err == nil {
				store.Close()
			}
			opened <- err
		}()
	}
	select {
	case err := <-opened:
		t.Fatalf("opened while the lock was held: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	if _, err := holder.ExecContext(ctx, `SELECT pg_advisory_unlock($1::bigint)`, id); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(opened)
	for err := range opened {
		if err != nil {
			t.Fatalf("open after the lock was released: %v", err)
		}
	}
}

// A dirty version (a migration that failed halfway) is refused with
// golang-migrate's message, not migrated over.
func TestPGMigrations_RefusesADirtyVersion(t *testing.T) {
	target := testdb.TargetOf(t, db.Postgres)
	testdb.OpenAt(t, target, db.Options{})
	r := testdb.OpenRaw(t, target)
	if _, err := r.Exec(`UPDATE schema_migrations SET dirty = true`); err != nil {
		t.Fatal(err)
	}
	_, err := db.Open(context.Background(), target, db.Options{})
	if err == nil || !strings.Contains(err.Error(), "Dirty") {
		t.Fatalf("open of a dirty database: %v", err)
	}
}
