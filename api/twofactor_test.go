package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/app"
)

// Enrolment, the summary, the two-step sign-in with TOTP, and what the new
// session records.
func TestTOTP_Core_EnrolThenSignInTwoStep(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	r := e.do("POST", "auth/2fa/totp/setup/", nil, tok).expect(t, 200, "")
	secret, _ := r.body["secret"].(string)
	if len(secret) != 32 || !strings.HasPrefix(r.body["otpauth_uri"].(string), "otpauth://totp/Notechondria:alice@example.com?") ||
		!strings.HasPrefix(r.body["qr_svg"].(string), "<svg ") || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("setup: %s", r.raw)
	}
	if s := e.do("GET", "auth/2fa/", nil, tok).expect(t, 200, ""); s.body["totp"] != false || s.body["totp_pending"] != true {
		t.Fatalf("summary while pending: %s", s.raw)
	}
	// A pending secret is no second factor yet.
	e.login("alice", pw2)
	wrong := fmt.Sprintf("%06d", (atoi(totpCode(t, secret, e.clock.Now()))+1)%1000000)
	e.do("POST", "auth/2fa/totp/confirm/", map[string]string{"code": wrong}, tok).expectField(t, "code", "")
	e.do("POST", "auth/2fa/totp/confirm/", map[string]string{}, tok).expectField(t, "code", "This field is required.")
	enrolCode := totpCode(t, secret, e.clock.Now())
	r = e.do("POST", "auth/2fa/totp/confirm/", map[string]string{"code": enrolCode}, tok).expect(t, 200, "")
	if codes := r.body["recovery_codes"].([]any); len(codes) != 10 {
		t.Fatalf("recovery codes: %s", r.raw)
	}
	e.do("POST", "auth/2fa/totp/confirm/", map[string]string{"code": enrolCode}, tok).expect(t, 400, "")
	e.do("POST", "auth/2fa/totp/setup/", nil, tok).expect(t, 400, "")
	s := e.do("GET", "auth/2fa/", nil, tok).expect(t, 200, "")
	if s.body["totp"] != true || s.body["recovery_codes_left"] != float64(10) || fmt.Sprint(s.body["channels"]) != "[totp recovery]" {
		t.Fatalf("summary: %s", s.raw)
	}

	// The sign-in is two-step now.
	r = e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": pw2}, "", "User-Agent", ua2).expect(t, 200, "")
	id, _ := r.body["challenge_id"].(string)
	if r.body["pending_2fa"] != true || len(id) != 64 || r.body["token"] != nil || fmt.Sprint(r.body["channels"]) != "[totp recovery]" ||
		r.body["expires_at"] != "2026-04-23T03:42:23.123456+00:00" || len(r.body) != 4 {
		t.Fatalf("pending: %s", r.raw)
	}
	// The enrolment's code is spent: refused inside its own window.
	e.verify(id, "totp", enrolCode).expectField(t, "code", "Sign-in rejected: Backend.Creators.Auth/2fa — the code is not correct, has expired or was already used.")
	e.clock.Advance(30 * time.Second)
	code := totpCode(t, secret, e.clock.Now())
	r = e.verify(id, "totp", code).expect(t, 200, "")
	sess := r.body["session"].(map[string]any)
	if fmt.Sprint(sess["auth_methods"]) != "[password totp]" || sess["authenticated_at"] != "2026-04-23T03:32:53.123456+00:00" || r.body["token"] == nil {
		t.Fatalf("payload: %s", r.raw)
	}
	newTok := "Token " + r.body["token"].(string)
	// The challenge is spent; the same code again is a replay.
	e.verify(id, "totp", code).expectField(t, "challenge_id", "")
	id2, _ := e.pending("alice")
	e.verify(id2, "totp", code).expectField(t, "code", "")
	// The list shows how each session was authenticated.
	l := e.do("GET", "auth/sessions/", nil, newTok).expect(t, 200, "")
	rows := l.body["sessions"].([]any)
	if first := rows[0].(map[string]any); fmt.Sprint(first["auth_methods"]) != "[password totp]" || first["authenticated_at"] == nil {
		t.Fatalf("list: %s", l.raw)
	}
	if p := e.do("GET", "auth/session/", nil, newTok).expect(t, 200, ""); p.body["session"].(map[string]any)["auth_methods"] == nil {
		t.Fatalf("probe: %s", p.raw)
	}
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// One step of clock skew either way is accepted, two are not.
func TestTOTP_Core_SkewEdges(t *testing.T) {
	for _, tc := range []struct {
		name string
		off  time.Duration
		ok   bool
	}{
		{"two steps early", -60 * time.Second, false},
		{"one step early", -30 * time.Second, true},
		{"this step", 0, true},
		{"one step late", 30 * time.Second, true},
		{"two steps late", 60 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			secret, _ := e.userWithTOTP()
			e.clock.Advance(5 * time.Minute)
			id, _ := e.pending("alice")
			r := e.verify(id, "totp", totpCode(t, secret, e.clock.Now().Add(tc.off)))
			if (r.status == 200) != tc.ok {
				t.Fatalf("status %d, want ok %v: %s", r.status, tc.ok, r.raw)
			}
		})
	}
}

// Recovery codes: each works once; a replacement kills the old ones.
func TestRecoveryCodes_Core_SingleUseAndReplaced(t *testing.T) {
	e := newEnv(t)
	_, codes := e.userWithTOTP()
	id, _ := e.pending("alice")
	r := e.verify(id, "recovery", strings.ToUpper(codes[0])).expect(t, 200, "")
	tok := "Token " + r.body["token"].(string)
	if m := r.body["session"].(map[string]any)["auth_methods"]; fmt.Sprint(m) != "[password recovery]" {
		t.Fatalf("methods %v", m)
	}
	id, _ = e.pending("alice")
	e.verify(id, "recovery", codes[0]).expectField(t, "code", "")
	if s := e.do("GET", "auth/2fa/", nil, tok).expect(t, 200, ""); s.body["recovery_codes_left"] != float64(9) {
		t.Fatalf("summary %s", s.raw)
	}
	r = e.do("POST", "auth/2fa/recovery-codes/", nil, tok).expect(t, 200, "")
	fresh := r.body["recovery_codes"].([]any)
	e.verify(id, "recovery", codes[1]).expectField(t, "code", "")
	e.verify(id, "recovery", fresh[0].(string)).expect(t, 200, "")
}

// A challenge lives 10 minutes (exactly 10 still counts), dies after 5
// wrong answers in all, and answers only the client that started it.
func TestChallenge_Security_ExpiryFailuresAndBinding(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.userWithTOTP()
	unknown := "Sign-in rejected: Backend.Creators.Auth/2fa — this sign-in challenge is unknown, expired, already used or ended by too many wrong answers, or it was started on another device; sign in again."

	id, _ := e.pending("alice")
	e.clock.Advance(app.ChallengeLifetime)
	e.verify(id, "totp", totpCode(t, secret, e.clock.Now())).expect(t, 200, "")
	id, _ = e.pending("alice")
	e.clock.Advance(app.ChallengeLifetime + time.Second)
	e.verify(id, "totp", totpCode(t, secret, e.clock.Now())).expectField(t, "challenge_id", unknown)

	id, _ = e.pending("alice")
	for i := 0; i < app.ChallengeMaxFailures; i++ {
		e.verify(id, "totp", "000000").expectField(t, "code", "")
	}
	e.clock.Advance(30 * time.Second)
	e.verify(id, "totp", totpCode(t, secret, e.clock.Now())).expectField(t, "challenge_id", unknown)

	id, _ = e.pending("alice")
	good := totpCode(t, secret, e.clock.Now().Add(30*time.Second))
	e.verify(id, "totp", good, "User-Agent", "curl/8.0").expectField(t, "challenge_id", unknown)
	e.verify(id, "totp", good, "User-Agent", ua2, "X-Forwarded-For", "203.0.113.9").expectField(t, "challenge_id", unknown)
	e.do("POST", "auth/2fa/challenge/", map[string]string{"challenge_id": id, "channel": "email"}, "", "User-Agent", "curl/8.0").
		expectField(t, "challenge_id", unknown)
	e.verify(id, "totp", good).expect(t, 200, "")
	e.verify(strings.Repeat("0", 64), "totp", good).expectField(t, "challenge_id", unknown)
}

// Every error path of the two endpoints, table-driven.
func TestChallenge_Core_ErrorPaths(t *testing.T) {
	e := newEnv(t, noThrottle)
	e.userWithTOTP()
	id, _ := e.pending("alice")
	for _, tc := range []struct {
		name, path string
		body       map[string]string
		field, msg string
	}{
		{"verify: nothing", "auth/2fa/verify/", map[string]string{}, "challenge_id", "This field is required."},
		{"verify: no code", "auth/2fa/verify/", map[string]string{"challenge_id": id, "channel": "totp"}, "code", "This field is required."},
		{"verify: unknown channel", "auth/2fa/verify/", map[string]string{"challenge_id": id, "channel": "sms", "code": "1"}, "channel", `"sms" is not a valid choice.`},
		{"verify: passkey without a credential", "auth/2fa/verify/", map[string]string{"challenge_id": id, "channel": "passkey", "code": "1"}, "credential", "This field is required."},
		{"challenge: passkey not offered", "auth/2fa/challenge/", map[string]string{"challenge_id": id, "channel": "passkey"}, "channel", "Sign-in rejected: Backend.Creators.Auth/2fa — this channel is not offered for this sign-in."},
		{"verify: email not offered", "auth/2fa/verify/", map[string]string{"challenge_id": id, "channel": "email", "code": "123456"}, "channel", ""},
		{"challenge: no channel", "auth/2fa/challenge/", map[string]string{"challenge_id": id}, "channel", "This field is required."},
		{"challenge: email not offered", "auth/2fa/challenge/", map[string]string{"challenge_id": id, "channel": "email"}, "channel", ""},
		{"challenge: device not offered", "auth/2fa/challenge/", map[string]string{"challenge_id": id, "channel": "device"}, "channel", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do("POST", tc.path, tc.body, "", "User-Agent", ua2).expectField(t, tc.field, tc.msg)
		})
	}
}

// "Confirm new sign-ins": the email channel end to end.
func TestChallenge_Core_EmailChannel(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2)
	r := e.do("PATCH", "auth/2fa/", map[string]any{"confirm_new_sign_ins": true}, tok).expect(t, 200, "")
	if r.body["confirm_new_sign_ins"] != true || fmt.Sprint(r.body["channels"]) != "[device email]" {
		t.Fatalf("patch: %s", r.raw)
	}
	e.do("PATCH", "auth/2fa/", map[string]any{"confirm_new_sign_ins": "maybe"}, tok).expectField(t, "confirm_new_sign_ins", "Must be a valid boolean.")
	id, ch := e.pending("alice@example.com")
	if fmt.Sprint(ch) != "[device email]" { // tok is a live session to approve from
		t.Fatalf("channels %v", ch)
	}
	r = e.do("POST", "auth/2fa/challenge/", map[string]string{"challenge_id": id, "channel": "email"}, "", "User-Agent", ua2).expect(t, 200, "")
	if string(r.raw) != `{"channel":"email","sent_to":"a***@example.com"}` {
		t.Fatalf("challenge: %s", r.raw)
	}
	code := e.lastCode("alice@example.com")
	e.verify(id, "email", fmt.Sprintf("%06d", (atoi(code)+1)%1000000)).expectField(t, "code", "")
	r = e.verify(id, "email", code).expect(t, 200, "")
	if m := r.body["session"].(map[string]any)["auth_methods"]; fmt.Sprint(m) != "[password email]" {
		t.Fatalf("methods %v", m)
	}
	// Off again: the login is one step, and byte-for-byte the old shape.
	e.do("PATCH", "auth/2fa/", map[string]any{"confirm_new_sign_ins": false}, tok).expect(t, 200, "")
	r = e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": pw2}, "").expect(t, 200, "")
	if _, ok := r.body["session"].(map[string]any)["auth_methods"]; ok || r.body["token"] == nil {
		t.Fatalf("login after turning it off: %s", r.raw)
	}
}

// Accounts without a second factor keep 0.1.65's shapes: no auth fields on
// the payload, the probe or the session list.
func TestLogin_Core_NoSecondFactorShapesUnchanged(t *testing.T) {
	e := newEnv(t)
	e.createUser("bob", "bob@example.com", pw2)
	r := e.do("POST", "auth/login/", map[string]string{"identifier": "bob", "password": pw2}, "").expect(t, 200, "")
	if len(r.body["session"].(map[string]any)) != 4 || len(r.body) != 5 {
		t.Fatalf("payload: %s", r.raw)
	}
	tok := "Token " + r.body["token"].(string)
	if l := e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, ""); strings.Contains(string(l.raw), "auth_methods") {
		t.Fatalf("list: %s", l.raw)
	}
	if p := e.do("GET", "auth/session/", nil, tok).expect(t, 200, ""); strings.Contains(string(p.raw), "auth_methods") {
		t.Fatalf("probe: %s", p.raw)
	}
}

// --require-second-factor: an account with nothing set up gets the email
// step; its session objects show how they were authenticated.
func TestLogin_Core_RequireSecondFactor(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.RequireSecondFactor = true })
	e.createUser("alice", "alice@example.com", pw2)
	id, ch := e.pending("alice")
	if fmt.Sprint(ch) != "[email]" {
		t.Fatalf("channels %v", ch)
	}
	e.do("POST", "auth/2fa/challenge/", map[string]string{"challenge_id": id, "channel": "email"}, "", "User-Agent", ua2).expect(t, 200, "")
	r := e.verify(id, "email", e.lastCode("alice@example.com")).expect(t, 200, "")
	tok := "Token " + r.body["token"].(string)
	if s := e.do("GET", "auth/2fa/", nil, tok).expect(t, 200, ""); s.body["required"] != true {
		t.Fatalf("summary: %s", s.raw)
	}
	// With TOTP on, email is no longer offered; tok can approve.
	secret, _ := e.enrolTOTP(tok)
	e.clock.Advance(time.Minute)
	id, ch = e.pending("alice")
	if fmt.Sprint(ch) != "[totp device recovery]" {
		t.Fatalf("channels with TOTP %v", ch)
	}
	e.verify(id, "totp", totpCode(t, secret, e.clock.Now())).expect(t, 200, "")
}

// Step-up: the sign-in itself is fresh for the window; then each step-up
// endpoint answers 403 reauth_required until POST auth/reauth/.
func TestReauth_Core_StepUpEndpoints(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.userWithTOTP()
	id, _ := e.pending("alice")
	r := e.verify(id, "totp", totpCode(t, secret, e.clock.Now())).expect(t, 200, "")
	tok := "Token " + r.body["token"].(string)
	key := e.rotate(tok)
	e.clock.Advance(10*time.Minute + time.Second)
	msg := "Step-up required: Backend.Creators.Auth/reauth — confirm your password or a second factor with POST auth/reauth/ first; this change needs a recent sign-in."
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"PATCH", "auth/2fa/", map[string]any{"confirm_new_sign_ins": true}},
		{"POST", "auth/2fa/totp/setup/", nil},
		{"DELETE", "auth/2fa/totp/", nil},
		{"POST", "auth/2fa/recovery-codes/", nil},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.body, tok).expect(t, 403, msg)
			if r.body["reauth_required"] != true {
				t.Fatalf("body %s", r.raw)
			}
			if r := e.do(tc.method, tc.path, tc.body, key).expect(t, 403, ""); r.body["reauth_required"] != nil {
				t.Fatalf("API key: %s", r.raw)
			}
		})
	}
	e.do("POST", "auth/reauth/", map[string]string{"password": "Wrong1pw"}, tok).expectField(t, "password", "Re-authentication rejected: Backend.Creators.Auth/reauth — the password is not correct.")
	e.do("POST", "auth/reauth/", map[string]string{}, tok).expect(t, 400, "")
	e.do("POST", "auth/reauth/", map[string]string{"channel": "totp"}, tok).expectField(t, "code", "This field is required.")
	e.do("POST", "auth/reauth/", map[string]string{"password": pw2}, key).expect(t, 403, "")
	// A TOTP code already used for the sign-in is a replay here too.
	e.do("POST", "auth/reauth/", map[string]string{"channel": "totp", "code": totpCode(t, secret, e.clock.Now().Add(-10*time.Minute-time.Second))}, tok).expectField(t, "code", "")
	e.do("POST", "auth/reauth/", map[string]string{"channel": "totp", "code": totpCode(t, secret, e.clock.Now())}, tok).expect(t, 204, "")
	e.do("POST", "auth/2fa/recovery-codes/", nil, tok).expect(t, 200, "")
	e.clock.Advance(11 * time.Minute)
	e.do("POST", "auth/reauth/", map[string]string{"password": pw2}, tok).expect(t, 204, "")
	e.do("DELETE", "auth/2fa/totp/", nil, tok).expect(t, 204, "")
	// TOTP off: the sign-in is one step again.
	e.login("alice", pw2)
}

// Guessing across fresh challenges is bounded by the account's failure
// budget (10 per 15 minutes by default), also in a concurrent burst.
func TestChallenge_Security_BurstBoundedByAccountBudget(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.userWithTOTP()
	var ids []string
	for i := 0; i < 8; i++ {
		id, _ := e.pending("alice")
		ids = append(ids, id)
	}
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			st, raw := e.postRawUA("auth/2fa/verify/", map[string]string{"challenge_id": id, "channel": "totp", "code": "000000"})
			mu.Lock()
			counts[st]++
			if st == 400 && !strings.Contains(string(raw), `"code"`) {
				counts[-1]++
			}
			mu.Unlock()
		}(ids[i%len(ids)])
	}
	wg.Wait()
	if counts[400] != 10 || counts[429] != 30 || counts[-1] != 0 {
		t.Fatalf("statuses %v: want exactly 10 wrong answers checked, 30 throttled", counts)
	}
	// The budget is the account's: a right code waits too, and so does a
	// new challenge; 15 minutes later both work again.
	e.verify(ids[7], "totp", totpCode(t, secret, e.clock.Now())).expect(t, 429, "")
	e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": pw2}, "", "User-Agent", ua2).expect(t, 429, "")
	e.clock.Advance(15 * time.Minute)
	id, _ := e.pending("alice")
	e.verify(id, "totp", totpCode(t, secret, e.clock.Now())).expect(t, 200, "")
}

// The same right answer sent twice at once signs in once: the challenge
// and the TOTP step are spent in one transaction.
func TestChallenge_Security_ConcurrentRightAnswersSignInOnce(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.userWithTOTP()
	id, _ := e.pending("alice")
	code := totpCode(t, secret, e.clock.Now())
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			statuses[i], _ = e.postRawUA("auth/2fa/verify/", map[string]string{"challenge_id": id, "channel": "totp", "code": code})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, st := range statuses {
		if st == 200 {
			ok++
		} else if st != 400 {
			t.Fatalf("statuses %v", statuses)
		}
	}
	if ok != 1 {
		t.Fatalf("statuses %v: want exactly one sign-in", statuses)
	}
}

// The new answers fit the OpenAPI schemas (the e2e flow checks every one
// against the binary with ajv; this is the in-process check).
func TestOpenAPI_Core_SecondFactorAnswersFitTheSchemas(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	e := newEnv(t)
	secret, _ := e.userWithTOTP()
	const login, verify = "/api/v1/auth/login/", "/api/v1/auth/2fa/verify/"
	r := e.docCheck(doc, "POST", login, e.do("POST", login, loginBody("alice", pw2), "", "User-Agent", ua2)).expect(t, 200, "")
	id := r.body["challenge_id"].(string)
	e.docCheck(doc, "POST", verify, e.verify(id, "totp", "000000")).expect(t, 400, "")
	r = e.docCheck(doc, "POST", verify, e.verify(id, "totp", totpCode(t, secret, e.clock.Now()))).expect(t, 200, "")
	tok := "Token " + r.body["token"].(string)
	e.docCheck(doc, "GET", "/api/v1/auth/sessions/", e.do("GET", "auth/sessions/", nil, tok)).expect(t, 200, "")
	e.docCheck(doc, "GET", "/api/v1/auth/session/", e.do("GET", "auth/session/", nil, tok)).expect(t, 200, "")
	e.docCheck(doc, "GET", "/api/v1/auth/2fa/", e.do("GET", "auth/2fa/", nil, tok)).expect(t, 200, "")
	e.clock.Advance(11 * time.Minute)
	e.docCheck(doc, "POST", "/api/v1/auth/2fa/recovery-codes/", e.do("POST", "auth/2fa/recovery-codes/", nil, tok)).expect(t, 403, "")
}

// OAuth sign-in skips the second step (CONTRACT 5: "password login only");
// the session says how it was authenticated.
func TestOAuthLogin_Core_SkipsTheSecondStep(t *testing.T) {
	e := newOAuthEnv(t)
	e.userWithTOTP()
	e.github.codeFor("gh-alice", ghUser{user: ghProfile(77, "alice-gh", "Alice", ""), emails: ghEmails("alice@example.com", true)})
	r := e.do("POST", "auth/github/", map[string]any{"code": "gh-alice"}, "").expect(t, 200, "")
	if r.body["token"] == nil || fmt.Sprint(r.body["session"].(map[string]any)["auth_methods"]) != "[oauth]" {
		t.Fatalf("OAuth sign-in: %s", r.raw)
	}
}

// A password change between the two steps refuses the second: the session
// would have been minted with the old password.
func TestChallenge_Security_PasswordChangedBetweenSteps(t *testing.T) {
	e := newEnv(t)
	secret, _ := e.userWithTOTP()
	id, _ := e.pending("alice")
	u, err := e.store.UserByUsername(bg, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.SetPassword(bg, u.ID, "$argon2id$changed", true, 0, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r := e.verify(id, "totp", totpCode(t, secret, e.clock.Now())).expect(t, 400, "")
	if r.nonField() != "Sign-in rejected: Backend.Creators.Auth/login — email/username and password do not match any active account." {
		t.Fatalf("body %s", r.raw)
	}
}
