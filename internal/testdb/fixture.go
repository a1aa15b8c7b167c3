package testdb

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
)

// Fixture is what Seed wrote: a row in every table the store keeps, made
// through the Store API.
type Fixture struct {
	// SessionKey is the plaintext key of alice's live session (created and
	// last seen at Seed's now): "Token " + SessionKey authenticates.
	SessionKey string
	Alice      *app.User
	// IPHashKey is the server secret "ip_hash_key".
	IPHashKey []byte
	// Rows is the row count Seed left in each table.
	Rows map[string]int64
	// MaxUserID is the id of the newest account, which Seed deleted again
	// (so the id counter is above every stored id); MaxSessionID is the
	// newest session's id.
	MaxUserID, MaxSessionID int64
}

// Seed fills store with three accounts (alice active and staff with a live,
// an older and a revoked session, an API key, a password-reset code and a
// GitHub link, TOTP, two recovery codes and a passkey; bob pending with his registration code; carol deactivated,
// her session revoked), two invitations, the IP-hash key and change-log
// rows; a fourth, pending account is created and swept again. now is the
// time of alice's live session.
func Seed(t testing.TB, store *db.DB, now time.Time) Fixture {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	newUser := func(name string, active bool, joined time.Time) *app.User {
		t.Helper()
		u := app.NewUser(name, name+"@example.com", joined)
		u.Password, u.IsActive = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo", active
		must(store.CreateUser(ctx, u))
		return u
	}
	f := Fixture{SessionKey: "0123456789abcdef0123456789abcdef01234567"}
	alice := newUser("alice", true, now.Add(-time.Hour))
	alice.IsStaff, alice.FirstName, alice.Motto = true, "Zoë", "naïve café ☕"
	alice.AppSettingsJSON = `{"editor":{"font":"mono"}}`
	at := now.Add(-time.Minute)
	alice.AppSettingsUpdatedAt = &at
	must(store.UpdateUser(ctx, alice))
	bob := newUser("bob", false, now.Add(-time.Hour))
	carol := newUser("carol", true, now.Add(-time.Hour))
	dave := newUser("dave", false, now.Add(-72*time.Hour))
	session := func(u *app.User, key string, created time.Time) *app.Session {
		t.Helper()
		s := &app.Session{UserID: u.ID, KeyHash: app.HashHex(key), DeviceLabel: "Firefox on Linux",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", IPHash: "ab12cd34", CreatedAt: created, LastSeenAt: created}
		must(store.CreateSession(ctx, s))
		return s
	}
	session(alice, "old-alice-key", now.Add(-2*time.Hour))
	revoked := session(alice, "revoked-alice-key", now.Add(-90*time.Minute))
	_, err := store.RevokeSession(ctx, alice.ID, revoked.ID, now.Add(-80*time.Minute))
	must(err)
	session(carol, "carol-key", now.Add(-time.Hour))
	_, err = store.SetActive(ctx, carol.ID, false, now.Add(-30*time.Minute))
	must(err)
	// alice's live session is an audited sign-in with webhooks on: a
	// login.succeeded event, her device and the event's outbox row.
	store.SetWebhooks(true)
	audit := app.NewAudit(rand.Reader, now, app.Actor{}).Add(alice.ID, app.EventLoginSucceeded,
		map[string]any{"methods": []string{"password"}})
	audit.Device = "a device fingerprint"
	live := &app.Session{UserID: alice.ID, KeyHash: app.HashHex(f.SessionKey), DeviceLabel: "Firefox on Linux",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", IPHash: "ab12cd34", CreatedAt: now, LastSeenAt: now}
	must(store.CreateSession(app.WithAudit(ctx, audit), live))
	store.SetWebhooks(false)
	must(store.CreateActionToken(ctx, &app.ActionToken{Hash: app.HashHex("a mailed link"), UserID: alice.ID,
		Purpose: app.TokenNotMe, SessionID: live.ID, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}))
	_, err = store.SetAPIKey(ctx, alice.ID, app.HashHex("ntc_0123456789abcdef0123456789abcdef"), "ntc_0123", now)
	must(err)
	must(store.IssueCode(ctx, &app.Code{CodeHash: app.CodeHash("123456"), Usage: app.CodeRegister,
		Function: "register:bob@example.com", UserID: bob.ID, MaxUse: 1, CreatedAt: now, ExpireAt: now.Add(24 * time.Hour)}))
	must(store.IssueCode(ctx, &app.Code{CodeHash: app.CodeHash("654321"), Usage: app.CodeFunction,
		Function: app.FuncPasswordReset("alice@example.com"), MaxUse: 1, CreatedAt: now, ExpireAt: now.Add(time.Hour)}))
	expires := now.Add(7 * 24 * time.Hour)
	must(store.CreateInvitation(ctx, &app.Invitation{CodeHash: app.HashHex("WELCOME"), Label: "friends", MaxUses: 3, CreatedAt: now}))
	must(store.CreateInvitation(ctx, &app.Invitation{CodeHash: app.HashHex("LATER"), MaxUses: 1, ExpireAt: &expires, CreatedAt: now}))
	_, err = store.BindSocialAccount(ctx, &app.SocialAccount{UserID: alice.ID, Provider: "github", ProviderUID: "583231",
		Email: "alice@example.com", ExtraData: `{"login":"alice"}`, CreatedAt: now})
	must(err)
	// alice has TOTP on (a sealed secret: only its ciphertext is stored)
	// with two recovery codes.
	must(store.BeginTOTP(ctx, alice.ID, "c2VhbGVkIFRPVFAgc2VjcmV0", now))
	must(store.ConfirmTOTP(ctx, alice.ID, 59000000, []string{app.HashHex("rc-one"), app.HashHex("rc-two")}, now))
	// and a passkey (a credential record is public data).
	_, err = store.WebAuthnHandle(ctx, alice.ID, "qW5vdGVjaG9uZHJpYS1oYW5kbGU")
	must(err)
	must(store.AddPasskey(ctx, &app.Passkey{UserID: alice.ID, CredentialID: "Y3JlZC1pZA", Name: "Zoë's laptop",
		Credential: []byte(`{"id":"Y3JlZC1pZA","publicKey":"pQECAyYgASFY"}`), CreatedAt: now}))
	f.IPHashKey, err = store.ServerSecret(ctx, "ip_hash_key", []byte("\x00\x01 an ip-hash key with a NUL \xff"))
	must(err)
	// dave never verified: the sweeper deletes him, leaving the highest
	// user id unused.
	swept, err := store.SweepPendingUsers(ctx, now.Add(-24*time.Hour), 10)
	must(err)
	if len(swept) != 1 || swept[0] != dave.ID {
		t.Fatalf("Seed: swept %v, want dave (%d)", swept, dave.ID)
	}
	f.Alice, f.MaxUserID, f.MaxSessionID = alice, dave.ID, live.ID
	f.Rows = map[string]int64{"users": 3, "sessions": 4, "api_keys": 1, "verification_codes": 2,
		"invitation_codes": 2, "social_accounts": 1, "second_factors": 1, "recovery_codes": 2,
		"webauthn_users": 1, "passkeys": 1, "server_secrets": 1,
		"security_events": 1, "user_devices": 1, "action_tokens": 1, "webhook_outbox": 1}
	return f
}
