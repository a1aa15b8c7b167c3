package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"notechondria-auth/internal/testdb"
	"notechondria-auth/webhook"
)

// hookReceiver is an operator's endpoint: it checks every signature,
// refuses the first refuse attempts of each event, and counts what it
// accepted per event id.
type hookReceiver struct {
	secret   []byte
	refuse   int
	mu       sync.Mutex
	attempts map[string]int
	accepted map[string]int
	badSig   int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !webhook.Verify(h.secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute) {
		h.badSig++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(webhook.EventIDHeader)
	if h.attempts[id]++; h.attempts[id] <= h.refuse {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	h.accepted[id]++
	w.WriteHeader(http.StatusOK)
}

// TestWebhooks_Kill9BetweenCommitAndDelivery: sign-ins through the real
// binary commit their events and outbox rows; the receiver refuses the
// first attempt of each, and the server is killed with SIGKILL right after
// the last sign-in's answer, before anything was delivered. After a
// restart every committed event arrives, signed, and at most once per
// event beyond the documented at-least-once.
func TestWebhooks_Kill9BetweenCommitAndDelivery(t *testing.T) {
	dbPath := testdb.Target(t)
	mustCreateUser(t, dbPath, "hana")
	rc := &hookReceiver{secret: []byte("operator-secret"), refuse: 1, attempts: map[string]int{}, accepted: map[string]int{}}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	flags := []string{"--webhook-url", hs.URL + "/hook", "--webhook-secret", "operator-secret"}
	s := start(t, dbPath, flags...)
	for i := 0; i < 5; i++ {
		s.login("hana", "Strong1pw")
	}
	s.call("POST", "/api/v1/auth/login/", "", map[string]string{"identifier": "hana", "password": "Wrong1pass"})
	s.kill() // within the deliverer's first poll: nothing delivered yet
	raw := testdb.OpenRaw(t, dbPath)
	var events, owed int
	if err := raw.QueryRow(`SELECT count(*) FROM security_events`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT count(*) FROM webhook_outbox`).Scan(&owed); err != nil {
		t.Fatal(err)
	}
	if events != 6 || owed != 6 {
		t.Fatalf("after the kill: %d events, %d owed, want 6 and 6", events, owed)
	}
	s = start(t, dbPath, flags...)
	deadline := time.Now().Add(45 * time.Second)
	for {
		rc.mu.Lock()
		got := len(rc.accepted)
		rc.mu.Unlock()
		if got == events {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events delivered; log:\n%s", got, events, s.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, n := range rc.accepted {
		if n != 1 || len(id) != 32 {
			t.Errorf("event %q accepted %d times", id, n)
		}
	}
	if rc.badSig != 0 {
		t.Errorf("%d bad signatures", rc.badSig)
	}
	// The rows go once their 2xx is in (just after the receiver counted).
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if err := raw.QueryRow(`SELECT count(*) FROM webhook_outbox`).Scan(&owed); err != nil || owed == 0 {
			break
		} else if time.Now().After(end) {
			t.Errorf("%d rows still owed", owed)
			break
		}
	}
}
