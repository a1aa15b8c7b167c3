package api_test

// Tests of middleware.go: CORS.

import (
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
