package db_test

import (
	"testing"

	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// TryLead: on PostgreSQL one holder at a time across stores (replicas) on
// the database, free again after release; on SQLite always granted.
func TestTryLead(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		target := testdb.TargetOf(t, e)
		a, b := testdb.OpenAt(t, target, db.Options{}), testdb.OpenAt(t, target, db.Options{})
		ctx := t.Context()
		release, ok, err := a.TryLead(ctx, "sweeper")
		if err != nil || !ok {
			t.Fatalf("first: %v %v", ok, err)
		}
		_, ok2, err := b.TryLead(ctx, "sweeper")
		if err != nil {
			t.Fatal(err)
		}
		if want := e == db.SQLite; ok2 != want {
			t.Fatalf("second holder while the first holds it: %v, want %v", ok2, want)
		}
		if _, other, err := b.TryLead(ctx, "another job"); err != nil || !other {
			t.Fatalf("a lock of another name: %v %v", other, err)
		}
		release()
		again, ok3, err := b.TryLead(ctx, "sweeper")
		if err != nil || !ok3 {
			t.Fatalf("after release: %v %v", ok3, err)
		}
		again()
	})
}
