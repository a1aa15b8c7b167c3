package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// The test in this file runs the recipe of docs/OPERATIONS.md ("Several
// replicas on PostgreSQL"): three replicas on one PostgreSQL behind nginx,
// configured by docs/examples/nginx-replicas.conf itself, restarted one
// after the other while clients keep calling.

// nginxExample is the configuration the documentation shows; the test
// substitutes addresses and certificate paths only, so the two cannot
// drift apart.
const nginxExample = "docs/examples/nginx-replicas.conf"

// rollingDrainTimeout is the replicas' --drain-timeout, as the recipe
// recommends; the example's upstream keepalive_timeout must be shorter.
const rollingDrainTimeout = 5 * time.Second

// Rolling restart behind nginx: every replica in turn gets SIGTERM, drains,
// exits, and a new process takes its port; clients calling through nginx
// all the while (verify and session probes with a token, sign-ins, API key
// rotations) see no failure.
func TestRolling_RestartBehindNginxFailsNoRequest(t *testing.T) {
	nginx := nginxBinary(t)
	example, err := os.ReadFile(nginxExample)
	if err != nil {
		t.Fatal(err)
	}
	failTimeout := exampleTimes(t, string(example))
	pg := testdb.TargetOf(t, db.Postgres)
	mustCreateUser(t, pg, "rosa")
	ports := freePorts(t, 4)
	addrs := make([]string, 3)
	flags := []string{"--drain-timeout", rollingDrainTimeout.String()}
	rs := make([]*server, 3)
	for i := range rs {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", ports[i])
		rs[i] = startAt(t, addrs[i], pg, flags...)
	}
	front := startNginx(t, nginx, string(example), addrs, fmt.Sprintf("127.0.0.1:%d", ports[3]))
	tok, err := front.login()
	if err != nil {
		t.Fatalf("login through nginx: %v\n%s", err, front.logs.String())
	}

	var (
		counts   [4]atomic.Int64 // verify, session, login, rotate
		mu       sync.Mutex
		failures []string
		begin    = time.Now()
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	fail := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf("%6.3fs %s", time.Since(begin).Seconds(), what))
	}
	// Three workers alternate verify and session probes with a token
	// (nginx may retry those on another replica); two sign in over and
	// over, and one rotates the API key: POSTs, which nginx must not retry
	// once they reached a replica. A sign-in spends most of its time in
	// the password hash; a rotation is cheap, so POSTs are frequent.
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				switch {
				case w == 5:
					counts[3].Add(1)
					if err := front.rotate(tok); err != nil {
						fail("POST rotate-api-key: " + err.Error())
					}
				case w >= 3:
					counts[2].Add(1)
					if _, err := front.login(); err != nil {
						fail("POST login: " + err.Error())
					}
				case n%2 == 0:
					counts[0].Add(1)
					if err := front.verify(tok); err != nil {
						fail("GET verify: " + err.Error())
					}
				default:
					counts[1].Add(1)
					if err := front.session(tok); err != nil {
						fail("GET session: " + err.Error())
					}
				}
			}
		}()
	}

	time.Sleep(time.Second) // traffic on three healthy replicas first
	// The recipe's steps, one replica at a time: SIGTERM (it stops
	// accepting, serves its open connections out, exits), start the new
	// process on the same address, wait for /readyz 200 with the listener
	// up. nginx takes a replica that refused a connection out for
	// fail_timeout, so the next SIGTERM waits until the one before is back
	// in: never are all three out at once.
	var events []string
	var lastTerm time.Time
	for i := range rs {
		if wait := time.Until(lastTerm.Add(failTimeout)); wait > 0 {
			time.Sleep(wait)
		}
		lastTerm = time.Now()
		t0 := time.Since(begin)
		rs[i].stop() // SIGTERM: drain, then exit 0
		t1 := time.Since(begin)
		drained := logLine(rs[i].logs.String(), "drained")
		if drained == "" {
			t.Fatalf("replica %d stopped without a \"drained\" log line:\n%s", i, rs[i].logs.String())
		}
		rs[i] = startAt(t, addrs[i], pg, flags...)
		t2 := time.Since(begin)
		listening := waitReady(t, rs[i])
		events = append(events, fmt.Sprintf("replica %d: SIGTERM at %.1fs, drained (%s), exited at %.1fs; new process listening at %.1fs, /readyz listener up %v later",
			i, t0.Seconds(), drained, t1.Seconds(), t2.Seconds(), listening.Round(time.Millisecond)))
	}
	time.Sleep(time.Second) // and on the three new processes
	close(stop)
	wg.Wait()
	elapsed := time.Since(begin)

	total := counts[0].Load() + counts[1].Load() + counts[2].Load() + counts[3].Load()
	for _, e := range events {
		t.Log(e)
	}
	retried, per := front.accessStats(t)
	t.Logf("%d requests through nginx in %.1fs (%d verify, %d session, %d login, %d rotate-api-key), %d failed; nginx passed %d on to a second replica; answered per replica port %v",
		total, elapsed.Seconds(), counts[0].Load(), counts[1].Load(), counts[2].Load(), counts[3].Load(), len(failures), retried, per)
	t.Logf("nginx error log: %v", front.errorSummary())
	if len(failures) > 0 {
		shown := failures[:min(len(failures), 20)]
		t.Fatalf("%d of %d requests failed during the rolling restart:\n%s\nnginx error log:\n%s",
			len(failures), total, strings.Join(shown, "\n"), front.logs.String())
	}
	if counts[2].Load() < 20 || counts[3].Load() < 100 || total < 1000 {
		t.Fatalf("too little traffic to mean anything: %d requests, %d logins, %d rotations", total, counts[2].Load(), counts[3].Load())
	}
}

// docs/OPERATIONS.md shows the nginx configuration the rolling test runs,
// character for character.
func TestRolling_DocsShowTheTestedNginxConfig(t *testing.T) {
	example, err := os.ReadFile(nginxExample)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```nginx\n"+string(example)+"```\n") {
		t.Fatalf("docs/OPERATIONS.md does not show %s verbatim in an nginx block: copy the file into the \"nginx (tested)\" section", nginxExample)
	}
}

// --drain-timeout on its own, without a proxy: after SIGTERM a new
// connection is refused, a request on a connection opened before is served
// with "Connection: close" (/readyz says "draining"), and the process exits
// as soon as that connection is closed, long before the timeout.
func TestRolling_DrainServesOpenConnectionsOnly(t *testing.T) {
	s := start(t, testdb.Target(t), "--drain-timeout", "20s")
	addr := strings.TrimPrefix(s.url, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	get := func(path string) *http.Response {
		t.Helper()
		fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, addr)
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatalf("GET %s on the open connection: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if resp := get("/readyz"); resp.StatusCode != 200 || resp.Close {
		t.Fatalf("before SIGTERM: %d, close %v", resp.StatusCode, resp.Close)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	termed := time.Now()
	for logLine(s.logs.String(), "draining") == "" {
		if time.Since(termed) > 5*time.Second {
			t.Fatalf("no \"draining\" line 5 s after SIGTERM:\n%s", s.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted while draining")
	}
	if resp := get("/readyz"); resp.StatusCode != 503 || !resp.Close {
		t.Fatalf("while draining: %d, close %v (want 503 and Connection: close)", resp.StatusCode, resp.Close)
	}
	if _, err := rd.ReadByte(); err != io.EOF {
		t.Fatalf("the server kept the connection open after Connection: close: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10 s after its last connection closed:\n%s", s.logs.String())
	}
	if !s.cmd.ProcessState.Success() {
		t.Fatalf("exit: %v\n%s", s.cmd.ProcessState, s.logs.String())
	}
	t.Logf("SIGTERM to exit %v with --drain-timeout 20s (drained: %s)", time.Since(termed).Round(time.Millisecond), logLine(s.logs.String(), "drained"))
}

// nginxBinary finds nginx, or fails with the command that installs it
// (it skips only where scripts/prereqs.sh could not install it either).
func nginxBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if st, err := os.Stat("/usr/sbin/nginx"); err == nil && st.Mode()&0o111 != 0 {
		return "/usr/sbin/nginx"
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("nginx is not installed and there is no apt-get to install it: install nginx to run the replica recipe test")
	}
	t.Fatal("nginx is not installed: run scripts/prereqs.sh (as root it installs it with apt-get)")
	return ""
}

// freePorts picks n free loopback ports, all held open at once so they
// differ, then released for the processes that take them.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// waitReady polls a replica's /readyz until it answers 200 with its change
// listener up (the recipe's step before the next replica) and returns how
// long that took.
func waitReady(t *testing.T, s *server) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		resp, err := http.Get(s.url + "/readyz")
		var body struct{ Status, Listener string }
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode == 200 && body.Listener == "listening" {
				return time.Since(start)
			}
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s/readyz not 200 and listening after 10 s (%v, %+v)\n%s", s.url, err, body, s.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// proxy is a running nginx in front of the replicas.
type proxy struct {
	url    string
	client *http.Client
	dir    string
	logs   *lockedBuffer // nginx's error log (stderr)
}

// nginxConf is the main configuration around the example: everything
// nginx writes goes to the test's directory. Workers run as root when the
// test does (the temporary directory is private to it).
const nginxConf = `%s
worker_processes 2;
events { worker_connections 512; }
http {
    log_format rolling '$request_method $uri $status "$upstream_addr" "$upstream_status"';
    access_log %[2]s/access.log rolling;
    client_body_temp_path %[2]s/client_body_temp;
    proxy_temp_path %[2]s/proxy_temp;
    fastcgi_temp_path %[2]s/fastcgi_temp;
    uwsgi_temp_path %[2]s/uwsgi_temp;
    scgi_temp_path %[2]s/scgi_temp;
    include %[2]s/notechondria-auth.conf;
}
`

// startNginx writes the example with the replicas' addresses, a
// self-signed certificate and listen, starts nginx in the foreground and
// waits until it answers through to a replica.
func startNginx(t *testing.T, bin, conf string, upstreams []string, listen string) *proxy {
	t.Helper()
	dir := t.TempDir()
	cert, key, pool := selfSigned(t, dir)
	replace := func(old, new string) {
		if c := strings.Count(conf, old); c != 1 {
			t.Fatalf("%s: %q appears %d times, want once (rolling_test.go substitutes it)", nginxExample, old, c)
		}
		conf = strings.Replace(conf, old, new, 1)
	}
	for i, u := range upstreams {
		replace(fmt.Sprintf("server 10.0.0.%d:8080 ", 11+i), "server "+u+" ")
	}
	replace("listen 443 ssl http2;", "listen "+listen+" ssl http2;")
	replace("/etc/letsencrypt/live/auth.example.com/fullchain.pem", cert)
	replace("/etc/letsencrypt/live/auth.example.com/privkey.pem", key)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	if err := os.WriteFile(filepath.Join(dir, "notechondria-auth.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(fmt.Sprintf(nginxConf, user, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", "stderr",
		"-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT) // graceful
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	p := &proxy{url: "https://" + listen, dir: dir, logs: logs, client: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool},
			ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 8},
	}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := p.client.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-done:
			t.Fatalf("nginx exited: %v\n%s", cmd.ProcessState, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not answering after 10 s: %v\n%s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// exampleTimes checks the example's upstream keepalive_timeout against the
// recipe's --drain-timeout and returns its fail_timeout.
func exampleTimes(t *testing.T, conf string) time.Duration {
	t.Helper()
	seconds := func(name string) time.Duration {
		m := regexp.MustCompile(name + `\s*=?\s*(\d+)s\b`).FindStringSubmatch(conf)
		if m == nil {
			t.Fatalf("%s: no %s in seconds", nginxExample, name)
		}
		n, _ := strconv.Atoi(m[1])
		return time.Duration(n) * time.Second
	}
	if ka := seconds("keepalive_timeout"); ka >= rollingDrainTimeout {
		t.Fatalf("%s: keepalive_timeout %v must be shorter than the recipe's --drain-timeout %v", nginxExample, ka, rollingDrainTimeout)
	}
	return seconds("fail_timeout")
}

// logLine returns the fields of the server's last JSON log line with this
// message, without time and level, for the test's report.
func logLine(logs, message string) string {
	out := ""
	for _, line := range strings.Split(logs, "\n") {
		var fields map[string]any
		if json.Unmarshal([]byte(line), &fields) == nil && fields["message"] == message {
			delete(fields, "time")
			delete(fields, "level")
			delete(fields, "message")
			out = fmt.Sprint(fields)
		}
	}
	return out
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir and
// returns their paths and a pool that trusts it.
func selfSigned(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "auth.example.com"},
		DNSNames: []string{"auth.example.com"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(parsed)
	return cert, keyPath, pool
}

// do sends one request through nginx and returns the status and body, or
// an error that says what went wrong.
func (p *proxy) do(method, path, auth, body string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, p.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) rolling")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw, err
}

// login is POST auth/login/; it returns the "Token ..." header value.
func (p *proxy) login() (string, error) {
	st, _, raw, err := p.do("POST", "/api/v1/auth/login/", "", `{"identifier":"rosa","password":"Strong1pw"}`)
	var body struct{ Token string }
	if err == nil && (st != 200 || json.Unmarshal(raw, &body) != nil || body.Token == "") {
		err = fmt.Errorf("status %d: %.200s", st, strings.Join(strings.Fields(string(raw)), " "))
	}
	return "Token " + body.Token, err
}

// verify is GET auth/verify/: 200 with the user's name in X-Auth-Username.
func (p *proxy) verify(tok string) error {
	st, h, raw, err := p.do("GET", "/api/v1/auth/verify/", tok, "")
	if err == nil && (st != 200 || h.Get("X-Auth-Username") != "rosa") {
		err = fmt.Errorf("status %d, X-Auth-Username %q: %.200s", st, h.Get("X-Auth-Username"), strings.Join(strings.Fields(string(raw)), " "))
	}
	return err
}

// rotate is POST auth/rotate-api-key/: 200 with a new key.
func (p *proxy) rotate(tok string) error {
	st, _, raw, err := p.do("POST", "/api/v1/auth/rotate-api-key/", tok, "")
	var body struct {
		APIKey string `json:"api_key"`
	}
	if err == nil && (st != 200 || json.Unmarshal(raw, &body) != nil || body.APIKey == "") {
		err = fmt.Errorf("status %d: %.200s", st, strings.Join(strings.Fields(string(raw)), " "))
	}
	return err
}

// session is GET auth/session/: always 200, authenticated with a live token.
func (p *proxy) session(tok string) error {
	st, _, raw, err := p.do("GET", "/api/v1/auth/session/", tok, "")
	var body struct{ Authenticated bool }
	if err == nil && (st != 200 || json.Unmarshal(raw, &body) != nil || !body.Authenticated) {
		err = fmt.Errorf("status %d: %.200s", st, strings.Join(strings.Fields(string(raw)), " "))
	}
	return err
}

// accessStats reads nginx's access log: how many requests went to more
// than one replica, and how many requests each replica answered.
func (p *proxy) accessStats(t *testing.T) (int, map[string]int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(p.dir, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	retried, per := 0, map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		f := strings.Split(line, `"`)
		if len(f) < 4 {
			continue
		}
		ups := strings.Split(f[1], ", ")
		if len(ups) > 1 {
			retried++
		}
		per[ups[len(ups)-1]]++
	}
	return retried, per
}

// errorSummary counts nginx's error-log lines by message, without times,
// connection numbers and request details.
func (p *proxy) errorSummary() map[string]int {
	re := regexp.MustCompile(`\[(?:error|warn|alert|crit|emerg)\] \d+#\d+: (?:\*\d+ )?(.*?)(?:, client:.*)?$`)
	out := map[string]int{}
	for _, line := range strings.Split(p.logs.String(), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			out[m[1]]++
		}
	}
	return out
}
