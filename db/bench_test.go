package db

// Store-level benchmarks behind the HTTP scenarios of bench/load.sh: the
// cache-miss SELECT (b) at two table sizes (f), the write-through touch (c),
// the session list (d) and one sweeper batch (f, while sweeping).
//
// BENCH_DB_ROWS=1000000 go test -run '^$' -bench . -benchmem ./db/
// adds the 1M-row size (seeding it takes a while).

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"notechondria-auth/app"
)

// benchKey is the deterministic session key number i.
func benchKey(i int) string {
	sum := sha256.Sum256([]byte("bench-key-" + strconv.Itoa(i)))
	return hex.EncodeToString(sum[:])[:40]
}

// seedBench opens a database in b.TempDir() with users users and rows
// sessions spread over them; the first live rows are live, the rest expired
// a month ago. It inserts in 50k-row transactions with prepared statements.
func seedBench(b *testing.B, users, rows, live int) *DB {
	b.Helper()
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	now := time.Now()
	for i := 1; i <= users; i++ {
		u := app.NewUser(fmt.Sprintf("user%d", i), fmt.Sprintf("user%d@example.com", i), now)
		u.IsActive, u.Password = true, "!unusable"
		if err := d.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
	}
	liveAt, deadAt := micros(now.Add(-time.Minute)), micros(now.Add(-30*24*time.Hour))
	for start := 0; start < rows; start += 50_000 {
		err := d.write(ctx, func(tx *txn) error {
			st, err := tx.PrepareContext(ctx, `INSERT INTO sessions (user_id, key_hash, device_label,
				user_agent, ip_hash, created_at, last_seen_at) VALUES (?,?,?,?,?,?,?)`)
			if err != nil {
				return err
			}
			defer st.Close()
			for i := start; i < min(start+50_000, rows); i++ {
				at := deadAt
				if i < live {
					at = liveAt
				}
				if _, err := st.ExecContext(ctx, i%users+1, app.HashHex(benchKey(i)), "Firefox on Linux",
					"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
					app.HashHex(strconv.Itoa(i)), at, at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return d
}

func benchSizes() []int {
	sizes := []int{10_000, 100_000}
	if n, err := strconv.Atoi(os.Getenv("BENCH_DB_ROWS")); err == nil && n > 0 {
		sizes = append(sizes, n)
	}
	return sizes
}

// BenchmarkSessionByKeyHash is the cache-miss lookup (one indexed SELECT
// joining the user) against tables of growing size.
func BenchmarkSessionByKeyHash(b *testing.B) {
	for _, rows := range benchSizes() {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			d := seedBench(b, 1000, rows, 1000)
			ctx := context.Background()
			i := 0
			for b.Loop() {
				if _, _, err := d.SessionByKeyHash(ctx, app.HashHex(benchKey(i%1000))); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkSessionByKeyHashParallel is the same lookup from GOMAXPROCS
// goroutines over the read pool.
func BenchmarkSessionByKeyHashParallel(b *testing.B) {
	d := seedBench(b, 1000, 10_000, 1000)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, _, err := d.SessionByKeyHash(ctx, app.HashHex(benchKey(i%1000))); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkTouchSessionsOne is the write-through touch of --touch-interval 0:
// one committed UPDATE transaction (synchronous=FULL: an fsync) per call.
func BenchmarkTouchSessionsOne(b *testing.B) {
	d := seedBench(b, 10, 1000, 1000)
	ctx := context.Background()
	for b.Loop() {
		if err := d.TouchSessions(ctx, map[int64]time.Time{1: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTouchSessionsBatch1000 is one coalesced flush of 1000 sessions.
func BenchmarkTouchSessionsBatch1000(b *testing.B) {
	d := seedBench(b, 10, 1000, 1000)
	ctx := context.Background()
	seen := make(map[int64]time.Time, 1000)
	for b.Loop() {
		now := time.Now()
		for id := int64(1); id <= 1000; id++ {
			seen[id] = now
		}
		if err := d.TouchSessions(ctx, seen); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListSessions10 is the SELECT behind GET auth/sessions/ for a user
// with 10 live sessions.
func BenchmarkListSessions10(b *testing.B) {
	d := seedBench(b, 100, 1000, 1000) // 10 sessions per user
	ctx := context.Background()
	now := time.Now()
	for b.Loop() {
		list, err := d.ListSessions(ctx, 1, now.Add(-24*time.Hour), now.Add(-72*time.Hour))
		if err != nil || len(list) != 10 {
			b.Fatal(len(list), err)
		}
	}
}

// BenchmarkSweepSessions500 is one sweeper batch: find 500 expired rows on
// the read pool and DELETE them in one write transaction. ns/op is how long
// each batch occupies the database (the writer for the DELETE part).
func BenchmarkSweepSessions500(b *testing.B) {
	d := seedBench(b, 1000, 200_000, 1000)
	ctx := context.Background()
	now := time.Now()
	for b.Loop() {
		n, err := d.SweepSessions(ctx, now.Add(-24*time.Hour), now.Add(-72*time.Hour), 500)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("nothing left to sweep: raise the seeded rows")
		}
	}
}

// The SQL of SessionByKeyHash and ListSessions, for the statement-cost
// comparison below (kept in step with db/session.go by hand).
const (
	benchByKeySQL = `SELECT ` + userColumns + `, ` + sessionColumns +
		` FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN api_keys k ON k.user_id = u.id
		WHERE s.key_hash = ?`
	benchListSQL = `SELECT ` + sessionColumns + ` FROM sessions s
		WHERE s.user_id = ? AND s.revoked_at IS NULL AND s.last_seen_at > ? AND s.created_at > ?
		ORDER BY s.last_seen_at DESC, s.id DESC`
	// The same list without range terms on indexed columns (the time rules
	// applied in Go instead): nothing for the planner to re-plan per bind.
	benchListUserSQL = `SELECT ` + sessionColumns + ` FROM sessions s
		WHERE s.user_id = ? AND s.revoked_at IS NULL
		ORDER BY s.last_seen_at DESC, s.id DESC`
)

// BenchmarkStatementCost separates the cost of preparing SQL from running
// it. The store passes SQL text to QueryContext, so every call runs
// sqlite3_prepare_v2 (the SQL parser and planner); a *sql.Stmt prepared once
// is re-used per pooled connection. ListSessions also binds its range terms
// (last_seen_at > ?, created_at > ?) on indexed columns, which this SQLite
// build (STAT4) marks as plan-dependent: each new binding expires the
// statement and sqlite3Reprepare runs again on the next step, prepared or
// not. The "user-only" variant has no such terms.
func BenchmarkStatementCost(b *testing.B) {
	d := seedBench(b, 1000, 10_000, 10_000) // 10 live sessions per user
	ctx := context.Background()
	now := time.Now()
	idle, created := micros(now.Add(-24*time.Hour)), micros(now.Add(-72*time.Hour))
	scanOne := func(row scanner) error {
		s := &app.Session{}
		var c, seen int64
		var rev, authAt sql.NullInt64
		var methods string
		_, err := scanUser(row, &s.ID, &s.UserID, &s.KeyHash, &s.DeviceLabel, &s.UserAgent, &s.IPHash, &c, &seen, &rev, &methods, &authAt)
		return err
	}
	scanAll := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			if _, err := scanSession(rows); err != nil {
				return err
			}
			n++
		}
		if n != 10 {
			return fmt.Errorf("%d sessions, want 10", n)
		}
		return rows.Err()
	}
	b.Run("bykey/adhoc", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if err := scanOne(d.r.QueryRowContext(ctx, benchByKeySQL, app.HashHex(benchKey(i%1000)))); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("bykey/prepared", func(b *testing.B) {
		st, err := d.r.db.PrepareContext(ctx, benchByKeySQL)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		i := 0
		for b.Loop() {
			if err := scanOne(st.QueryRowContext(ctx, app.HashHex(benchKey(i%1000)))); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("list/adhoc", func(b *testing.B) {
		for b.Loop() {
			if err := scanAll(d.r.db.QueryContext(ctx, benchListSQL, 1, idle, created)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("list/prepared", func(b *testing.B) {
		st, err := d.r.db.PrepareContext(ctx, benchListSQL)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		i := int64(0)
		for b.Loop() {
			// A new time bound per call, as in production (now moves).
			if err := scanAll(st.QueryContext(ctx, 1, idle+i, created+i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("list/prepared-user-only", func(b *testing.B) {
		st, err := d.r.db.PrepareContext(ctx, benchListUserSQL)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		for b.Loop() {
			if err := scanAll(st.QueryContext(ctx, 1)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStat4 is the store's cache-miss lookup (scenario b) and session
// list (scenario d) on a database without statistics, as the product leaves
// it, and after ANALYZE. modernc's SQLite is built with SQLITE_ENABLE_STAT4;
// with sqlite_stat4 rows present the planner marks parameters on indexed
// columns as plan-dependent, so every new binding expires the prepared
// statement and sqlite3_step re-prepares it (sqlite3Reprepare: half of the
// server's CPU in scenario b). Keep ANALYZE (and PRAGMA optimize, which may
// run it) away from the database, or drop sqlite_stat4 afterwards.
func BenchmarkStat4(b *testing.B) {
	for _, analyzed := range []bool{false, true} {
		name := "no-stat"
		if analyzed {
			name = "analyzed"
		}
		b.Run(name, func(b *testing.B) {
			d := seedBench(b, 1000, 10_000, 10_000)
			ctx := context.Background()
			if analyzed {
				if _, err := d.w.ExecContext(ctx, `ANALYZE`); err != nil {
					b.Fatal(err)
				}
				path := d.Path()
				d.Close()
				var err error
				if d, err = Open(ctx, path, Options{}); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { d.Close() })
			}
			now := time.Now()
			b.Run("SessionByKeyHash", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if _, _, err := d.SessionByKeyHash(ctx, app.HashHex(benchKey(i%1000))); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run("ListSessions10", func(b *testing.B) {
				i := 0
				for b.Loop() {
					list, err := d.ListSessions(ctx, int64(i%1000+1), now.Add(-72*time.Hour), now.Add(-72*time.Hour))
					if err != nil || len(list) != 10 {
						b.Fatal(len(list), err)
					}
					i++
				}
			})
		})
	}
}
