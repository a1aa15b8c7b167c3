package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
)

// events reads the account's whole security log through the store, newest
// first.
func (e *env) events(userID int64) []*app.Event {
	e.t.Helper()
	list, err := e.store.SecurityEvents(context.Background(), app.EventQuery{UserID: userID, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// eventOf returns the newest event of typ of the account, failing when there
// is none.
func (e *env) eventOf(userID int64, typ string) *app.Event {
	e.t.Helper()
	for _, ev := range e.events(userID) {
		if ev.Type == typ {
			return ev
		}
	}
	e.t.Fatalf("no %s event; log: %s", typ, describe(e.events(userID)))
	return nil
}

// describe lists events as "type{detail}" for failure messages.
func describe(list []*app.Event) string {
	var b strings.Builder
	for _, ev := range list {
		d, _ := json.Marshal(ev.Detail)
		fmt.Fprintf(&b, "%s%s ", ev.Type, d)
	}
	return b.String()
}

// countOf counts the account's events of typ.
func (e *env) countOf(userID int64, typ string) int {
	n := 0
	for _, ev := range e.events(userID) {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// TestSecurityLog_Core_EveryEventFromItsAction drives each action over HTTP
// and checks the event it must leave, with its detail, and that no secret
// or code is in the log.
func TestSecurityLog_Core_EveryEventFromItsAction(t *testing.T) {
	type check func(t *testing.T, e *env, u *app.User, tok string) (typ string, detail map[string]any)
	cases := map[string]check{
		"login.succeeded": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			return app.EventLoginSucceeded, map[string]any{"methods": []any{"password"}, "new_device": false}
		},
		"login.failed wrong password": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			e.do("POST", "auth/login/", loginBody("alice@example.com", "Wrong1pass"), "").expect(t, 400, "")
			return app.EventLoginFailed, map[string]any{"reason": "wrong_password"}
		},
		"session.revoked this device": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			id := e.storedSessionID(u.ID)
			e.do("DELETE", "auth/sessions/"+itoa(id)+"/", nil, tok).expect(t, 204, "")
			return app.EventSessionRevoked, map[string]any{"cause": "this_device", "count": 1.0, "session_ids": []any{float64(id)}}
		},
		"session.revoked other session": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			e.login("alice", pw2, "User-Agent", uaPhone)
			e.do("DELETE", "auth/sessions/", nil, tok).expect(t, 200, "")
			return app.EventSessionRevoked, map[string]any{"cause": "other_session", "count": 1.0}
		},
		"logout": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			e.do("POST", "auth/logout/", nil, tok).expect(t, 204, "")
			if n := e.countOf(u.ID, app.EventSessionRevoked); n != 0 {
				t.Errorf("a logout also wrote %d session.revoked", n)
			}
			return app.EventLogout, map[string]any{}
		},
		"password.changed": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			code := e.identityCode(tok, "alice@example.com")
			e.do("POST", "auth/change-password/", map[string]string{"current_password": pw2,
				"new_password": "Newer1pass", "identity_code": code}, tok).expect(t, 200, "")
			if ev := e.eventOf(u.ID, app.EventSessionRevoked); ev.Detail["cause"] != "password_change" {
				t.Errorf("revocation %v", ev.Detail)
			}
			return app.EventPasswordChanged, map[string]any{"by": "user"}
		},
		"password.reset": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			e.do("POST", "auth/password-reset/", map[string]string{"email": "alice@example.com"}, "").expect(t, 200, "")
			e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "alice@example.com",
				"code": e.lastCode("alice@example.com"), "password": "Newer1pass"}, "").expect(t, 200, "")
			if ev := e.eventOf(u.ID, app.EventSessionRevoked); ev.Detail["cause"] != "password_reset" {
				t.Errorf("revocation %v", ev.Detail)
			}
			return app.EventPasswordReset, map[string]any{}
		},
		"email.changed": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			e.changeEmail(tok, "alice@example.com", "alicia@example.org")
			return app.EventEmailChanged, map[string]any{"old": "a***@example.com", "new": "a***@example.org"}
		},
		"api_key.rotated": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			key := strings.TrimPrefix(e.rotate(tok), "Bearer ")
			return app.EventAPIKeyRotated, map[string]any{"prefix": key[:8]}
		},
		"second_factor.added confirm": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			e.do("PATCH", "auth/2fa/", map[string]any{"confirm_new_sign_ins": true}, tok).expect(t, 200, "")
			return app.EventSecondFactorAdded, map[string]any{"kind": "confirm_new_sign_ins"}
		},
		"second_factor.added totp": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			e.enrolTOTP(tok)
			return app.EventSecondFactorAdded, map[string]any{"kind": "totp"}
		},
		"second_factor.removed": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			e.enrolTOTP(tok)
			e.do("DELETE", "auth/2fa/totp/", nil, tok).expect(t, 204, "")
			// Turning off what is off again invents nothing.
			e.do("DELETE", "auth/2fa/totp/", nil, tok).expect(t, 204, "")
			if n := e.countOf(u.ID, app.EventSecondFactorRemoved); n != 1 {
				t.Errorf("%d second_factor.removed events, want 1", n)
			}
			return app.EventSecondFactorRemoved, map[string]any{"kind": "totp"}
		},
		"recovery_codes.regenerated": func(t *testing.T, e *env, u *app.User, tok string) (string, map[string]any) {
			e.enrolTOTP(tok)
			e.do("POST", "auth/2fa/recovery-codes/", nil, tok).expect(t, 200, "")
			return app.EventRecoveryCodesRegenerated, map[string]any{}
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			u := e.createUser("alice", "alice@example.com", pw2)
			tok := e.login("alice", pw2, "User-Agent", ua2)
			typ, want := run(t, e, u, tok)
			ev := e.eventOf(u.ID, typ)
			got, _ := json.Marshal(ev.Detail)
			for k, v := range want {
				gv, _ := json.Marshal(ev.Detail[k])
				wv, _ := json.Marshal(v)
				if string(gv) != string(wv) {
					t.Errorf("%s detail %s = %s, want %s (all: %s)", typ, k, gv, wv, got)
				}
			}
			if len(ev.ID) != 32 || ev.At.IsZero() || ev.UserID != u.ID {
				t.Errorf("event %+v", ev)
			}
			if strings.Contains(string(got), pw2) || strings.Contains(string(got), "Newer1pass") {
				t.Errorf("a password in the detail: %s", got)
			}
		})
	}
}

// storedSessionID is the id of the account's newest session.
func (e *env) storedSessionID(userID int64) int64 {
	e.t.Helper()
	var best int64
	for id := range e.storedSessions(userID) {
		best = max(best, id)
	}
	return best
}

// changeEmail runs both steps of auth/change-email/ as tok.
func (e *env) changeEmail(tok, old, next string) {
	e.t.Helper()
	identity := e.identityCode(tok, old)
	e.do("POST", "auth/change-email/", map[string]string{"new_email": next, "identity_code": identity}, tok).expect(e.t, 200, "")
	e.do("POST", "auth/change-email/", map[string]string{"new_email": next, "code": e.lastCode(next)}, tok).expect(e.t, 200, "")
}

// TestSecurityLog_Core_SecondSteps: a two-step sign-in leaves
// second_step.required, a wrong code login.failed (wrong_second_factor),
// the right one second_step.approved and login.succeeded with both
// methods; a device denial second_step.denied.
func TestSecurityLog_Core_SecondSteps(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.userWithTOTP()
	u := e.userByEmail("alice@example.com")
	id, _ := e.pending("alice")
	if ev := e.eventOf(u.ID, app.EventSecondStepRequired); fmt.Sprint(ev.Detail["channels"]) != "[totp recovery]" {
		t.Errorf("required: %v", ev.Detail)
	}
	e.verify(id, "totp", "000000").expect(t, 400, "")
	if ev := e.eventOf(u.ID, app.EventLoginFailed); ev.Detail["reason"] != "wrong_second_factor" || ev.Detail["channel"] != "totp" {
		t.Errorf("failed: %v", ev.Detail)
	}
	e.verify(id, "totp", totpCode(t, secret, e.clock.Now())).expect(t, 200, "")
	if ev := e.eventOf(u.ID, app.EventSecondStepApproved); ev.Detail["channel"] != "totp" {
		t.Errorf("approved: %v", ev.Detail)
	}
	ev := e.eventOf(u.ID, app.EventLoginSucceeded)
	if fmt.Sprint(ev.Detail["methods"]) != "[password totp]" || ev.SessionID == 0 || ev.UserAgent != ua2 {
		t.Errorf("succeeded: %+v", ev)
	}

	d, tok, id, _ := deviceEnv(t)
	p := d.pendingList(tok)[0]
	d.do("POST", "auth/2fa/pending/"+p["id"].(string)+"/deny/", nil, tok).expect(t, 204, "")
	alice := d.userByEmail("alice@example.com")
	if ev := d.eventOf(alice.ID, app.EventSecondStepDenied); ev.Detail["why"] != "denied" || ev.SessionID == 0 {
		t.Errorf("denied: %+v", ev)
	}
	d.verifyPhone(id).expect(t, 403, "")
}

// TestSecurityLog_Security_ThrottledSignInsRecordedOncePerMinute: failed
// sign-ins are recorded against the named account; throttled ones at most
// once a minute, with how many were refused, so a flood of refusals is no
// flood of writes. Unknown identifiers record nothing.
func TestSecurityLog_Security_ThrottledSignInsRecordedOncePerMinute(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("alice", "alice@example.com", pw2)
	for i := 0; i < 15; i++ {
		e.do("POST", "auth/login/", loginBody("alice", "Wrong1pass"), "")
	}
	if n := e.countOf(u.ID, app.EventLoginFailed); n != 11 { // 10 wrong passwords, 1 throttle note
		t.Fatalf("%d login.failed, want 11: %s", n, describe(e.events(u.ID)))
	}
	if ev := e.events(u.ID)[0]; ev.Detail["reason"] != "throttled" || ev.Detail["refused"] != 1.0 {
		t.Fatalf("newest %v", ev.Detail)
	}
	e.clock.Advance(time.Minute)
	e.do("POST", "auth/login/", loginBody("alice", "Wrong1pass"), "").expect(t, 429, "")
	if ev := e.events(u.ID)[0]; ev.Detail["reason"] != "throttled" || ev.Detail["refused"] != 5.0 {
		t.Fatalf("after a minute %v", ev.Detail)
	}
	e.do("POST", "auth/login/", loginBody("nobody", "Wrong1pass"), "")
	if n := e.count(`SELECT count(*) FROM security_events WHERE user_id != ?`, u.ID); n != 0 {
		t.Fatalf("%d events of other accounts", n)
	}
}

// TestSecurityLog_Core_BootWipe: the boot wipe leaves one session.revoked
// (cause boot_wipe) per account that had sessions.
func TestSecurityLog_Core_BootWipe(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("alice", "alice@example.com", pw2)
	e.login("alice", pw2)
	e.login("alice", pw2, "User-Agent", uaPhone)
	if n, err := e.srv.WipeSessions(context.Background()); err != nil || n != 2 {
		t.Fatalf("wipe %d %v", n, err)
	}
	ev := e.eventOf(u.ID, app.EventSessionRevoked)
	if ev.Detail["cause"] != "boot_wipe" || ev.Detail["count"] != 2.0 || ev.SessionID != 0 || ev.DeviceLabel != "" {
		t.Fatalf("wipe event %+v", ev)
	}
}

// TestSecurityLog_Core_OAuthLinks: linking and unlinking a provider leave
// oauth.linked and oauth.unlinked; an OAuth sign-in is login.succeeded
// with the method oauth, and oauth.linked as well when it linked the
// account by its verified address.
func TestSecurityLog_Core_OAuthLinks(t *testing.T) {
	e := newOAuthEnv(t)
	u := e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2)
	e.google.codeFor("g1", googleClaims("5001", "alice@example.com", true))
	e.do("POST", "auth/bind/google/", map[string]any{"code": "g1"}, tok).expect(t, 201, "")
	if ev := e.eventOf(u.ID, app.EventOAuthLinked); ev.Detail["provider"] != "google" {
		t.Errorf("linked %v", ev.Detail)
	}
	e.google.codeFor("g2", googleClaims("5001", "alice@example.com", true))
	e.do("POST", "auth/google/", map[string]any{"code": "g2"}, "").expect(t, 200, "")
	if ev := e.events(u.ID)[0]; ev.Type != app.EventLoginSucceeded || fmt.Sprint(ev.Detail["methods"]) != "[oauth]" {
		t.Errorf("oauth sign-in %+v", ev)
	}
	e.do("DELETE", "auth/social-accounts/google/", nil, tok).expect(t, 204, "")
	e.do("DELETE", "auth/social-accounts/google/", nil, tok).expect(t, 404, "")
	if ev := e.eventOf(u.ID, app.EventOAuthUnlinked); ev.Detail["provider"] != "google" {
		t.Errorf("unlinked %v", ev.Detail)
	}
	if n := e.countOf(u.ID, app.EventOAuthUnlinked); n != 1 {
		t.Errorf("%d unlink events, want 1 (the 404 invents none)", n)
	}
	// A sign-in that links the account by its verified address is a link
	// too; signing in again with the linked identity links nothing.
	e.github.codeFor("gh1", ghUser{user: ghProfile(7001, "alice-gh", "", ""), emails: ghEmails("alice@example.com", true)})
	e.do("POST", "auth/github/", map[string]any{"code": "gh1", "intent": "login"}, "").expect(t, 200, "")
	if ev := e.eventOf(u.ID, app.EventOAuthLinked); ev.Detail["provider"] != "github" || ev.Detail["by"] != "sign_in" {
		t.Errorf("linked by sign-in %v", ev.Detail)
	}
	e.github.codeFor("gh2", ghUser{user: ghProfile(7001, "alice-gh", "", ""), emails: ghEmails("alice@example.com", true)})
	e.do("POST", "auth/github/", map[string]any{"code": "gh2", "intent": "login"}, "").expect(t, 200, "")
	if n := e.countOf(u.ID, app.EventOAuthLinked); n != 2 {
		t.Errorf("%d link events, want 2 (bind, then the first GitHub sign-in)", n)
	}
	// An account made by an OAuth sign-in starts with that link in its log.
	_, newID := e.oauthOnlyUser(t, "5002", "carol@example.com")
	if ev := e.eventOf(newID, app.EventOAuthLinked); ev.Detail["provider"] != "google" || ev.Detail["by"] != "sign_in" {
		t.Errorf("account made by sign-in: linked %v", ev.Detail)
	}
}

// TestSecurityLog_Core_Endpoint: GET auth/security-log/ pages newest
// first, 50 at a time, through next_cursor; a bad cursor is 400 on cursor;
// an API key is 403; another account's events never show.
func TestSecurityLog_Core_Endpoint(t *testing.T) {
	e := newEnv(t, noThrottle)
	e.createUser("alice", "alice@example.com", pw2)
	e.createUser("bob", "bob@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	e.login("bob", pw2)
	for i := 0; i < 60; i++ {
		e.do("POST", "auth/login/", loginBody("alice", "Wrong1pass"), "").expect(t, 400, "")
	}
	r := e.do("GET", "auth/security-log/", nil, tok).expect(t, 200, "")
	sameKeys(t, "log", r.body, "events", "next_cursor")
	first := r.body["events"].([]any)
	if len(first) != 50 || r.body["next_cursor"] == nil {
		t.Fatalf("first page: %d events, cursor %v", len(first), r.body["next_cursor"])
	}
	ev := first[0].(map[string]any)
	sameKeys(t, "event", ev, "id", "type", "at", "device_label", "user_agent", "ip_hash_prefix", "session_id", "detail")
	if ev["type"] != "login.failed" || ev["session_id"] != nil || len(ev["ip_hash_prefix"].(string)) != 8 {
		t.Fatalf("newest %v", ev)
	}
	r = e.do("GET", "auth/security-log/?cursor="+r.body["next_cursor"].(string), nil, tok).expect(t, 200, "")
	second := r.body["events"].([]any)
	if len(second) != 11 || r.body["next_cursor"] != nil {
		t.Fatalf("second page: %d events, cursor %v", len(second), r.body["next_cursor"])
	}
	last := second[len(second)-1].(map[string]any)
	if last["type"] != "login.succeeded" || last["session_id"] == nil || last["user_agent"] != ua2 {
		t.Fatalf("oldest %v", last)
	}
	for _, bad := range []string{"x", "0", "-1", "99999999999999999999", "1&cursor=2", ""} {
		e.do("GET", "auth/security-log/?cursor="+bad, nil, tok).expectField(t, "cursor",
			"Listing rejected: Backend.Creators.Auth/security-log — the cursor is not one this server gave out; start again without it.")
	}
	e.do("GET", "auth/security-log/", nil, e.rotate(tok)).expect(t, 403, "")
	e.do("GET", "auth/security-log/", nil, "").expect(t, 401, "")
}

// TestSecurityLog_Core_Passkeys: adding and removing a passkey leave
// second_factor.added / .removed (kind passkey); a passwordless sign-in is
// login.succeeded with the method passkey.
func TestSecurityLog_Core_Passkeys(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	a := newSoftAuthn(t, pkOrigin)
	id := e.addPasskey(tok, a, "Laptop")
	if ev := e.eventOf(u.ID, app.EventSecondFactorAdded); ev.Detail["kind"] != "passkey" {
		t.Errorf("added %v", ev.Detail)
	}
	e.passkeySignIn(a).expect(t, 200, "")
	if ev := e.events(u.ID)[0]; ev.Type != app.EventLoginSucceeded || fmt.Sprint(ev.Detail["methods"]) != "[passkey]" {
		t.Errorf("passkey sign-in %+v", ev)
	}
	e.pk("DELETE", "auth/passkeys/"+itoa(id)+"/", nil, tok).expect(t, 204, "")
	e.pk("DELETE", "auth/passkeys/"+itoa(id)+"/", nil, tok).expect(t, 404, "")
	if n := e.countOf(u.ID, app.EventSecondFactorRemoved); n != 1 {
		t.Errorf("%d removed events, want 1 (the 404 invents none)", n)
	}
}
