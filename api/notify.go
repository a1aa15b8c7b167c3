package api

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"notechondria-auth/app"
	"notechondria-auth/mail"
)

// Security notices (issue 15): a mail to the owner after a sign-in from a
// new device and after every credential change. They are sent after the
// commit, in the background: the answer does not wait for the SMTP server,
// and a failed send is logged (the development fallback logs the whole
// mail, as it does for codes). What happened is in the security log either
// way.

// notices runs the background sends, at most noticeSenders at a time.
type notices struct {
	slots chan struct{}
	wg    sync.WaitGroup
}

// noticeSenders bounds the concurrent notice sends.
const noticeSenders = 8

func newNotices() *notices { return &notices{slots: make(chan struct{}, noticeSenders)} }

// WaitNotices waits for the notice mails sent so far (tests, shutdown).
func (s *Server) WaitNotices() { s.notices.wg.Wait() }

// sendNotice delivers m in the background, detached from the request.
func (s *Server) sendNotice(r *http.Request, kind mail.NoticeKind, m mail.Message) {
	ctx := context.WithoutCancel(r.Context())
	id := requestID(r)
	s.notices.wg.Add(1)
	go func() {
		defer s.notices.wg.Done()
		s.notices.slots <- struct{}{}
		defer func() { <-s.notices.slots }()
		res := mail.Deliver(ctx, s.mailer, s.mailLog, 0, m)
		if !res.Delivered && s.mailer != nil {
			s.log.Warn().Str("request_id", id).Str("notice", kind.String()).Msg("security notice not delivered")
		}
	}()
}

// noticeMail tells the owner at to that a credential changed (kind: the
// password changed or reset, a second factor removed, the API key
// rotated), with the time and the device that did it.
func (s *Server) noticeMail(r *http.Request, to string, kind mail.NoticeKind) {
	if to == "" {
		return
	}
	s.sendNotice(r, kind, mail.ComposeNotice(kind, to, s.noticeFacts(r), ""))
}

// noticeFacts are the when / device / network lines of a notice about
// this request.
func (s *Server) noticeFacts(r *http.Request) [][2]string {
	ua := r.Header.Get("User-Agent")
	return [][2]string{
		{"When", s.now().UTC().Format("2006-01-02 15:04 UTC")},
		{"Device", app.Browser(ua) + " on " + app.OS(ua)},
		{"Network fingerprint", s.networkFingerprint(r)},
	}
}

// networkFingerprint is the first 8 hex digits of the keyed hash of the
// client's network prefix (/24 or /64): it tells networks apart without
// saying which they are.
func (s *Server) networkFingerprint(r *http.Request) string {
	h := s.ipHash(app.NetworkPrefix(s.clientIP(r)))
	if len(h) > 8 {
		h = h[:8]
	}
	return h
}

// newDeviceMail mails the owner of u about the sign-in sess from a device
// the account has not used lately, with a single-use "This wasn't me" link
// that names the session. A failure to make the link is logged; the
// sign-in stands.
func (s *Server) newDeviceMail(r *http.Request, u *app.User, sess *app.Session) {
	if u.Email == "" {
		return
	}
	link, err := s.actionLink(r, u.ID, app.TokenNotMe, sess.ID, "")
	if err != nil {
		s.log.Error().Err(err).Str("request_id", requestID(r)).Msg("new-device link not created")
		return
	}
	s.sendNotice(r, mail.NewDeviceNotice, mail.ComposeNotice(mail.NewDeviceNotice, u.Email, s.noticeFacts(r), link))
}

// emailChangedMail tells the old address that the account's email changed
// to newEmail (masked), with a 24-hour link that undoes the change.
func (s *Server) emailChangedMail(r *http.Request, userID int64, old, newEmail string) {
	if old == "" {
		return
	}
	link, err := s.actionLink(r, userID, app.TokenEmailDispute, 0, old)
	if err != nil {
		s.log.Error().Err(err).Str("request_id", requestID(r)).Msg("email dispute link not created")
		return
	}
	facts := append(s.noticeFacts(r), [2]string{"New address", app.MaskEmail(newEmail)})
	s.sendNotice(r, mail.EmailChangedNotice, mail.ComposeNotice(mail.EmailChangedNotice, old, facts, link))
}

// actionLink stores a fresh single-use token of purpose (only its hash)
// and returns the page's address with the token.
func (s *Server) actionLink(r *http.Request, userID int64, purpose string, sessionID int64, data string) (string, error) {
	token, err := app.RandomHex(s.rand, app.ActionTokenBytes)
	if err != nil {
		return "", app.Internal(err)
	}
	now := s.now()
	t := &app.ActionToken{Hash: app.HashHex(token), UserID: userID, Purpose: purpose, SessionID: sessionID,
		Data: data, CreatedAt: now, ExpiresAt: now.Add(app.ActionTokenLifetime)}
	if err := s.store.CreateActionToken(r.Context(), t); err != nil {
		return "", err
	}
	return s.publicOrigin(r) + securityLinkPath + token, nil
}

// publicOrigin is --public-url, or the address the request reached (set
// --public-url in production: a link built from a Host header a client
// chose could point elsewhere).
func (s *Server) publicOrigin(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	return s.requestOrigin(r)
}
