package api_test

// Tests of sessions.go: POST auth/logout/, the probe GET auth/session/,
// GET and DELETE auth/sessions/, DELETE auth/sessions/<id>/ and the
// forward-auth check GET auth/verify/. Expiry, touches, sweeps and wipes
// are in sessions_lifetime_test.go, the races in sessions_race_test.go.

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSessions_Core_Logout is POST auth/logout/ (CONTRACT 1.3 #12, 3.7).
func TestSessions_Core_Logout(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	a := e.login("alice", "Strong1pw")
	b := e.login("alice", "Strong1pw")
	e.do("GET", "auth/sessions/", nil, a).expect(t, 200, "") // cache a

	r := e.do("POST", "auth/logout/", nil, a).expect(t, 204, "")
	if len(r.raw) != 0 || r.header.Get("Content-Type") != "" {
		t.Fatalf("204 with body %q / Content-Type %q", r.raw, r.header.Get("Content-Type"))
	}
	e.do("GET", "auth/sessions/", nil, a).expect401(t, msgInvalidToken)
	e.do("POST", "auth/logout/", nil, a).expect401(t, msgInvalidToken)
	if p := e.do("GET", "auth/session/", nil, a); p.body["authenticated"] != false {
		t.Fatalf("probe after logout: %s", p.raw)
	}
	rows, _ := e.sessions(b) // the other device is unaffected
	if len(rows) != 1 {
		t.Fatalf("sessions after logout: %v", rows)
	}

	// With an API key: 204, nothing revoked.
	key := e.rotate(b)
	e.do("POST", "auth/logout/", nil, key).expect(t, 204, "")
	e.do("POST", "auth/logout/", map[string]string{"ignored": "body"}, key).expect(t, 204, "")
	if rows, _ := e.sessions(b); len(rows) != 1 {
		t.Fatalf("API-key logout revoked something: %v", rows)
	}
	e.do("GET", "auth/sessions/", nil, key).expect(t, 200, "")

	// No credentials.
	e.do("POST", "auth/logout/", nil, "").expect401(t, msgNotProvided)
	e.do("POST", "auth/logout/", nil, "Basic Zm9vOmJhcg==").expect401(t, msgNotProvided)
}

// TestSessions_Core_Probe checks the probe's success payload and that it never
// touches the session.
func TestSessions_Core_Probe(t *testing.T) {
	e := newEnv(t)
	e.createUser("frank", "frank@example.com", "Strong1pw")
	a := e.loginBody("frank", "Strong1pw", "User-Agent", "Mozilla/5.0 (X11; Linux x86_64)")
	b := e.loginBody("frank", "Strong1pw")
	aTok, bTok := "Token "+a.body["token"].(string), "Token "+b.body["token"].(string)
	created := a.body["session"].(map[string]any)["created_at"].(string)

	e.clock.Advance(time.Hour)
	p := e.do("GET", "auth/session/", nil, "token   "+key(aTok)).expect(t, 200, "")
	sameKeys(t, "probe", p.body, "authenticated", "token", "session", "multi_device", "other_sessions_count", "user")
	if p.body["authenticated"] != true || p.body["token"] != key(aTok) {
		t.Fatalf("probe: %s", p.raw)
	}
	sess := p.body["session"].(map[string]any)
	if int64(sess["id"].(float64)) != sessionID(a) || sess["device_label"] != "Linux" ||
		sess["created_at"] != created || sess["last_seen_at"] != created {
		t.Fatalf("probe session: %v", sess)
	}
	if p.body["multi_device"] != true || p.body["other_sessions_count"] != float64(1) {
		t.Fatalf("probe counts: %s", p.raw)
	}
	if p.body["user"].(map[string]any)["username"] != "frank" {
		t.Fatalf("probe user: %s", p.raw)
	}
	// The probe minted nothing and touched nothing: A still shows its
	// creation time as last seen, seen from B an hour later.
	e.clock.Advance(time.Hour)
	rows, _ := e.sessions(bTok)
	if len(rows) != 2 {
		t.Fatalf("probe minted a session: %v", rows)
	}
	for _, r := range rows {
		if int64(r["id"].(float64)) == sessionID(a) && r["last_seen_at"] != created {
			t.Fatalf("probe touched the session: %v", r)
		}
	}
	// And the idle window did not roll: 24 h after creation plus a
	// microsecond, the probed session is dead even though it was probed.
	e.clock.Advance(22*time.Hour + time.Microsecond)
	p = e.do("GET", "auth/session/", nil, aTok).expect(t, 200, "")
	if p.body["authenticated"] != false {
		t.Fatalf("probe rolled the idle window: %s", p.raw)
	}
}

func TestSessions_Contract_ProbeAndForeignSession(t *testing.T) {
	e := newEnv(t)
	e.createUser("vic", "vic@example.com", "Strong1pw")
	e.createUser("wes", "wes@example.com", "Strong1pw")
	for _, h := range []string{"", "Bearer x", "Token " + strings.Repeat("a", 40)} {
		r := e.do("GET", "auth/session/", nil, h).expect(t, 200, "")
		if string(r.raw) != `{"authenticated":false}` {
			t.Fatalf("probe %q: %s", h, r.raw)
		}
	}
	v := e.login("vic", "Strong1pw")
	w := e.login("wes", "Strong1pw")
	list := e.do("GET", "auth/sessions/", nil, w).expect(t, 200, "")
	wid := list.body["current_session_id"].(float64)
	e.do("DELETE", "auth/sessions/"+itoa(int64(wid))+"/", nil, v).expect(t, 404, "Session not found.")
	e.do("GET", "auth/sessions/", nil, w).expect(t, 200, "")
}

// TestSessions_Core_List is GET auth/sessions/ (CONTRACT 1.3 #14).
func TestSessions_Core_List(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	e.createUser("bob", "bob@example.com", "Strong1pw")
	e.login("bob", "Strong1pw") // never listed for alice

	mac := e.loginBody("alice", "Strong1pw", "User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)")
	e.clock.Advance(time.Minute)
	phone := e.loginBody("alice", "Strong1pw", "User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", "X-Forwarded-For", "203.0.113.9, 10.0.0.1")
	e.clock.Advance(time.Minute)
	revoked := e.login("alice", "Strong1pw")
	e.do("POST", "auth/logout/", nil, revoked).expect(t, 204, "")
	macTok, phoneTok := "Token "+mac.body["token"].(string), "Token "+phone.body["token"].(string)
	macID, phoneID := sessionID(mac), sessionID(phone)

	e.clock.Advance(time.Minute)
	r := e.do("GET", "auth/sessions/", nil, phoneTok).expect(t, 200, "")
	sameKeys(t, "list", r.body, "sessions", "current_session_id")
	if r.body["current_session_id"] != float64(phoneID) {
		t.Fatalf("current_session_id: %s", r.raw)
	}
	rows := r.body["sessions"].([]any)
	if len(rows) != 2 {
		t.Fatalf("want 2 live sessions: %s", r.raw)
	}
	hex8 := regexp.MustCompile(`^[0-9a-f]{8}$`)
	first, second := rows[0].(map[string]any), rows[1].(map[string]any)
	for _, row := range []map[string]any{first, second} {
		sameKeys(t, "row", row, "id", "device_label", "user_agent", "ip_hash_prefix", "created_at", "last_seen_at", "is_current")
		if !hex8.MatchString(row["ip_hash_prefix"].(string)) {
			t.Fatalf("ip_hash_prefix %q", row["ip_hash_prefix"])
		}
	}
	// The caller was just touched: first. Its last_seen_at is the request time.
	if first["id"] != float64(phoneID) || first["is_current"] != true || first["device_label"] != "iPhone" ||
		first["last_seen_at"] != "2026-04-23T03:35:23.123456+00:00" || first["created_at"] != "2026-04-23T03:33:23.123456+00:00" {
		t.Fatalf("first row: %v", first)
	}
	if second["id"] != float64(macID) || second["is_current"] != false || second["device_label"] != "Mac" ||
		second["user_agent"] != "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)" ||
		second["last_seen_at"] != "2026-04-23T03:32:23.123456+00:00" {
		t.Fatalf("second row: %v", second)
	}
	// Different client addresses, different hashes (the first X-Forwarded-For
	// hop counts behind a trusted proxy).
	if first["ip_hash_prefix"] == second["ip_hash_prefix"] {
		t.Fatalf("X-Forwarded-For ignored: %v / %v", first, second)
	}
	// Order follows last_seen_at: touching mac puts it first.
	e.clock.Advance(time.Minute)
	rows2, cur := e.sessions(macTok)
	if rows2[0]["id"] != float64(macID) || cur != float64(macID) || rows2[1]["is_current"] != false {
		t.Fatalf("order after touch: %v", rows2)
	}

	// API-key caller: no current session.
	key := e.rotate(phoneTok)
	r = e.do("GET", "auth/sessions/", nil, key).expect(t, 200, "")
	if v, ok := r.body["current_session_id"]; !ok || v != nil {
		t.Fatalf("API key current_session_id: %s", r.raw)
	}
	for _, row := range r.body["sessions"].([]any) {
		if row.(map[string]any)["is_current"] != false {
			t.Fatalf("API key is_current: %s", r.raw)
		}
	}

	// Expired sessions drop out: idle (mac) and absolute (phone, kept busy).
	for i := 0; i < 3; i++ {
		e.clock.Advance(23 * time.Hour)
		e.do("GET", "auth/verify/", nil, phoneTok).expect(t, 200, "")
	}
	r = e.do("GET", "auth/sessions/", nil, phoneTok).expect(t, 200, "")
	if rows := r.body["sessions"].([]any); len(rows) != 1 || rows[0].(map[string]any)["id"] != float64(phoneID) {
		t.Fatalf("idle session listed: %s", r.raw)
	}
	e.clock.Advance(3 * time.Hour) // phone: 72 h since creation passed
	e.do("GET", "auth/sessions/", nil, phoneTok).expect401(t, msgInvalidToken)
	r = e.do("GET", "auth/sessions/", nil, key).expect(t, 200, "")
	if rows := r.body["sessions"].([]any); len(rows) != 0 {
		t.Fatalf("absolute-expired session listed: %s", r.raw)
	}
	e.do("GET", "auth/sessions/", nil, "").expect401(t, msgNotProvided)
}

// TestSessions_Core_ListCacheFollowsChanges: the cached list of a user is dropped
// by every login and revocation, and shows exact last-seen times after
// touches are flushed.
func TestSessions_Core_ListCacheFollowsChanges(t *testing.T) {
	e := newEnv(t)
	e.createUser("lena", "lena@example.com", "Strong1pw")
	a := e.login("lena", "Strong1pw")
	count := func(tok string) int {
		t.Helper()
		r := e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, "")
		return len(r.body["sessions"].([]any))
	}
	if n := count(a); n != 1 { // now cached
		t.Fatalf("first list: %d", n)
	}
	b := e.login("lena", "Strong1pw")
	c := e.login("lena", "Strong1pw")
	if n := count(a); n != 3 {
		t.Fatalf("after two logins: %d", n)
	}
	e.do("POST", "auth/logout/", nil, c).expect(t, 204, "")
	if n := count(a); n != 2 {
		t.Fatalf("after logout: %d", n)
	}
	e.do("DELETE", "auth/sessions/", nil, a).expect(t, 200, "")
	if n := count(a); n != 1 {
		t.Fatalf("after revoking the others: %d", n)
	}
	e.do("GET", "auth/sessions/", nil, b).expect(t, 401, "Invalid token.")

	// Touches flushed after the list was cached still show, exactly.
	e.clock.Advance(30 * time.Minute)
	e.do("GET", "auth/verify/", nil, a).expect(t, 200, "")
	e.srv.Flush(bg)
	want := e.clock.Now()
	e.clock.Advance(time.Minute)
	r := e.do("GET", "auth/sessions/", nil, a)
	row := r.body["sessions"].([]any)[0].(map[string]any)
	got, err := time.Parse("2006-01-02T15:04:05.999999-07:00", row["last_seen_at"].(string))
	if err != nil || got.Before(want) {
		t.Fatalf("last_seen_at %v (%v), want at least %v", row["last_seen_at"], err, want)
	}

	// A wipe purges every list.
	if _, err := e.srv.WipeSessions(bg); err != nil {
		t.Fatal(err)
	}
	e.do("GET", "auth/sessions/", nil, a).expect(t, 401, "Invalid token.")
	d := e.login("lena", "Strong1pw")
	if n := count(d); n != 1 {
		t.Fatalf("after wipe and login: %d", n)
	}
}

// TestSessions_Core_Revoke is DELETE auth/sessions/<id>/ (CONTRACT 1.3 #15).
func TestSessions_Core_Revoke(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	e.createUser("bob", "bob@example.com", "Strong1pw")
	a := e.login("alice", "Strong1pw")
	other := e.loginBody("alice", "Strong1pw")
	otherTok, otherID := "Token "+other.body["token"].(string), sessionID(other)
	bob := e.loginBody("bob", "Strong1pw")
	bobTok, bobID := "Token "+bob.body["token"].(string), sessionID(bob)
	e.do("GET", "auth/verify/", nil, otherTok).expect(t, 200, "") // cached

	id := strconv.FormatInt(otherID, 10)
	tests := []struct {
		name, path string
		status     int
		detail     string
	}{
		{"revoke other device", id, 204, ""},
		{"already revoked: idempotent", id, 204, ""},
		{"leading zeros", "0" + id, 204, ""},
		{"someone else's", strconv.FormatInt(bobID, 10), 404, "Session not found."},
		{"unknown id", "999999", 404, "Session not found."},
		{"zero", "0", 404, "Session not found."},
		{"not an integer", "abc", 404, "Not found."},
		{"negative", "-1", 404, "Not found."},
		{"plus sign", "+" + id, 404, "Not found."},
		{"decimal", id + ".0", 404, "Not found."},
		{"overflow", "99999999999999999999999", 404, "Session not found."},
		{"minus zero", "-0", 404, "Not found."},
		{"arabic digit", "٣", 404, "Not found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("DELETE", "auth/sessions/"+tc.path+"/", nil, a).expect(t, tc.status, tc.detail)
			if tc.status == 204 && (len(r.raw) != 0 || r.header.Get("Content-Type") != "") {
				t.Fatalf("204 with body %q", r.raw)
			}
		})
	}
	e.do("GET", "auth/verify/", nil, otherTok).expect401(t, msgInvalidToken)
	e.do("GET", "auth/verify/", nil, bobTok).expect(t, 200, "") // untouched by alice's attempt

	// Without credentials: 401 before anything else.
	e.do("DELETE", "auth/sessions/"+id+"/", nil, "").expect401(t, msgNotProvided)

	// An API-key caller can revoke sessions.
	key := e.rotate(a)
	third := e.loginBody("alice", "Strong1pw")
	e.do("DELETE", "auth/sessions/"+strconv.FormatInt(sessionID(third), 10)+"/", nil, key).expect(t, 204, "")
	e.do("GET", "auth/sessions/", nil, "Token "+third.body["token"].(string)).expect401(t, msgInvalidToken)

	// Revoking the current session is a logout.
	rows, cur := e.sessions(a)
	if len(rows) != 1 {
		t.Fatalf("rows %v", rows)
	}
	e.do("DELETE", "auth/sessions/"+strconv.FormatInt(int64(cur.(float64)), 10)+"/", nil, a).expect(t, 204, "")
	e.do("GET", "auth/sessions/", nil, a).expect401(t, msgInvalidToken)
}

// TestSessions_Core_RevokeOthers is DELETE auth/sessions/ (new: sign out every
// other device).
func TestSessions_Core_RevokeOthers(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	e.createUser("bob", "bob@example.com", "Strong1pw")
	bob := e.login("bob", "Strong1pw")
	toks := []string{}
	for i := 0; i < 4; i++ {
		toks = append(toks, e.login("alice", "Strong1pw"))
		e.do("GET", "auth/verify/", nil, toks[i]).expect(t, 200, "") // cached
	}
	e.do("POST", "auth/logout/", nil, toks[3]).expect(t, 204, "") // already revoked: not counted

	r := e.do("DELETE", "auth/sessions/", nil, toks[0]).expect(t, 200, "")
	if string(r.raw) != `{"revoked":2}` {
		t.Fatalf("body %s", r.raw)
	}
	e.do("GET", "auth/verify/", nil, toks[0]).expect(t, 200, "")
	for _, tok := range toks[1:] {
		e.do("GET", "auth/verify/", nil, tok).expect401(t, msgInvalidToken)
	}
	e.do("GET", "auth/verify/", nil, bob).expect(t, 200, "")
	if r := e.do("DELETE", "auth/sessions/", nil, toks[0]).expect(t, 200, ""); string(r.raw) != `{"revoked":0}` {
		t.Fatalf("second call: %s", r.raw)
	}
	// An API key has no current session: every session goes.
	key := e.rotate(toks[0])
	if r := e.do("DELETE", "auth/sessions/", nil, key).expect(t, 200, ""); string(r.raw) != `{"revoked":1}` {
		t.Fatalf("API key: %s", r.raw)
	}
	e.do("GET", "auth/verify/", nil, toks[0]).expect401(t, msgInvalidToken)
	e.do("DELETE", "auth/sessions/", nil, "").expect401(t, msgNotProvided)
}

// TestSessions_Core_Verify is GET auth/verify/, the forward-auth check.
func TestSessions_Core_Verify(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("alice", "alice@example.com", "Strong1pw")
	a := e.loginBody("alice", "Strong1pw")
	tok := "Token " + a.body["token"].(string)
	other := e.login("alice", "Strong1pw")
	key := e.rotate(other)

	for i := 0; i < 2; i++ { // miss, then hit
		r := e.do("GET", "auth/verify/", nil, tok).expect(t, 200, "")
		if r.header.Get("X-Auth-User-Id") != strconv.FormatInt(u.ID, 10) || r.header.Get("X-Auth-Username") != "alice" ||
			r.header.Get("X-Auth-Session-Id") != strconv.FormatInt(sessionID(a), 10) {
			t.Fatalf("headers %v", r.header)
		}
		if len(r.raw) != 0 {
			t.Fatalf("body %q", r.raw)
		}
	}
	r := e.do("GET", "auth/verify/", nil, key).expect(t, 200, "")
	if r.header.Get("X-Auth-User-Id") != strconv.FormatInt(u.ID, 10) || r.header.Get("X-Auth-Username") != "alice" {
		t.Fatalf("API key headers %v", r.header)
	}
	if _, ok := r.header["X-Auth-Session-Id"]; ok {
		t.Fatalf("API key got a session header: %v", r.header)
	}
	for _, h := range []string{"", "Basic eDp5", "Bearer " + key[len("Bearer "):len(key)-1]} {
		r := e.do("GET", "auth/verify/", nil, h)
		if r.status != 401 || r.header.Get("X-Auth-User-Id") != "" || r.header.Get("WWW-Authenticate") != "Token" {
			t.Fatalf("header %q: %d %v", h, r.status, r.header)
		}
	}
	e.do("GET", "auth/verify/", nil, "").expect401(t, msgNotProvided)
	e.do("GET", "auth/verify/", nil, "Token nope").expect401(t, msgInvalidToken)

	// Revocation from another device: rejected at once (the cached entry
	// is dropped before the DELETE answers).
	e.do("DELETE", "auth/sessions/"+strconv.FormatInt(sessionID(a), 10)+"/", nil, other).expect(t, 204, "")
	e.do("GET", "auth/verify/", nil, tok).expect401(t, msgInvalidToken)
}

func TestSessions_Core_LoginListRevokeProbe(t *testing.T) {
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
