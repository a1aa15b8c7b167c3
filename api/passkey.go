package api

import (
	"encoding/base64"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/mail"
)

// passkeyJSON is a passkey as GET auth/passkeys/ lists it.
type passkeyJSON struct {
	ID         int64   `json:"id"`
	Name       string  `json:"name"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
}

func passkeyView(p *app.Passkey) passkeyJSON {
	return passkeyJSON{ID: p.ID, Name: p.Name, CreatedAt: isoTime(p.CreatedAt), LastUsedAt: isoTimePtr(p.LastUsedAt)}
}

// ceremonyJSON answers a begin step: the id the finish step names and the
// options for navigator.credentials.create or .get ({"publicKey": ...},
// binary fields base64url).
type ceremonyJSON struct {
	ChallengeID string `json:"challenge_id"`
	Options     any    `json:"options"`
}

// newCeremonyID makes a ceremony id (256 bits) and its stored hash.
func (s *Server) newCeremonyID() (id, hash string, err error) {
	if id, err = app.RandomHex(s.rand, 32); err != nil {
		return "", "", app.Internal(err)
	}
	return id, app.HashHex(id), nil
}

// handleRegisterPasskeyBegin is POST auth/passkeys/register/begin/
// (session, step-up), {"name"?}: the creation options of a discoverable,
// user-verifying credential, excluding the account's passkeys.
func (s *Server) handleRegisterPasskeyBegin(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	passkeyName(in)
	if err := in.err(); err != nil {
		return err
	}
	wu, err := s.webAuthnUser(r.Context(), a.User, true)
	if err != nil {
		return err
	}
	if len(wu.creds) >= app.MaxPasskeys {
		return app.NonFieldError(msgTooManyPasskeys)
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(wu.creds))
	for _, c := range wu.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, sd, err := s.wa.BeginRegistration(wu,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired}),
		webauthn.WithExclusions(exclude),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return app.Internal(err)
	}
	creation.Response.Timeout = int(app.CeremonyLifetime.Milliseconds())
	id, hash, err := s.newCeremonyID()
	if err != nil {
		return err
	}
	if err := s.putCeremony(r, hash, app.CeremonyRegister, a.User.ID, a.Session.ID, sd); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ceremonyJSON{ChallengeID: id, Options: creation})
	return nil
}

// handleRegisterPasskeyFinish is POST auth/passkeys/register/finish/
// (session, step-up), {"challenge_id", "name"?, "credential"}: verifies the
// authenticator's attestation against the ceremony (spent either way) and
// stores the passkey; 201 with it.
func (s *Server) handleRegisterPasskeyFinish(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	in, err := decodeBody(r)
	if err != nil {
		return err
	}
	id, _ := in.str("challenge_id", field{required: true})
	name := passkeyName(in)
	raw, _ := in.object("credential", true)
	if err := in.err(); err != nil {
		return err
	}
	c, sd, err := s.takeCeremony(r, app.HashHex(id), app.CeremonyRegister)
	if err != nil {
		return err
	}
	if c.UserID != a.User.ID || c.SessionID != a.Session.ID {
		return app.FieldError("challenge_id", msgCeremonyUnknown)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		return passkeyRejected()
	}
	wu, err := s.webAuthnUser(r.Context(), a.User, false)
	if err != nil {
		return err
	}
	cred, err := s.wa.CreateCredential(wu, *sd, parsed)
	if err != nil {
		s.log.Debug().Err(err).Msg("passkey registration refused")
		return passkeyRejected()
	}
	record, err := credentialRecord(cred)
	if err != nil {
		return err
	}
	if name == "" {
		name = a.Session.DeviceLabel
	}
	if name == "" {
		name = defaultPasskeyName
	}
	p := &app.Passkey{UserID: a.User.ID, CredentialID: base64.RawURLEncoding.EncodeToString(cred.ID),
		Name: app.TruncateRunes(name, passkeyNameMax), Credential: record, CreatedAt: s.now()}
	ev := s.audit(r).Add(a.User.ID, app.EventSecondFactorAdded, map[string]any{"kind": app.MethodPasskey})
	if err := s.store.AddPasskey(audited(r, ev), p); app.ErrorCode(err) == app.ECONFLICT {
		if len(wu.creds) >= app.MaxPasskeys {
			return app.NonFieldError(msgTooManyPasskeys)
		}
		return app.FieldError("credential", msgPasskeyTaken)
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, passkeyView(p))
	return nil
}

// handlePasskeys is GET auth/passkeys/: the account's passkeys, oldest
// first.
func (s *Server) handlePasskeys(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	keys, err := s.store.Passkeys(r.Context(), authFrom(r.Context()).User.ID)
	if err != nil {
		return err
	}
	out := make([]passkeyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, passkeyView(k))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleDeletePasskey is DELETE auth/passkeys/<id>/ (step-up): 204, or 404
// when the id is not one of the account's passkeys.
func (s *Server) handleDeletePasskey(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
	a := authFrom(r.Context())
	id, err := pathID(p, "Passkey not found.")
	if err != nil {
		return err
	}
	ev := s.audit(r).Add(a.User.ID, app.EventSecondFactorRemoved, map[string]any{"kind": app.MethodPasskey})
	if err := s.store.DeletePasskey(audited(r, ev), a.User.ID, id, s.now()); app.ErrorCode(err) == app.ENOTFOUND {
		return app.Detail(app.ENOTFOUND, "Passkey not found.")
	} else if err != nil {
		return err
	}
	s.noticeMail(r, a.User.Email, mail.SecondFactorRemovedNotice)
	noContent(w)
	return nil
}
