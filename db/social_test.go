package db_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

var socialNow = time.Date(2026, 4, 23, 3, 32, 23, 123456000, time.UTC)

func socialUser(t *testing.T, d *db.DB, username, email, password string, active bool) *app.User {
	t.Helper()
	u := app.NewUser(username, email, socialNow)
	u.Password, u.IsActive = password, active
	if err := d.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func socialReq(provider, uid, email string, verified, register bool) *app.SocialLogin {
	return &app.SocialLogin{Provider: provider, UID: uid, Email: email, EmailVerified: verified,
		Username: strings.SplitN(email, "@", 2)[0], ExtraData: `{"k":"v"}`, Register: register,
		UnusablePassword: "!unusable", Now: socialNow}
}

func TestResolveSocialLogin(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		d := openOn(t, e)
		owner := socialUser(t, d, "owner", "owner@example.com", "argon2id$x", true)

		// Unknown identity, login: ENOTFOUND; nothing written.
		if _, err := d.ResolveSocialLogin(ctx, socialReq("google", "1", "nobody@example.com", true, false)); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("login of unknown: %v", err)
		}
		// Unverified email matching an account: no link, and no second account.
		if _, err := d.ResolveSocialLogin(ctx, socialReq("google", "1", "owner@example.com", false, false)); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("unverified login: %v", err)
		}
		if _, err := d.ResolveSocialLogin(ctx, socialReq("google", "1", "owner@example.com", false, true)); app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("unverified register: %v", err)
		}
		// Verified email: links to the owner (even for login).
		u, err := d.ResolveSocialLogin(ctx, socialReq("google", "1", "OWNER@example.com", true, false))
		if err != nil || u.ID != owner.ID || u.Password != "argon2id$x" {
			t.Fatalf("verified link: %+v %v", u, err)
		}
		// Already linked: found whatever the email says now; extra_data refreshed.
		req := socialReq("google", "1", "changed@example.com", false, false)
		req.ExtraData = `{"k":"new"}`
		if u, err = d.ResolveSocialLogin(ctx, req); err != nil || u.ID != owner.ID {
			t.Fatalf("linked: %+v %v", u, err)
		}
		a, _ := d.SocialAccountByUID(ctx, "google", "1")
		if a.ExtraData != `{"k":"new"}` || a.Email != "OWNER@example.com" {
			t.Fatalf("link row %+v", a)
		}

		// A pending account is activated without its unverified password.
		pending := socialUser(t, d, "pend", "pend@example.com", "argon2id$attacker", false)
		if u, err = d.ResolveSocialLogin(ctx, socialReq("github", "2", "pend@example.com", true, false)); err != nil || u.ID != pending.ID ||
			!u.IsActive || u.Password != "!unusable" {
			t.Fatalf("pending: %+v %v", u, err)
		}

		// Register creates an active account with an unusable password.
		if u, err = d.ResolveSocialLogin(ctx, socialReq("github", "3", "fresh@example.com", false, true)); err != nil ||
			u.Username != "fresh" || !u.IsActive || u.Password != "!unusable" {
			t.Fatalf("register: %+v %v", u, err)
		}
	})
}

func TestResolveSocialLoginUsernames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		d := openOn(t, e)
		socialUser(t, d, "Sam", "sam@old.example", "", true)
		long := strings.Repeat("x", 160)
		socialUser(t, d, long[:150], "long@old.example", "", true)
		for i, tt := range []struct{ wanted, email, want string }{
			{"sam", "sam@a.example", "sam_1"},
			{"SAM", "sam@b.example", "SAM_2"},
			{"j.doe+tag", "", "jdoetag"},
			{"", "al.ice@c.example", "alice"},
			{"ü", "ü@d.example", "github_user"},
			{"", "", "github_user_1"},
			{long, "long@e.example", long[:145] + "_1"},
		} {
			req := socialReq("github", "u"+string(rune('a'+i)), tt.email, true, true)
			req.Username = tt.wanted
			u, err := d.ResolveSocialLogin(ctx, req)
			if err != nil || u.Username != tt.want || !app.ValidUsername(u.Username) {
				t.Errorf("%q: got %v %v, want %q", tt.wanted, u, err, tt.want)
			}
		}
	})
}

func TestResolveSocialLoginInvitationGate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		d := openOn(t, e)
		if err := d.CreateInvitation(ctx, &app.Invitation{CodeHash: app.CodeHash("INV"), MaxUses: 1, CreatedAt: socialNow}); err != nil {
			t.Fatal(err)
		}
		_, err := d.ResolveSocialLogin(ctx, socialReq("google", "1", "a@example.com", true, true))
		if e, ok := err.(*app.Error); !ok || e.Fields["invitation_code"] != app.MsgOAuthGate {
			t.Fatalf("gate: %v", err)
		}
		req := socialReq("google", "1", "a@example.com", true, true)
		req.InvitationHash = app.CodeHash("INV")
		if _, err := d.ResolveSocialLogin(ctx, req); err != nil {
			t.Fatal(err)
		}
		req = socialReq("google", "2", "b@example.com", true, true)
		req.InvitationHash = app.CodeHash("INV")
		_, err = d.ResolveSocialLogin(ctx, req)
		if e, ok := err.(*app.Error); !ok || e.Fields["invitation_code"] != app.MsgOAuthInvitationInvalid {
			t.Fatalf("used up: %v", err)
		}
		inv, _ := d.InvitationByHash(ctx, app.CodeHash("INV"))
		if inv.TimesUsed != 1 {
			t.Fatalf("times_used %d", inv.TimesUsed)
		}
	})
}

func TestResolveSocialLoginConcurrent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		d := openOn(t, e)
		var wg sync.WaitGroup
		ids := make([]int64, 8)
		errs := make([]error, 8)
		for i := range ids {
			wg.Go(func() {
				u, err := d.ResolveSocialLogin(ctx, socialReq("google", "same", "same@example.com", true, true))
				errs[i] = err
				if err == nil {
					ids[i] = u.ID
				}
			})
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("ids %v errs %v", ids, errs)
			}
		}
		users, _ := d.ListUsers(ctx)
		if len(users) != 1 {
			t.Fatalf("%d users", len(users))
		}
	})
}

func TestBindSocialAccount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		d := openOn(t, e)
		u1 := socialUser(t, d, "one", "one@example.com", "argon2id$x", true)
		u2 := socialUser(t, d, "two", "two@example.com", "argon2id$x", true)
		a := &app.SocialAccount{UserID: u1.ID, Provider: "github", ProviderUID: "10", Email: "one@example.com", CreatedAt: socialNow}
		if created, err := d.BindSocialAccount(ctx, a); err != nil || !created || a.ID == 0 || a.ExtraData != "{}" {
			t.Fatalf("create: %v %v %+v", created, err, a)
		}
		// A second row for the same user and provider, as an email link makes.
		if _, err := d.ResolveSocialLogin(ctx, socialReq("github", "11", "one@example.com", true, false)); err != nil {
			t.Fatal(err)
		}
		b := &app.SocialAccount{UserID: u1.ID, Provider: "github", ProviderUID: "12", Email: "x@example.com",
			ExtraData: `{"login":"x"}`, CreatedAt: socialNow.Add(time.Hour)}
		if created, err := d.BindSocialAccount(ctx, b); err != nil || created || b.ID != a.ID || !b.CreatedAt.Equal(socialNow) {
			t.Fatalf("update: %v %v %+v", created, err, b)
		}
		rows, _ := d.SocialAccountsByUser(ctx, u1.ID)
		if len(rows) != 1 || rows[0].ProviderUID != "12" || rows[0].ExtraData != `{"login":"x"}` {
			t.Fatalf("rows after bind: %+v", rows)
		}
		c := &app.SocialAccount{UserID: u2.ID, Provider: "github", ProviderUID: "12", CreatedAt: socialNow}
		if _, err := d.BindSocialAccount(ctx, c); app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("linked elsewhere: %v", err)
		}
	})
}

func TestDeleteSocialAccountsKeepsLastSignInMethod(t *testing.T) {
	testdb.Each(t, func(t *testing.T, e db.Engine) {
		ctx := context.Background()
		d := openOn(t, e)
		pw := socialUser(t, d, "pw", "pw@example.com", "argon2id$x", true)
		only, err := d.ResolveSocialLogin(ctx, socialReq("google", "g1", "only@example.com", true, true))
		if err != nil {
			t.Fatal(err)
		}
		bind := func(u *app.User, provider, uid string) {
			t.Helper()
			if _, err := d.BindSocialAccount(ctx, &app.SocialAccount{UserID: u.ID, Provider: provider, ProviderUID: uid, CreatedAt: socialNow}); err != nil {
				t.Fatal(err)
			}
		}
		bind(pw, "google", "p1")
		if n, err := d.DeleteSocialAccounts(ctx, pw.ID, "google"); n != 1 || err != nil {
			t.Fatalf("password user: %d %v", n, err)
		}
		if n, err := d.DeleteSocialAccounts(ctx, pw.ID, "google"); n != 0 || err != nil {
			t.Fatalf("none left: %d %v", n, err)
		}
		if n, err := d.DeleteSocialAccounts(ctx, only.ID, "google"); n != 0 || app.ErrorCode(err) != app.EINVALID {
			t.Fatalf("last method: %d %v", n, err)
		}
		if rows, _ := d.SocialAccountsByUser(ctx, only.ID); len(rows) != 1 {
			t.Fatalf("refused delete removed rows: %+v", rows)
		}
		bind(only, "github", "h1")
		if n, err := d.DeleteSocialAccounts(ctx, only.ID, "google"); n != 1 || err != nil {
			t.Fatalf("with another provider: %d %v", n, err)
		}
		if n, err := d.DeleteSocialAccounts(ctx, only.ID, "github"); app.ErrorCode(err) != app.EINVALID || n != 0 {
			t.Fatalf("now last: %d %v", n, err)
		}
		if n, err := d.DeleteSocialAccounts(ctx, only.ID, "gitlab"); n != 0 || err != nil {
			t.Fatalf("unknown provider: %d %v", n, err)
		}
	})
}
