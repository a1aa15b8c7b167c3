package api_test

// Throttling (CONTRACT 3.14 and 6.6: the original had none). Every test
// here fails against the original, which answered the request that should
// be throttled normally.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
)

// expectThrottled asserts DRF's 429: the detail names the same number of
// seconds as Retry-After. It returns that number.
func expectThrottled(t *testing.T, r *response) int {
	t.Helper()
	if r.status != 429 {
		t.Fatalf("status %d, want 429; body %s", r.status, r.raw)
	}
	n, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || n <= 0 {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if want := fmt.Sprintf("Request was throttled. Expected available in %d seconds.", n); r.body["detail"] != want || len(r.body) != 1 {
		t.Fatalf("429 body %s, want detail %q", r.raw, want)
	}
	return n
}

func loginBody(ident, pw string) map[string]string {
	return map[string]string{"identifier": ident, "password": pw}
}

func TestSecurity_LoginFailuresPerAccountThrottled(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerAccount = api.Rule{Limit: 3, Window: 15 * time.Minute}
	})
	e.createUser("alice", "alice@example.com", "Strong1pw")
	e.createUser("bob", "bob@example.com", "Strong1pw")
	// One budget per account, whichever identifier names it.
	for i, ident := range []string{"Alice", "alice@example.com", "ALICE@EXAMPLE.COM"} {
		e.do("POST", "auth/login/", loginBody(ident, "wrong-"+itoa(int64(i))), "").expect(t, 400, "")
	}
	// Over the budget, even the right password is refused until the window
	// lets one more try in.
	n := expectThrottled(t, e.do("POST", "auth/login/", loginBody("alice", "Strong1pw"), ""))
	if n != 300 { // one event per window/limit = 5 min
		t.Fatalf("retry after %d s", n)
	}
	// Another account is not affected.
	e.login("bob", "Strong1pw")
	e.clock.Advance(time.Duration(n) * time.Second)
	e.login("alice", "Strong1pw")
}

func TestSecurity_LoginFailuresPerIPThrottled(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerIP = api.Rule{Limit: 3, Window: 15 * time.Minute}
	})
	e.createUser("carol", "carol@example.com", "Strong1pw")
	// The test client is 127.0.0.1, a trusted proxy by default, so its
	// X-Forwarded-For names the client.
	for i := 0; i < 3; i++ {
		e.do("POST", "auth/login/", loginBody("ghost"+itoa(int64(i)), "Strong1pw"), "", "X-Forwarded-For", "203.0.113.7").expect(t, 400, "")
	}
	// The header is read from the right: a client-sent prefix cannot
	// forge another address, and trusted hops (127.0.0.1) are skipped.
	expectThrottled(t, e.do("POST", "auth/login/", loginBody("carol", "Strong1pw"), "", "X-Forwarded-For", "198.51.100.9, 203.0.113.7, 127.0.0.1"))
	e.login("carol", "Strong1pw", "X-Forwarded-For", "203.0.113.8")
}

// X-Forwarded-For from a peer outside --trusted-proxies is ignored, so a
// client cannot dodge the per-IP budget by inventing addresses.
func TestSecurity_ForwardedForOnlyFromTrustedProxies(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerIP = api.Rule{Limit: 3, Window: 15 * time.Minute}
		c.TrustedProxies = nil
	})
	e.createUser("dan", "dan@example.com", "Strong1pw")
	for i := 0; i < 3; i++ {
		ip := fmt.Sprintf("198.51.100.%d", i+1)
		e.do("POST", "auth/login/", loginBody("ghost", "x"), "", "X-Forwarded-For", ip).expect(t, 400, "")
	}
	expectThrottled(t, e.do("POST", "auth/login/", loginBody("dan", "Strong1pw"), "", "X-Forwarded-For", "198.51.100.99"))
}

// Successful requests never count against a failure budget.
func TestSecurity_SuccessesDoNotCountAgainstFailureBudget(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerAccount = api.Rule{Limit: 3, Window: time.Hour}
		c.LoginFailuresPerIP = api.Rule{Limit: 3, Window: time.Hour}
	})
	e.createUser("erin", "erin@example.com", "Strong1pw")
	for i := 0; i < 20; i++ {
		e.login("erin", "Strong1pw")
	}
	e.do("POST", "auth/login/", loginBody("erin", "nope"), "").expect(t, 400, "")
	e.do("POST", "auth/login/", loginBody("erin", "nope"), "").expect(t, 400, "")
	tok := e.login("erin@example.com", "Strong1pw")
	// A successful password change does not count either (it shares the
	// account's failure budget).
	for i := 0; i < 3; i++ {
		next := fmt.Sprintf("Strong%dpw!", i+2)
		code := e.identityCode(tok, "erin@example.com")
		r := e.do("POST", "auth/change-password/", map[string]string{"current_password": map[bool]string{true: "Strong1pw", false: fmt.Sprintf("Strong%dpw!", i+1)}[i == 0],
			"new_password": next, "identity_code": code}, tok).expect(t, 200, "")
		tok = "Token " + r.body["token"].(string)
		e.clock.Advance(time.Minute)
	}
}

// A code dies after CodeMaxAttempts (5) wrong tries, even when the next
// guess is right: a table over every code-consuming flow.
func TestSecurity_CodeDiesAfterFiveWrongTries(t *testing.T) {
	wrong := func(code string) string {
		v, _ := strconv.Atoi(code)
		return fmt.Sprintf("%06d", (v+1)%1000000)
	}
	cases := []struct {
		name string
		// setup returns the auth header (or "") and a function that posts
		// a guess and returns the response.
		setup func(t *testing.T, e *env) (right string, try func(code string) *response)
	}{
		{"verify-email", func(t *testing.T, e *env) (string, func(string) *response) {
			e.registerOK("frank", "frank@example.com", "Strong1pw")
			return e.lastCode("frank@example.com"), func(c string) *response {
				return e.do("POST", "auth/verify-email/", map[string]string{"email": "frank@example.com", "code": c}, "")
			}
		}},
		{"password-reset confirm", func(t *testing.T, e *env) (string, func(string) *response) {
			e.createUser("gina", "gina@example.com", "Strong1pw")
			e.do("POST", "auth/password-reset/", map[string]string{"email": "gina@example.com"}, "").expect(t, 200, "")
			return e.lastCode("gina@example.com"), func(c string) *response {
				return e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "gina@example.com", "code": c, "password": "NewPass2!"}, "")
			}
		}},
		{"change-email confirm", func(t *testing.T, e *env) (string, func(string) *response) {
			e.createUser("hank", "hank@example.com", "Strong1pw")
			tok := e.login("hank", "Strong1pw")
			id := e.identityCode(tok, "hank@example.com")
			e.do("POST", "auth/change-email/", map[string]string{"new_email": "hank2@example.com", "identity_code": id}, tok).expect(t, 200, "")
			return e.lastCode("hank2@example.com"), func(c string) *response {
				return e.do("POST", "auth/change-email/", map[string]string{"new_email": "hank2@example.com", "code": c}, tok)
			}
		}},
		{"identity code (change-password)", func(t *testing.T, e *env) (string, func(string) *response) {
			e.createUser("iris", "iris@example.com", "Strong1pw")
			tok := e.login("iris", "Strong1pw")
			return e.identityCode(tok, "iris@example.com"), func(c string) *response {
				return e.do("POST", "auth/change-password/", map[string]string{"current_password": "Strong1pw", "new_password": "Newer2pw!", "identity_code": c}, tok)
			}
		}},
		{"identity code (change-email request)", func(t *testing.T, e *env) (string, func(string) *response) {
			e.createUser("jill", "jill@example.com", "Strong1pw")
			tok := e.login("jill", "Strong1pw")
			return e.identityCode(tok, "jill@example.com"), func(c string) *response {
				return e.do("POST", "auth/change-email/", map[string]string{"new_email": "jill2@example.com", "identity_code": c}, tok)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			right, try := tc.setup(t, e)
			for i := 0; i < 5; i++ {
				try(wrong(right)).expect(t, 400, "")
			}
			r := try(right)
			if r.status != 400 {
				t.Fatalf("the right code worked after 5 wrong tries: %d %s", r.status, r.raw)
			}
		})
	}
}

// Four wrong tries leave the code alive (the budget is 5).
func TestSecurity_CodeSurvivesFourWrongTries(t *testing.T) {
	e := newEnv(t)
	e.registerOK("kim", "kim@example.com", "Strong1pw")
	code := e.lastCode("kim@example.com")
	for i := 0; i < 4; i++ {
		e.do("POST", "auth/verify-email/", map[string]string{"email": "kim@example.com", "code": "x" + code}, "").expect(t, 400, "")
	}
	e.do("POST", "auth/verify-email/", map[string]string{"email": "kim@example.com", "code": code}, "").expect(t, 200, "")
}

// Reset, resend, identity-code and change-email requests are limited per
// address; the request that uses the last unit of the budget is served.
func TestSecurity_EmailRequestBudget(t *testing.T) {
	budget := func(c *api.Config) { c.EmailRequestsPerAddress = api.Rule{Limit: 3, Window: time.Hour} }

	t.Run("password-reset", func(t *testing.T) {
		e := newEnv(t, budget)
		e.createUser("lena", "lena@example.com", "Strong1pw")
		e.createUser("mick", "mick@example.com", "Strong1pw")
		for i := 0; i < 3; i++ {
			e.do("POST", "auth/password-reset/", map[string]string{"email": "lena@example.com"}, "").expect(t, 200, "")
		}
		n := expectThrottled(t, e.do("POST", "auth/password-reset/", map[string]string{"email": "LENA@example.com"}, ""))
		if n != 1200 {
			t.Fatalf("retry after %d", n)
		}
		if got := len(e.mailLines("lena@example.com")); got != 3 {
			t.Fatalf("%d mails", got)
		}
		e.do("POST", "auth/password-reset/", map[string]string{"email": "mick@example.com"}, "").expect(t, 200, "")
		e.clock.Advance(20 * time.Minute)
		e.do("POST", "auth/password-reset/", map[string]string{"email": "lena@example.com"}, "").expect(t, 200, "")
	})

	t.Run("register and resend", func(t *testing.T) {
		e := newEnv(t, budget)
		e.registerOK("nora", "nora@example.com", "Strong1pw")
		for i := 0; i < 2; i++ {
			e.clock.Advance(61 * time.Second)
			e.do("POST", "auth/resend-verification/", map[string]string{"email": "nora@example.com"}, "").expect(t, 200, "")
		}
		e.clock.Advance(61 * time.Second)
		expectThrottled(t, e.do("POST", "auth/resend-verification/", map[string]string{"email": "nora@example.com"}, ""))
		expectThrottled(t, e.do("POST", "auth/register/", map[string]string{"username": "nora", "email": "nora@example.com", "password": "Strong1pw"}, ""))
	})

	t.Run("identity code", func(t *testing.T) {
		e := newEnv(t, budget)
		e.createUser("olga", "olga@example.com", "Strong1pw")
		tok := e.login("olga", "Strong1pw")
		for i := 0; i < 3; i++ {
			e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 200, "")
		}
		expectThrottled(t, e.do("POST", "auth/send-identity-code/", nil, tok))
	})

	t.Run("change-email request", func(t *testing.T) {
		e := newEnv(t, budget)
		e.createUser("pete", "pete@example.com", "Strong1pw")
		e.createUser("quin", "quin@example.com", "Strong1pw")
		p := e.login("pete", "Strong1pw")
		for i := 0; i < 3; i++ {
			id := e.identityCode(p, "pete@example.com")
			e.do("POST", "auth/change-email/", map[string]string{"new_email": "target@example.com", "identity_code": id}, p).expect(t, 200, "")
		}
		q := e.login("quin", "Strong1pw")
		id := e.identityCode(q, "quin@example.com")
		expectThrottled(t, e.do("POST", "auth/change-email/", map[string]string{"new_email": "target@example.com", "identity_code": id}, q))
		// The 429 did not spend the identity code.
		e.do("POST", "auth/change-email/", map[string]string{"new_email": "other@example.com", "identity_code": id}, q).expect(t, 200, "")
	})
}

// The wrong-password budget of change-password is the account's login
// budget: guessing the current password through it is throttled too.
func TestSecurity_ChangePasswordGuessesThrottled(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerAccount = api.Rule{Limit: 3, Window: 15 * time.Minute}
	})
	e.createUser("rose", "rose@example.com", "Strong1pw")
	tok := e.login("rose", "Strong1pw")
	code := e.identityCode(tok, "rose@example.com")
	for i := 0; i < 3; i++ {
		e.do("POST", "auth/change-password/", map[string]string{"current_password": "guess" + itoa(int64(i)), "new_password": "Newer2pw!", "identity_code": code}, tok).
			expect(t, 400, "Password not updated: Backend.Creators.Auth/password.change — current password does not match.")
	}
	r := e.do("POST", "auth/change-password/", map[string]string{"current_password": "Strong1pw", "new_password": "Newer2pw!", "identity_code": code}, tok)
	expectThrottled(t, r)
	if !strings.Contains(string(r.raw), "throttled") {
		t.Fatal(string(r.raw))
	}
}
