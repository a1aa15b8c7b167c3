package app

import (
	"context"
	"io"
	"time"
)

// Audit is what a write records in the security log. The caller attaches it
// to the write's context (WithAudit) and the store writes it inside the
// write's own transaction, just before the commit, so an event commits with
// the change it describes or not at all: none is lost, none is invented. A
// context without an audit records nothing (the Django import, tests of
// other things).
//
// The store adds to the caller's events what only the transaction knows:
//   - CreateSession gives the new session's id and device to every
//     login.succeeded event of its user without a SessionID, and, when
//     Device is set, looks the device up: NewDevice when the account has not
//     used it within DeviceMemory, FirstSignIn when the account never signed
//     in anywhere before (both also in the event's detail: new_device);
//   - every write that revokes sessions adds one session.revoked event per
//     account, when Cause is set, with the count and the first
//     RevokedIDsShown ids.
//
// An audit is used for one write: after a commit its events are moved to
// Written, so a second write with the same context records nothing twice.
type Audit struct {
	Actor  Actor
	Events []*Event
	// Cause is the session.revoked cause of the revocations the write makes
	// ("" records none: a logout is its own event).
	Cause string
	// Device is the sign-in's device fingerprint (DeviceFingerprint), ""
	// for writes that are not sign-ins.
	Device string

	// Set by the store when the write commits.
	NewDevice, FirstSignIn bool
	Written                []*Event

	rand   io.Reader
	now    time.Time
	broken error
}

// Actor is the client an audited write comes from: the signed-in session
// (0 for none), its device label and User-Agent, and its IP hash (only the
// first 8 hex digits are stored).
type Actor struct {
	SessionID   int64
	DeviceLabel string
	UserAgent   string
	IPHash      string
}

// NewAudit starts an audit at now for actor, drawing event ids from rnd.
func NewAudit(rnd io.Reader, now time.Time, actor Actor) *Audit {
	return &Audit{Actor: actor, rand: rnd, now: now}
}

// Now is the audit's time: every event it makes is at it.
func (a *Audit) Now() time.Time { return a.now }

// NewEvent makes an event of userID at the audit's time, from its actor,
// without adding it (the store uses it for the events it adds). Errors: the
// random source's, as EINTERNAL.
func (a *Audit) NewEvent(userID int64, typ string, detail map[string]any) (*Event, error) {
	id, err := RandomHex(a.rand, 16)
	if err != nil {
		return nil, Internal(err)
	}
	if detail == nil {
		detail = map[string]any{}
	}
	prefix := a.Actor.IPHash
	if len(prefix) > 8 {
		prefix = prefix[:8]
	}
	return &Event{ID: id, UserID: userID, Type: typ, At: a.now, DeviceLabel: a.Actor.DeviceLabel,
		UserAgent: a.Actor.UserAgent, IPHashPrefix: prefix, SessionID: a.Actor.SessionID, Detail: detail}, nil
}

// Add adds an event of userID to the audit and returns the audit (so a
// caller can write store.X(WithAudit(ctx, a.Add(...)), ...)). A failing
// random source is reported by the write (the store refuses the audit).
func (a *Audit) Add(userID int64, typ string, detail map[string]any) *Audit {
	ev, err := a.NewEvent(userID, typ, detail)
	if err != nil {
		a.broken = err
		return a
	}
	a.Events = append(a.Events, ev)
	return a
}

// Err is the error that made the audit unusable (its random source failed),
// or nil; the store refuses to commit a write whose audit is broken.
func (a *Audit) Err() error { return a.broken }

// Committed moves events to Written and ends the audit's part in further
// writes (no Cause, no Device): the store calls it after the commit.
func (a *Audit) Committed(events []*Event) {
	a.Written = append(a.Written, events...)
	a.Events, a.Cause, a.Device = nil, "", ""
}

// DeviceMemory is how long a device stays known to an account: a sign-in
// from a device not used for longer is a new device (issue 15: 90 days).
const DeviceMemory = 90 * 24 * time.Hour

type auditKey struct{}

// WithAudit returns ctx carrying a for the store write it is passed to.
func WithAudit(ctx context.Context, a *Audit) context.Context {
	return context.WithValue(ctx, auditKey{}, a)
}

// AuditFrom returns the audit ctx carries, or nil.
func AuditFrom(ctx context.Context) *Audit {
	a, _ := ctx.Value(auditKey{}).(*Audit)
	return a
}
