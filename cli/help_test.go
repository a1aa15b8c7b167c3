package cli

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"notechondria-auth/db"
)

// Every command and subcommand answers --help (and -h, and "help CMD")
// with its usage on stdout and exit status 0; the ones that use a database
// document --db and NTC_DB.
func TestHelp_EveryCommand(t *testing.T) {
	commands := []struct {
		name string
		db   bool // takes --db
	}{
		{"serve", true}, {"config", true},
		{"user", false}, {"user create", true}, {"user list", true}, {"user set-password", true},
		{"user deactivate", true}, {"user activate", true},
		{"invite", false}, {"invite create", true},
		{"sessions", false}, {"sessions list", true}, {"sessions revoke", true}, {"audit", true},
		{"backup", true}, {"import-django", true}, {"migrate-store", false}, {"healthcheck", true}, {"version", true},
	}
	// The table covers every command of the top-level usage.
	listed := map[string]bool{}
	for _, c := range commands {
		listed[strings.Fields(c.name)[0]] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z-]+)  `).FindAllStringSubmatch(topUsage, -1) {
		if !listed[m[1]] {
			t.Errorf("command %q of the usage is not in this table", m[1])
		}
	}
	for _, c := range commands {
		for _, form := range []string{"--help", "-h", "help"} {
			args := append(strings.Fields(c.name), form)
			if form == "help" {
				args = append([]string{"help"}, strings.Fields(c.name)...)
			}
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := run(t, args...)
				if r.code != 0 || r.errOut != "" {
					t.Fatalf("exit %d, err %v, stderr %q", r.code, r.err, r.errOut)
				}
				if !strings.Contains(r.out, "Usage: notechondria-auth "+c.name) {
					t.Fatalf("no usage of %q on stdout:\n%s", c.name, r.out)
				}
				if c.db && (!strings.Contains(r.out, "  --db") || !strings.Contains(r.out, "[$NTC_DB]")) {
					t.Fatalf("usage does not document --db [$NTC_DB]:\n%s", r.out)
				}
			})
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		if r := run(t, args...); r.code != 0 || !strings.Contains(r.out, "Commands:") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.out)
		}
	}
}

// version --db reports the schema version without creating, migrating or
// writing the file; healthcheck takes --db and ignores it.
func TestVersion_DB(t *testing.T) {
	latest, err := db.LatestVersion()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	missing := filepath.Join(dir, "none", "auth.db")
	r := run(t, "version", "--db", missing)
	if r.code != 0 || !strings.HasPrefix(r.out, "notechondria-auth test (") || !strings.Contains(r.out, "\nschema: none (") {
		t.Fatalf("missing file: %d %v %q", r.code, r.err, r.out)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !os.IsNotExist(err) {
		t.Fatalf("version created %s", filepath.Dir(missing))
	}
	if r := run(t, "version"); r.code != 0 || strings.Contains(r.out, "schema") || strings.Count(r.out, "\n") != 1 {
		t.Fatalf("without --db: one line, got %q", r.out)
	}

	path := newDB(t)
	setVersion := func(v int, dirty bool) {
		t.Helper()
		conn, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Exec(`UPDATE schema_migrations SET version = ?, dirty = ?`, v, dirty); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		setup func()
		env   map[string]string
		want  string
	}{
		{"current", func() {}, nil, fmt.Sprintf("schema: %d (current)\n", latest)},
		{"from NTC_DB", func() {}, map[string]string{"NTC_DB": path}, fmt.Sprintf("schema: %d (current)\n", latest)},
		{"behind", func() { setVersion(int(latest)-1, false) }, nil, fmt.Sprintf("schema: %d (behind: this binary's is %d;", latest-1, latest)},
		{"ahead", func() { setVersion(int(latest)+1, false) }, nil, fmt.Sprintf("schema: %d (ahead:", latest+1)},
		{"dirty", func() { setVersion(int(latest), true) }, nil, fmt.Sprintf("schema: %d (dirty:", latest)},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.setup()
			args := []string{"version", "--db", path}
			if c.env != nil {
				args = args[:1]
			}
			r := call{env: c.env}.run(t, args...)
			if r.code != 0 || !strings.Contains(r.out, "\n"+c.want) {
				t.Fatalf("exit %d %v, want %q in:\n%s", r.code, r.err, c.want, r.out)
			}
		})
	}
	// "behind" was not migrated by version: it is still behind.
	setVersion(int(latest)-1, false)
	run(t, "version", "--db", path)
	if r := run(t, "version", "--db", path); !strings.Contains(r.out, "(behind") {
		t.Fatalf("version migrated the database: %q", r.out)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ok"}`)) }))
	defer srv.Close()
	if r := run(t, "healthcheck", "--url", srv.URL, "--db", filepath.Join(dir, "nowhere.db")); r.code != 0 || r.out != "ok\n" {
		t.Fatalf("healthcheck --db: %d %v %q", r.code, r.err, r.out)
	}
}
