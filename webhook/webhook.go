// Package webhook signs and posts security events to an operator's
// endpoint (issue 15). It is a leaf: it imports nothing of ours.
//
// Every delivery is a JSON POST with
//
//	X-Notechondria-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//	X-Notechondria-Event-Id: <the event's id>
//
// A receiver recomputes the HMAC over the timestamp, a dot and the raw
// body, compares it in constant time, refuses timestamps too far from its
// clock (replays), and de-duplicates on the event id: delivery is at least
// once.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the header that carries the signature.
const SignatureHeader = "X-Notechondria-Signature"

// EventIDHeader is the header that carries the event id.
const EventIDHeader = "X-Notechondria-Event-Id"

// Sign returns the signature header value of body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header value against body: the HMAC must
// match and its time must be within tolerance of now. For receivers and
// tests.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || v1 == "" {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return false
	}
	want := Sign(secret, time.Unix(sec, 0), body)
	return hmac.Equal([]byte(want), []byte("t="+ts+",v1="+v1))
}

// Client posts deliveries to one URL.
type Client struct {
	URL    string
	Secret []byte
	HTTP   *http.Client // nil: a client with a 10 s timeout
	Now    func() time.Time
}

// Post delivers body (the event eventID) once: nil for a 2xx answer, an
// error naming the status or the network failure otherwise.
func (c *Client) Post(ctx context.Context, eventID string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "notechondria-auth-webhook/1")
	req.Header.Set(SignatureHeader, Sign(c.Secret, now(), body))
	req.Header.Set(EventIDHeader, eventID)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("webhook: %s answered %d", c.URL, res.StatusCode)
	}
	return nil
}
