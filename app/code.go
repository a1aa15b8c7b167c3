package app

import "time"

// Code is a hashed one-time code (registration, password reset, identity
// step-up, email change). CodeHash is sha256_hex(strip(plaintext)).
type Code struct {
	ID        int64
	CodeHash  string
	Usage     string // CodeRegister or CodeFunction
	Function  string // what the code is for, see the Func* helpers
	UserID    int64  // the user the code is bound to, 0 for none
	MaxUse    int
	Attempts  int
	CreatedAt time.Time
	ExpireAt  time.Time
}

// Code usages (the original's VerificationCode.usage).
const (
	CodeRegister = "R"
	CodeFunction = "F"
)

// FuncPasswordReset and the other helpers build Code.Function keys as the
// original did.
func FuncPasswordReset(email string) string { return "password_reset:" + email }

// FuncIdentity is the function key of identity step-up codes.
func FuncIdentity(userID int64) string { return "verify_identity:" + itoa(userID) }

// FuncChangeEmail is the function key of email-change codes.
func FuncChangeEmail(email string) string { return "change_email:" + email }

// Invitation is an invitation code (stored hashed).
type Invitation struct {
	ID        int64
	CodeHash  string
	Label     string
	MaxUses   int
	TimesUsed int
	ExpireAt  *time.Time
	CreatedAt time.Time
}

// Registration is one POST auth/register/ after validation.
type Registration struct {
	Username     string
	Email        string // lowercased
	PasswordHash string
	SamePassword bool // the password matches the pending account's
	// PendingID and PendingHash describe the pending account of Email as
	// the handler saw it when it computed SamePassword (0 and "": none).
	// With Recheck set, Register answers ECONFLICT when the account is not
	// that one any more, so that the handler can compare again: a form
	// submitted twice at once must not mark its own account contested.
	PendingID      int64
	PendingHash    string
	Recheck        bool
	InvitationHash string // "" when no code was given
	// APIBaseURL is the new account's api_base_url ("": the default).
	APIBaseURL string
	Code       *Code
	Now        time.Time
}
