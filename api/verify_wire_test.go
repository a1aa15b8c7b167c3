package api_test

// The bytes of GET auth/verify/ (sessions.go) as a reverse proxy reads them:
// the hot path is tuned below net/http's header API, so these tests pin the
// status line, every header with its value and order, and the empty body.

import (
	"bufio"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawGet sends one keep-alive HTTP/1.1 GET over a fresh connection, as a
// proxy would, and returns the response bytes (head and Content-Length
// body) with the Date value and the server's own request id masked.
func (e *env) rawGet(t *testing.T, path string, hdr ...string) string {
	t.Helper()
	c, err := net.Dial("tcp", e.http.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: x\r\n"
	for _, h := range hdr {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	var head strings.Builder
	n := 0
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the head %q: %v", head.String(), err)
		}
		head.WriteString(line)
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if line == "\r\n" {
			break
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		t.Fatal(err)
	}
	s := regexp.MustCompile(`(?m)^Date: [^\r]*\r$`).ReplaceAllString(head.String()+string(body), "Date: <date>\r")
	return regexp.MustCompile(`(?m)^X-Request-Id: [0-9a-f]{8}-[0-9a-z]+\r$`).ReplaceAllString(s, "X-Request-Id: <id>\r")
}

// TestSessions_Core_VerifyWireBytes: a session token, an API key, a
// client-chosen request id, and the 401s, byte for byte.
func TestSessions_Core_VerifyWireBytes(t *testing.T) {
	e := newEnv(t)
	u := e.createUser("alice", "alice@example.com", "Strong1pw")
	a := e.loginBody("alice", "Strong1pw")
	tok := "Token " + a.body["token"].(string)
	key := e.rotate(e.login("alice", "Strong1pw"))
	uid, sid := strconv.FormatInt(u.ID, 10), strconv.FormatInt(sessionID(a), 10)
	ok := "HTTP/1.1 200 OK\r\n" +
		"Cache-Control: no-store\r\n" +
		"X-Auth-Session-Id: " + sid + "\r\n" +
		"X-Auth-User-Id: " + uid + "\r\n" +
		"X-Auth-Username: alice\r\n" +
		"X-Request-Id: <id>\r\n" +
		"Date: <date>\r\n" +
		"Content-Length: 0\r\n\r\n"
	for i := 0; i < 3; i++ { // miss, then hits
		if got := e.rawGet(t, "/api/v1/auth/verify/", "Authorization: "+tok); got != ok {
			t.Fatalf("session token, try %d:\n%q\nwant\n%q", i, got, ok)
		}
	}
	withID := strings.Replace(ok, "X-Request-Id: <id>", "X-Request-Id: proxy-42", 1)
	if got := e.rawGet(t, "/api/v1/auth/verify/", "Authorization: "+tok, "X-Request-Id: proxy-42"); got != withID {
		t.Fatalf("client request id:\n%q\nwant\n%q", got, withID)
	}
	keyOK := strings.Replace(ok, "X-Auth-Session-Id: "+sid+"\r\n", "", 1)
	for i := 0; i < 2; i++ {
		if got := e.rawGet(t, "/api/v1/auth/verify/", "Authorization: "+key); got != keyOK {
			t.Fatalf("API key, try %d:\n%q\nwant\n%q", i, got, keyOK)
		}
	}
	for _, tc := range []struct{ auth, detail string }{
		{"", "Authentication credentials were not provided."},
		{"Authorization: Token nope", "Invalid token."},
	} {
		body := `{"detail":"` + tc.detail + `"}`
		want := "HTTP/1.1 401 Unauthorized\r\n" +
			"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
			"Content-Type: application/json\r\n" +
			"Www-Authenticate: Token\r\n" +
			"X-Request-Id: <id>\r\n" +
			"Date: <date>\r\n\r\n" + body
		var hdr []string
		if tc.auth != "" {
			hdr = append(hdr, tc.auth)
		}
		if got := e.rawGet(t, "/api/v1/auth/verify/", hdr...); got != want {
			t.Fatalf("%q:\n%q\nwant\n%q", tc.auth, got, want)
		}
	}
}
