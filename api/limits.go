package api

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/app"
	"notechondria-auth/throttle"
)

// budgets are the server's rate limits, one per purpose so that anonymous
// traffic never spends what a signed-in owner needs. Every budget is
// reserved (take) before the work it limits and refunded when the work does
// not count (docs/SECURITY.md has the table). On PostgreSQL they are shared
// by every replica (Options.Budgets); on SQLite each process keeps its own
// in memory.
type budgets struct {
	loginAccount *budget // failed sign-ins per account
	loginClean   *budget // per account, while it is locked: clients with no recent failure
	loginIP      *budget // failed sign-ins per client network
	anonIP       *budget // anonymous requests that hash, mail or tell "exists", per client network
	mailAnon     *budget // code mails asked for anonymously, per address
	mailOwner    *budget // identity codes a signed-in owner asks for, per account
	mailChange   *budget // change-of-email codes, per new address
	codeGuess    *budget // wrong codes per (purpose, client network)
}

// newBudgets makes the server's budgets; the names are the key spaces the
// replicas share, so they never change meaning.
func newBudgets(cfg Config, now func() time.Time, shared SharedBudgets, log zerolog.Logger) *budgets {
	l := func(name string, r Rule) *budget { return newBudget(name, r, now, shared, log) }
	return &budgets{
		loginAccount: l("login_account", cfg.LoginFailuresPerAccount),
		loginClean:   l("login_clean", cfg.LoginFailuresPerAccount),
		loginIP:      l("login_ip", cfg.LoginFailuresPerIP),
		anonIP:       l("anon_ip", cfg.AnonymousRequestsPerIP),
		mailAnon:     l("mail_anon", cfg.EmailRequestsPerAddress),
		mailOwner:    l("mail_owner", cfg.EmailRequestsPerAddress),
		mailChange:   l("mail_change", cfg.EmailRequestsPerAddress),
		codeGuess:    l("code_guess", Rule{Limit: cfg.CodeMaxAttempts, Window: cfg.CodeTTL}),
	}
}

// sweep forgets keys that are back to their full budget (on PostgreSQL
// every replica sweeps the shared table; that is harmless). A failed sweep
// is logged and retried at the next one.
func (b *budgets) sweep(ctx context.Context) {
	for _, l := range []*budget{b.loginAccount, b.loginClean, b.loginIP, b.anonIP, b.mailAnon, b.mailOwner, b.mailChange, b.codeGuess} {
		if err := l.l.Sweep(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn().Err(err).Str("budget", l.name).Msg("budget sweep failed")
		}
	}
}

// charge is one reservation: a budget and a key.
type charge struct {
	b   *budget
	key string
}

// reservation is what take reserved; refund gives it back.
type reservation []charge

// refund gives every charge back (see budget.refund: also when the client
// went away, and a failure leaves the charge counted).
func (res reservation) refund(r *http.Request) {
	for _, c := range res {
		c.b.refund(r, c.key)
	}
}

// take reserves one event from every charge, all or nothing: on refusal it
// gives back what it took and answers 429 with the retry of the budget that
// refused; a budget that cannot be checked answers 503 (fail closed).
func (s *Server) take(r *http.Request, charges ...charge) (reservation, error) {
	for i, c := range charges {
		retry, ok, _, err := c.b.takeClean(r, c.key)
		if err != nil || !ok {
			reservation(charges[:i]).refund(r)
			if err != nil {
				return nil, err
			}
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
