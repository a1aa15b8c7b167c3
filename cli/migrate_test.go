package cli

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

var tSeed = time.Date(2026, 5, 2, 9, 30, 0, 123456000, time.UTC)

// seeded is a database at target filled by testdb.Seed (closed again).
func seeded(t *testing.T, target string) testdb.Fixture {
	t.Helper()
	store, err := db.Open(context.Background(), target, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	return testdb.Seed(t, store, tSeed)
}

// authenticates checks that the session key signs in on the database at
// target, as a server started on it would see it.
func authenticates(t *testing.T, target, key string) {
	t.Helper()
	store := testdb.OpenAt(t, target, db.Options{})
	core, err := app.NewCore(context.Background(), store, app.DefaultConfig(), app.Options{Now: func() time.Time { return tSeed.Add(time.Minute) }})
	if err != nil {
		t.Fatal(err)
	}
	if auth, err := core.Authenticate(context.Background(), "Token "+key, false); err != nil || auth.User.Username != "alice" {
		t.Fatalf("session on %s: %+v %v", target, auth, err)
	}
}

// tableLines are the per-table lines of migrate-store's report.
var tableLine = regexp.MustCompile(`(?m)^([a-z_]+) +(\d+) +([0-9a-f]{16}) +ok$`)

// migrate-store moves a SQLite database into PostgreSQL and back: every
// table verified, the same checksums on the way there and back, and the
// signed-in session keeps working on each.
func TestMigrateStore_BothWaysKeepTheSession(t *testing.T) {
	src := filepath.Join(t.TempDir(), "auth.db")
	f := seeded(t, src)
	pg := cluster.Database(t)
	there := run(t, "migrate-store", "--from", src, "--to", pg)
	if there.code != 0 {
		t.Fatalf("to PostgreSQL: %d %v\n%s", there.code, there.err, there.out)
	}
	lines := tableLine.FindAllStringSubmatch(there.out, -1)
	if !strings.HasPrefix(there.out, "TABLE ") || len(lines) != len(f.Rows) ||
		!strings.Contains(there.out, strconv.Itoa(len(f.Rows))+" tables copied from "+src+" into postgres://") ||
		!strings.Contains(there.out, "change counter continues from ") {
		t.Fatalf("report:\n%s", there.out)
	}
	for _, l := range lines {
		if want := f.Rows[l[1]]; l[2] != strconv.FormatInt(want, 10) {
			t.Errorf("%s: %s rows, want %d", l[1], l[2], want)
		}
	}
	authenticates(t, pg, f.SessionKey)

	back := filepath.Join(t.TempDir(), "back", "auth.db")
	r := run(t, "migrate-store", "--from", pg, "--to", back)
	if r.code != 0 {
		t.Fatalf("back to SQLite: %d %v\n%s", r.code, r.err, r.out)
	}
	if got := tableLine.FindAllString(r.out, -1); strings.Join(got, "\n") != strings.Join(tableLine.FindAllString(there.out, -1), "\n") {
		t.Fatalf("the way back differs:\n%s\nvs\n%s", r.out, there.out)
	}
	authenticates(t, back, f.SessionKey)
	if st, err := os.Stat(back); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new SQLite file: %v %v", st, err)
	}
}

// A target with data is refused, named with what it holds, and left as it
// was.
func TestMigrateStore_RefusesATargetWithData(t *testing.T) {
	src := filepath.Join(t.TempDir(), "auth.db")
	seeded(t, src)
	target := newDB(t) // alice
	r := run(t, "migrate-store", "--from", src, "--to", target)
	if r.code != 1 || !strings.Contains(r.msg(), "migrate-store: "+target+": the target database is not empty (users: 1 row): nothing was written") ||
		!strings.Contains(r.msg(), "give --to a new file, or a new PostgreSQL database (createdb)") {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
	if l := run(t, "user", "list", "--db", target); l.code != 0 || strings.Count(l.out, "\n") != 2 || !strings.Contains(l.out, "alice") {
		t.Fatalf("target after the refusal:\n%s", l.out)
	}
}

// --dry-run prints the verified table and writes nothing: a new SQLite
// file is not left behind, a PostgreSQL database stays empty.
func TestMigrateStore_DryRunWritesNothing(t *testing.T) {
	src := filepath.Join(t.TempDir(), "auth.db")
	f := seeded(t, src)
	file := filepath.Join(t.TempDir(), "new.db")
	pg := cluster.Database(t)
	for _, target := range []string{file, pg} {
		r := run(t, "migrate-store", "--from", src, "--to", target, "--dry-run")
		if r.code != 0 || len(tableLine.FindAllString(r.out, -1)) != len(f.Rows) || !strings.Contains(r.out, "then rolled back: nothing was written") {
			t.Fatalf("dry run into %s: %d %v\n%s", target, r.code, r.err, r.out)
		}
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("dry run left %s behind: %v", file, err)
	}
	var n int
	if err := testdb.OpenRaw(t, pg).QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("users after a dry run: %d %v", n, err)
	}
}

// Mistakes are named with the flag to fix, and leave no file behind.
func TestMigrateStore_Errors(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "auth.db")
	seeded(t, src)
	pg := cluster.Database(t)
	newFile := filepath.Join(dir, "new.db")
	u, err := url.Parse(pg)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/no_such_database"
	noSuchDB := u.String()
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no target", []string{"--from", src}, 2, []string{"--from and --to are both required"}},
		{"same database", []string{"--from", src, "--to", src}, 2, []string{"same database"}},
		{"missing source", []string{"--from", filepath.Join(dir, "typo.db"), "--to", newFile}, 1,
			[]string{"migrate-store: source " + filepath.Join(dir, "typo.db") + ": no such file: check --from"}},
		{"source not a database", []string{"--from", "/etc/hostname", "--to", newFile}, 1,
			[]string{"migrate-store: source: open database /etc/hostname: not a SQLite database", "check that --from names the right file"}},
		{"unparseable URL", []string{"--from", src, "--to", "postgres://ntc:s3cret@db:x/auth"}, 1,
			[]string{"migrate-store: target: open database: ", "is not a usable PostgreSQL URL", "check --to"}},
		{"nothing listening", []string{"--from", src, "--to", "postgres://ntc:s3cret@127.0.0.1:1/auth?connect_timeout=5"}, 1,
			[]string{"migrate-store: target: open database: connect to postgres://ntc:xxxxx@127.0.0.1:1/auth", "is the server running"}},
		{"no such database", []string{"--from", src, "--to", noSuchDB}, 1,
			[]string{"no_such_database\" does not exist", "create the database first (createdb)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, append([]string{"migrate-store"}, c.args...)...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d: %v", r.code, c.code, r.err)
			}
			for _, w := range c.want {
				if !strings.Contains(r.msg(), w) {
					t.Fatalf("error %q\nwant %q", r.msg(), w)
				}
			}
			if strings.Contains(r.msg(), "s3cret") {
				t.Fatalf("the password is in the error: %q", r.msg())
			}
			if _, err := os.Stat(newFile); !os.IsNotExist(err) {
				t.Fatal("a target file was created")
			}
		})
	}
	// A row PostgreSQL refuses (SQLite keeps a NUL in TEXT): rolled back.
	if _, err := testdb.OpenRaw(t, src).Exec(`UPDATE users SET motto = 'a' || char(0) || 'b' WHERE username = 'carol'`); err != nil {
		t.Fatal(err)
	}
	r := run(t, "migrate-store", "--from", src, "--to", pg)
	if r.code != 1 || !strings.Contains(r.msg(), ": copy users: rows with id 1 to 3: ") ||
		!strings.HasSuffix(r.msg(), ": the copy was rolled back, nothing was written") {
		t.Fatalf("exit %d: %v", r.code, r.err)
	}
}

// backup on PostgreSQL points at pg_dump before it connects, without
// repeating the URL (it may hold a password).
func TestBackup_PostgresSaysUsePgDump(t *testing.T) {
	for _, url := range []string{"postgres://ntc:s3cret@127.0.0.1:1/auth", cluster.Database(t)} {
		to := filepath.Join(t.TempDir(), "copy.db")
		r := run(t, "backup", "--db", url, "--to", to)
		if r.code != 1 || r.msg() != pgBackupAdvice || strings.Contains(r.msg(), "s3cret") {
			t.Fatalf("exit %d: %v", r.code, r.err)
		}
		if _, err := os.Stat(to); !os.IsNotExist(err) {
			t.Fatal("backup wrote a file")
		}
	}
	if !strings.Contains(pgBackupAdvice, "use pg_dump") {
		t.Fatalf("%s", pgBackupAdvice)
	}
	if h := run(t, "backup", "--help"); !strings.Contains(h.out, "On PostgreSQL use pg_dump") {
		t.Fatalf("backup --help:\n%s", h.out)
	}
}
