package password

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// blockingReader blocks every Read until released, counting how many Reads
// are in progress at once.
type blockingReader struct {
	entered chan struct{}
	release chan struct{}
	active  atomic.Int32
	peak    atomic.Int32
}

func (r *blockingReader) Read(p []byte) (int, error) {
	n := r.active.Add(1)
	for {
		old := r.peak.Load()
		if n <= old || r.peak.CompareAndSwap(old, n) {
			break
		}
	}
	r.entered <- struct{}{}
	<-r.release
	r.active.Add(-1)
	clear(p)
	return len(p), nil
}

// doneWatcher reports when Done is called: acquire calls it only once it
// is about to wait for a slot.
type doneWatcher struct {
	context.Context
	waiting chan struct{}
	once    sync.Once
}

func (c *doneWatcher) Done() <-chan struct{} {
	c.once.Do(func() { close(c.waiting) })
	return c.Context.Done()
}

func TestConcurrencyBound(t *testing.T) {
	const bound, callers = 2, 6
	r := &blockingReader{entered: make(chan struct{}, callers), release: make(chan struct{})}
	h := newCheap(t, bound, WithRand(r))
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if _, err := h.Hash(context.Background(), "pw"); err != nil {
				t.Error(err)
			}
		})
	}
	for range bound {
		<-r.entered
	}
	// Every slot is taken: a caller now has to wait, and gives up when its
	// context is cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	w := &doneWatcher{Context: ctx, waiting: make(chan struct{})}
	errc := make(chan error, 3)
	go func() { _, err := h.Hash(w, "pw"); errc <- err }()
	<-w.waiting
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("waiting Hash: err = %v, want context.Canceled", err)
	}
	// The other entry points honour an already cancelled context too.
	go func() { _, _, err := h.Verify(ctx, "pw", refArgon2id); errc <- err }()
	go func() { errc <- h.DummyVerify(ctx, "pw") }()
	go func() { _, err := h.HashDjango(ctx, "pw", 1); errc <- err }()
	for range 3 {
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled call: err = %v, want context.Canceled", err)
		}
	}
	close(r.release)
	wg.Wait()
	if p := r.peak.Load(); p != bound {
		t.Fatalf("peak concurrent hashes = %d, want %d", p, bound)
	}
}

func TestDummyVerify(t *testing.T) {
	h := newCheap(t, 1)
	if err := h.DummyVerify(context.Background(), "anything"); err != nil {
		t.Fatal(err)
	}
	// The dummy is a well-formed hash with the Hasher's own parameters
	// (no rehash, no error), so it costs one full argon2id verify, and it
	// is the hash of no password. New derives no key for it (a start used
	// to cost one hash): the key is all zeros.
	for _, pw := range []string{"dummy password", "anything", ""} {
		ok, rehash, err := h.verify(pw, h.dummy)
		if ok || rehash || err != nil {
			t.Fatalf("dummy hash, %q: verify = %v, %v, %v; want false, false, nil", pw, ok, rehash, err)
		}
	}
	zeros := base64.RawStdEncoding.EncodeToString(make([]byte, h.KeyLen))
	if !strings.HasSuffix(h.dummy, "$"+zeros) {
		t.Fatalf("dummy hash %q: want an all-zero key", h.dummy)
	}
}
