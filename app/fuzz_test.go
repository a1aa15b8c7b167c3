package app_test

import (
	"strings"
	"testing"
	"unicode"

	"notechondria-auth/app"
)

// FuzzParseAuthorization: never panics; a session key is stripped and
// non-empty and is exactly what Python's split(None, 1) + strip() yields; an
// API key is everything after "Bearer " of a header starting "Bearer ntc_".
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{"", "Token abc", " token\tabc ", "Token", "Token  ", "Bearer ntc_abc",
		"bearer ntc_x", "Basic Zm9v", "Token ntc_abc", "TOKEN\u00a0k", "Token \u2028k\u2029", "Tok\xffen x",
		"\u0085Token k", "Bearer ntc_\x00", "Token  k ", "Token \u00a0", "Token k\u2028", "Token \tk\t", "Token\u00a0k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		kind, key := app.ParseAuthorization(h)
		if k2, key2 := app.ParseAuthorizationRule(h); k2 != kind || key2 != key {
			t.Fatalf("%q: fast path (%v, %q), rule (%v, %q)", h, kind, key, k2, key2)
		}
		switch kind {
		case app.CredSession:
			if key == "" || strings.TrimSpace(key) != key {
				t.Fatalf("session key %q of %q is blank or not stripped", key, h)
			}
			fields := strings.FieldsFunc(h, unicode.IsSpace)
			if len(fields) < 2 || !strings.EqualFold(fields[0], "token") {
				t.Fatalf("%q classified as a session token", h)
			}
			if !strings.HasPrefix(key, fields[1]) || !strings.HasSuffix(key, fields[len(fields)-1]) {
				t.Fatalf("key %q is not the remainder of %q", key, h)
			}
		case app.CredAPIKey:
			if !strings.HasPrefix(h, "Bearer ntc_") || key != h[len("Bearer "):] {
				t.Fatalf("%q: api key %q", h, key)
			}
			if f := strings.FieldsFunc(h, unicode.IsSpace); len(f) >= 2 && strings.EqualFold(f[0], "token") {
				t.Fatalf("%q: a Token header taken as an API key", h)
			}
		case 0:
			if key != "" {
				t.Fatalf("anonymous %q with key %q", h, key)
			}
			if strings.HasPrefix(h, "Bearer ntc_") {
				t.Fatalf("%q not recognised as an API key", h)
			}
			if f := strings.FieldsFunc(h, unicode.IsSpace); len(f) >= 2 && strings.EqualFold(f[0], "token") {
				t.Fatalf("%q not recognised as a session token", h)
			}
		default:
			t.Fatalf("unknown kind %v", kind)
		}
	})
}

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "") == string(b) }

// FuzzDeviceLabel: never panics; always one of the eight labels; the empty
// User-Agent is "Unknown device"; the rule only depends on ASCII case.
func FuzzDeviceLabel(f *testing.F) {
	for _, s := range []string{"", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", "iPad", "Android Linux",
		"Macintosh", "mac os x", "Windows NT", "X11; Linux", "curl/8", "\u0130PHONE", "\xff\xfe", "MAC OS X"} {
		f.Add(s)
	}
	labels := map[string]bool{"Unknown device": true, "iPhone": true, "iPad": true, "Android device": true,
		"Mac": true, "Windows PC": true, "Linux": true, "Web browser": true}
	f.Fuzz(func(t *testing.T, ua string) {
		l := app.DeviceLabel(ua)
		if !labels[l] {
			t.Fatalf("DeviceLabel(%q) = %q", ua, l)
		}
		if (ua == "") != (l == "Unknown device") {
			t.Fatalf("DeviceLabel(%q) = %q", ua, l)
		}
		if up := strings.Map(func(r rune) rune {
			if 'a' <= r && r <= 'z' {
				return r - 'a' + 'A'
			}
			return r
		}, ua); app.DeviceLabel(up) != l && utf8Valid([]byte(ua)) {
			t.Fatalf("DeviceLabel(%q) = %q but DeviceLabel(%q) = %q", ua, l, up, app.DeviceLabel(up))
		}
		if app.TruncateRunes(l, 120) != l {
			t.Fatalf("label %q longer than 120", l)
		}
	})
}
