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

type routeStatus struct {
	route  string
	status int
}

type histogram struct {
	counts []atomic.Uint64 // one per bucket, then +Inf
	sumUS  atomic.Uint64
}

// metrics holds the counters exported at GET /metrics in the Prometheus text
// format.
type metrics struct {
	mu       sync.RWMutex
	requests map[routeStatus]*atomic.Uint64
	latency  map[string]*histogram
	buckets  []float64

	loginFailures, throttled atomic.Uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[routeStatus]*atomic.Uint64{}, latency: map[string]*histogram{}, buckets: latencyBuckets()}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	k := routeStatus{route, status}
	m.mu.RLock()
	c, ok := m.requests[k]
	h := m.latency[route]
	m.mu.RUnlock()
	if !ok || h == nil {
		m.mu.Lock()
		if c = m.requests[k]; c == nil {
			c = new(atomic.Uint64)
			m.requests[k] = c
		}
		if h = m.latency[route]; h == nil {
			h = &histogram{counts: make([]atomic.Uint64, len(m.buckets)+1)}
			m.latency[route] = h
		}
		m.mu.Unlock()
	}
	c.Add(1)
	sec := d.Seconds()
	i := sort.SearchFloat64s(m.buckets, sec)
	h.counts[i].Add(1)
	h.sumUS.Add(uint64(d.Microseconds()))
}

// handleMetrics writes every metric in the Prometheus text exposition format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m := s.metrics
	m.mu.RLock()
	keys := make([]routeStatus, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	m.mu.RUnlock()
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].route < keys[j].route || keys[i].route == keys[j].route && keys[i].status < keys[j].status
	})
	sort.Strings(routes)

	fmt.Fprintln(w, "# HELP ntc_http_requests_total HTTP requests by route and status.")
	fmt.Fprintln(w, "# TYPE ntc_http_requests_total counter")
	m.mu.RLock()
	for _, k := range keys {
		fmt.Fprintf(w, "ntc_http_requests_total{route=%q,status=\"%d\"} %d\n", k.route, k.status, m.requests[k].Load())
	}
	fmt.Fprintln(w, "# HELP ntc_http_request_duration_seconds Request latency by route.")
	fmt.Fprintln(w, "# TYPE ntc_http_request_duration_seconds histogram")
	for _, route := range routes {
		h := m.latency[route]
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
	m.mu.RUnlock()

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
}

func gauge(w io.Writer, name, help, typ string, v uint64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
}
