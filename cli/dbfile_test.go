package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A database that will not open is named, with the cause and what to do.
func TestOpenDB_ErrorsNameTheFileAndTheFix(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain-file")
	notDB := filepath.Join(dir, "notes.txt")
	readOnly := filepath.Join(dir, "readonly.db")
	damaged := filepath.Join(dir, "damaged.db")
	for p, data := range map[string]string{file: "x", notDB: strings.Repeat("these are not the tables you are looking for\n", 20),
		damaged: "SQLite format 3\x00" + strings.Repeat("garbage", 200)} {
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		args []string
		path string
		want string // after "open database PATH: "
	}{
		{"directory cannot be created", []string{"user", "create", "--username", "bob", "--email", "bob@example.com", "--password", "Strong1pw"},
			filepath.Join(file, "sub", "auth.db"), file + " is a file, not a directory: fix --db / NTC_DB"},
		{"serve: directory cannot be created", []string{"serve", "--addr", "127.0.0.1:0"},
			filepath.Join(file, "auth.db"), file + " is a file, not a directory: fix --db / NTC_DB"},
		{"a directory", []string{"user", "list"}, dir,
			"is a directory: --db / NTC_DB names the database file itself, e.g. " + filepath.Join(dir, "notechondria-auth.db")},
		{"serve: a directory", []string{"serve", "--addr", "127.0.0.1:0"}, dir, "is a directory"},
		{"missing database", []string{"sessions", "revoke", "--all"}, filepath.Join(dir, "typo.db"),
			"no such file: check --db / NTC_DB (this command does not create a database"},
		{"not a database", []string{"user", "list"}, notDB,
			`not a SQLite database (it does not start with "SQLite format 3"): check that --db / NTC_DB names the right file`},
		{"version: not a database", []string{"version"}, notDB, "not a SQLite database"},
		{"damaged", []string{"backup", "--to", filepath.Join(dir, "copy.db")}, damaged,
			"failed its integrity check (PRAGMA quick_check: file is not a database (26)): restore it from a backup"},
		{"permission", []string{"user", "list"}, readOnly, "permission denied: run the command as the user that owns the database"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.path == readOnly {
				if os.Geteuid() == 0 {
					t.Skip("root may write any file")
				}
				path := newDB(t)
				if err := os.Chmod(path, 0o400); err != nil {
					t.Fatal(err)
				}
				c.path = path
			}
			r := run(t, append(c.args, "--db", c.path)...)
			prefix := "open database " + c.path + ": "
			if r.code != 1 || !strings.HasPrefix(r.msg(), prefix) || !strings.Contains(r.msg(), c.want) {
				t.Fatalf("exit %d, error %q\nwant %q...%q", r.code, r.msg(), prefix, c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "typo.db")); !os.IsNotExist(err) {
		t.Fatal("the missing database was created")
	}
}

// dbHint covers the causes a test cannot provoke as root.
func TestOpenDB_Hints(t *testing.T) {
	pathErr := func(e error) error { return &fs.PathError{Op: "open", Path: "/srv/auth.db", Err: e} }
	for _, c := range []struct {
		err  error
		want string
	}{
		{pathErr(syscall.EACCES), "permission denied: run the command as the user that owns the database"},
		{fmt.Errorf("db: create directory: %w", &fs.PathError{Op: "mkdir", Path: "/srv", Err: syscall.EACCES}), "permission denied"},
		{pathErr(syscall.EROFS), "the file system is read-only"},
		{pathErr(syscall.ENOSPC), "the disk is full"},
		{errors.New("db: create directory: mkdir /srv: something odd"), "create the directory yourself"},
		{errors.New("unable to open database file: out of memory (14)"), "SQLite needs read and write access to the file and to its directory"},
		{errors.New("db: /srv/auth.db failed its integrity check (PRAGMA quick_check: x): restore it from a backup (see docs/OPERATIONS.md)"), ""},
		{errors.New("something else"), "check --db / NTC_DB"},
	} {
		if got := dbHint(c.err); c.want == "" && got != "" || !strings.Contains(got, c.want) {
			t.Errorf("%v: hint %q, want %q", c.err, got, c.want)
		}
	}
	e := openError{path: "/srv/auth.db", err: pathErr(syscall.EACCES), hint: "h"}
	if e.Error() != "open database /srv/auth.db: permission denied: h" || !errors.Is(e, fs.ErrPermission) {
		t.Errorf("%q", e.Error())
	}
}
