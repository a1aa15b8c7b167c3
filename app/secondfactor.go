package app

import (
	"context"
	"time"
)

// Authentication methods a session records (Session.AuthMethods) and the
// channels of a pending two-step sign-in (Challenge.Channels). The channel
// order is the wire order of "channels": totp, passkey, device, email,
// recovery.
const (
	MethodPassword = "password"
	MethodEmail    = "email" // a mailed code (registration, sign-in confirmation)
	MethodOAuth    = "oauth"
	MethodTOTP     = "totp"
	MethodRecovery = "recovery"
	MethodPasskey  = "passkey"
	MethodDevice   = "device"
)

// ChannelOrder is the order in which channels are offered.
var channelOrder = [...]string{MethodTOTP, MethodPasskey, MethodDevice, MethodEmail, MethodRecovery}

// OrderChannels returns the members of have in the wire order.
func OrderChannels(have map[string]bool) []string {
	out := make([]string, 0, len(have))
	for _, c := range channelOrder {
		if have[c] {
			out = append(out, c)
		}
	}
	return out
}

// ChallengeLifetime is how long a pending sign-in can be answered, and
// ChallengeMaxFailures how many wrong answers in total end it.
const (
	ChallengeLifetime    = 10 * time.Minute
	ChallengeMaxFailures = 5
)

// SecondFactors is an account's second-factor state. The zero value is an
// account that never set one up.
type SecondFactors struct {
	UserID int64
	// TOTPSecret is the sealed (encrypted) secret, "" when none; a secret
	// that is not Confirmed is a setup in progress and authenticates
	// nothing.
	TOTPSecret    string
	TOTPConfirmed bool
	// TOTPLastStep is the last accepted RFC 6238 time step.
	TOTPLastStep      int64
	ConfirmNewSignIns bool
	// RecoveryLeft counts the unused recovery codes.
	RecoveryLeft int
	// Passkeys counts the registered passkeys.
	Passkeys  int
	UpdatedAt time.Time
}

// Any reports whether the account has a second factor: a confirmed TOTP, a
// passkey or "confirm new sign-ins" (User.SecondFactor mirrors it).
func (f *SecondFactors) Any() bool { return f.TOTPConfirmed || f.ConfirmNewSignIns || f.Passkeys > 0 }

// Challenge is a pending two-step sign-in. The client holds the id; only
// its hash (IDHash) is stored.
type Challenge struct {
	IDHash    string
	UserID    int64
	IPHash    string
	UserAgent string
	// Channels are the channels offered when the challenge was made.
	Channels []string
	// FirstFactor is the method the first step proved ("password").
	FirstFactor string
	// PasswordHash is the password hash the first step verified.
	PasswordHash string
	Failures     int
	CreatedAt    time.Time
	ExpiresAt    time.Time
	DoneAt       *time.Time
	// DeviceNumber is the two-digit number the new device shows once the
	// "device" channel was started ("" before), DeviceChoices the three
	// numbers (DeviceNumber among them) a signed-in device is offered, and
	// DeviceState the answer: "" while pending, DeviceApproved or
	// DeviceDenied.
	DeviceNumber  string
	DeviceChoices []string
	DeviceState   string
}

// The answers of a device approval (Challenge.DeviceState).
const (
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
)

// Live reports whether the challenge can still be answered at now: not
// spent, not expired (strictly after ExpiresAt is expired) and with fewer
// than ChallengeMaxFailures wrong answers.
func (c *Challenge) Live(now time.Time) bool {
	return c.DoneAt == nil && !now.After(c.ExpiresAt) && c.Failures < ChallengeMaxFailures
}

// Offers reports whether channel was offered.
func (c *Challenge) Offers(channel string) bool {
	for _, ch := range c.Channels {
		if ch == channel {
			return true
		}
	}
	return false
}

// SecondStep is what an accepted second-factor answer spends, in the same
// transaction that spends the challenge (CompleteChallenge) or, for a
// step-up re-authentication, on its own (SpendSecondFactor). Exactly one of
// TOTPStep, RecoveryHash, EmailCodeHash, DeviceApproval and
// PasskeyCredentialID is set.
type SecondStep struct {
	UserID int64
	// TOTPStep: the time step of an accepted TOTP code; refused with
	// ECONFLICT unless it is after the account's last accepted step.
	TOTPStep int64
	// RecoveryHash: an unused recovery code's hash; ENOTFOUND otherwise.
	RecoveryHash string
	// EmailCodeHash: the hash of a mailed code of EmailFunction, spent as
	// ConsumeCode does (wrong tries counted, up to MaxAttempts); ENOTFOUND.
	EmailCodeHash string
	EmailFunction string
	MaxAttempts   int
	// DeviceApproval: the challenge itself must carry an approval
	// (DeviceApproved) from a signed-in device; ENOTFOUND otherwise.
	DeviceApproval bool
	// PasskeyCredentialID: a passkey of the account whose assertion the
	// caller verified; spending stores PasskeyCredential (the record with
	// its new sign counter) and the time of use; ENOTFOUND when the
	// passkey was removed meanwhile.
	PasskeyCredentialID string
	PasskeyCredential   []byte
	Now                 time.Time
}

// FuncLoginChallenge is the code function of the mailed code of a pending
// sign-in (its id hash).
func FuncLoginChallenge(idHash string) string { return "login_2fa:" + idHash }

// SecondFactorStore keeps second factors, recovery codes and pending
// sign-ins. Writes that change whether an account has a second factor also
// set users.second_factor (User.SecondFactor) and signal a user change.
type SecondFactorStore interface {
	// SecondFactors returns the account's state (the zero value with
	// UserID set when it has none).
	SecondFactors(ctx context.Context, userID int64) (*SecondFactors, error)
	// BeginTOTP stores a sealed secret awaiting confirmation. ECONFLICT
	// when TOTP is already confirmed.
	BeginTOTP(ctx context.Context, userID int64, sealed string, now time.Time) error
	// ConfirmTOTP turns the pending secret on with step as its last
	// accepted step and replaces the recovery codes with recoveryHashes.
	// ENOTFOUND when no setup is pending, ECONFLICT when TOTP is already
	// confirmed.
	ConfirmTOTP(ctx context.Context, userID, step int64, recoveryHashes []string, now time.Time) error
	// DisableTOTP removes the secret and the recovery codes.
	DisableTOTP(ctx context.Context, userID int64, now time.Time) error
	// ReplaceRecoveryCodes replaces every recovery code of the account.
	ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string, now time.Time) error
	// SetConfirmNewSignIns turns "confirm new sign-ins" on or off.
	SetConfirmNewSignIns(ctx context.Context, userID int64, on bool, now time.Time) error
	// SpendSecondFactor spends a TOTP step, a recovery code or a verified
	// passkey assertion (step.Email* is not used here) for a step-up.
	// ECONFLICT (TOTP replay) or ENOTFOUND (no such unused recovery code,
	// or the passkey was removed).
	SpendSecondFactor(ctx context.Context, step SecondStep) error
	// CreateChallenge inserts a pending sign-in.
	CreateChallenge(ctx context.Context, c *Challenge) error
	// ChallengeByHash returns a pending sign-in, live or not. ENOTFOUND.
	ChallengeByHash(ctx context.Context, idHash string) (*Challenge, error)
	// FailChallenge counts one wrong answer and returns the challenge's
	// failures. ENOTFOUND.
	FailChallenge(ctx context.Context, idHash string) (int, error)
	// CompleteChallenge spends a live challenge (ENOTFOUND when it is
	// spent, expired or failed out) together with step, in one
	// transaction: either both are spent or neither.
	CompleteChallenge(ctx context.Context, idHash string, step SecondStep) error
	// StartDeviceChallenge sets the number and choices of a live
	// challenge's "device" step (a second start replaces them while no
	// answer was given). ENOTFOUND when the challenge is not live or was
	// already answered.
	StartDeviceChallenge(ctx context.Context, idHash, number string, choices []string, now time.Time) error
	// PendingDeviceChallenges lists the user's live challenges whose
	// "device" step was started and not answered, oldest first.
	PendingDeviceChallenges(ctx context.Context, userID int64, now time.Time) ([]*Challenge, error)
	// AnswerDeviceChallenge records state (DeviceApproved or DeviceDenied)
	// on the user's live, started, unanswered challenge. ENOTFOUND
	// otherwise (another account's, expired, spent, answered).
	AnswerDeviceChallenge(ctx context.Context, userID int64, idHash, state string, now time.Time) error
	// MarkSessionFresh sets the session's authenticated_at (a step-up) and
	// returns its key hash. ENOTFOUND when it is not the user's.
	MarkSessionFresh(ctx context.Context, userID, sessionID int64, now time.Time) (string, error)
	// SweepChallenges deletes up to limit challenges, and up to limit
	// WebAuthn ceremonies, that expired before before (the larger count).
	SweepChallenges(ctx context.Context, before time.Time, limit int) (int, error)
}
