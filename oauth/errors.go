package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Kind classifies what went wrong talking to a provider, so handlers can pick
// the contract's status and message without looking at error text.
type Kind int

// The kinds of provider failure.
const (
	// Network: the provider could not be reached (dial, DNS, TLS, timeout,
	// connection dropped). The bind endpoints answer 502.
	Network Kind = iota + 1
	// Rejected: the provider answered with an error (Status and Reason set).
	Rejected
	// NoToken: the token endpoint answered 200 but without the token we need
	// (Google id_token, GitHub access_token); Reason may carry its "error".
	NoToken
	// AudienceMismatch: a valid Google ID token issued to another client.
	AudienceMismatch
	// InvalidToken: the ID token is malformed, badly signed, expired, not yet
	// valid, from the wrong issuer, or has no subject.
	InvalidToken
	// NotConfigured: the client id or secret is missing (phase config_lookup).
	NotConfigured
)

// String returns the kind's lower-case name.
func (k Kind) String() string {
	switch k {
	case Network:
		return "network"
	case Rejected:
		return "rejected"
	case NoToken:
		return "no_token"
	case AudienceMismatch:
		return "audience_mismatch"
	case InvalidToken:
		return "invalid_token"
	case NotConfigured:
		return "not_configured"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Phases, named as in the contract's bind error messages (CONTRACT #21, #22).
const (
	PhaseConfigLookup  = "config_lookup"
	PhaseTokenExchange = "token_exchange"
	PhaseTokenVerify   = "token_verify"
	PhaseProfileFetch  = "profile_fetch"
	PhaseEmailFetch    = "email_fetch"
)

// Provider names used in Identity.Provider and Error.Provider.
const (
	ProviderGoogle = "google"
	ProviderGitHub = "github"
)

// Error is every failure returned by the provider clients.
//
// Its Error() text is safe to log: it never contains a token, code or
// secret, nor a provider response body. Cause is set for Network errors (a
// *url.Error or context error, whose text names only the endpoint URL) and
// for InvalidToken (the go-oidc error); it is never a response body.
type Error struct {
	Provider string // ProviderGoogle or ProviderGitHub
	Phase    string // one of the Phase constants
	Kind     Kind
	Status   int    // provider HTTP status, for Rejected
	Reason   string // provider's error_description/error/message, sanitized; or our own short reason
	ExcClass string // Go type of the underlying network error, e.g. "*net.OpError", for Network
	Cause    error
}

// Error describes the failure without any credential.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "oauth: %s %s: %s", e.Provider, e.Phase, e.Kind)
	switch {
	case e.Kind == Network:
		fmt.Fprintf(&b, " (%s)", e.ExcClass)
		if e.Cause != nil {
			fmt.Fprintf(&b, ": %v", e.Cause)
		}
	case e.Status != 0 && e.Reason != "":
		fmt.Fprintf(&b, " (HTTP %d: %s)", e.Status, e.Reason)
	case e.Status != 0:
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	case e.Reason != "":
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	return b.String()
}

// Unwrap returns Cause.
func (e *Error) Unwrap() error { return e.Cause }

// isNetwork reports whether err came from failing to talk to the provider:
// any error from http.Client.Do is a *url.Error, and a deadline or
// cancellation while waiting (for example on a JWKS fetch) is a context error.
func isNetwork(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled)
}

// netError wraps a transport failure as a Network *Error.
func netError(provider, phase string, err error) *Error {
	return &Error{Provider: provider, Phase: phase, Kind: Network, ExcClass: excClass(err), Cause: err}
}

// excClass names the interesting part of a transport error: the context
// sentinel for timeouts and cancellation, else the Go type of what *url.Error
// wraps (usually *net.OpError), else the error's own type.
func excClass(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "context.DeadlineExceeded"
	case errors.Is(err, context.Canceled):
		return "context.Canceled"
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	return fmt.Sprintf("%T", err)
}

// notConfigured is returned when client id or secret is missing.
func notConfigured(provider string) *Error {
	return &Error{Provider: provider, Phase: PhaseConfigLookup, Kind: NotConfigured,
		Reason: "client id or secret not configured"}
}
