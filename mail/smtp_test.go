package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// parsed is the part of a received message the tests check.
type parsed struct {
	From, To, Subject string
	Parts             map[string]string // media type -> decoded body
}

// parseMessage decodes a multipart/alternative message as a mail client would.
func parseMessage(t *testing.T, data []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	p := parsed{
		From:    msg.Header.Get("From"),
		To:      msg.Header.Get("To"),
		Subject: subject,
		Parts:   map[string]string{},
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	if mediaType != "multipart/alternative" {
		t.Fatalf("content type = %q, want multipart/alternative", mediaType)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		pt, _, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part content type: %v", err)
		}
		body, err := io.ReadAll(part) // quoted-printable is decoded by NextPart
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		p.Parts[pt] = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	return p
}

func TestSMTPMailerDelivers(t *testing.T) {
	tests := []struct {
		name     string
		mode     tlsMode
		useTLS   bool
		useSSL   bool
		username string
		from     string
		wantAuth string
		wantFrom string
	}{
		{name: "plain without auth", mode: noTLS, wantFrom: DefaultFrom},
		{name: "plain with AUTH PLAIN", mode: noTLS, username: testUser, wantAuth: testUser, wantFrom: testUser},
		{name: "STARTTLS with AUTH", mode: startTLS, useTLS: true, username: testUser, from: "auth@notechondria.test", wantAuth: testUser, wantFrom: "auth@notechondria.test"},
		{name: "implicit TLS with AUTH", mode: implicitTLS, useSSL: true, username: testUser, wantAuth: testUser, wantFrom: testUser},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := &backend{requireAuth: tc.username != ""}
			port, pool := startServer(t, be, tc.mode)
			m := NewSMTP(Config{
				Host: "127.0.0.1", Port: port, Username: tc.username, Password: testPass,
				UseTLS: tc.useTLS, UseSSL: tc.useSSL, From: tc.from,
				Timeout: 5 * time.Second, RootCAs: pool,
			})
			want := Compose(Identity, "user@example.com", "482913", 24, "https://app.example/verify?a=1&b=2")
			if err := m.Send(context.Background(), want); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := be.messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages, want 1", len(msgs))
			}
			got := msgs[0]
			if got.From != tc.wantFrom || len(got.To) != 1 || got.To[0] != "user@example.com" {
				t.Errorf("envelope = %q -> %q, want %q -> [user@example.com]", got.From, got.To, tc.wantFrom)
			}
			if got.AuthUser != tc.wantAuth {
				t.Errorf("auth user = %q, want %q", got.AuthUser, tc.wantAuth)
			}
			if wantTLS := tc.mode != noTLS; got.TLS != wantTLS {
				t.Errorf("session TLS = %v, want %v", got.TLS, wantTLS)
			}
			p := parseMessage(t, got.Data)
			if p.Subject != want.Subject {
				t.Errorf("subject = %q, want %q", p.Subject, want.Subject)
			}
			if !strings.Contains(p.From, tc.wantFrom) || !strings.Contains(p.To, "user@example.com") {
				t.Errorf("headers From=%q To=%q", p.From, p.To)
			}
			if p.Parts["text/plain"] != want.Text {
				t.Errorf("text part = %q, want %q", p.Parts["text/plain"], want.Text)
			}
			html := p.Parts["text/html"]
			if !strings.Contains(html, "482913") || !strings.Contains(html, "https://app.example/verify?a=1&amp;b=2") {
				t.Errorf("html part lacks code or escaped URL: %q", html)
			}
		})
	}
}

func TestSMTPMailerFails(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T) Config
		wantType string
		wantErr  string
		maxTime  time.Duration
	}{
		{"recipient refused 550", func(t *testing.T) Config {
			port, _ := startServer(t, &backend{rejectRcpt: true}, noTLS)
			return Config{Host: "127.0.0.1", Port: port}
		}, "mail.SendError", "550", 5 * time.Second},
		{"wrong password", func(t *testing.T) Config {
			port, _ := startServer(t, &backend{requireAuth: true}, noTLS)
			return Config{Host: "127.0.0.1", Port: port, Username: testUser, Password: "wrong"}
		}, "textproto.Error", "535", 5 * time.Second},
		{"no cleartext password to a non-localhost name", func(t *testing.T) Config {
			port, _ := startServerAt(t, &backend{requireAuth: true}, noTLS, "127.0.0.2")
			return Config{Host: "127.0.0.2", Port: port, Username: testUser, Password: testPass}
		}, "errors.errorString", "unencrypted", 5 * time.Second},
		{"STARTTLS required but not offered", func(t *testing.T) Config {
			port, _ := startServer(t, &backend{}, noTLS)
			return Config{Host: "127.0.0.1", Port: port, UseTLS: true}
		}, "errors.errorString", "STARTTLS", 5 * time.Second},
		{"untrusted certificate", func(t *testing.T) Config {
			port, _ := startServer(t, &backend{}, startTLS)
			return Config{Host: "127.0.0.1", Port: port, UseTLS: true}
		}, "tls.CertificateVerificationError", "unknown authority", 5 * time.Second},
		{"connection refused", func(t *testing.T) Config {
			return Config{Host: "127.0.0.1", Port: closedPort(t)}
		}, "net.OpError", "refused", 5 * time.Second},
		{"server never greets", func(t *testing.T) Config {
			return Config{Host: "127.0.0.1", Port: startSilent(t), Timeout: 300 * time.Millisecond}
		}, "context.deadlineExceededError", "deadline exceeded", 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.setup(t)
			if cfg.Timeout == 0 {
				cfg.Timeout = 5 * time.Second
			}
			start := time.Now()
			err := NewSMTP(cfg).Send(context.Background(), Compose(Registration, "user@example.com", "123456", 24, ""))
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := ErrorType(err); got != tc.wantType {
				t.Errorf("ErrorType = %q, want %q (err: %v)", got, tc.wantType, err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want it to mention %q", err, tc.wantErr)
			}
			if elapsed > tc.maxTime {
				t.Errorf("Send took %v, want under %v", elapsed, tc.maxTime)
			}
		})
	}
}

func TestSMTPMailerHonoursContext(t *testing.T) {
	port := startSilent(t)
	m := NewSMTP(Config{Host: "127.0.0.1", Port: port, Timeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := m.Send(ctx, Compose(Registration, "user@example.com", "123456", 24, ""))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Send took %v despite a 200ms context", elapsed)
	}
}

func TestConfigDefaults(t *testing.T) {
	tests := []struct {
		cfg            Config
		wantFrom       string
		wantConfigured bool
	}{
		{Config{}, DefaultFrom, false},
		{Config{Host: "smtp.example", Username: "u@example"}, "u@example", true},
		{Config{Host: "smtp.example", Username: "u@example", From: "f@example"}, "f@example", true},
	}
	for _, tc := range tests {
		if got := tc.cfg.FromAddress(); got != tc.wantFrom {
			t.Errorf("%+v.FromAddress() = %q, want %q", tc.cfg, got, tc.wantFrom)
		}
		if got := tc.cfg.Configured(); got != tc.wantConfigured {
			t.Errorf("%+v.Configured() = %v, want %v", tc.cfg, got, tc.wantConfigured)
		}
		if got := FromConfig(tc.cfg) != nil; got != tc.wantConfigured {
			t.Errorf("FromConfig(%+v) != nil is %v, want %v", tc.cfg, got, tc.wantConfigured)
		}
	}
	if p, d := (Config{}).port(), (Config{}).timeout(); p != DefaultPort || d != DefaultTimeout {
		t.Errorf("defaults = %d, %v; want %d, %v", p, d, DefaultPort, DefaultTimeout)
	}
}
