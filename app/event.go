package app

import (
	"context"
	"time"
)

// Security event types (issue 15): the dotted names of the security log's
// "type", of the admin audit command and of every webhook delivery.
const (
	// EventLoginSucceeded: a session was minted by a sign-in (password,
	// second step, OAuth, verify-email). Detail: methods, new_device.
	EventLoginSucceeded = "login.succeeded"
	// EventLoginFailed: a sign-in of this account was refused. Detail:
	// reason (ReasonWrongPassword, ReasonWrongSecondFactor,
	// ReasonThrottled), channel for a second step.
	EventLoginFailed = "login.failed"
	// EventSecondStepRequired: a correct password started a two-step
	// sign-in. Detail: channels.
	EventSecondStepRequired = "second_step.required"
	// EventSecondStepApproved: the second step was answered (a factor
	// spent, or a signed-in device approved). Detail: channel.
	EventSecondStepApproved = "second_step.approved"
	// EventSecondStepDenied: a signed-in device denied a pending sign-in
	// (or picked the wrong number). Detail: channel.
	EventSecondStepDenied = "second_step.denied"
	// EventSessionRevoked: sessions were revoked. Detail: cause (Cause*),
	// count, session_ids (at most RevokedIDsShown).
	EventSessionRevoked = "session.revoked"
	// EventLogout: a device signed itself out (auth/logout/).
	EventLogout = "logout"
	// EventPasswordChanged: the password was changed (by: "user" or
	// "admin").
	EventPasswordChanged = "password.changed"
	// EventPasswordReset: the password was reset with an emailed code.
	EventPasswordReset = "password.reset"
	// EventEmailChanged: the address changed. Detail: old, new (masked).
	EventEmailChanged = "email.changed"
	// EventEmailChangeReverted: the old address disputed a change and got
	// the account back. Detail: restored, removed (masked).
	EventEmailChangeReverted = "email.change_reverted"
	// EventAPIKeyRotated: a new API key replaced the old one. Detail:
	// prefix (the 8 characters settings/ shows).
	EventAPIKeyRotated = "api_key.rotated"
	// EventOAuthLinked / EventOAuthUnlinked: a sign-in provider was linked
	// or unlinked. Detail: provider.
	EventOAuthLinked   = "oauth.linked"
	EventOAuthUnlinked = "oauth.unlinked"
	// EventSecondFactorAdded / EventSecondFactorRemoved: a second factor
	// was turned on or off. Detail: kind ("totp", "confirm_new_sign_ins",
	// "passkey").
	EventSecondFactorAdded   = "second_factor.added"
	EventSecondFactorRemoved = "second_factor.removed"
	// EventRecoveryCodesRegenerated: ten new recovery codes replaced the
	// old ones.
	EventRecoveryCodesRegenerated = "recovery_codes.regenerated"
	// EventNotMeReported: the owner used a "This wasn't me" link. Detail:
	// session_id of the sign-in reported.
	EventNotMeReported = "not_me.reported"
)

// EventTypes lists every event type, in the order the docs list them.
var EventTypes = []string{
	EventLoginSucceeded, EventLoginFailed, EventSecondStepRequired, EventSecondStepApproved,
	EventSecondStepDenied, EventSessionRevoked, EventLogout, EventPasswordChanged,
	EventPasswordReset, EventEmailChanged, EventEmailChangeReverted, EventAPIKeyRotated,
	EventOAuthLinked, EventOAuthUnlinked, EventSecondFactorAdded, EventSecondFactorRemoved,
	EventRecoveryCodesRegenerated, EventNotMeReported,
}

// Causes of a session.revoked event (its detail's "cause").
const (
	CauseThisDevice     = "this_device"     // DELETE auth/sessions/<own id>/
	CauseOtherSession   = "other_session"   // revoked from another signed-in device
	CausePasswordChange = "password_change" // auth/change-password/
	CausePasswordReset  = "password_reset"  // auth/password-reset/confirm/
	CauseEmailChange    = "email_change"    // auth/change-email/ confirm
	CauseAdmin          = "admin"           // an admin CLI command
	CauseBootWipe       = "boot_wipe"       // --wipe-sessions-on-boot
	CauseNotMe          = "not_me"          // a "This wasn't me" link
	CauseEmailDispute   = "email_dispute"   // the old address disputed an email change
)

// Reasons of a login.failed event (its detail's "reason").
const (
	ReasonWrongPassword     = "wrong_password"
	ReasonWrongSecondFactor = "wrong_second_factor"
	ReasonThrottled         = "throttled"
)

// DefaultSecurityLogRetention is how long events are kept by default.
const DefaultSecurityLogRetention = 180 * 24 * time.Hour

// RevokedIDsShown bounds the session ids a session.revoked event lists (a
// login flood can leave thousands of sessions; count has them all).
const RevokedIDsShown = 20

// Event is one entry of an account's security log. The device fields and
// SessionID describe the client the event came from (for login.succeeded:
// the new session), empty for the admin CLI and the boot wipe. It never
// holds a secret, a full IP address or a code.
type Event struct {
	// Seq is the store's row number: newer events have larger ones (the
	// list's cursor); 0 until stored.
	Seq int64
	// ID is 32 random hex digits, the same in the log, the webhook body and
	// its retries: receivers de-duplicate on it.
	ID           string
	UserID       int64
	Type         string
	At           time.Time
	DeviceLabel  string
	UserAgent    string
	IPHashPrefix string
	SessionID    int64 // 0: none
	// Detail is the type's own facts (see the Event* constants).
	Detail map[string]any
}

// EventQuery selects events for the security log and the audit command.
type EventQuery struct {
	UserID int64
	Before int64     // Seq below this (0: from the newest)
	Since  time.Time // At on or after (zero: any)
	Type   string    // "" any
	Limit  int
}

// SecurityLogStore keeps the security log. Events themselves are written
// by the writes they describe (see Audit); these are the reads, the writes
// that are nothing but events, and the sweeps.
type SecurityLogStore interface {
	// RecordEvents writes the audit of ctx (its events and nothing else) in
	// a transaction of its own: for what changes nothing else (a failed
	// sign-in). No audit: nothing.
	RecordEvents(ctx context.Context) error
	// SecurityEvents returns the events q selects, newest first.
	SecurityEvents(ctx context.Context, q EventQuery) ([]*Event, error)
	// SweepEvents deletes up to limit events older than before, and devices
	// not seen since deviceBefore (keeping each account's newest device,
	// so its next sign-in is not taken for its first ever).
	SweepEvents(ctx context.Context, before, deviceBefore time.Time, limit int) (int, error)
}
