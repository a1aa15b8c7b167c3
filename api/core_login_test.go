package api_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/password"
)

// TestCoreLoginFields covers identifier resolution and every validation
// branch of POST auth/login/ (CONTRACT 1.3 #5).
func TestCoreLoginFields(t *testing.T) {
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

// TestCoreLoginBodies covers the parsers: JSON, form, multipart, malformed
// and oversized bodies, unsupported media types.
func TestCoreLoginBodies(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.MaxBodyBytes = 512 })
	e.createUser("alice", "alice@example.com", "Strong1pw")

	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("identifier", "alice")
	mw.WriteField("password", "Strong1pw")
	mw.Close()

	form := url.Values{"identifier": {"alice"}, "password": {"Strong1pw"}}.Encode()
	big := `{"identifier":"alice","password":"Strong1pw","pad":"` + strings.Repeat("x", 600) + `"}`
	bigForm := form + "&pad=" + strings.Repeat("x", 600)

	const (
		jsonCT = "application/json"
		formCT = "application/x-www-form-urlencoded"
	)
	tests := []struct {
		name, ct, body string
		status         int
		check          func(t *testing.T, r *response)
	}{
		{"json", jsonCT, `{"identifier":"alice","password":"Strong1pw"}`, 200, nil},
		{"json with charset", "application/json; charset=utf-8", `{"identifier":"alice","password":"Strong1pw"}`, 200, nil},
		{"form", formCT, form, 200, nil},
		{"form last value wins", formCT, "identifier=nobody&identifier=alice&password=Strong1pw", 200, nil},
		{"multipart", mw.FormDataContentType(), mp.String(), 200, nil},
		{"malformed json", jsonCT, `{"identifier":`, 400, func(t *testing.T, r *response) {
			if d, _ := r.body["detail"].(string); !strings.HasPrefix(d, "JSON parse error - ") {
				t.Fatalf("detail %q", d)
			}
		}},
		{"trailing garbage", jsonCT, `{"identifier":"alice","password":"Strong1pw"} x`, 400, func(t *testing.T, r *response) {
			if d, _ := r.body["detail"].(string); !strings.HasPrefix(d, "JSON parse error - ") {
				t.Fatalf("detail %q", d)
			}
		}},
		{"trailing bracket", jsonCT, `{"identifier":"alice","password":"Strong1pw"}]`, 400, func(t *testing.T, r *response) {
			if d, _ := r.body["detail"].(string); !strings.HasPrefix(d, "JSON parse error - ") {
				t.Fatalf("detail %q", d)
			}
		}},
		{"invalid utf-8", jsonCT, "{\"identifier\":\"\xff\"}", 400, func(t *testing.T, r *response) {
			if d, _ := r.body["detail"].(string); !strings.HasPrefix(d, "JSON parse error - ") {
				t.Fatalf("detail %q", d)
			}
		}},
		{"json list", jsonCT, `[{"identifier":"alice"}]`, 400, func(t *testing.T, r *response) {
			if got := r.fieldError("non_field_errors"); got != "Invalid data. Expected a dictionary, but got list." {
				t.Fatalf("got %q", got)
			}
		}},
		{"json string", jsonCT, `"alice"`, 400, func(t *testing.T, r *response) {
			if got := r.fieldError("non_field_errors"); got != "Invalid data. Expected a dictionary, but got str." {
				t.Fatalf("got %q", got)
			}
		}},
		{"json int", jsonCT, `12`, 400, func(t *testing.T, r *response) {
			if got := r.fieldError("non_field_errors"); got != "Invalid data. Expected a dictionary, but got int." {
				t.Fatalf("got %q", got)
			}
		}},
		{"empty json body", jsonCT, ``, 400, func(t *testing.T, r *response) {
			if r.fieldError("password") != msgRequired {
				t.Fatalf("body %s", r.raw)
			}
		}},
		{"json over the limit", jsonCT, big, 413, nil},
		{"form over the limit", formCT, bigForm, 413, nil},
		{"text/plain", "text/plain", "identifier=alice", 415, func(t *testing.T, r *response) {
			if d, _ := r.body["detail"].(string); !strings.HasPrefix(d, "Unsupported media type ") {
				t.Fatalf("detail %q", d)
			}
		}},
		{"xml", "application/xml", "<a/>", 415, nil},
		{"garbage content type", ";;;", "{}", 415, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "auth/login/", tc.body, "", "Content-Type", tc.ct)
			r.expect(t, tc.status, "")
			if r.status >= 400 {
				if ct := r.header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("error Content-Type %q", ct)
				}
				if r.body == nil {
					t.Fatalf("error body is not a JSON object: %q", r.raw)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
	// An oversized body ends the connection rather than being drained
	// (the Go client turns "Connection: close" into resp.Close).
	req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/auth/login/", strings.NewReader(big))
	req.Header.Set("Content-Type", jsonCT)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 || !resp.Close {
		t.Fatalf("oversized body: %d, close=%v", resp.StatusCode, resp.Close)
	}
	if strings.Contains(e.logs.String(), `"level":"error"`) {
		t.Fatalf("a client error was logged as a server error:\n%s", e.logs.String())
	}
}

// TestCoreLoginMultiDevice checks multi_device / other_sessions_count
// (CONTRACT 3.6) as sessions come and go.
func TestCoreLoginMultiDevice(t *testing.T) {
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

// TestCoreDeviceLabel is CONTRACT 3.4's table, through app.DeviceLabel and
// through the session minted by login.
func TestCoreDeviceLabel(t *testing.T) {
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

// TestCoreLoginDjangoHash: an imported pbkdf2_sha256 hash signs in and is
// replaced by argon2id; a wrong password leaves it alone.
func TestCoreLoginDjangoHash(t *testing.T) {
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

// TestCoreLoginThrottle: failures per account and per IP are limited;
// successes do not count; time unblocks.
func TestCoreLoginThrottle(t *testing.T) {
	t.Run("per account", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) {
			c.LoginFailuresPerAccount = api.Rule{Limit: 3, Window: time.Minute}
			c.LoginFailuresPerIP = api.Rule{}
		})
		e.createUser("alice", "alice@example.com", "Strong1pw")
		bad := map[string]string{"identifier": "alice", "password": "nope"}
		good := map[string]string{"identifier": "ALICE", "password": "Strong1pw"}
		e.do("POST", "auth/login/", bad, "").expect(t, 400, "")
		e.do("POST", "auth/login/", bad, "").expect(t, 400, "")
		for i := 0; i < 5; i++ { // successes do not count
			e.do("POST", "auth/login/", good, "").expect(t, 200, "")
		}
		e.do("POST", "auth/login/", bad, "").expect(t, 400, "")
		// Budget spent: even the right password is refused, case and
		// whitespace variants of the identifier share the budget.
		for _, body := range []map[string]string{bad, good, {"email": " Alice ", "password": "Strong1pw"}} {
			r := e.do("POST", "auth/login/", body, "").expect(t, 429, "Request was throttled. Expected available in 20 seconds.")
			if r.header.Get("Retry-After") != "20" {
				t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}
		// Another account is not affected.
		e.createUser("bob", "bob@example.com", "Strong1pw")
		e.login("bob", "Strong1pw")
		// The wait shrinks with time, and ends.
		e.clock.Advance(15 * time.Second)
		r := e.do("POST", "auth/login/", good, "").expect(t, 429, "Request was throttled. Expected available in 5 seconds.")
		if r.header.Get("Retry-After") != "5" {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
		e.clock.Advance(5 * time.Second)
		e.do("POST", "auth/login/", good, "").expect(t, 200, "")
	})
	t.Run("per ip", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) {
			c.LoginFailuresPerAccount = api.Rule{}
			c.LoginFailuresPerIP = api.Rule{Limit: 2, Window: 2 * time.Second}
		})
		e.createUser("alice", "alice@example.com", "Strong1pw")
		for i := 0; i < 2; i++ {
			e.do("POST", "auth/login/", map[string]string{"identifier": "user" + strconv.Itoa(i), "password": "x"}, "").expect(t, 400, "")
		}
		// One second to wait: DRF's singular wording.
		r := e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "Strong1pw"}, "").
			expect(t, 429, "Request was throttled. Expected available in 1 second.")
		if r.header.Get("Retry-After") != "1" {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
		e.clock.Advance(time.Second)
		e.login("alice", "Strong1pw")
	})
	t.Run("long identifiers", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) {
			c.LoginFailuresPerAccount = api.Rule{Limit: 2, Window: time.Minute}
			c.LoginFailuresPerIP = api.Rule{}
		})
		long := strings.Repeat("a", 5000)
		for i := 0; i < 2; i++ {
			e.do("POST", "auth/login/", map[string]string{"identifier": long, "password": "x"}, "").expect(t, 400, "")
		}
		// Still one budget per identifier, case-insensitively.
		e.do("POST", "auth/login/", map[string]string{"identifier": strings.ToUpper(long), "password": "x"}, "").expect(t, 429, "")
		e.do("POST", "auth/login/", map[string]string{"identifier": long + "b", "password": "x"}, "").expect(t, 400, "")
	})
	t.Run("default is 10 per account", func(t *testing.T) {
		e := newEnv(t)
		e.createUser("alice", "alice@example.com", "Strong1pw")
		for i := 0; i < 10; i++ {
			e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "x"}, "").expect(t, 400, "")
		}
		e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "Strong1pw"}, "").expect(t, 429, "")
		e.clock.Advance(15 * time.Minute)
		e.login("alice", "Strong1pw")
	})
}
