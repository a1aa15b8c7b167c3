package db_test

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// audit is an audit at t0 from a phone, with the given events of userID.
func audit(userID int64, types ...string) *app.Audit {
	a := app.NewAudit(rand.Reader, t0, app.Actor{SessionID: 7, DeviceLabel: "iPhone", UserAgent: "UA", IPHash: "0123456789abcdef"})
	for _, typ := range types {
		a.Add(userID, typ, map[string]any{"k": "v"})
	}
	return a
}

// signIn is the audit of a sign-in of userID at at from device.
func signIn(userID int64, device string, at time.Time) *app.Audit {
	a := app.NewAudit(rand.Reader, at, app.Actor{}).Add(userID, app.EventLoginSucceeded, nil)
	a.Device = device
	return a
}

// eventsOf reads the account's log, newest first.
func eventsOf(t *testing.T, store *db.DB, userID int64) []*app.Event {
	t.Helper()
	list, err := store.SecurityEvents(context.Background(), app.EventQuery{UserID: userID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// auditedSession inserts a session of u with ctx (and its audit).
func auditedSession(t *testing.T, store *db.DB, ctx context.Context, u *app.User, key string, pw string) (*app.Session, error) {
	s := &app.Session{UserID: u.ID, KeyHash: app.HashHex(key), DeviceLabel: "Mac", UserAgent: "Safari",
		IPHash: "fedcba9876543210", CreatedAt: t0, LastSeenAt: t0, RequirePassword: pw}
	return s, store.CreateSession(ctx, s)
}

// TestSecurityEvents_Store: events commit with their write, the store adds
// what only the transaction knows (the new session, the device, the
// revocations), and the log pages newest first.
func TestSecurityEvents_Store(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		u := user(t, store, "alice")
		// First sign-in ever: device remembered, no "new device".
		a := signIn(u.ID, "device-1", t0)
		s1, err := auditedSession(t, store, app.WithAudit(ctx, a), u, "k1", "")
		if err != nil || !a.FirstSignIn || a.NewDevice || len(a.Written) != 1 {
			t.Fatalf("first sign-in: %+v %v", a, err)
		}
		ev := eventsOf(t, store, u.ID)[0]
		if ev.SessionID != s1.ID || ev.DeviceLabel != "Mac" || ev.IPHashPrefix != "fedcba98" || ev.Detail["new_device"] != false || ev.ID != a.Written[0].ID {
			t.Fatalf("login event %+v", ev)
		}
		// Another device: new; the same device again: known.
		for _, c := range []struct {
			device string
			at     time.Time
			isNew  bool
		}{{"device-2", t0, true}, {"device-1", t0.Add(time.Hour), false}, {"device-1", t0.Add(91 * 24 * time.Hour), true}} {
			a := signIn(u.ID, c.device, c.at)
			if _, err := auditedSession(t, store, app.WithAudit(ctx, a), u, "k-"+c.device+c.at.String(), ""); err != nil || a.NewDevice != c.isNew || a.FirstSignIn {
				t.Fatalf("%s at %v: new %v first %v, want new %v (%v)", c.device, c.at, a.NewDevice, a.FirstSignIn, c.isNew, err)
			}
		}
		// A revocation with a cause: one session.revoked with the count.
		a = audit(u.ID)
		a.Cause = app.CauseOtherSession
		hashes, err := store.RevokeUserSessions(app.WithAudit(ctx, a), u.ID, s1.ID, t0)
		if err != nil || len(hashes) != 3 {
			t.Fatal(hashes, err)
		}
		ev = eventsOf(t, store, u.ID)[0]
		if ev.Type != app.EventSessionRevoked || ev.Detail["cause"] != "other_session" || ev.Detail["count"] != 3.0 || ev.SessionID != 7 {
			t.Fatalf("revocation %+v", ev)
		}
		// The audit is spent: reusing its context records nothing twice.
		if _, err := store.RevokeUserSessions(app.WithAudit(ctx, a), u.ID, 0, t0); err != nil {
			t.Fatal(err)
		}
		all := eventsOf(t, store, u.ID)
		if len(all) != 5 {
			t.Fatalf("%d events, want 5", len(all))
		}
		// Paging: Before is exclusive, newest first; Type and Since filter.
		page, err := store.SecurityEvents(ctx, app.EventQuery{UserID: u.ID, Before: all[1].Seq, Limit: 2})
		if err != nil || len(page) != 2 || page[0].Seq != all[2].Seq || page[1].Seq != all[3].Seq {
			t.Fatalf("page %+v %v", page, err)
		}
		only, _ := store.SecurityEvents(ctx, app.EventQuery{UserID: u.ID, Type: app.EventSessionRevoked})
		since, _ := store.SecurityEvents(ctx, app.EventQuery{UserID: u.ID, Since: t0.Add(time.Minute)})
		if len(only) != 1 || len(since) != 2 {
			t.Fatalf("filters: %d by type, %d since", len(only), len(since))
		}
		// The sweep trims old events and devices, keeping the newest device.
		n, err := store.SweepEvents(ctx, t0.Add(time.Minute), t0.Add(24*time.Hour), 100)
		if err != nil || n != 3 || len(eventsOf(t, store, u.ID)) != 2 {
			t.Fatalf("sweep %d %v", n, err)
		}
		a = signIn(u.ID, "device-2", t0.Add(100*24*time.Hour))
		if _, err := auditedSession(t, store, app.WithAudit(ctx, a), u, "k9", ""); err != nil || a.FirstSignIn || !a.NewDevice {
			t.Fatalf("after the sweep: first %v new %v %v", a.FirstSignIn, a.NewDevice, err)
		}
	})
}

// failingRand makes a broken audit.
type failingRand struct{}

func (failingRand) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

// TestSecurityEvents_Store_RollbackWritesNoEvent: for every kind of audited
// write, a write that fails (its transaction rolls back, or it changes
// nothing) leaves no event.
func TestSecurityEvents_Store_RollbackWritesNoEvent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		u := user(t, store, "alice")
		other := user(t, store, "bob")
		if err := store.UpdateUser(ctx, &app.User{ID: other.ID, Username: "bob", Email: "bob@example.com"}); err != nil {
			t.Fatal(err)
		}
		live, _ := auditedSession(t, store, ctx, u, "live", "")
		bobs, _ := auditedSession(t, store, ctx, other, "bob-live", "")
		now := t0
		if err := store.CreateChallenge(ctx, &app.Challenge{IDHash: "ch", UserID: u.ID, Channels: []string{"totp"},
			FirstFactor: "password", CreatedAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		with := func(cause string, types ...string) context.Context {
			a := audit(u.ID, types...)
			a.Cause = cause
			return app.WithAudit(ctx, a)
		}
		cases := map[string]func() error{
			"login.succeeded (password changed meanwhile)": func() error {
				_, err := auditedSession(t, store, with("", app.EventLoginSucceeded), u, "new", "!not-the-hash")
				return err
			},
			"logout (another account's session)": func() error {
				_, err := store.RevokeSession(with("", app.EventLogout), u.ID, bobs.ID, now)
				return err
			},
			"session.revoked (another account's session)": func() error {
				_, err := store.RevokeSession(with(app.CauseOtherSession), u.ID, bobs.ID, now)
				return err
			},
			"password.changed (no such account)": func() error {
				_, err := store.SetPassword(with(app.CausePasswordChange, app.EventPasswordChanged), 9999, "h", true, 0, now)
				return err
			},
			"password.reset (wrong code)": func() error {
				_, _, err := store.ResetPassword(with(app.CausePasswordReset, app.EventPasswordReset), "alice@example.com", "nope", "h", 5, now)
				return err
			},
			"email.changed (wrong code)": func() error {
				_, err := store.ChangeEmail(with(app.CauseEmailChange, app.EventEmailChanged), u.ID, live.ID, "x@example.com", "nope", 5, now)
				return err
			},
			"api_key.rotated (no such account)": func() error {
				_, err := store.SetAPIKey(with("", app.EventAPIKeyRotated), 9999, "kh", "ntc_0000", now)
				return err
			},
			"oauth.linked (identity of another account)": func() error {
				if _, err := store.BindSocialAccount(ctx, &app.SocialAccount{UserID: other.ID, Provider: "github", ProviderUID: "1", CreatedAt: now}); err != nil {
					return nil
				}
				_, err := store.BindSocialAccount(with("", app.EventOAuthLinked), &app.SocialAccount{UserID: u.ID, Provider: "github", ProviderUID: "1", CreatedAt: now})
				return err
			},
			"oauth.unlinked (nothing linked)": func() error {
				_, err := store.DeleteSocialAccounts(with("", app.EventOAuthUnlinked), u.ID, "google")
				return err
			},
			"second_factor.added (nothing pending)": func() error {
				return store.ConfirmTOTP(with("", app.EventSecondFactorAdded), u.ID, 1, nil, now)
			},
			"second_factor.removed (nothing on)": func() error {
				return store.DisableTOTP(with("", app.EventSecondFactorRemoved), u.ID, now)
			},
			"recovery_codes.regenerated (no such account)": func() error {
				return store.ReplaceRecoveryCodes(with("", app.EventRecoveryCodesRegenerated), 9999, []string{"h"}, now)
			},
			"second_step.required (the id exists)": func() error {
				return store.CreateChallenge(with("", app.EventSecondStepRequired), &app.Challenge{IDHash: "ch", UserID: u.ID,
					Channels: []string{"totp"}, FirstFactor: "password", CreatedAt: now, ExpiresAt: now.Add(time.Minute)})
			},
			"second_step.approved (a replayed step)": func() error {
				return store.CompleteChallenge(with("", app.EventSecondStepApproved), "ch", app.SecondStep{UserID: u.ID, TOTPStep: 5, Now: now})
			},
			"second_step.denied (no such pending sign-in)": func() error {
				return store.AnswerDeviceChallenge(with("", app.EventSecondStepDenied), u.ID, "none", app.DeviceDenied, now)
			},
			"login.failed (no such challenge)": func() error {
				_, err := store.FailChallenge(with("", app.EventLoginFailed), "none")
				return err
			},
			"not_me.reported (no such link)": func() error {
				_, _, _, err := store.RedeemActionToken(with(app.CauseNotMe, app.EventNotMeReported), "none", app.TokenNotMe, now)
				return err
			},
			"email.change_reverted (the address is taken)": func() error {
				if err := store.CreateActionToken(ctx, &app.ActionToken{Hash: "tok", UserID: u.ID, Purpose: app.TokenEmailDispute,
					Data: "bob@example.com", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
					return nil
				}
				_, _, _, err := store.RedeemActionToken(with(app.CauseEmailDispute, app.EventEmailChangeReverted), "tok", app.TokenEmailDispute, now)
				return err
			},
			"any event (a broken random source)": func() error {
				a := app.NewAudit(failingRand{}, now, app.Actor{}).Add(u.ID, app.EventLoginFailed, nil)
				return store.RecordEvents(app.WithAudit(ctx, a))
			},
		}
		for name, run := range cases {
			err := run()
			if got := eventsOf(t, store, u.ID); len(got) != 0 {
				t.Errorf("%s: %d events (error %v)", name, len(got), err)
			}
			if name != "password.reset (wrong code)" && name != "email.changed (wrong code)" &&
				name != "oauth.unlinked (nothing linked)" && name != "second_factor.removed (nothing on)" && err == nil {
				t.Errorf("%s: no error", name)
			}
		}
		// The account still has its live session: nothing above revoked it.
		if _, _, err := store.SessionByKeyHash(ctx, live.KeyHash); err != nil {
			t.Fatal(err)
		}
	})
}
