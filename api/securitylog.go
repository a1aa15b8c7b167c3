package api

import (
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
)

// msgBadCursor is the answer to a cursor this server did not give out (new
// message, in the contract's style).
const msgBadCursor = "Listing rejected: Backend.Creators.Auth/security-log — the cursor is not one this server gave out; start again without it."

// securityLogPage is how many events one page of GET auth/security-log/
// holds.
const securityLogPage = 50

// eventJSON is one event of the security log.
type eventJSON struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	At           string         `json:"at"`
	DeviceLabel  string         `json:"device_label"`
	UserAgent    string         `json:"user_agent"`
	IPHashPrefix string         `json:"ip_hash_prefix"`
	SessionID    *int64         `json:"session_id"`
	Detail       map[string]any `json:"detail"`
}

// securityLogJSON is GET auth/security-log/'s answer.
type securityLogJSON struct {
	Events     []eventJSON `json:"events"`
	NextCursor *string     `json:"next_cursor"`
}

// handleSecurityLog is GET auth/security-log/ (session): the account's
// security events, newest first, securityLogPage at a time; next_cursor
// (opaque) fetches the next page, null on the last. A cursor this server
// did not give out is 400 {"cursor": [...]}.
func (s *Server) handleSecurityLog(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	a := authFrom(r.Context())
	var before int64
	if raw, ok := r.URL.Query()["cursor"]; ok {
		var err error
		if before, err = parseCursor(raw); err != nil {
			return err
		}
	}
	list, err := s.store.SecurityEvents(r.Context(), app.EventQuery{UserID: a.User.ID, Before: before, Limit: securityLogPage + 1})
	if err != nil {
		return err
	}
	out := securityLogJSON{Events: make([]eventJSON, 0, min(len(list), securityLogPage))}
	for i, ev := range list {
		if i == securityLogPage {
			next := strconv.FormatInt(list[i-1].Seq, 10)
			out.NextCursor = &next
			break
		}
		out.Events = append(out.Events, eventView(ev))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseCursor reads the one cursor a request may carry: the decimal
// position of the last event of the previous page.
func parseCursor(raw []string) (int64, error) {
	bad := app.FieldError("cursor", msgBadCursor)
	if len(raw) != 1 || raw[0] == "" || len(raw[0]) > 19 {
		return 0, bad
	}
	for _, c := range raw[0] {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	v, err := strconv.ParseInt(raw[0], 10, 64)
	if err != nil || v <= 0 {
		return 0, bad
	}
	return v, nil
}

// eventView is an event as the security log shows it.
func eventView(ev *app.Event) eventJSON {
	var sid *int64
	if ev.SessionID != 0 {
		id := ev.SessionID
		sid = &id
	}
	detail := ev.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	return eventJSON{ID: ev.ID, Type: ev.Type, At: isoTime(ev.At), DeviceLabel: ev.DeviceLabel,
		UserAgent: ev.UserAgent, IPHashPrefix: ev.IPHashPrefix, SessionID: sid, Detail: detail}
}
