package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// dartRequest sends the exact bytes the Notechondria editor's HTTP client
// (Dart's http package, a body set as a String without a content type)
// puts on the wire: lowercase header names, "text/plain; charset=utf-8",
// the JSON text as the body.
func dartRequest(t *testing.T, e *env, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	addr := strings.TrimPrefix(e.http.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw := method + " /api/v1/" + path + " HTTP/1.1\r\n" +
		"user-agent: Dart/3.5 (dart:io)\r\n" +
		"content-type: text/plain; charset=utf-8\r\n" +
		"accept-encoding: gzip\r\n" +
		fmt.Sprintf("content-length: %d\r\n", len(body)) +
		"host: " + addr + "\r\n" +
		"authorization: " + token + "\r\n" +
		"\r\n" + body
	if _, err := conn.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The shipped editor's change-password and change-email dialogs send JSON
// labelled text/plain; the original answered 415 to them (so those dialogs
// never worked). They succeed here; other text/plain bodies stay 415.
func TestInput_Core_EditorTextPlainJSON(t *testing.T) {
	e := newEnv(t)
	e.createUser("ed", "ed@example.com", "Strong1pw")
	tok := e.login("ed", "Strong1pw")

	code := e.identityCode(tok, "ed@example.com")
	st, body := dartRequest(t, e, "POST", "auth/change-password/", tok,
		`{"current_password":"Strong1pw","new_password":"Newer2pw!","identity_code":"`+code+`"}`)
	if st != 200 || body["token"] == nil {
		t.Fatalf("change-password: %d %v", st, body)
	}
	tok = "Token " + body["token"].(string)

	code = e.identityCode(tok, "ed@example.com")
	st, body = dartRequest(t, e, "POST", "auth/change-email/", tok, `{"new_email":"ed2@example.com","identity_code":"`+code+`"}`)
	if st != 200 || body["email"] != "ed2@example.com" {
		t.Fatalf("change-email request: %d %v", st, body)
	}
	st, body = dartRequest(t, e, "POST", "auth/change-email/", tok, `{"new_email":"ed2@example.com","code":"`+e.lastCode("ed2@example.com")+`"}`)
	if st != 200 || body["message"] != "Email updated." {
		t.Fatalf("change-email confirm: %d %v", st, body)
	}

	for _, notJSON := range []string{"new_email=x@example.com", `["a"]`, `"text"`, ""} {
		if st, body := dartRequest(t, e, "POST", "auth/change-email/", tok, notJSON); st != 415 {
			t.Errorf("text/plain %q: %d %v, want 415", notJSON, st, body)
		}
	}
}
