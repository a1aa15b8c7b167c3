package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"notechondria-auth/app"
)

// Passkey messages (issue 14, in the contract's message style).
const (
	msgCeremonyUnknown  = "Passkey rejected: Backend.Creators.Auth/passkeys — this passkey request is unknown, expired or already used, or it was started on another device; start again."
	msgPasskeyRejected  = "Passkey rejected: Backend.Creators.Auth/passkeys — the authenticator's answer could not be verified for this server."
	msgPasskeyTaken     = "Passkey rejected: Backend.Creators.Auth/passkeys — this passkey is registered already."
	msgTooManyPasskeys  = "Passkey rejected: Backend.Creators.Auth/passkeys — this account has the most passkeys allowed; remove one first."
	msgPasskeyCloned    = "Passkey rejected: Backend.Creators.Auth/passkeys — the authenticator's signature counter went backwards (a cloned authenticator?); sign in another way and remove this passkey."
	msgNotAnObject      = "Must be a JSON object."
	passkeyNameMax      = 64
	defaultPasskeyName  = "Passkey"
	webAuthnDisplayName = "Notechondria"
)

// newWebAuthn makes the relying party of cfg: its id (--webauthn-rp-id;
// default the host of --public-url, else "localhost") and origins
// (--webauthn-origins; default the origin of --public-url). With the
// relying party "localhost" and no origins configured, a ceremony expects
// the origin its begin request came from when that is a localhost origin
// (ceremonyOrigin), so `make run` works on any port.
func newWebAuthn(cfg *Config) (*webauthn.WebAuthn, error) {
	if cfg.WebAuthnRPID == "" {
		cfg.WebAuthnRPID = "localhost"
		if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
			cfg.WebAuthnRPID = u.Hostname()
		}
	}
	origins := cfg.WebAuthnOrigins
	if len(origins) == 0 && cfg.PublicURL != "" {
		if u, err := url.Parse(cfg.PublicURL); err == nil && u.Host != "" {
			origins = []string{u.Scheme + "://" + u.Host}
		}
	}
	if len(origins) == 0 {
		origins = []string{"http://localhost"} // ceremonyOrigin names the real one
	}
	return webauthn.New(&webauthn.Config{RPID: cfg.WebAuthnRPID, RPDisplayName: webAuthnDisplayName,
		RPOrigins: origins, AttestationPreference: protocol.PreferNoAttestation})
}

// ceremonyOrigin is the origin a ceremony begun by r must be finished
// from, when it is not one of the configured origins: the request's own
// localhost origin, used only while the relying party is "localhost" and
// no origins are configured. "": the configured origins.
func (s *Server) ceremonyOrigin(r *http.Request) string {
	if len(s.cfg.WebAuthnOrigins) > 0 || s.cfg.PublicURL != "" || s.cfg.WebAuthnRPID != "localhost" {
		return ""
	}
	u, err := url.Parse(r.Header.Get("Origin"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() != "localhost" || u.Path != "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// waUser is an account as the WebAuthn library sees it.
type waUser struct {
	id     int64
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.handle }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.name }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// webAuthnUser loads u's handle (made on first use when create is set;
// without it, an account that never registered a passkey has no handle and
// no credentials) and passkeys.
func (s *Server) webAuthnUser(ctx context.Context, u *app.User, create bool) (*waUser, error) {
	fresh := ""
	if create {
		b := make([]byte, 32)
		if _, err := io.ReadFull(s.rand, b); err != nil {
			return nil, app.Internal(err)
		}
		fresh = base64.RawURLEncoding.EncodeToString(b)
	}
	handle, err := s.store.WebAuthnHandle(ctx, u.ID, fresh)
	if app.ErrorCode(err) == app.ENOTFOUND && !create {
		return &waUser{id: u.ID, name: u.Username}, nil // never registered a passkey
	} else if err != nil {
		return nil, err
	}
	raw, err := base64.RawURLEncoding.DecodeString(handle)
	if err != nil || len(raw) == 0 {
		return nil, app.Internal(errors.New("bad stored WebAuthn handle"))
	}
	keys, err := s.store.Passkeys(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	wu := &waUser{id: u.ID, handle: raw, name: u.Username}
	for _, k := range keys {
		var c webauthn.Credential
		if err := json.Unmarshal(k.Credential, &c); err != nil {
			return nil, app.Internal(err)
		}
		wu.creds = append(wu.creds, c)
	}
	return wu, nil
}

// putCeremony stores the library's session state of a ceremony begun by r.
func (s *Server) putCeremony(r *http.Request, idHash, kind string, userID, sessionID int64, sd *webauthn.SessionData) error {
	sd.Origin = s.ceremonyOrigin(r)
	data, err := json.Marshal(sd)
	if err != nil {
		return app.Internal(err)
	}
	now := s.now()
	return s.store.PutCeremony(r.Context(), &app.Ceremony{IDHash: idHash, Kind: kind, UserID: userID,
		SessionID: sessionID, IPHash: s.ipHash(s.clientIP(r)), UserAgent: app.TruncateRunes(r.Header.Get("User-Agent"), 512),
		Data: data, CreatedAt: now, ExpiresAt: now.Add(app.CeremonyLifetime)})
}

// takeCeremony spends the ceremony of kind r names and checks that this
// client began it; every failure is the same field error.
func (s *Server) takeCeremony(r *http.Request, idHash, kind string) (*app.Ceremony, *webauthn.SessionData, error) {
	unknown := app.FieldError("challenge_id", msgCeremonyUnknown)
	c, err := s.store.TakeCeremony(r.Context(), idHash, kind, s.now())
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, nil, unknown
	} else if err != nil {
		return nil, nil, err
	}
	if c.IPHash != s.ipHash(s.clientIP(r)) || c.UserAgent != app.TruncateRunes(r.Header.Get("User-Agent"), 512) {
		return nil, nil, unknown
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal(c.Data, &sd); err != nil {
		return nil, nil, app.Internal(err)
	}
	// The stored row's expiry, read with the server's clock, decided; the
	// library would compare Expires with the wall clock.
	sd.Expires = time.Time{}
	return c, &sd, nil
}

// object reads a field that must be a JSON object and returns it encoded
// again (the WebAuthn library parses the browser's JSON itself).
func (in *input) object(name string, required bool) ([]byte, bool) {
	v, present := in.m[name]
	if !present {
		if required {
			in.fail(name, "This field is required.")
		}
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		in.fail(name, msgNotAnObject)
		return nil, false
	}
	b, err := json.Marshal(m)
	if err != nil {
		in.fail(name, msgNotAnObject)
		return nil, false
	}
	return b, true
}

// passkeyName reads the optional "name" of a passkey (at most 64
// characters).
func passkeyName(in *input) string {
	name, _ := in.str("name", field{allowBlank: true, maxLen: passkeyNameMax})
	return strings.TrimSpace(name)
}

// credentialRecord encodes a verified credential for the store.
func credentialRecord(c *webauthn.Credential) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, app.Internal(err)
	}
	return b, nil
}

// passkeyRejected is the field error of an answer the library refused.
func passkeyRejected() error { return app.FieldError("credential", msgPasskeyRejected) }
