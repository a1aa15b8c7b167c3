package api_test

// Tests of middleware.go: CORS and request ids.

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"notechondria-auth/api"
)

// TestMiddleware_Core_CORS covers CONTRACT 1.0's CORS rules.
func TestMiddleware_Core_CORS(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.CORSOrigins = []string{"https://notes.example.com", "app.example.org"} })
	e.createUser("alice", "alice@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw")
	corsHeaders := map[string]string{
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Headers":     "Authorization, Content-Type, Accept, Origin, X-Requested-With",
		"Access-Control-Allow-Methods":     "GET, POST, PATCH, PUT, DELETE, OPTIONS",
		"Vary":                             "Origin",
	}
	tests := []struct {
		origin  string
		allowed bool
	}{
		{"http://localhost:3000", true},
		{"http://localhost", true},
		{"https://localhost:8443", true},
		{"http://127.0.0.1:5173", true},
		{"http://[::1]:8080", true},
		{"https://notes.example.com", true},
		{"https://app.example.org", true},
		{"http://app.example.org:8080", true},
		{"https://evil.example", false},
		{"http://localhost.evil.example", false},
		{"http://127.0.0.2", false},
		{"https://notes.example.com.evil.example", false},
		{"null", false},
		{"localhost", false},
	}
	for _, tc := range tests {
		t.Run(tc.origin, func(t *testing.T) {
			for _, req := range []struct {
				method, path, auth string
				status             int
			}{
				// Preflights are answered before authentication and routing.
				{"OPTIONS", "auth/sessions/", "Token stale", 204},
				{"OPTIONS", "auth/login/", "", 204},
				{"OPTIONS", "does/not/exist/", "", 204},
				{"OPTIONS", "/media/x.png", "", 204},
				// Real requests get the headers too, errors included.
				{"GET", "auth/sessions/", tok, 200},
				{"GET", "auth/sessions/", "", 401},
			} {
				r := e.do(req.method, req.path, nil, req.auth, "Origin", tc.origin).expect(t, req.status, "")
				if req.status == 204 && len(r.raw) != 0 {
					t.Fatalf("preflight body %q", r.raw)
				}
				got := r.header.Get("Access-Control-Allow-Origin")
				if !tc.allowed {
					for h := range corsHeaders {
						if r.header.Get(h) != "" && h != "Vary" {
							t.Fatalf("%s %s: %s set for a foreign origin", req.method, req.path, h)
						}
					}
					if got != "" {
						t.Fatalf("ACAO %q for a foreign origin", got)
					}
					continue
				}
				if got != tc.origin {
					t.Fatalf("%s %s: ACAO %q", req.method, req.path, got)
				}
				for h, v := range corsHeaders {
					if r.header.Get(h) != v {
						t.Fatalf("%s %s: %s = %q, want %q", req.method, req.path, h, r.header.Get(h), v)
					}
				}
			}
		})
	}
	// Outside /api/ and /media/ there is no CORS.
	r := e.do("GET", "/healthz", nil, "", "Origin", "http://localhost:3000").expect(t, 200, "")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS headers on /healthz")
	}
}

// TestMiddleware_Core_RequestID: every answer carries X-Request-Id; a short,
// safe client value is echoed, anything else is replaced by the server's
// own "<8 hex>-<base 36 counter>" id, unique per request.
func TestMiddleware_Core_RequestID(t *testing.T) {
	e := newEnv(t)
	own := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-z]+$`)
	seen := map[string]bool{}
	for _, path := range []string{"/healthz", "auth/verify/", "nope/", "/api/v1/auth/sessions", "auth/session/"} {
		for i := 0; i < 3; i++ {
			id := e.do("GET", path, nil, "").header.Get("X-Request-Id")
			if !own.MatchString(id) || seen[id] {
				t.Fatalf("GET %s: X-Request-Id %q (seen before: %v)", path, id, seen[id])
			}
			seen[id] = true
		}
	}
	for _, tc := range []struct {
		sent string
		echo bool
	}{
		{"abc-DEF_012.x", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"has space", false},
		{"semi;colon", false},
	} {
		got := e.do("GET", "auth/verify/", nil, "", "X-Request-Id", tc.sent).header.Get("X-Request-Id")
		if tc.echo && got != tc.sent || !tc.echo && !own.MatchString(got) {
			t.Fatalf("sent %q, got %q", tc.sent, got)
		}
	}
	// Concurrent requests never share an id.
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				req, _ := http.NewRequest("GET", e.http.URL+"/healthz", nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				id := resp.Header.Get("X-Request-Id")
				mu.Lock()
				if seen[id] || !own.MatchString(id) {
					t.Errorf("id %q repeated or malformed", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
