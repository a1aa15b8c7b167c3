package api

import (
	"context"
	"encoding/base64"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// handlePasskeyLoginBegin is POST auth/passkeys/login/begin/ (anonymous):
// the request options of a passwordless sign-in with any discoverable
// passkey of this relying party, user verification required.
func (s *Server) handlePasskeyLoginBegin(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if _, err := decodeBody(r); err != nil {
		return err
	}
	assertion, sd, err := s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return app.Internal(err)
	}
	assertion.Response.Timeout = int(app.CeremonyLifetime.Milliseconds())
	id, hash, err := s.newCeremonyID()
	if err != nil {
		return err
	}
	if err := s.putCeremony(r, hash, app.CeremonyLogin, 0, 0, sd); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ceremonyJSON{ChallengeID: id, Options: assertion})
	return nil
}

// handlePasskeyLoginFinish is POST auth/passkeys/login/finish/
// {"challenge_id", "credential"}: a verified, user-verifying assertion of a
// registered passkey signs its account in (the auth payload; a passkey with
// user verification is two factors, so no second step follows). A refused
// answer is charged to the client network's sign-in failure budget, taken
// before the check.
func (s *Server) handlePasskeyLoginFinish(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	id, _ := in.str("challenge_id", field{required: true})
	raw, _ := in.object("credential", true)
	if err := in.err(); err != nil {
		return err
	}
	res, err := s.take(r, charge{s.budgets.loginIP, "ip:" + clientNet(s.clientIP(r))})
	if err != nil {
		return err
	}
	_, sd, err := s.takeCeremony(r, app.HashHex(id), app.CeremonyLogin)
	if err != nil {
		res.refund(r)
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		s.metrics.loginFailures.Add(1)
		return passkeyRejected()
	}
	var owner *app.User
	lookup := func(_, userHandle []byte) (webauthn.User, error) {
		u, err := s.userByHandle(r.Context(), userHandle)
		if err != nil {
			return nil, err
		}
		owner = u
		return s.webAuthnUser(r.Context(), u, false)
	}
	_, cred, err := s.wa.ValidatePasskeyLogin(lookup, *sd, parsed)
	if err != nil || owner == nil {
		s.log.Debug().Err(err).Msg("passkey sign-in refused")
		s.metrics.loginFailures.Add(1)
		return passkeyRejected()
	}
	if cred.Authenticator.CloneWarning {
		s.metrics.loginFailures.Add(1)
		return app.FieldError("credential", msgPasskeyCloned)
	}
	if !owner.IsActive {
		return app.NonFieldError(msgLoginMismatch)
	}
	record, err := credentialRecord(cred)
	if err != nil {
		return err
	}
	credID := base64.RawURLEncoding.EncodeToString(cred.ID)
	if err := s.store.UsePasskey(r.Context(), owner.ID, credID, record, s.now()); app.ErrorCode(err) == app.ENOTFOUND {
		return passkeyRejected() // removed meanwhile
	} else if err != nil {
		return err
	}
	res.refund(r)
	p, err := s.mintSessionFor(r, owner, "", app.MethodPasskey)
	if err != nil {
		return err
	}
	writeSecret(w, http.StatusOK, p)
	return nil
}

// userByHandle returns the account of a WebAuthn user handle.
func (s *Server) userByHandle(ctx context.Context, handle []byte) (*app.User, error) {
	id, err := s.store.UserByWebAuthnHandle(ctx, base64.RawURLEncoding.EncodeToString(handle))
	if err != nil {
		return nil, err
	}
	return s.store.UserByID(ctx, id)
}

// startPasskey answers POST auth/2fa/challenge/ for "passkey": the request
// options for the account's passkeys (user verification preferred: the
// password was the first factor), stored under the challenge's id hash.
func (s *Server) startPasskey(w http.ResponseWriter, r *http.Request, c *app.Challenge) error {
	u, err := s.store.UserByID(r.Context(), c.UserID)
	if err != nil {
		return err
	}
	assertion, err := s.beginAssertion(r, u, protocol.VerificationPreferred,
		app.FieldError("channel", msgChannelNotOffered), c.IDHash, app.CeremonyChallenge, 0)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"channel": app.MethodPasskey, "options": assertion})
	return nil
}

// startPasskeyReauth answers POST auth/reauth/ {"channel": "passkey"}
// without an answer: the request options for the account's passkeys (user
// verification required: the passkey alone re-proves the sign-in), a
// ceremony bound to this session and client.
func (s *Server) startPasskeyReauth(w http.ResponseWriter, r *http.Request, a *app.Auth) error {
	id, hash, err := s.newCeremonyID()
	if err != nil {
		return err
	}
	assertion, err := s.beginAssertion(r, a.User, protocol.VerificationRequired,
		app.FieldError("channel", msgReauthNoPasskey), hash, app.CeremonyReauth, a.Session.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ceremonyJSON{ChallengeID: id, Options: assertion})
	return nil
}

// beginAssertion makes the request options for u's passkeys with user
// verification uv and stores the ceremony of kind under idHash (bound to
// sessionID when it is not 0); an account without passkeys gets none.
func (s *Server) beginAssertion(r *http.Request, u *app.User, uv protocol.UserVerificationRequirement,
	none error, idHash, kind string, sessionID int64) (*protocol.CredentialAssertion, error) {
	wu, err := s.webAuthnUser(r.Context(), u, false)
	if err != nil {
		return nil, err
	}
	if len(wu.creds) == 0 {
		return nil, none
	}
	assertion, sd, err := s.wa.BeginLogin(wu, webauthn.WithUserVerification(uv))
	if err != nil {
		return nil, app.Internal(err)
	}
	assertion.Response.Timeout = int(app.CeremonyLifetime.Milliseconds())
	return assertion, s.putCeremony(r, idHash, kind, u.ID, sessionID, sd)
}

// passkeyStep verifies the assertion raw against the passkey step started
// for c. nil step: a wrong answer (the caller counts it); the ceremony is
// spent either way, so every answer needs a new start.
func (s *Server) passkeyStep(r *http.Request, c *app.Challenge, raw []byte) (*app.SecondStep, error) {
	return s.assertionStep(r, c.IDHash, app.CeremonyChallenge, c.UserID, 0, raw)
}

// assertionStep spends the ceremony of kind with idHash, begun by this
// client for the account userID (and, when sessionID is not 0, by that
// session), and verifies the assertion raw against it: the step that
// stores the passkey's new record, or nil for a wrong answer (no such live
// ceremony, another account's or session's, or an assertion that does not
// verify).
func (s *Server) assertionStep(r *http.Request, idHash, kind string, userID, sessionID int64, raw []byte) (*app.SecondStep, error) {
	c, sd, err := s.takeCeremony(r, idHash, kind)
	if app.ErrorCode(err) == app.EINVALID {
		return nil, nil // never started, or answered already
	} else if err != nil {
		return nil, err
	}
	if c.UserID != userID || (sessionID != 0 && c.SessionID != sessionID) {
		return nil, nil
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return nil, nil
	}
	u, err := s.store.UserByID(r.Context(), userID)
	if err != nil {
		return nil, err
	}
	wu, err := s.webAuthnUser(r.Context(), u, false)
	if err != nil {
		return nil, err
	}
	cred, err := s.wa.ValidateLogin(wu, *sd, parsed)
	if err != nil || cred.Authenticator.CloneWarning {
		s.log.Debug().Err(err).Msg("passkey assertion refused")
		return nil, nil
	}
	record, err := credentialRecord(cred)
	if err != nil {
		return nil, err
	}
	return &app.SecondStep{UserID: u.ID, PasskeyCredentialID: base64.RawURLEncoding.EncodeToString(cred.ID),
		PasskeyCredential: record, Now: s.now()}, nil
}
