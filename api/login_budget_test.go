package api_test

import (
	"fmt"
	"testing"
	"time"

	"notechondria-auth/api"
)

// Budgets reserve before the work they limit: a concurrent burst of 30 wrong
// passwords against a budget of 4 runs at most 4 hashes, and a correct
// password inside the burst does not sign in on the locked account. The old
// code checked, hashed, then charged: every request of the burst was hashed.
func TestLogin_Security_BurstCannotExceedBudget(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerAccount = api.Rule{Limit: 4, Window: 15 * time.Minute}
		c.LoginFailuresPerIP = api.Rule{Limit: 1000, Window: 15 * time.Minute}
	})
	e.createUser("vera", "vera@example.com", "Strong1pw")
	before := e.hasher.Runs()
	statuses := acctConcurrently(31, func(i int) int {
		pw := "wrong-" + fmt.Sprint(i)
		if i == 30 {
			pw = "Strong1pw"
		}
		s, _ := e.postRaw("auth/login/", loginBody("vera", pw), "")
		return s
	})
	// At most 4 failures are spent; the correct password, when it ran
	// before the budget was gone, gave its reservation back (so it may add
	// one hash), otherwise it was refused with the rest.
	hashes := e.hasher.Runs() - before
	ok, failed := acctCount(statuses, 200), acctCount(statuses, 400)
	if failed > 4 || ok > 1 || hashes > uint64(failed+ok) {
		t.Fatalf("%d hashes, statuses %v: more than the budget of 4 was spent", hashes, statuses)
	}
	if acctCount(statuses, 429) != 31-failed-ok {
		t.Fatalf("statuses %v", statuses)
	}
	// Still locked for this client, whose network has failed.
	expectThrottled(t, e.do("POST", "auth/login/", loginBody("vera", "Strong1pw"), ""))
}

// One failure every 90 s from elsewhere must not lock the owner out: a
// correct password from a client whose network has not failed recently gets
// in, while the guesser stays throttled. The old code locked the account
// for everybody.
func TestLogin_Security_OwnerFromACleanClientGetsIn(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerAccount = api.Rule{Limit: 3, Window: 15 * time.Minute}
	})
	e.createUser("wanda", "wanda@example.com", "Strong1pw")
	guesser := []string{"X-Forwarded-For", "203.0.113.66"}
	for i := 0; i < 3; i++ {
		e.do("POST", "auth/login/", loginBody("wanda", "nope"), "", guesser...).expect(t, 400, "")
	}
	expectThrottled(t, e.do("POST", "auth/login/", loginBody("wanda", "nope"), "", guesser...))
	// The guesser keeps trickling failures in every 90 s (the lock's pace)...
	e.clock.Advance(5 * time.Minute)
	e.do("POST", "auth/login/", loginBody("wanda", "nope"), "", guesser...).expect(t, 400, "")
	expectThrottled(t, e.do("POST", "auth/login/", loginBody("wanda", "Strong1pw"), "", guesser...))
	// ...and the owner, from a clean network, still signs in.
	e.login("wanda", "Strong1pw", "X-Forwarded-For", "198.51.100.20")
	// A clean network that fails once is a guesser too: the second tier
	// of the account is a budget of its own, shared by all clean clients.
	for i := 0; i < 3; i++ {
		e.do("POST", "auth/login/", loginBody("wanda", "nope"), "", "X-Forwarded-For", fmt.Sprintf("192.0.2.%d", i+1)).expect(t, 400, "")
	}
	expectThrottled(t, e.do("POST", "auth/login/", loginBody("wanda", "Strong1pw"), "", "X-Forwarded-For", "192.0.2.200"))
}

// IPv6 clients are budgeted per /64: one subscriber's addresses share one
// budget.
func TestLogin_Security_IPv6BudgetedPer64(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerIP = api.Rule{Limit: 3, Window: 15 * time.Minute}
	})
	for i := 0; i < 3; i++ {
		e.do("POST", "auth/login/", loginBody(fmt.Sprintf("ghost%d", i), "nope"), "", "X-Forwarded-For", fmt.Sprintf("2001:db8:1:2::%x", i+1)).expect(t, 400, "")
	}
	expectThrottled(t, e.do("POST", "auth/login/", loginBody("ghost9", "nope"), "", "X-Forwarded-For", "2001:db8:1:2:ffff::9"))
	e.do("POST", "auth/login/", loginBody("ghost9", "nope"), "", "X-Forwarded-For", "2001:db8:1:3::1").expect(t, 400, "")
}

// The change-password check of the current password reserves the account's
// budget before its hash too.
func TestAccount_Security_ChangePasswordBurstCannotExceedBudget(t *testing.T) {
	e := newEnv(t, func(c *api.Config) {
		c.LoginFailuresPerAccount = api.Rule{Limit: 4, Window: 15 * time.Minute}
	})
	e.createUser("xena", "xena@example.com", "Strong1pw")
	tok := e.login("xena", "Strong1pw")
	code := e.identityCode(tok, "xena@example.com")
	before := e.hasher.Runs()
	statuses := acctConcurrently(30, func(i int) int {
		s, _ := e.postRaw("auth/change-password/", map[string]string{"current_password": fmt.Sprint("wrong", i),
			"new_password": "Newer2pw!", "identity_code": code}, tok)
		return s
	})
	if hashes := e.hasher.Runs() - before; hashes > 4 || acctCount(statuses, 400) > 4 {
		t.Fatalf("%d hashes, statuses %v", hashes, statuses)
	}
}

// Every mail budget holds under a concurrent burst: 20 identity-code
// requests at once against a budget of 3 send 3 mails.
func TestCodes_Security_MailBurstCannotExceedBudget(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.EmailRequestsPerAddress = api.Rule{Limit: 3, Window: time.Hour} })
	e.createUser("yara", "yara@example.com", "Strong1pw")
	tok := e.login("yara", "Strong1pw")
	statuses := acctConcurrently(20, func(int) int {
		s, _ := e.postRaw("auth/send-identity-code/", nil, tok)
		return s
	})
	if acctCount(statuses, 200) != 3 || len(e.mailLines("yara@example.com")) != 3 {
		t.Fatalf("statuses %v, %d mails", statuses, len(e.mailLines("yara@example.com")))
	}
	// Anonymous resets for the same address are another budget: they do
	// not delay the owner (and the owner's codes do not block resets).
	e2 := newEnv(t, func(c *api.Config) { c.EmailRequestsPerAddress = api.Rule{Limit: 3, Window: time.Hour} })
	e2.createUser("zoe", "zoe@example.com", "Strong1pw")
	ztok := e2.login("zoe", "Strong1pw")
	for i := 0; i < 3; i++ {
		e2.do("POST", "auth/password-reset/", map[string]string{"email": "zoe@example.com"}, "").expect(t, 200, "")
	}
	expectThrottled(t, e2.do("POST", "auth/password-reset/", map[string]string{"email": "zoe@example.com"}, ""))
	e2.do("POST", "auth/send-identity-code/", nil, ztok).expect(t, 200, "")
}
