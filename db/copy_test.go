package db_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// copied are Copy's tables in its order.
var copied = []string{"users", "sessions", "api_keys", "verification_codes", "invitation_codes", "social_accounts", "second_factors", "recovery_codes", "webauthn_users", "passkeys", "server_secrets",
	"security_events", "user_devices", "action_tokens", "webhook_outbox"}

// copyDB is db.Copy that fails the test on an error.
func copyDB(t *testing.T, from, to *db.DB) *db.CopyReport {
	t.Helper()
	rep, err := db.Copy(context.Background(), from, to, db.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// rowCounts counts the rows of every copied table at target.
func rowCounts(t *testing.T, target string) map[string]int64 {
	t.Helper()
	r := testdb.OpenRaw(t, target)
	out := map[string]int64{}
	for _, name := range copied {
		var n int64
		if err := r.QueryRow(`SELECT count(*) FROM ` + name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

// SQLite -> PostgreSQL -> SQLite: every table arrives whole (the same
// checksum on all three), ids and their counters, the IP-hash key and the
// session keys keep working, and the change counter continues.
func TestCopy_Core_BothWaysKeepEveryRow(t *testing.T) {
	ctx := context.Background()
	src := openOn(t, db.SQLite)
	f := testdb.Seed(t, src, t0)
	srcChange, err := src.LastChange(ctx)
	if err != nil || srcChange == 0 {
		t.Fatalf("source change log: %d %v", srcChange, err)
	}
	pgURL, sqlitePath := testdb.TargetOf(t, db.Postgres), testdb.TargetOf(t, db.SQLite)
	pg := testdb.OpenAt(t, pgURL, db.Options{})
	there := copyDB(t, src, pg)
	back := copyDB(t, pg, testdb.OpenAt(t, sqlitePath, db.Options{}))
	if len(there.Tables) != len(copied) || len(back.Tables) != len(copied) {
		t.Fatalf("tables: %+v / %+v", there.Tables, back.Tables)
	}
	for i, tr := range there.Tables {
		b := back.Tables[i]
		if tr.Table != copied[i] || !tr.OK || !b.OK || tr.Rows != f.Rows[tr.Table] || tr.TargetRows != tr.Rows ||
			len(tr.Checksum) != 64 || b.Checksum != tr.Checksum || b.TargetChecksum != tr.Checksum {
			t.Errorf("%s: there %+v, back %+v, want %d rows", copied[i], tr, b, f.Rows[copied[i]])
		}
	}
	if there.Tables[0].HighWater != f.MaxUserID || back.Tables[0].HighWater != f.MaxUserID {
		t.Errorf("users high water %d / %d, want the swept account's %d", there.Tables[0].HighWater, back.Tables[0].HighWater, f.MaxUserID)
	}
	for name, target := range map[string]string{"postgres": pgURL, "sqlite": sqlitePath} {
		t.Run(name, func(t *testing.T) {
			if got := rowCounts(t, target); len(got) != len(f.Rows) || got["sessions"] != f.Rows["sessions"] || got["users"] != f.Rows["users"] {
				t.Fatalf("rows %v, want %v", got, f.Rows)
			}
			store := testdb.OpenAt(t, target, db.Options{})
			s, u, err := store.SessionByKeyHash(ctx, app.HashHex(f.SessionKey))
			if err != nil || u.ID != f.Alice.ID || s.ID != f.MaxSessionID || !s.CreatedAt.Equal(t0) || s.RevokedAt != nil {
				t.Fatalf("session: %+v %+v %v", s, u, err)
			}
			full, err := store.UserByID(ctx, f.Alice.ID)
			if err != nil || full.FirstName != "Zoë" || full.Motto != f.Alice.Motto || !full.IsStaff || full.APIKeyPrefix != "ntc_0123" ||
				full.AppSettingsUpdatedAt == nil || !full.AppSettingsUpdatedAt.Equal(*f.Alice.AppSettingsUpdatedAt) {
				t.Fatalf("alice: %+v %v", full, err)
			}
			if key, err := store.ServerSecret(ctx, "ip_hash_key", []byte("new")); err != nil || string(key) != string(f.IPHashKey) {
				t.Fatalf("ip_hash_key %q %v, want %q", key, err, f.IPHashKey)
			}
			if n, err := store.LastChange(ctx); err != nil || n != srcChange {
				t.Fatalf("change counter %d %v, want the source's %d", n, err, srcChange)
			}
			// New rows continue after the counters: the swept account's
			// id is not handed out again.
			u2 := app.NewUser("erin", "erin@example.com", t0)
			if err := store.CreateUser(ctx, u2); err != nil || u2.ID != f.MaxUserID+1 {
				t.Fatalf("new user id %d %v, want %d", u2.ID, err, f.MaxUserID+1)
			}
			s2 := &app.Session{UserID: u2.ID, KeyHash: app.HashHex("erin"), CreatedAt: t0, LastSeenAt: t0}
			if err := store.CreateSession(ctx, s2); err != nil || s2.ID != f.MaxSessionID+1 {
				t.Fatalf("new session id %d %v, want %d", s2.ID, err, f.MaxSessionID+1)
			}
			// A revocation's change rows are numbered on from the source's.
			if _, err := store.RevokeSession(ctx, u2.ID, s2.ID, t0); err != nil {
				t.Fatal(err)
			}
			if c, err := store.ChangesSince(ctx, 0, 10); err != nil || len(c) == 0 || c[0].Seq != srcChange+1 {
				t.Fatalf("changes after the move %+v %v, want the first numbered %d", c, err, srcChange+1)
			}
		})
	}
}

// The session core authenticates the moved session key, as a server on
// the new database would.
func TestCopy_Core_SignedInSessionAuthenticates(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		other := map[db.Engine]db.Engine{db.SQLite: db.Postgres, db.Postgres: db.SQLite}[e]
		src := openOn(t, e)
		f := testdb.Seed(t, src, t0)
		dst := openOn(t, other)
		copyDB(t, src, dst)
		core, err := app.NewCore(ctx, dst, app.DefaultConfig(), app.Options{Now: func() time.Time { return t0.Add(time.Minute) }})
		if err != nil {
			t.Fatal(err)
		}
		auth, err := core.Authenticate(ctx, "Token "+f.SessionKey, false)
		if err != nil || auth == nil || auth.User.Username != "alice" {
			t.Fatalf("authenticate on %s: %+v %v", other, auth, err)
		}
		if _, err := core.Authenticate(ctx, "Token revoked-alice-key", false); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("revoked session on %s: %v", other, err)
		}
	})
}

// A target holding any row is refused and left exactly as it was.
func TestCopy_Core_RefusesATargetWithData(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		src := openOn(t, db.SQLite)
		testdb.Seed(t, src, t0)
		target := testdb.TargetOf(t, e)
		dst := testdb.OpenAt(t, target, db.Options{})
		user(t, dst, "zed")
		_, err := db.Copy(context.Background(), src, dst, db.CopyOptions{})
		if app.ErrorCode(err) != app.ECONFLICT || !strings.Contains(err.Error(), "not empty (users: 1 row)") {
			t.Fatalf("copy onto data: %v", err)
		}
		if got := rowCounts(t, target); got["users"] != 1 || got["sessions"] != 0 || got["server_secrets"] != 0 {
			t.Fatalf("target changed: %v", got)
		}
	})
}

// A dry run copies and verifies, then writes nothing: not even the
// PostgreSQL id counters, which a rollback would not undo.
func TestCopy_Core_DryRunWritesNothing(t *testing.T) {
	src := openOn(t, db.SQLite)
	f := testdb.Seed(t, src, t0)
	target := testdb.TargetOf(t, db.Postgres)
	dst := testdb.OpenAt(t, target, db.Options{})
	rep, err := db.Copy(context.Background(), src, dst, db.CopyOptions{DryRun: true})
	if err != nil || len(rep.Tables) != len(copied) || !rep.Tables[1].OK || rep.Tables[1].TargetRows != f.Rows["sessions"] {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	for name, n := range rowCounts(t, target) {
		if n != 0 {
			t.Errorf("%s: %d rows after a dry run", name, n)
		}
	}
	if u := user(t, dst, "first"); u.ID != 1 {
		t.Fatalf("first user after a dry run has id %d", u.ID)
	}
	if n, _ := dst.LastChange(context.Background()); n != 0 {
		t.Fatalf("change counter %d after a dry run", n)
	}
}

// A row the target refuses, late in the copy, rolls back every table
// copied before it, and the error names the table and the row.
func TestCopy_Core_FailureLeavesTheTargetEmpty(t *testing.T) {
	srcPath := testdb.TargetOf(t, db.SQLite)
	src := testdb.OpenAt(t, srcPath, db.Options{})
	testdb.Seed(t, src, t0)
	// SQLite keeps a NUL in TEXT; PostgreSQL refuses it.
	if _, err := testdb.OpenRaw(t, srcPath).Exec(`UPDATE social_accounts SET extra_data = 'a' || char(0) || 'b'`); err != nil {
		t.Fatal(err)
	}
	target := testdb.TargetOf(t, db.Postgres)
	dst := testdb.OpenAt(t, target, db.Options{})
	_, err := db.Copy(context.Background(), src, dst, db.CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "copy social_accounts: rows with id 1") {
		t.Fatalf("copy of a NUL: %v", err)
	}
	for name, n := range rowCounts(t, target) {
		if n != 0 {
			t.Errorf("%s: %d rows after a failed copy", name, n)
		}
	}
	if n, _ := dst.LastChange(context.Background()); n != 0 {
		t.Fatalf("change counter %d after a failed copy", n)
	}
}

// Schemas that differ from the binary's table list are refused before
// anything is written; so is a copy onto the source itself.
func TestCopy_Core_RefusesUnknownSchemasAndItself(t *testing.T) {
	ctx := context.Background()
	srcPath := testdb.TargetOf(t, db.SQLite)
	src := testdb.OpenAt(t, srcPath, db.Options{})
	testdb.Seed(t, src, t0)
	if _, err := db.Copy(ctx, src, src, db.CopyOptions{}); app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "same database") {
		t.Fatalf("copy onto itself: %v", err)
	}
	target := testdb.TargetOf(t, db.Postgres)
	dst := testdb.OpenAt(t, target, db.Options{})
	if _, err := testdb.OpenRaw(t, target).Exec(`ALTER TABLE sessions ADD COLUMN country TEXT`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Copy(ctx, src, dst, db.CopyOptions{}); app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "table sessions has different columns") {
		t.Fatalf("extra column: %v", err)
	}
	if _, err := testdb.OpenRaw(t, srcPath).Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	other := testdb.OpenAt(t, testdb.TargetOf(t, db.Postgres), db.Options{})
	if _, err := db.Copy(ctx, src, other, db.CopyOptions{}); app.ErrorCode(err) != app.EINVALID || !strings.Contains(err.Error(), "table notes is not known") {
		t.Fatalf("unknown table: %v", err)
	}
	if got := rowCounts(t, target); got["users"] != 0 {
		t.Fatalf("target written: %v", got)
	}
}

// The read-back is a real comparison: a target that changes a value on the
// way in (here a trigger) fails verification, and nothing is written.
func TestCopy_Core_VerificationCatchesAChangedRow(t *testing.T) {
	src := openOn(t, db.SQLite)
	testdb.Seed(t, src, t0)
	target := testdb.TargetOf(t, db.Postgres)
	dst := testdb.OpenAt(t, target, db.Options{})
	raw := testdb.OpenRaw(t, target)
	for _, q := range []string{
		`CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN NEW.device_label := upper(NEW.device_label); RETURN NEW; END'`,
		`CREATE TRIGGER shout BEFORE INSERT ON sessions FOR EACH ROW EXECUTE FUNCTION shout()`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := db.Copy(context.Background(), src, dst, db.CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "verification failed (sessions: 4 rows read, 4 written, checksum") {
		t.Fatalf("copy through a trigger: %v", err)
	}
	if rep == nil || len(rep.Tables) != len(copied) || rep.Tables[1].OK || !rep.Tables[0].OK {
		t.Fatalf("report: %+v", rep)
	}
	if got := rowCounts(t, target); got["users"] != 0 || got["sessions"] != 0 {
		t.Fatalf("target written: %v", got)
	}
}

// Usernames that differ only in the case of a non-ASCII letter are two
// accounts to SQLite (NOCASE folds ASCII only) and one to PostgreSQL in a
// database with a UTF-8 locale (citext folds by LC_CTYPE): the copy fails
// on users and writes nothing.
func TestCopy_Core_UnicodeCaseTwinsAreRefused(t *testing.T) {
	src := openOn(t, db.SQLite)
	user(t, src, "Émile")
	user(t, src, "émile")
	u, err := url.Parse(testdb.TargetOf(t, db.Postgres))
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/") + "_utf8"
	if _, err := testdb.OpenRaw(t, u.String()).Exec(`CREATE DATABASE ` + name +
		` TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C.UTF-8' LC_COLLATE 'C.UTF-8'`); err != nil {
		t.Skipf("no C.UTF-8 locale on this server: %v", err)
	}
	u.Path = "/" + name
	target := u.String()
	dst := testdb.OpenAt(t, target, db.Options{})
	_, err = db.Copy(context.Background(), src, dst, db.CopyOptions{})
	if err == nil || !strings.Contains(err.Error(), "copy users: rows with id 1, 2: ") || !strings.Contains(err.Error(), "23505") {
		t.Fatalf("copy of case twins: %v", err)
	}
	if got := rowCounts(t, target); got["users"] != 0 {
		t.Fatalf("target written: %v", got)
	}
}
