package api

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"notechondria-auth/app"
)

// respWriter records the status and the matched route for the access log
// and metrics. Pooled: the hot path allocates as little as possible.
type respWriter struct {
	http.ResponseWriter
	status   int
	route    *routeStats  // nil: no route handler named the request
	start    time.Time    // the request's reading of the core's clock
	draining *atomic.Bool // the server's: see Server.Drain
}

func (w *respWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		w.closeIfDraining()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
		w.closeIfDraining()
	}
	return w.ResponseWriter.Write(b)
}

// closeIfDraining asks net/http to close the connection after this answer
// once the server drains (checked as the header goes out, so a request
// that began before Drain, a slow sign-in say, is covered too). The client
// sees "Connection: close" and sends nothing more on the connection.
func (w *respWriter) closeIfDraining() {
	if w.draining.Load() {
		w.Header().Set("Connection", "close")
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// setRoute names the matched route of the request for logs and metrics; the
// stats were resolved when the route was registered.
func setRoute(w http.ResponseWriter, route *routeStats) {
	if rw, ok := w.(*respWriter); ok {
		rw.route = route
	}
}

// requestNow is the request's reading of the core's clock, taken once by
// the middleware (a clock read is not free on a virtual machine).
func (s *Server) requestNow(w http.ResponseWriter) time.Time {
	if rw, ok := w.(*respWriter); ok {
		return rw.start
	}
	return s.now()
}

// requestID returns the request id set by the middleware. It travels in
// the request's own X-Request-Id header (rewritten by the middleware), which
// costs less on the hot path than a new context and request copy.
func requestID(r *http.Request) string {
	if v := r.Header["X-Request-Id"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// requestIDs makes request ids: a random per-process prefix and a counter
// in base 36. Ids are made 64 at a time, in one string and one backing
// array of one-element header values, kept per P in a sync.Pool: a
// request then costs no allocation and no write to a counter the other
// cores share. Ids stay unique (every batch reserves its own range of
// the counter); a batch the pool drops leaves a gap, nothing more.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
	pool   sync.Pool // of *idBatch
}

// idBatchSize is the number of ids made at once.
const idBatchSize = 64

// idBatch is a run of ready ids, each a one-element header value.
type idBatch struct {
	vals []string
	next int
}

// next returns a fresh id as a header value of its own (capacity 1, so an
// append elsewhere cannot reach the neighbouring id).
func (g *requestIDs) next() []string {
	b, _ := g.pool.Get().(*idBatch)
	if b == nil || b.next == len(b.vals) {
		b = g.batch()
	}
	v := b.vals[b.next : b.next+1 : b.next+1]
	b.next++
	g.pool.Put(b)
	return v
}

// batch reserves idBatchSize numbers of the counter and renders them.
func (g *requestIDs) batch() *idBatch {
	first := g.n.Add(idBatchSize) - idBatchSize + 1
	buf := make([]byte, 0, idBatchSize*(len(g.prefix)+13)) // 13 base-36 digits hold 2^64
	var ends [idBatchSize]int
	for i := range ends {
		buf = strconv.AppendUint(append(buf, g.prefix...), first+uint64(i), 36)
		ends[i] = len(buf)
	}
	all := string(buf)
	b := &idBatch{vals: make([]string, idBatchSize)}
	start := 0
	for i, end := range ends {
		b.vals[i] = all[start:end]
		start = end
	}
	return b
}

// validRequestID accepts a client-supplied X-Request-Id that is short and
// made of safe characters, so it can be logged as is.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// middleware wraps the router: panic recovery, request id, access log,
// metrics, CORS and the body size limit.
type middleware struct {
	s    *Server
	next http.Handler
	ids  *requestIDs
	pool sync.Pool
}

func (s *Server) middleware(next http.Handler) http.Handler {
	m := &middleware{s: s, next: next, ids: &requestIDs{}}
	if p, err := app.RandomHex(s.rand, 4); err == nil {
		m.ids.prefix = p + "-"
	}
	m.pool.New = func() any { return &respWriter{} }
	return m
}

// ServeHTTP runs one request through the middleware.
func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := m.s
	start := s.now()
	rw := m.pool.Get().(*respWriter)
	*rw = respWriter{ResponseWriter: w, start: start, draining: &s.draining}
	defer m.pool.Put(rw)

	// Canonical keys, assigned directly: no Get or Set, and one header
	// value for both maps.
	var id string
	idHdr := r.Header["X-Request-Id"] // the key net/http canonicalised
	if len(idHdr) > 0 {
		id = idHdr[0]
	}
	if !validRequestID(id) {
		idHdr = m.ids.next()
		id = idHdr[0]
	} else if len(idHdr) > 1 {
		idHdr = idHdr[:1:1] // the first value, as Header.Get would take it
	}
	w.Header()["X-Request-Id"] = idHdr
	r.Header["X-Request-Id"] = idHdr

	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error().Str("req_id", id).Interface("panic", p).Str("path", r.URL.Path).Msg("panic in handler")
			if rw.status == 0 {
				s.writeError(rw, r, app.Internal(nil))
			}
		}
		if rw.status == 0 { // nothing written: net/http sends an empty 200
			rw.status = http.StatusOK
			rw.closeIfDraining()
		}
		d := s.since(start)
		route := rw.route
		if route == nil {
			route = s.metrics.unmatched
		}
		s.metrics.observe(route, rw.status, d)
		if ev := s.log.Info(); ev != nil { // nil below info: skip the arguments
			ev.Str("req_id", id).Str("method", r.Method).Str("route", route.name).
				Int("status", rw.status).Dur("duration_ms", d).Msg("request")
		}
	}()

	if s.cors(rw, r) {
		return
	}
	if r.Body != nil && r.Body != http.NoBody && s.cfg.MaxBodyBytes > 0 {
		// The server's own writer, not rw: net/http recognises it and
		// closes the connection after an oversized body instead of
		// draining the rest for keep-alive.
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	}
	m.next.ServeHTTP(rw, r)
}

// cors applies CONTRACT 1.0's CORS rules to /api/ and /media/ paths and
// answers preflights with 204 before any view. It reports whether the
// request was answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/api/") && !strings.HasPrefix(p, "/media/") {
		return false
	}
	var origin string
	if v := r.Header["Origin"]; len(v) > 0 { // Header.Get without canonicalising the key
		origin = v[0]
	}
	if origin != "" && s.originAllowed(origin) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Origin, X-Requested-With")
		h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, PUT, DELETE, OPTIONS")
		h.Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		setRoute(w, s.metrics.preflight)
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	return false
}

// originAllowed: the host is localhost or 127.0.0.1, or the origin (or its
// host) is in the --cors-origins allow-list.
func (s *Server) originAllowed(origin string) bool {
	_, rest, ok := strings.Cut(origin, "://")
	if !ok {
		return false
	}
	host := rest
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	if host == "localhost" || host == "127.0.0.1" || host == "[::1]" {
		return true
	}
	for _, a := range s.cfg.CORSOrigins {
		if a == "*" || strings.EqualFold(a, origin) || strings.EqualFold(a, host) {
			return true
		}
	}
	return false
}
