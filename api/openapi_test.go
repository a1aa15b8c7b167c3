package api_test

// The OpenAPI description (api/openapi.json) against the route table and
// the live server: every registered route is documented and every
// documented operation is registered; the served document is the embedded
// file; each operation's security says how the route authenticates; and
// live responses fit the documented schemas. HEAD routes are documented as
// their own "head" operations, so the match is one to one. The full
// validation (an OpenAPI 3.1 validator, ajv on every response of a real
// flow) is e2e/openapi.test.mjs.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"sort"
	"strings"
	"testing"

	"notechondria-auth/api"
)

// routeParam matches httprouter's ":name" and "*name" segments.
var routeParam = regexp.MustCompile(`[:*]([A-Za-z_][A-Za-z0-9_]*)`)

// templateOf turns an httprouter pattern into an OpenAPI path template:
// "/api/v1/auth/sessions/:id/" -> "/api/v1/auth/sessions/{id}/",
// "/assets/*file" -> "/assets/{file}".
func templateOf(pattern string) string { return routeParam.ReplaceAllString(pattern, "{$1}") }

// routeSet is Routes() as sorted "METHOD template" entries.
func routeSet(routes []api.Route) []string {
	var out []string
	for _, r := range routes {
		out = append(out, r.Method+" "+templateOf(r.Path))
	}
	sort.Strings(out)
	return out
}

// missing returns the entries of a that are not in b.
func missing(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

func TestOpenAPI_Core_DocumentsExactlyTheRouteTable(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	ops := doc.operations()
	for _, tc := range []struct {
		name      string
		mutate    func(*api.Config)
		onlyInDoc []string // documented, not registered in this configuration
	}{
		{name: "default", mutate: func(*api.Config) {}},
		{name: "metrics on their own listener", mutate: func(c *api.Config) { c.SeparateMetrics = true }, onlyInDoc: []string{"GET /metrics"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			routes := routeSet(newEnv(t, tc.mutate).srv.Routes())
			if len(routes) == 0 {
				t.Fatal("Routes() is empty")
			}
			if m := missing(routes, ops); len(m) > 0 {
				t.Errorf("registered but not in api/openapi.json:\n  %s", strings.Join(m, "\n  "))
			}
			if m := missing(missing(ops, routes), tc.onlyInDoc); len(m) > 0 {
				t.Errorf("in api/openapi.json but not registered:\n  %s", strings.Join(m, "\n  "))
			}
		})
	}
}

func TestOpenAPI_Core_OperationsAreComplete(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v, want 3.1.0", doc["openapi"])
	}
	ids := map[string]string{}
	for _, o := range doc.operations() {
		method, path, _ := strings.Cut(o, " ")
		op := doc.operation(t, method, path)
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] != "" {
			t.Errorf("%s: operationId %q missing or also used by %s", o, id, ids[id])
		}
		ids[id] = o
		if len(asList(op["tags"])) == 0 {
			t.Errorf("%s: no tags", o)
		}
		if _, ok := op["security"].([]any); !ok {
			t.Errorf("%s: no security (say [] for none)", o)
		}
		rs, _ := op["responses"].(map[string]any)
		if len(rs) == 0 {
			t.Errorf("%s: no responses", o)
		}
		if rb, ok := op["requestBody"]; ok {
			content, _ := doc.resolve(t, rb)["content"].(map[string]any)
			for _, mt := range []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"} {
				if content[mt] == nil {
					t.Errorf("%s: the request body does not list %s", o, mt)
				}
			}
			if rs["413"] == nil || rs["415"] == nil {
				t.Errorf("%s: reads a body but documents no 413 or 415", o)
			}
			if js, _ := content["application/json"].(map[string]any); js["examples"] == nil {
				t.Errorf("%s: no request example", o)
			}
		}
		for status, r := range rs {
			r := doc.resolve(t, r)
			if content, _ := r["content"].(map[string]any); content["application/json"] != nil && doc.exampleCount(t, content) == 0 {
				t.Errorf("%s %s: no example", o, status)
			}
		}
	}
	// Every $ref anywhere resolves.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				doc.pointer(t, ref)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(map[string]any(doc))
}

// exampleCount counts the examples of a JSON media type.
func (d openAPIDoc) exampleCount(t testing.TB, content map[string]any) int {
	mt, _ := content["application/json"].(map[string]any)
	ex, _ := mt["examples"].(map[string]any)
	n := len(ex)
	if _, ok := mt["example"]; ok {
		n++
	}
	return n
}

func TestOpenAPI_Core_ServedAsEmbedded(t *testing.T) {
	e := newEnv(t)
	_, raw := loadOpenAPI(t)
	r := e.do("GET", "openapi.json", nil, "")
	r.expect(t, 200, "")
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	if !bytes.Equal(r.raw, raw) {
		t.Fatalf("served %d bytes, api/openapi.json has %d: not the same document", len(r.raw), len(raw))
	}
	var v struct{ OpenAPI string }
	if err := json.Unmarshal(r.raw, &v); err != nil || v.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, err %v", v.OpenAPI, err)
	}
}

// concrete fills a template's parameters with sample values.
func concrete(path string) string {
	return strings.NewReplacer("{id}", "1", "{provider}", "github", "{file}", "app.js").Replace(path)
}

// docCheck asserts that r's status is documented for the operation and
// that its body and required headers fit; it returns r.
func (e *env) docCheck(doc openAPIDoc, method, path string, r *response) *response {
	e.t.Helper()
	op := doc.operation(e.t, method, path)
	if resp := doc.response(e.t, op, r.status); resp != nil {
		doc.checkResponse(e.t, fmt.Sprintf("%s %s (%v)", method, path, op["operationId"]), resp, r)
	}
	return r
}

// checkResponse checks r against a documented response object.
func (d openAPIDoc) checkResponse(t *testing.T, what string, resp map[string]any, r *response) {
	t.Helper()
	hdrs, _ := resp["headers"].(map[string]any)
	for name, h := range hdrs {
		if d.resolve(t, h)["required"] == true && r.header.Get(name) == "" {
			t.Errorf("%s %d: required header %s missing", what, r.status, name)
		}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(r.raw) != 0 {
			t.Errorf("%s %d: documented without a body, got %q", what, r.status, r.raw)
		}
		return
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if content[mt] == nil {
		t.Errorf("%s %d: Content-Type %q is not documented", what, r.status, mt)
		return
	}
	if schema := d.jsonSchema(t, resp); schema != nil && mt == "application/json" {
		var v any
		if err := json.Unmarshal(r.raw, &v); err != nil {
			t.Fatalf("%s %d: bad JSON %q", what, r.status, r.raw)
		}
		if bad := d.check(t, v, schema, "body"); len(bad) > 0 {
			t.Errorf("%s %d: body %s does not fit the schema:\n  %s", what, r.status, r.raw, strings.Join(bad, "\n  "))
		}
	}
}

// TestOpenAPI_Core_SecurityMatchesTheRoutes checks each operation's
// security against what the route does: without credentials it is 401
// exactly when security has no {} alternative; with a bad session key it
// is 401 exactly when the operation documents 401; with an API key the
// session-only operations ([{"sessionToken": []}]) answer 403, and they
// are the ones that document it. Every answer must be documented and fit
// its schema.
func TestOpenAPI_Core_SecurityMatchesTheRoutes(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	e := newEnv(t, noThrottle)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	key := e.rotate(e.login("alice", "Strong1pw"))
	bogus := "Token " + strings.Repeat("0", 40)
	for _, o := range doc.operations() {
		method, path, _ := strings.Cut(o, " ")
		op := doc.operation(t, method, path)
		sec := asList(op["security"])
		anonymous, sessionOnly := len(sec) == 0, compact(sec) == `[{"sessionToken":[]}]`
		for _, alt := range sec {
			anonymous = anonymous || len(alt.(map[string]any)) == 0
		}
		_, has401 := op["responses"].(map[string]any)["401"]
		if refusesKeys := strings.Contains(compact(op["responses"]), "#/components/responses/ForbiddenAPIKey"); refusesKeys != sessionOnly {
			t.Errorf("%s: security %s, but documents the API-key 403: %v", o, compact(sec), refusesKeys)
		}

		r := e.docCheck(doc, method, path, e.do(method, concrete(path), nil, ""))
		if (r.status == 401) == anonymous {
			t.Errorf("%s without credentials: %d, but security is %s", o, r.status, compact(sec))
		}
		r = e.docCheck(doc, method, path, e.do(method, concrete(path), nil, bogus))
		if (r.status == 401) != has401 {
			t.Errorf("%s with a bad session key: %d, documents 401: %v", o, r.status, has401)
		}
		if sessionOnly {
			r = e.docCheck(doc, method, path, e.do(method, concrete(path), nil, key))
			if r.status != 403 {
				t.Errorf("%s with an API key: %d, want 403 (security %s)", o, r.status, compact(sec))
			}
		}
	}
}

// TestOpenAPI_Core_LiveResponsesFitTheSchemas drives a few endpoints and
// checks each answer against the documented response.
func TestOpenAPI_Core_LiveResponsesFitTheSchemas(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	e := newEnv(t, noThrottle)
	e.createUser("alice", "alice@example.com", "Strong1pw")
	const login, sessions = "/api/v1/auth/login/", "/api/v1/auth/sessions/"
	tok := "Token " + e.docCheck(doc, "POST", login, e.do("POST", login, loginBody("alice", "Strong1pw"), "")).
		expect(t, 200, "").body["token"].(string)
	key := e.rotate(tok)

	for _, tc := range []struct {
		name, method, path, template string
		body                         any
		auth                         string
		status                       int
		shape                        string // the error schema the body must fit, if any
	}{
		{"login field error", "POST", login, login, map[string]any{}, "", 400, "FieldErrors"},
		{"login non_field_errors", "POST", login, login, loginBody("alice", "Wrong1pw"), "", 400, "NonFieldErrors"},
		{"login malformed JSON", "POST", login, login, `{"identifier":`, "", 400, "Detail"},
		{"login not an object", "POST", login, login, `[1]`, "", 400, "NonFieldErrors"},
		{"session list 401 detail", "GET", sessions, sessions, nil, "", 401, "Detail"},
		{"session list", "GET", sessions, sessions, nil, tok, 200, ""},
		{"session list by API key", "GET", sessions, sessions, nil, key, 200, ""},
		{"probe", "GET", "/api/v1/auth/session/", "/api/v1/auth/session/", nil, tok, 200, ""},
		{"probe anonymous", "GET", "/api/v1/auth/session/", "/api/v1/auth/session/", nil, key, 200, ""},
		{"revoke unknown session", "DELETE", sessions + "999/", "/api/v1/auth/sessions/{id}/", nil, tok, 404, "Detail"},
		{"forward auth", "GET", "/api/v1/auth/verify/", "/api/v1/auth/verify/", nil, tok, 200, ""},
		{"settings", "GET", "/api/v1/settings/", "/api/v1/settings/", nil, tok, 200, ""},
		{"settings field errors", "PATCH", "/api/v1/settings/", "/api/v1/settings/", map[string]any{"theme_mode": "X", "motto": strings.Repeat("m", 101)}, tok, 400, "FieldErrors"},
		{"settings update", "PATCH", "/api/v1/settings/", "/api/v1/settings/", map[string]any{"theme_mode": "D", "app_settings": map[string]any{"sidebar": "left"}}, tok, 200, ""},
		{"social accounts", "GET", "/api/v1/auth/social-accounts/", "/api/v1/auth/social-accounts/", nil, tok, 200, ""},
		{"change-password by API key", "POST", "/api/v1/auth/change-password/", "/api/v1/auth/change-password/", nil, key, 403, "Detail"},
		{"google not configured", "POST", "/api/v1/auth/google/", "/api/v1/auth/google/", map[string]any{"id_token": "x"}, "", 503, "Detail"},
		{"unsupported media type", "POST", login, login, nil, "", 415, "Detail"},
		{"oauth config", "GET", "/api/v1/auth/oauth-config/", "/api/v1/auth/oauth-config/", nil, "", 200, ""},
		{"readiness", "GET", "/readyz", "/readyz", nil, "", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.status == 415 {
				hdr = []string{"Content-Type", "text/plain"}
				tc.body = "hello"
			}
			r := e.do(tc.method, tc.path, tc.body, tc.auth, hdr...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			e.docCheck(doc, tc.method, tc.template, r)
			if tc.shape != "" {
				var v any
				json.Unmarshal(r.raw, &v)
				if bad := doc.check(t, v, doc.resolve(t, doc.pointer(t, "#/components/schemas/"+tc.shape)), "body"); len(bad) > 0 {
					t.Errorf("%s is not %s: %s", r.raw, tc.shape, strings.Join(bad, "; "))
				}
			}
		})
	}

	// The answers no operation owns.
	for _, tc := range []struct {
		method, path, component string
		status                  int
	}{{"GET", login, "MethodNotAllowed", 405}, {"HEAD", sessions, "MethodNotAllowed", 405}, {"GET", "/api/v1/nope/", "NotFound", 404}} {
		r := e.do(tc.method, tc.path, nil, "")
		if r.status != tc.status {
			t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, r.status, tc.status)
		}
		resp := doc.resolve(t, doc.pointer(t, "#/components/responses/"+tc.component))
		if tc.method != "HEAD" {
			doc.checkResponse(t, tc.method+" "+tc.path, resp, r)
		}
	}
}
