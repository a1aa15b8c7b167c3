package mail

import (
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
)

// Kind says which account email a message is; it picks the subject, intro,
// action label and the success message of Deliver. The zero value is not a
// kind; Compose gives it a neutral wording.
type Kind int

// The kinds of account email (CONTRACT 3.10 and endpoint #8).
const (
	// Registration carries the code of register and resend-verification.
	Registration Kind = iota + 1
	// PasswordReset carries the code of password-reset.
	PasswordReset
	// Identity carries the code of send-identity-code.
	Identity
	// ChangeEmail carries the code of change-email, sent to the new address.
	ChangeEmail
	// SignIn carries the code that confirms a pending two-step sign-in.
	SignIn
)

// NoURLAction is the action line's text when FRONTEND_VERIFY_URL is empty.
const NoURLAction = "Open the app settings page to continue."

// String returns the kind's name, for logs and test names.
func (k Kind) String() string {
	switch k {
	case Registration:
		return "registration"
	case PasswordReset:
		return "password_reset"
	case Identity:
		return "identity"
	case ChangeEmail:
		return "change_email"
	case SignIn:
		return "sign_in"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// wording is the fixed text of one kind of email.
type wording struct {
	subject, intro, label string
}

// words returns the contract's wording for k. An unknown kind gets a neutral
// wording rather than a panic, since a handler bug should still deliver the
// code.
func (k Kind) words() wording {
	switch k {
	case Registration:
		return wording{
			"Verify your Notechondria account",
			"Use this code to verify your Notechondria account.",
			"Verify here",
		}
	case PasswordReset:
		return wording{
			"Reset your Notechondria password",
			"Use this code to reset your Notechondria password.",
			"Open settings",
		}
	case Identity:
		return wording{
			"Verify your identity \u2013 Notechondria",
			"Use this code to verify your identity before making account changes.",
			"Open settings",
		}
	case ChangeEmail:
		return wording{
			"Confirm your new Notechondria email",
			"Use this code to confirm your new email address.",
			"Open settings",
		}
	case SignIn:
		return wording{
			"Confirm your Notechondria sign-in",
			"Use this code to confirm a new sign-in to your Notechondria account. If you did not just sign in, change your password.",
			"Open settings",
		}
	default:
		return wording{
			"Your Notechondria code",
			"Use this code to continue.",
			"Open settings",
		}
	}
}

// htmlBody renders the HTML alternative: the same lines as the text part,
// inline styles only, no external resources. Every value is escaped with
// html.EscapeString, and a link whose scheme is not http or https is
// replaced by "#ZgotmplZ" (html/template's marker, which this replaced: its
// reflective calls cost 2.5 MB of binary).
func htmlBody(subject, intro, email, code, label, link string, ttlHours int) string {
	e := html.EscapeString
	action := e(NoURLAction)
	if link != "" {
		href := link
		if u, err := url.Parse(link); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			href = "#ZgotmplZ"
		}
		action = `<a href="` + e(href) + `">` + e(link) + `</a>`
	}
	return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>` + e(subject) + `</title></head>
<body style="font-family:sans-serif;line-height:1.5;color:#222">
<p>` + e(intro) + `</p>
<p>Email: ` + e(email) + `<br>
Code: <strong style="font-size:1.4em;letter-spacing:0.1em">` + e(code) + `</strong><br>
Code expires in: ` + strconv.Itoa(ttlHours) + ` hours</p>
<p>` + e(label) + `: ` + action + `</p>
</body></html>
`
}

// Compose renders the email of kind for the code sent to address to. ttlHours
// is EMAIL_VERIFICATION_TTL_HOURS and verifyURL is FRONTEND_VERIFY_URL (may
// be empty). The text part is byte-for-byte the original's:
//
//	{intro}\n\nEmail: {to}\nCode: {code}\nCode expires in: {ttl} hours\n{label}: {verifyURL or NoURLAction}\n
func Compose(kind Kind, to, code string, ttlHours int, verifyURL string) Message {
	w := kind.words()
	action := verifyURL
	if action == "" {
		action = NoURLAction
	}
	text := fmt.Sprintf("%s\n\nEmail: %s\nCode: %s\nCode expires in: %d hours\n%s: %s\n",
		w.intro, to, code, ttlHours, w.label, action)

	return Message{To: to, Subject: w.subject, Text: text,
		HTML: htmlBody(w.subject, w.intro, to, code, w.label, verifyURL, ttlHours)}
}

// WithNote returns m with one more paragraph after the code (text and HTML,
// escaped): what else the recipient should know, such as the sign-in
// providers a password reset will unlink.
func (m Message) WithNote(note string) Message {
	if note == "" {
		return m
	}
	m.Text += "\n" + note + "\n"
	p := "<p>" + html.EscapeString(note) + "</p>\n"
	if i := strings.LastIndex(m.HTML, "</body>"); i >= 0 {
		m.HTML = m.HTML[:i] + p + m.HTML[i:]
	}
	return m
}
