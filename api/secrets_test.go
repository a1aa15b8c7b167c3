package api_test

// Secrets and hashes at rest: what the database holds of codes, session
// keys, API keys, client addresses and passwords.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// The stored code is sha256_hex(plaintext), 64 hex characters; a fresh
// registration code has usage "R" and max_use 1 (test_verification_defaults,
// test_issue_registration_code_returns_tuple); lookups hash strip(input).
func TestSecrets_Contract_StoredCodeIsHashOfPlaintext(t *testing.T) {
	e := newEnv(t)
	e.registerOK("quinn", "quinn@example.com", "Strong1pw")
	plain := e.lastCode("quinn@example.com")
	c, err := e.store.LatestCode(bg, "quinn@example.com", app.CodeRegister, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !hex64.MatchString(c.CodeHash) || c.CodeHash != app.HashHex(plain) || c.CodeHash != app.CodeHash(plain) {
		t.Fatalf("stored %q for %q", c.CodeHash, plain)
	}
	if c.Usage != "R" || c.MaxUse != 1 || c.Function != "quinn@example.com" || c.Attempts != 0 {
		t.Fatalf("code %+v", c)
	}
	if got := c.ExpireAt.Sub(c.CreatedAt); got != e.srv.Config().CodeTTL {
		t.Fatalf("ttl %v", got)
	}
	e.do("POST", "auth/verify-email/", map[string]string{"email": "quinn@example.com", "code": "  " + plain + "\t"}, "").expect(t, 200, "")
}

func TestSecrets_Contract_HashCodeIsDeterministic(t *testing.T) {
	if app.CodeHash("123456") != app.CodeHash("123456") || app.CodeHash(" 123456 ") != app.CodeHash("123456") {
		t.Fatal("not deterministic")
	}
	if app.CodeHash("123456") == app.CodeHash("654321") {
		t.Fatal("different codes hash alike")
	}
	// sha256("123456")
	if app.CodeHash("123456") != "8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92" {
		t.Fatalf("hash %s", app.CodeHash("123456"))
	}
}

// There is no unique constraint on code hashes (the original's made a 500
// likely after a few thousand codes): two live codes with the same hash,
// for different purposes, both exist and each can be spent.
func TestSecrets_Security_CodeHashesMayCollide(t *testing.T) {
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
func TestSecrets_Security_KeysAndIPsHashedAtRest(t *testing.T) {
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

// TestSecrets_Security_NoPlaintextSecretsAtRest signs in, rotates the API key
// twice, changes the password and checks that no session key, API key or
// password appears in the database file or its WAL, before and after
// closing.
func TestSecrets_Security_NoPlaintextSecretsAtRest(t *testing.T) {
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
	if db.IsPostgres(path) {
		checkPostgresAtRest(t, path, secrets, app.HashHex(tok2))
		return
	}
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

// checkPostgresAtRest is the same check on PostgreSQL, over every row of
// every table as text (the server's files are its own business; what it
// stores is what the statements wrote).
func checkPostgresAtRest(t *testing.T, url string, secrets []string, hash string) {
	t.Helper()
	raw := testdb.OpenRaw(t, url)
	var all string
	for _, table := range []string{"users", "sessions", "api_keys", "verification_codes",
		"invitation_codes", "social_accounts", "server_secrets", "cache_changes"} {
		var rows string
		if err := raw.QueryRow(`SELECT COALESCE(string_agg(x::text, ' '), '') FROM ` + table + ` AS x`).Scan(&rows); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		all += rows
	}
	for _, s := range secrets {
		if strings.Contains(all, s) {
			t.Errorf("the database holds the plaintext %q", s)
		}
	}
	if !strings.Contains(all, hash) {
		t.Fatal("the session hash is in no table: wrong database?")
	}
}
