package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The signature is HMAC-SHA256 over "<t>.<body>", and Verify refuses any
// change to body, secret or time, and stale or malformed headers.
func TestSignAndVerify(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"id":"e1","type":"logout"}`)
	at := time.Unix(1764590000, 0)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("1764590000." + string(body)))
	want := "t=1764590000,v1=" + hex.EncodeToString(m.Sum(nil))
	if got := Sign(secret, at, body); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	for _, c := range []struct {
		name   string
		secret string
		header string
		body   string
		now    time.Time
		ok     bool
	}{
		{"as sent", "s3cret", want, string(body), at, true},
		{"within tolerance", "s3cret", want, string(body), at.Add(4 * time.Minute), true},
		{"another body", "s3cret", want, `{"id":"e2"}`, at, false},
		{"another secret", "other", want, string(body), at, false},
		{"stale", "s3cret", want, string(body), at.Add(6 * time.Minute), false},
		{"from the future", "s3cret", want, string(body), at.Add(-6 * time.Minute), false},
		{"another time claimed", "s3cret", strings.Replace(want, "t=1764590000", "t=1764590001", 1), string(body), at, false},
		{"no v1", "s3cret", "t=1764590000", string(body), at, false},
		{"no t", "s3cret", strings.TrimPrefix(want, "t=1764590000,"), string(body), at, false},
		{"garbage", "s3cret", "nonsense", string(body), at, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Verify([]byte(c.secret), c.header, []byte(c.body), c.now, 5*time.Minute); got != c.ok {
				t.Fatalf("Verify = %v, want %v", got, c.ok)
			}
		})
	}
}

// Post sends the body with both headers; a 2xx is delivered, anything
// else (or no answer) an error.
func TestClientPost(t *testing.T) {
	at := time.Unix(1764590000, 0)
	status := http.StatusNoContent
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL + "/hook", Secret: []byte("k"), Now: func() time.Time { return at }}
	body := []byte(`{"id":"e1"}`)
	if err := c.Post(context.Background(), "e1", body); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/hook" || string(gotBody) != string(body) ||
		got.Header.Get(EventIDHeader) != "e1" || got.Header.Get("Content-Type") != "application/json" ||
		!Verify([]byte("k"), got.Header.Get(SignatureHeader), gotBody, at, time.Minute) {
		t.Fatalf("delivery %s %s %q headers %v", got.Method, got.URL.Path, gotBody, got.Header)
	}
	status = http.StatusServiceUnavailable
	if err := c.Post(context.Background(), "e1", body); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("a 503 delivered: %v", err)
	}
	c.URL = "http://127.0.0.1:0/hook"
	if err := c.Post(context.Background(), "e1", body); err == nil {
		t.Fatal("no error without a receiver")
	}
}
