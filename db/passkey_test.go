package db_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// The passkey store on both engines: user handles made once, passkeys
// added (the second_factor flag follows), a credential id registered
// once, the per-account cap, use and deletion by the owner only, and
// ceremonies spent once and only while live.
func TestPasskeyStore(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		store := openOn(t, e)
		alice, bob := user(t, store, "alice"), user(t, store, "bob")
		code := func(err error, want string) {
			t.Helper()
			if app.ErrorCode(err) != want {
				t.Fatalf("error %v, want code %q", err, want)
			}
		}
		flag := func(want bool) {
			t.Helper()
			got, err := store.UserByID(ctx, alice.ID)
			if err != nil || got.SecondFactor != want {
				t.Fatalf("second_factor %v (%v), want %v", got.SecondFactor, err, want)
			}
			f, err := store.SecondFactors(ctx, alice.ID)
			if err != nil || f.Any() != want {
				t.Fatalf("SecondFactors %+v (%v), want Any %v", f, err, want)
			}
		}

		// Reading alone makes no handle; the handle is made once and a
		// later call keeps the first.
		_, err := store.WebAuthnHandle(ctx, alice.ID, "")
		code(err, app.ENOTFOUND)
		h, err := store.WebAuthnHandle(ctx, alice.ID, "handle-a")
		if err != nil || h != "handle-a" {
			t.Fatalf("handle %q %v", h, err)
		}
		if h, _ = store.WebAuthnHandle(ctx, alice.ID, "handle-b"); h != "handle-a" {
			t.Fatalf("second handle call: %q", h)
		}
		if id, err := store.UserByWebAuthnHandle(ctx, "handle-a"); err != nil || id != alice.ID {
			t.Fatalf("user by handle: %d %v", id, err)
		}
		_, err = store.UserByWebAuthnHandle(ctx, "handle-b")
		code(err, app.ENOTFOUND)

		flag(false)
		p := &app.Passkey{UserID: alice.ID, CredentialID: "cred-1", Name: "Laptop", Credential: []byte(`{"k":1}`), CreatedAt: t0}
		code(store.AddPasskey(ctx, p), "")
		if p.ID == 0 {
			t.Fatal("no id")
		}
		flag(true)
		code(store.AddPasskey(ctx, &app.Passkey{UserID: bob.ID, CredentialID: "cred-1", Name: "x",
			Credential: []byte("{}"), CreatedAt: t0}), app.ECONFLICT) // one credential, one account
		later := t0.Add(time.Minute)
		code(store.UsePasskey(ctx, alice.ID, "cred-1", []byte(`{"k":2}`), later), "")
		code(store.UsePasskey(ctx, bob.ID, "cred-1", []byte(`{}`), later), app.ENOTFOUND)
		list, err := store.Passkeys(ctx, alice.ID)
		if err != nil || len(list) != 1 || string(list[0].Credential) != `{"k":2}` || list[0].Name != "Laptop" ||
			list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(later) || !list[0].CreatedAt.Equal(t0) {
			t.Fatalf("list: %+v %v", list, err)
		}
		code(store.DeletePasskey(ctx, bob.ID, p.ID, t0), app.ENOTFOUND)
		code(store.DeletePasskey(ctx, alice.ID, p.ID, t0), "")
		code(store.DeletePasskey(ctx, alice.ID, p.ID, t0), app.ENOTFOUND)
		flag(false)

		// The cap.
		for i := 0; i < app.MaxPasskeys; i++ {
			code(store.AddPasskey(ctx, &app.Passkey{UserID: bob.ID, CredentialID: "b" + strconv.Itoa(i), Name: "k",
				Credential: []byte("{}"), CreatedAt: t0}), "")
		}
		code(store.AddPasskey(ctx, &app.Passkey{UserID: bob.ID, CredentialID: "one-too-many", Name: "k",
			Credential: []byte("{}"), CreatedAt: t0}), app.ECONFLICT)

		// Ceremonies: spent by the first take, of the right kind only, and
		// only while live; a put replaces.
		c := &app.Ceremony{IDHash: "c1", Kind: app.CeremonyRegister, UserID: alice.ID, SessionID: 7,
			IPHash: "ip", UserAgent: "ua", Data: []byte(`{"challenge":"x"}`), CreatedAt: t0,
			ExpiresAt: t0.Add(app.CeremonyLifetime)}
		code(store.PutCeremony(ctx, c), "")
		c.Data = []byte(`{"challenge":"y"}`)
		code(store.PutCeremony(ctx, c), "")
		_, err = store.TakeCeremony(ctx, "c1", app.CeremonyLogin, t0)
		code(err, app.ENOTFOUND)
		got, err := store.TakeCeremony(ctx, "c1", app.CeremonyRegister, t0.Add(app.CeremonyLifetime))
		if err != nil || string(got.Data) != `{"challenge":"y"}` || got.UserID != alice.ID || got.SessionID != 7 ||
			got.IPHash != "ip" || got.UserAgent != "ua" {
			t.Fatalf("taken: %+v %v", got, err)
		}
		_, err = store.TakeCeremony(ctx, "c1", app.CeremonyRegister, t0)
		code(err, app.ENOTFOUND) // spent
		anon := &app.Ceremony{IDHash: "c2", Kind: app.CeremonyLogin, IPHash: "ip", UserAgent: "ua",
			Data: []byte("{}"), CreatedAt: t0, ExpiresAt: t0.Add(app.CeremonyLifetime)}
		code(store.PutCeremony(ctx, anon), "")
		_, err = store.TakeCeremony(ctx, "c2", app.CeremonyLogin, t0.Add(app.CeremonyLifetime+time.Microsecond))
		code(err, app.ENOTFOUND) // expired
		code(store.PutCeremony(ctx, anon), "")
		if n, err := store.SweepChallenges(ctx, t0.Add(time.Hour), 100); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		_, err = store.TakeCeremony(ctx, "c2", app.CeremonyLogin, t0)
		code(err, app.ENOTFOUND) // swept
	})
}
