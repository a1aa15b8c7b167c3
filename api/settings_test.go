package api_test

// Tests of settings.go: GET and PATCH settings/.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"notechondria-auth/app"
)

// TestSettings_Core_Get is GET settings/'s shape (CONTRACT #23 GET).
func TestSettings_Core_Get(t *testing.T) {
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

// TestSettings_Core_AppSettingsMerge: app_settings starts from the columns and merges
// the stored JSON only when it is one well-formed object (CONTRACT 1.2).
func TestSettings_Core_AppSettingsMerge(t *testing.T) {
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
		if err := e.srv.Core().Store().UpdateUser(context.Background(), u); err != nil { // through the core, as a handler would
			t.Fatal(err)
		}
		r := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
		if !strings.Contains(string(r.raw), `"app_settings":`+tc.want+`,`) {
			t.Errorf("stored %q: %s, want app_settings %s", tc.stored, r.raw, tc.want)
		}
	}
}

func TestSettings_Contract_GetIncludesAppSettingsMirror(t *testing.T) {
	e := newAdminEnv(t)
	u := e.userByEmail("admin@example.com")
	u.AppSettingsJSON = `{"theme_preset":"rose","theme_mode":"L","api_base_url":"https://mirror.example.com/api/v1","log_preferences":{"copy_logs":true}}`
	at := time.Date(2026, 3, 22, 12, 0, 0, 0, time.UTC)
	u.AppSettingsUpdatedAt = &at
	if err := e.store.UpdateUser(bg, u); err != nil {
		t.Fatal(err)
	}
	tok := e.login("admin", "change-me")
	r := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	as := r.body["app_settings"].(map[string]any)
	if as["theme_preset"] != "rose" || as["log_preferences"].(map[string]any)["copy_logs"] != true {
		t.Fatalf("app_settings %v", as)
	}
	if v, ok := r.body["app_settings_updated_at"]; !ok || v != "2026-03-22T12:00:00+00:00" {
		t.Fatalf("app_settings_updated_at %v (present %v)", v, ok)
	}
	for _, k := range []string{"username", "first_name", "last_name", "email", "is_staff", "is_superuser", "motto",
		"social_link", "image_url", "editor_mode", "theme_preset", "theme_mode", "api_key_prefix", "api_base_url",
		"app_settings", "app_settings_updated_at"} {
		if _, ok := r.body[k]; !ok {
			t.Errorf("GET settings/ lacks %q", k)
		}
	}
	if len(r.body) != 16 || r.body["api_key_prefix"] != "" {
		t.Fatalf("settings %s", r.raw)
	}
}

// test_settings_update_supports_username_theme_and_api_base. The original
// PATCH also changed the email, with no verification at all (CONTRACT 6.6).
// Here PATCH settings/ refuses an email change (400 on "email", nothing
// saved) and the email moves through auth/change-email/ instead; every
// other assertion of the original test is kept.
func TestSettings_Contract_UpdateSupportsUsernameThemeAndApiBase(t *testing.T) {
	e := newAdminEnv(t)
	tok := e.login("admin@example.com", "change-me")
	body := map[string]any{
		"username":     "note-admin",
		"email":        "note-admin@example.com",
		"theme_preset": "amber",
		"theme_mode":   "D",
		"api_base_url": "https://notes.example.com/api/v1",
		"app_settings": map[string]any{
			"theme_preset":    "amber",
			"theme_mode":      "D",
			"api_base_url":    "https://notes.example.com/api/v1",
			"log_preferences": map[string]any{"frontend_logs": true},
		},
		"app_settings_updated_at": "2026-03-22T12:00:00Z",
	}
	// The fix: the email cannot change through PATCH, and a refused field
	// means nothing is saved.
	r := e.do("PATCH", "settings/", body, tok)
	r.expectField(t, "email", "")
	if !strings.Contains(r.fieldError("email"), "auth/change-email/") {
		t.Fatalf("email error %q", r.fieldError("email"))
	}
	g := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	if g.body["username"] != "admin" || g.body["email"] != "admin@example.com" || g.body["theme_preset"] != "teal" {
		t.Fatalf("a refused PATCH saved something: %s", g.raw)
	}

	// The rest of the original test, without the email.
	delete(body, "email")
	r = e.do("PATCH", "settings/", body, tok).expect(t, 200, "")
	if r.body["username"] != "note-admin" || r.body["theme_preset"] != "amber" || r.body["theme_mode"] != "D" ||
		r.body["api_base_url"] != "https://notes.example.com/api/v1" {
		t.Fatalf("patch response %s", r.raw)
	}
	as := r.body["app_settings"].(map[string]any)
	if as["theme_preset"] != "amber" || as["log_preferences"].(map[string]any)["frontend_logs"] != true {
		t.Fatalf("app_settings %v", as)
	}
	if ts, _ := r.body["app_settings_updated_at"].(string); !strings.HasPrefix(ts, "2026-03-22T12:00:00") {
		t.Fatalf("app_settings_updated_at %q", ts)
	}
	u := e.userByEmail("admin@example.com")
	var stored map[string]any
	if err := json.Unmarshal([]byte(u.AppSettingsJSON), &stored); err != nil {
		t.Fatalf("stored JSON %q: %v", u.AppSettingsJSON, err)
	}
	if stored["api_base_url"] != "https://notes.example.com/api/v1" || u.Username != "note-admin" {
		t.Fatalf("stored %q, username %q", u.AppSettingsJSON, u.Username)
	}

	// The email changes through the change-email flow.
	id := e.identityCode(tok, "admin@example.com")
	e.do("POST", "auth/change-email/", map[string]string{"new_email": "Note-Admin@example.com", "identity_code": id}, tok).expect(t, 200, "")
	code := e.lastCode("note-admin@example.com")
	r = e.do("POST", "auth/change-email/", map[string]string{"new_email": "note-admin@example.com", "code": code}, tok).expect(t, 200, "")
	if string(r.raw) != `{"email":"note-admin@example.com","message":"Email updated."}` {
		t.Fatalf("confirm %s", r.raw)
	}
	g = e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	if g.body["email"] != "note-admin@example.com" || g.body["username"] != "note-admin" {
		t.Fatalf("after change-email %s", g.raw)
	}
}

func TestSettings_Contract_RejectDuplicateUsername(t *testing.T) {
	e := newAdminEnv(t)
	e.createUser("taken-name", "taken@example.com", "Strong1pw")
	tok := e.login("admin", "change-me")
	e.do("PATCH", "settings/", map[string]string{"username": "Taken-Name"}, tok).
		expectField(t, "username", "Settings not saved: Backend.Creators.Settings/update.validate_username — this username is already in use by another account.")
	// Its own name, in another case, is fine.
	e.do("PATCH", "settings/", map[string]string{"username": "ADMIN"}, tok).expect(t, 200, "")
}

func TestSettings_Contract_RejectInvalidApiBaseURL(t *testing.T) {
	e := newAdminEnv(t)
	tok := e.login("admin", "change-me")
	e.do("PATCH", "settings/", map[string]string{"api_base_url": "localhost:9080/api/v1"}, tok).
		expectField(t, "api_base_url", "Settings not saved: Backend.Creators.Settings/update.validate_api_base_url — value must be a full http:// or https:// URL with a host.")
}

// Every PATCH field's validation and the merge rules of CONTRACT #23.
func TestSettings_Contract_PatchFieldsAndMerge(t *testing.T) {
	e := newAdminEnv(t)
	tok := e.login("admin", "change-me")
	r := e.do("PATCH", "settings/", map[string]any{
		"first_name": "Ada", "last_name": " Lovelace ", "motto": "", "social_link": "https://example.com/ada",
		"editor_mode": "G", "email": "ADMIN@example.com", // same email, other case: unchanged, allowed
	}, tok).expect(t, 200, "")
	if r.body["first_name"] != "Ada" || r.body["last_name"] != "Lovelace" || r.body["editor_mode"] != "G" ||
		r.body["social_link"] != "https://example.com/ada" || r.body["email"] != "admin@example.com" {
		t.Fatalf("patch %s", r.raw)
	}
	// No app_settings key was sent: the timestamp stays null.
	if r.body["app_settings_updated_at"] != nil {
		t.Fatalf("updated_at %v", r.body["app_settings_updated_at"])
	}
	r = e.do("PATCH", "settings/", map[string]any{
		"first_name": strings.Repeat("x", 151), "motto": strings.Repeat("m", 101), "social_link": "not a url",
		"theme_preset": "", "theme_mode": "X", "editor_mode": "Q", "app_settings_updated_at": "yesterday",
	}, tok)
	r.expectField(t, "first_name", "Ensure this field has no more than 150 characters.")
	r.expectField(t, "motto", "Ensure this field has no more than 100 characters.")
	r.expectField(t, "social_link", "Enter a valid URL.")
	r.expectField(t, "theme_preset", "This field may not be blank.")
	r.expectField(t, "theme_mode", `"X" is not a valid choice.`)
	r.expectField(t, "editor_mode", `"Q" is not a valid choice.`)
	r.expectField(t, "app_settings_updated_at", "")
	// The explicit field wins over app_settings; the merged keys come back
	// and the timestamp is set to now when not given.
	r = e.do("PATCH", "settings/", map[string]any{"theme_mode": "L", "app_settings": map[string]any{"theme_mode": "D", "extra": []int{1, 2}}}, tok).expect(t, 200, "")
	as := r.body["app_settings"].(map[string]any)
	if r.body["theme_mode"] != "L" || as["theme_mode"] != "L" || as["extra"] == nil {
		t.Fatalf("merge %s", r.raw)
	}
	if r.body["app_settings_updated_at"] != "2026-04-23T03:32:23.123456+00:00" {
		t.Fatalf("updated_at %v", r.body["app_settings_updated_at"])
	}
	// A non-object app_settings is accepted and not merged.
	r = e.do("PATCH", "settings/", map[string]any{"app_settings": "not an object"}, tok).expect(t, 200, "")
	if r.body["app_settings"].(map[string]any)["extra"] == nil {
		t.Fatalf("non-object app_settings dropped earlier keys: %s", r.raw)
	}
	// The same rules through a form body.
	r = e.doForm("PATCH", "settings/", acctForm("first_name", "Grace", "theme_mode", "S"), tok).expect(t, 200, "")
	if r.body["first_name"] != "Grace" || r.body["theme_mode"] != "S" {
		t.Fatalf("form patch %s", r.raw)
	}
}

// PATCH settings/ cannot change the email (the original changed it with no
// code at all). Other fields of a refused PATCH are not saved either.
func TestSettings_Security_PatchCannotChangeEmail(t *testing.T) {
	e := newEnv(t)
	e.createUser("dora", "dora@example.com", "Strong1pw")
	e.createUser("eve", "eve@example.com", "Strong1pw")
	tok := e.login("dora", "Strong1pw")
	for _, email := range []string{"new@example.com", "", "eve@example.com"} {
		r := e.do("PATCH", "settings/", map[string]string{"email": email, "first_name": "Changed"}, tok)
		r.expectField(t, "email", "")
	}
	r := e.doForm("PATCH", "settings/", acctForm("email", "form@example.com"), tok)
	r.expectField(t, "email", "")
	g := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	if g.body["email"] != "dora@example.com" || g.body["first_name"] != "" {
		t.Fatalf("settings after refused PATCHes: %s", g.raw)
	}
	if _, err := e.store.UserByEmail(bg, "new@example.com"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("email changed: %v", err)
	}
	// The current address in another case is not a change.
	e.do("PATCH", "settings/", map[string]string{"email": "DORA@example.com"}, tok).expect(t, 200, "")
}

// PATCH settings/ validates the values that arrive through app_settings
// (the original wrote them to the columns unchecked).
func TestSettings_Security_PatchValidatesAppSettings(t *testing.T) {
	e := newEnv(t)
	e.createUser("jo", "jo@example.com", "Strong1pw")
	tok := e.login("jo", "Strong1pw")
	for _, as := range []map[string]any{
		{"theme_mode": "dark"},
		{"theme_mode": 1},
		{"theme_preset": ""},
		{"theme_preset": strings.Repeat("p", 33)},
		{"theme_preset": nil},
		{"api_base_url": "localhost:9080/api/v1"},
		{"api_base_url": "ftp://example.com/"},
		{"api_base_url": "https://example.com/" + strings.Repeat("a", 255)},
	} {
		r := e.do("PATCH", "settings/", map[string]any{"app_settings": as}, tok)
		r.expectField(t, "app_settings", "Settings not saved: Backend.Creators.Settings/update.validate_app_settings — theme_preset, theme_mode and api_base_url inside app_settings must pass the same checks as the fields.")
	}
	g := e.do("GET", "settings/", nil, tok).expect(t, 200, "")
	if g.body["theme_mode"] != "S" || g.body["theme_preset"] != "teal" || g.body["app_settings_updated_at"] != nil {
		t.Fatalf("a refused PATCH changed settings: %s", g.raw)
	}
	// Valid values are copied onto the columns.
	r := e.do("PATCH", "settings/", map[string]any{"app_settings": map[string]any{"theme_mode": "D", "theme_preset": "rose", "api_base_url": " https://x.example.com/api/v1 "}}, tok).expect(t, 200, "")
	if r.body["theme_mode"] != "D" || r.body["theme_preset"] != "rose" || r.body["api_base_url"] != "https://x.example.com/api/v1" {
		t.Fatalf("valid app_settings %s", r.raw)
	}
	// ChoiceFields match the value as sent, like DRF.
	e.do("PATCH", "settings/", map[string]any{"theme_mode": " D "}, tok).expectField(t, "theme_mode", `" D " is not a valid choice.`)
	e.do("PATCH", "settings/", map[string]any{"editor_mode": ""}, tok).expectField(t, "editor_mode", `"" is not a valid choice.`)
	e.do("PATCH", "settings/", map[string]any{"editor_mode": nil}, tok).expectField(t, "editor_mode", "This field may not be null.")
}

// A username set through PATCH settings/ must match the register rule
// (the original accepted any string of up to 150 characters).
func TestSettings_Security_PatchUsernameMustMatchRegisterRule(t *testing.T) {
	e := newEnv(t)
	e.createUser("kai", "kai@example.com", "Strong1pw")
	tok := e.login("kai", "Strong1pw")
	for name, msg := range map[string]string{
		"has space":              "This value does not match the required pattern.",
		"kai@example.com":        "This value does not match the required pattern.",
		"ünïcode":                "This value does not match the required pattern.",
		"ab":                     "Ensure this field has at least 3 characters.",
		strings.Repeat("k", 151): "Ensure this field has no more than 150 characters.",
		"":                       "This field may not be blank.",
	} {
		e.do("PATCH", "settings/", map[string]string{"username": name}, tok).expectField(t, "username", msg)
	}
	r := e.do("PATCH", "settings/", map[string]string{"username": "Kai_2-x"}, tok).expect(t, 200, "")
	if r.body["username"] != "Kai_2-x" {
		t.Fatalf("%s", r.raw)
	}
	e.login("kai_2-X", "Strong1pw")
}

// Avatar uploads are not stored: the field is refused (400) instead of
// being dropped silently, whether sent as a file or as a text field.
func TestSettings_Security_AvatarRefused(t *testing.T) {
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
