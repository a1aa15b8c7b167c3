package api_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/smtptest"
	"notechondria-auth/internal/testdb"
	"notechondria-auth/mail"
)

// newMailEnv is newEnv with mail going through the real SMTP client to an
// in-process SMTP server.
func newMailEnv(t *testing.T) (*env, *smtptest.Server) {
	t.Helper()
	smtpd := smtptest.Start(t)
	store, err := db.Open(context.Background(), testdb.Target(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c := &clock{t: time.Date(2026, 4, 23, 3, 32, 23, 123456000, time.UTC)}
	logs := &syncBuffer{}
	cfg := api.DefaultConfig()
	cfg.PublicURL = "https://auth.example.com"
	mailer := mail.NewSMTP(mail.Config{Host: "127.0.0.1", Port: smtpd.Port, UseTLS: false, Timeout: 5 * time.Second})
	srv := buildServer(t, store, cfg, c.Now, api.Options{Logger: zerolog.New(logs), Rand: rand.Reader, Hasher: fastHasher(),
		Budgets: sharedBudgets(store), SecretsKey: testSecretsKey, Mailer: mailer})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &env{t: t, srv: srv, http: hs, store: store, clock: c, logs: logs, hasher: fastHasher()}, smtpd
}

var linkRE = regexp.MustCompile(`https://auth\.example\.com(/auth/security-link/[0-9a-f]{64})`)

// mailsWith returns the mails to to whose text contains s.
func mailsWith(smtpd *smtptest.Server, to, s string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range smtpd.Messages(to) {
		if strings.Contains(m.Text, s) {
			out = append(out, m)
		}
	}
	return out
}

// page requests a security link's page (GET or POST) with hdr pairs.
func (e *env) page(method, path string, hdr ...string) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.http.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestNotices_Core_NewDeviceMailAndNotMe: no mail on the first sign-in ever
// or from a known device; a mail with a "This wasn't me" link from a new
// one. The link's page changes nothing; its button (refused cross-site)
// revokes every session, mails a reset code and is recorded; it works
// once.
func TestNotices_Core_NewDeviceMailAndNotMe(t *testing.T) {
	e, smtpd := newMailEnv(t)
	u := e.createUser("alice", "alice@example.com", pw2)
	mac := e.login("alice", pw2, "User-Agent", ua2)
	e.login("alice", pw2, "User-Agent", ua2)
	e.srv.WaitNotices()
	if n := len(mailsWith(smtpd, "alice@example.com", "new sign-in")) + len(smtpd.Messages("")); n != 0 {
		t.Fatalf("%d mails after the first sign-in and a known device", n)
	}
	phone := e.login("alice", pw2, "User-Agent", uaPhone)
	e.srv.WaitNotices()
	got := smtpd.Messages("alice@example.com")
	if len(got) != 1 || !strings.Contains(got[0].Text, "Subject: New sign-in to your Notechondria account") ||
		!strings.Contains(got[0].Text, "Safari on iPhone") {
		t.Fatalf("mails: %d\n%s", len(got), got)
	}
	m := linkRE.FindStringSubmatch(got[0].Text)
	if m == nil {
		t.Fatalf("no link in\n%s", got[0].Text)
	}
	link := m[1]
	if e.page("GET", link) != 200 || e.page("GET", link) != 200 {
		t.Fatal("the page")
	}
	e.do("GET", "auth/sessions/", nil, mac).expect(t, 200, "") // opening it changed nothing
	if st := e.page("POST", link, "Sec-Fetch-Site", "cross-site"); st != 403 {
		t.Fatalf("cross-site POST %d", st)
	}
	if st := e.page("POST", link, "Origin", "https://evil.example"); st != 403 {
		t.Fatalf("foreign Origin %d", st)
	}
	if st := e.page("POST", link, "Sec-Fetch-Site", "same-origin"); st != 200 {
		t.Fatalf("POST %d", st)
	}
	e.do("GET", "auth/sessions/", nil, mac).expect(t, 401, "Invalid token.")
	e.do("GET", "auth/sessions/", nil, phone).expect(t, 401, "Invalid token.")
	e.srv.WaitNotices()
	if n := len(mailsWith(smtpd, "alice@example.com", "reset your Notechondria password")); n != 1 {
		t.Fatalf("%d reset mails", n)
	}
	ev := e.eventOf(u.ID, app.EventNotMeReported)
	if ev.Detail["reported_session_id"] == 0.0 {
		t.Errorf("not-me %v", ev.Detail)
	}
	if rv := e.eventOf(u.ID, app.EventSessionRevoked); rv.Detail["cause"] != "not_me" || rv.Detail["count"] != 3.0 {
		t.Errorf("revocation %v", rv.Detail)
	}
	if e.page("POST", link) != 404 || e.page("GET", link) != 404 || e.page("GET", "/auth/security-link/"+strings.Repeat("0", 64)) != 404 ||
		e.page("GET", "/auth/security-link/short") != 404 {
		t.Fatal("a used or unknown link still works")
	}
	// A link past its 24 hours is dead too.
	e.login("alice", pw2, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
	e.srv.WaitNotices()
	late := linkRE.FindAllStringSubmatch(smtpd.Messages("alice@example.com")[len(smtpd.Messages("alice@example.com"))-1].Text, -1)
	e.clock.Advance(24*time.Hour + time.Second)
	if late == nil || e.page("POST", late[0][1]) != 404 {
		t.Fatal("an expired link worked")
	}
}

// TestNotices_Core_CredentialChangesAndEmailDispute: a password change, a
// rotated API key and a removed second factor mail the owner; an email
// change mails the old address a link that puts it back and signs out
// every device.
func TestNotices_Core_CredentialChangesAndEmailDispute(t *testing.T) {
	e, smtpd := newMailEnv(t)
	u := e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	e.rotate(tok)
	e.do("PATCH", "auth/2fa/", map[string]any{"confirm_new_sign_ins": true}, tok).expect(t, 200, "")
	e.do("PATCH", "auth/2fa/", map[string]any{"confirm_new_sign_ins": false}, tok).expect(t, 200, "")
	e.srv.WaitNotices()
	for _, subject := range []string{"Your Notechondria API key was replaced", "A second factor was removed from your Notechondria account"} {
		if n := len(mailsWith(smtpd, "alice@example.com", "Subject: "+subject)); n != 1 {
			t.Errorf("%q: %d mails", subject, n)
		}
	}
	identity := func() string {
		e.t.Helper()
		e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 200, "")
		e.srv.WaitNotices()
		list := smtpd.Messages("alice@example.com")
		c := regexp.MustCompile(`Code: (\d{6})`).FindStringSubmatch(list[len(list)-1].Text)
		return c[1]
	}
	e.do("POST", "auth/change-password/", map[string]string{"current_password": pw2, "new_password": "Newer1pass",
		"identity_code": identity()}, tok).expect(t, 200, "")
	e.srv.WaitNotices()
	if n := len(mailsWith(smtpd, "alice@example.com", "Subject: Your Notechondria password was changed")); n != 1 {
		t.Errorf("password notice: %d mails", n)
	}
	tok = e.login("alice", "Newer1pass", "User-Agent", ua2)
	code := identity()
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "alicia@example.org", "identity_code": code}, tok).expect(t, 200, "")
	e.srv.WaitNotices()
	list := smtpd.Messages("alicia@example.org")
	confirm := regexp.MustCompile(`Code: (\d{6})`).FindStringSubmatch(list[len(list)-1].Text)[1]
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "alicia@example.org", "code": confirm}, tok).expect(t, 200, "")
	e.srv.WaitNotices()
	old := mailsWith(smtpd, "alice@example.com", "Subject: The email address of your Notechondria account was changed")
	if len(old) != 1 || !strings.Contains(old[0].Text, "a***@example.org") {
		t.Fatalf("old address mails: %d", len(old))
	}
	link := linkRE.FindStringSubmatch(old[0].Text)[1]
	if st := e.page("POST", link); st != 200 {
		t.Fatalf("dispute %d", st)
	}
	if got := e.userByEmail("alice@example.com"); got.ID != u.ID {
		t.Fatalf("address not restored: %+v", got)
	}
	e.do("GET", "auth/sessions/", nil, tok).expect(t, 401, "Invalid token.")
	if ev := e.eventOf(u.ID, app.EventEmailChangeReverted); ev.Detail["restored"] != "a***@example.com" {
		t.Errorf("reverted %v", ev.Detail)
	}
	if e.page("POST", link) != 404 {
		t.Fatal("the dispute link worked twice")
	}
}
