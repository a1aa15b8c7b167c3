package main

// nginx in front of test replicas: found or required (nginxBinary), started
// as a child process on the configuration of docs/examples/nginx-replicas.conf
// with the test's addresses (startNginx), and spoken to over TLS (proxy).

import (
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
	"syscall"
	"testing"
	"time"
)

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
