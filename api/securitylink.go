package api

import (
	"html"
	"net/http"
	"net/url"

	"github.com/julienschmidt/httprouter"

	"notechondria-auth/app"
	"notechondria-auth/mail"
)

// securityLinkPath is where the links of the security notices point: the
// "This wasn't me" page of a new-device mail and the "Undo this change"
// page of an email change, followed by the token.
const securityLinkPath = "/auth/security-link/"

// handleSecurityLinkPage is GET /auth/security-link/<token>: a small page
// with one button. Opening the link changes nothing (mail scanners open
// links); only the button's POST does.
func (s *Server) handleSecurityLinkPage(w http.ResponseWriter, r *http.Request) {
	t, ok := s.liveLink(r)
	if !ok {
		linkPage(w, http.StatusNotFound, "Link expired", "This link was already used or has expired.", "")
		return
	}
	action := securityLinkPath + url.PathEscape(httprouter.ParamsFromContext(r.Context()).ByName("token"))
	if t.Purpose == app.TokenEmailDispute {
		linkPage(w, http.StatusOK, "Undo the email change",
			"The email address of your Notechondria account was changed. Undo it: this puts "+
				app.MaskEmail(t.Data)+" back, signs every device out and mails you a password-reset code.",
			`<form method="post" action="`+html.EscapeString(action)+`"><button type="submit">Undo the change and sign out everywhere</button></form>`)
		return
	}
	linkPage(w, http.StatusOK, "This wasn't me",
		"Somebody signed in to your Notechondria account from a new device. If it wasn't you: this signs that device and every other device out and mails you a password-reset code.",
		`<form method="post" action="`+html.EscapeString(action)+`"><button type="submit">Sign out everywhere and reset my password</button></form>`)
}

// handleSecurityLinkUse is POST /auth/security-link/<token>: spends the
// token with its effect in one transaction (every session revoked; for an
// email dispute, the old address back), recorded in the security log, and
// mails a password-reset code. A cross-site POST is refused: the page's
// own form is same-origin.
func (s *Server) handleSecurityLinkUse(w http.ResponseWriter, r *http.Request) {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		linkPage(w, http.StatusForbidden, "Refused", "Open the link from your mail and press the button there.", "")
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != s.requestOrigin(r) && o != s.publicOrigin(r) {
		linkPage(w, http.StatusForbidden, "Refused", "Open the link from your mail and press the button there.", "")
		return
	}
	t, ok := s.liveLink(r)
	if !ok {
		linkPage(w, http.StatusNotFound, "Link expired", "This link was already used or has expired.", "")
		return
	}
	a := s.audit(r)
	if t.Purpose == app.TokenEmailDispute {
		a.Add(t.UserID, app.EventEmailChangeReverted, map[string]any{"restored": app.MaskEmail(t.Data)})
		a.Cause = app.CauseEmailDispute
	} else {
		a.Add(t.UserID, app.EventNotMeReported, map[string]any{"reported_session_id": t.SessionID})
		a.Cause = app.CauseNotMe
	}
	_, u, _, err := s.store.RedeemActionToken(audited(r, a), t.Hash, t.Purpose, s.now())
	switch app.ErrorCode(err) {
	case "":
	case app.ENOTFOUND:
		linkPage(w, http.StatusNotFound, "Link expired", "This link was already used or has expired.", "")
		return
	case app.ECONFLICT:
		linkPage(w, http.StatusConflict, "Not undone",
			"The old address now belongs to another account, so it cannot be put back. Reset your password from the sign-in page.", "")
		return
	default:
		s.log.Error().Err(err).Str("request_id", requestID(r)).Msg("security link failed")
		linkPage(w, http.StatusInternalServerError, "Something went wrong", "Nothing was changed. Try the link again in a minute.", "")
		return
	}
	note := "Every device was signed out."
	if u.Email != "" {
		if _, err := s.issueAndSend(r, nil, mail.PasswordReset, u.Email, app.FuncPasswordReset(u.Email),
			app.CodeFunction, 0, ""); err != nil {
			s.log.Error().Err(err).Str("request_id", requestID(r)).Msg("reset code after security link not sent")
		} else {
			note += " A password-reset code was sent to " + app.MaskEmail(u.Email) + "."
		}
	}
	linkPage(w, http.StatusOK, "Done", note, "")
}

// liveLink reads the token of the request's link and reports whether it is
// live.
func (s *Server) liveLink(r *http.Request) (*app.ActionToken, bool) {
	token := httprouter.ParamsFromContext(r.Context()).ByName("token")
	if len(token) != 2*app.ActionTokenBytes {
		return nil, false
	}
	t, err := s.store.ActionTokenByHash(r.Context(), app.HashHex(token))
	if err != nil {
		if app.ErrorCode(err) != app.ENOTFOUND {
			s.log.Error().Err(err).Str("request_id", requestID(r)).Msg("security link lookup failed")
		}
		return nil, false
	}
	return t, t.Live(s.now())
}

// linkPage writes the small HTML page of a security link: a title, one
// paragraph and an optional form (already escaped). No template package:
// html/template costs 2.5 MB of binary (docs/ARCHITECTURE.md).
func linkPage(w http.ResponseWriter, status int, title, text, form string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	e := html.EscapeString
	w.Write([]byte(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>` + e(title) + ` – Notechondria</title>
<style>body{font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em;line-height:1.5;color:#222}button{font-size:1em;padding:.6em 1em}</style>
</head><body>
<h1>` + e(title) + `</h1>
<p>` + e(text) + `</p>
` + form + `
</body></html>
`))
}
