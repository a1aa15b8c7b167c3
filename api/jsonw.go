package api

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	lru "github.com/hashicorp/golang-lru/v2"

	"notechondria-auth/app"
)

// Hand-written JSON for the hottest list (GET auth/sessions/): reflection
// in encoding/json was a quarter of its CPU. The bytes are exactly what
// writeJSON's encoder (SetEscapeHTML(false)) writes; jsonw_internal_test.go
// compares both on random input.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes with HTML escaping off: '"' and '\\', the short escapes \b \f \n
// \r \t, other control bytes as \u00XX, invalid UTF-8 as \ufffd, and
// U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendSessionList renders GET auth/sessions/'s answer for list (live
// sessions with exact last-seen times) and the caller's session (nil for an
// API key) exactly as writeJSON renders sessionListJSON. rows memoises the
// part of each row that never changes (rows may be nil).
func appendSessionList(b []byte, list []app.LiveSession, current *app.Session, rows *rowMemo) []byte {
	return appendSessionListAuth(b, list, current, rows, false)
}

// appendSessionListAuth is appendSessionList with, when withAuth is set,
// each row's auth_methods and authenticated_at after is_current (as
// sessionRowJSON's embedded sessionAuthJSON renders them).
func appendSessionListAuth(b []byte, list []app.LiveSession, current *app.Session, rows *rowMemo, withAuth bool) []byte {
	b = append(b, `{"sessions":[`...)
	for i, sess := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, rows.static(sess.Session)...)
		b = appendISOTime(b, sess.LastSeen)
		b = append(b, `","is_current":`...)
		b = strconv.AppendBool(b, current != nil && sess.ID == current.ID)
		if withAuth {
			b = append(b, `,"auth_methods":[`...)
			for j, m := range sess.AuthMethods {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, m)
			}
			b = append(b, `],"authenticated_at":"`...)
			b = appendISOTime(b, sess.Authenticated())
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, `],"current_session_id":`...)
	if current == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, current.ID, 10)
	}
	return append(b, '}')
}

// appendRowStatic renders the fields of a session row that never change
// (a session's id, label, User-Agent, IP hash and creation time are fixed
// when it is minted), up to the opening quote of last_seen_at.
func appendRowStatic(b []byte, sess *app.Session) []byte {
	prefix := sess.IPHash
	if len(prefix) > 8 {
		prefix = prefix[:8]
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, sess.ID, 10)
	b = append(b, `,"device_label":`...)
	b = appendJSONString(b, sess.DeviceLabel)
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, sess.UserAgent)
	b = append(b, `,"ip_hash_prefix":`...)
	b = appendJSONString(b, prefix)
	b = append(b, `,"created_at":"`...)
	b = appendISOTime(b, sess.CreatedAt)
	return append(b, `","last_seen_at":"`...)
}

// rowMemo keeps the rendered static part of recently listed session rows,
// keyed by the session's key hash (unique and never reused, unlike a rowid).
// Nothing needs invalidating: those fields never change. A nil rowMemo
// renders every time.
type rowMemo struct {
	lru *lru.Cache[string, []byte]
}

func newRowMemo(size int) *rowMemo {
	if size <= 0 {
		return nil
	}
	c, _ := lru.New[string, []byte](size) // only fails for size <= 0
	return &rowMemo{lru: c}
}

func (m *rowMemo) static(sess *app.Session) []byte {
	if m == nil || sess.KeyHash == "" {
		return appendRowStatic(nil, sess)
	}
	if b, ok := m.lru.Get(sess.KeyHash); ok {
		return b
	}
	b := appendRowStatic(make([]byte, 0, 64+len(sess.UserAgent)+len(sess.DeviceLabel)), sess)
	m.lru.Add(sess.KeyHash, b)
	return b
}

// writeRawJSON writes a body already rendered as JSON, with writeJSON's
// headers.
func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
