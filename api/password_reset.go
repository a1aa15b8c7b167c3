package api

import (
	"net/http"
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
	if err := s.checkEmailBudget(email); err != nil {
		return err
	}
	if _, err := s.store.UserByEmail(r.Context(), email); app.ErrorCode(err) == app.ENOTFOUND {
		return app.FieldError("email", msgResetNoAccount)
	} else if err != nil {
		return err
	}
	res, err := s.issueAndSend(r, mail.PasswordReset, email, app.FuncPasswordReset(email), app.CodeFunction, 0)
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
	hash, err := s.hasher.Hash(r.Context(), pw)
	if err != nil {
		return app.Internal(err)
	}
	_, _, err = s.store.ResetPassword(r.Context(), strings.ToLower(email), app.CodeHash(code), hash, s.cfg.CodeMaxAttempts, s.now())
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.NonFieldError(msgResetCode)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": msgResetDone})
	return nil
}
