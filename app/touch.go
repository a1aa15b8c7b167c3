package app

import (
	"context"
	"sync"
	"time"
)

// toucher coalesces last-seen updates. Authentication stores the exact time
// in the cache entry and marks it here once; flush writes every marked
// session in one transaction. So a session's row is written at most once per
// flush interval, never on the request path.
type toucher struct {
	flushMu sync.Mutex // one flush at a time (Run, Sweep, shutdown, tests)

	mu      sync.Mutex
	pending map[int64]*authEntry
	// inflight is the batch a flush is writing: until it commits, those
	// times are neither pending nor stored, and seen must still find them
	// (a cache miss or the session list in that window would otherwise
	// read an older last-seen from the database).
	inflight map[int64]*authEntry
	// known holds the last flushed time of every session touched since it
	// was last pruned: cached session lists carry the stored time of when
	// they were read, and overlay these newer ones.
	known map[int64]int64

	batches, rows uint64 // guarded by mu
}

func newToucher() *toucher {
	return &toucher{pending: map[int64]*authEntry{}, known: map[int64]int64{}}
}

// mark queues e; callers mark an entry only when its dirty flag flips.
func (t *toucher) mark(e *authEntry) {
	t.mu.Lock()
	t.pending[e.session.ID] = e
	t.mu.Unlock()
}

// seen returns the newest unflushed last-seen of a session, if any.
func (t *toucher) seen(sessionID int64) (time.Time, bool) {
	t.mu.Lock()
	e, ok := t.pending[sessionID]
	if !ok {
		e, ok = t.inflight[sessionID]
	}
	known, isKnown := t.known[sessionID]
	t.mu.Unlock()
	if ok {
		if v := e.lastSeen.Load(); v > known {
			known = v
		}
	} else if !isKnown {
		return time.Time{}, false
	}
	return time.UnixMicro(known).UTC(), true
}

// seenAll is seen for every session of list under one lock: lastSeen[i]
// becomes the exact last-seen of list[i] (its stored value unless a newer
// one is known here).
func (t *toucher) seenAll(list []*Session, lastSeen []time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, s := range list {
		best := s.LastSeenAt.UnixMicro()
		if v, ok := t.known[s.ID]; ok && v > best {
			best = v
		}
		e, ok := t.pending[s.ID]
		if !ok {
			e, ok = t.inflight[s.ID]
		}
		if ok {
			if v := e.lastSeen.Load(); v > best {
				best = v
			}
		}
		lastSeen[i] = time.UnixMicro(best).UTC()
	}
}

// prune forgets flushed times older than before (sessions idle past the
// timeout are dead; their rows say so).
func (t *toucher) prune(before time.Time) {
	cut := before.UnixMicro()
	t.mu.Lock()
	for id, v := range t.known {
		if v < cut {
			delete(t.known, id)
		}
	}
	t.mu.Unlock()
}

// pendingFor returns the unflushed last-seen times of a user's sessions.
func (t *toucher) pendingFor(userID int64) map[int64]time.Time {
	out := map[int64]time.Time{}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range []map[int64]*authEntry{t.inflight, t.pending} {
		for id, e := range m {
			if e.session.UserID == userID {
				if ts := time.UnixMicro(e.lastSeen.Load()).UTC(); ts.After(out[id]) {
					out[id] = ts
				}
			}
		}
	}
	return out
}

// flush persists the pending times. On failure they are queued again.
func (t *toucher) flush(ctx context.Context, store SessionStore) error {
	t.flushMu.Lock()
	defer t.flushMu.Unlock()
	t.mu.Lock()
	batch := t.pending
	if len(batch) == 0 {
		t.mu.Unlock()
		return nil
	}
	t.pending = make(map[int64]*authEntry, len(batch))
	t.inflight = batch
	t.mu.Unlock()
	seen := make(map[int64]time.Time, len(batch))
	for id, e := range batch {
		// Clear first: a request after this line marks the entry again.
		e.dirty.Store(false)
		seen[id] = time.UnixMicro(e.lastSeen.Load()).UTC()
	}
	err := store.TouchSessions(ctx, seen)
	t.mu.Lock()
	t.inflight = nil
	if err != nil {
		for id, e := range batch {
			if _, newer := t.pending[id]; !newer {
				e.dirty.Store(true)
				t.pending[id] = e
			}
		}
	} else {
		for id, ts := range seen {
			if v := ts.UnixMicro(); v > t.known[id] {
				t.known[id] = v
			}
		}
		t.batches++
		t.rows += uint64(len(seen))
	}
	t.mu.Unlock()
	return err
}

// stats returns the number of flushed batches and rows.
func (t *toucher) stats() (batches, rows uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.batches, t.rows
}
