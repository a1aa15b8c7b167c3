package api

import (
	"encoding/json"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/mail"
)

// Second-factor management messages.
const (
	msgNoSecretsKey     = "Two-factor setup unavailable: Backend.Creators.Auth/2fa — the server has no secrets key (--secrets-key-file), so authenticator apps are off."
	msgTOTPAlreadyOn    = "Authenticator setup rejected: Backend.Creators.Auth/2fa — an authenticator app is already enabled; turn it off first."
	msgTOTPNotPending   = "Authenticator confirmation rejected: Backend.Creators.Auth/2fa — no authenticator setup is pending; start one with POST auth/2fa/totp/setup/."
	msgTOTPWrongCode    = "Authenticator confirmation rejected: Backend.Creators.Auth/2fa — the code does not match the authenticator app."
	msgRecoveryNeedTOTP = "Recovery codes rejected: Backend.Creators.Auth/2fa — recovery codes back up an authenticator app; enable one first."
	msgNotBoolean       = "Must be a valid boolean."
)

// totpAD is the additional data that binds a sealed TOTP secret to its
// account.
func totpAD(userID int64) string { return "totp:" + itoa(userID) }

// openTOTP opens an account's sealed TOTP secret: 503 without a secrets
// key, an internal error when it does not open (another key).
func (s *Server) openTOTP(userID int64, sealed string) (string, error) {
	if s.box == nil {
		return "", app.Detail(app.EUNAVAILABLE, msgNoSecretsKey)
	}
	secret, err := s.box.Open(sealed, totpAD(userID))
	if err != nil {
		return "", app.Internal(err)
	}
	return secret, nil
}

// twoFactorJSON is GET auth/2fa/'s answer.
type twoFactorJSON struct {
	TOTP              bool     `json:"totp"`
	TOTPPending       bool     `json:"totp_pending"`
	RecoveryCodesLeft int      `json:"recovery_codes_left"`
	ConfirmNewSignIns bool     `json:"confirm_new_sign_ins"`
	Passkeys          int      `json:"passkeys"`
	Required          bool     `json:"required"`
	Channels          []string `json:"channels"`
}

// handleTwoFactorSummary is GET auth/2fa/: what is enabled, and the
// channels a password sign-in of this account would offer now (from
// another device: this session could approve it).
func (s *Server) handleTwoFactorSummary(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	f, err := s.store.SecondFactors(r.Context(), a.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, twoFactorJSON{TOTP: f.TOTPConfirmed, TOTPPending: !f.TOTPConfirmed && f.TOTPSecret != "",
		RecoveryCodesLeft: f.RecoveryLeft, ConfirmNewSignIns: f.ConfirmNewSignIns, Passkeys: f.Passkeys,
		Required: s.cfg.RequireSecondFactor, Channels: s.channelsFor(a.User, f, true)})
	return nil
}

// handleTwoFactorPatch is PATCH auth/2fa/ (step-up):
// {"confirm_new_sign_ins": bool}; answers the summary.
func (s *Server) handleTwoFactorPatch(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
	a := authFrom(r.Context())
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	on, present := in.boolean("confirm_new_sign_ins")
	if err := in.err(); err != nil {
		return err
	}
	if present {
		typ := app.EventSecondFactorRemoved
		if on {
			typ = app.EventSecondFactorAdded
		}
		ev := s.audit(r).Add(a.User.ID, typ, map[string]any{"kind": "confirm_new_sign_ins"})
		if err := s.store.SetConfirmNewSignIns(audited(r, ev), a.User.ID, on, s.now()); err != nil {
			return err
		}
		if !on && len(ev.Written) > 0 {
			s.noticeMail(r, a.User.Email, mail.SecondFactorRemovedNotice)
		}
	}
	return s.handleTwoFactorSummary(w, r, p)
}

// totpSetupJSON is POST auth/2fa/totp/setup/'s answer.
type totpSetupJSON struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
	QRSVG      string `json:"qr_svg"`
}

// handleTOTPSetup is POST auth/2fa/totp/setup/ (step-up): a fresh secret,
// sealed and stored as pending (a second setup replaces it) until
// confirmed with a code from the app.
func (s *Server) handleTOTPSetup(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	if s.box == nil {
		return app.Detail(app.EUNAVAILABLE, msgNoSecretsKey)
	}
	secret, err := app.NewTOTPSecret(s.rand)
	if err != nil {
		return app.Internal(err)
	}
	sealed, err := s.box.Seal(secret, totpAD(a.User.ID))
	if err != nil {
		return app.Internal(err)
	}
	err = s.store.BeginTOTP(r.Context(), a.User.ID, sealed, s.now())
	if app.ErrorCode(err) == app.ECONFLICT {
		return app.NonFieldError(msgTOTPAlreadyOn)
	} else if err != nil {
		return err
	}
	account := a.User.Email
	if account == "" {
		account = a.User.Username
	}
	uri := app.TOTPURI(s.cfg.TOTPIssuer, account, secret)
	svg, err := qrSVG(uri)
	if err != nil {
		return app.Internal(err)
	}
	writeSecret(w, http.StatusOK, totpSetupJSON{Secret: secret, OTPAuthURI: uri, QRSVG: svg})
	return nil
}

// recoveryCodesJSON carries recovery codes, shown this once.
type recoveryCodesJSON struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// handleTOTPConfirm is POST auth/2fa/totp/confirm/ {"code"}: a code of the
// pending secret turns TOTP on (that step counts as used) and answers ten
// fresh recovery codes.
func (s *Server) handleTOTPConfirm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	code, _ := in.str("code", field{required: true})
	if err := in.err(); err != nil {
		return err
	}
	f, err := s.store.SecondFactors(r.Context(), a.User.ID)
	if err != nil {
		return err
	}
	if f.TOTPConfirmed {
		return app.NonFieldError(msgTOTPAlreadyOn)
	}
	if f.TOTPSecret == "" {
		return app.NonFieldError(msgTOTPNotPending)
	}
	// Wrong codes spend the account's failure budget: confirm is not a
	// step-up endpoint, and must not become a TOTP oracle.
	res, err := s.take(r, charge{s.budgets.loginAccount, accountThrottleKey(a.User.ID)})
	if err != nil {
		return err
	}
	secret, err := s.openTOTP(a.User.ID, f.TOTPSecret)
	if err != nil {
		res.refund(r)
		return err
	}
	step, err := app.MatchTOTP(secret, code, s.now())
	if err != nil {
		res.refund(r)
		return app.Internal(err)
	}
	if step == 0 {
		return app.FieldError("code", msgTOTPWrongCode)
	}
	res.refund(r)
	codes, hashes, err := app.NewRecoveryCodes(s.rand)
	if err != nil {
		return app.Internal(err)
	}
	ev := s.audit(r).Add(a.User.ID, app.EventSecondFactorAdded, map[string]any{"kind": app.MethodTOTP})
	err = s.store.ConfirmTOTP(audited(r, ev), a.User.ID, step, hashes, s.now())
	switch app.ErrorCode(err) {
	case "":
	case app.ECONFLICT:
		return app.NonFieldError(msgTOTPAlreadyOn)
	case app.ENOTFOUND:
		return app.NonFieldError(msgTOTPNotPending)
	default:
		return err
	}
	writeSecret(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes})
	return nil
}

// handleTOTPDisable is DELETE auth/2fa/totp/ (step-up): removes the
// authenticator app and the recovery codes; idempotent, 204.
func (s *Server) handleTOTPDisable(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	ev := s.audit(r).Add(a.User.ID, app.EventSecondFactorRemoved, map[string]any{"kind": app.MethodTOTP})
	if err := s.store.DisableTOTP(audited(r, ev), a.User.ID, s.now()); err != nil {
		return err
	}
	if len(ev.Written) > 0 { // nothing was on: no event, no mail
		s.noticeMail(r, a.User.Email, mail.SecondFactorRemovedNotice)
	}
	noContent(w)
	return nil
}

// handleRecoveryCodes is POST auth/2fa/recovery-codes/ (step-up): ten new
// codes replace every old one.
func (s *Server) handleRecoveryCodes(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	f, err := s.store.SecondFactors(r.Context(), a.User.ID)
	if err != nil {
		return err
	}
	if !f.TOTPConfirmed {
		return app.NonFieldError(msgRecoveryNeedTOTP)
	}
	codes, hashes, err := app.NewRecoveryCodes(s.rand)
	if err != nil {
		return app.Internal(err)
	}
	ev := s.audit(r).Add(a.User.ID, app.EventRecoveryCodesRegenerated, nil)
	if err := s.store.ReplaceRecoveryCodes(audited(r, ev), a.User.ID, hashes, s.now()); err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes})
	return nil
}

// boolean reads a DRF BooleanField: JSON true/false, or the usual form
// spellings. present is false when the field is absent or invalid.
func (in *input) boolean(name string) (v, present bool) {
	raw, ok := in.m[name]
	if !ok {
		return false, false
	}
	switch t := raw.(type) {
	case bool:
		return t, true
	case string:
		switch t {
		case "true", "True", "TRUE", "1", "on", "yes":
			return true, true
		case "false", "False", "FALSE", "0", "off", "no":
			return false, true
		}
	case json.Number:
		switch t {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	}
	in.fail(name, msgNotBoolean)
	return false, false
}
