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
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/app/password"
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
		var rev sql.NullInt64
		_, err := scanUser(row, &s.ID, &s.UserID, &s.KeyHash, &s.DeviceLabel, &s.UserAgent, &s.IPHash, &c, &seen, &rev)
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
		st, err := d.r.PrepareContext(ctx, benchByKeySQL)
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
			if err := scanAll(d.r.QueryContext(ctx, benchListSQL, 1, idle, created)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("list/prepared", func(b *testing.B) {
		st, err := d.r.PrepareContext(ctx, benchListSQL)
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
		st, err := d.r.PrepareContext(ctx, benchListUserSQL)
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

// preparedStore is the store with SessionByKeyHash run through a statement
// prepared once: what BenchmarkVerifyCacheMissStore/prepared measures is
// the end-to-end gain the fix in db/session.go would bring to scenario (b).
type preparedStore struct {
	*DB
	byKey, list *sql.Stmt
}

func (p *preparedStore) ListSessions(ctx context.Context, userID int64, idleAfter, createdAfter time.Time) ([]*app.Session, error) {
	rows, err := p.list.QueryContext(ctx, userID, micros(idleAfter), micros(createdAfter))
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []*app.Session{}
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, translate(rows.Err())
}

func (p *preparedStore) SessionByKeyHash(ctx context.Context, keyHash string) (*app.Session, *app.User, error) {
	s := &app.Session{}
	var created, seen int64
	var revoked sql.NullInt64
	u, err := scanUser(p.byKey.QueryRowContext(ctx, keyHash), &s.ID, &s.UserID, &s.KeyHash, &s.DeviceLabel,
		&s.UserAgent, &s.IPHash, &created, &seen, &revoked)
	if err != nil {
		return nil, nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.RevokedAt = fromMicros(created), fromMicros(seen), fromNullMicros(revoked)
	return s, u, nil
}

// preparedStores returns the store as it is and with the two hot reads
// prepared once.
func preparedStores(b *testing.B, d *DB) []namedStore {
	ctx := context.Background()
	byKey, err := d.r.PrepareContext(ctx, benchByKeySQL)
	if err != nil {
		b.Fatal(err)
	}
	list, err := d.r.PrepareContext(ctx, benchListSQL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { byKey.Close(); list.Close() })
	return []namedStore{{"adhoc", d}, {"prepared", &preparedStore{DB: d, byKey: byKey, list: list}}}
}

type namedStore struct {
	name  string
	store app.Store
}

func benchServer(b *testing.B, store app.Store, cacheSize int) *app.Server {
	cfg := app.DefaultConfig()
	cfg.CacheSize, cfg.SweepInterval = cacheSize, 0
	srv, err := app.New(context.Background(), store, cfg, app.Options{Hasher: password.New(1,
		password.WithParams(password.Params{Time: 1, MemoryKiB: 64, Threads: 1}))})
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// BenchmarkSessionListStore is scenario (d) end to end (GET auth/sessions/
// for a user with 10 sessions, 64 concurrent callers) on the store as it is
// and with ListSessions prepared once.
func BenchmarkSessionListStore(b *testing.B) {
	d := seedBench(b, 1000, 10_000, 10_000)
	for _, tc := range preparedStores(b, d) {
		b.Run(tc.name, func(b *testing.B) {
			srv := benchServer(b, tc.store, 10000)
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", "/api/v1/auth/sessions/", nil)
					req.Header.Set("Authorization", "Token "+benchKey(0))
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Errorf("sessions: %d %s", rec.Code, rec.Body.String())
						return
					}
				}
			})
		})
	}
}

// BenchmarkVerifyCacheMissStore is scenario (b) end to end (GET
// auth/verify/ through Server.ServeHTTP, --cache-size 0, 64 concurrent
// callers) on the store as it is ("adhoc") and with the one statement
// prepared ("prepared").
func BenchmarkVerifyCacheMissStore(b *testing.B) {
	d := seedBench(b, 1000, 10_000, 10_000)
	for _, tc := range preparedStores(b, d) {
		b.Run(tc.name, func(b *testing.B) {
			srv := benchServer(b, tc.store, 0)
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					req := httptest.NewRequest("GET", "/api/v1/auth/verify/", nil)
					req.Header.Set("Authorization", "Token "+benchKey(i%1000))
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Errorf("verify: %d %s", rec.Code, rec.Body.String())
						return
					}
					i++
				}
			})
		})
	}
}
