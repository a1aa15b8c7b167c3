package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"notechondria-auth/app"
)

// audit starts the security-log audit of a request (app.Audit): the client
// (User-Agent, device label, IP hash) and its signed-in session, if any.
func (s *Server) audit(r *http.Request) *app.Audit {
	ua := r.Header.Get("User-Agent")
	actor := app.Actor{UserAgent: app.TruncateRunes(ua, 512),
		DeviceLabel: app.TruncateRunes(app.DeviceLabel(ua), 120), IPHash: s.ipHash(s.clientIP(r))}
	if a := authFrom(r.Context()); a != nil && a.Session != nil {
		actor.SessionID = a.Session.ID
	}
	return app.NewAudit(s.rand, s.now(), actor)
}

// audited is r's context carrying a, for the one store write a describes.
func audited(r *http.Request, a *app.Audit) context.Context { return app.WithAudit(r.Context(), a) }

// signInAudit is the audit of a sign-in of u by methods: its login.succeeded
// event (the store gives it the new session) and the device fingerprint the
// store looks up (new device or not).
func (s *Server) signInAudit(r *http.Request, u *app.User, methods []string, detail map[string]any) *app.Audit {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["methods"] = methods
	a := s.audit(r)
	a.Actor.SessionID = 0 // the event is the new session's (the store fills it in)
	a.Add(u.ID, app.EventLoginSucceeded, detail)
	a.Device = app.DeviceFingerprint(s.ipKey, r.Header.Get("User-Agent"), s.clientIP(r))
	return a
}

// record writes a's events on their own (what changes nothing else: a
// failed sign-in). A failure is logged: the answer to the client stands.
func (s *Server) record(r *http.Request, a *app.Audit) {
	if err := s.store.RecordEvents(audited(r, a)); err != nil {
		s.log.Error().Err(err).Str("request_id", requestID(r)).Msg("security event not recorded")
	}
}

// loginFailed records a refused sign-in of an existing account (reason:
// app.Reason*; channel for a second step). Throttled refusals are recorded
// at most once per account per throttleNoteEvery, with how many were
// refused since: a flood of refusals must not become a flood of writes.
func (s *Server) loginFailed(r *http.Request, userID int64, reason, channel string) {
	detail := map[string]any{"reason": reason}
	if channel != "" {
		detail["channel"] = channel
	}
	if reason == app.ReasonThrottled {
		n, ok := s.throttleNotes.note(userID, s.now())
		if !ok {
			return
		}
		detail["refused"] = n
	}
	s.record(r, s.audit(r).Add(userID, app.EventLoginFailed, detail))
}

// throttleNoteEvery is how often a throttled account's refusals are
// recorded.
const throttleNoteEvery = time.Minute

// throttleNotes counts the throttled sign-ins of each account since its
// last recorded one.
type throttleNotes struct {
	mu    sync.Mutex
	last  map[int64]time.Time
	count map[int64]int
}

func newThrottleNotes() *throttleNotes {
	return &throttleNotes{last: map[int64]time.Time{}, count: map[int64]int{}}
}

// note counts one refusal of userID at now and reports whether it is to be
// recorded, with the refusals it stands for.
func (t *throttleNotes) note(userID int64, now time.Time) (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.count[userID]++
	if last, ok := t.last[userID]; ok && now.Sub(last) < throttleNoteEvery {
		return 0, false
	}
	n := t.count[userID]
	t.last[userID], t.count[userID] = now, 0
	return n, true
}

// sweep forgets the accounts not refused within throttleNoteEvery.
func (t *throttleNotes) sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, last := range t.last {
		if now.Sub(last) >= throttleNoteEvery {
			delete(t.last, id)
			delete(t.count, id)
		}
	}
}
