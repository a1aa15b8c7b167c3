package api

import (
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/mail"
)

// Change-email messages (CONTRACT #10).
const (
	msgEmailInUseRequest = "Email change aborted: Backend.Creators.Auth/email.change.request — this email is already in use by another account."
	msgEmailIdentity     = "Invalid or expired identity verification code."
	msgEmailCode         = "Email change aborted: Backend.Creators.Auth/email.change.confirm — verification code is invalid, expired, or already consumed."
	msgEmailInUseConfirm = "Email change aborted: Backend.Creators.Auth/email.change.confirm — this email is already in use by another account."
)

// handleChangeEmail is POST auth/change-email/: a request step (new_email +
// identity_code) or, when code is present and non-empty, the confirm step.
// The confirm code is bound to the user who requested it.
func (s *Server) handleChangeEmail(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	newEmail, _ := in.email("new_email", field{required: true})
	newEmail = strings.ToLower(newEmail)
	code, _ := in.str("code", field{allowBlank: true})
	if code != "" {
		if err := in.err(); err != nil {
			return err
		}
		return s.confirmEmailChange(w, r, a, newEmail, code)
	}
	identity, _ := in.str("identity_code", field{required: true})
	if newEmail != "" {
		if inUse, err := s.store.EmailInUse(r.Context(), newEmail, 0); err != nil {
			return err
		} else if inUse {
			in.fail("new_email", msgEmailInUseRequest)
		}
	}
	if err := in.err(); err != nil {
		return err
	}
	// Reserve the new address's mail budget and the guess budget before
	// spending the identity code: a 429 must not burn it.
	function := app.FuncIdentity(a.User.ID)
	budget, err := s.take(r, charge{s.budgets.mailChange, emailKey(newEmail)}, s.guesses(r, function))
	if err != nil {
		return err
	}
	if _, err := s.store.ConsumeCode(r.Context(), function, app.CodeFunction, app.CodeHash(identity), a.User.ID,
		s.codeAttemptsTotal(), s.now()); app.ErrorCode(err) == app.ENOTFOUND {
		budget[:1].refund(r) // no mail went out; the wrong guess stays counted
		return app.Detail(app.EINVALID, msgEmailIdentity)
	} else if err != nil {
		budget.refund(r)
		return err
	}
	budget[1:].refund(r)
	res, err := s.issueAndSend(r, budget[:1], mail.ChangeEmail, newEmail, app.FuncChangeEmail(newEmail), app.CodeFunction, a.User.ID, "")
	if err != nil {
		return err
	}
	writeDelivery(w, http.StatusOK, res, "email", newEmail)
	return nil
}

func (s *Server) confirmEmailChange(w http.ResponseWriter, r *http.Request, a *app.Auth, newEmail, code string) error {
	var keep int64
	if a.Session != nil {
		keep = a.Session.ID
	}
	guess, err := s.take(r, s.guesses(r, app.FuncChangeEmail(newEmail)))
	if err != nil {
		return err
	}
	old := a.User.Email
	ev := s.audit(r).Add(a.User.ID, app.EventEmailChanged,
		map[string]any{"old": app.MaskEmail(old), "new": app.MaskEmail(newEmail)})
	ev.Cause = app.CauseEmailChange
	_, err = s.store.ChangeEmail(audited(r, ev), a.User.ID, keep, newEmail, app.CodeHash(code), s.codeAttemptsTotal(), s.now())
	if app.ErrorCode(err) != app.ENOTFOUND {
		guess.refund(r) // only a wrong code counts
	}
	switch app.ErrorCode(err) {
	case "":
	case app.ENOTFOUND:
		return app.NonFieldError(msgEmailCode)
	case app.ECONFLICT:
		return app.NonFieldError(msgEmailInUseConfirm)
	default:
		return err
	}
	s.emailChangedMail(r, a.User.ID, old, newEmail)
	writeJSON(w, http.StatusOK, map[string]string{"message": "Email updated.", "email": newEmail})
	return nil
}
