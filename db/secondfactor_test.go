package db_test

import (
	"context"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// The second-factor store on both engines: setup and confirmation, the
// users.second_factor flag, TOTP replay, single-use recovery codes, and the
// session's authentication record.
func TestSecondFactorStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		u := user(t, store, "alice")
		code := func(err error, want string) {
			t.Helper()
			if app.ErrorCode(err) != want {
				t.Fatalf("error %v, want code %q", err, want)
			}
		}
		flag := func(want bool) {
			t.Helper()
			got, err := store.UserByID(ctx, u.ID)
			if err != nil || got.SecondFactor != want {
				t.Fatalf("second_factor %v (%v), want %v", got.SecondFactor, err, want)
			}
		}
		f, err := store.SecondFactors(ctx, u.ID)
		if err != nil || f.Any() || f.TOTPSecret != "" || f.RecoveryLeft != 0 {
			t.Fatalf("fresh account: %+v %v", f, err)
		}
		code(store.ConfirmTOTP(ctx, u.ID, 10, nil, t0), app.ENOTFOUND) // nothing pending
		code(store.BeginTOTP(ctx, u.ID, "sealed-1", t0), "")
		code(store.BeginTOTP(ctx, u.ID, "sealed-2", t0), "") // a new setup replaces the pending one
		flag(false)
		code(store.ConfirmTOTP(ctx, u.ID, 10, []string{"h1", "h2"}, t0), "")
		code(store.ConfirmTOTP(ctx, u.ID, 11, nil, t0), app.ECONFLICT)
		code(store.BeginTOTP(ctx, u.ID, "sealed-3", t0), app.ECONFLICT)
		flag(true)
		f, _ = store.SecondFactors(ctx, u.ID)
		if !f.TOTPConfirmed || f.TOTPSecret != "sealed-2" || f.TOTPLastStep != 10 || f.RecoveryLeft != 2 {
			t.Fatalf("after confirm: %+v", f)
		}
		// Replay: a step at or before the last accepted one is refused.
		step := func(n int64) app.SecondStep { return app.SecondStep{UserID: u.ID, TOTPStep: n, Now: t0} }
		code(store.SpendSecondFactor(ctx, step(10)), app.ECONFLICT)
		code(store.SpendSecondFactor(ctx, step(9)), app.ECONFLICT)
		code(store.SpendSecondFactor(ctx, step(11)), "")
		code(store.SpendSecondFactor(ctx, step(11)), app.ECONFLICT)
		// Recovery codes are single-use.
		rc := app.SecondStep{UserID: u.ID, RecoveryHash: "h1", Now: t0}
		code(store.SpendSecondFactor(ctx, rc), "")
		code(store.SpendSecondFactor(ctx, rc), app.ENOTFOUND)
		if f, _ = store.SecondFactors(ctx, u.ID); f.RecoveryLeft != 1 {
			t.Fatalf("recovery left %d, want 1", f.RecoveryLeft)
		}
		code(store.ReplaceRecoveryCodes(ctx, u.ID, []string{"h3", "h4", "h5"}, t0), "")
		code(store.SpendSecondFactor(ctx, app.SecondStep{UserID: u.ID, RecoveryHash: "h2", Now: t0}), app.ENOTFOUND)
		if f, _ = store.SecondFactors(ctx, u.ID); f.RecoveryLeft != 3 {
			t.Fatalf("recovery left %d, want 3", f.RecoveryLeft)
		}
		code(store.DisableTOTP(ctx, u.ID, t0), "")
		flag(false)
		if f, _ = store.SecondFactors(ctx, u.ID); f.TOTPSecret != "" || f.RecoveryLeft != 0 {
			t.Fatalf("after disable: %+v", f)
		}
		code(store.SetConfirmNewSignIns(ctx, u.ID, true, t0), "")
		flag(true)
		code(store.SetConfirmNewSignIns(ctx, u.ID, false, t0), "")
		flag(false)

		// Sessions keep how they were authenticated.
		s := &app.Session{UserID: u.ID, KeyHash: app.HashHex("k"), CreatedAt: t0, LastSeenAt: t0,
			AuthMethods: []string{"password", "totp"}, AuthenticatedAt: t0}
		code(store.CreateSession(ctx, s), "")
		later := t0.Add(time.Hour)
		if _, err := store.MarkSessionFresh(ctx, u.ID, s.ID, later); err != nil {
			t.Fatal(err)
		}
		got, _, err := store.SessionByKeyHash(ctx, app.HashHex("k"))
		if err != nil || len(got.AuthMethods) != 2 || got.AuthMethods[1] != "totp" || !got.AuthenticatedAt.Equal(later) {
			t.Fatalf("session: %+v %v", got, err)
		}
		_, err = store.MarkSessionFresh(ctx, u.ID+1, s.ID, later)
		code(err, app.ENOTFOUND)
	})
}

// Challenges on both engines: single use, the failure limit, expiry, and a
// step that fails leaves the challenge unspent.
func TestChallengeStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		u := user(t, store, "alice")
		if err := store.BeginTOTP(ctx, u.ID, "s", t0); err != nil {
			t.Fatal(err)
		}
		if err := store.ConfirmTOTP(ctx, u.ID, 100, []string{"r1"}, t0); err != nil {
			t.Fatal(err)
		}
		mk := func(id string) {
			t.Helper()
			c := &app.Challenge{IDHash: id, UserID: u.ID, IPHash: "ip", UserAgent: "ua",
				Channels: []string{"totp", "recovery"}, FirstFactor: "password", PasswordHash: "pw",
				CreatedAt: t0, ExpiresAt: t0.Add(app.ChallengeLifetime)}
			if err := store.CreateChallenge(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		mk("c1")
		c, err := store.ChallengeByHash(ctx, "c1")
		if err != nil || len(c.Channels) != 2 || !c.Offers("recovery") || !c.Live(t0) || c.PasswordHash != "pw" {
			t.Fatalf("challenge: %+v %v", c, err)
		}
		at := func(d time.Duration, s app.SecondStep) app.SecondStep { s.UserID, s.Now = u.ID, t0.Add(d); return s }
		// A replayed step leaves the challenge live.
		if err := store.CompleteChallenge(ctx, "c1", at(0, app.SecondStep{TOTPStep: 100})); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("replay: %v", err)
		}
		if err := store.CompleteChallenge(ctx, "c1", at(0, app.SecondStep{TOTPStep: 101})); err != nil {
			t.Fatal(err)
		}
		if err := store.CompleteChallenge(ctx, "c1", at(0, app.SecondStep{RecoveryHash: "r1"})); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("reuse after success: %v", err)
		}
		// Five failures end a challenge.
		mk("c2")
		for i := 1; i <= app.ChallengeMaxFailures; i++ {
			if n, err := store.FailChallenge(ctx, "c2"); err != nil || n != i {
				t.Fatalf("failure %d: %d %v", i, n, err)
			}
		}
		if err := store.CompleteChallenge(ctx, "c2", at(0, app.SecondStep{RecoveryHash: "r1"})); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("after 5 failures: %v", err)
		}
		// Expiry: alive at exactly 10 minutes, dead after.
		mk("c3")
		if err := store.CompleteChallenge(ctx, "c3", at(app.ChallengeLifetime+time.Microsecond, app.SecondStep{RecoveryHash: "r1"})); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("expired: %v", err)
		}
		if err := store.CompleteChallenge(ctx, "c3", at(app.ChallengeLifetime, app.SecondStep{RecoveryHash: "r1"})); err != nil {
			t.Fatalf("at the bound: %v", err)
		}
		if n, err := store.SweepChallenges(ctx, t0.Add(time.Hour), 10); err != nil || n != 3 {
			t.Fatalf("swept %d %v, want 3", n, err)
		}
	})
}
