package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestDeliver(t *testing.T) {
	tests := []struct {
		name       string
		kind       Kind
		mailer     func(t *testing.T) (Mailer, *backend)
		want       Result
		wantReason string // "" means no fallback line
		maxTime    time.Duration
	}{
		{"not configured", Registration,
			func(*testing.T) (Mailer, *backend) { return FromConfig(Config{}), nil },
			Result{Fallback: true, Message: NotConfiguredMessage}, "smtp_not_configured", time.Second},
		{"registration delivered", Registration, okServer,
			Result{Delivered: true, Message: "Verification email sent."}, "", 5 * time.Second},
		{"password reset delivered", PasswordReset, okServer,
			Result{Delivered: true, Message: "Password reset email sent."}, "", 5 * time.Second},
		{"identity delivered", Identity, okServer,
			Result{Delivered: true, Message: "Email sent."}, "", 5 * time.Second},
		{"change email delivered", ChangeEmail, okServer,
			Result{Delivered: true, Message: "Email sent."}, "", 5 * time.Second},
		{"server refuses recipient", Registration,
			func(t *testing.T) (Mailer, *backend) {
				be := &backend{rejectRcpt: true}
				port, _ := startServer(t, be, noTLS)
				return NewSMTP(Config{Host: "127.0.0.1", Port: port, Timeout: 5 * time.Second}), be
			},
			Result{Fallback: true, Message: SendFailedMessage}, "smtp_send_failed:mail.SendError", 5 * time.Second},
		{"unreachable port", PasswordReset,
			func(t *testing.T) (Mailer, *backend) {
				return NewSMTP(Config{Host: "127.0.0.1", Port: closedPort(t), Timeout: time.Second}), nil
			},
			Result{Fallback: true, Message: SendFailedMessage}, "smtp_send_failed:net.OpError", 2 * time.Second},
		{"server hangs past the timeout", Identity,
			func(t *testing.T) (Mailer, *backend) {
				return NewSMTP(Config{Host: "127.0.0.1", Port: startSilent(t), Timeout: 300 * time.Millisecond}), nil
			},
			Result{Fallback: true, Message: SendFailedMessage}, "smtp_send_failed:context.deadlineExceededError", 3 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mailer, be := tc.mailer(t)
			var buf syncBuffer
			m := Compose(tc.kind, "user@example.com", "246810", 24, "")
			start := time.Now()
			got := Deliver(context.Background(), mailer, NewLog(zerolog.New(&buf)), tc.kind, m)
			if elapsed := time.Since(start); elapsed > tc.maxTime {
				t.Errorf("Deliver took %v, want under %v", elapsed, tc.maxTime)
			}
			if got != tc.want {
				t.Errorf("Deliver = %+v, want %+v", got, tc.want)
			}
			logged := strings.TrimSuffix(buf.String(), "\n")
			if tc.wantReason == "" {
				if logged != "" {
					t.Errorf("unexpected fallback log: %s", logged)
				}
				if n := len(be.messages()); n != 1 {
					t.Errorf("server got %d messages, want 1", n)
				}
				return
			}
			if strings.Count(logged, "\n") != 0 || logged == "" {
				t.Fatalf("want exactly one fallback line, got %q", logged)
			}
			var line map[string]any
			if err := json.Unmarshal([]byte(logged), &line); err != nil {
				t.Fatalf("decode %q: %v", logged, err)
			}
			for k, v := range map[string]any{
				"level": "warn", "message": "mail delivery fallback", "reason": tc.wantReason,
				"to": m.To, "subject": m.Subject, "body": m.Text,
			} {
				if line[k] != v {
					t.Errorf("log %s = %v, want %v", k, line[k], v)
				}
			}
			if !strings.Contains(fmt.Sprint(line["body"]), "Code: 246810") {
				t.Errorf("fallback body lacks the code: %v", line["body"])
			}
			if be != nil && len(be.messages()) != 0 {
				t.Errorf("server recorded a message despite the failure")
			}
		})
	}
}

// okServer starts an accepting server and returns a mailer for it.
func okServer(t *testing.T) (Mailer, *backend) {
	be := &backend{}
	port, _ := startServer(t, be, noTLS)
	return NewSMTP(Config{Host: "127.0.0.1", Port: port, Timeout: 5 * time.Second}), be
}

func TestDeliverIgnoresCallerCancellation(t *testing.T) {
	mailer, be := okServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the HTTP client went away; the code is already stored
	var buf syncBuffer
	got := Deliver(ctx, mailer, NewLog(zerolog.New(&buf)), Registration,
		Compose(Registration, "user@example.com", "135790", 24, ""))
	if !got.Delivered || got.Fallback {
		t.Errorf("Deliver = %+v, want delivered", got)
	}
	if n := len(be.messages()); n != 1 {
		t.Errorf("server got %d messages, want 1", n)
	}
}

func TestErrorType(t *testing.T) {
	opErr := &net.OpError{Op: "dial", Err: errors.New("refused")}
	tests := []struct {
		err  error
		want string
	}{
		{nil, "nil"},
		{errors.New("x"), "errors.errorString"},
		{opErr, "net.OpError"},
		{fmt.Errorf("connect: %w", opErr), "net.OpError"},
		{fmt.Errorf("a: %w", fmt.Errorf("b: %w", fs.ErrNotExist)), "errors.errorString"},
		{fmt.Errorf("%w: %w", context.DeadlineExceeded, opErr), "context.deadlineExceededError"},
		{errors.Join(opErr, errors.New("close")), "net.OpError"},
		{fmt.Errorf("no wrap %v", opErr), "errors.errorString"},
	}
	for _, tc := range tests {
		if got := ErrorType(tc.err); got != tc.want {
			t.Errorf("ErrorType(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
