package db_test

import (
	"context"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// The change log: rows in order, contiguous, and LastChange keeps its
// place after the sweeper emptied the table (a process starting then must
// not see the next row as a gap).
func TestChangeLog(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		store := openOn(t, e)
		ctx := context.Background()
		if last, err := store.LastChange(ctx); err != nil || last != 0 {
			t.Fatalf("empty log: %d %v", last, err)
		}
		u := user(t, store, "alice")
		for i := 0; i < 3; i++ {
			if err := store.CreateSession(ctx, &app.Session{UserID: u.ID, KeyHash: app.HashHex(string(rune('a' + i))), CreatedAt: t0, LastSeenAt: t0}); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := store.ChangesSince(ctx, 0, 10)
		if err != nil || len(rows) != 3 || rows[0].Seq != 1 || rows[2].Seq != 3 || rows[0].Kind != app.ChangeList || rows[0].UserID != u.ID {
			t.Fatalf("rows %+v %v", rows, err)
		}
		if n, err := store.SweepChanges(ctx, time.Now().Add(time.Hour), 10); err != nil || n != 3 {
			t.Fatalf("swept %d %v", n, err)
		}
		if last, _ := store.LastChange(ctx); last != 3 {
			t.Fatalf("LastChange after the sweep = %d, want 3", last)
		}
		store.RevokeAllSessions(ctx, t0)
		if rows, _ := store.ChangesSince(ctx, 3, 10); len(rows) != 1 || rows[0].Seq != 4 || rows[0].Kind != app.ChangeAll {
			t.Fatalf("after the sweep: %+v", rows)
		}
	})
}
