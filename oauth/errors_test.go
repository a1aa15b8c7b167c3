package oauth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"
)

func TestErrorString(t *testing.T) {
	opErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	urlErr := &url.Error{Op: "Post", URL: "https://oauth2.googleapis.com/token", Err: opErr}
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"rejected with reason", &Error{Provider: "google", Phase: PhaseTokenExchange, Kind: Rejected,
			Status: 400, Reason: "Bad Request"},
			"oauth: google token_exchange: rejected (HTTP 400: Bad Request)"},
		{"rejected without reason", &Error{Provider: "github", Phase: PhaseProfileFetch, Kind: Rejected, Status: 502},
			"oauth: github profile_fetch: rejected (HTTP 502)"},
		{"no token", &Error{Provider: "github", Phase: PhaseTokenExchange, Kind: NoToken, Reason: "bad_verification_code"},
			"oauth: github token_exchange: no_token (bad_verification_code)"},
		{"audience", &Error{Provider: "google", Phase: PhaseTokenVerify, Kind: AudienceMismatch},
			"oauth: google token_verify: audience_mismatch"},
		{"network", netError("google", PhaseTokenExchange, urlErr),
			`oauth: google token_exchange: network (*net.OpError): Post "https://oauth2.googleapis.com/token": dial tcp: connection refused`},
		{"deadline", netError("google", PhaseTokenVerify, fmt.Errorf("fetching keys %w", context.DeadlineExceeded)),
			"oauth: google token_verify: network (context.DeadlineExceeded): fetching keys context deadline exceeded"},
		{"unknown kind", &Error{Provider: "x", Phase: "p", Kind: 99}, "oauth: x p: kind(99)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q\nwant      %q", got, tt.want)
			}
		})
	}
}

func TestErrorUnwrapAndClass(t *testing.T) {
	opErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("refused")}
	tests := []struct {
		name      string
		cause     error
		network   bool
		wantClass string
	}{
		{"url error", &url.Error{Op: "Get", URL: "u", Err: opErr}, true, "*net.OpError"},
		{"wrapped url error", fmt.Errorf("oidc: %w", &url.Error{Op: "Get", URL: "u", Err: opErr}), true, "*net.OpError"},
		{"deadline", context.DeadlineExceeded, true, "context.DeadlineExceeded"},
		{"canceled inside url error", &url.Error{Op: "Get", URL: "u", Err: context.Canceled}, true, "context.Canceled"},
		{"plain error", errors.New("failed to verify id token signature"), false, "*errors.errorString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isNetwork(tt.cause); got != tt.network {
				t.Errorf("isNetwork = %v, want %v", got, tt.network)
			}
			e := netError("github", PhaseEmailFetch, tt.cause)
			if e.ExcClass != tt.wantClass {
				t.Errorf("ExcClass = %q, want %q", e.ExcClass, tt.wantClass)
			}
			if !errors.Is(e, tt.cause) {
				t.Errorf("errors.Is(e, cause) = false; Unwrap broken")
			}
		})
	}
}
