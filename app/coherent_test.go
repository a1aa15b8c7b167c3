package app_test

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"notechondria-auth/app"
)

// invalidates lists every Store method that changes cached state, each with
// a scenario that calls it through the coherent store on a warm fixture and
// checks that the caches no longer answer with what it changed.
var invalidates = map[string]func(t *testing.T, f *fixture){
	"UpdateUser": func(t *testing.T, f *fixture) {
		u := *f.user
		u.Username = "alicia"
		if err := f.core.Store().UpdateUser(bg, &u); err != nil {
			t.Fatal(err)
		}
		if p, err := f.core.Profile(bg, f.user.ID); err != nil || p.User.Username != "alicia" {
			t.Fatalf("profile after the rename: %v %v", p, err)
		}
		a, err := f.core.Authenticate(bg, f.token, false)
		if err != nil || a.User.Username != "alicia" {
			t.Fatalf("after the rename: %v %v", a, err)
		}
	},
	"SetPassword": func(t *testing.T, f *fixture) {
		if _, err := f.core.Store().SetPassword(bg, f.user.ID, "!new", true, 0, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectCode(t, f.authCode(f.token), app.EUNAUTHORIZED)
		expectNothingCached(t, f)
	},
	"SetActive": func(t *testing.T, f *fixture) {
		if _, err := f.core.Store().SetActive(bg, f.user.ID, false, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectCode(t, f.authCode(f.token), app.EUNAUTHORIZED)
		expectCode(t, f.authCode(f.apiKey), app.EUNAUTHORIZED)
	},
	"SetAPIKey": func(t *testing.T, f *fixture) {
		key := app.APIKeyPrefix + "ffffffffffffffffffffffffffffffff"
		if _, err := f.core.Store().SetAPIKey(bg, f.user.ID, app.HashHex(key), key[:8], f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectCode(t, f.authCode(f.apiKey), app.EUNAUTHORIZED)
		expectCode(t, f.authCode("Bearer "+key), "")
		if p, _ := f.core.Profile(bg, f.user.ID); p.User.APIKeyPrefix != key[:8] {
			t.Fatalf("profile key prefix %q, want %q", p.User.APIKeyPrefix, key[:8])
		}
	},
	"CreateSession": func(t *testing.T, f *fixture) {
		f.signIn("Mozilla/5.0 (iPhone)")
		if f.core.CachedList(f.user.ID) {
			t.Fatal("list still cached")
		}
		if live, _ := f.core.LiveSessions(bg, f.user.ID); len(live) != 2 {
			t.Fatalf("live sessions %d, want 2", len(live))
		}
	},
	"RevokeSession": func(t *testing.T, f *fixture) {
		if _, err := f.core.Store().RevokeSession(bg, f.user.ID, f.sess.ID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectCode(t, f.authCode(f.token), app.EUNAUTHORIZED)
		if live, _ := f.core.LiveSessions(bg, f.user.ID); len(live) != 0 {
			t.Fatalf("live sessions %d, want 0", len(live))
		}
	},
	"RevokeUserSessions": func(t *testing.T, f *fixture) {
		if _, err := f.core.Store().RevokeUserSessions(bg, f.user.ID, 0, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectCode(t, f.authCode(f.token), app.EUNAUTHORIZED)
	},
	"RevokeAllSessions": func(t *testing.T, f *fixture) {
		if _, err := f.core.Store().RevokeAllSessions(bg, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectCode(t, f.authCode(f.token), app.EUNAUTHORIZED)
		expectNothingCached(t, f)
	},
	"Register": func(t *testing.T, f *fixture) {
		p, key := pendingWithKey(t, f, "pat")
		r := &app.Registration{Username: "patricia", Email: p.Email, PasswordHash: p.Password, SamePassword: true,
			Code: code(f, p.Email, app.CodeRegister), Now: f.clock.Now()}
		if _, err := f.core.Store().Register(bg, r); err != nil {
			t.Fatal(err)
		}
		a, err := f.core.Authenticate(bg, key, false)
		if app.ErrorCode(err) != app.EUNAUTHORIZED || f.core.CachedCredentials(p.ID) != 1 {
			t.Fatalf("pending account: %v %v", a, err)
		}
		if u, _ := f.store.UserByAPIKeyHash(bg, app.HashHex(key[len("Bearer "):])); u.Username != "patricia" {
			t.Fatalf("username %q", u.Username)
		}
	},
	"VerifyEmail": func(t *testing.T, f *fixture) {
		p, key := pendingWithKey(t, f, "pia")
		c := code(f, p.Email, app.CodeRegister)
		if err := f.store.IssueCode(bg, c); err != nil {
			t.Fatal(err)
		}
		if _, err := f.core.Store().VerifyEmail(bg, p.Email, c.CodeHash, 5, f.clock.Now(), "!x"); err != nil {
			t.Fatal(err)
		}
		// The cached snapshot said "disabled"; the account is active now.
		expectCode(t, f.authCode(key), "")
	},
	"ResetPassword": func(t *testing.T, f *fixture) {
		c := code(f, app.FuncPasswordReset(f.user.Email), app.CodeFunction)
		if err := f.store.IssueCode(bg, c); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.core.Store().ResetPassword(bg, f.user.Email, c.CodeHash, "!new", 5, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectCode(t, f.authCode(f.token), app.EUNAUTHORIZED)
	},
	"ChangeEmail": func(t *testing.T, f *fixture) {
		c := code(f, app.FuncChangeEmail("new@example.com"), app.CodeFunction)
		c.UserID = f.user.ID
		if err := f.store.IssueCode(bg, c); err != nil {
			t.Fatal(err)
		}
		if _, err := f.core.Store().ChangeEmail(bg, f.user.ID, 0, "new@example.com", c.CodeHash, 5, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectCode(t, f.authCode(f.token), app.EUNAUTHORIZED)
		a, err := f.core.Authenticate(bg, f.apiKey, false)
		if err != nil || a.User.Email != "new@example.com" {
			t.Fatalf("API key after the change: %v %v", a, err)
		}
	},
	"SweepPendingUsers": func(t *testing.T, f *fixture) {
		p, key := pendingWithKey(t, f, "old")
		f.clock.Advance(48 * time.Hour)
		ids, err := f.core.Store().SweepPendingUsers(bg, f.clock.Now().Add(-24*time.Hour), 10)
		if err != nil || len(ids) != 1 || ids[0] != p.ID {
			t.Fatalf("swept %v %v, want [%d]", ids, err, p.ID)
		}
		if f.core.CachedCredentials(p.ID) != 0 {
			t.Fatal("the deleted account's key is still cached")
		}
		expectCode(t, f.authCode(key), app.EUNAUTHORIZED)
		if _, err := f.store.UserByID(bg, f.user.ID); err != nil {
			t.Fatalf("the active account went too: %v", err)
		}
	},
	"ConfirmTOTP": func(t *testing.T, f *fixture) {
		f.core.Profile(bg, f.user.ID) // cached as "no second factor"
		if err := f.store.BeginTOTP(bg, f.user.ID, "sealed", f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := f.core.Store().ConfirmTOTP(bg, f.user.ID, 1, []string{"h"}, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectSecondFactor(t, f, true)
	},
	"DisableTOTP": func(t *testing.T, f *fixture) {
		if err := f.store.BeginTOTP(bg, f.user.ID, "sealed", f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := f.store.ConfirmTOTP(bg, f.user.ID, 1, nil, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		f.core.Authenticate(bg, f.token, false) // cache the new state
		f.core.Profile(bg, f.user.ID)
		if err := f.core.Store().DisableTOTP(bg, f.user.ID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectSecondFactor(t, f, false)
	},
	"AddPasskey": func(t *testing.T, f *fixture) {
		f.core.Profile(bg, f.user.ID) // cached as "no second factor"
		p := &app.Passkey{UserID: f.user.ID, CredentialID: "cred", Name: "key", Credential: []byte("{}"), CreatedAt: f.clock.Now()}
		if err := f.core.Store().AddPasskey(bg, p); err != nil {
			t.Fatal(err)
		}
		expectSecondFactor(t, f, true)
	},
	"DeletePasskey": func(t *testing.T, f *fixture) {
		p := &app.Passkey{UserID: f.user.ID, CredentialID: "cred", Name: "key", Credential: []byte("{}"), CreatedAt: f.clock.Now()}
		if err := f.store.AddPasskey(bg, p); err != nil {
			t.Fatal(err)
		}
		f.core.Authenticate(bg, f.token, false) // cache the new state
		f.core.Profile(bg, f.user.ID)
		if err := f.core.Store().DeletePasskey(bg, f.user.ID, p.ID, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectSecondFactor(t, f, false)
	},
	"SetConfirmNewSignIns": func(t *testing.T, f *fixture) {
		f.core.Profile(bg, f.user.ID) // cached as "no second factor"
		if err := f.core.Store().SetConfirmNewSignIns(bg, f.user.ID, true, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		expectSecondFactor(t, f, true)
	},
	"MarkSessionFresh": func(t *testing.T, f *fixture) {
		f.clock.Advance(time.Hour)
		at := f.clock.Now()
		if _, err := f.core.Store().MarkSessionFresh(bg, f.user.ID, f.sess.ID, at); err != nil {
			t.Fatal(err)
		}
		a, err := f.core.Authenticate(bg, f.token, false)
		if err != nil || !a.Session.AuthenticatedAt.Equal(at) {
			t.Fatalf("authenticated_at after the step-up: %v %v", a, err)
		}
		if live, _ := f.core.LiveSessions(bg, f.user.ID); len(live) != 1 || !live[0].AuthenticatedAt.Equal(at) {
			t.Fatalf("listed authenticated_at: %+v", live)
		}
	},
	"RedeemActionToken": func(t *testing.T, f *fixture) {
		now := f.clock.Now()
		tok := &app.ActionToken{Hash: app.HashHex("link"), UserID: f.user.ID, Purpose: app.TokenEmailDispute,
			Data: "old@example.com", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := f.core.Store().CreateActionToken(bg, tok); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := f.core.Store().RedeemActionToken(bg, tok.Hash, app.TokenEmailDispute, now); err != nil {
			t.Fatal(err)
		}
		expectCode(t, f.authCode(f.token), app.EUNAUTHORIZED)
		if p, err := f.core.Profile(bg, f.user.ID); err != nil || p.User.Email != "old@example.com" {
			t.Fatalf("profile after the dispute: %v %v", p, err)
		}
	},
	"ResolveSocialLogin": func(t *testing.T, f *fixture) {
		req := &app.SocialLogin{Provider: "github", UID: "42", Email: f.user.Email, EmailVerified: true,
			Username: "alice", ExtraData: "{}", UnusablePassword: "!x", Now: f.clock.Now()}
		if _, err := f.core.Store().ResolveSocialLogin(bg, req); err != nil {
			t.Fatal(err)
		}
		expectNothingCached(t, f)
	},
}

// readsOnly lists the Store methods that read, or write only what no cache
// holds: codes, invitations, social links, new users (created or imported:
// nothing of theirs is cached yet), last-seen times (the caches overlay their own), the sweep of
// rows no live session needs, and the change log itself.
var readsOnly = map[string]bool{
	"Ping": true, "ServerSecret": true, "CreateUser": true, "ImportUser": true, "UserByID": true, "UserByEmail": true,
	"UserByUsername": true, "UserByAPIKeyHash": true, "ListUsers": true, "EmailInUse": true,
	"UsernameInUse": true, "SessionByKeyHash": true, "ListSessions": true, "CountSessions": true,
	"SessionsByIDs": true, "CountActiveSessions": true, "TouchSessions": true, "SweepSessions": true,
	"IssueCode": true, "ConsumeCode": true, "LatestCode": true, "SweepCodes": true,
	"CreateInvitation": true, "InvitationGate": true, "InvitationValid": true, "InvitationByHash": true,
	"SocialAccountsByUser": true, "SocialAccountByUID": true, "DeleteSocialAccounts": true,
	"BindSocialAccount": true, "LastChange": true, "ChangesSince": true, "SweepChanges": true,
	// Second factors: a pending TOTP secret, recovery codes, spent steps and
	// pending sign-ins are never cached; only whether an account has a
	// second factor is (ConfirmTOTP, DisableTOTP, SetConfirmNewSignIns).
	"SecondFactors": true, "BeginTOTP": true, "ReplaceRecoveryCodes": true, "SpendSecondFactor": true,
	"CreateChallenge": true, "ChallengeByHash": true, "FailChallenge": true, "CompleteChallenge": true,
	"SweepChallenges": true, "StartDeviceChallenge": true, "PendingDeviceChallenges": true,
	"AnswerDeviceChallenge": true,
	// Passkeys: handles, credential records and ceremonies are never
	// cached; only whether an account has a second factor is (AddPasskey,
	// DeletePasskey).
	"WebAuthnHandle": true, "UserByWebAuthnHandle": true, "Passkeys": true, "UsePasskey": true,
	"PutCeremony": true, "TakeCeremony": true,
	// The security log (issue 15): events, devices and mailed links are
	// never cached.
	"RecordEvents": true, "SecurityEvents": true, "SweepEvents": true,
	"CreateActionToken": true, "ActionTokenByHash": true, "SweepActionTokens": true,
}

// TestCoherent_EveryStoreMethodIsClassified fails for a Store method in
// neither table (or in both): whoever adds one decides whether it changes
// cached state, and if so writes its scenario above and its drop in
// coherent.go.
func TestCoherent_EveryStoreMethodIsClassified(t *testing.T) {
	st := reflect.TypeOf((*app.Store)(nil)).Elem()
	var missing, both []string
	names := map[string]bool{}
	for i := 0; i < st.NumMethod(); i++ {
		name := st.Method(i).Name
		names[name] = true
		_, inv := invalidates[name]
		switch {
		case inv && readsOnly[name]:
			both = append(both, name)
		case !inv && !readsOnly[name]:
			missing = append(missing, name)
		}
	}
	for name := range invalidates {
		if !names[name] {
			t.Errorf("invalidates names %s, which is not a Store method", name)
		}
	}
	for name := range readsOnly {
		if !names[name] {
			t.Errorf("readsOnly names %s, which is not a Store method", name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("Store methods in neither table (decide: invalidates or readsOnly): %v", missing)
	}
	if len(both) > 0 {
		t.Errorf("Store methods in both tables: %v", both)
	}
}

// TestCoherent_WritesDropWhatTheyChange runs every invalidating method's
// scenario on a fresh warm fixture.
func TestCoherent_WritesDropWhatTheyChange(t *testing.T) {
	for name, scenario := range invalidates {
		t.Run(name, func(t *testing.T) { scenario(t, newFixture(t)) })
	}
}

func expectCode(t *testing.T, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("error code %q, want %q", got, want)
	}
}

func expectNothingCached(t *testing.T, f *fixture) {
	t.Helper()
	if n := f.core.CachedCredentials(f.user.ID); n != 0 || f.core.CachedList(f.user.ID) || f.core.CachedProfile(f.user.ID) {
		t.Fatalf("still cached: %d credentials, list %v, profile %v", n, f.core.CachedList(f.user.ID), f.core.CachedProfile(f.user.ID))
	}
}

// pendingWithKey makes a pending (unverified) account holding an API key,
// and caches that key's snapshot (which answers "disabled").
func pendingWithKey(t *testing.T, f *fixture, name string) (*app.User, string) {
	t.Helper()
	p := app.NewUser(name, name+"@example.com", f.clock.Now())
	p.Password = "$argon2id$pending"
	if err := f.store.CreateUser(bg, p); err != nil {
		t.Fatal(err)
	}
	key := app.APIKeyPrefix + app.HashHex(name)[:32]
	if _, err := f.store.SetAPIKey(bg, p.ID, app.HashHex(key), key[:8], f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	h := "Bearer " + key
	expectCode(t, f.authCode(h), app.EUNAUTHORIZED)
	if f.core.CachedCredentials(p.ID) != 1 {
		t.Fatal("pending key not cached")
	}
	return p, h
}

// code is a live one-time code "123456" for function.
func code(f *fixture, function, usage string) *app.Code {
	now := f.clock.Now()
	return &app.Code{CodeHash: app.CodeHash("123456"), Usage: usage, Function: function, MaxUse: 1,
		CreatedAt: now, ExpireAt: now.Add(time.Hour)}
}

// expectSecondFactor asserts what the token check and the profile say about
// the account's second factor.
func expectSecondFactor(t *testing.T, f *fixture, want bool) {
	t.Helper()
	a, err := f.core.Authenticate(bg, f.token, false)
	if err != nil || a.User.SecondFactor != want {
		t.Fatalf("token check: second factor %v, want %v (%v)", a != nil && a.User.SecondFactor, want, err)
	}
	if p, err := f.core.Profile(bg, f.user.ID); err != nil || p.User.SecondFactor != want {
		t.Fatalf("profile: second factor wrong, want %v (%v)", want, err)
	}
}
