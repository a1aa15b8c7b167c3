package api_test

// Tests of metrics.go: the Prometheus text of GET /metrics.

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMetrics_Core_Exposition pins the request counters and the latency
// histograms: one counter line per route and status seen, sorted by route
// then status; per route seen, twelve cumulative buckets, +Inf, sum and
// count; matched routes by pattern, the rest as preflight, redirect or
// unmatched.
func TestMetrics_Core_Exposition(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw") // POST auth/login/ 200
	for i := 0; i < 3; i++ {
		e.do("GET", "auth/verify/", nil, tok).expect(t, 200, "")
	}
	e.do("GET", "auth/verify/", nil, "").expect(t, 401, "")
	e.do("GET", "auth/verify/", nil, "Token nope").expect(t, 401, "")
	e.do("GET", "auth/sessions/", nil, "").expect(t, 401, "")
	e.do("DELETE", "auth/sessions/12345/", nil, tok).expect(t, 404, "")
	e.do("OPTIONS", "auth/sessions/", nil, "").expect(t, 204, "")
	e.do("GET", "nope/", nil, "").expect(t, 404, "")
	e.do("PUT", "auth/logout/", nil, "").expect(t, 405, "")
	e.noRedirect("GET", "/api/v1/settings")
	e.do("GET", "/healthz", nil, "").expect(t, 200, "")
	e.do("HEAD", "/healthz", nil, "")
	e.do("GET", "/assets/nope.css", nil, "")
	e.do("GET", "/metrics", nil, "").expect(t, 200, "")
	raw := string(e.do("GET", "/metrics", nil, "").expect(t, 200, "").raw)

	var counters []string
	counts := map[string]int{}
	var routes []string
	bucket := regexp.MustCompile(`^ntc_http_request_duration_seconds_bucket\{route="([^"]*)",le="([^"]*)"\} (\d+)$`)
	var last string
	var n int
	var prev uint64
	for _, line := range strings.Split(raw, "\n") {
		switch {
		case strings.HasPrefix(line, "ntc_http_requests_total{"):
			counters = append(counters, line)
		case strings.HasPrefix(line, "ntc_http_request_duration_seconds_bucket{"):
			m := bucket.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("bad bucket line %q", line)
			}
			v, _ := strconv.ParseUint(m[3], 10, 64)
			if m[1] != last {
				if last != "" && n != 13 {
					t.Fatalf("route %s: %d bucket lines", last, n)
				}
				last, n, prev = m[1], 0, 0
				routes = append(routes, m[1])
			}
			if v < prev {
				t.Fatalf("buckets not cumulative: %q", line)
			}
			prev = v
			want := []string{"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf"}[n]
			if m[2] != want {
				t.Fatalf("route %s bucket %d: le=%q, want %q", m[1], n, m[2], want)
			}
			n++
		case strings.HasPrefix(line, "ntc_http_request_duration_seconds_count{"):
			r := strings.TrimSuffix(strings.TrimPrefix(line[:strings.LastIndexByte(line, ' ')], `ntc_http_request_duration_seconds_count{route="`), `"}`)
			c, _ := strconv.Atoi(line[strings.LastIndexByte(line, ' ')+1:])
			counts[r] = c
			if uint64(c) != prev {
				t.Fatalf("route %s: count %d, +Inf bucket %d", r, c, prev)
			}
		case strings.HasPrefix(line, "ntc_http_request_duration_seconds_sum{"):
			if _, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err != nil {
				t.Fatalf("bad sum line %q", line)
			}
		}
	}
	wantCounters := []string{
		`ntc_http_requests_total{route="/api/v1/auth/login/",status="200"} 1`,
		`ntc_http_requests_total{route="/api/v1/auth/sessions/",status="401"} 1`,
		`ntc_http_requests_total{route="/api/v1/auth/sessions/:id/",status="404"} 1`,
		`ntc_http_requests_total{route="/api/v1/auth/verify/",status="200"} 3`,
		`ntc_http_requests_total{route="/api/v1/auth/verify/",status="401"} 2`,
		`ntc_http_requests_total{route="/assets/",status="404"} 1`,
		`ntc_http_requests_total{route="/healthz",status="200"} 2`,
		`ntc_http_requests_total{route="/metrics",status="200"} 1`,
		`ntc_http_requests_total{route="preflight",status="204"} 1`,
		`ntc_http_requests_total{route="redirect",status="301"} 1`,
		`ntc_http_requests_total{route="unmatched",status="404"} 1`,
		`ntc_http_requests_total{route="unmatched",status="405"} 1`,
	}
	if strings.Join(counters, "\n") != strings.Join(wantCounters, "\n") {
		t.Fatalf("request counters:\n%s\nwant:\n%s", strings.Join(counters, "\n"), strings.Join(wantCounters, "\n"))
	}
	wantCounts := map[string]int{"/api/v1/auth/login/": 1, "/api/v1/auth/sessions/": 1, "/api/v1/auth/sessions/:id/": 1,
		"/api/v1/auth/verify/": 5, "/assets/": 1, "/healthz": 2, "/metrics": 1, "preflight": 1, "redirect": 1, "unmatched": 2}
	wantRoutes := []string{"/api/v1/auth/login/", "/api/v1/auth/sessions/", "/api/v1/auth/sessions/:id/", "/api/v1/auth/verify/",
		"/assets/", "/healthz", "/metrics", "preflight", "redirect", "unmatched"}
	if strings.Join(routes, " ") != strings.Join(wantRoutes, " ") || len(counts) != len(wantCounts) {
		t.Fatalf("histogram routes %v, counts %v", routes, counts)
	}
	for r, c := range wantCounts {
		if counts[r] != c {
			t.Fatalf("route %s: count %d, want %d (all: %v)", r, counts[r], c, counts)
		}
	}
	for _, want := range []string{
		"# HELP ntc_http_requests_total HTTP requests by route and status.\n# TYPE ntc_http_requests_total counter\nntc_http_requests_total{",
		"# HELP ntc_http_request_duration_seconds Request latency by route.\n# TYPE ntc_http_request_duration_seconds histogram\nntc_http_request_duration_seconds_bucket{",
	} {
		if !strings.Contains(raw, want) {
			t.Fatalf("missing %q in\n%s", want, raw)
		}
	}
}
