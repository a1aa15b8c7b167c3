package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"notechondria-auth/app"
)

func encoded(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// The hand-written session list is byte-for-byte what writeJSON's encoder
// writes for sessionListJSON, on random strings full of escapes, invalid
// UTF-8 and U+2028, and random times.
func TestSessionListJSONMatchesEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	pieces := []string{"a", "Z", " ", "\"", "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f", "<", ">", "&",
		"é", "\u2028", "\u2029", "\xff", "\xe2\x80", "😀", "\ufffd", "/"}
	str := func() string {
		var b []byte
		for n := r.IntN(12); n > 0; n-- {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		return string(b)
	}
	when := func() time.Time { return time.Unix(r.Int64N(4_000_000_000), r.Int64N(2)*r.Int64N(1e9)) }
	for i := 0; i < 3000; i++ {
		var list []app.LiveSession
		for n := r.IntN(4); n > 0; n-- {
			list = append(list, app.LiveSession{Session: &app.Session{ID: r.Int64N(1 << 40), KeyHash: fmt.Sprint(r.Uint64()), DeviceLabel: str(), UserAgent: str(),
				IPHash: str(), CreatedAt: when()}, LastSeen: when()})
		}
		var current *app.Session
		if len(list) > 0 && r.IntN(2) == 0 {
			current = list[r.IntN(len(list))].Session
		}
		// The structs the handler used to encode.
		want := sessionListJSON{Sessions: []sessionRowJSON{}}
		if current != nil {
			id := current.ID
			want.CurrentSessionID = &id
		}
		for _, s := range list {
			prefix := s.IPHash
			if len(prefix) > 8 {
				prefix = prefix[:8]
			}
			want.Sessions = append(want.Sessions, sessionRowJSON{ID: s.ID, DeviceLabel: s.DeviceLabel, UserAgent: s.UserAgent,
				IPHashPrefix: prefix, CreatedAt: isoTime(s.CreatedAt), LastSeenAt: isoTime(s.LastSeen),
				IsCurrent: current != nil && s.ID == current.ID})
		}
		memo := newRowMemo(4)
		if i%2 == 0 {
			memo = nil
		}
		if got, w := appendSessionList(nil, list, current, memo), encoded(t, want); !bytes.Equal(got, w) {
			t.Fatalf("hand-written\n%s\nencoding/json\n%s", got, w)
		}
	}
}
