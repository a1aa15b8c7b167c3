package api_test

import (
	"strconv"
	"testing"
	"time"
)

func TestLoginListRevokeProbe(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	a := e.login("alice@example.com", "Strong1pw", "User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)")
	r := e.do("POST", "auth/login/", map[string]string{"email": "ALICE", "password": "Strong1pw"}, "", "User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")
	r.expect(t, 200, "")
	if r.body["multi_device"] != true || r.body["other_sessions_count"] != float64(1) {
		t.Fatalf("second login: %s", r.raw)
	}
	b := "Token " + r.body["token"].(string)
	if got := r.body["session"].(map[string]any)["device_label"]; got != "iPhone" {
		t.Fatalf("device label %v", got)
	}
	e.clock.Advance(time.Second)
	list := e.do("GET", "auth/sessions/", nil, a).expect(t, 200, "")
	rows := list.body["sessions"].([]any)
	if len(rows) != 2 {
		t.Fatalf("want 2 sessions: %s", list.raw)
	}
	first := rows[0].(map[string]any)
	if first["is_current"] != true || first["id"] != list.body["current_session_id"] {
		t.Fatalf("current session not first: %s", list.raw)
	}
	other := rows[1].(map[string]any)["id"].(float64)
	e.do("DELETE", "auth/sessions/"+itoa(int64(other))+"/", nil, a).expect(t, 204, "")
	e.do("GET", "auth/sessions/", nil, b).expect(t, 401, "Invalid token.")
	probe := e.do("GET", "auth/session/", nil, b).expect(t, 200, "")
	if probe.body["authenticated"] != false || len(probe.body) != 1 {
		t.Fatalf("probe of revoked: %s", probe.raw)
	}
	probe = e.do("GET", "auth/session/", nil, a).expect(t, 200, "")
	if probe.body["authenticated"] != true || probe.body["multi_device"] != false {
		t.Fatalf("probe: %s", probe.raw)
	}
	e.do("POST", "auth/logout/", nil, a).expect(t, 204, "")
	e.do("GET", "auth/sessions/", nil, a).expect(t, 401, "Invalid token.")
}

func TestIdleAndAbsoluteExpiry(t *testing.T) {
	e := newEnv(t)
	e.createUser("bob", "bob@example.com", "Strong1pw")
	tok := e.login("bob", "Strong1pw")
	// Keep the session busy every 23 h: the idle window rolls...
	for i := 0; i < 3; i++ {
		e.clock.Advance(23 * time.Hour)
		e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, "")
	}
	// ...but the absolute window does not (69 h + 4 h > 72 h).
	e.clock.Advance(4 * time.Hour)
	e.do("GET", "auth/sessions/", nil, tok).expect(t, 401, "Invalid token.")

	tok = e.login("bob", "Strong1pw")
	e.clock.Advance(24*time.Hour + time.Microsecond)
	e.do("GET", "auth/sessions/", nil, tok).expect(t, 401, "Invalid token.")
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
