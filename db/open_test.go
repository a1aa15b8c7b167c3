package db_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notechondria-auth/db"
)

// An existing empty file is refused (SQLite would silently make it a new,
// empty database); a missing file is created.
func TestOpen_Security_RefusesAnExistingEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := db.Open(context.Background(), path, db.Options{})
	if err == nil || !strings.Contains(err.Error(), "is empty") || !strings.Contains(err.Error(), path) {
		t.Fatalf("open of an empty file: %v", err)
	}
	if st, _ := os.Stat(path); st.Size() != 0 {
		t.Fatal("the empty file was written to")
	}
	fresh := filepath.Join(t.TempDir(), "new.db")
	store, err := db.Open(context.Background(), fresh, db.Options{})
	if err != nil {
		t.Fatalf("new file: %v", err)
	}
	store.Close()
	store, err = db.Open(context.Background(), fresh, db.Options{}) // and reopens
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	store.Close()
}

// A damaged file is refused at open with the check's findings, instead of
// starting and answering 500 on the first login.
func TestOpen_Security_RefusesADamagedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.db")
	store := openPath(t, path)
	for i := 0; i < 200; i++ {
		user(t, store, "user"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	store.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Overwrite the middle pages (table and index b-tree pages of users)
	// with garbage, leaving the header and schema page intact.
	page := 4096
	for off := 2 * page; off < len(b)-page; off += 1 {
		b[off] = 0xA5
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = db.Open(context.Background(), path, db.Options{})
	if err == nil || !strings.Contains(err.Error(), "restore it from a backup") {
		t.Fatalf("open of a damaged file: %v", err)
	}
}

// Backup creates the copy owner-only before writing it (no window in which
// the password hashes are world-readable), and refuses an existing target.
func TestBackup_Security_CopyIsPrivateFromTheStart(t *testing.T) {
	store := open(t)
	user(t, store, "alice")
	target := filepath.Join(t.TempDir(), "copy.db")
	if err := store.Backup(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 || st.Size() == 0 {
		t.Fatalf("backup mode %v size %d, want 0600 and data", st.Mode().Perm(), st.Size())
	}
	if err := store.Backup(context.Background(), target); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("second backup onto the same file: %v", err)
	}
}

func openPath(t *testing.T, path string) *db.DB {
	t.Helper()
	store, err := db.Open(context.Background(), path, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return store
}
