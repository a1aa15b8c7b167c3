// Package throttle is an in-memory limiter for failure budgets: failed
// logins per account and per IP, wrong codes, reset requests per email.
//
// # Algorithm
//
// Each key is a leaky bucket kept as one number, the generic cell rate
// algorithm (GCRA): every event adds interval = window/limit to the key's
// "theoretical arrival time" (tat), which never runs more than limit
// intervals ahead of the clock. The key is over budget while tat is more
// than (limit-1) intervals ahead of now, that is while the bucket already
// holds limit events.
//
// In words: a burst of limit events is allowed at once; after that one more
// event is allowed every window/limit; a key that stops failing is back to
// its full budget at most one window after its last event. With limit 5 and
// window 15m, five failures lock the key for 3 minutes, after which one more
// attempt is allowed; retry-after is always the time until the next event
// would be within budget. Over any long stretch a key gets at most limit
// events per window, and unlike a fixed window there is no boundary at which
// a second full burst becomes available early. limit 1 is a plain
// cooldown: one event, then nothing until window has passed.
//
// State per key is one int64, so memory is bounded by the maximum number of
// keys. When the table is full the key closest to being fully restored is
// evicted, which is an expired one whenever any exists.
package throttle

import (
	"container/heap"
	"sync"
	"time"
)

// DefaultMaxKeys is the number of keys a Limiter tracks unless WithMaxKeys
// says otherwise. An entry costs about 100 bytes plus the key.
const DefaultMaxKeys = 100_000

// Limiter is a per-key failure budget. It is safe for concurrent use.
type Limiter struct {
	limit    int64
	interval int64 // nanoseconds per event: window / limit
	now      func() time.Time
	base     time.Time // times are kept as nanoseconds since base
	maxKeys  int

	mu      sync.Mutex
	entries map[string]*entry
	byTAT   tatHeap // min-heap: the first entry is the next to expire
}

type entry struct {
	key   string
	tat   int64 // theoretical arrival time, ns since base
	index int   // position in byTAT
}

// Option configures a Limiter in New.
type Option func(*Limiter)

// WithMaxKeys bounds how many keys are tracked (DefaultMaxKeys when n <= 0).
func WithMaxKeys(n int) Option {
	return func(l *Limiter) {
		if n > 0 {
			l.maxKeys = n
		}
	}
}

// New returns a Limiter allowing limit events per window for each key.
// limit <= 0 or window <= 0 disables it: every key is always allowed and
// nothing is stored. now is the clock (time.Now when nil).
func New(limit int, window time.Duration, now func() time.Time, opts ...Option) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now, maxKeys: DefaultMaxKeys}
	if limit > 0 && window > 0 {
		l.limit = int64(limit)
		l.interval = max(int64(window)/int64(limit), 1)
	}
	for _, o := range opts {
		o(l)
	}
	l.base = now()
	l.entries = make(map[string]*entry)
	return l
}

func (l *Limiter) disabled() bool { return l.limit == 0 }

// Enabled reports whether the limiter limits anything.
func (l *Limiter) Enabled() bool { return !l.disabled() }

// clock is now in nanoseconds since base. Sub uses the monotonic reading
// when both times carry one, so wall clock steps do not matter.
func (l *Limiter) clock() int64 { return int64(l.now().Sub(l.base)) }

// retryAfter is how long until the key may have one more event, or 0 if it
// may now: the bucket must have drained to at most limit-1 events.
func (l *Limiter) retryAfter(tat, now int64) time.Duration {
	if d := tat - now - (l.limit-1)*l.interval; d > 0 {
		return time.Duration(d)
	}
	return 0
}

// Check reports whether key may have one more event now, without counting
// one. When it may not, retryAfter is how long until it may (see Seconds).
func (l *Limiter) Check(key string) (retryAfter time.Duration, ok bool) {
	if l.disabled() {
		return 0, true
	}
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	if e == nil {
		return 0, true
	}
	d := l.retryAfter(e.tat, now)
	return d, d == 0
}

// Add records one event for key and reports whether the budget is now
// exhausted (the next Check would fail), with how long until it is not.
// Events added while over budget still count, but the bucket never holds
// more than limit events, so a key is never locked for longer than window.
func (l *Limiter) Add(key string) (retryAfter time.Duration, over bool) {
	if l.disabled() {
		return 0, false
	}
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	if e == nil {
		l.makeRoom(now)
		e = &entry{key: key, tat: now}
		l.entries[key] = e
		heap.Push(&l.byTAT, e)
	}
	e.tat = min(max(e.tat, now)+l.interval, now+l.limit*l.interval)
	heap.Fix(&l.byTAT, e.index)
	d := l.retryAfter(e.tat, now)
	return d, d > 0
}

// Take reserves one event for key before the work it limits: when the key
// is within budget it counts the event at once and reports ok; otherwise it
// counts nothing and reports how long until it may. So N concurrent callers
// can never spend more than the budget. Give the event back with Refund
// when the work turned out not to count (a correct password).
func (l *Limiter) Take(key string) (retryAfter time.Duration, ok bool) {
	retryAfter, ok, _ = l.TakeClean(key)
	return retryAfter, ok
}

// TakeClean is Take that also reports whether the key's bucket was empty
// just before (see Clean), in the same critical section: of a concurrent
// burst on one key, only the first can see it clean.
func (l *Limiter) TakeClean(key string) (retryAfter time.Duration, ok, wasClean bool) {
	if l.disabled() {
		return 0, true, true
	}
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	wasClean = e == nil || e.tat <= now
	if e != nil {
		if d := l.retryAfter(e.tat, now); d > 0 {
			return d, false, false
		}
	} else {
		l.makeRoom(now)
		e = &entry{key: key, tat: now}
		l.entries[key] = e
		heap.Push(&l.byTAT, e)
	}
	e.tat = max(e.tat, now) + l.interval
	heap.Fix(&l.byTAT, e.index)
	return 0, true, wasClean
}

// Refund gives back one event counted by Take (or Add). A key whose bucket
// is empty again is forgotten.
func (l *Limiter) Refund(key string) {
	if l.disabled() {
		return
	}
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	if e == nil {
		return
	}
	e.tat -= l.interval
	if e.tat <= now {
		l.remove(e)
		return
	}
	heap.Fix(&l.byTAT, e.index)
}

// Clean reports whether key has no event in its bucket: it has not been
// charged within the last window (or has been fully refunded).
func (l *Limiter) Clean(key string) bool {
	if l.disabled() {
		return true
	}
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[key]
	return e == nil || e.tat <= now
}

// Reset forgets key, restoring its full budget (after a successful login,
// for instance).
func (l *Limiter) Reset(key string) {
	if l.disabled() {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.entries[key]; e != nil {
		l.remove(e)
	}
}

// Sweep drops every key that is back to its full budget; they behave the
// same as absent keys. Call it periodically; it costs O(log n) per key
// dropped and nothing for the rest.
func (l *Limiter) Sweep() {
	if l.disabled() {
		return
	}
	now := l.clock()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
}

// Len returns the number of keys being tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// sweep pops expired entries (tat <= now) off the heap. Caller holds mu.
func (l *Limiter) sweep(now int64) {
	for len(l.byTAT) > 0 && l.byTAT[0].tat <= now {
		l.remove(l.byTAT[0])
	}
}

// makeRoom frees a slot for a new key when the table is full: expired keys
// first, otherwise the key whose budget would be restored soonest.
// Caller holds mu.
func (l *Limiter) makeRoom(now int64) {
	if len(l.entries) < l.maxKeys {
		return
	}
	l.sweep(now)
	for len(l.entries) >= l.maxKeys && len(l.byTAT) > 0 {
		l.remove(l.byTAT[0])
	}
}

// remove deletes e from the map and the heap. Caller holds mu.
func (l *Limiter) remove(e *entry) {
	heap.Remove(&l.byTAT, e.index)
	delete(l.entries, e.key)
}

// Seconds rounds d up to whole seconds, and is at least 1: the value for a
// Retry-After header or a "try again in N seconds" message.
func Seconds(d time.Duration) int {
	if d <= time.Second {
		return 1
	}
	s := d / time.Second
	if d%time.Second != 0 {
		s++
	}
	return int(s)
}

// tatHeap orders entries by tat for container/heap.
type tatHeap []*entry

func (h tatHeap) Len() int           { return len(h) }
func (h tatHeap) Less(i, j int) bool { return h[i].tat < h[j].tat }
func (h tatHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *tatHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *tatHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}
