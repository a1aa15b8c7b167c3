// Package mail composes and delivers the account emails of notechondria-auth:
// registration, password reset, identity and change-email codes.
//
// Delivery goes through SMTP (SMTPMailer) when SMTP_HOST is set. Without it,
// and whenever a send fails, the message is written to the log instead
// (LogMailer), so an admin can read the code to the user; that is the one
// place where this server logs a verification code, as the original did.
package mail

import (
	"context"
	"crypto/x509"
	"time"
)

// DefaultPort is the SMTP port used when Config.Port is zero (SMTP_PORT's default).
const DefaultPort = 587

// DefaultTimeout bounds one delivery attempt when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// DefaultFrom is the sender used when neither SMTP_FROM_EMAIL nor
// SMTP_USERNAME is set.
const DefaultFrom = "no-reply@notechondria.local"

// Message is one email with a plain-text body and an optional HTML
// alternative of the same content.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// Mailer delivers one message. Implementations must be safe for concurrent
// use and must return once ctx is done.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Config is the SMTP configuration, one field per environment variable of the
// original deployment.
type Config struct {
	// Host is SMTP_HOST. Empty means SMTP is not configured (see Configured).
	Host string
	// Port is SMTP_PORT; zero means DefaultPort (587).
	Port int
	// Username and Password are SMTP_USERNAME and SMTP_PASSWORD. SMTP AUTH
	// is attempted only when Username is not empty.
	Username string
	Password string
	// UseTLS is SMTP_USE_TLS (default true): STARTTLS is mandatory and the
	// send fails if the server does not offer it.
	UseTLS bool
	// UseSSL is SMTP_USE_SSL (default false): implicit TLS from the first
	// byte (usually port 465). It takes precedence over UseTLS.
	UseSSL bool
	// From is SMTP_FROM_EMAIL; see FromAddress for its defaults.
	From string
	// Timeout bounds one whole send (dial, TLS, AUTH, DATA, QUIT); zero
	// means DefaultTimeout.
	Timeout time.Duration
	// InsecureSkipVerify disables verification of the server certificate.
	// It exists for tests only and must never be set in production.
	InsecureSkipVerify bool
	// RootCAs, when not nil, replaces the system roots for verifying the
	// server certificate (tests, private relays).
	RootCAs *x509.CertPool
}

// Configured reports whether SMTP delivery is configured. As in the
// original, where the port and sender always have defaults, only the host
// decides.
func (c Config) Configured() bool {
	return c.Host != ""
}

// FromAddress returns SMTP_FROM_EMAIL, else SMTP_USERNAME, else DefaultFrom.
func (c Config) FromAddress() string {
	switch {
	case c.From != "":
		return c.From
	case c.Username != "":
		return c.Username
	default:
		return DefaultFrom
	}
}

// port returns the configured port or DefaultPort.
func (c Config) port() int {
	if c.Port == 0 {
		return DefaultPort
	}
	return c.Port
}

// timeout returns the configured timeout or DefaultTimeout.
func (c Config) timeout() time.Duration {
	if c.Timeout <= 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

// FromConfig returns an SMTPMailer for cfg, or a nil Mailer when SMTP is not
// configured, which is what Deliver expects. It returns an untyped nil so
// that the interface compares equal to nil.
func FromConfig(cfg Config) Mailer {
	if !cfg.Configured() {
		return nil
	}
	return NewSMTP(cfg)
}
