package app

import "time"

// SocialAccount links a user to an OAuth identity.
type SocialAccount struct {
	ID          int64
	UserID      int64
	Provider    string
	ProviderUID string
	Email       string
	ExtraData   string // JSON object
	CreatedAt   time.Time
}

// SocialLogin is an OAuth sign-in to resolve (CONTRACT 3.9, with the fixes of
// docs/COMPATIBILITY.md).
type SocialLogin struct {
	Provider         string
	UID              string
	Email            string // lowercased, may be empty
	EmailVerified    bool
	Username         string // wanted username (made unique and valid)
	FirstName        string
	LastName         string
	ExtraData        string
	Register         bool   // intent register: create an account when none matches
	InvitationHash   string // "" when none given
	UnusablePassword string
	// APIBaseURL is a new account's api_base_url ("": the default).
	APIBaseURL string
	Now        time.Time
}
