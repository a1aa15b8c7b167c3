package app

// Contract messages (CONTRACT section 1.3) that both the store and the HTTP
// layer produce: the store detects these conditions inside its
// transactions, the HTTP layer before them. db writes no user-facing text
// of its own; it uses these.
const (
	MsgInvitationInvalid = "Registration rejected: Backend.Creators.Auth/register.validate_invitation_code — invitation code is invalid or expired."
	MsgUsernameTaken     = "Registration rejected: Backend.Creators.Auth/register.validate_username — this username is already taken."
	MsgEmailTaken        = "Registration rejected: Backend.Creators.Auth/register.validate_email — a verified account already exists for this email."
	MsgNoPendingAccount  = "Email verification failed: Backend.Creators.Auth/verify — no pending account found for this email."
	MsgResetNoAccount    = "Password not updated: Backend.Creators.Auth/password.reset.confirm — no account found for this email."
	MsgUnlinkLastMethod  = "Account unlinking rejected: Backend.Creators.Auth/social.unlink — this is the last sign-in method of an account without a password; link another provider or set a password (password reset) first."
	// MsgOAuthGate is the OAuth register path's invitation gate (a string
	// value, not a list, as in the original).
	MsgOAuthGate              = "Registration rejected: Backend.Creators.Auth/oauth.register.validate_invitation_code — this instance has active invitation gates; supply a valid invitation code."
	MsgOAuthInvitationInvalid = "Registration rejected: Backend.Creators.Auth/oauth.register.validate_invitation_code — invitation code is invalid or expired."
	// MsgOAuthEmailUnverified refuses to link an OAuth identity to an
	// existing account by an address the provider has not verified.
	MsgOAuthEmailUnverified = "Registration rejected: Backend.Creators.Auth/oauth.register.validate_email — an account with this email already exists and the provider has not verified the address; sign in to that account and link this provider from its settings."
	// MsgNotFound and the ones below are the generic texts of store
	// conditions the HTTP layer always rewrites in its own words.
	MsgNotFound      = "Not found."
	MsgAlreadyExists = "Already exists."
)
