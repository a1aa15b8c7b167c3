package api_test

import (
	"testing"
	"time"

	"notechondria-auth/api"
)

const msgReauthPasskey = "Re-authentication rejected: Backend.Creators.Auth/reauth — the passkey's answer could not be verified, or its request is unknown, expired or used; start again with {\"channel\": \"passkey\"}."

// A passkey re-proves a session for the step-up endpoints: begin answers
// request options for the account's passkeys (user verification
// required), the answer marks the session fresh.
func TestReauth_Core_Passkey(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	a := newSoftAuthn(t, pkOrigin)
	id := e.addPasskey(tok, a, "laptop")
	path := "auth/passkeys/" + itoa(id) + "/"
	e.clock.Advance(11 * time.Minute)
	e.pk("DELETE", path, nil, tok).expect(t, 403, "")

	begin := e.pk("POST", "auth/reauth/", map[string]any{"channel": "passkey"}, tok).expect(t, 200, "")
	pk := publicKey(t, begin.body)
	if allow, _ := pk["allowCredentials"].([]any); len(allow) != 1 || pk["userVerification"] != "required" {
		t.Fatalf("reauth options: %v", pk)
	}
	e.pk("POST", "auth/reauth/", map[string]any{"channel": "passkey", "challenge_id": begin.body["challenge_id"],
		"credential": a.get(begin.body)}, tok).expect(t, 204, "")
	e.pk("DELETE", path, nil, tok).expect(t, 204, "")
}

// The refusals of a passkey step-up: missing halves, unknown, spent or
// another session's requests, an assertion without user verification or
// from another authenticator, and an account without passkeys; wrong
// answers spend the account's sign-in failure budget.
func TestReauth_Core_PasskeyErrors(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.LoginFailuresPerAccount = api.Rule{Limit: 8, Window: 15 * time.Minute} })
	e.createUser("alice", "alice@example.com", pw2)
	e.createUser("bob", "bob@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	bobTok := e.login("bob", pw2, "User-Agent", ua2)
	a := newSoftAuthn(t, pkOrigin)
	e.addPasskey(tok, a, "laptop")
	other := e.passkeySignIn(a).expect(t, 200, "") // a second session of alice
	otherTok := "Token " + other.body["token"].(string)
	begin := func(tk string) *response {
		return e.pk("POST", "auth/reauth/", map[string]any{"channel": "passkey"}, tk).expect(t, 200, "")
	}
	answer := func(tk string, id any, cred any) *response {
		return e.pk("POST", "auth/reauth/", map[string]any{"channel": "passkey", "challenge_id": id, "credential": cred}, tk)
	}
	for _, c := range []struct {
		name, field, msg string
		run              func() *response
	}{
		{"a credential without its request", "challenge_id", "This field is required.", func() *response {
			return e.pk("POST", "auth/reauth/", map[string]any{"channel": "passkey", "credential": map[string]any{"id": "x"}}, tok)
		}},
		{"a request without the credential", "credential", "This field is required.", func() *response {
			return e.pk("POST", "auth/reauth/", map[string]any{"channel": "passkey", "challenge_id": "ab"}, tok)
		}},
		{"an unknown request", "credential", msgReauthPasskey, func() *response {
			return answer(tok, "ab", a.get(begin(tok).body))
		}},
		{"a spent request", "credential", msgReauthPasskey, func() *response {
			b := begin(tok)
			answer(tok, b.body["challenge_id"], a.get(b.body)).expect(t, 204, "")
			return answer(tok, b.body["challenge_id"], a.get(b.body))
		}},
		{"another session's request", "credential", msgReauthPasskey, func() *response {
			b := begin(otherTok)
			return answer(tok, b.body["challenge_id"], a.get(b.body))
		}},
		{"no user verification", "credential", msgReauthPasskey, func() *response {
			b := begin(tok)
			a.noUV = true
			defer func() { a.noUV = false }()
			return answer(tok, b.body["challenge_id"], a.get(b.body))
		}},
		{"another authenticator", "credential", msgReauthPasskey, func() *response {
			b := begin(tok)
			stranger := newSoftAuthn(t, pkOrigin)
			stranger.handle = a.handle
			return answer(tok, b.body["challenge_id"], stranger.get(b.body))
		}},
		{"an account without passkeys", "channel", "Re-authentication rejected: Backend.Creators.Auth/reauth — this account has no passkey.", func() *response {
			return e.pk("POST", "auth/reauth/", map[string]any{"channel": "passkey"}, bobTok)
		}},
	} {
		t.Run(c.name, func(t *testing.T) { c.run().expectField(t, c.field, c.msg) })
	}
	// Five wrong answers above (one right one, given back): the budget of
	// 8 has room for three more wrong ones, then refuses before checking.
	for i := 0; i < 4; i++ {
		b := begin(tok)
		r := answer(tok, b.body["challenge_id"], newSoftAuthn(t, pkOrigin).get(b.body))
		if i < 3 {
			r.expectField(t, "credential", msgReauthPasskey)
		} else {
			expectThrottled(t, r)
		}
	}
}
