// Command seed prepares databases for bench/load.sh with the product's own
// code: db.Open creates the file and applies the embedded migrations, the
// password hash comes from notechondria-auth/password with the default
// argon2id parameters, and key hashes from app.HashHex. Rows are then
// inserted in large transactions with prepared statements (50k rows each,
// synchronous=OFF while seeding) so a million sessions take seconds, not the
// hours one fsynced transaction per row would.
//
//	seed db       -db PATH -users N -sessions N -live N -tokens FILE
//	seed count    -db PATH            (sessions total and expired, JSON)
//	seed hashtime -n N                (median ms of one default argon2id hash)
//
// Layout of `seed db`: users bench1..benchN (password benchPassword); session
// i belongs to user i%N+1 and has the key benchKey(i); sessions
// 0..live-1 are live (seen a minute ago), the rest expired a month ago (the
// sweeper deletes them). With -users 1000 -live 10000 every user has exactly
// 10 live sessions. The live keys are written to -tokens, one per line, in
// order, so line 1 is a session of bench1.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/password"
)

const benchPassword = "Bench-pass-1"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: seed db|count|hashtime [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "db":
		err = seedDB(os.Args[2:])
	case "count":
		err = count(os.Args[2:])
	case "hashtime":
		err = hashTime(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// benchKey is the 40-hex session key number i (deterministic, so reruns and
// the token file agree).
func benchKey(i int) string {
	sum := sha256.Sum256([]byte("notechondria-bench-" + strconv.Itoa(i)))
	return hex.EncodeToString(sum[:])[:40]
}

func rawDSN(path string, pragmas string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
}

func seedDB(args []string) error {
	fs := flag.NewFlagSet("seed db", flag.ExitOnError)
	path := fs.String("db", "", "database file (must not exist)")
	users := fs.Int("users", 1000, "accounts")
	sessions := fs.Int("sessions", 10000, "session rows")
	live := fs.Int("live", 10000, "live sessions (the first ones); the rest are expired")
	tokens := fs.String("tokens", "", "write the live keys here, one a line")
	batch := fs.Int("batch", 50000, "rows per transaction")
	fs.Parse(args)
	if *path == "" || *users < 1 {
		return fmt.Errorf("-db and -users >= 1 are required")
	}
	if _, err := os.Stat(*path); err == nil {
		return fmt.Errorf("%s exists", *path)
	}
	ctx := context.Background()
	start := time.Now()

	// Schema through the product's own migrations.
	store, err := db.Open(ctx, *path, db.Options{})
	if err != nil {
		return err
	}
	if err := store.Close(); err != nil {
		return err
	}
	hash, err := password.New(1).Hash(ctx, benchPassword)
	if err != nil {
		return err
	}

	conn, err := sql.Open("sqlite", rawDSN(*path,
		"_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=foreign_keys(1)&_pragma=cache_size(-262144)"))
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	now := time.Now()

	// Users, in one transaction, mirroring db.insertUser's columns.
	err = inTx(ctx, conn, `INSERT INTO users (username, email, password, first_name,
		last_name, is_active, is_staff, is_superuser, date_joined, motto, social_link, image_url,
		editor_mode, theme_preset, theme_mode, api_base_url, app_settings_json, app_settings_updated_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, 0, *users, func(st *sql.Stmt, i int) error {
		u := app.NewUser("bench"+strconv.Itoa(i+1), "bench"+strconv.Itoa(i+1)+"@example.com", now)
		_, err := st.ExecContext(ctx, u.Username, u.Email, hash, "", "", true, false, false,
			u.DateJoined.UnixMicro(), "", "", "", u.EditorMode, u.ThemePreset, u.ThemeMode, u.APIBaseURL, "", nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}

	liveCreated, liveSeen := now.Add(-time.Hour).UnixMicro(), now.Add(-time.Minute).UnixMicro()
	dead := now.Add(-30 * 24 * time.Hour).UnixMicro()
	const ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	for lo := 0; lo < *sessions; lo += *batch {
		hi := min(lo+*batch, *sessions)
		err := inTx(ctx, conn, `INSERT INTO sessions (user_id, key_hash, device_label,
			user_agent, ip_hash, created_at, last_seen_at) VALUES (?,?,?,?,?,?,?)`, lo, hi,
			func(st *sql.Stmt, i int) error {
				created, seen := dead, dead
				if i < *live {
					created, seen = liveCreated, liveSeen
				}
				_, err := st.ExecContext(ctx, i%*users+1, app.HashHex(benchKey(i)), app.DeviceLabel(ua), ua,
					app.HashHex("198.51.100."+strconv.Itoa(i%256)), created, seen)
				return err
			})
		if err != nil {
			return fmt.Errorf("sessions %d-%d: %w", lo, hi, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	// No ANALYZE: the product never runs it, so a real database has no
	// sqlite_stat tables. With sqlite_stat4 present (modernc's SQLite is
	// built with SQLITE_ENABLE_STAT4) every new binding of an indexed
	// column's parameter expires the prepared statement and sqlite3_step
	// re-prepares it: measured at half of the server's CPU under scenario
	// (b), 2.6x fewer requests/s. See BENCHMARKS.md.
	if *tokens != "" {
		f, err := os.Create(*tokens)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		for i := range min(*live, *sessions) {
			fmt.Fprintln(w, benchKey(i))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "seeded %s: %d users, %d sessions (%d live) in %s\n",
		*path, *users, *sessions, min(*live, *sessions), time.Since(start).Round(time.Millisecond))
	return nil
}

// inTx runs one prepared statement for i in [lo, hi) in one transaction.
func inTx(ctx context.Context, conn *sql.DB, query string, lo, hi int, exec func(*sql.Stmt, int) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer st.Close()
	for i := lo; i < hi; i++ {
		if err := exec(st, i); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// count prints the number of session rows and of expired ones (read-only,
// safe while the server runs).
func count(args []string) error {
	fs := flag.NewFlagSet("seed count", flag.ExitOnError)
	path := fs.String("db", "", "database file")
	fs.Parse(args)
	conn, err := sql.Open("sqlite", rawDSN(*path, "mode=ro&_pragma=busy_timeout(5000)"))
	if err != nil {
		return err
	}
	defer conn.Close()
	var total, expired int64
	cut := time.Now().Add(-24 * time.Hour).UnixMicro()
	if err := conn.QueryRow(`SELECT count(*) FROM sessions`).Scan(&total); err != nil {
		return err
	}
	if err := conn.QueryRow(`SELECT count(*) FROM sessions WHERE last_seen_at < ?`, cut).Scan(&expired); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]int64{"sessions": total, "expired": expired})
}

// hashTime prints the median wall time of one argon2id hash with the
// default parameters (m=19 MiB, t=2, p=1), one at a time, and the rate of
// hashes when one goroutine per CPU hashes at once (no HTTP, no database):
// the ceiling for logins/s on this machine.
func hashTime(args []string) error {
	fs := flag.NewFlagSet("seed hashtime", flag.ExitOnError)
	n := fs.Int("n", 9, "sequential hashes")
	par := fs.Int("parallel", runtime.NumCPU(), "goroutines for the parallel rate (0: skip)")
	dur := fs.Duration("parallel-time", 3*time.Second, "how long to run the parallel rate")
	fs.Parse(args)
	h := password.New(max(*par, 1))
	ctx := context.Background()
	ms := make([]float64, 0, *n)
	for range *n {
		t := time.Now()
		if _, err := h.Hash(ctx, benchPassword); err != nil {
			return err
		}
		ms = append(ms, float64(time.Since(t).Microseconds())/1000)
	}
	sort.Float64s(ms)
	p := h.Params
	out := map[string]any{
		"hash_ms_median": ms[len(ms)/2], "hash_ms_min": ms[0], "n": *n,
		"params": fmt.Sprintf("m=%d KiB, t=%d, p=%d", p.MemoryKiB, p.Time, p.Threads)}
	if *par > 0 {
		var done atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for range *par {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Since(start) < *dur {
					if _, err := h.Hash(ctx, benchPassword); err == nil {
						done.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		rate := float64(done.Load()) / time.Since(start).Seconds()
		out["parallel"] = *par
		out["parallel_hashes_per_s"] = rate
		out["parallel_ms_per_hash_per_goroutine"] = float64(*par) * 1000 / rate
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
