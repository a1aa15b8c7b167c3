package api_test

// Tests of login.go's throttling (CONTRACT 3.14 and 6.6: the original had
// none): failure budgets per account and per client address. Every
// Security test here fails against the original, which answered the
// request that should be throttled normally.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
)

// TestLogin_Core_Throttle: failures per account and per IP are limited;
// successes do not count; time unblocks.
func TestLogin_Core_Throttle(t *testing.T) {
	t.Run("per account", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) {
			c.LoginFailuresPerAccount = api.Rule{Limit: 3, Window: time.Minute}
			c.LoginFailuresPerIP = api.Rule{}
		})
		e.createUser("alice", "alice@example.com", "Strong1pw")
		bad := map[string]string{"identifier": "alice", "password": "nope"}
		good := map[string]string{"identifier": "ALICE", "password": "Strong1pw"}
		e.do("POST", "auth/login/", bad, "").expect(t, 400, "")
		e.do("POST", "auth/login/", bad, "").expect(t, 400, "")
		for i := 0; i < 5; i++ { // successes do not count
			e.do("POST", "auth/login/", good, "").expect(t, 200, "")
		}
		e.do("POST", "auth/login/", bad, "").expect(t, 400, "")
		// Budget spent: even the right password is refused, case and
		// whitespace variants of the identifier share the budget.
		for _, body := range []map[string]string{bad, good, {"email": " Alice ", "password": "Strong1pw"}} {
			r := e.do("POST", "auth/login/", body, "").expect(t, 429, "Request was throttled. Expected available in 20 seconds.")
			if r.header.Get("Retry-After") != "20" {
				t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}
		// Another account is not affected.
		e.createUser("bob", "bob@example.com", "Strong1pw")
		e.login("bob", "Strong1pw")
		// The wait shrinks with time, and ends.
		e.clock.Advance(15 * time.Second)
		r := e.do("POST", "auth/login/", good, "").expect(t, 429, "Request was throttled. Expected available in 5 seconds.")
		if r.header.Get("Retry-After") != "5" {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
		e.clock.Advance(5 * time.Second)
		e.do("POST", "auth/login/", good, "").expect(t, 200, "")
	})
	t.Run("per ip", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) {
			c.LoginFailuresPerAccount = api.Rule{}
			c.LoginFailuresPerIP = api.Rule{Limit: 2, Window: 2 * time.Second}
		})
		e.createUser("alice", "alice@example.com", "Strong1pw")
		for i := 0; i < 2; i++ {
			e.do("POST", "auth/login/", map[string]string{"identifier": "user" + strconv.Itoa(i), "password": "x"}, "").expect(t, 400, "")
		}
		// One second to wait: DRF's singular wording.
		r := e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "Strong1pw"}, "").
			expect(t, 429, "Request was throttled. Expected available in 1 second.")
		if r.header.Get("Retry-After") != "1" {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
		e.clock.Advance(time.Second)
		e.login("alice", "Strong1pw")
	})
	t.Run("long identifiers", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) {
			c.LoginFailuresPerAccount = api.Rule{Limit: 2, Window: time.Minute}
			c.LoginFailuresPerIP = api.Rule{}
		})
		long := strings.Repeat("a", 5000)
		for i := 0; i < 2; i++ {
			e.do("POST", "auth/login/", map[string]string{"identifier": long, "password": "x"}, "").expect(t, 400, "")
		}
		// Still one budget per identifier, case-insensitively.
		e.do("POST", "auth/login/", map[string]string{"identifier": strings.ToUpper(long), "password": "x"}, "").expect(t, 429, "")
		e.do("POST", "auth/login/", map[string]string{"identifier": long + "b", "password": "x"}, "").expect(t, 400, "")
	})
	t.Run("default is 10 per account", func(t *testing.T) {
		e := newEnv(t)
		e.createUser("alice", "alice@example.com", "Strong1pw")
		for i := 0; i < 10; i++ {
			e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "x"}, "").expect(t, 400, "")
		}
		e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "Strong1pw"}, "").expect(t, 429, "")
		e.clock.Advance(15 * time.Minute)
		e.login("alice", "Strong1pw")
	})
}

func TestLogin_Security_FailuresPerAccountThrottled(t *testing.T) {
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

func TestLogin_Security_FailuresPerIPThrottled(t *testing.T) {
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
func TestLogin_Security_ForwardedForOnlyFromTrustedProxies(t *testing.T) {
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
func TestLogin_Security_SuccessesDoNotCountAgainstFailureBudget(t *testing.T) {
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
