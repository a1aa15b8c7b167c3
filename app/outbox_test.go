package app_test

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/app"
	"notechondria-auth/webhook"
)

// receiver is a real HTTP endpoint that refuses the first failFirst
// attempts of each event and records what it accepted, checking every
// signature.
type receiver struct {
	t         *testing.T
	secret    []byte
	failFirst int
	mu        sync.Mutex
	attempts  map[string]int
	accepted  []map[string]any
	badSig    int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !webhook.Verify(rc.secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 5*time.Minute) {
		rc.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(webhook.EventIDHeader)
	rc.attempts[id]++
	if rc.attempts[id] <= rc.failFirst {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil || v["id"] != id {
		rc.t.Errorf("body %s for event %s", body, id)
	}
	rc.accepted = append(rc.accepted, v)
	w.WriteHeader(http.StatusNoContent)
}

// TestOutbox_Core_DeliversWithRetriesAndSignature: events written with
// webhooks on are delivered to a real HTTP receiver that refuses the first
// two attempts; each is retried after its backoff, signed, accepted once,
// and the outbox is empty after. A wrong secret is refused by the receiver
// and the row stays owed; after GiveUp it is abandoned.
func TestOutbox_Core_DeliversWithRetriesAndSignature(t *testing.T) {
	f := newFixture(t)
	f.store.SetWebhooks(true)
	rc := &receiver{t: t, secret: []byte("hook-secret"), failFirst: 2, attempts: map[string]int{}}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	for i := 0; i < 3; i++ {
		a := app.NewAudit(rand.Reader, f.clock.Now(), app.Actor{}).Add(f.user.ID, app.EventLoginFailed,
			map[string]any{"reason": app.ReasonWrongPassword})
		if err := f.core.Store().RecordEvents(app.WithAudit(bg, a)); err != nil {
			t.Fatal(err)
		}
	}
	d := app.NewDeliverer(f.store, &webhook.Client{URL: hs.URL, Secret: rc.secret},
		app.DeliveryConfig{Backoff: time.Second}, f.clock.Now, zerolog.Nop())
	d.Once(bg) // attempt 1: refused; next in 1 s
	d.Once(bg) // not due yet
	if s := d.Stats(); s.Failed != 3 || s.Delivered != 0 || s.Pending != 3 {
		t.Fatalf("after one round %+v", s)
	}
	f.clock.Advance(time.Second)
	d.Once(bg) // attempt 2: refused; next in 2 s
	f.clock.Advance(time.Second)
	d.Once(bg) // not due
	f.clock.Advance(time.Second)
	d.Once(bg) // attempt 3: accepted
	s := d.Stats()
	if s.Delivered != 3 || s.Failed != 6 || s.Pending != 0 || len(rc.accepted) != 3 || rc.badSig != 0 {
		t.Fatalf("stats %+v, accepted %d, bad signatures %d", s, len(rc.accepted), rc.badSig)
	}
	for _, v := range rc.accepted {
		if v["type"] != "login.failed" || v["user_id"] != float64(f.user.ID) || len(v["id"].(string)) != 32 {
			t.Errorf("delivered %v", v)
		}
	}

	// A receiver that never accepts (wrong secret): retried, then
	// abandoned after 24 hours.
	a := app.NewAudit(rand.Reader, f.clock.Now(), app.Actor{}).Add(f.user.ID, app.EventLogout, nil)
	if err := f.core.Store().RecordEvents(app.WithAudit(bg, a)); err != nil {
		t.Fatal(err)
	}
	d = app.NewDeliverer(f.store, &webhook.Client{URL: hs.URL, Secret: []byte("wrong")},
		app.DeliveryConfig{Backoff: time.Second}, f.clock.Now, zerolog.Nop())
	for i := 0; i < 40 && d.Stats().Abandoned == 0; i++ {
		d.Once(bg)
		f.clock.Advance(time.Hour)
	}
	if s := d.Stats(); s.Abandoned != 1 || s.Pending != 0 || rc.badSig < 20 {
		t.Fatalf("abandon: %+v, %d refused signatures", s, rc.badSig)
	}
}

// TestOutbox_Core_WebhooksOffWritesNoRow: without SetWebhooks an event
// writes no outbox row.
func TestOutbox_Core_WebhooksOffWritesNoRow(t *testing.T) {
	f := newFixture(t)
	a := app.NewAudit(rand.Reader, f.clock.Now(), app.Actor{}).Add(f.user.ID, app.EventLogout, nil)
	if err := f.core.Store().RecordEvents(app.WithAudit(bg, a)); err != nil {
		t.Fatal(err)
	}
	if n, _, err := f.store.OutboxPending(bg); err != nil || n != 0 {
		t.Fatalf("%d rows %v", n, err)
	}
}
