package api_test

// Tests of login.go: POST auth/login/ (identifiers, validation, sessions
// minted, device labels, imported hashes). Its throttling is in
// login_throttle_test.go.

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
	"notechondria-auth/password"
)

// TestLogin_Core_Fields covers identifier resolution and every validation
// branch of POST auth/login/ (CONTRACT 1.3 #5).
func TestLogin_Core_Fields(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	e.createUser("Bob_Two", "bob@example.com", "Strong1pw")
	pending := app.NewUser("pending", "pending@example.com", e.clock.Now())
	pending.Password, _ = fastHasher().Hash(context.Background(), "Strong1pw")
	if err := e.store.CreateUser(context.Background(), pending); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		body  any
		field string // "" for 200
		msg   string
		user  string // expected username on success
	}{
		{"identifier email", map[string]any{"identifier": "alice@example.com", "password": "Strong1pw"}, "", "", "alice"},
		{"identifier username", map[string]any{"identifier": "alice", "password": "Strong1pw"}, "", "", "alice"},
		{"email field with email", map[string]any{"email": "alice@example.com", "password": "Strong1pw"}, "", "", "alice"},
		{"email field with username", map[string]any{"email": "alice", "password": "Strong1pw"}, "", "", "alice"},
		{"email case-insensitive", map[string]any{"email": "ALICE@Example.COM", "password": "Strong1pw"}, "", "", "alice"},
		{"username case-insensitive", map[string]any{"identifier": "bob_two", "password": "Strong1pw"}, "", "", "Bob_Two"},
		{"identifier stripped", map[string]any{"identifier": "  alice \t", "password": "Strong1pw"}, "", "", "alice"},
		{"identifier wins over email", map[string]any{"identifier": "alice", "email": "bob@example.com", "password": "Strong1pw"}, "", "", "alice"},
		{"password stripped (CharField)", map[string]any{"identifier": "alice", "password": " Strong1pw "}, "", "", "alice"},
		{"missing password", map[string]any{"identifier": "alice"}, "password", msgRequired, ""},
		{"empty object", map[string]any{}, "password", msgRequired, ""},
		{"blank password", map[string]any{"identifier": "alice", "password": ""}, "password", msgBlank, ""},
		{"null password", map[string]any{"identifier": "alice", "password": nil}, "password", msgNotNull, ""},
		{"blank identifier", map[string]any{"identifier": "", "password": "Strong1pw"}, "identifier", msgBlank, ""},
		{"whitespace identifier", map[string]any{"identifier": "   ", "password": "Strong1pw"}, "identifier", msgBlank, ""},
		{"blank email", map[string]any{"email": "", "password": "Strong1pw"}, "email", msgBlank, ""},
		{"neither", map[string]any{"password": "Strong1pw"}, "non_field_errors", msgIdentReq, ""},
		{"wrong password", map[string]any{"identifier": "alice", "password": "Wrong1pw"}, "non_field_errors", msgMismatch, ""},
		{"unknown user", map[string]any{"identifier": "nobody", "password": "Strong1pw"}, "non_field_errors", msgMismatch, ""},
		{"inactive user", map[string]any{"identifier": "pending", "password": "Strong1pw"}, "non_field_errors", msgMismatch, ""},
		{"number as string", map[string]any{"identifier": 12345, "password": "Strong1pw"}, "non_field_errors", msgMismatch, ""},
		{"object identifier", map[string]any{"identifier": map[string]any{"a": 1}, "password": "Strong1pw"}, "identifier", msgNotString, ""},
		{"bool identifier", map[string]any{"identifier": true, "password": "Strong1pw"}, "identifier", msgNotString, ""},
		{"list password", map[string]any{"identifier": "alice", "password": []string{"Strong1pw"}}, "password", msgNotString, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "auth/login/", tc.body, "")
			if tc.field == "" {
				r.expect(t, 200, "")
				if got := r.body["user"].(map[string]any)["username"]; got != tc.user {
					t.Fatalf("signed in as %v, want %s", got, tc.user)
				}
				if tok, _ := r.body["token"].(string); len(tok) != 40 || strings.Trim(tok, "0123456789abcdef") != "" {
					t.Fatalf("token %q is not 40 lowercase hex", tok)
				}
				return
			}
			r.expect(t, 400, "")
			if got := r.fieldError(tc.field); got != tc.msg {
				t.Fatalf("%s: %q, want %q; body %s", tc.field, got, tc.msg, r.raw)
			}
			if len(r.body) != 1 {
				t.Fatalf("unexpected extra errors: %s", r.raw)
			}
		})
	}
	// Every invalid field is reported at once.
	r := e.do("POST", "auth/login/", map[string]any{"identifier": "", "email": 1.5, "password": []int{}}, "").expect(t, 400, "")
	if r.fieldError("identifier") != msgBlank || r.fieldError("password") != msgNotString || len(r.body) != 2 {
		t.Fatalf("collected errors: %s", r.raw)
	}
}

// TestLogin_Core_MultiDevice checks multi_device / other_sessions_count
// (CONTRACT 3.6) as sessions come and go.
func TestLogin_Core_MultiDevice(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	e.createUser("bob", "bob@example.com", "Strong1pw")
	counts := []int{}
	toks := []string{}
	for i := 0; i < 3; i++ {
		r := e.loginBody("alice", "Strong1pw")
		counts = append(counts, int(r.body["other_sessions_count"].(float64)))
		if r.body["multi_device"] != (i > 0) {
			t.Fatalf("login %d multi_device %v", i, r.body["multi_device"])
		}
		toks = append(toks, "Token "+r.body["token"].(string))
	}
	if counts[0] != 0 || counts[1] != 1 || counts[2] != 2 {
		t.Fatalf("counts %v", counts)
	}
	// Another user's sessions never count.
	if r := e.loginBody("bob", "Strong1pw"); r.body["other_sessions_count"] != float64(0) {
		t.Fatalf("bob counts alice: %s", r.raw)
	}
	// A revoked session stops counting.
	e.do("POST", "auth/logout/", nil, toks[0]).expect(t, 204, "")
	if r := e.loginBody("alice", "Strong1pw"); r.body["other_sessions_count"] != float64(2) {
		t.Fatalf("after logout: %s", r.raw)
	}
	// Idle sessions stop counting; the session kept busy keeps counting
	// even though its touch is only in memory.
	e.clock.Advance(20 * time.Hour)
	e.do("GET", "auth/verify/", nil, toks[1]).expect(t, 200, "")
	e.clock.Advance(5 * time.Hour)
	r := e.loginBody("alice", "Strong1pw")
	if r.body["other_sessions_count"] != float64(1) || r.body["multi_device"] != true {
		t.Fatalf("after idling: %s", r.raw)
	}
}

// TestLogin_Core_DeviceLabel is CONTRACT 3.4's table, through app.DeviceLabel and
// through the session minted by login.
func TestLogin_Core_DeviceLabel(t *testing.T) {
	tests := []struct{ ua, label string }{
		{"", "Unknown device"},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15", "iPhone"},
		{"Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", "iPad"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36", "Android device"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15", "Mac"},
		{"curl-like mac os x client", "Mac"},
		{"MACINTOSH", "Mac"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Windows PC"},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "Linux"},
		{"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0)", "Web browser"},
		{"curl/8.5.0", "Web browser"},
		{"Go-http-client/1.1", "Web browser"},
		{"IPHONE app", "iPhone"},
		{"android on windows linux", "Android device"},
		{"macintosh windows", "Mac"},
		{"windows linux", "Windows PC"},
		// Only ASCII letters can match, as in the original (a WSGI header
		// is Latin-1 text: no non-ASCII character lowercases to ASCII).
		{"\u0130PHONE", "Web browser"},
		{"L\u0130NUX", "Web browser"},
	}
	for _, tc := range tests {
		if got := app.DeviceLabel(tc.ua); got != tc.label {
			t.Errorf("DeviceLabel(%q) = %q, want %q", tc.ua, got, tc.label)
		}
	}
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	for _, tc := range tests[:10] {
		r := e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "Strong1pw"}, "", "User-Agent", tc.ua).expect(t, 200, "")
		if got := r.body["session"].(map[string]any)["device_label"]; got != tc.label {
			t.Errorf("login with UA %q: label %v, want %s", tc.ua, got, tc.label)
		}
	}
	// The raw User-Agent is kept, truncated to 512 code points.
	long := strings.Repeat("é", 600)
	tok := e.login("alice", "Strong1pw", "User-Agent", long)
	rows, _ := e.sessions(tok)
	if got := rows[0]["user_agent"].(string); got != strings.Repeat("é", 512) {
		t.Fatalf("user_agent has %d runes", len([]rune(got)))
	}
}

// TestLogin_Core_DjangoHash: an imported pbkdf2_sha256 hash signs in and is
// replaced by argon2id; a wrong password leaves it alone.
func TestLogin_Core_DjangoHash(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h, err := password.New(1).HashDjango(ctx, "Imported1pw", 1000)
	if err != nil {
		t.Fatal(err)
	}
	u := app.NewUser("legacy", "legacy@example.com", e.clock.Now())
	u.Password, u.IsActive = h, true
	if err := e.store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	e.do("POST", "auth/login/", map[string]string{"identifier": "legacy", "password": "wrong"}, "").expect(t, 400, "")
	if got, _ := e.store.UserByID(ctx, u.ID); got.Password != h {
		t.Fatalf("hash changed after a failed login: %s", got.Password)
	}
	e.login("legacy@example.com", "Imported1pw")
	got, err := e.store.UserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.Password, "$argon2id$") {
		t.Fatalf("not rehashed: %s", got.Password)
	}
	// The new hash works; the old one is gone.
	e.login("legacy", "Imported1pw")
	if again, _ := e.store.UserByID(ctx, u.ID); again.Password != got.Password {
		t.Fatal("an argon2id hash with current parameters was rehashed again")
	}
	e.do("POST", "auth/login/", map[string]string{"identifier": "legacy", "password": "wrong"}, "").expect(t, 400, "")
}

func TestLogin_Contract_AcceptsBootstrappedAdminEmail(t *testing.T) {
	e := newAdminEnv(t)
	r := e.do("POST", "auth/login/", map[string]string{"email": "admin@example.com", "password": "change-me"}, "").expect(t, 200, "")
	if tok, _ := r.body["token"].(string); len(tok) != 40 {
		t.Fatalf("token in %s", r.raw)
	}
	user := r.body["user"].(map[string]any)
	if user["is_superuser"] != true || user["is_staff"] != true || user["username"] != "admin" {
		t.Fatalf("user %v", user)
	}
}

func TestLogin_Contract_AcceptsBootstrappedAdminUsername(t *testing.T) {
	e := newAdminEnv(t)
	r := e.do("POST", "auth/login/", map[string]string{"email": "admin", "password": "change-me"}, "").expect(t, 200, "")
	if _, ok := r.body["token"].(string); !ok {
		t.Fatalf("no token: %s", r.raw)
	}
}

// Unknown-user login answers exactly like a wrong password, and runs a
// dummy hash (checked without timing in the default run).
func TestLogin_Security_UnknownUserLooksLikeWrongPassword(t *testing.T) {
	e := newEnv(t)
	e.createUser("gil", "gil@example.com", "Strong1pw")
	e.registerOK("pend", "pend@example.com", "Strong1pw")
	var bodies []string
	for _, ident := range []string{"nobody", "nobody@example.com", "gil"} {
		r := e.do("POST", "auth/login/", loginBody(ident, "Wrong1pw"), "").expect(t, 400, "")
		bodies = append(bodies, string(r.raw))
	}
	// A pending account with the right password gets the same answer.
	r := e.do("POST", "auth/login/", loginBody("pend", "Strong1pw"), "").expect(t, 400, "")
	bodies = append(bodies, string(r.raw))
	for _, b := range bodies {
		if b != `{"non_field_errors":["Sign-in rejected: Backend.Creators.Auth/login — email/username and password do not match any active account."]}` {
			t.Fatalf("login failure body %s", b)
		}
	}
	r = e.do("POST", "auth/login/", map[string]string{"password": "x"}, "").expect(t, 400, "")
	if r.nonField() != "Sign-in rejected: Backend.Creators.Auth/login — either email or username is required in the login payload." {
		t.Fatalf("no identifier %s", r.raw)
	}
	e.do("POST", "auth/login/", map[string]string{"identifier": "  ", "password": "x"}, "").expectField(t, "identifier", "This field may not be blank.")
}

// With a deliberately slow hasher, a login for an unknown account takes
// about as long as one for a known account with a wrong password: both run
// one hash. (The original answered unknown accounts without hashing.)
func TestLogin_Security_UnknownUserRunsDummyHash(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	slow := password.New(2, password.WithParams(password.Params{Time: 2, MemoryKiB: 8 * 1024, Threads: 1}))
	start := time.Now()
	if _, _, err := slow.Verify(bg, "x", mustHash(t, slow, "Strong1pw")); err != nil {
		t.Fatal(err)
	}
	if hashTime := time.Since(start); hashTime < 20*time.Millisecond {
		t.Skipf("hash too fast to measure (%v)", hashTime)
	} else if hashTime > 2*time.Second {
		t.Skipf("hash too slow here (%v)", hashTime)
	}
	store, err := db.Open(bg, testdb.Target(t), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv := buildServer(t, store, api.DefaultConfig(), nil, api.Options{Logger: zerolog.Nop(), Rand: rand.Reader, Hasher: slow})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e := &env{t: t, srv: srv, http: hs, store: store, clock: &clock{t: time.Now()}, logs: &syncBuffer{}}
	u := app.NewUser("hal", "hal@example.com", time.Now())
	u.Password, u.IsActive = mustHash(t, slow, "Strong1pw"), true
	if err := store.CreateUser(bg, u); err != nil {
		t.Fatal(err)
	}
	median := func(ident string) time.Duration {
		var d []time.Duration
		for i := 0; i < 5; i++ {
			s := time.Now()
			e.do("POST", "auth/login/", loginBody(ident, "Wrong1pw"), "").expect(t, 400, "")
			d = append(d, time.Since(s))
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[2]
	}
	known, unknown := median("hal"), median("nobody-at-all")
	if unknown < known/3 {
		t.Fatalf("unknown account %v vs known account %v: no dummy hash?", unknown, known)
	}
}

func mustHash(t *testing.T, h *password.Hasher, pw string) string {
	t.Helper()
	s, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
