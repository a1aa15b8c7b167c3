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
		err := d.write(ctx, func(tx *sql.Tx) error {
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
