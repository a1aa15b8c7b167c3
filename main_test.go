package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"notechondria-auth/internal/testdb"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests in this file run the real binary: built once into a temporary
// directory, started on 127.0.0.1:0, spoken to over HTTP.

var binPath string // set by TestMain; test-only state

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ntc-bin")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "notechondria-auth")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := testdb.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running binary.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	url  string
	logs *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs `serve` on a free port and waits for its "listening" line.
func start(t *testing.T, dbPath string, extra ...string) *server {
	t.Helper()
	return startAt(t, "127.0.0.1:0", dbPath, extra...)
}

// startAt runs `serve` on addr (HOST:PORT; a fixed port lets a restarted
// process take its predecessor's place behind a proxy) and waits for its
// "listening" line.
func startAt(t *testing.T, addr, dbPath string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", addr, "--db", dbPath, "--log-level", "info"}, extra...)
	cmd := exec.Command(binPath, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	logs := &lockedBuffer{}
	pr, pw := io.Pipe()
	cmd.Stderr = io.MultiWriter(logs, pw)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, logs: logs, done: make(chan struct{})}
	t.Cleanup(func() { s.kill() })
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var l struct{ Message, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Message == "listening" {
				listening <- l.Addr
			}
		}
	}()
	go func() { cmd.Wait(); pw.Close(); close(s.done) }()
	select {
	case a := <-listening:
		s.url = "http://" + a
	case <-s.done:
		t.Fatalf("server exited before listening (%v); log:\n%s", cmd.ProcessState, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not start; log:\n%s", logs.String())
	}
	return s
}

func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() {
	s.t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.t.Fatalf("server did not stop within 20 s\n%s", s.logs.String())
	}
	if !s.cmd.ProcessState.Success() {
		s.t.Fatalf("server did not exit cleanly: %v\n%s", s.cmd.ProcessState, s.logs.String())
	}
}

// call sends a JSON request and decodes a JSON answer.
func (s *server) call(method, path, auth string, body any) (int, map[string]any, http.Header) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) e2e")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		json.Unmarshal(raw, &out)
	}
	return resp.StatusCode, out, resp.Header
}

func (s *server) login(ident, pw string) string {
	s.t.Helper()
	st, body, _ := s.call("POST", "/api/v1/auth/login/", "", map[string]string{"identifier": ident, "password": pw})
	if st != 200 {
		s.t.Fatalf("login: %d %v", st, body)
	}
	return "Token " + body["token"].(string)
}

// runCLI runs a non-serve command and returns stdout, stderr and exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func mustCreateUser(t *testing.T, dbPath, name string) {
	t.Helper()
	out, errOut, code := runCLI(t, "user", "create", "--db", dbPath, "--username", name, "--email", name+"@example.com", "--password", "Strong1pw")
	if code != 0 || !regexp.MustCompile(`^\d+\n$`).MatchString(out) {
		t.Fatalf("user create: code %d out %q err %q", code, out, errOut)
	}
}

func TestBinaryBlackBox(t *testing.T) {
	dbPath := testdb.Target(t)
	mustCreateUser(t, dbPath, "alice")
	// A duplicate is a clear error with exit status 1.
	if _, errOut, code := runCLI(t, "user", "create", "--db", dbPath, "--username", "alice", "--email", "other@example.com", "--password", "Strong1pw"); code != 1 || !strings.Contains(errOut, "already taken") {
		t.Fatalf("duplicate user: code %d, %q", code, errOut)
	}
	s := start(t, dbPath)
	a := s.login("alice", "Strong1pw")
	b := s.login("alice@example.com", "Strong1pw")
	st, list, _ := s.call("GET", "/api/v1/auth/sessions/", a, nil)
	if st != 200 || len(list["sessions"].([]any)) != 2 {
		t.Fatalf("list: %d %v", st, list)
	}
	st, probe, _ := s.call("GET", "/api/v1/auth/session/", b, nil)
	if st != 200 || probe["authenticated"] != true || probe["multi_device"] != true {
		t.Fatalf("probe: %v", probe)
	}
	var other float64
	for _, row := range list["sessions"].([]any) {
		if r := row.(map[string]any); r["is_current"] == false {
			other = r["id"].(float64)
		}
	}
	if st, _, _ := s.call("DELETE", fmt.Sprintf("/api/v1/auth/sessions/%d/", int64(other)), a, nil); st != 204 {
		t.Fatalf("revoke: %d", st)
	}
	if st, body, h := s.call("GET", "/api/v1/auth/sessions/", b, nil); st != 401 || body["detail"] != "Invalid token." || h.Get("WWW-Authenticate") != "Token" {
		t.Fatalf("revoked token: %d %v", st, body)
	}
	if st, _, h := s.call("GET", "/api/v1/auth/verify/", a, nil); st != 200 || h.Get("X-Auth-Username") != "alice" {
		t.Fatalf("verify: %d %v", st, h)
	}
	out, _, code := runCLI(t, "healthcheck", "--url", s.url+"/healthz")
	if code != 0 || out != "ok\n" {
		t.Fatalf("healthcheck: %d %q", code, out)
	}
	s.stop()
	if _, _, code := runCLI(t, "healthcheck", "--url", s.url+"/healthz", "--timeout", "1s"); code != 1 {
		t.Fatalf("healthcheck of a stopped server: exit %d", code)
	}

	// A restart keeps the session; --wipe-sessions-on-boot revokes it.
	s = start(t, dbPath)
	if st, _, _ := s.call("GET", "/api/v1/auth/sessions/", a, nil); st != 200 {
		t.Fatalf("after restart: %d", st)
	}
	s.stop()
	s = start(t, dbPath, "--wipe-sessions-on-boot")
	if !strings.Contains(s.logs.String(), `"sessions":1`) {
		t.Fatalf("wipe did not log its count:\n%s", s.logs.String())
	}
	if st, _, _ := s.call("GET", "/api/v1/auth/sessions/", a, nil); st != 401 {
		t.Fatalf("after wipe: %d", st)
	}
	if st, probe, _ := s.call("GET", "/api/v1/auth/session/", a, nil); st != 200 || probe["authenticated"] != false {
		t.Fatalf("probe after wipe: %v", probe)
	}
}

func TestKill9KeepsAcknowledgedWrites(t *testing.T) {
	dbPath := testdb.Target(t)
	mustCreateUser(t, dbPath, "carol")
	s := start(t, dbPath)
	keep := s.login("carol", "Strong1pw")
	gone := s.login("carol", "Strong1pw")
	st, list, _ := s.call("GET", "/api/v1/auth/sessions/", gone, nil)
	if st != 200 {
		t.Fatal(st)
	}
	id := list["current_session_id"].(float64)
	if st, _, _ := s.call("DELETE", fmt.Sprintf("/api/v1/auth/sessions/%d/", int64(id)), keep, nil); st != 204 {
		t.Fatal(st)
	}
	fresh := s.login("carol", "Strong1pw") // acknowledged right before the kill
	s.kill()
	s = start(t, dbPath)
	for name, c := range map[string]struct {
		tok  string
		want int
	}{"login before revoke": {keep, 200}, "revoked": {gone, 401}, "last login": {fresh, 200}} {
		if st, _, _ := s.call("GET", "/api/v1/auth/sessions/", c.tok, nil); st != c.want {
			t.Errorf("%s: got %d, want %d", name, st, c.want)
		}
	}
}

func TestSecretsNeverStoredVerbatim(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "auth.db")
	mustCreateUser(t, dbPath, "dave")
	s := start(t, dbPath)
	tok := s.login("dave", "Strong1pw")
	st, key, _ := s.call("POST", "/api/v1/auth/rotate-api-key/", tok, nil)
	if st != 200 {
		t.Fatal(st)
	}
	secrets := []string{strings.TrimPrefix(tok, "Token "), key["api_key"].(string), "Strong1pw"}
	check := func(when string) {
		files, _ := filepath.Glob(filepath.Join(dir, "auth.db*"))
		if len(files) == 0 {
			t.Fatal("no database files")
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, sec := range secrets {
				if bytes.Contains(data, []byte(sec)) {
					t.Errorf("%s: %s contains a secret verbatim", when, filepath.Base(f))
				}
			}
		}
	}
	check("while running")
	s.stop()
	check("after shutdown")
}

func TestCLIRevokeReachesRunningServer(t *testing.T) {
	dbPath := testdb.Target(t)
	mustCreateUser(t, dbPath, "erin")
	s := start(t, dbPath)
	tok := s.login("erin", "Strong1pw")
	if st, _, _ := s.call("GET", "/api/v1/auth/verify/", tok, nil); st != 200 { // warms the cache
		t.Fatal(st)
	}
	if out, errOut, code := runCLI(t, "sessions", "revoke", "--db", dbPath, "--user", "erin"); code != 0 || !strings.Contains(out, "1 session(s) revoked") {
		t.Fatalf("sessions revoke: %d %q %q", code, out, errOut)
	}
	revokedAt := time.Now()
	for {
		st, _, _ := s.call("GET", "/api/v1/auth/verify/", tok, nil)
		if st == 401 {
			break
		}
		if time.Since(revokedAt) > time.Second {
			t.Fatalf("revoked token still accepted after %v", time.Since(revokedAt))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("CLI revoke visible after %v", time.Since(revokedAt))
}

func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "auth.db")
	mustCreateUser(t, dbPath, "frank")
	s := start(t, dbPath)
	var before []string
	for i := 0; i < 5; i++ {
		before = append(before, s.login("frank", "Strong1pw"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // keep logging in while the backup runs
		defer wg.Done()
		for ctx.Err() == nil {
			s.call("POST", "/api/v1/auth/login/", "", map[string]string{"identifier": "frank", "password": "Strong1pw"})
		}
	}()
	backup := filepath.Join(dir, "backup.db")
	out, errOut, code := runCLI(t, "backup", "--db", dbPath, "--to", backup)
	cancel()
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: %d %q %q", code, out, errOut)
	}
	if _, _, code := runCLI(t, "backup", "--db", dbPath, "--to", backup); code == 0 {
		t.Fatal("backup over an existing file must fail")
	}
	s.stop()
	// The copy passes an integrity check and holds every session
	// acknowledged before the backup began.
	r := start(t, backup)
	for i, tok := range before {
		if st, _, _ := r.call("GET", "/api/v1/auth/sessions/", tok, nil); st != 200 {
			t.Errorf("session %d missing from the backup: %d", i, st)
		}
	}
	r.stop()
	if sqlite, err := exec.LookPath("sqlite3"); err == nil {
		res, err := exec.Command(sqlite, backup, "PRAGMA integrity_check;").CombinedOutput()
		if err != nil || strings.TrimSpace(string(res)) != "ok" {
			t.Fatalf("integrity_check: %v %s", err, res)
		}
	} else {
		t.Log("sqlite3 not installed: integrity_check skipped (the restart above still opened and migrated the copy)")
	}
}

func TestCommandLine(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  []string
		code int
		out  string // substring of stdout+stderr
	}{
		{"version", []string{"version"}, nil, 0, "notechondria-auth"},
		{"no command", nil, nil, 2, "Usage"},
		{"unknown", []string{"frobnicate"}, nil, 2, "unknown command"},
		{"serve help", []string{"serve", "--help"}, nil, 0, "--wipe-sessions-on-boot"},
		{"user create help", []string{"user", "create", "--help"}, nil, 0, "--superuser"},
		{"invite help", []string{"invite", "create", "--help"}, nil, 0, "--max-uses"},
		{"sessions help", []string{"sessions", "revoke", "--help"}, nil, 0, "--all"},
		{"backup help", []string{"backup", "--help"}, nil, 0, "--to"},
		{"healthcheck help", []string{"healthcheck", "--help"}, nil, 0, "--url"},
		{"bad flag", []string{"serve", "--nope"}, nil, 2, "not defined"},
		{"bad duration", []string{"serve", "--touch-interval", "soon"}, nil, 2, "invalid value"},
		{"config redacts", []string{"config"}, []string{"SMTP_PASSWORD=hunter2", "NTC_ADDR=0.0.0.0:9999"}, 0, "SMTP_PASSWORD=<redacted>"},
		{"config env", []string{"config"}, []string{"NTC_ADDR=0.0.0.0:9999"}, 0, "NTC_ADDR=0.0.0.0:9999"},
		{"flag beats env", []string{"config", "--addr", "127.0.0.1:1"}, []string{"NTC_ADDR=0.0.0.0:9999"}, 0, "NTC_ADDR=127.0.0.1:1"},
		{"bad rule", []string{"config", "--login-failures-per-ip", "ten"}, nil, 2, "N/DURATION"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(binPath, c.args...)
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, c.env...)
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != c.code || !strings.Contains(string(out), c.out) {
				t.Fatalf("exit %d (want %d), output:\n%s", code, c.code, out)
			}
			if strings.Contains(string(out), "hunter2") {
				t.Fatal("a secret was printed")
			}
		})
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "env")
	os.WriteFile(file, []byte("# comment\nNTC_ADDR=127.0.0.1:7777\nSMTP_PASSWORD=\nexport NTC_CACHE_SIZE=5\nSMTP_HOST=\"mail.example.com\"\nOTHER_PROGRAM=x\n"), 0o600)
	out, errOut, code := runCLI(t, "config", "--config", file)
	if code != 0 {
		t.Fatalf("%d %s", code, errOut)
	}
	for _, want := range []string{"NTC_ADDR=127.0.0.1:7777", "NTC_CACHE_SIZE=5", "SMTP_HOST=mail.example.com", "SMTP_PASSWORD=\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
