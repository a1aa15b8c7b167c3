package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"notechondria-auth/app"
)

// input is a decoded request body (JSON, form or multipart, as DRF's default
// parsers accept) with DRF-style field validation that collects every field
// error before reporting them together.
type input struct {
	m    map[string]any
	errs map[string]any
}

// decodeBody reads the request body into an input. Malformed JSON is a 400
// "JSON parse error - ...", an unknown content type 415, an over-long body
// 413.
func decodeBody(r *http.Request) (*input, error) {
	in := &input{m: map[string]any{}}
	if r.Body == nil || r.Method == http.MethodGet {
		return in, nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt = "application/json"
	} else if err != nil {
		return nil, unsupported(ct)
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err)
		}
		return decodeJSON(body)
	case mt == "text/plain":
		// The shipped editor's HTTP client (Dart's http package) sends its
		// JSON bodies as text/plain when no content type is set. Accept
		// such a body when it is a JSON object; anything else keeps the
		// 415 (docs/COMPATIBILITY.md: this opens no CSRF path, the API
		// authenticates with a header that a cross-site form cannot set).
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err)
		}
		if in, err := decodeJSON(body); err == nil && len(body) > 0 {
			return in, nil
		}
		return nil, unsupported(ct)
	case mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data":
		var err error
		if mt == "multipart/form-data" {
			err = r.ParseMultipartForm(1 << 20)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			if e := bodyError(err); app.ErrorCode(e) == app.ETOOLARGE {
				return nil, e
			}
			return nil, app.Detail(app.EINVALID, "Multipart form parse error - "+err.Error())
		}
		for k, v := range r.PostForm {
			if len(v) > 0 {
				in.m[k] = v[len(v)-1] // QueryDict[key] is the last value
			}
		}
		return in, nil
	}
	return nil, unsupported(ct)
}

func unsupported(ct string) error {
	return app.Detail(app.EUNSUPPORTED, fmt.Sprintf("Unsupported media type %q in request.", ct))
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return app.Detail(app.ETOOLARGE, fmt.Sprintf("Request body too large: the limit is %d bytes.", mbe.Limit))
	}
	return app.Detail(app.EINVALID, "Could not read the request body.")
}

// decodeJSON parses a JSON body as DRF's JSONParser does: an empty body is
// an empty object (DRF skips parsing when there is no content); anything
// else must be exactly one JSON value, optionally surrounded by JSON
// whitespace, and that value must be an object.
func decodeJSON(body []byte) (*input, error) {
	in := &input{m: map[string]any{}}
	if len(body) == 0 {
		return in, nil
	}
	if !utf8.Valid(body) {
		return nil, app.Detail(app.EINVALID, "JSON parse error - 'utf-8' codec can't decode the request body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, app.Detail(app.EINVALID, "JSON parse error - "+err.Error())
	}
	// Not dec.More(): it reports false for a stray ']' or '}', which
	// Python's json.loads rejects as extra data.
	if rest := body[dec.InputOffset():]; len(bytes.TrimLeft(rest, " \t\r\n")) != 0 {
		return nil, app.Detail(app.EINVALID, "JSON parse error - Extra data after the JSON value")
	}
	switch t := v.(type) {
	case map[string]any:
		in.m = t
	case nil:
		return nil, app.NonFieldError("No data provided")
	default:
		return nil, app.NonFieldError(fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pyType(v)))
	}
	return in, nil
}

func pyType(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case bool:
		return "bool"
	case json.Number:
		if strings.ContainsAny(string(v.(json.Number)), ".eE") {
			return "float"
		}
		return "int"
	}
	return "NoneType"
}

// has reports whether the field was sent.
func (in *input) has(name string) bool {
	_, ok := in.m[name]
	return ok
}

func (in *input) fail(name, msg string) {
	if in.errs == nil {
		in.errs = map[string]any{}
	}
	if _, dup := in.errs[name]; !dup {
		in.errs[name] = []string{msg}
	}
}

// field describes a DRF CharField's options.
type field struct {
	required   bool
	allowBlank bool
	minLen     int
	maxLen     int
	noTrim     bool // trim_whitespace=False
}

// str reads a CharField: strings and numbers are accepted (numbers as their
// text), surrounding whitespace trimmed, blank and length checked with DRF's
// messages. ok is false when the field was absent or invalid.
func (in *input) str(name string, f field) (string, bool) {
	v, present := in.m[name]
	if !present {
		if f.required {
			in.fail(name, "This field is required.")
		}
		return "", false
	}
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = string(t)
	case nil:
		in.fail(name, "This field may not be null.")
		return "", false
	default:
		in.fail(name, "Not a valid string.")
		return "", false
	}
	if !f.noTrim {
		s = strings.TrimSpace(s)
	}
	if strings.IndexByte(s, 0) >= 0 { // DRF's ProhibitNullCharactersValidator
		in.fail(name, "Null characters are not allowed.")
		return "", false
	}
	n := utf8.RuneCountInString(s)
	switch {
	case s == "" && !f.allowBlank:
		in.fail(name, "This field may not be blank.")
		return "", false
	case s == "":
		return "", true
	case f.maxLen > 0 && n > f.maxLen:
		in.fail(name, fmt.Sprintf("Ensure this field has no more than %d characters.", f.maxLen))
		return "", false
	case f.minLen > 0 && n < f.minLen:
		in.fail(name, fmt.Sprintf("Ensure this field has at least %d characters.", f.minLen))
		return "", false
	}
	return s, true
}

// email reads an EmailField (CharField + Django's EmailValidator, max 254
// by default here).
func (in *input) email(name string, f field) (string, bool) {
	if f.maxLen == 0 {
		f.maxLen = 254
	}
	s, ok := in.str(name, f)
	if !ok || s == "" {
		return s, ok
	}
	if !app.ValidEmail(s) {
		in.fail(name, "Enter a valid email address.")
		return "", false
	}
	return s, true
}

// err returns the collected field errors as one 400, or nil.
func (in *input) err() error {
	if len(in.errs) == 0 {
		return nil
	}
	return &app.Error{Code: app.EINVALID, Fields: in.errs}
}
