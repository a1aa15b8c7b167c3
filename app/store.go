package app

import (
	"context"
	"time"
)

// Store is the persistence the application needs. db.DB implements it on
// SQLite. Every method that changes a session, a user or a key also
// appends to the change log in the same transaction (ChangeStore), so other
// processes on the database drop what it changed. Every method is one transaction. Not-found conditions return an
// *Error with ENOTFOUND, unique violations ECONFLICT, anything else an
// internal error.
type Store interface {
	UserStore
	SessionStore
	CodeStore
	InvitationStore
	SocialStore
	AccountStore
	ChangeStore
	SecondFactorStore
	PasskeyStore
	SecurityLogStore
	ActionTokenStore
	// Ping checks that the database answers and migrations are current.
	Ping(ctx context.Context) error
}

// UserStore reads and writes accounts.
type UserStore interface {
	// CreateUser inserts u and sets u.ID. ECONFLICT when the username is
	// taken (case-insensitively).
	CreateUser(ctx context.Context, u *User) error
	// ImportUser inserts an account moved from another system (the Django
	// backend) keeping its id u.ID, disabled when u.Disabled; new accounts
	// never get that id or one below it afterwards. ECONFLICT when the id
	// or the username is taken, EINVALID for an id below 1.
	ImportUser(ctx context.Context, u *User) error
	// UserByID returns the user with the API-key prefix filled. ENOTFOUND.
	UserByID(ctx context.Context, id int64) (*User, error)
	// UserByEmail finds a user by email, case-insensitively; when several
	// share it, an active one wins, then the lowest id. ENOTFOUND.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UserByUsername finds a user by username, case-insensitively. ENOTFOUND.
	UserByUsername(ctx context.Context, username string) (*User, error)
	// UserByAPIKeyHash finds the owner of an API key. ENOTFOUND.
	UserByAPIKeyHash(ctx context.Context, keyHash string) (*User, error)
	// ListUsers returns every user ordered by id.
	ListUsers(ctx context.Context) ([]*User, error)
	// UpdateUser writes every field of u except the password.
	// ECONFLICT on a taken username.
	UpdateUser(ctx context.Context, u *User) error
	// SetPassword stores a password hash. With revoke set it also revokes
	// every live session of the user except keepSessionID (0: all) and
	// returns the key hashes it revoked.
	SetPassword(ctx context.Context, userID int64, hash string, revoke bool, keepSessionID int64, now time.Time) ([]string, error)
	// SweepPendingUsers deletes up to limit pending accounts (never
	// verified, not disabled) that joined before before and have no code
	// expiring after it, and returns their ids.
	SweepPendingUsers(ctx context.Context, before time.Time, limit int) ([]int64, error)
	// SetActive activates or deactivates a user; deactivating revokes every
	// session and returns their key hashes.
	SetActive(ctx context.Context, userID int64, active bool, now time.Time) ([]string, error)
	// SetAPIKey replaces the user's API key and returns the previous hash
	// ("" if none).
	SetAPIKey(ctx context.Context, userID int64, keyHash, prefix string, now time.Time) (string, error)
	// ServerSecret returns the secret called name, storing gen first when
	// the database has none yet.
	ServerSecret(ctx context.Context, name string, gen []byte) ([]byte, error)
}

// SessionStore keeps device sessions.
type SessionStore interface {
	// CreateSession inserts s and sets s.ID.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByKeyHash returns a session and its user's identity (ID,
	// Username, Email, IsActive, Disabled; the rest of the profile comes
	// from UserByID). ENOTFOUND.
	SessionByKeyHash(ctx context.Context, keyHash string) (*Session, *User, error)
	// ListSessions returns the user's non-revoked sessions with
	// last_seen_at > idleAfter and created_at > createdAfter, newest seen
	// first.
	ListSessions(ctx context.Context, userID int64, idleAfter, createdAfter time.Time) ([]*Session, error)
	// CountSessions counts what ListSessions would return, minus the
	// sessions in exclude.
	CountSessions(ctx context.Context, userID int64, exclude []int64, idleAfter, createdAfter time.Time) (int, error)
	// SessionsByIDs returns those of the given sessions that belong to the
	// user, revoked or not.
	SessionsByIDs(ctx context.Context, userID int64, ids []int64) ([]*Session, error)
	// CountActiveSessions counts every user's live sessions.
	CountActiveSessions(ctx context.Context, idleAfter, createdAfter time.Time) (int, error)
	// RevokeSession revokes the user's session id (idempotent) and returns
	// its key hash. ENOTFOUND when it is not the user's.
	RevokeSession(ctx context.Context, userID, sessionID int64, now time.Time) (string, error)
	// RevokeUserSessions revokes all of the user's non-revoked sessions
	// except exceptID and returns their key hashes.
	RevokeUserSessions(ctx context.Context, userID, exceptID int64, now time.Time) ([]string, error)
	// RevokeAllSessions revokes every session of every user; returns the
	// count.
	RevokeAllSessions(ctx context.Context, now time.Time) (int, error)
	// TouchSessions persists last-seen times, one batched transaction.
	TouchSessions(ctx context.Context, seen map[int64]time.Time) error
	// SweepSessions deletes up to limit sessions that are revoked, idle
	// since before idleBefore or created before createdBefore.
	SweepSessions(ctx context.Context, idleBefore, createdBefore time.Time, limit int) (int, error)
}

// CodeStore keeps hashed one-time codes.
type CodeStore interface {
	// IssueCode invalidates the live codes of c.Function/c.Usage and inserts
	// c, setting c.ID.
	IssueCode(ctx context.Context, c *Code) error
	// ConsumeCode atomically finds a live code of function/usage whose hash
	// is codeHash (and whose UserID is userID when userID != 0) and spends
	// it. A miss counts one wrong try against every live code of that
	// function; a code dies after maxAttempts wrong tries. Returns the
	// spent code, or ENOTFOUND.
	ConsumeCode(ctx context.Context, function, usage, codeHash string, userID int64, maxAttempts int, now time.Time) (*Code, error)
	// LatestCode returns the newest live code of function/usage whose
	// expiry is after expiresAfter. ENOTFOUND.
	LatestCode(ctx context.Context, function, usage string, expiresAfter time.Time) (*Code, error)
	// SweepCodes deletes up to limit codes that are spent or expired before
	// before.
	SweepCodes(ctx context.Context, before time.Time, limit int) (int, error)
}

// InvitationStore keeps invitation codes.
type InvitationStore interface {
	// CreateInvitation inserts inv. ECONFLICT when the code exists.
	CreateInvitation(ctx context.Context, inv *Invitation) error
	// InvitationGate reports whether any invitation row exists.
	InvitationGate(ctx context.Context) (bool, error)
	// InvitationValid reports whether codeHash names a usable invitation.
	InvitationValid(ctx context.Context, codeHash string, now time.Time) (bool, error)
	// InvitationByHash returns the invitation whose code hashes to
	// codeHash, used up or expired as it may be. ENOTFOUND.
	InvitationByHash(ctx context.Context, codeHash string) (*Invitation, error)
}

// SocialStore keeps links to OAuth identities.
type SocialStore interface {
	// SocialAccountsByUser lists a user's links, oldest first.
	SocialAccountsByUser(ctx context.Context, userID int64) ([]*SocialAccount, error)
	// SocialAccountByUID finds the link of a provider identity. ENOTFOUND.
	SocialAccountByUID(ctx context.Context, provider, uid string) (*SocialAccount, error)
	// DeleteSocialAccounts removes all of a user's links to provider and
	// returns how many went.
	DeleteSocialAccounts(ctx context.Context, userID int64, provider string) (int, error)
	// BindSocialAccount links (provider, uid) to the user, replacing the
	// user's previous link to that provider. created tells insert from
	// update. ECONFLICT when the identity is linked to another user.
	BindSocialAccount(ctx context.Context, a *SocialAccount) (created bool, err error)
	// ResolveSocialLogin runs the OAuth sign-in resolution in one
	// transaction (see SocialLogin).
	ResolveSocialLogin(ctx context.Context, req *SocialLogin) (*User, error)
}

// AccountStore runs the multi-step account flows, each in one transaction so
// a code is spent exactly when its effect is written.
type AccountStore interface {
	// Register consumes the invitation (if any) atomically, creates or
	// updates the pending account of r.Email and issues r.Code. Field
	// errors: invitation_code (invalid or used up), username (taken),
	// email (an active account has it).
	Register(ctx context.Context, r *Registration) (*User, error)
	// VerifyEmail spends a registration code of email and activates the
	// pending account. A contested registration loses its password.
	// ENOTFOUND (code) or EINVALID (no pending account).
	VerifyEmail(ctx context.Context, email, codeHash string, maxAttempts int, now time.Time, unusablePassword string) (*User, error)
	// ResetPassword spends a password-reset code of email, sets the
	// password, revokes every session of the account, deletes its API key
	// and unlinks every OAuth identity; returns the user and the revoked
	// key hashes. ENOTFOUND (code) or EINVALID (no user).
	ResetPassword(ctx context.Context, email, codeHash, passwordHash string, maxAttempts int, now time.Time) (*User, []string, error)
	// ChangeEmail spends the user's change-email code for newEmail, sets
	// the email and revokes the user's other sessions. ENOTFOUND (code),
	// ECONFLICT (email in use).
	ChangeEmail(ctx context.Context, userID, keepSessionID int64, newEmail, codeHash string, maxAttempts int, now time.Time) ([]string, error)
	// EmailInUse reports whether any user other than exceptUserID has the
	// email (case-insensitively).
	EmailInUse(ctx context.Context, email string, exceptUserID int64) (bool, error)
	// UsernameInUse reports whether any user other than exceptUserID has
	// the username (case-insensitively).
	UsernameInUse(ctx context.Context, username string, exceptUserID int64) (bool, error)
}

// ChangeStore is the change log: one row per write that other processes'
// caches must follow, appended inside the writing transaction (so a write
// and its signal commit together or not at all), read by every process.
type ChangeStore interface {
	// LastChange returns the newest change's sequence number (0: none).
	LastChange(ctx context.Context) (int64, error)
	// ChangesSince returns up to limit changes with Seq > after, oldest
	// first.
	ChangesSince(ctx context.Context, after int64, limit int) ([]Change, error)
	// SweepChanges deletes up to limit changes written before before.
	SweepChanges(ctx context.Context, before time.Time, limit int) (int, error)
}
