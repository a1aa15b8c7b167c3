package app

import (
	"context"
	"time"
)

// Purposes of an action token.
const (
	// TokenNotMe is the "This wasn't me" link of a new-device mail:
	// SessionID is the sign-in reported.
	TokenNotMe = "not_me"
	// TokenEmailDispute is the link mailed to the old address after an
	// email change: Data is the old address, put back when it is used.
	TokenEmailDispute = "email_dispute"
)

// ActionTokenLifetime is how long a mailed link works (issue 15: 24 h).
const ActionTokenLifetime = 24 * time.Hour

// ActionTokenBytes is the size of a link's token: 256 random bits, sent as
// 64 hex digits; only its SHA-256 is stored.
const ActionTokenBytes = 32

// ActionToken is a single-use link mailed to an account's owner.
type ActionToken struct {
	Hash      string // sha256_hex of the token
	UserID    int64
	Purpose   string // TokenNotMe or TokenEmailDispute
	SessionID int64
	Data      string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// Live reports whether the token can still be used at now (unused, and not
// past its expiry).
func (t *ActionToken) Live(now time.Time) bool { return t.UsedAt == nil && !now.After(t.ExpiresAt) }

// ActionTokenStore keeps the mailed links.
type ActionTokenStore interface {
	// CreateActionToken stores t. ECONFLICT when its hash exists.
	CreateActionToken(ctx context.Context, t *ActionToken) error
	// ActionTokenByHash returns a token, live or not. ENOTFOUND.
	ActionTokenByHash(ctx context.Context, hash string) (*ActionToken, error)
	// RedeemActionToken spends the live token of purpose in one
	// transaction with its effect: every session of the account is revoked
	// and, for TokenEmailDispute, the email is set back to Data. Returns
	// the token, the account and the revoked key hashes. ENOTFOUND (no
	// such live token), ECONFLICT (the old address belongs to another
	// account now; nothing is spent).
	RedeemActionToken(ctx context.Context, hash, purpose string, now time.Time) (*ActionToken, *User, []string, error)
	// SweepActionTokens deletes up to limit tokens that expired before
	// before.
	SweepActionTokens(ctx context.Context, before time.Time, limit int) (int, error)
}
