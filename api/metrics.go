package api

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// latencyBuckets are the upper bounds (seconds) of the request histogram.
func latencyBuckets() []float64 {
	return []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
}

type histogram struct {
	counts []atomic.Uint64 // one per bucket, then +Inf
	sumUS  atomic.Uint64
}

// routeStats are the counters of one route name: its latency histogram and
// one request counter per status seen. A handler gets its route's stats
// once, when the route is registered, so a request costs no map lookup and
// no lock; the status list is copied on write (a route sees few statuses).
type routeStats struct {
	name     string
	hist     histogram
	mu       sync.Mutex                    // serialises writers of statuses
	statuses atomic.Pointer[[]statusCount] // sorted by code
}

type statusCount struct {
	code int
	n    *atomic.Uint64
}

// counter returns the request counter of status, creating it on first use.
func (rs *routeStats) counter(status int) *atomic.Uint64 {
	if l := rs.statuses.Load(); l != nil {
		for _, sc := range *l {
			if sc.code == status {
				return sc.n
			}
		}
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var old []statusCount
	if l := rs.statuses.Load(); l != nil {
		old = *l
	}
	i := 0
	for ; i < len(old) && old[i].code <= status; i++ {
		if old[i].code == status {
			return old[i].n
		}
	}
	next := make([]statusCount, 0, len(old)+1)
	next = append(append(append(next, old[:i]...), statusCount{status, new(atomic.Uint64)}), old[i:]...)
	rs.statuses.Store(&next)
	return next[i].n
}

// metrics holds the counters exported at GET /metrics in the Prometheus text
// format.
type metrics struct {
	mu      sync.Mutex // guards routes (taken when routes are registered)
	routes  map[string]*routeStats
	buckets []float64

	// The requests no route handler named.
	unmatched, preflight, redirect *routeStats

	loginFailures, throttled atomic.Uint64
}

func newMetrics() *metrics {
	m := &metrics{routes: map[string]*routeStats{}, buckets: latencyBuckets()}
	m.unmatched, m.preflight, m.redirect = m.route("unmatched"), m.route("preflight"), m.route("redirect")
	return m
}

// route returns the stats of a route name, the same for every caller.
func (m *metrics) route(name string) *routeStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	rs := m.routes[name]
	if rs == nil {
		rs = &routeStats{name: name, hist: histogram{counts: make([]atomic.Uint64, len(m.buckets)+1)}}
		m.routes[name] = rs
	}
	return rs
}

func (m *metrics) observe(rs *routeStats, status int, d time.Duration) {
	rs.counter(status).Add(1)
	// A linear search: twelve buckets, and most requests end in the first.
	sec, i := d.Seconds(), 0
	for i < len(m.buckets) && m.buckets[i] < sec {
		i++
	}
	rs.hist.counts[i].Add(1)
	rs.hist.sumUS.Add(uint64(d.Microseconds()))
}

// handleMetrics writes every metric in the Prometheus text exposition format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m := s.metrics
	m.mu.Lock()
	routes := make([]*routeStats, 0, len(m.routes))
	for _, rs := range m.routes {
		if l := rs.statuses.Load(); l != nil && len(*l) > 0 {
			routes = append(routes, rs) // seen at least once
		}
	}
	m.mu.Unlock()
	sort.Slice(routes, func(i, j int) bool { return routes[i].name < routes[j].name })

	fmt.Fprintln(w, "# HELP ntc_http_requests_total HTTP requests by route and status.")
	fmt.Fprintln(w, "# TYPE ntc_http_requests_total counter")
	for _, rs := range routes {
		for _, sc := range *rs.statuses.Load() {
			fmt.Fprintf(w, "ntc_http_requests_total{route=%q,status=\"%d\"} %d\n", rs.name, sc.code, sc.n.Load())
		}
	}
	fmt.Fprintln(w, "# HELP ntc_http_request_duration_seconds Request latency by route.")
	fmt.Fprintln(w, "# TYPE ntc_http_request_duration_seconds histogram")
	for _, rs := range routes {
		h, route := &rs.hist, rs.name
		var cum uint64
		for i, b := range m.buckets {
			cum += h.counts[i].Load()
			fmt.Fprintf(w, "ntc_http_request_duration_seconds_bucket{route=%q,le=%q} %d\n", route, strconv.FormatFloat(b, 'g', -1, 64), cum)
		}
		cum += h.counts[len(m.buckets)].Load()
		fmt.Fprintf(w, "ntc_http_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", route, cum)
		fmt.Fprintf(w, "ntc_http_request_duration_seconds_sum{route=%q} %g\n", route, float64(h.sumUS.Load())/1e6)
		fmt.Fprintf(w, "ntc_http_request_duration_seconds_count{route=%q} %d\n", route, cum)
	}

	st := s.core.Stats()
	active, _ := s.core.ActiveSessions(r.Context())
	gauge(w, "ntc_active_sessions", "Live (non-revoked, unexpired) sessions.", "gauge", uint64(active))
	gauge(w, "ntc_token_cache_entries", "Entries in the token cache.", "gauge", st.CacheEntries)
	gauge(w, "ntc_token_cache_hits_total", "Token cache hits.", "counter", st.CacheHits)
	gauge(w, "ntc_token_cache_misses_total", "Token cache misses.", "counter", st.CacheMisses)
	gauge(w, "ntc_touch_batches_total", "Batched last-seen writes.", "counter", st.TouchBatches)
	gauge(w, "ntc_touch_rows_total", "Sessions written by touch batches.", "counter", st.TouchRows)
	gauge(w, "ntc_sweeper_runs_total", "Sweeper runs.", "counter", st.Sweeps)
	gauge(w, "ntc_sweeper_sessions_deleted_total", "Session rows deleted by the sweeper.", "counter", st.SweptSessions)
	gauge(w, "ntc_sweeper_codes_deleted_total", "Code rows deleted by the sweeper.", "counter", st.SweptCodes)
	gauge(w, "ntc_sweeper_pending_accounts_deleted_total", "Never-verified accounts deleted by the sweeper.", "counter", st.SweptPending)
	gauge(w, "ntc_cache_changes_applied_total", "Change-log rows applied to the caches (writes by any process).", "counter", st.ChangesApplied)
	gauge(w, "ntc_cache_purges_total", "Times the caches were emptied (wipe, change-log gap or read failure).", "counter", st.CachePurges)
	gauge(w, "ntc_login_failures_total", "Failed sign-in attempts.", "counter", m.loginFailures.Load())
	gauge(w, "ntc_throttled_requests_total", "Requests answered 429.", "counter", m.throttled.Load())
	gauge(w, "ntc_security_events_swept_total", "Security events deleted by the sweeper (past --security-log-retention).", "counter", st.SweptEvents)
	if s.webhooks != nil {
		d := s.webhooks.Stats()
		gauge(w, "ntc_webhook_delivered_total", "Webhook deliveries answered 2xx.", "counter", d.Delivered)
		gauge(w, "ntc_webhook_failed_attempts_total", "Webhook attempts that failed (retried, or abandoned).", "counter", d.Failed)
		gauge(w, "ntc_webhook_abandoned_total", "Webhook deliveries given up after 24 hours.", "counter", d.Abandoned)
		gauge(w, "ntc_webhook_pending", "Webhook deliveries owed (the outbox, all servers).", "gauge", uint64(max(d.Pending, 0)))
		gauge(w, "ntc_webhook_oldest_pending_seconds", "Age of the oldest delivery owed.", "gauge", uint64(d.OldestAge.Seconds()))
	}
}

func gauge(w io.Writer, name, help, typ string, v uint64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
}
