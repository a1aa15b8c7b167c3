package api_test

// Tests of budget.go: budgets shared by replicas on PostgreSQL (issue 13)
// and what a budget that cannot be checked answers.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
	"notechondria-auth/throttle"
)

// replicas starts n servers on one fresh PostgreSQL database and one clock,
// each with serve's shared budgets.
func replicas(t *testing.T, n int, mutate ...func(*api.Config)) []*env {
	t.Helper()
	url := testdb.TargetOf(t, db.Postgres)
	c := &clock{t: time.Date(2026, 4, 23, 3, 32, 23, 123456000, time.UTC)}
	var out []*env
	for i := 0; i < n; i++ {
		out = append(out, newEnvAt(t, url, c, nil, mutate...))
	}
	return out
}

// The login, mail and code budgets hold for the deployment, not per
// replica: guesses spread round-robin over three servers on one database
// are charged once. With per-process budgets the three would allow three
// times each budget.
func TestBudgets_Security_SharedAcrossReplicas(t *testing.T) {
	rs := replicas(t, 3, func(c *api.Config) {
		c.LoginFailuresPerAccount = api.Rule{Limit: 4, Window: 15 * time.Minute}
		c.LoginFailuresPerIP = api.Rule{Limit: 1000, Window: 15 * time.Minute}
		c.EmailRequestsPerAddress = api.Rule{Limit: 3, Window: time.Hour}
	})
	rs[0].createUser("rhea", "rhea@example.com", "Strong1pw")

	t.Run("failed sign-ins per account", func(t *testing.T) {
		var failed, throttled int
		for i := 0; i < 12; i++ {
			switch r := rs[i%3].do("POST", "auth/login/", loginBody("rhea", fmt.Sprint("wrong", i)), ""); r.status {
			case 400:
				failed++
			case 429:
				throttled++
			default:
				t.Fatalf("try %d: %d %s", i, r.status, r.raw)
			}
		}
		if failed != 4 || throttled != 8 {
			t.Fatalf("12 wrong passwords over 3 replicas against a budget of 4: %d verified, %d throttled", failed, throttled)
		}
		for _, e := range rs { // locked on every replica, for the right password too
			expectThrottled(t, e.do("POST", "auth/login/", loginBody("rhea", "Strong1pw"), ""))
		}
		// One interval (15m/4) later, one more try for the whole deployment.
		rs[0].clock.Advance(225 * time.Second)
		rs[2].do("POST", "auth/login/", loginBody("rhea", "wrong"), "").expect(t, 400, "")
		expectThrottled(t, rs[0].do("POST", "auth/login/", loginBody("rhea", "wrong"), ""))
	})

	t.Run("anonymous code mails per address", func(t *testing.T) {
		rs[0].createUser("sven", "sven@example.com", "Strong1pw")
		for i := 0; i < 3; i++ {
			rs[i].do("POST", "auth/password-reset/", map[string]string{"email": "sven@example.com"}, "").expect(t, 200, "")
		}
		for _, e := range rs {
			expectThrottled(t, e.do("POST", "auth/password-reset/", map[string]string{"email": "sven@example.com"}, ""))
		}
	})

	t.Run("wrong codes per client network", func(t *testing.T) {
		rs[0].createUser("tove", "tove@example.com", "Strong1pw")
		rs[1].do("POST", "auth/password-reset/", map[string]string{"email": "tove@example.com"}, "").expect(t, 200, "")
		code := rs[1].lastCode("tove@example.com")
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		confirm := func(e *env, c string) *response {
			return e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "tove@example.com", "code": c, "password": "NewPass2!"}, "")
		}
		for i := 0; i < 5; i++ { // CodeMaxAttempts
			confirm(rs[i%3], wrong).expect(t, 400, "")
		}
		for _, e := range rs {
			expectThrottled(t, confirm(e, code))
		}
	})
}

// faultyLimiter fails every operation that reaches the database.
type faultyLimiter struct{ err error }

func (faultyLimiter) Enabled() bool { return true }
func (f faultyLimiter) Check(context.Context, string) (time.Duration, bool, error) {
	return 0, false, f.err
}
func (f faultyLimiter) TakeClean(context.Context, string) (time.Duration, bool, bool, error) {
	return 0, false, false, f.err
}
func (f faultyLimiter) Refund(context.Context, string) error { return f.err }
func (f faultyLimiter) Sweep(context.Context) error          { return f.err }

// A budget that cannot be checked refuses the work it limits (fail
// closed): 503 with Retry-After: 1 and DRF's text, no password hashed, the
// fault logged; never a 500 or a pass.
func TestBudgets_Security_FaultFailsClosed(t *testing.T) {
	fault := errors.New("connection refused")
	e := newEnvAt(t, testdb.Target(t), nil, func(string, int, time.Duration, func() time.Time) api.Limiter {
		return faultyLimiter{err: fault}
	})
	e.createUser("ursa", "ursa@example.com", "Strong1pw")
	doc, _ := loadOpenAPI(t)
	before := e.hasher.Runs()
	for _, c := range []struct {
		path string
		body any
	}{
		{"/api/v1/auth/login/", loginBody("ursa", "Strong1pw")},
		{"/api/v1/auth/register/", map[string]string{"username": "vic", "email": "vic@example.com", "password": "Strong1pw"}},
		{"/api/v1/auth/password-reset/", map[string]string{"email": "ursa@example.com"}},
	} {
		r := e.do("POST", c.path, c.body, "")
		r.expect(t, 503, "Service temporarily unavailable, try again later.")
		if r.header.Get("Retry-After") != "1" || len(r.body) != 1 {
			t.Fatalf("503 %v %s", r.header, r.raw)
		}
		e.docCheck(doc, "POST", c.path, r) // the answer OpenAPI documents
	}
	if n := e.hasher.Runs() - before; n != 0 {
		t.Fatalf("%d hashes ran without a budget", n)
	}
	if logs := e.logs.String(); strings.Count(logs, "budget unavailable: request refused") != 3 || !strings.Contains(logs, "connection refused") {
		t.Fatalf("logs:\n%s", logs)
	}
}

// memLimiter is a throttle.Limiter as an api.Limiter (the server's own
// adapter is unexported).
type memLimiter struct{ l *throttle.Limiter }

func (m memLimiter) Enabled() bool { return m.l.Enabled() }
func (m memLimiter) Check(_ context.Context, k string) (time.Duration, bool, error) {
	d, ok := m.l.Check(k)
	return d, ok, nil
}
func (m memLimiter) TakeClean(_ context.Context, k string) (time.Duration, bool, bool, error) {
	d, ok, clean := m.l.TakeClean(k)
	return d, ok, clean, nil
}
func (m memLimiter) Refund(_ context.Context, k string) error { m.l.Refund(k); return nil }
func (m memLimiter) Sweep(context.Context) error              { m.l.Sweep(); return nil }

// refundFaults is an in-memory budget whose refunds fail.
type refundFaults struct{ memLimiter }

func (refundFaults) Refund(context.Context, string) error { return errors.New("refund lost") }

// A refund that fails leaves the event counted (the budget errs towards
// refusing) and does not change the answer: a correct password signs in.
func TestBudgets_Security_RefundFaultKeepsCharge(t *testing.T) {
	e := newEnvAt(t, testdb.Target(t), nil, func(_ string, limit int, window time.Duration, now func() time.Time) api.Limiter {
		return refundFaults{memLimiter{throttle.New(limit, window, now)}}
	}, func(c *api.Config) {
		c.LoginFailuresPerAccount = api.Rule{Limit: 2, Window: 15 * time.Minute}
	})
	e.createUser("wim", "wim@example.com", "Strong1pw")
	e.login("wim", "Strong1pw")
	e.login("wim", "Strong1pw")
	expectThrottled(t, e.do("POST", "auth/login/", loginBody("wim", "Strong1pw"), ""))
	if n := strings.Count(e.logs.String(), "budget refund failed: the event stays counted"); n != 5 {
		// network and account after each sign-in, then the network's
		// reservation of the refused third try
		t.Fatalf("%d refund faults logged, want 5:\n%s", n, e.logs.String())
	}
}
