package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"notechondria-auth/app"
)

// Helpers shared by the account, contract and security tests.

// bg is the background context for direct store calls.
var bg = context.Background()

// acctForm encodes pairs (name, value, name, value...) as an
// application/x-www-form-urlencoded body.
func acctForm(pairs ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v.Encode()
}

// doForm posts a form body.
func (e *env) doForm(method, path, body, auth string) *response {
	e.t.Helper()
	return e.do(method, path, body, auth, "Content-Type", "application/x-www-form-urlencoded")
}

// doMultipart sends a multipart/form-data body with text fields (name,
// value pairs) and, when fileField is not "", one file part.
func (e *env) doMultipart(method, path, auth, fileField string, fileBody []byte, pairs ...string) *response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := mw.WriteField(pairs[i], pairs[i+1]); err != nil {
			e.t.Fatal(err)
		}
	}
	if fileField != "" {
		fw, err := mw.CreateFormFile(fileField, "avatar.png")
		if err != nil {
			e.t.Fatal(err)
		}
		fw.Write(fileBody)
	}
	mw.Close()
	return e.do(method, path, buf.String(), auth, "Content-Type", mw.FormDataContentType())
}

// postRaw is a goroutine-safe POST of a JSON body (it never calls t.Fatal):
// it returns the status and the raw body, or -1 on a transport error.
func (e *env) postRaw(path string, body any, auth string) (int, []byte) {
	j, _ := json.Marshal(body)
	req, err := http.NewRequest("POST", e.http.URL+"/api/v1/"+path, bytes.NewReader(j))
	if err != nil {
		return -1, nil
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// acctConcurrently runs fn(i) for i in [0, n) at once (released together) and
// returns the statuses.
func acctConcurrently(n int, fn func(i int) int) []int {
	var wg sync.WaitGroup
	start := make(chan struct{})
	out := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			out[i] = fn(i)
		}(i)
	}
	close(start)
	wg.Wait()
	return out
}

func acctCount(statuses []int, want int) int {
	n := 0
	for _, s := range statuses {
		if s == want {
			n++
		}
	}
	return n
}

// registerOK posts auth/register/ and asserts 201.
func (e *env) registerOK(username, email, pw string, extra ...string) *response {
	e.t.Helper()
	body := map[string]string{"username": username, "email": email, "password": pw}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return e.do("POST", "auth/register/", body, "").expect(e.t, 201, "")
}

// registerAndVerify registers an account, verifies it with the mailed
// code and returns the session header of the verify response.
func (e *env) registerAndVerify(username, email, pw string) string {
	e.t.Helper()
	e.registerOK(username, email, pw)
	r := e.do("POST", "auth/verify-email/", map[string]string{"email": email, "code": e.lastCode(email)}, "").expect(e.t, 200, "")
	return "Token " + r.body["token"].(string)
}

// identityCode asks for an identity code with auth and returns it from the
// mail log.
func (e *env) identityCode(auth, email string) string {
	e.t.Helper()
	e.do("POST", "auth/send-identity-code/", nil, auth).expect(e.t, 200, "")
	return e.lastCode(email)
}

// userByEmail reads an account from the store by email.
func (e *env) userByEmail(email string) *app.User {
	e.t.Helper()
	u, err := e.store.UserByEmail(bg, email)
	if err != nil {
		e.t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// createInvite creates an invitation code in the store.
func (e *env) createInvite(code string, maxUses int) {
	e.t.Helper()
	inv := &app.Invitation{CodeHash: app.CodeHash(code), Label: "test", MaxUses: maxUses, CreatedAt: e.clock.Now()}
	if err := e.store.CreateInvitation(bg, inv); err != nil {
		e.t.Fatal(err)
	}
}

// nonField returns the first non_field_errors message.
func (r *response) nonField() string { return r.fieldError("non_field_errors") }

// expectField asserts a 400 whose body has a field error for name; when msg
// is not "", the first message must equal it.
func (r *response) expectField(t *testing.T, name, msg string) *response {
	t.Helper()
	if r.status != 400 {
		t.Fatalf("status %d, want 400 with %q; body %s", r.status, name, r.raw)
	}
	got, ok := r.body[name].([]any)
	if !ok || len(got) == 0 {
		t.Fatalf("no field error %q in %s", name, r.raw)
	}
	if msg != "" && got[0] != msg {
		t.Fatalf("%s: %q, want %q", name, got[0], msg)
	}
	return r
}

// mailLines returns the fallback log lines written for address to.
func (e *env) mailLines(to string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "mail delivery fallback" && m["to"] == to {
			out = append(out, m)
		}
	}
	return out
}
