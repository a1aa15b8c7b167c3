package api_test

// Tests of health.go and of Drain: /readyz before and during a drain, and
// the "Connection: close" every answer carries once the server drains.

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestHealth_Ops_DrainClosesConnectionsAndUnreadies: before Drain answers
// keep their connection and /readyz is 200; after it every answer (a
// sign-in, a probe, an error) says "Connection: close", requests are still
// served, and /readyz is 503 "draining" while /healthz stays 200.
func TestHealth_Ops_DrainClosesConnectionsAndUnreadies(t *testing.T) {
	e := newEnv(t)
	e.createUser("dana", "dana@example.com", "Strong1pw")
	tok := e.login("dana", "Strong1pw")
	cases := []struct {
		method, path, body, auth string
		status, drainingStatus   int
	}{
		{"POST", "/api/v1/auth/login/", `{"identifier":"dana","password":"Strong1pw"}`, "", 200, 200},
		{"GET", "/api/v1/auth/verify/", "", tok, 200, 200},
		{"GET", "/api/v1/auth/sessions/", "", "Token nope", 401, 401},
		{"GET", "/healthz", "", "", 200, 200},
		{"GET", "/readyz", "", "", 200, 503},
	}
	// send returns the status, whether net/http saw "Connection: close"
	// (the client removes the header and sets Close), and the body.
	send := func(method, path, body, auth string) (int, bool, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, _ := http.NewRequest(method, e.http.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, resp.Close, out
	}
	for _, c := range cases {
		if st, closes, _ := send(c.method, c.path, c.body, c.auth); st != c.status || closes {
			t.Errorf("%s %s before Drain: %d, Connection: close %v", c.method, c.path, st, closes)
		}
	}
	e.srv.Drain()
	for _, c := range cases {
		st, closes, body := send(c.method, c.path, c.body, c.auth)
		if st != c.drainingStatus || !closes {
			t.Errorf("%s %s while draining: %d, Connection: close %v", c.method, c.path, st, closes)
		}
		if c.path == "/readyz" && body["status"] != "draining" {
			t.Errorf("/readyz while draining: %v", body)
		}
	}
}
