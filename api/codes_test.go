package api_test

// Tests of codes.go, the rules every code-mailing and code-consuming flow
// shares: how codes are issued and mailed, the wrong-try budget of a code
// and the mail budget per address (CONTRACT 3.14 and 6.6: the original had
// neither budget).

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/app"
)

func TestCodes_Contract_GenerateCodeReturnsSixDigits(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"pa", "pb", "pc", "pd", "pe"} {
		email := name + "@example.com"
		e.registerOK(name+"-user", email, "Strong1pw")
		lines := e.mailLines(email)
		body, _ := lines[len(lines)-1]["body"].(string)
		m := regexp.MustCompile(`\nCode: ([^\n]*)\n`).FindStringSubmatch(body)
		if m == nil || !sixDigits.MatchString(m[1]) {
			t.Fatalf("code line of %q", body)
		}
	}
}

// test_verification_defaults: the original's model defaults (usage "A",
// max_use 1) are implicit over HTTP; what shows is that every flow issues
// single-use codes with its own usage and function key, bound to the
// account where there is one.
func TestCodes_Contract_VerificationDefaults(t *testing.T) {
	e := newEnv(t)
	e.registerOK("sue", "sue@example.com", "Strong1pw")
	e.createUser("tom", "tom@example.com", "Strong1pw")
	tok := e.login("tom", "Strong1pw")
	e.do("POST", "auth/password-reset/", map[string]string{"email": "tom@example.com"}, "").expect(t, 200, "")
	id := e.identityCode(tok, "tom@example.com")
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "tom2@example.com", "identity_code": id}, tok).expect(t, 200, "")
	sue, tomID := e.userByEmail("sue@example.com").ID, e.userByEmail("tom@example.com").ID
	for _, want := range []app.Code{
		{Function: "sue@example.com", Usage: "R", UserID: sue},
		{Function: "password_reset:tom@example.com", Usage: "F"},
		{Function: app.FuncChangeEmail("tom2@example.com"), Usage: "F", UserID: tomID},
	} {
		c, err := e.store.LatestCode(bg, want.Function, want.Usage, e.clock.Now())
		if err != nil {
			t.Fatalf("%s: %v", want.Function, err)
		}
		if c.MaxUse != 1 || c.UserID != want.UserID || c.Attempts != 0 || !hex64.MatchString(c.CodeHash) {
			t.Fatalf("%s: %+v", want.Function, c)
		}
	}
}

// Wrong codes are bounded per client and in total, over every
// code-consuming flow: after CodeMaxAttempts (5) wrong tries a client gets
// 429, even for the right code, while the owner (another client) can still
// use it; after 10 clients' worth of wrong tries (50) the code is dead for
// everybody. The original killed the code after 5 wrong tries from anyone,
// so five anonymous guesses burnt the code its owner had just received.
func TestCodes_Security_WrongGuessesBoundedPerClientAndInTotal(t *testing.T) {
	wrong := func(code string) string {
		v, _ := strconv.Atoi(code)
		return fmt.Sprintf("%06d", (v+1)%1000000)
	}
	cases := []struct {
		name string
		// setup returns the auth header (or "") and a function that posts
		// a guess and returns the response.
		setup func(t *testing.T, e *env) (right string, try func(code string, hdr ...string) *response)
	}{
		{"verify-email", func(t *testing.T, e *env) (string, func(string, ...string) *response) {
			e.registerOK("frank", "frank@example.com", "Strong1pw")
			return e.lastCode("frank@example.com"), func(c string, hdr ...string) *response {
				return e.do("POST", "auth/verify-email/", map[string]string{"email": "frank@example.com", "code": c}, "", hdr...)
			}
		}},
		{"password-reset confirm", func(t *testing.T, e *env) (string, func(string, ...string) *response) {
			e.createUser("gina", "gina@example.com", "Strong1pw")
			e.do("POST", "auth/password-reset/", map[string]string{"email": "gina@example.com"}, "").expect(t, 200, "")
			return e.lastCode("gina@example.com"), func(c string, hdr ...string) *response {
				return e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "gina@example.com", "code": c, "password": "NewPass2!"}, "", hdr...)
			}
		}},
		{"change-email confirm", func(t *testing.T, e *env) (string, func(string, ...string) *response) {
			e.createUser("hank", "hank@example.com", "Strong1pw")
			tok := e.login("hank", "Strong1pw")
			id := e.identityCode(tok, "hank@example.com")
			e.do("POST", "auth/change-email/", map[string]string{"new_email": "hank2@example.com", "identity_code": id}, tok).expect(t, 200, "")
			return e.lastCode("hank2@example.com"), func(c string, hdr ...string) *response {
				return e.do("POST", "auth/change-email/", map[string]string{"new_email": "hank2@example.com", "code": c}, tok, hdr...)
			}
		}},
		{"identity code (change-password)", func(t *testing.T, e *env) (string, func(string, ...string) *response) {
			e.createUser("iris", "iris@example.com", "Strong1pw")
			tok := e.login("iris", "Strong1pw")
			return e.identityCode(tok, "iris@example.com"), func(c string, hdr ...string) *response {
				return e.do("POST", "auth/change-password/", map[string]string{"current_password": "Strong1pw", "new_password": "Newer2pw!", "identity_code": c}, tok, hdr...)
			}
		}},
		{"identity code (change-email request)", func(t *testing.T, e *env) (string, func(string, ...string) *response) {
			e.createUser("jill", "jill@example.com", "Strong1pw")
			tok := e.login("jill", "Strong1pw")
			return e.identityCode(tok, "jill@example.com"), func(c string, hdr ...string) *response {
				return e.do("POST", "auth/change-email/", map[string]string{"new_email": "jill2@example.com", "identity_code": c}, tok, hdr...)
			}
		}},
	}
	from := func(n int) []string { return []string{"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", n)} }
	for _, tc := range cases {
		t.Run(tc.name+"/per client", func(t *testing.T) {
			e := newEnv(t)
			right, try := tc.setup(t, e)
			for i := 0; i < 5; i++ {
				try(wrong(right), from(1)...).expect(t, 400, "")
			}
			expectThrottled(t, try(right, from(1)...))
			if r := try(right, from(2)...); r.status != 200 {
				t.Fatalf("the owner's right code after another client's 5 wrong tries: %d %s", r.status, r.raw)
			}
		})
		t.Run(tc.name+"/in total", func(t *testing.T) {
			e := newEnv(t)
			right, try := tc.setup(t, e)
			for c := 1; c <= 10; c++ {
				for i := 0; i < 5; i++ {
					try(wrong(right), from(c)...).expect(t, 400, "")
				}
			}
			if r := try(right, from(99)...); r.status != 400 {
				t.Fatalf("the right code worked after 50 wrong tries: %d %s", r.status, r.raw)
			}
		})
	}
}

// Four wrong tries leave the code alive (the budget is 5).
func TestCodes_Security_CodeSurvivesFourWrongTries(t *testing.T) {
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
func TestCodes_Security_EmailRequestBudget(t *testing.T) {
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
