package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"notechondria-auth/app"
)

// The helpers of the second-factor tests.

const (
	pw2 = "Strong1pw"
	ua2 = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Safari/605.1.15"
)

// totpCode is the code of secret at t.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := app.TOTPCode(secret, app.TOTPStep(at))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolTOTP turns TOTP on for the session tok (signed in just now, so
// fresh) and returns the secret and the recovery codes.
func (e *env) enrolTOTP(tok string) (string, []string) {
	e.t.Helper()
	r := e.do("POST", "auth/2fa/totp/setup/", nil, tok, "User-Agent", ua2).expect(e.t, 200, "")
	secret := r.body["secret"].(string)
	r = e.do("POST", "auth/2fa/totp/confirm/", map[string]string{"code": totpCode(e.t, secret, e.clock.Now())}, tok, "User-Agent", ua2)
	r.expect(e.t, 200, "")
	var codes []string
	for _, c := range r.body["recovery_codes"].([]any) {
		codes = append(codes, c.(string))
	}
	return secret, codes
}

// userWithTOTP creates alice with TOTP on and returns her secret and
// recovery codes; the clock is moved past the enrolment's time step.
func (e *env) userWithTOTP() (string, []string) {
	e.t.Helper()
	e.createUser("alice", "alice@example.com", pw2)
	secret, codes := e.enrolTOTP(e.login("alice", pw2, "User-Agent", ua2))
	e.clock.Advance(time.Minute)
	return secret, codes
}

// pending signs in with a correct password and expects a pending two-step
// answer; it returns the challenge id and the channels.
func (e *env) pending(ident string, hdr ...string) (string, []string) {
	e.t.Helper()
	if len(hdr) == 0 {
		hdr = []string{"User-Agent", ua2}
	}
	r := e.do("POST", "auth/login/", map[string]string{"identifier": ident, "password": pw2}, "", hdr...)
	r.expect(e.t, 200, "")
	if r.body["pending_2fa"] != true || r.body["token"] != nil {
		e.t.Fatalf("not a pending sign-in: %s", r.raw)
	}
	var ch []string
	for _, c := range r.body["channels"].([]any) {
		ch = append(ch, c.(string))
	}
	return r.body["challenge_id"].(string), ch
}

// verify answers a challenge.
func (e *env) verify(id, channel, code string, hdr ...string) *response {
	e.t.Helper()
	if len(hdr) == 0 {
		hdr = []string{"User-Agent", ua2}
	}
	return e.do("POST", "auth/2fa/verify/", map[string]string{"challenge_id": id, "channel": channel, "code": code}, "", hdr...)
}

// postRawUA is postRaw with the second-factor tests' User-Agent
// (goroutine-safe).
func (e *env) postRawUA(path string, body any) (int, []byte) {
	j, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", e.http.URL+"/api/v1/"+path, bytes.NewReader(j))
	if err != nil {
		return -1, nil
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", ua2)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}
