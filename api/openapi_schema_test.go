package api_test

// A small reader of api/openapi.json for the Go tests: the document, $ref
// resolution, operations by method and path, and a minimal structural
// check of a JSON value against a schema (types, required keys, closed
// objects, const/enum, patterns, items and the oneOf/anyOf/allOf
// combinators). The full JSON Schema 2020-12 validation of live responses
// is e2e/openapi.test.mjs (ajv).

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// openAPIDoc is the parsed document.
type openAPIDoc map[string]any

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// loadOpenAPI reads and parses api/openapi.json (the file the binary embeds).
func loadOpenAPI(t testing.TB) (openAPIDoc, []byte) {
	t.Helper()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("api/openapi.json does not parse: %v", err)
	}
	return doc, raw
}

// resolve follows a local "$ref" (repeatedly) and returns the object it
// names; values without a $ref are returned as they are.
func (d openAPIDoc) resolve(t testing.TB, v any) map[string]any {
	t.Helper()
	for i := 0; i < 16; i++ {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("not an object: %v", v)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		v = d.pointer(t, ref)
	}
	t.Fatalf("$ref chain too long at %v", v)
	return nil
}

// pointer returns the value a local reference ("#/a/b~1c") names.
func (d openAPIDoc) pointer(t testing.TB, ref string) any {
	t.Helper()
	if !strings.HasPrefix(ref, "#/") {
		t.Fatalf("non-local $ref %q", ref)
	}
	var cur any = map[string]any(d)
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok || m[part] == nil {
			t.Fatalf("$ref %q does not resolve (at %q)", ref, part)
		}
		cur = m[part]
	}
	return cur
}

// paths returns the document's path items.
func (d openAPIDoc) paths() map[string]map[string]any {
	out := map[string]map[string]any{}
	for p, item := range d["paths"].(map[string]any) {
		out[p] = item.(map[string]any)
	}
	return out
}

// operations lists every documented "METHOD path" (method upper case).
func (d openAPIDoc) operations() []string {
	var out []string
	for p, item := range d.paths() {
		for _, m := range httpMethods {
			if item[m] != nil {
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// operation returns the operation object of method and path template.
func (d openAPIDoc) operation(t testing.TB, method, path string) map[string]any {
	t.Helper()
	item, ok := d.paths()[path]
	if !ok {
		t.Fatalf("%s is not documented", path)
	}
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Fatalf("%s %s is not documented", method, path)
	}
	return op
}

// response returns the documented response of an operation for status, or
// nil (reported as an error) when it documents none.
func (d openAPIDoc) response(t testing.TB, op map[string]any, status int) map[string]any {
	t.Helper()
	rs := op["responses"].(map[string]any)
	r, ok := rs[fmt.Sprint(status)]
	if !ok {
		t.Errorf("operation %v answered %d, which it does not document", op["operationId"], status)
		return nil
	}
	return d.resolve(t, r)
}

// jsonSchema returns the application/json schema of a response, or nil.
func (d openAPIDoc) jsonSchema(t testing.TB, resp map[string]any) map[string]any {
	t.Helper()
	content, _ := resp["content"].(map[string]any)
	mt, _ := content["application/json"].(map[string]any)
	if mt == nil {
		return nil
	}
	return d.resolve(t, mt["schema"])
}

// check reports (as a list of problems) where v does not fit schema s.
// Keywords it does not know are ignored.
func (d openAPIDoc) check(t testing.TB, v any, s map[string]any, at string) []string {
	t.Helper()
	s = d.resolve(t, s)
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, at+": "+fmt.Sprintf(format, args...)) }
	for _, sub := range asList(s["allOf"]) {
		bad = append(bad, d.check(t, v, sub.(map[string]any), at)...)
	}
	for _, kw := range []string{"oneOf", "anyOf"} {
		alts := asList(s[kw])
		if len(alts) == 0 {
			continue
		}
		n := 0
		for _, alt := range alts {
			if len(d.check(t, v, alt.(map[string]any), at)) == 0 {
				n++
			}
		}
		if n == 0 || (kw == "oneOf" && n > 1) {
			fail("%s: %d of %d alternatives match %s", kw, n, len(alts), compact(v))
		}
	}
	if not, ok := s["not"].(map[string]any); ok && len(d.check(t, v, not, at)) == 0 {
		fail("%s matches a schema it must not match", compact(v))
	}
	if c, ok := s["const"]; ok && compact(c) != compact(v) {
		fail("want const %s, got %s", compact(c), compact(v))
	}
	if e, ok := s["enum"]; ok && !inEnum(asList(e), v) {
		fail("%s is not one of %s", compact(v), compact(e))
	}
	if typ, ok := s["type"].(string); ok && jsonType(v) != typ && !(typ == "number" && jsonType(v) == "integer") {
		fail("want %s, got %s", typ, compact(v))
		return bad
	}
	if p, ok := s["pattern"].(string); ok {
		if str, isStr := v.(string); isStr && !regexp.MustCompile(p).MatchString(str) {
			fail("%q does not match %s", str, p)
		}
	}
	switch val := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if n, ok := s["minProperties"].(float64); ok && len(val) < int(n) {
			fail("fewer than %v keys", n)
		}
		if pn, ok := s["propertyNames"].(map[string]any); ok {
			for k := range val {
				bad = append(bad, d.check(t, k, pn, at+" key "+k)...)
			}
		}
		for _, k := range asList(s["required"]) {
			if _, ok := val[k.(string)]; !ok {
				fail("missing required key %q", k)
			}
		}
		for k, x := range val {
			if ps, ok := props[k].(map[string]any); ok {
				bad = append(bad, d.check(t, x, ps, at+"."+k)...)
			} else if ap, ok := s["additionalProperties"].(bool); ok && !ap {
				fail("unexpected key %q", k)
			} else if aps, ok := s["additionalProperties"].(map[string]any); ok {
				bad = append(bad, d.check(t, x, aps, at+"."+k)...)
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, x := range val {
				bad = append(bad, d.check(t, x, items, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return bad
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func inEnum(choices []any, v any) bool {
	for _, c := range choices {
		if compact(c) == compact(v) {
			return true
		}
	}
	return false
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// jsonType names v's JSON Schema type ("integer" for whole numbers).
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
