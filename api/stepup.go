package api

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// Step-up messages (issue 14: POST auth/reauth/ and the endpoints that need
// a fresh session).
const (
	msgReauthRequired  = "Step-up required: Backend.Creators.Auth/reauth — confirm your password or a second factor with POST auth/reauth/ first; this change needs a recent sign-in."
	msgReauthPassword  = "Re-authentication rejected: Backend.Creators.Auth/reauth — the password is not correct."
	msgReauthCode      = "Re-authentication rejected: Backend.Creators.Auth/reauth — the code is not correct or was already used."
	msgReauthNeedInput = "Re-authentication rejected: Backend.Creators.Auth/reauth — send either a password or a channel and a code."
	msgReauthPasskey   = "Re-authentication rejected: Backend.Creators.Auth/reauth — the passkey's answer could not be verified, or its request is unknown, expired or used; start again with {\"channel\": \"passkey\"}."
	msgReauthNoPasskey = "Re-authentication rejected: Backend.Creators.Auth/reauth — this account has no passkey."
)

// reauthChannels are the second factors POST auth/reauth/ accepts (an email
// code would need a send step first).
var reauthChannels = []string{app.MethodTOTP, app.MethodRecovery, app.MethodPasskey}

// stepUp wraps a session-only handler that changes the account's sign-in
// security: the current session must have proven its factors within the
// re-authentication window, else 403 {"detail", "reauth_required": true}.
// The freshness is the session's authenticated_at, read from the token
// check's snapshot (MarkSessionFresh drops it from every cache).
func (s *Server) stepUp(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		a := authFrom(r.Context())
		if a == nil || a.Session == nil || s.now().Sub(a.Session.Authenticated()) > s.cfg.ReauthWindow {
			return &app.Error{Code: app.EFORBIDDEN, Message: msgReauthRequired,
				Extra: map[string]any{"reauth_required": true}}
		}
		return h(w, r, p)
	}
}

// handleReauth is POST auth/reauth/: {"password"}, {"channel", "code"} or,
// for a passkey, {"channel": "passkey"} (200: request options and a
// challenge_id) then {"channel": "passkey", "challenge_id", "credential"}
// marks the current session freshly authenticated. Wrong answers are
// charged to the account's sign-in failure budget, like wrong passwords at
// sign-in, so a stolen session cannot guess the password or a code here
// any faster.
func (s *Server) handleReauth(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	pw, hasPW := in.str("password", field{noTrim: true})
	var channel, code, ceremony string
	var credential []byte
	if !hasPW {
		channel, _ = in.choiceField("channel", reauthChannels...)
		if channel == app.MethodPasskey {
			ceremony, _ = in.str("challenge_id", field{required: in.has("credential")})
			credential, _ = in.object("credential", in.has("challenge_id"))
		} else {
			code, _ = in.str("code", field{required: in.has("channel")})
		}
	}
	if err := in.err(); err != nil {
		return err
	}
	if !hasPW && channel == "" {
		return app.NonFieldError(msgReauthNeedInput)
	}
	if channel == app.MethodPasskey && credential == nil {
		return s.startPasskeyReauth(w, r, a) // a begin guesses nothing: no budget
	}
	res, err := s.take(r, charge{s.budgets.loginAccount, accountThrottleKey(a.User.ID)})
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(r.Context(), a.User.ID)
	if err != nil {
		res.refund(r)
		return err
	}
	if hasPW {
		ok, _, _ := s.hasher.Verify(r.Context(), pw, u.Password)
		if !ok {
			s.metrics.loginFailures.Add(1)
			return app.FieldError("password", msgReauthPassword)
		}
	} else {
		var step *app.SecondStep
		if channel == app.MethodPasskey {
			step, err = s.assertionStep(r, app.HashHex(ceremony), app.CeremonyReauth, u.ID, a.Session.ID, credential)
		} else {
			step, err = s.secondStep(r, u.ID, channel, code)
		}
		if err != nil {
			res.refund(r)
			return err
		}
		if step == nil || s.store.SpendSecondFactor(r.Context(), *step) != nil {
			s.metrics.loginFailures.Add(1)
			if channel == app.MethodPasskey {
				return app.FieldError("credential", msgReauthPasskey)
			}
			return app.FieldError("code", msgReauthCode)
		}
	}
	res.refund(r)
	if _, err := s.store.MarkSessionFresh(r.Context(), u.ID, a.Session.ID, s.now()); err != nil {
		return err
	}
	noContent(w)
	return nil
}

// secondStep turns a typed code for channel into what it would spend: a
// TOTP time step (matched against the account's secret at the server's
// clock), a recovery code's hash or, for "email", the hash of a mailed
// code of function emailFunction (see challengeStep). nil: the code cannot
// be right (wrong TOTP, no TOTP). Errors: the store's, 503 when a TOTP
// secret cannot be opened (no or another secrets key).
func (s *Server) secondStep(r *http.Request, userID int64, channel, code string) (*app.SecondStep, error) {
	step := &app.SecondStep{UserID: userID, Now: s.now()}
	switch channel {
	case app.MethodTOTP:
		f, err := s.store.SecondFactors(r.Context(), userID)
		if err != nil {
			return nil, err
		}
		if !f.TOTPConfirmed {
			return nil, nil
		}
		secret, err := s.openTOTP(userID, f.TOTPSecret)
		if err != nil {
			return nil, err
		}
		n, err := app.MatchTOTP(secret, code, step.Now)
		if err != nil {
			return nil, app.Internal(err)
		}
		if n == 0 {
			return nil, nil
		}
		step.TOTPStep = n
	case app.MethodRecovery:
		step.RecoveryHash = app.RecoveryHash(code)
	default:
		return nil, nil
	}
	return step, nil
}
