package api

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/mail"
	"notechondria-auth/password"
)

// Messages of the identity step-up and password change (CONTRACT #8, #9).
const (
	msgNoEmailOnFile         = "No email address on file for this account."
	msgPasswordPolicyChange  = "Password not updated: Backend.Creators.Auth/password.change.validate — password must contain at least one uppercase letter, one lowercase letter, and one digit or special character."
	msgIdentityCodeInvalid   = "Password not updated: Backend.Creators.Auth/password.change — identity verification code is invalid, expired, or already consumed."
	msgCurrentPasswordWrong  = "Password not updated: Backend.Creators.Auth/password.change — current password does not match."
	msgPasswordChanged       = "Password changed: Backend.Creators.Auth/password.change — session token rotated; previous sessions invalidated."
	msgSessionRequiredForKey = "This action requires a signed-in session: an API key cannot change the password or the email address."
	// Ours: a leaked API key must not link or unlink sign-in providers.
	msgSessionRequiredForLink = "This action requires a signed-in session: an API key cannot link or unlink a sign-in provider."
)

// handleSendIdentityCode is POST auth/send-identity-code/.
func (s *Server) handleSendIdentityCode(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	u := authFrom(r.Context()).User
	if u.Email == "" {
		return app.Detail(app.EINVALID, msgNoEmailOnFile)
	}
	budget, err := s.take(r, s.ownerMail(u.ID))
	if err != nil {
		return err
	}
	res, err := s.issueAndSend(r, budget, mail.Identity, u.Email, app.FuncIdentity(u.ID), app.CodeFunction, u.ID, "")
	if err != nil {
		return err
	}
	writeDelivery(w, http.StatusOK, res, "masked_email", maskEmail(u.Email))
	return nil
}

// handleChangePassword is POST auth/change-password/. Unlike the original,
// it checks the current password before spending the identity code, so a
// typo does not burn the code.
func (s *Server) handleChangePassword(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	current, _ := in.str("current_password", field{required: true})
	next, ok := in.str("new_password", field{required: true, minLen: 8})
	code, _ := in.str("identity_code", field{required: true})
	if ok && !password.MeetsPolicy(next) {
		in.fail("new_password", msgPasswordPolicyChange)
	}
	if err := in.err(); err != nil {
		return err
	}
	// The account's sign-in budget, reserved before the hash; a correct
	// current password gives it back.
	pwBudget, err := s.take(r, charge{s.budgets.loginAccount, accountThrottleKey(a.User.ID)})
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(r.Context(), a.User.ID)
	if err != nil {
		pwBudget.refund(r)
		return err
	}
	if ok, _, _ := s.hasher.Verify(r.Context(), current, u.Password); !ok {
		return app.Detail(app.EINVALID, msgCurrentPasswordWrong)
	}
	pwBudget.refund(r)
	function := app.FuncIdentity(u.ID)
	guess, err := s.take(r, s.guesses(r, function))
	if err != nil {
		return err
	}
	if _, err := s.store.ConsumeCode(r.Context(), function, app.CodeFunction, app.CodeHash(code), u.ID,
		s.codeAttemptsTotal(), s.now()); app.ErrorCode(err) == app.ENOTFOUND {
		return app.Detail(app.EINVALID, msgIdentityCodeInvalid)
	} else if err != nil {
		return err
	}
	guess.refund(r)
	hash, err := s.hasher.Hash(r.Context(), next)
	if err != nil {
		return app.Internal(err)
	}
	ev := s.audit(r).Add(u.ID, app.EventPasswordChanged, map[string]any{"by": "user"})
	ev.Cause = app.CausePasswordChange
	_, err = s.store.SetPassword(audited(r, ev), u.ID, hash, true, 0, s.now())
	if err != nil {
		return err
	}
	u.Password = hash
	// The new session of this device is no sign-in: password.changed says
	// what happened.
	p, _, err := s.mint(r, u, hash, app.MethodPassword, app.MethodEmail)
	if err != nil {
		return err
	}
	s.noticeMail(r, u.Email, mail.PasswordChangedNotice)
	writeSecret(w, http.StatusOK, struct {
		Message string      `json:"message"`
		Token   string      `json:"token"`
		Session sessionJSON `json:"session"`
	}{msgPasswordChanged, p.Token, p.Session})
	return nil
}

// handleRotateAPIKey is POST auth/rotate-api-key/: a new "ntc_" key, shown
// once; the previous key stops working at once.
func (s *Server) handleRotateAPIKey(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	h, err := app.RandomHex(s.rand, app.APIKeyBytes)
	if err != nil {
		return app.Internal(err)
	}
	key := app.APIKeyPrefix + h
	ev := s.audit(r).Add(a.User.ID, app.EventAPIKeyRotated, map[string]any{"prefix": key[:8]})
	if _, err := s.store.SetAPIKey(audited(r, ev), a.User.ID, app.HashHex(key), key[:8], s.now()); err != nil {
		return err
	}
	s.noticeMail(r, a.User.Email, mail.APIKeyRotatedNotice)
	writeSecret(w, http.StatusOK, map[string]string{"api_key": key, "api_key_prefix": key[:8]})
	return nil
}
