package app

import (
	"context"
	"time"
)

// Passkey is a registered WebAuthn credential of an account. The
// application treats Credential as opaque: it is the WebAuthn library's
// credential record (public key, sign counter, flags), encoded by the api
// package, and holds nothing secret.
type Passkey struct {
	ID     int64
	UserID int64
	// CredentialID is the authenticator's credential id, base64url.
	CredentialID string
	Name         string
	Credential   []byte
	CreatedAt    time.Time
	LastUsedAt   *time.Time
}

// The kinds of a WebAuthn ceremony in flight (Ceremony.Kind).
const (
	// CeremonyRegister adds a passkey to a signed-in account.
	CeremonyRegister = "register"
	// CeremonyLogin is a passwordless sign-in with a discoverable passkey.
	CeremonyLogin = "login"
	// CeremonyChallenge is the "passkey" step of a pending two-step
	// sign-in; its IDHash is the challenge's.
	CeremonyChallenge = "2fa"
	// CeremonyReauth is a step-up (auth/reauth/) of a signed-in session
	// with one of its account's passkeys.
	CeremonyReauth = "reauth"
)

// CeremonyLifetime is how long a WebAuthn ceremony can be finished (the
// timeout the browser is given, too), and MaxPasskeys how many passkeys
// one account may register.
const (
	CeremonyLifetime = 5 * time.Minute
	MaxPasskeys      = 20
)

// Ceremony is a WebAuthn ceremony in flight: what its finish step needs
// (Data: the library's session state, encoded by the api package), bound
// to the client that began it. The client holds the id; only its hash is
// stored.
type Ceremony struct {
	IDHash string
	Kind   string
	// UserID is the account (0 for a passwordless sign-in, where the
	// authenticator names it), SessionID the session that began a
	// registration.
	UserID    int64
	SessionID int64
	IPHash    string
	UserAgent string
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PasskeyStore keeps passkeys, the accounts' WebAuthn user handles and the
// ceremonies in flight. Adding or deleting a passkey keeps
// users.second_factor (an account with a passkey has a second factor) in
// the same transaction and signals a user change.
type PasskeyStore interface {
	// WebAuthnHandle returns the account's user handle, storing
	// newHandle first when it has none (a race keeps one of them); with
	// newHandle "" it only reads: ENOTFOUND when the account has none.
	WebAuthnHandle(ctx context.Context, userID int64, newHandle string) (string, error)
	// UserByWebAuthnHandle returns the account of a user handle. ENOTFOUND.
	UserByWebAuthnHandle(ctx context.Context, handle string) (int64, error)
	// Passkeys lists the account's passkeys, oldest first.
	Passkeys(ctx context.Context, userID int64) ([]*Passkey, error)
	// AddPasskey inserts p (setting p.ID). ECONFLICT when the credential
	// id is registered already (to any account) or the account has
	// MaxPasskeys.
	AddPasskey(ctx context.Context, p *Passkey) error
	// DeletePasskey removes one of the account's passkeys. ENOTFOUND when
	// it is not the account's.
	DeletePasskey(ctx context.Context, userID, id int64, now time.Time) error
	// UsePasskey stores the credential record after a successful
	// assertion (its new sign counter) and the time of use. ENOTFOUND.
	UsePasskey(ctx context.Context, userID int64, credentialID string, credential []byte, now time.Time) error
	// PutCeremony stores a ceremony, replacing one with the same id hash.
	PutCeremony(ctx context.Context, c *Ceremony) error
	// TakeCeremony deletes and returns the ceremony of kind with idHash:
	// a ceremony is spent by its first finish, right or wrong. ENOTFOUND
	// when there is none or it expired before now.
	TakeCeremony(ctx context.Context, idHash, kind string, now time.Time) (*Ceremony, error)
}
