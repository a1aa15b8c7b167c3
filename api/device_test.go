package api_test

// Device approval with number matching (issue 14): a signed-in device
// approves a new sign-in by picking the number it shows.

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

const uaPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"

// deviceEnv makes alice with "confirm new sign-ins" on and a signed-in
// session (returned), then starts a sign-in from a phone and asks for the
// device number; it returns the session, the challenge id and the number.
func deviceEnv(t *testing.T) (*env, string, string, string) {
	t.Helper()
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	e.do("PATCH", "auth/2fa/", map[string]any{"confirm_new_sign_ins": true}, tok).expect(t, 200, "")
	id, ch := e.pending("alice", "User-Agent", uaPhone)
	if fmt.Sprint(ch) != "[device email]" {
		t.Fatalf("channels %v", ch)
	}
	r := e.do("POST", "auth/2fa/challenge/", map[string]string{"challenge_id": id, "channel": "device"}, "", "User-Agent", uaPhone).expect(t, 200, "")
	num, _ := r.body["number"].(string)
	if r.body["channel"] != "device" || len(num) != 2 || num[0] == '0' {
		t.Fatalf("challenge: %s", r.raw)
	}
	return e, tok, id, num
}

// pendingList reads GET auth/2fa/pending/ as tok.
func (e *env) pendingList(tok string) []map[string]any {
	e.t.Helper()
	r := e.do("GET", "auth/2fa/pending/", nil, tok)
	r.expect(e.t, 200, "")
	var out []map[string]any
	if err := json.Unmarshal(r.raw, &out); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// verifyPhone polls the phone's verify.
func (e *env) verifyPhone(id string) *response {
	e.t.Helper()
	return e.do("POST", "auth/2fa/verify/", map[string]string{"challenge_id": id, "channel": "device"}, "", "User-Agent", uaPhone)
}

// wrongNumber is a choice that is not num.
func wrongNumber(t *testing.T, p map[string]any, num string) string {
	t.Helper()
	for _, c := range p["choices"].([]any) {
		if c.(string) != num {
			return c.(string)
		}
	}
	t.Fatal("no wrong choice")
	return ""
}

func TestDevice_Core_FullFlow(t *testing.T) {
	e, tok, id, num := deviceEnv(t)
	if r := e.verifyPhone(id).expect(t, 202, ""); string(r.raw) != `{"pending":true}` {
		t.Fatalf("pending: %s", r.raw)
	}
	list := e.pendingList(tok)
	if len(list) != 1 {
		t.Fatalf("list %v", list)
	}
	p := list[0]
	ch := fmt.Sprint(p["choices"])
	if p["device_label"] != "iPhone" || p["user_agent"] != uaPhone || len(p["ip_hash_prefix"].(string)) != 8 {
		t.Fatalf("entry %v", p)
	}
	seen := map[string]bool{}
	for _, c := range p["choices"].([]any) {
		seen[c.(string)] = true
	}
	if len(seen) != 3 || !seen[num] {
		t.Fatalf("choices %v, number %s", ch, num)
	}
	if again := e.pendingList(tok); fmt.Sprint(again[0]["choices"]) != ch {
		t.Fatalf("choices changed: %v then %v", ch, again[0]["choices"])
	}
	pid := p["id"].(string)
	e.do("POST", "auth/2fa/pending/"+pid+"/approve/", map[string]string{"number": num}, tok).expect(t, 204, "")
	if len(e.pendingList(tok)) != 0 {
		t.Fatal("still listed after approval")
	}
	// The approval cannot be given twice.
	e.do("POST", "auth/2fa/pending/"+pid+"/approve/", map[string]string{"number": num}, tok).expect(t, 404, "Not found.")
	r := e.verifyPhone(id).expect(t, 200, "")
	if m := r.body["session"].(map[string]any)["auth_methods"]; fmt.Sprint(m) != "[password device]" {
		t.Fatalf("methods %v", m)
	}
	// Single use: the approval and the challenge are spent.
	e.verifyPhone(id).expectField(t, "challenge_id", "")
}

func TestDevice_Core_Refusals(t *testing.T) {
	cases := []struct {
		name string
		act  func(e *env, tok, pid, num string, p map[string]any)
		// verify is the phone's verify status afterwards.
		verify int
	}{
		{"wrong number denies", func(e *env, tok, pid, num string, p map[string]any) {
			e.do("POST", "auth/2fa/pending/"+pid+"/approve/", map[string]string{"number": wrongNumber(t, p, num)}, tok).expectField(e.t, "number", "")
			// Denied: the right number now finds nothing.
			e.do("POST", "auth/2fa/pending/"+pid+"/approve/", map[string]string{"number": num}, tok).expect(e.t, 404, "")
		}, 403},
		{"deny", func(e *env, tok, pid, num string, p map[string]any) {
			e.do("POST", "auth/2fa/pending/"+pid+"/deny/", nil, tok).expect(e.t, 204, "")
			e.do("POST", "auth/2fa/pending/"+pid+"/deny/", nil, tok).expect(e.t, 404, "")
		}, 403},
		{"expired after 10 minutes", func(e *env, tok, pid, num string, p map[string]any) {
			e.clock.Advance(10*time.Minute + time.Second)
			if len(e.pendingList(tok)) != 0 {
				e.t.Fatal("expired challenge listed")
			}
			e.do("POST", "auth/2fa/pending/"+pid+"/approve/", map[string]string{"number": num}, tok).expect(e.t, 404, "")
		}, 400},
		{"another account", func(e *env, tok, pid, num string, p map[string]any) {
			e.createUser("bob", "bob@example.com", pw2)
			bob := e.login("bob", pw2)
			if len(e.pendingList(bob)) != 0 {
				e.t.Fatal("bob sees alice's sign-in")
			}
			e.do("POST", "auth/2fa/pending/"+pid+"/approve/", map[string]string{"number": num}, bob).expect(e.t, 404, "")
			e.do("POST", "auth/2fa/pending/"+pid+"/deny/", nil, bob).expect(e.t, 404, "")
		}, 202},
		{"API key refused", func(e *env, tok, pid, num string, p map[string]any) {
			k := "Bearer " + e.do("POST", "auth/rotate-api-key/", nil, tok).expect(e.t, 200, "").body["api_key"].(string)
			e.do("GET", "auth/2fa/pending/", nil, k).expect(e.t, 403, "")
			e.do("POST", "auth/2fa/pending/"+pid+"/approve/", map[string]string{"number": num}, k).expect(e.t, 403, "")
			e.do("POST", "auth/2fa/pending/"+pid+"/deny/", nil, k).expect(e.t, 403, "")
		}, 202},
		{"5 wrong answers end it", func(e *env, tok, pid, num string, p map[string]any) {
			for i := 0; i < 5; i++ {
				e.verify(p["challenge"].(string), "email", "000000", "User-Agent", uaPhone)
			}
			e.do("POST", "auth/2fa/pending/"+pid+"/approve/", map[string]string{"number": num}, tok).expect(e.t, 404, "")
		}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, tok, id, num := deviceEnv(t)
			p := e.pendingList(tok)[0]
			p["challenge"] = id
			tc.act(e, tok, p["id"].(string), num, p)
			if r := e.verifyPhone(id); r.status != tc.verify {
				t.Fatalf("verify %d, want %d: %s", r.status, tc.verify, r.raw)
			}
		})
	}
}

// Device is not offered without another live session, nor without
// "confirm new sign-ins", and a channel not offered cannot be started.
func TestDevice_Core_NotOffered(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", pw2)
	tok := e.login("alice", pw2, "User-Agent", ua2)
	e.do("PATCH", "auth/2fa/", map[string]any{"confirm_new_sign_ins": true}, tok).expect(t, 200, "")
	e.do("POST", "auth/logout/", nil, tok).expect(t, 204, "")
	id, ch := e.pending("alice", "User-Agent", uaPhone)
	if fmt.Sprint(ch) != "[email]" {
		t.Fatalf("channels without a live session %v", ch)
	}
	e.do("POST", "auth/2fa/challenge/", map[string]string{"challenge_id": id, "channel": "device"}, "", "User-Agent", uaPhone).expectField(t, "channel", "")
	e.verifyPhone(id).expectField(t, "channel", "")
}
