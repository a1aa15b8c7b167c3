package api

import (
	"net/http"
	"strings"

	"notechondria-auth/app"
	"notechondria-auth/mail"
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
// non-zero, and mails it.
func (s *Server) issueAndSend(r *http.Request, kind mail.Kind, to, function, usage string, userID int64) (mail.Result, error) {
	plain, err := app.RandomCode(s.rand)
	if err != nil {
		return mail.Result{}, app.Internal(err)
	}
	now := s.now()
	c := &app.Code{CodeHash: app.CodeHash(plain), Usage: usage, Function: function, UserID: userID,
		MaxUse: 1, CreatedAt: now, ExpireAt: now.Add(s.cfg.CodeTTL)}
	if err := s.store.IssueCode(r.Context(), c); err != nil {
		return mail.Result{}, err
	}
	return s.send(r, kind, to, plain), nil
}

// send delivers a code mail, or logs it (the development fallback).
func (s *Server) send(r *http.Request, kind mail.Kind, to, code string) mail.Result {
	ttl := int(s.cfg.CodeTTL.Hours())
	m := mail.Compose(kind, to, code, ttl, s.cfg.FrontendVerifyURL)
	return mail.Deliver(r.Context(), s.mailer, s.mailLog, kind, m)
}

// emailBudgetKey is the throttle key of code requests for an address.
func emailBudgetKey(email string) string { return "mail:" + strings.ToLower(email) }

// emailBudgetLeft answers 429 when the address has used its budget of code
// requests (registration, resend, reset, identity and change-email codes),
// without spending any of it.
func (s *Server) emailBudgetLeft(email string) error {
	if retry, ok := s.emailRequests.Check(emailBudgetKey(email)); !ok {
		return s.throttled(retry)
	}
	return nil
}

// writeDelivery answers a request that mailed a code: {"message",
// "delivery_fallback"} plus the given key/value pairs.
func writeDelivery(w http.ResponseWriter, status int, res mail.Result, kv ...string) {
	body := map[string]any{"message": res.Message, "delivery_fallback": res.Fallback}
	for i := 0; i+1 < len(kv); i += 2 {
		body[kv[i]] = kv[i+1]
	}
	writeJSON(w, status, body)
}

// checkEmailBudget throttles code requests per address: it answers 429 when
// the budget is used up, else it spends one request of it. The request that
// uses the last unit of the budget is still served (Limiter.Add reports
// "over" for it, so Add alone would refuse one request too early).
func (s *Server) checkEmailBudget(email string) error {
	if err := s.emailBudgetLeft(email); err != nil {
		return err
	}
	s.emailRequests.Add(emailBudgetKey(email))
	return nil
}
