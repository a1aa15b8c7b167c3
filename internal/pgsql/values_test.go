package pgsql_test

import (
	"bytes"
	"context"
	"database/sql"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"notechondria-auth/internal/pgsql"
	"notechondria-auth/internal/pgtest"
)

var cluster pgtest.Cluster

func TestMain(m *testing.M) { os.Exit(cluster.Run(m)) }

// open opens a pool on a fresh database (session time zone UTC, set as a
// startup parameter in the URL), closed when t ends.
func open(t *testing.T) *sql.DB {
	t.Helper()
	u := cluster.Database(t)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	db, err := pgsql.Open(u + sep + "timezone=UTC")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Every argument type goes in and comes back as the Go type its column
// decodes to, through an unprepared statement (one round trip), a
// prepared one, and a query without arguments; NULL is nil both ways.
func TestValues(t *testing.T) {
	db := open(t)
	mustExec(t, db, `CREATE EXTENSION IF NOT EXISTS citext;
		CREATE TABLE v (id serial PRIMARY KEY, i8 bigint, i4 integer, i2 smallint, t text,
			vc varchar(100), ci citext, ch char(3), b bytea, bo boolean, f8 double precision,
			f4 real, n numeric, ts timestamptz)`)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	tricky := `it's "quoted" \ \x00 $1 ? -- /* żółw 🐢 */` + "\n\ttab"
	cases := []struct {
		name, col string
		arg, want any
	}{
		{"int64 zero", "i8", int64(0), int64(0)},
		{"int64 max", "i8", int64(math.MaxInt64), int64(math.MaxInt64)},
		{"int64 min", "i8", int64(math.MinInt64), int64(math.MinInt64)},
		{"int", "i8", 42, int64(42)},
		{"int64 negative", "i8", int64(-1), int64(-1)},
		{"int64 NULL", "i8", nil, nil},
		{"int4 max", "i4", int64(math.MaxInt32), int64(math.MaxInt32)},
		{"int4 min", "i4", math.MinInt32, int64(math.MinInt32)},
		{"int2 min", "i2", int64(math.MinInt16), int64(math.MinInt16)},
		{"text empty", "t", "", ""},
		{"text tricky", "t", tricky, tricky},
		{"text NULL", "t", nil, nil},
		{"varchar", "vc", "varchar ü", "varchar ü"},
		{"citext", "ci", "MiXeD Case", "MiXeD Case"},
		{"char padded", "ch", "ab", "ab "},
		{"bytea empty", "b", []byte{}, []byte{}},
		{"bytea every byte", "b", all, all},
		{"bytea backslash x", "b", []byte(`\x41`), []byte(`\x41`)},
		{"bytea NULL", "b", []byte(nil), nil},
		{"bool true", "bo", true, true},
		{"bool false", "bo", false, false},
		{"bool NULL", "bo", nil, nil},
		{"float8", "f8", 1.5, 1.5},
		{"float8 negative", "f8", -0.25, -0.25},
		{"float8 max", "f8", math.MaxFloat64, math.MaxFloat64},
		{"float8 infinity", "f8", math.Inf(1), math.Inf(1)},
		{"float8 -infinity", "f8", math.Inf(-1), math.Inf(-1)},
		{"float4", "f4", 0.5, 0.5},
		{"numeric from string", "n", "12345678901234567890.5", "12345678901234567890.5"},
		{"numeric from int", "n", int64(7), "7"},
		{"timestamptz", "ts", time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC), time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)},
		{"timestamptz zone", "ts", time.Date(2024, 1, 1, 1, 0, 0, 0, time.FixedZone("", 3600)), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ins := `INSERT INTO v (` + c.col + `) VALUES ($1) RETURNING id, ` + c.col
			var id int64
			var got any
			if err := db.QueryRowContext(ctx, ins, c.arg).Scan(&id, &got); err != nil {
				t.Fatalf("unprepared: %v", err)
			}
			check(t, "unprepared", got, c.want)
			stmt, err := db.PrepareContext(ctx, ins)
			if err != nil {
				t.Fatal(err)
			}
			defer stmt.Close()
			if err := stmt.QueryRowContext(ctx, c.arg).Scan(&id, &got); err != nil {
				t.Fatalf("prepared: %v", err)
			}
			check(t, "prepared", got, c.want)
			// Read back the prepared row without arguments.
			if err := db.QueryRowContext(ctx, `SELECT `+c.col+` FROM v WHERE id = `+strconv.FormatInt(id, 10)).Scan(&got); err != nil {
				t.Fatalf("no arguments: %v", err)
			}
			check(t, "no arguments", got, c.want)
		})
	}
}

func check(t *testing.T, how string, got, want any) {
	t.Helper()
	if b, ok := want.([]byte); ok {
		if g, ok := got.([]byte); !ok || !bytes.Equal(g, b) || g == nil {
			t.Fatalf("%s: got %#v, want %#v", how, got, want)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %#v (%T), want %#v (%T)", how, got, got, want, want)
	}
}

// database/sql's conversions work from the decoded values: integer flags
// into bool, numbers into int, NULL into the Null types.
func TestScanTargets(t *testing.T) {
	db := open(t)
	var (
		n     int
		flag  bool
		s     string
		b     []byte
		ns    sql.NullString
		ni    sql.NullInt64
		i64   int64
		fromT string
	)
	err := db.QueryRow(`SELECT 7::int, 1::int, 'x'::text, '\x00ff'::bytea, NULL::text, NULL::bigint, $1::bigint, 5::int2::text`,
		int64(math.MaxInt64)).Scan(&n, &flag, &s, &b, &ns, &ni, &i64, &fromT)
	if err != nil {
		t.Fatal(err)
	}
	if n != 7 || !flag || s != "x" || !bytes.Equal(b, []byte{0, 0xff}) || ns.Valid || ni.Valid || i64 != math.MaxInt64 || fromT != "5" {
		t.Fatalf("got %d %v %q %x %v %v %d %q", n, flag, s, b, ns, ni, i64, fromT)
	}
	// A bytea read in the escape format decodes the same.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `SET bytea_output = escape`); err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 1, '\\', 'a', 0x7f, 0x80, 0xff}
	if err := conn.QueryRowContext(context.Background(), `SELECT $1::bytea`, want).Scan(&b); err != nil || !bytes.Equal(b, want) {
		t.Fatalf("escape format: %x, %v", b, err)
	}
}

// benchLookup is the shape of the store's cache-miss token check: one
// prepared SELECT by a 64-character key joining the user, about a dozen
// columns of integers and text.
const benchLookup = `SELECT s.id, s.user_id, s.key_hash, s.device_label, s.created_at, s.last_seen_at,
	s.revoked_at, u.username, u.email, u.is_active, u.is_staff, u.password_changed_at
	FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.key_hash = $1`

func seedLookup(b *testing.B, db *sql.DB) {
	b.Helper()
	if _, err := db.Exec(`CREATE TABLE users (id bigserial PRIMARY KEY, username text, email text,
			is_active int, is_staff int, password_changed_at bigint);
		CREATE TABLE sessions (id bigserial PRIMARY KEY, user_id bigint REFERENCES users, key_hash text UNIQUE,
			device_label text, created_at bigint, last_seen_at bigint, revoked_at bigint);
		INSERT INTO users (username, email, is_active, is_staff, password_changed_at)
			SELECT 'user' || i, 'user' || i || '@example.com', 1, 0, 1700000000000000 FROM generate_series(1, 100) i;
		INSERT INTO sessions (user_id, key_hash, device_label, created_at, last_seen_at)
			SELECT i % 100 + 1, md5(i::text) || md5(i::text), 'Firefox on Linux', 1700000000000000, 1700000000000000
			FROM generate_series(1, 1000) i`); err != nil {
		b.Fatal(err)
	}
}

func benchKey(i int) string {
	return strconv.Itoa(i%1000 + 1)
}

// BenchmarkPreparedLookup runs the token check's statement through
// database/sql and this driver (a real server's round trip included).
func BenchmarkPreparedLookup(b *testing.B) {
	u := cluster.Database(b)
	db, err := pgsql.Open(u)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	seedLookup(b, db)
	benchPrepared(b, db)
}

func benchPrepared(b *testing.B, db *sql.DB) {
	ctx := context.Background()
	stmt, err := db.PrepareContext(ctx, benchLookup)
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	keys := make([]string, 1000)
	for i := range keys {
		if err := db.QueryRow(`SELECT md5($1) || md5($1)`, benchKey(i)).Scan(&keys[i]); err != nil {
			b.Fatal(err)
		}
	}
	var (
		id, userID, created, seen, changed int64
		revoked                            sql.NullInt64
		key, label, name, email            string
		active, staff                      bool
	)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := stmt.QueryRowContext(ctx, keys[i%len(keys)]).Scan(&id, &userID, &key, &label, &created, &seen,
			&revoked, &name, &email, &active, &staff, &changed); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
