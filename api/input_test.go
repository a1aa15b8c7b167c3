package api_test

// Tests of input.go, body decoding. Robust input on the account endpoints:
// JSON, form and multipart bodies as DRF's default parsers accept them;
// wrong types, malformed JSON and odd bodies answered 400 in DRF's shapes
// (413 and 415 where they apply), never 500.

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// accountEndpoint is one account route; auth says it needs a session, and
// ignoresBody that it reads no body (so any body gets its normal answer).
type accountEndpoint struct {
	method, path string
	auth         bool
	ignoresBody  bool
}

var accountEndpoints = []accountEndpoint{
	{"POST", "auth/register/", false, false},
	{"POST", "auth/validate-invitation/", false, false},
	{"POST", "auth/verify-email/", false, false},
	{"POST", "auth/resend-verification/", false, false},
	{"POST", "auth/login/", false, false},
	{"POST", "auth/password-reset/", false, false},
	{"POST", "auth/password-reset/confirm/", false, false},
	{"POST", "auth/send-identity-code/", true, true},
	{"POST", "auth/change-password/", true, false},
	{"POST", "auth/change-email/", true, false},
	{"POST", "auth/rotate-api-key/", true, true},
	{"PATCH", "settings/", true, false},
}

// drfShaped reports whether a 4xx body is DRF's: {"detail": "..."} or
// {"field": ["msg", ...], ...} with non-empty string messages.
func drfShaped(raw []byte) bool {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return false
	}
	if d, ok := m["detail"].(string); ok {
		return d != ""
	}
	for _, v := range m {
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return false
		}
		for _, s := range list {
			if str, ok := s.(string); !ok || str == "" {
				return false
			}
		}
	}
	return true
}

func TestInput_Core_MalformedBodiesAre400(t *testing.T) {
	e := newEnv(t, noThrottle)
	e.createUser("ina", "ina@example.com", "Strong1pw")
	tok := e.login("ina", "Strong1pw")
	bodies := map[string]string{
		"list":           `[]`,
		"string":         `"x"`,
		"null":           `null`,
		"number":         `1`,
		"bool":           `true`,
		"truncated":      `{"email": "a@example.com"`,
		"missing value":  `{"email":}`,
		"two values":     `{"a":1} {"b":2}`,
		"trailing comma": `{"email": "a@example.com",}`,
		"invalid utf-8":  "{\"email\": \"\xff\xfe@example.com\"}",
		"bare word":      `email=a@example.com`,
		"deep nesting":   strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
	}
	for _, ep := range accountEndpoints {
		auth := ""
		if ep.auth {
			auth = tok
		}
		for name, body := range bodies {
			r := e.do(ep.method, ep.path, body, auth)
			if ep.ignoresBody {
				if r.status >= 500 {
					t.Errorf("%s %s, %s body: %d %s", ep.method, ep.path, name, r.status, r.raw)
				}
				continue
			}
			if r.status != 400 || !drfShaped(r.raw) {
				t.Errorf("%s %s, %s body: %d %s", ep.method, ep.path, name, r.status, r.raw)
			}
		}
	}
	// The JSON parse error wording follows DRF.
	r := e.do("POST", "auth/login/", `{"email":`, "").expect(t, 400, "")
	if d, _ := r.body["detail"].(string); !strings.HasPrefix(d, "JSON parse error - ") {
		t.Fatalf("parse error %s", r.raw)
	}
	r = e.do("POST", "auth/login/", `[]`, "").expect(t, 400, "")
	if r.nonField() != "Invalid data. Expected a dictionary, but got list." {
		t.Fatalf("list body %s", r.raw)
	}
}

func TestInput_Core_WrongTypesAre400(t *testing.T) {
	e := newEnv(t, noThrottle)
	e.createUser("jan", "jan@example.com", "Strong1pw")
	tok := e.login("jan", "Strong1pw")
	huge := strings.Repeat("a", 60_000) // 13 fields stay under the 1 MiB body limit
	bodies := map[string]any{
		"email number":    map[string]any{"email": 5},
		"email object":    map[string]any{"email": map[string]any{"a": 1}},
		"email list":      map[string]any{"email": []string{"a@example.com"}},
		"email null":      map[string]any{"email": nil},
		"password bool":   map[string]any{"email": "jan@example.com", "password": true, "username": "jan2"},
		"username float":  map[string]any{"username": 1.5, "email": "x@example.com", "password": "Strong1pw"},
		"code object":     map[string]any{"email": "jan@example.com", "code": map[string]any{}, "new_email": "n@example.com"},
		"everything list": map[string]any{"email": []any{}, "password": []any{}, "username": []any{}, "code": []any{}, "identifier": []any{}, "new_email": []any{}, "current_password": []any{}, "new_password": []any{}, "identity_code": []any{}, "invitation_code": []any{}, "theme_mode": []any{}, "app_settings_updated_at": []any{}},
		"huge strings": map[string]any{"email": huge + "@example.com", "username": huge, "password": huge, "code": huge,
			"identifier": huge, "new_email": huge, "current_password": huge, "new_password": huge, "identity_code": huge,
			"invitation_code": huge, "first_name": huge, "theme_preset": huge, "api_base_url": "https://" + huge},
		"nul bytes": map[string]any{"email": "a\x00@example.com", "username": "a\x00b", "password": "Str\x00ng1pw", "code": "\x00", "first_name": "\x00"},
		"wrong types everywhere": map[string]any{"email": 1, "username": false, "password": 2.5, "code": true, "identifier": map[string]any{},
			"new_email": 3, "current_password": nil, "new_password": []int{1}, "identity_code": nil, "invitation_code": 7,
			"theme_mode": 1, "editor_mode": true, "app_settings": 5, "app_settings_updated_at": 5, "social_link": 9},
	}
	for _, ep := range accountEndpoints {
		auth := ""
		if ep.auth {
			auth = tok
		}
		for name, body := range bodies {
			r := e.do(ep.method, ep.path, body, auth)
			switch {
			case r.status >= 500:
				t.Errorf("%s %s, %s: %d %s", ep.method, ep.path, name, r.status, r.raw)
			case r.status >= 400 && !drfShaped(r.raw):
				t.Errorf("%s %s, %s: not DRF-shaped: %d %.300s", ep.method, ep.path, name, r.status, r.raw)
			}
		}
	}
	// Specific messages.
	r := e.do("POST", "auth/register/", bodies["email object"], "")
	r.expectField(t, "email", "Not a valid string.")
	r = e.do("POST", "auth/register/", bodies["email number"], "")
	r.expectField(t, "email", "Enter a valid email address.")
	r = e.do("POST", "auth/register/", bodies["email null"], "")
	r.expectField(t, "email", "This field may not be null.")
	r = e.do("POST", "auth/register/", bodies["huge strings"], "")
	r.expectField(t, "email", "Ensure this field has no more than 254 characters.")
	r.expectField(t, "username", "Ensure this field has no more than 150 characters.")
	// The account still works after all that (one PATCH above renamed it).
	e.login("jan@example.com", "Strong1pw")
}

func TestInput_Core_BodyLimitAndMediaType(t *testing.T) {
	e := newEnv(t, noThrottle)
	e.createUser("kit", "kit@example.com", "Strong1pw")
	tok := e.login("kit", "Strong1pw")
	big := `{"email": "` + strings.Repeat("a", 1<<20) + `@example.com"}`
	for _, ep := range accountEndpoints {
		if ep.ignoresBody {
			continue
		}
		auth := ""
		if ep.auth {
			auth = tok
		}
		r := e.do(ep.method, ep.path, big, auth)
		if r.status != 413 || !drfShaped(r.raw) {
			t.Errorf("%s %s, 1 MiB+ body: %d %.200s", ep.method, ep.path, r.status, r.raw)
		}
		r = e.do(ep.method, ep.path, "email=a@example.com", auth, "Content-Type", "text/plain")
		if r.status != 415 || !drfShaped(r.raw) {
			t.Errorf("%s %s, text/plain: %d %s", ep.method, ep.path, r.status, r.raw)
		}
		r = e.doForm(ep.method, ep.path, "%zz=%", auth)
		if r.status != 400 && r.status != 200 {
			t.Errorf("%s %s, bad form encoding: %d %s", ep.method, ep.path, r.status, r.raw)
		}
		r = e.do(ep.method, ep.path, "--x\r\n", auth, "Content-Type", "multipart/form-data")
		if r.status != 400 || !drfShaped(r.raw) {
			t.Errorf("%s %s, multipart without boundary: %d %s", ep.method, ep.path, r.status, r.raw)
		}
		for _, body := range []string{"--x\r\n", "--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nunterminated", "garbage"} {
			r = e.do(ep.method, ep.path, body, auth, "Content-Type", "multipart/form-data; boundary=x")
			if r.status >= 500 || (r.status >= 400 && !drfShaped(r.raw)) {
				t.Errorf("%s %s, broken multipart %q: %d %s", ep.method, ep.path, body, r.status, r.raw)
			}
		}
	}
}

// JSON, form and multipart bodies are all accepted on register, verify,
// resend, login and reset, as DRF's default parsers accept them.
func TestInput_Core_FormAndMultipartBodies(t *testing.T) {
	e := newEnv(t)
	e.doForm("POST", "auth/register/", acctForm("username", "lia", "email", "lia@example.com", "password", "Strong1pw"), "").expect(t, 201, "")
	e.doForm("POST", "auth/verify-email/", acctForm("email", "lia@example.com", "code", e.lastCode("lia@example.com")), "").expect(t, 200, "")
	r := e.doForm("POST", "auth/login/", acctForm("email", "lia", "password", "Strong1pw"), "").expect(t, 200, "")
	if len(r.body["token"].(string)) != 40 {
		t.Fatalf("form login %s", r.raw)
	}
	e.doMultipart("POST", "auth/register/", "", "", nil, "username", "mae", "email", "mae@example.com", "password", "Strong1pw").expect(t, 201, "")
	e.clock.Advance(61 * e.srv.Config().ResendCooldown / 60)
	e.doMultipart("POST", "auth/resend-verification/", "", "", nil, "email", "mae@example.com").expect(t, 200, "")
	e.doMultipart("POST", "auth/verify-email/", "", "", nil, "email", "mae@example.com", "code", e.lastCode("mae@example.com")).expect(t, 200, "")
	e.doMultipart("POST", "auth/login/", "", "", nil, "identifier", "mae@example.com", "password", "Strong1pw").expect(t, 200, "")
	e.doForm("POST", "auth/password-reset/", acctForm("email", "mae@example.com"), "").expect(t, 200, "")
	e.doForm("POST", "auth/password-reset/confirm/", acctForm("email", "mae@example.com", "code", e.lastCode("mae@example.com"), "password", "NewPass2!"), "").expect(t, 200, "")
	tok := e.login("mae", "NewPass2!")
	id := e.identityCode(tok, "mae@example.com")
	r = e.doForm("POST", "auth/change-password/", acctForm("current_password", "NewPass2!", "new_password", "Newer3pw!", "identity_code", id), tok).expect(t, 200, "")
	tok = "Token " + r.body["token"].(string)
	// A JSON number where a code is expected is read as its text.
	e.registerOK("ned", "ned@example.com", "Strong1pw")
	if code := e.lastCode("ned@example.com"); code[0] != '0' {
		e.do("POST", "auth/verify-email/", `{"email":"ned@example.com","code":`+code+`}`, "").expect(t, 200, "")
	}
	// A body without a Content-Type is read as JSON.
	req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/auth/login/", strings.NewReader(`{"email":"lia","password":"Strong1pw"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("no content type: %d", resp.StatusCode)
	}
}

// TestInput_Core_LoginBodies covers the parsers: JSON, form, multipart, malformed
// and oversized bodies, unsupported media types.
func TestInput_Core_LoginBodies(t *testing.T) {
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

// bareServer starts a server for a fuzz target (the harness wants a
// *testing.T).
func bareServer(tb testing.TB) *httptest.Server {
	tb.Helper()
	store, err := db.Open(bg, testdb.Target(tb), db.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	cfg := api.DefaultConfig()
	noThrottle(&cfg)
	srv := buildServer(tb, store, cfg, nil, api.Options{Logger: zerolog.New(io.Discard), Rand: rand.Reader, Hasher: fastHasher()})
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	return hs
}

// FuzzAccountBodies posts arbitrary bytes, as JSON and as a form, to every
// unauthenticated account endpoint: the answer is never a 5xx and a 4xx is
// always DRF-shaped.
//
//	go test -run '^$' -fuzz '^FuzzAccountBodies$' -fuzztime 30s ./app/
func FuzzAccountBodies(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `null`, `"x"`, `{"email":5}`, `{"email":{"a":1}}`, "{\"email\":\"\xff\"}",
		`{"username":"abc","email":"a@b.co","password":"Strong1pw"}`, `{"identifier":"a","password":"b"}`,
		`{"email":"a@b.co","code":"123456","password":"Strong1pw"}`, `email=a%40b.co&code=1`, `{"invitation_code":" "}`} {
		f.Add([]byte(s))
	}
	hs := bareServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ep := range accountEndpoints {
			if ep.auth {
				continue
			}
			for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
				req, err := http.NewRequest(ep.method, hs.URL+"/api/v1/"+ep.path, bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", ct)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode >= 500 || (resp.StatusCode >= 400 && !drfShaped(raw)) {
					t.Fatalf("%s %s (%s) %q: %d %s", ep.method, ep.path, ct, body, resp.StatusCode, raw)
				}
			}
		}
	})
}
