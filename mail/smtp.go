package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPMailer delivers messages over SMTP with github.com/wneessen/go-mail.
// It opens one connection per message, so it holds no connection state and
// is safe for concurrent use.
type SMTPMailer struct {
	cfg Config
}

// NewSMTP returns a Mailer that sends through the SMTP server in cfg. The
// configuration is checked on each Send, not here.
func NewSMTP(cfg Config) *SMTPMailer {
	return &SMTPMailer{cfg: cfg}
}

// Send delivers m as a multipart/alternative message (text/plain and, when
// m.HTML is set, text/html). The whole exchange is bounded by the earlier of
// ctx's deadline and Config.Timeout; cancelling ctx closes the connection.
// Errors wrap the go-mail, network or context error that stopped delivery.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.timeout())
	defer cancel()
	deadline, _ := ctx.Deadline()
	remaining := time.Until(deadline)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: send to %s: %w", m.To, err)
	}
	if remaining <= 0 {
		return fmt.Errorf("mail: send to %s: %w", m.To, context.DeadlineExceeded)
	}

	msg, err := s.message(m)
	if err != nil {
		return fmt.Errorf("mail: build message to %s: %w", m.To, err)
	}
	client, err := gomail.NewClient(s.cfg.Host, s.options(remaining)...)
	if err != nil {
		return fmt.Errorf("mail: configure client: %w", err)
	}

	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.port()))
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return withContext(ctx, fmt.Errorf("mail: connect to %s: %w", addr, err))
	}
	// go-mail only watches ctx while dialling; after that it relies on
	// socket deadlines, so close the socket ourselves if ctx ends first.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	if err := client.SendWithSMTPClient(conn, msg); err != nil {
		_ = client.CloseWithSMTPClient(conn)
		return withContext(ctx, fmt.Errorf("mail: send to %s via %s: %w", m.To, addr, err))
	}
	// The server accepted the message at the end of DATA; a failed QUIT
	// does not undo that, so its error is not a delivery failure.
	_ = client.CloseWithSMTPClient(conn)
	return nil
}

// withContext puts ctx's error first when ctx ended, so the reported error
// type says "deadline" rather than "i/o timeout" or "use of closed network
// connection". The socket deadline equals ctx's, so a socket timeout can be
// seen a moment before ctx reports it; it is the same deadline.
func withContext(ctx context.Context, err error) error {
	ctxErr := ctx.Err()
	if ctxErr == nil && errors.Is(err, os.ErrDeadlineExceeded) {
		ctxErr = context.DeadlineExceeded
	}
	if ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}
	return err
}

// options translates Config into go-mail client options.
func (s *SMTPMailer) options(timeout time.Duration) []gomail.Option {
	cfg := s.cfg
	tlsConfig := &tls.Config{
		ServerName: cfg.Host,
		RootCAs:    cfg.RootCAs,
		MinVersion: tls.VersionTLS12,
		// Only ever true in tests; see Config.InsecureSkipVerify.
		InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.port()),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(tlsConfig),
	}
	switch {
	case cfg.UseSSL:
		opts = append(opts, gomail.WithSSL())
	case cfg.UseTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.Username != "" {
		// PLAIN or LOGIN, whichever the server offers (as Python's
		// smtplib does); if neither, go-mail falls back to discovering a
		// challenge-response mechanism. go-mail refuses PLAIN/LOGIN over a
		// cleartext connection except to localhost, so credentials are
		// never sent in the clear to a remote host.
		opts = append(opts,
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
		)
	}
	return opts
}

// message builds the go-mail message for m.
func (s *SMTPMailer) message(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.cfg.FromAddress()); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(m.Subject)
	switch {
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		if m.HTML != "" {
			msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
		}
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, "")
	}
	return msg, nil
}
