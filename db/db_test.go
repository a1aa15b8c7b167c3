package db_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

var t0 = time.Date(2026, 4, 23, 3, 32, 23, 123456000, time.UTC)

// open opens a fresh database file in a temporary directory.
func open(t *testing.T) *db.DB {
	t.Helper()
	store, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "auth.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// openOn opens a fresh store of engine e.
func openOn(t *testing.T, e db.Engine) *db.DB {
	t.Helper()
	return testdb.OpenAt(t, testdb.TargetOf(t, e), db.Options{})
}

// user inserts an active user.
func user(t *testing.T, store *db.DB, name string) *app.User {
	t.Helper()
	u := app.NewUser(name, name+"@example.com", t0)
	u.Password, u.IsActive = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo", true
	if err := store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// raw opens a second plain connection to the file.
func raw(t *testing.T, path string) *sql.DB {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestOpenCreatesFileAndDirectory(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	path := filepath.Join(dir, "auth.db")
	store, err := db.Open(ctx, path, db.Options{ReadConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if store.Path() != path {
		t.Fatalf("Path %q", store.Path())
	}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		t.Fatalf("directory: %v", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("directory mode %v is readable by others", fi.Mode().Perm())
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("database file: %v", err)
	}
	// In an existing, world-readable directory the files are still
	// private (they hold password hashes and email addresses).
	shared := t.TempDir()
	if err := os.Chmod(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	other, err := db.Open(ctx, filepath.Join(shared, "auth.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.SetAPIKey(ctx, 1, "x", "y", time.Now()); err == nil {
		t.Fatal("api key for a missing user") // also forces a WAL write
	}
	for _, f := range []string{"auth.db", "auth.db-wal", "auth.db-shm"} {
		fi, err := os.Stat(filepath.Join(shared, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v", f, fi.Mode().Perm())
		}
	}
	var mode string
	if err := raw(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	if _, err := db.Open(ctx, "", db.Options{}); err == nil {
		t.Fatal("empty path accepted")
	}
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "auth.db")
	store, err := db.Open(ctx, path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := user(t, store, "alice")
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		store, err = db.Open(ctx, path, db.Options{})
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if err := store.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := store.UserByID(ctx, u.ID)
		if err != nil || got.Username != "alice" {
			t.Fatalf("data lost on reopen: %v %v", got, err)
		}
		store.Close()
	}
	want, err := db.LatestVersion()
	if err != nil || want == 0 {
		t.Fatalf("LatestVersion %d, %v", want, err)
	}
	var v int
	var dirty bool
	if err := raw(t, path).QueryRow(`SELECT version, dirty FROM schema_migrations`).Scan(&v, &dirty); err != nil {
		t.Fatal(err)
	}
	if uint(v) != want || dirty {
		t.Fatalf("schema version %d dirty=%v, want %d", v, dirty, want)
	}
}

func TestPing(t *testing.T) {
	ctx := context.Background()
	store := open(t)
	if err := store.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	// A dirty migration state is not ready.
	if _, err := raw(t, store.Path()).Exec(`UPDATE schema_migrations SET dirty = 1`); err != nil {
		t.Fatal(err)
	}
	if err := store.Ping(ctx); app.ErrorCode(err) != app.EINTERNAL {
		t.Fatalf("dirty schema: %v", err)
	}
	if _, err := raw(t, store.Path()).Exec(`UPDATE schema_migrations SET dirty = 0`); err != nil {
		t.Fatal(err)
	}
	if err := store.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	store.Close()
	if err := store.Ping(ctx); err == nil {
		t.Fatal("Ping after Close succeeded")
	}
}

// TestConflictTranslation: unique violations become ECONFLICT, missing rows
// ENOTFOUND, by type and code.
func TestConflictTranslation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		alice := user(t, store, "alice")
		bob := user(t, store, "bob")
		tests := []struct {
			name string
			run  func() error
			code string
		}{
			{"duplicate username", func() error {
				return store.CreateUser(ctx, app.NewUser("alice", "other@example.com", t0))
			}, app.ECONFLICT},
			{"duplicate username, other case", func() error {
				return store.CreateUser(ctx, app.NewUser("ALICE", "other@example.com", t0))
			}, app.ECONFLICT},
			{"rename onto a taken username", func() error {
				b := *bob
				b.Username = "Alice"
				return store.UpdateUser(ctx, &b)
			}, app.ECONFLICT},
			{"duplicate session key hash", func() error {
				s := &app.Session{UserID: alice.ID, KeyHash: app.HashHex("k"), CreatedAt: t0, LastSeenAt: t0}
				if err := store.CreateSession(ctx, s); err != nil {
					return err
				}
				return store.CreateSession(ctx, &app.Session{UserID: bob.ID, KeyHash: app.HashHex("k"), CreatedAt: t0, LastSeenAt: t0})
			}, app.ECONFLICT},
			{"api key hash of another user", func() error {
				if _, err := store.SetAPIKey(ctx, alice.ID, app.HashHex("ntc_x"), "ntc_x", t0); err != nil {
					return err
				}
				_, err := store.SetAPIKey(ctx, bob.ID, app.HashHex("ntc_x"), "ntc_x", t0)
				return err
			}, app.ECONFLICT},
			{"duplicate invitation", func() error {
				inv := &app.Invitation{CodeHash: app.HashHex("inv"), MaxUses: 1, CreatedAt: t0}
				if err := store.CreateInvitation(ctx, inv); err != nil {
					return err
				}
				return store.CreateInvitation(ctx, &app.Invitation{CodeHash: app.HashHex("inv"), MaxUses: 1, CreatedAt: t0})
			}, app.ECONFLICT},
			{"unknown user", func() error { _, err := store.UserByID(ctx, 9999); return err }, app.ENOTFOUND},
			{"unknown session", func() error { _, _, err := store.SessionByKeyHash(ctx, app.HashHex("nope")); return err }, app.ENOTFOUND},
			{"password of unknown user", func() error {
				_, err := store.SetPassword(ctx, 9999, "x", false, 0, t0)
				return err
			}, app.ENOTFOUND},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.run()
				if got := app.ErrorCode(err); got != tc.code {
					t.Fatalf("error %v (code %q), want %q", err, got, tc.code)
				}
				if app.ErrorMessage(err) == "" {
					t.Fatal("no public message")
				}
			})
		}
		// The failed writes left nothing half-done.
		if u, err := store.UserByID(ctx, bob.ID); err != nil || u.Username != "bob" {
			t.Fatalf("bob after failed rename: %v %v", u, err)
		}
		if u, _ := store.UserByAPIKeyHash(ctx, app.HashHex("ntc_x")); u == nil || u.ID != alice.ID {
			t.Fatalf("api key owner changed: %v", u)
		}
	})
}
