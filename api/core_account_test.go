package api_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"notechondria-auth/api"
)

const (
	msgIdentityCodeInvalid = "Password not updated: Backend.Creators.Auth/password.change — identity verification code is invalid, expired, or already consumed."
	msgCurrentPwWrong      = "Password not updated: Backend.Creators.Auth/password.change — current password does not match."
	msgPolicyChange        = "Password not updated: Backend.Creators.Auth/password.change.validate — password must contain at least one uppercase letter, one lowercase letter, and one digit or special character."
	msgPasswordChanged     = "Password changed: Backend.Creators.Auth/password.change — session token rotated; previous sessions invalidated."
	msgSMTPFallback        = "SMTP is not configured. Contact an admin for the verification code."
)

// TestCoreSendIdentityCode is POST auth/send-identity-code/ (CONTRACT #8),
// including the masked_email rule.
func TestCoreSendIdentityCode(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.EmailRequestsPerAddress = api.Rule{} })
	tests := []struct {
		username, email, masked string
	}{
		{"m1", "alice@example.com", "a***@example.com"},
		{"m2", "x@y.io", "x***@y.io"},
		{"m3", "éclair@example.com", "é***@example.com"},
		{"m4", "@example.com", "***"},
		{"m5", "no-at-sign", "***"},
		{"m6", "a@b@c.example", "a***@b@c.example"},
	}
	for _, tc := range tests {
		t.Run(tc.email, func(t *testing.T) {
			e.createUser(tc.username, tc.email, "Strong1pw")
			tok := e.login(tc.username, "Strong1pw")
			r := e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 200, "")
			sameKeys(t, "identity", r.body, "message", "delivery_fallback", "masked_email")
			if r.body["masked_email"] != tc.masked || r.body["delivery_fallback"] != true || r.body["message"] != msgSMTPFallback {
				t.Fatalf("body %s", r.raw)
			}
			if code := e.lastCode(tc.email); !regexp.MustCompile(`^\d{6}$`).MatchString(code) {
				t.Fatalf("code %q", code)
			}
		})
	}
	e.createUser("noemail", "", "Strong1pw")
	tok := e.login("noemail", "Strong1pw")
	e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 400, "No email address on file for this account.")
	e.do("POST", "auth/send-identity-code/", nil, "").expect401(t, msgNotProvided)
}

// TestCoreChangePassword is POST auth/change-password/ (CONTRACT #9, with
// the fix that a wrong current password does not burn the code).
func TestCoreChangePassword(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	e.createUser("bob", "bob@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw")
	other := e.login("alice@example.com", "Strong1pw")
	bob := e.login("bob", "Strong1pw")
	e.do("GET", "auth/verify/", nil, other).expect(t, 200, "") // cached
	e.do("POST", "auth/send-identity-code/", nil, tok).expect(t, 200, "")
	code := e.lastCode("alice@example.com")
	wrongCode := "000000"
	if code == wrongCode {
		wrongCode = "000001"
	}

	fieldCases := []struct {
		name   string
		body   map[string]any
		fields map[string]string
	}{
		{"empty", map[string]any{}, map[string]string{"current_password": msgRequired, "new_password": msgRequired, "identity_code": msgRequired}},
		{"blank", map[string]any{"current_password": "", "new_password": "", "identity_code": ""},
			map[string]string{"current_password": msgBlank, "new_password": msgBlank, "identity_code": msgBlank}},
		{"short", map[string]any{"current_password": "Strong1pw", "new_password": "Ab1", "identity_code": code},
			map[string]string{"new_password": "Ensure this field has at least 8 characters."}},
		{"policy: no upper", map[string]any{"current_password": "Strong1pw", "new_password": "alllower1", "identity_code": code},
			map[string]string{"new_password": msgPolicyChange}},
		{"policy: letters only", map[string]any{"current_password": "Strong1pw", "new_password": "OnlyLetters", "identity_code": code},
			map[string]string{"new_password": msgPolicyChange}},
		{"wrong types", map[string]any{"current_password": map[string]any{}, "new_password": "NewStrong2pw", "identity_code": true},
			map[string]string{"current_password": msgNotString, "identity_code": msgNotString}},
	}
	for _, tc := range fieldCases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "auth/change-password/", tc.body, tok).expect(t, 400, "")
			if len(r.body) != len(tc.fields) {
				t.Fatalf("errors %s, want %v", r.raw, tc.fields)
			}
			for f, msg := range tc.fields {
				if got := r.fieldError(f); got != msg {
					t.Fatalf("%s: %q, want %q", f, got, msg)
				}
			}
		})
	}
	change := func(current, code string) *response {
		return e.do("POST", "auth/change-password/", map[string]any{"current_password": current, "new_password": "NewStrong2pw", "identity_code": code}, tok)
	}
	change("Strong1pw", wrongCode).expect(t, 400, msgIdentityCodeInvalid)
	change("Wrong1pw", code).expect(t, 400, msgCurrentPwWrong)
	// Neither failure burned the code nor changed anything.
	e.do("GET", "auth/verify/", nil, other).expect(t, 200, "")
	r := change("Strong1pw", " "+code+" ").expect(t, 200, "") // the code is stripped
	sameKeys(t, "change-password", r.body, "message", "token", "session")
	if r.body["message"] != msgPasswordChanged {
		t.Fatalf("message %v", r.body["message"])
	}
	sameKeys(t, "session", r.body["session"].(map[string]any), "id", "device_label", "created_at", "last_seen_at")
	newTok := "Token " + r.body["token"].(string)

	// Every old session of the user is gone at once (also the cached one);
	// another user's is not.
	e.do("GET", "auth/verify/", nil, tok).expect401(t, msgInvalidToken)
	e.do("GET", "auth/verify/", nil, other).expect401(t, msgInvalidToken)
	e.do("GET", "auth/verify/", nil, bob).expect(t, 200, "")
	rows, cur := e.sessions(newTok)
	if len(rows) != 1 || cur != r.body["session"].(map[string]any)["id"] {
		t.Fatalf("after change: %v", rows)
	}
	// The code is spent; the password changed.
	e.do("POST", "auth/change-password/", map[string]any{"current_password": "NewStrong2pw", "new_password": "Third3pw!", "identity_code": code}, newTok).
		expect(t, 400, msgIdentityCodeInvalid)
	e.do("POST", "auth/login/", map[string]string{"identifier": "alice", "password": "Strong1pw"}, "").expect(t, 400, "")
	e.login("alice", "NewStrong2pw")

	// An API key cannot change the password; no credentials is a 401.
	key := e.rotate(newTok)
	e.do("POST", "auth/change-password/", map[string]any{"current_password": "NewStrong2pw", "new_password": "Third3pw!", "identity_code": code}, key).
		expect(t, 403, "")
	e.do("POST", "auth/change-password/", map[string]any{}, "").expect401(t, msgNotProvided)
}

// TestCoreRotateAPIKey is POST auth/rotate-api-key/ (CONTRACT #11) and the
// api_key_prefix of GET settings/.
func TestCoreRotateAPIKey(t *testing.T) {
	e := newEnv(t)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw")
	if s := e.do("GET", "settings/", nil, tok).expect(t, 200, ""); s.body["api_key_prefix"] != "" {
		t.Fatalf("prefix before any key: %s", s.raw)
	}
	shape := regexp.MustCompile(`^ntc_[0-9a-f]{32}$`)
	r := e.do("POST", "auth/rotate-api-key/", nil, tok).expect(t, 200, "")
	sameKeys(t, "rotate", r.body, "api_key", "api_key_prefix")
	k1 := r.body["api_key"].(string)
	if !shape.MatchString(k1) || len(k1) != 36 || r.body["api_key_prefix"] != k1[:8] {
		t.Fatalf("rotate: %s", r.raw)
	}
	b1 := "Bearer " + k1
	if s := e.do("GET", "settings/", nil, b1).expect(t, 200, ""); s.body["api_key_prefix"] != k1[:8] {
		t.Fatalf("settings prefix: %s", s.raw)
	}
	// Rotating with the API key itself: the old key dies at once even
	// though it was cached.
	r = e.do("POST", "auth/rotate-api-key/", nil, b1).expect(t, 200, "")
	k2 := r.body["api_key"].(string)
	if k2 == k1 || !shape.MatchString(k2) {
		t.Fatalf("second key %q", k2)
	}
	e.do("GET", "settings/", nil, b1).expect401(t, msgInvalidAPIKey)
	e.do("GET", "auth/verify/", nil, b1).expect401(t, msgInvalidAPIKey)
	if s := e.do("GET", "settings/", nil, "Bearer "+k2).expect(t, 200, ""); s.body["api_key_prefix"] != k2[:8] {
		t.Fatalf("settings prefix after second rotation: %s", s.raw)
	}
	if s := e.do("GET", "settings/", nil, tok).expect(t, 200, ""); s.body["api_key_prefix"] != k2[:8] {
		t.Fatalf("settings prefix via session: %s", s.raw)
	}
	e.do("POST", "auth/rotate-api-key/", nil, "").expect401(t, msgNotProvided)
	e.do("POST", "auth/rotate-api-key/", nil, b1).expect401(t, msgInvalidAPIKey)
}

// TestCoreSettingsGet is GET settings/'s shape (CONTRACT #23 GET).
func TestCoreSettingsGet(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("alice", "alice@example.com", "Strong1pw")
	u.FirstName, u.LastName, u.Motto, u.IsStaff = "Alice", "<Liddell>", "a & b", true
	u.AppSettingsJSON = `{"log_preferences":{"copy_logs":true},"theme_mode":"D"}`
	if err := e.store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	tok := e.login("alice", "Strong1pw")
	r := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	sameKeys(t, "settings", r.body, "username", "first_name", "last_name", "email", "is_staff", "is_superuser",
		"motto", "social_link", "image_url", "editor_mode", "theme_preset", "theme_mode", "api_key_prefix",
		"api_base_url", "app_settings", "app_settings_updated_at")
	want := map[string]any{"username": "alice", "first_name": "Alice", "last_name": "<Liddell>", "email": "alice@example.com",
		"is_staff": true, "is_superuser": false, "motto": "a & b", "social_link": "", "image_url": "", "editor_mode": "P",
		"theme_preset": "teal", "theme_mode": "S", "api_key_prefix": "", "api_base_url": "http://localhost:9080/api/v1",
		"app_settings_updated_at": nil}
	for k, v := range want {
		if r.body[k] != v {
			t.Errorf("%s = %#v, want %#v", k, r.body[k], v)
		}
	}
	as := r.body["app_settings"].(map[string]any)
	if as["theme_preset"] != "teal" || as["theme_mode"] != "D" || as["api_base_url"] != "http://localhost:9080/api/v1" ||
		as["log_preferences"].(map[string]any)["copy_logs"] != true {
		t.Fatalf("app_settings %v", as)
	}
	if !strings.Contains(string(r.raw), `"last_name":"<Liddell>"`) || !strings.Contains(string(r.raw), `"motto":"a & b"`) {
		t.Fatalf("HTML-escaped output: %s", r.raw)
	}
	e.do("GET", "settings/", nil, "").expect401(t, msgNotProvided)
}

// TestCoreAppSettingsMerge: app_settings starts from the columns and merges
// the stored JSON only when it is one well-formed object (CONTRACT 1.2).
func TestCoreAppSettingsMerge(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("alice", "alice@example.com", "Strong1pw")
	tok := e.login("alice", "Strong1pw")
	base := `"theme_preset":"teal","theme_mode":"S","api_base_url":"http://localhost:9080/api/v1"`
	tests := []struct{ stored, want string }{
		{``, `{` + base + `}`},
		{`{}`, `{` + base + `}`},
		{`{"z":1,"a":{"b": [1, 2]}}`, `{` + base + `,"z":1,"a":{"b":[1,2]}}`},
		{`{"theme_mode":"D","x":"<&>"}`, `{"theme_preset":"teal","theme_mode":"D","api_base_url":"http://localhost:9080/api/v1","x":"<&>"}`},
		{` {"a":1} `, `{` + base + `,"a":1}`},
		{`[1]`, `{` + base + `}`},
		{`"s"`, `{` + base + `}`},
		{`{"a":1`, `{` + base + `}`},
		{`{"a":1}}`, `{` + base + `}`},
		{`{"a":1} x`, `{` + base + `}`},
		{`{"a":1,}`, `{` + base + `}`},
		{`not json`, `{` + base + `}`},
	}
	for _, tc := range tests {
		u.AppSettingsJSON = tc.stored
		if err := e.store.UpdateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		r := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
		if !strings.Contains(string(r.raw), `"app_settings":`+tc.want+`,`) {
			t.Errorf("stored %q: %s, want app_settings %s", tc.stored, r.raw, tc.want)
		}
	}
}
