package mail

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestLogMailer(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
	}{
		{"registration", Compose(Registration, "a@example.com", "654321", 24, "")},
		{"identity with non-ASCII subject", Compose(Identity, "b@example.com", "000001", 48, "https://x.example")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf syncBuffer
			l := NewLog(zerolog.New(&buf))
			if err := l.Send(context.Background(), tc.msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
			if len(lines) != 1 {
				t.Fatalf("got %d log lines, want 1: %q", len(lines), buf.String())
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
				t.Fatalf("decode %q: %v", lines[0], err)
			}
			want := map[string]any{
				"level":   "warn",
				"message": "mail delivery fallback",
				"to":      tc.msg.To,
				"subject": tc.msg.Subject,
				"body":    tc.msg.Text,
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
		})
	}
}
