package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The public messages of a delivery that did not happen (CONTRACT 3.10).
const (
	// NotConfiguredMessage is returned when SMTP is not configured.
	NotConfiguredMessage = "SMTP is not configured. Contact an admin for the verification code."
	// SendFailedMessage is returned when the SMTP send failed.
	SendFailedMessage = "Email delivery failed. Contact an admin for the verification code."
)

// The fallback reasons written to the log line.
const (
	// ReasonNotConfigured is logged when SMTP is not configured.
	ReasonNotConfigured = "smtp_not_configured"
	// ReasonSendFailedPrefix is followed by the error type, as the
	// original's "smtp_send_failed:<ExcClass>".
	ReasonSendFailedPrefix = "smtp_send_failed:"
)

// Result is the outcome of Deliver as handlers report it: Message becomes the
// response's "message" and Fallback its "delivery_fallback".
type Result struct {
	Delivered bool
	Fallback  bool
	Message   string
}

// SuccessMessage returns the response message for a delivered email of kind:
// "Verification email sent." (registration and resend), "Password reset
// email sent." (reset) or "Email sent." (identity, change-email).
func SuccessMessage(kind Kind) string {
	switch kind {
	case Registration:
		return "Verification email sent."
	case PasswordReset:
		return "Password reset email sent."
	default:
		return "Email sent."
	}
}

// Deliver sends m and never fails: the caller has already stored the code,
// and the HTTP status is the same whatever happens here.
//
//   - mailer == nil (SMTP not configured, see FromConfig): m is written to
//     fallback with reason smtp_not_configured, and the Result says so.
//   - mailer.Send fails: m is written to fallback with reason
//     smtp_send_failed:<error type> and the error, and the Result says so.
//   - otherwise the Result carries SuccessMessage(kind).
//
// The send is detached from ctx's cancellation (a client that hangs up must
// not abort a half-sent code), so its duration is bounded by the mailer's own
// timeout: Config.Timeout for SMTPMailer. Values in ctx are kept.
func Deliver(ctx context.Context, mailer Mailer, fallback LogMailer, kind Kind, m Message) Result {
	if mailer == nil {
		fallback.log(m, ReasonNotConfigured, nil)
		return Result{Fallback: true, Message: NotConfiguredMessage}
	}
	if err := mailer.Send(context.WithoutCancel(ctx), m); err != nil {
		fallback.log(m, ReasonSendFailedPrefix+ErrorType(err), err)
		return Result{Fallback: true, Message: SendFailedMessage}
	}
	return Result{Delivered: true, Message: SuccessMessage(kind)}
}

// ErrorType names the type of the first error in err's chain that is not a
// plain fmt/errors wrapper, e.g. "mail.SendError", "net.OpError" or
// "context.deadlineExceededError": the Go counterpart of the original's
// exception class name.
func ErrorType(err error) string {
	for err != nil {
		switch name := fmt.Sprintf("%T", err); name {
		case "*fmt.wrapError", "*fmt.wrapErrors", "*errors.joinError":
			if multi, ok := err.(interface{ Unwrap() []error }); ok {
				if errs := multi.Unwrap(); len(errs) > 0 {
					err = errs[0]
					continue
				}
				return strings.TrimPrefix(name, "*")
			}
			next := errors.Unwrap(err)
			if next == nil {
				return strings.TrimPrefix(name, "*")
			}
			err = next
		default:
			return strings.TrimPrefix(name, "*")
		}
	}
	return "nil"
}
