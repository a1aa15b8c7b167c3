package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/mail"
	"notechondria-auth/password"
)

// Password reset messages (CONTRACT #6, #7).
const (
	msgResetNoAccount = "Password reset email not sent: Backend.Creators.Auth/password.reset.request — no account found for this email."
	msgResetCode      = "Password not updated: Backend.Creators.Auth/password.reset.confirm — reset code is invalid, expired, or already consumed."
	msgResetPolicy    = "Password not updated: Backend.Creators.Auth/password.reset.confirm — password must contain at least one uppercase letter, one lowercase letter, and one digit or special character."
	msgResetDone      = "Password updated. You can now log in."
)

// handlePasswordReset is POST auth/password-reset/.
func (s *Server) handlePasswordReset(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	email, _ := in.email("email", field{required: true})
	if err := in.err(); err != nil {
		return err
	}
	email = strings.ToLower(email)
	// The address's budget first: while it is spent, a flood of resets
	// costs no lookup (an unknown address gives its unit back).
	budget, err := s.take(r, s.anonMail(email))
	if err != nil {
		return err
	}
	u, err := s.store.UserByEmail(r.Context(), email)
	var note string
	if err == nil {
		note, err = s.resetNote(r, u)
	}
	if err != nil {
		budget.refund(r) // no mail went out
		if app.ErrorCode(err) == app.ENOTFOUND {
			return app.FieldError("email", msgResetNoAccount)
		}
		return err
	}
	res, err := s.issueAndSend(r, budget, mail.PasswordReset, email, app.FuncPasswordReset(email), app.CodeFunction, 0, note)
	if err != nil {
		return err
	}
	writeDelivery(w, http.StatusOK, res, "email", email)
	return nil
}

// handlePasswordResetConfirm is POST auth/password-reset/confirm/. Unlike
// the original it applies the password policy and revokes every session.
func (s *Server) handlePasswordResetConfirm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	email, _ := in.email("email", field{required: true})
	code, _ := in.str("code", field{required: true})
	pw, ok := in.str("password", field{required: true, minLen: 8})
	if ok && !password.MeetsPolicy(pw) {
		in.fail("password", msgResetPolicy)
	}
	if err := in.err(); err != nil {
		return err
	}
	email = strings.ToLower(email)
	function := app.FuncPasswordReset(email)
	guess, err := s.take(r, s.guesses(r, function))
	if err != nil {
		return err
	}
	// Look at the code before hashing the new password: a bogus confirm
	// costs a read, not a ~25 ms hash. A miss still counts as a wrong try.
	hit, err := s.liveCodeMatches(r, function, app.CodeFunction, code)
	if err != nil {
		return err
	}
	if !hit {
		return s.wrongCode(r, function, app.CodeFunction, code, 0, app.NonFieldError(msgResetCode))
	}
	hash, err := s.hasher.Hash(r.Context(), pw)
	if err != nil {
		return app.Internal(err)
	}
	// The account is the one the store finds for the address, in the
	// transaction (user id 0: the store fills it in).
	ev := s.audit(r).Add(0, app.EventPasswordReset, nil)
	ev.Cause = app.CausePasswordReset
	u, _, err := s.store.ResetPassword(audited(r, ev), email, app.CodeHash(code), hash, s.codeAttemptsTotal(), s.now())
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.NonFieldError(msgResetCode)
	} else if err != nil {
		return err
	}
	s.noticeMail(r, u.Email, mail.PasswordResetNotice)
	guess.refund(r)
	writeJSON(w, http.StatusOK, map[string]string{"message": msgResetDone})
	return nil
}

// resetNote tells the owner, in the reset mail, which sign-in providers and
// how many passkeys the account has: a reset ends every credential but the
// new password, those included, and the owner adds them again.
func (s *Server) resetNote(r *http.Request, u *app.User) (string, error) {
	links, err := s.store.SocialAccountsByUser(r.Context(), u.ID)
	if err != nil {
		return "", err
	}
	keys, err := s.store.Passkeys(r.Context(), u.ID)
	if err != nil || (len(links) == 0 && len(keys) == 0) {
		return "", err
	}
	var have []string
	if len(links) > 0 {
		names := make([]string, 0, len(links))
		for _, l := range links {
			names = append(names, providerTitle(l.Provider))
		}
		have = append(have, "Sign-in providers linked to this account: "+strings.Join(names, ", ")+".")
	}
	if n := len(keys); n == 1 {
		have = append(have, "This account has 1 passkey.")
	} else if n > 1 {
		have = append(have, "This account has "+strconv.Itoa(n)+" passkeys.")
	}
	return strings.Join(have, " ") + " Resetting the password unlinks the providers, removes the passkeys and ends every session and the API key; add them again from your account page afterwards.", nil
}
