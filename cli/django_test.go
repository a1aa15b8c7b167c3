package cli

import (
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/djangotest"
	"notechondria-auth/internal/pgtest"
)

var cluster pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(cluster.Run(m)) }

// A small Django database: one user with a live session, one invitation.
func smallDjango(t *testing.T) (url, key string) {
	t.Helper()
	dj := djangotest.New(t, cluster.Database(t))
	now := time.Now()
	id := dj.AddUser(djangotest.User{Username: "alice", Email: "alice@example.com", IsActive: true,
		Password: djangotest.Hash("Alice-pw-1", "salt", 1000), DateJoined: now.Add(-100 * 24 * time.Hour)})
	key = djangotest.RandomHex(t, 20)
	dj.AddSession(djangotest.Session{UserID: id, Key: key, CreatedAt: now.Add(-time.Hour), LastSeenAt: now.Add(-time.Minute)})
	dj.AddInvitation(djangotest.Invitation{Code: "WELCOME", MaxUses: 1, CreatedAt: now})
	return dj.URL, key
}

// fileSum is the hash of a file's bytes ("" when it does not exist).
func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	} else if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// The command's runs as an operator makes them: a dry run against a
// missing target, the import, a dry run against the imported target, a
// re-run (with the URL from the environment).
func TestImportDjango_DryRunImportRerun(t *testing.T) {
	url, key := smallDjango(t)
	target := filepath.Join(t.TempDir(), "data", "auth.db")

	r := run(t, "import-django", "--from", url, "--db", target, "--dry-run")
	if r.code != 0 || !strings.Contains(r.out, "Dry run: nothing was written") ||
		!strings.Contains(r.out, "auth_user                  1     1          0") {
		t.Fatalf("dry run: %d %v\n%s", r.code, r.err, r.out)
	}
	if _, err := os.Stat(filepath.Dir(target)); !os.IsNotExist(err) {
		t.Fatalf("the dry run created the target's directory: %v", err)
	}

	r = run(t, "import-django", "--from", url, "--db", target)
	if r.code != 0 || !strings.Contains(r.out, "Target: "+target) ||
		!strings.Contains(r.out, "creators_session           1     1         0") {
		t.Fatalf("import: %d %v\n%s", r.code, r.err, r.out)
	}
	store, err := db.Open(t.Context(), target, db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, u, err := store.SessionByKeyHash(t.Context(), app.HashHex(key)); err != nil || u.Username != "alice" {
		t.Fatalf("the session: %v %v", u, err)
	}
	store.Close()

	before := fileSum(t, target)
	r = run(t, "import-django", "--from", url, "--db", target, "--dry-run")
	if r.code != 0 || !strings.Contains(r.out, "auth_user: 1 already imported") {
		t.Fatalf("dry run after the import: %d %v\n%s", r.code, r.err, r.out)
	}
	// The read-only snapshot leaves the file as it was; SQLite may create
	// an empty -wal and the -shm index beside it, as any reader of a WAL
	// database does.
	wal, _ := os.Stat(target + "-wal")
	if after := fileSum(t, target); after != before || (wal != nil && wal.Size() != 0) {
		t.Fatal("the dry run changed the target")
	}

	r = call{env: map[string]string{"NTC_DJANGO_DB": url, "NTC_DB": target}}.run(t, "import-django")
	if r.code != 0 || !strings.Contains(r.out, "creators_session: 1 already imported") ||
		!strings.Contains(r.out, "creators_invitationcode    1     0         1") {
		t.Fatalf("re-run: %d %v\n%s", r.code, r.err, r.out)
	}
}

// Each mistake is one line on stderr (through main) with the right exit
// status, and creates no target database.
func TestImportDjango_Errors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := fmt.Sprintf("postgres://django:pw-secret@%s/notechondria", l.Addr())
	l.Close()
	noSession := djangotest.New(t, cluster.Database(t))
	noSession.Exec(`DROP TABLE creators_session`)
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no --from", []string{}, 2, "import-django: --from (or NTC_DJANGO_DB) is required"},
		{"not PostgreSQL", []string{"--from", "sqlite:///tmp/x.db"}, 1,
			"import-django: the Django database URL is not a PostgreSQL connection string"},
		{"nobody listening", []string{"--from", closed}, 1, "import-django: connect to the Django database django@127.0.0.1:"},
		{"not 0.1.65", []string{"--from", noSession.URL}, 1,
			"is not a Notechondria 0.1.65 Django database: missing table creators_session"},
		{"stray argument", []string{"--from", closed, "now"}, 2, `unexpected argument "now"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			target := filepath.Join(t.TempDir(), "auth.db")
			r := run(t, append([]string{"import-django", "--db", target}, c.args...)...)
			if r.code != c.code || !strings.Contains(r.msg(), c.want) || strings.Contains(r.msg(), "pw-secret") ||
				strings.Contains(r.msg(), "\n") {
				t.Fatalf("exit %d (want %d), error %q, want %q", r.code, c.code, r.msg(), c.want)
			}
			if _, err := os.Stat(target); !os.IsNotExist(err) {
				t.Fatalf("the target was created: %v", err)
			}
		})
	}
}
