package mail

import (
	"context"

	"github.com/rs/zerolog"
)

// fallbackMessage is the log message of every fallback line.
const fallbackMessage = "mail delivery fallback"

// LogMailer is the development fallback used when SMTP is not configured and
// the record kept when a send fails: instead of sending, it writes the
// message, including its code, to the log so that an admin can pass the code
// on. It is the only place this server logs a verification code.
type LogMailer struct {
	logger zerolog.Logger
}

// NewLog returns a LogMailer that writes to logger.
func NewLog(logger zerolog.Logger) LogMailer {
	return LogMailer{logger: logger}
}

// Send writes exactly one warn-level line with the fields to, subject and
// body (the plain-text part) and the message "mail delivery fallback". It
// never returns an error.
func (l LogMailer) Send(_ context.Context, m Message) error {
	l.log(m, "", nil)
	return nil
}

// log writes the fallback line; reason and err are added when set.
func (l LogMailer) log(m Message, reason string, err error) {
	ev := l.logger.Warn().
		Str("to", m.To).
		Str("subject", m.Subject).
		Str("body", m.Text)
	if reason != "" {
		ev = ev.Str("reason", reason)
	}
	if err != nil {
		ev = ev.AnErr("error", err)
	}
	ev.Msg(fallbackMessage)
}
