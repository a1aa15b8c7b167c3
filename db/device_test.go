package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// TestDeviceApprovalStore: start, list, answer and spend a device
// approval, on both engines.
func TestDeviceApprovalStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		u, bob := user(t, store, "alice"), user(t, store, "bob")
		code := func(err error, want string) {
			t.Helper()
			if app.ErrorCode(err) != want {
				t.Fatalf("error %v, want code %q", err, want)
			}
		}
		mk := func(id string) {
			t.Helper()
			code(store.CreateChallenge(ctx, &app.Challenge{IDHash: id, UserID: u.ID, IPHash: "ip", UserAgent: "ua",
				Channels: []string{app.MethodDevice}, FirstFactor: app.MethodPassword,
				CreatedAt: t0, ExpiresAt: t0.Add(app.ChallengeLifetime)}), "")
		}
		mk("c1")
		mk("c2")
		if l, err := store.PendingDeviceChallenges(ctx, u.ID, t0); err != nil || len(l) != 0 {
			t.Fatalf("not started yet: %v %v", l, err)
		}
		code(store.StartDeviceChallenge(ctx, "c1", "47", []string{"12", "47", "83"}, t0), "")
		code(store.StartDeviceChallenge(ctx, "nope", "47", []string{"12", "47", "83"}, t0), app.ENOTFOUND)
		l, err := store.PendingDeviceChallenges(ctx, u.ID, t0)
		if err != nil || len(l) != 1 || l[0].DeviceNumber != "47" || fmt.Sprint(l[0].DeviceChoices) != "[12 47 83]" {
			t.Fatalf("pending: %v %v", l, err)
		}
		// Spending needs an approval.
		spend := app.SecondStep{UserID: u.ID, DeviceApproval: true, Now: t0}
		code(store.CompleteChallenge(ctx, "c1", spend), app.ENOTFOUND)
		code(store.AnswerDeviceChallenge(ctx, bob.ID, "c1", app.DeviceApproved, t0), app.ENOTFOUND)
		code(store.AnswerDeviceChallenge(ctx, u.ID, "c2", app.DeviceApproved, t0), app.ENOTFOUND) // not started
		code(store.AnswerDeviceChallenge(ctx, u.ID, "c1", app.DeviceApproved, t0), "")
		code(store.AnswerDeviceChallenge(ctx, u.ID, "c1", app.DeviceDenied, t0), app.ENOTFOUND) // answered
		if l, _ := store.PendingDeviceChallenges(ctx, u.ID, t0); len(l) != 0 {
			t.Fatalf("answered still pending: %v", l)
		}
		code(store.CompleteChallenge(ctx, "c1", spend), "")
		code(store.CompleteChallenge(ctx, "c1", spend), app.ENOTFOUND) // single use
		// Expiry: a started challenge is not listed nor answerable after it.
		code(store.StartDeviceChallenge(ctx, "c2", "10", []string{"10", "11", "12"}, t0), "")
		late := t0.Add(app.ChallengeLifetime + time.Second)
		if l, _ := store.PendingDeviceChallenges(ctx, u.ID, late); len(l) != 0 {
			t.Fatalf("expired listed: %v", l)
		}
		code(store.AnswerDeviceChallenge(ctx, u.ID, "c2", app.DeviceApproved, late), app.ENOTFOUND)
	})
}
