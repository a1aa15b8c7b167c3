package db_test

import (
	"testing"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// ImportUser keeps the id and the disabled flag; a taken id or username is
// ECONFLICT; accounts made afterwards get higher ids.
func TestImportUser(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		store := openOn(t, e)
		ctx := t.Context()
		u := app.NewUser("alice", "alice@example.com", t0)
		u.ID, u.Password, u.IsStaff = 42, "pbkdf2_sha256$1000$salt$x", true
		if err := store.ImportUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		got, err := store.UserByID(ctx, 42)
		if err != nil || got.Username != "alice" || got.Password != u.Password || !got.IsStaff || !got.DateJoined.Equal(t0) ||
			got.IsActive || got.Disabled {
			t.Fatalf("imported: %+v %v", got, err)
		}
		d := app.NewUser("dave", "dave@example.com", t0)
		d.ID, d.Disabled = 7, true
		if err := store.ImportUser(ctx, d); err != nil {
			t.Fatal(err)
		}
		if got, _ := store.UserByID(ctx, 7); got.IsActive || !got.Disabled {
			t.Fatalf("disabled: %+v", got)
		}
		for name, dup := range map[string]*app.User{
			"same id":       {ID: 42, Username: "other", DateJoined: t0},
			"same username": {ID: 43, Username: "ALICE", DateJoined: t0},
		} {
			if err := store.ImportUser(ctx, dup); app.ErrorCode(err) != app.ECONFLICT {
				t.Errorf("%s: %v, want ECONFLICT", name, err)
			}
		}
		if err := store.ImportUser(ctx, &app.User{Username: "zero", DateJoined: t0}); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("id 0: %v", err)
		}
		next := app.NewUser("bob", "bob@example.com", t0)
		if err := store.CreateUser(ctx, next); err != nil || next.ID != 43 {
			t.Fatalf("the next account's id: %d %v", next.ID, err)
		}
	})
}
