package pgtest

import (
	"os"
	"testing"

	"notechondria-auth/internal/pgsql"
)

var cluster Cluster

func TestMain(m *testing.M) { os.Exit(cluster.Run(m)) }

func TestDatabaseIsFreshAndWritable(t *testing.T) {
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			db, err := pgsql.Open(cluster.Database(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE t (v int)`); err != nil {
				t.Fatalf("create in a fresh database: %v", err)
			}
			var version string
			if err := db.QueryRow(`SHOW server_version`).Scan(&version); err != nil || version == "" {
				t.Fatalf("server_version %q, %v", version, err)
			}
		})
	}
}

func TestRestartKeepsData(t *testing.T) {
	srv, err := cluster.Start()
	if err != nil {
		t.Fatal(err)
	}
	if srv.cmd == nil {
		t.Skip("external server")
	}
	u := cluster.Database(t)
	db, _ := pgsql.Open(u)
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE k (v int); INSERT INTO k VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	downErr := 0
	if err := srv.Restart(func() {
		if db.Ping() != nil {
			downErr++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if downErr != 1 {
		t.Fatalf("server answered while stopped")
	}
	var v int
	if err := db.QueryRow(`SELECT v FROM k`).Scan(&v); err != nil || v != 7 {
		t.Fatalf("after restart: %d, %v", v, err)
	}
}
