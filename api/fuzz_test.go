package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"notechondria-auth/app"
)

// FuzzDecodeJSON: never panics; the result is either a 400 *Error or an
// object, and an object is returned exactly for valid JSON objects (and the
// empty body).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{"", " ", "{}", `{"a":1}`, `{"a":1} `, `{"a":1}]`, `{"a":1}}`, `{"a":1} {}`,
		"[]", "null", "1", "1.5e3", `"s"`, "true", `{"a":`, "\xff", `{"a":"\xff"}`, `{"a":NaN}`,
		"\ufeff{}", `{"a":{"b":[1,2,{"c":null}]}}`, "{}\f", "\t{}\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeJSON(body)
		if err != nil {
			var e *app.Error
			if !errors.As(err, &e) || statusOf(e.Code) != http.StatusBadRequest {
				t.Fatalf("%q: error %v is not a 400 *Error", body, err)
			}
			if e.Fields == nil && !strings.HasPrefix(e.Message, "JSON parse error - ") {
				t.Fatalf("%q: detail %q", body, e.Message)
			}
			if in != nil {
				t.Fatalf("%q: input and error", body)
			}
			var v any
			if len(body) == 0 || (json.Unmarshal(body, &v) == nil && isObject(v) && utf8Valid(body)) {
				t.Fatalf("%q: a valid JSON object was rejected: %v", body, err)
			}
			return
		}
		if in == nil || in.m == nil {
			t.Fatalf("%q: nil input", body)
		}
		if len(body) == 0 {
			return
		}
		var v map[string]any
		if !json.Valid(body) || json.Unmarshal(body, &v) != nil {
			t.Fatalf("%q accepted but not a JSON object", body)
		}
		if len(v) != len(in.m) {
			t.Fatalf("%q: %d keys, want %d", body, len(in.m), len(v))
		}
	})
}

func isObject(v any) bool { _, ok := v.(map[string]any); return ok }

func utf8Valid(b []byte) bool { return strings.ToValidUTF8(string(b), "") == string(b) }
