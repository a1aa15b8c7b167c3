package api

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"notechondria-auth/app"
	"notechondria-auth/mail"

	"github.com/julienschmidt/httprouter"
)

// maskEmail is the first character, "***", then everything from the "@".
func maskEmail(email string) string {
	i := strings.IndexByte(email, '@')
	if i <= 0 {
		return "***"
	}
	first := []rune(email[:i])[0]
	return string(first) + "***" + email[i:]
}

// issueAndSend creates a fresh code for function/usage, bound to userID when
// non-zero, and mails it. budget is the mail budget the caller reserved for
// it: given back when no code could be issued.
func (s *Server) issueAndSend(r *http.Request, budget reservation, kind mail.Kind, to, function, usage string, userID int64, note string) (mail.Result, error) {
	plain, err := app.RandomCode(s.rand)
	if err != nil {
		budget.refund(r)
		return mail.Result{}, app.Internal(err)
	}
	now := s.now()
	c := &app.Code{CodeHash: app.CodeHash(plain), Usage: usage, Function: function, UserID: userID,
		MaxUse: 1, CreatedAt: now, ExpireAt: now.Add(s.cfg.CodeTTL)}
	if err := s.store.IssueCode(r.Context(), c); err != nil {
		budget.refund(r)
		return mail.Result{}, err
	}
	return s.send(r, kind, to, plain, note), nil
}

// send delivers a code mail, or logs it (the development fallback).
func (s *Server) send(r *http.Request, kind mail.Kind, to, code, note string) mail.Result {
	ttl := int(s.cfg.CodeTTL.Hours())
	m := mail.Compose(kind, to, code, ttl, s.cfg.FrontendVerifyURL).WithNote(note)
	return mail.Deliver(r.Context(), s.mailer, s.mailLog, kind, m)
}

// ownerMail is the mail budget of a signed-in owner's own codes (identity
// step-up, change of email): per account, never charged by anonymous
// traffic, so nobody else can delay the owner's codes.
func (s *Server) ownerMail(userID int64) charge {
	return charge{s.budgets.mailOwner, "user:" + itoa(userID)}
}

// anonMail is the mail budget of codes anybody can ask for (registration,
// resend, password reset): per address.
func (s *Server) anonMail(email string) charge { return charge{s.budgets.mailAnon, emailKey(email)} }

// anonymous wraps the handler of an anonymous endpoint that hashes a
// password, sends a mail or tells whether an account exists: every request
// is charged to its client network's budget before any of that work.
func (s *Server) anonymous(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		if _, err := s.take(r, charge{s.budgets.anonIP, "anon:" + clientNet(s.clientIP(r))}); err != nil {
			return err
		}
		return h(w, r, p)
	}
}

// guesses is the budget of wrong codes for one purpose (a code function)
// from one client network: a code stops accepting that client's guesses
// after CodeMaxAttempts, while it dies for everybody only after
// codeAttemptsTotal wrong tries in all (so one client cannot kill the code
// its owner just received).
func (s *Server) guesses(r *http.Request, function string) charge {
	return charge{s.budgets.codeGuess, function + "|" + clientNet(s.clientIP(r))}
}

// codeAttemptsTotal is the number of wrong tries, from all clients, after
// which a code dies.
func (s *Server) codeAttemptsTotal() int { return s.cfg.CodeMaxAttempts * codeClientsBeforeDeath }

// codeClientsBeforeDeath: a code dies after this many clients' full
// allowances of wrong guesses.
const codeClientsBeforeDeath = 10

// writeDelivery answers a request that mailed a code: {"message",
// "delivery_fallback"} plus the given key/value pairs.
func writeDelivery(w http.ResponseWriter, status int, res mail.Result, kv ...string) {
	body := map[string]any{"message": res.Message, "delivery_fallback": res.Fallback}
	for i := 0; i+1 < len(kv); i += 2 {
		body[kv[i]] = kv[i+1]
	}
	writeJSON(w, status, body)
}

// liveCodeMatches reports whether code is the live code of function/usage,
// compared in constant time, without spending it (IssueCode keeps one live
// code per function).
func (s *Server) liveCodeMatches(r *http.Request, function, usage, code string) (bool, error) {
	c, err := s.store.LatestCode(r.Context(), function, usage, s.now())
	if app.ErrorCode(err) == app.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(c.CodeHash), []byte(app.CodeHash(code))) == 1, nil
}

// wrongCode counts a wrong code against the live codes of function/usage
// (ConsumeCode of a hash that matches none records the miss) and answers
// answer.
func (s *Server) wrongCode(r *http.Request, function, usage, code string, userID int64, answer error) error {
	if _, err := s.store.ConsumeCode(r.Context(), function, usage, app.CodeHash(code), userID,
		s.codeAttemptsTotal(), s.now()); err != nil && app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	return answer
}
