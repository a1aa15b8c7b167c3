package api_test

// More of the original's security bugs (CONTRACT section 6): codes and
// secrets at rest, avatars, double submissions, deactivation.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
)

// There is no unique constraint on code hashes (the original's made a 500
// likely after a few thousand codes): two live codes with the same hash,
// for different purposes, both exist and each can be spent.
func TestSecurity_CodeHashesMayCollide(t *testing.T) {
	e := newEnv(t)
	e.registerOK("lou", "lou@example.com", "Strong1pw")
	e.createUser("max", "max@example.com", "Strong1pw")
	const plain = "007007"
	now := e.clock.Now()
	reg := &app.Code{CodeHash: app.CodeHash(plain), Usage: app.CodeRegister, Function: "lou@example.com",
		UserID: e.userByEmail("lou@example.com").ID, MaxUse: 1, CreatedAt: now, ExpireAt: now.Add(time.Hour)}
	reset := &app.Code{CodeHash: app.CodeHash(plain), Usage: app.CodeFunction, Function: app.FuncPasswordReset("max@example.com"),
		MaxUse: 1, CreatedAt: now, ExpireAt: now.Add(time.Hour)}
	for _, c := range []*app.Code{reg, reset} {
		if err := e.store.IssueCode(bg, c); err != nil {
			t.Fatalf("issue %s: %v", c.Function, err)
		}
	}
	if reg.ID == 0 || reset.ID == 0 || reg.ID == reset.ID {
		t.Fatalf("ids %d %d", reg.ID, reset.ID)
	}
	a, err := e.store.LatestCode(bg, "lou@example.com", app.CodeRegister, now)
	b, err2 := e.store.LatestCode(bg, app.FuncPasswordReset("max@example.com"), app.CodeFunction, now)
	if err != nil || err2 != nil || a.CodeHash != b.CodeHash {
		t.Fatalf("%v %v", err, err2)
	}
	// And the same through the HTTP flows: the colliding codes are spent
	// one at a time, by their own flow.
	e.do("POST", "auth/verify-email/", map[string]string{"email": "lou@example.com", "code": plain}, "").expect(t, 200, "")
	e.do("POST", "auth/password-reset/confirm/", map[string]string{"email": "max@example.com", "code": plain, "password": "NewPass2!"}, "").expect(t, 200, "")
	e.login("max", "NewPass2!")
	// Thirty more registrations with mailed codes never answer 500.
	for i := 0; i < 30; i++ {
		e.registerOK(fmt.Sprintf("bulk%d", i), fmt.Sprintf("bulk%d@example.com", i), "Strong1pw")
	}
}

// Session keys and IP addresses are not stored in a form an attacker with
// the database could use: keys as SHA-256, IPs as a keyed HMAC.
func TestSecurity_KeysAndIPsHashedAtRest(t *testing.T) {
	e := newEnv(t)
	e.createUser("ned", "ned@example.com", "Strong1pw")
	tok := e.login("ned", "Strong1pw", "X-Forwarded-For", "203.0.113.9")
	key := strings.TrimPrefix(tok, "Token ")
	if _, _, err := e.store.SessionByKeyHash(bg, key); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("session found by its plaintext key: %v", err)
	}
	found, _, err := e.store.SessionByKeyHash(bg, app.HashHex(key))
	if err != nil {
		t.Fatal(err)
	}
	full, err := e.store.SessionsByIDs(bg, found.UserID, []int64{found.ID})
	if err != nil || len(full) != 1 {
		t.Fatalf("SessionsByIDs: %v %v", full, err)
	}
	s := full[0]
	sum := sha256.Sum256([]byte("203.0.113.9"))
	if s.IPHash == "" || s.IPHash == hex.EncodeToString(sum[:]) {
		t.Fatalf("ip hash %q is the plain SHA-256 of the address", s.IPHash)
	}
	list := e.do("GET", "auth/sessions/", nil, tok).expect(t, 200, "")
	if p := list.body["sessions"].([]any)[0].(map[string]any)["ip_hash_prefix"]; p != s.IPHash[:8] {
		t.Fatalf("ip_hash_prefix %v", p)
	}
}

// Avatar uploads are not stored: the field is refused (400) instead of
// being dropped silently, whether sent as a file or as a text field.
func TestSecurity_AvatarRefused(t *testing.T) {
	e := newEnv(t)
	e.createUser("oli", "oli@example.com", "Strong1pw")
	tok := e.login("oli", "Strong1pw")
	png := []byte("\x89PNG\r\n\x1a\n")
	e.doMultipart("PATCH", "settings/", tok, "avatar", png, "first_name", "Oli").
		expectField(t, "avatar", "Settings not saved: Backend.Creators.Settings/update.validate_avatar — avatar uploads are not stored by notechondria-auth.")
	e.do("PATCH", "settings/", map[string]string{"avatar": "x.png"}, tok).expectField(t, "avatar", "")
	r := e.doMultipart("PATCH", "settings/", tok, "", nil, "first_name", "Oli").expect(t, 200, "")
	if r.body["first_name"] != "Oli" {
		t.Fatalf("%s", r.raw)
	}
}

// The same registration form sent several times at once (a double click)
// must not mark its own account contested: the handler compares passwords
// again when the pending account appeared after it looked.
func TestSecurity_DoubleSubmittedRegistrationIsNotContested(t *testing.T) {
	e := newEnv(t, noThrottle)
	body := map[string]string{"username": "quick", "email": "quick@example.com", "password": "Quick1pw!"}
	statuses := acctConcurrently(8, func(int) int {
		s, raw := e.postRaw("auth/register/", body, "")
		if s == 400 && !strings.Contains(string(raw), "this username is already taken") {
			return -s
		}
		return s
	})
	// A request that read before the first one committed may see the
	// username taken (400); none may fail otherwise.
	if acctCount(statuses, 201) == 0 || acctCount(statuses, 201)+acctCount(statuses, 400) != 8 {
		t.Fatalf("statuses %v", statuses)
	}
	users, err := e.store.ListUsers(bg)
	if err != nil || len(users) != 1 {
		t.Fatalf("%d users (%v)", len(users), err)
	}
	e.do("POST", "auth/verify-email/", map[string]string{"email": "quick@example.com", "code": e.lastCode("quick@example.com")}, "").expect(t, 200, "")
	e.login("quick", "Quick1pw!")
}

// TestSecurity_DeactivatedAccountStaysDisabled: an admin-deactivated account
// cannot bring itself back by registering again, resending or verifying.
func TestSecurity_DeactivatedAccountStaysDisabled(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("mallory", "mallory@example.com", "Strong1pw")
	if _, err := e.store.SetActive(context.Background(), u.ID, false, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "auth/register/", map[string]string{"username": "mallory", "email": "mallory@example.com", "password": "Strong1pw"}, "")
	r.expect(t, 400, "")
	if r.fieldError("email") == "" {
		t.Fatalf("re-register of a disabled account: %s", r.raw)
	}
	r = e.do("POST", "auth/resend-verification/", map[string]string{"email": "mallory@example.com"}, "")
	r.expect(t, 400, "")
	e.do("POST", "auth/login/", map[string]string{"identifier": "mallory", "password": "Strong1pw"}, "").expect(t, 400, "")
	got, err := e.store.UserByID(context.Background(), u.ID)
	if err != nil || got.IsActive || !got.Disabled {
		t.Fatalf("account state after attempts: active=%v disabled=%v err=%v", got.IsActive, got.Disabled, err)
	}
}

// TestStored_Security_NoPlaintextSecretsAtRest signs in, rotates the API key
// twice, changes the password and checks that no session key, API key or
// password appears in the database file or its WAL, before and after
// closing.
func TestStored_Security_NoPlaintextSecretsAtRest(t *testing.T) {
	e := newEnv(t)
	const pw1, pw2 = "Plaintext-Secret-1", "Plaintext-Secret-2"
	e.createUser("alice", "alice@example.com", pw1)
	tok := e.login("alice", pw1)
	key1 := e.do("POST", "auth/rotate-api-key/", nil, tok).expect(t, 200, "").body["api_key"].(string)
	key2 := e.do("POST", "auth/rotate-api-key/", nil, "Bearer "+key1).expect(t, 200, "").body["api_key"].(string)
	e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 200, "")
	tok2 := e.do("POST", "auth/change-password/", map[string]string{"current_password": pw1,
		"new_password": pw2, "identity_code": e.lastCode("alice@example.com")}, tok).expect(t, 200, "").body["token"].(string)
	e.srv.Flush(bg)
	secrets := []string{pw1, pw2, strings.TrimPrefix(tok, "Token "), key1, key2, tok2}
	path := e.store.Path()
	check := func(when string) {
		t.Helper()
		seen := 0
		for _, f := range []string{path, path + "-wal"} {
			b, err := os.ReadFile(f)
			if os.IsNotExist(err) {
				continue
			} else if err != nil {
				t.Fatal(err)
			}
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s: %s contains the plaintext %q", when, filepath.Base(f), s)
				}
			}
			// The hashes are there (the test reads the right files).
			if bytes.Contains(b, []byte(app.HashHex(tok2))) {
				seen++
			}
		}
		if seen == 0 {
			t.Fatalf("%s: the session hash is in neither file: wrong files?", when)
		}
	}
	check("live")
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	check("closed")
}
