// Package oauth holds the outbound clients for the two sign-in providers,
// Google (OpenID Connect) and GitHub (OAuth 2.0), and the static HTML page
// served on the provider callback URLs.
//
// It has no HTTP handlers and no storage: the app layer calls Exchange and
// Verify/Profile, gets an Identity or a typed *Error, and maps that to the
// contract's responses (CONTRACT §1.3 #17, #18, #21, #22).
//
// Every outbound request has a deadline (token exchange 15 s, everything
// else 10 s by default, see Options). No token, code or client secret is
// ever written into an error string.
package oauth

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// Default timeouts for outbound calls, as in the original (CONTRACT #17, #18).
const (
	DefaultExchangeTimeout = 15 * time.Second
	DefaultRequestTimeout  = 10 * time.Second
)

// maxBody caps every provider response we read; real ones are a few KiB.
const maxBody = 1 << 20

// maxReason caps provider-supplied text copied into Error.Reason.
const maxReason = 200

// userAgent is sent on every request; GitHub's API rejects requests without one.
const userAgent = "notechondria-auth"

// Identity is what a provider says about the person who signed in. It is the
// input to resolving or binding a local user (CONTRACT §3.9).
type Identity struct {
	Provider      string // "google" or "github"
	UID           string // Google "sub", GitHub numeric id as a string
	Email         string // may be empty
	EmailVerified bool   // the provider vouches for Email
	Username      string // suggested local username
	DisplayName   string
	Extra         map[string]any // stored as SocialAccount.extra_data
}

// Options tune the outbound HTTP behaviour of a provider client. The zero
// value is usable: real clock, http.DefaultTransport, default timeouts.
type Options struct {
	// Now is the clock used for ID token expiry. Defaults to time.Now.
	Now func() time.Time
	// Transport carries every request. Defaults to http.DefaultTransport.
	Transport http.RoundTripper
	// ExchangeTimeout bounds the authorization code exchange. Default 15 s.
	ExchangeTimeout time.Duration
	// RequestTimeout bounds every other call (JWKS, /user, /user/emails).
	// Default 10 s.
	RequestTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport
	}
	if o.ExchangeTimeout <= 0 {
		o.ExchangeTimeout = DefaultExchangeTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	return o
}

// client returns an HTTP client whose transport reads the whole (capped)
// body inside RoundTrip, so a connection dropped mid-body surfaces from
// Client.Do as a network error instead of a parse error later on. Redirects
// are not followed: none of the endpoints we call redirect, and following
// one would resend credentials to wherever it points.
func (o Options) client(timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: bufferingTransport{next: o.Transport},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

type bufferingTransport struct{ next http.RoundTripper }

func (t bufferingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", userAgent)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// sanitize turns provider-supplied text into something safe to put in an
// error message shown to users: control characters become spaces, runs of
// space collapse, and the result is capped at maxReason runes.
func sanitize(s string) string {
	var b strings.Builder
	space := false
	n := 0
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == unicode.ReplacementChar {
			space = b.Len() > 0
			continue
		}
		if n >= maxReason {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
			n++
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// firstNonEmpty returns the first argument that is not empty.
func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
