package api_test

import (
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/app"
)

// The passkey tests: a software authenticator (softauthn_test.go) over
// real HTTP, the relying party "localhost" as `make run` has it.

const pkOrigin = "http://localhost:8080"

// pk sends a request as the page at pkOrigin would.
func (e *env) pk(method, path string, body any, tok string) *response {
	e.t.Helper()
	return e.do(method, path, body, tok, "User-Agent", ua2, "Origin", pkOrigin)
}

// addPasskey registers a with the session tok and returns the new
// passkey's id.
func (e *env) addPasskey(tok string, a *softAuthn, name string) int64 {
	e.t.Helper()
	begin := e.pk("POST", "auth/passkeys/register/begin/", map[string]any{}, tok).expect(e.t, 200, "")
	r := e.pk("POST", "auth/passkeys/register/finish/", map[string]any{"challenge_id": begin.body["challenge_id"],
		"name": name, "credential": a.create(begin.body)}, tok).expect(e.t, 201, "")
	return int64(r.body["id"].(float64))
}

// passkeySignIn runs a passwordless sign-in with a and returns the finish
// answer.
func (e *env) passkeySignIn(a *softAuthn) *response {
	e.t.Helper()
	begin := e.pk("POST", "auth/passkeys/login/begin/", map[string]any{}, "").expect(e.t, 200, "")
	return e.pk("POST", "auth/passkeys/login/finish/", map[string]any{"challenge_id": begin.body["challenge_id"],
		"credential": a.get(begin.body)}, "")
}

func authMethods(r *response) string {
	sess, _ := r.body["session"].(map[string]any)
	var out []string
	if m, ok := sess["auth_methods"].([]any); ok {
		for _, v := range m {
			out = append(out, v.(string))
		}
	}
	return strings.Join(out, ",")
}

// End to end: add a passkey, sign in with it and no password, and use it
// as the second step of a password sign-in; remove it and the account is
// back to one step.
func TestPasskey_Core_RegisterSignInAndSecondStep(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	a := newSoftAuthn(t, pkOrigin)

	begin := e.pk("POST", "auth/passkeys/register/begin/", map[string]any{"name": "ignored"}, tok).expect(t, 200, "")
	pk := publicKey(t, begin.body)
	sel, _ := pk["authenticatorSelection"].(map[string]any)
	if sel["residentKey"] != "required" || sel["userVerification"] != "required" || pk["attestation"] != "none" {
		t.Fatalf("creation options: %v", pk)
	}
	if rp := pk["rp"].(map[string]any); rp["id"] != "localhost" {
		t.Fatalf("rp: %v", rp)
	}
	fin := e.pk("POST", "auth/passkeys/register/finish/", map[string]any{"challenge_id": begin.body["challenge_id"],
		"name": "  My laptop ", "credential": a.create(begin.body)}, tok).expect(t, 201, "")
	if fin.body["name"] != "My laptop" || fin.body["last_used_at"] != nil || fin.body["created_at"] == nil {
		t.Fatalf("finish: %s", fin.raw)
	}
	list := e.pk("GET", "auth/passkeys/", nil, tok).expect(t, 200, "")
	if !strings.Contains(string(list.raw), `"name":"My laptop"`) || strings.Count(string(list.raw), `"id"`) != 1 {
		t.Fatalf("list: %s", list.raw)
	}
	sum := e.pk("GET", "auth/2fa/", nil, tok).expect(t, 200, "")
	if sum.body["passkeys"] != float64(1) {
		t.Fatalf("summary: %s", sum.raw)
	}
	// A second registration excludes the first credential.
	again := e.pk("POST", "auth/passkeys/register/begin/", map[string]any{}, tok).expect(t, 200, "")
	if ex, _ := publicKey(t, again.body)["excludeCredentials"].([]any); len(ex) != 1 {
		t.Fatalf("excludeCredentials: %v", publicKey(t, again.body))
	}

	// Passwordless: the passkey alone signs in, and the session says so.
	in := e.passkeySignIn(a).expect(t, 200, "")
	if in.body["token"] == nil || authMethods(in) != "passkey" {
		t.Fatalf("passkey sign-in: %s", in.raw)
	}
	e.do("GET", "auth/session/", nil, "Token "+in.body["token"].(string)).expect(t, 200, "")
	list = e.pk("GET", "auth/passkeys/", nil, tok)
	if strings.Contains(string(list.raw), `"last_used_at":null`) {
		t.Fatalf("last_used_at not set: %s", list.raw)
	}

	// A password sign-in is now two-step, with the passkey as its channel.
	id, channels := e.pending("alice")
	if strings.Join(channels, ",") != "passkey" {
		t.Fatalf("channels %v", channels)
	}
	e.pk("POST", "auth/2fa/verify/", map[string]any{"challenge_id": id, "channel": "passkey",
		"credential": a.get(begin.body)}, "").expectField(t, "credential", "") // not started: a wrong answer
	st := e.pk("POST", "auth/2fa/challenge/", map[string]any{"challenge_id": id, "channel": "passkey"}, "").expect(t, 200, "")
	if st.body["channel"] != "passkey" {
		t.Fatalf("challenge: %s", st.raw)
	}
	if allow, _ := publicKey(t, st.body)["allowCredentials"].([]any); len(allow) != 1 {
		t.Fatalf("allowCredentials: %v", publicKey(t, st.body))
	}
	done := e.pk("POST", "auth/2fa/verify/", map[string]any{"challenge_id": id, "channel": "passkey",
		"credential": a.get(st.body)}, "").expect(t, 200, "")
	if authMethods(done) != "password,passkey" {
		t.Fatalf("two-step with a passkey: %s", done.raw)
	}

	// Removing it (step-up) ends both.
	e.pk("DELETE", "auth/passkeys/"+itoa(int64(fin.body["id"].(float64)))+"/", nil, tok).expect(t, 204, "")
	e.passkeySignIn(a).expectField(t, "credential", "")
	r := e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": pw2}, "", "User-Agent", ua2).expect(t, 200, "")
	if r.body["token"] == nil {
		t.Fatalf("password sign-in after removing the passkey: %s", r.raw)
	}
}

// Relying-party configuration: configured origins are the only ones; an
// assertion made for another origin or relying party id is refused.
func TestPasskey_Core_OriginsAndRelyingParty(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.WebAuthnRPID, c.WebAuthnOrigins = "localhost", []string{"https://app.localhost"}
	})
	e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	a := newSoftAuthn(t, pkOrigin) // the localhost page: not configured
	begin := e.pk("POST", "auth/passkeys/register/begin/", map[string]any{}, tok).expect(t, 200, "")
	e.pk("POST", "auth/passkeys/register/finish/", map[string]any{"challenge_id": begin.body["challenge_id"],
		"credential": a.create(begin.body)}, tok).expectField(t, "credential", "Passkey rejected: Backend.Creators.Auth/passkeys — the authenticator's answer could not be verified for this server.")
	a.origin = "https://app.localhost"
	e.addPasskey(tok, a, "ok")
	a.rpID = "evil.example"
	e.passkeySignIn(a).expectField(t, "credential", "")
	a.rpID = "localhost"
	e.passkeySignIn(a).expect(t, 200, "")
}

// The error paths of registration, each on its own fresh ceremony.
func TestPasskey_Core_RegisterErrors(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	e.createUser("bob", "bob@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	bobTok := e.login("bob", pw2, "User-Agent", ua2)
	begin := func() *response {
		return e.pk("POST", "auth/passkeys/register/begin/", map[string]any{}, tok).expect(t, 200, "")
	}
	finish := func(b *response, cred any, tokn string, hdr ...string) *response {
		body := map[string]any{"challenge_id": b.body["challenge_id"], "credential": cred}
		if len(hdr) == 0 {
			hdr = []string{"User-Agent", ua2, "Origin", pkOrigin}
		}
		return e.do("POST", "auth/passkeys/register/finish/", body, tokn, hdr...)
	}
	const unknown = "Passkey rejected: Backend.Creators.Auth/passkeys — this passkey request is unknown, expired or already used, or it was started on another device; start again."
	const rejected = "Passkey rejected: Backend.Creators.Auth/passkeys — the authenticator's answer could not be verified for this server."
	cases := []struct {
		name         string
		run          func() *response
		field, msg   string
		status       int
		reauthNeeded bool
	}{
		{"nothing", func() *response {
			return e.pk("POST", "auth/passkeys/register/finish/", map[string]any{}, tok)
		}, "credential", "This field is required.", 400, false},
		{"credential not an object", func() *response {
			return finish(begin(), "abc", tok)
		}, "credential", "Must be a JSON object.", 400, false},
		{"name too long", func() *response {
			return e.pk("POST", "auth/passkeys/register/begin/", map[string]any{"name": strings.Repeat("n", 65)}, tok)
		}, "name", "Ensure this field has no more than 64 characters.", 400, false},
		{"unknown ceremony", func() *response {
			return finish(&response{body: map[string]any{"challenge_id": "00"}}, newSoftAuthn(t, pkOrigin).create(begin().body), tok)
		}, "challenge_id", unknown, 400, false},
		{"spent ceremony", func() *response {
			b := begin()
			finish(b, map[string]any{"id": "x"}, tok).expect(t, 400, "")
			return finish(b, newSoftAuthn(t, pkOrigin).create(b.body), tok)
		}, "challenge_id", unknown, 400, false},
		{"another client", func() *response {
			b := begin()
			return finish(b, newSoftAuthn(t, pkOrigin).create(b.body), tok, "User-Agent", "curl/8", "Origin", pkOrigin)
		}, "challenge_id", unknown, 400, false},
		{"another account's ceremony", func() *response {
			b := begin()
			return finish(b, newSoftAuthn(t, pkOrigin).create(b.body), bobTok)
		}, "challenge_id", unknown, 400, false},
		{"expired ceremony", func() *response {
			b := begin()
			e.clock.Advance(5*time.Minute + time.Second)
			defer func() { tok = e.login("alice", pw2, "User-Agent", ua2) }()
			return finish(b, newSoftAuthn(t, pkOrigin).create(b.body), tok)
		}, "challenge_id", unknown, 400, false},
		{"another challenge", func() *response {
			b, other := begin(), begin()
			return finish(b, newSoftAuthn(t, pkOrigin).create(other.body), tok)
		}, "credential", rejected, 400, false},
		{"another origin", func() *response {
			b := begin()
			return finish(b, newSoftAuthn(t, "http://evil.localhost:8080").create(b.body), tok)
		}, "credential", rejected, 400, false},
		{"no user verification", func() *response {
			b := begin()
			a := newSoftAuthn(t, pkOrigin)
			a.noUV = true
			return finish(b, a.create(b.body), tok)
		}, "credential", rejected, 400, false},
		{"garbage attestation", func() *response {
			b := begin()
			c := newSoftAuthn(t, pkOrigin).create(b.body)
			c["response"].(map[string]any)["attestationObject"] = "AAAA"
			return finish(b, c, tok)
		}, "credential", rejected, 400, false},
		{"without a fresh sign-in", func() *response {
			e.clock.Advance(11 * time.Minute)
			defer func() { tok = e.login("alice", pw2, "User-Agent", ua2) }()
			return e.pk("POST", "auth/passkeys/register/begin/", map[string]any{}, tok)
		}, "", "", 403, true},
		{"with an API key", func() *response {
			k := e.rotate(tok)
			return e.pk("POST", "auth/passkeys/register/begin/", map[string]any{}, k)
		}, "", "", 403, false},
		{"anonymous", func() *response {
			return e.pk("GET", "auth/passkeys/", nil, "")
		}, "", "", 401, false},
		// Last: alice has a passkey afterwards, so her password sign-ins are two-step.
		{"registered to another account", func() *response {
			a := newSoftAuthn(t, pkOrigin)
			b := begin()
			finish(b, a.create(b.body), tok).expect(t, 201, "")
			bobTok = e.login("bob", pw2, "User-Agent", ua2)
			bb := e.pk("POST", "auth/passkeys/register/begin/", map[string]any{}, bobTok).expect(t, 200, "")
			return finish(bb, a.create(bb.body), bobTok)
		}, "credential", "Passkey rejected: Backend.Creators.Auth/passkeys — this passkey is registered already.", 400, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.run()
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.raw)
			}
			if c.field != "" {
				r.expectField(t, c.field, c.msg)
			}
			if c.reauthNeeded && r.body["reauth_required"] != true {
				t.Fatalf("no reauth_required: %s", r.raw)
			}
		})
	}
}

// The error paths of passwordless sign-in and of the passkey step; every
// refused answer leaves no session behind.
func TestPasskey_Core_SignInErrors(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	a := newSoftAuthn(t, pkOrigin)
	e.addPasskey(tok, a, "laptop")
	const unknown = "Passkey rejected: Backend.Creators.Auth/passkeys — this passkey request is unknown, expired or already used, or it was started on another device; start again."
	const rejected = "Passkey rejected: Backend.Creators.Auth/passkeys — the authenticator's answer could not be verified for this server."
	begin := func() *response {
		return e.pk("POST", "auth/passkeys/login/begin/", map[string]any{}, "").expect(t, 200, "")
	}
	finish := func(b *response, cred any, hdr ...string) *response {
		if len(hdr) == 0 {
			hdr = []string{"User-Agent", ua2, "Origin", pkOrigin}
		}
		return e.do("POST", "auth/passkeys/login/finish/", map[string]any{"challenge_id": b.body["challenge_id"], "credential": cred}, "", hdr...)
	}
	cases := []struct {
		name, field, msg string
		run              func() *response
	}{
		{"nothing", "challenge_id", "This field is required.", func() *response {
			return e.pk("POST", "auth/passkeys/login/finish/", map[string]any{}, "")
		}},
		{"unknown ceremony", "challenge_id", unknown, func() *response {
			return finish(&response{body: map[string]any{"challenge_id": "ff"}}, a.get(begin().body))
		}},
		{"replayed", "challenge_id", unknown, func() *response {
			b := begin()
			finish(b, a.get(b.body)).expect(t, 200, "")
			return finish(b, a.get(b.body))
		}},
		{"another client", "challenge_id", unknown, func() *response {
			b := begin()
			return finish(b, a.get(b.body), "User-Agent", "curl/8", "Origin", pkOrigin)
		}},
		{"expired", "challenge_id", unknown, func() *response {
			b := begin()
			e.clock.Advance(app.CeremonyLifetime + time.Second)
			return finish(b, a.get(b.body))
		}},
		{"another challenge", "credential", rejected, func() *response {
			b, other := begin(), begin()
			return finish(b, a.get(other.body))
		}},
		{"unknown passkey", "credential", rejected, func() *response {
			b := begin()
			stranger := newSoftAuthn(t, pkOrigin)
			stranger.handle = a.handle
			return finish(b, stranger.get(b.body))
		}},
		{"unknown user handle", "credential", rejected, func() *response {
			b := begin()
			c := a.get(b.body)
			c["response"].(map[string]any)["userHandle"] = b64.EncodeToString([]byte("nobody"))
			return finish(b, c)
		}},
		{"bad signature", "credential", rejected, func() *response {
			b := begin()
			c := a.get(b.body)
			sig, _ := b64.DecodeString(c["response"].(map[string]any)["signature"].(string))
			sig[len(sig)-1] ^= 1
			c["response"].(map[string]any)["signature"] = b64.EncodeToString(sig)
			return finish(b, c)
		}},
		{"no user verification", "credential", rejected, func() *response {
			b := begin()
			a.noUV = true
			defer func() { a.noUV = false }()
			return finish(b, a.get(b.body))
		}},
		{"not an object", "credential", "Must be a JSON object.", func() *response {
			return finish(begin(), []string{"x"})
		}},
		{"counter went backwards", "credential", "Passkey rejected: Backend.Creators.Auth/passkeys — the authenticator's signature counter went backwards (a cloned authenticator?); sign in another way and remove this passkey.", func() *response {
			a.counter = 7
			b := begin()
			finish(b, a.get(b.body)).expect(t, 200, "")
			a.counter = 3
			defer func() { a.counter = 8 }()
			b = begin()
			return finish(b, a.get(b.body))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.count(`SELECT count(*) FROM sessions`)
			r := c.run()
			r.expectField(t, c.field, c.msg)
			if strings.Contains(string(r.raw), "token") {
				t.Fatalf("a token in a refusal: %s", r.raw)
			}
			if c.name != "replayed" && c.name != "counter went backwards" {
				if after := e.count(`SELECT count(*) FROM sessions`); after != before {
					t.Fatalf("sessions %d -> %d", before, after)
				}
			}
		})
	}
	// The account being switched off ends passkey sign-in too.
	if _, err := e.store.SetActive(bg, e.userByEmail("alice@example.com").ID, false, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.passkeySignIn(a).expectField(t, "non_field_errors", "")
}

// The passkey step of a two-step sign-in: refused answers count against
// the challenge (five end it) and the right one after that is too late.
func TestPasskey_Core_SecondStepWrongAnswersEndTheChallenge(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	a := newSoftAuthn(t, pkOrigin)
	e.addPasskey(tok, a, "laptop")
	id, _ := e.pending("alice")
	start := func() *response {
		return e.pk("POST", "auth/2fa/challenge/", map[string]any{"challenge_id": id, "channel": "passkey"}, "")
	}
	stranger := newSoftAuthn(t, pkOrigin)
	stranger.handle = a.handle
	for i := 0; i < app.ChallengeMaxFailures; i++ {
		st := start().expect(t, 200, "")
		e.pk("POST", "auth/2fa/verify/", map[string]any{"challenge_id": id, "channel": "passkey",
			"credential": stranger.get(st.body)}, "").expectField(t, "credential",
			"Sign-in rejected: Backend.Creators.Auth/2fa — the passkey's answer could not be verified, or the passkey step was not started (POST auth/2fa/challenge/ first); start it again.")
	}
	start().expectField(t, "challenge_id", "")
}

// Removing a passkey: only the owner's, only with a fresh sign-in.
func TestPasskey_Core_DeleteErrors(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	e.createUser("bob", "bob@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	bobTok := e.login("bob", pw2, "User-Agent", ua2)
	id := e.addPasskey(tok, newSoftAuthn(t, pkOrigin), "laptop")
	path := "auth/passkeys/" + itoa(id) + "/"
	e.pk("DELETE", path, nil, bobTok).expect(t, 404, "Passkey not found.")
	e.pk("DELETE", "auth/passkeys/abc/", nil, tok).expect(t, 404, "Not found.")
	e.pk("DELETE", "auth/passkeys/99999999999999999999/", nil, tok).expect(t, 404, "Passkey not found.")
	e.clock.Advance(11 * time.Minute)
	if r := e.pk("DELETE", path, nil, tok).expect(t, 403, ""); r.body["reauth_required"] != true {
		t.Fatalf("no reauth_required: %s", r.raw)
	}
	e.pk("POST", "auth/reauth/", map[string]string{"password": pw2}, tok).expect(t, 204, "")
	e.pk("DELETE", path, nil, tok).expect(t, 204, "")
	e.pk("DELETE", path, nil, tok).expect(t, 404, "Passkey not found.")
}
