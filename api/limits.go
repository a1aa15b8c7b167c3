package api

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/throttle"
)

// budgets are the server's rate limits, one limiter per purpose so that
// anonymous traffic never spends what a signed-in owner needs. Every budget
// is reserved (Take) before the work it limits and refunded when the work
// does not count (docs/SECURITY.md has the table).
type budgets struct {
	loginAccount *throttle.Limiter // failed sign-ins per account
	loginClean   *throttle.Limiter // per account, while it is locked: clients with no recent failure
	loginIP      *throttle.Limiter // failed sign-ins per client network
	anonIP       *throttle.Limiter // anonymous requests that hash, mail or tell "exists", per client network
	mailAnon     *throttle.Limiter // code mails asked for anonymously, per address
	mailOwner    *throttle.Limiter // identity codes a signed-in owner asks for, per account
	mailChange   *throttle.Limiter // change-of-email codes, per new address
	codeGuess    *throttle.Limiter // wrong codes per (purpose, client network)
}

func newBudgets(cfg Config, now func() time.Time) *budgets {
	l := func(r Rule) *throttle.Limiter { return throttle.New(r.Limit, r.Window, now) }
	return &budgets{
		loginAccount: l(cfg.LoginFailuresPerAccount),
		loginClean:   l(cfg.LoginFailuresPerAccount),
		loginIP:      l(cfg.LoginFailuresPerIP),
		anonIP:       l(cfg.AnonymousRequestsPerIP),
		mailAnon:     l(cfg.EmailRequestsPerAddress),
		mailOwner:    l(cfg.EmailRequestsPerAddress),
		mailChange:   l(cfg.EmailRequestsPerAddress),
		codeGuess:    l(Rule{Limit: cfg.CodeMaxAttempts, Window: cfg.CodeTTL}),
	}
}

// sweep forgets keys that are back to their full budget.
func (b *budgets) sweep() {
	for _, l := range []*throttle.Limiter{b.loginAccount, b.loginClean, b.loginIP, b.anonIP, b.mailAnon, b.mailOwner, b.mailChange, b.codeGuess} {
		l.Sweep()
	}
}

// charge is one reservation: a limiter and a key.
type charge struct {
	l   *throttle.Limiter
	key string
}

// reservation is what take reserved; refund gives it back.
type reservation []charge

func (r reservation) refund() {
	for _, c := range r {
		c.l.Refund(c.key)
	}
}

// take reserves one event from every charge, all or nothing: on refusal it
// gives back what it took and answers 429 with the retry of the budget that
// refused.
func (s *Server) take(charges ...charge) (reservation, error) {
	for i, c := range charges {
		if retry, ok := c.l.Take(c.key); !ok {
			reservation(charges[:i]).refund()
			return nil, s.throttled(retry)
		}
	}
	return reservation(charges), nil
}

// throttled is the 429 DRF's throttling answers with ("1 second.", else
// "N seconds.").
func (s *Server) throttled(retry time.Duration) error {
	s.metrics.throttled.Add(1)
	n := throttle.Seconds(retry)
	unit := " seconds."
	if n == 1 {
		unit = " second." // DRF's ngettext: extra_detail_singular
	}
	return &app.Error{Code: app.ERATELIMIT, Message: "Request was throttled. Expected available in " + strconv.Itoa(n) + unit, RetryAfter: n}
}

// clientNet is the budget key of a client address: the address itself for
// IPv4, its /64 for IPv6 (one subscriber gets a whole /64, so per-address
// budgets would be no budget at all).
func clientNet(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	p, _ := addr.Prefix(64)
	return p.String()
}

// emailKey is the per-address key of a mail budget.
func emailKey(email string) string { return "mail:" + strings.ToLower(email) }
