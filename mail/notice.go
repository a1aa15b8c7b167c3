package mail

import (
	"html"
	"net/url"
	"strings"
)

// NoticeKind names a security notice: a mail that tells the owner what
// happened to the account (issue 15), with no code in it.
type NoticeKind int

// The security notices.
const (
	// NewDeviceNotice: a sign-in from a device the account has not used
	// lately; Link is the "This wasn't me" page.
	NewDeviceNotice NoticeKind = iota + 1
	// PasswordChangedNotice: the password was changed.
	PasswordChangedNotice
	// PasswordResetNotice: the password was reset with an emailed code.
	PasswordResetNotice
	// SecondFactorRemovedNotice: a second factor was turned off.
	SecondFactorRemovedNotice
	// APIKeyRotatedNotice: a new API key replaced the old one.
	APIKeyRotatedNotice
	// EmailChangedNotice: sent to the old address; Link disputes the
	// change.
	EmailChangedNotice
)

// String returns the notice's name, for logs and test names.
func (k NoticeKind) String() string {
	switch k {
	case NewDeviceNotice:
		return "new_device"
	case PasswordChangedNotice:
		return "password_changed"
	case PasswordResetNotice:
		return "password_reset_done"
	case SecondFactorRemovedNotice:
		return "second_factor_removed"
	case APIKeyRotatedNotice:
		return "api_key_rotated"
	case EmailChangedNotice:
		return "email_changed"
	}
	return "notice"
}

// noticeWords are a notice's subject, first paragraph, advice and link
// label.
func (k NoticeKind) words() (subject, intro, advice, label string) {
	const change = "If this wasn't you, reset your password now and check your account's security activity."
	switch k {
	case NewDeviceNotice:
		return "New sign-in to your Notechondria account",
			"Your Notechondria account was just signed in to from a device it has not used in the last 90 days.",
			"If this was you, there is nothing to do. If it wasn't, open the link below: it signs that device and every other device out and mails you a password-reset code.",
			"This wasn't me"
	case PasswordChangedNotice:
		return "Your Notechondria password was changed",
			"The password of your Notechondria account was changed, and every other device was signed out.", change, ""
	case PasswordResetNotice:
		return "Your Notechondria password was reset",
			"The password of your Notechondria account was reset with an emailed code; every device was signed out, and the API key and linked sign-in providers were removed.",
			change, ""
	case SecondFactorRemovedNotice:
		return "A second factor was removed from your Notechondria account",
			"A second sign-in step was turned off for your Notechondria account.", change, ""
	case APIKeyRotatedNotice:
		return "Your Notechondria API key was replaced",
			"A new API key was created for your Notechondria account; the previous key no longer works.", change, ""
	case EmailChangedNotice:
		return "The email address of your Notechondria account was changed",
			"The email address of your Notechondria account was changed away from this address.",
			"If this wasn't you, open the link below within 24 hours: it puts this address back and signs every device out.",
			"Undo this change"
	}
	return "Notechondria security notice", "Something changed in your Notechondria account.", change, ""
}

// ComposeNotice renders the notice of kind to address to: its paragraph,
// the facts (label: value lines, in order), the advice and, when link is
// set, the link (only http and https links are made clickable in the HTML
// part; every value is escaped).
func ComposeNotice(kind NoticeKind, to string, facts [][2]string, link string) Message {
	subject, intro, advice, label := kind.words()
	var t strings.Builder
	t.WriteString(intro + "\n\n")
	for _, f := range facts {
		t.WriteString(f[0] + ": " + f[1] + "\n")
	}
	t.WriteString("\n" + advice + "\n")
	if link != "" && label != "" {
		t.WriteString(label + ": " + link + "\n")
	}
	e := html.EscapeString
	var h strings.Builder
	h.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + e(subject) +
		"</title></head>\n<body style=\"font-family:sans-serif;line-height:1.5;color:#222\">\n<p>" + e(intro) + "</p>\n<p>")
	for i, f := range facts {
		if i > 0 {
			h.WriteString("<br>\n")
		}
		h.WriteString(e(f[0]) + ": " + e(f[1]))
	}
	h.WriteString("</p>\n<p>" + e(advice) + "</p>\n")
	if link != "" && label != "" {
		href := link
		if u, err := url.Parse(link); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			href = "#ZgotmplZ"
		}
		h.WriteString(`<p><a href="` + e(href) + `">` + e(label) + "</a></p>\n")
	}
	h.WriteString("</body></html>\n")
	return Message{To: to, Subject: subject, Text: t.String(), HTML: h.String()}
}
