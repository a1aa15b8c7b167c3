package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// The tests in this file run the recipe of docs/OPERATIONS.md ("Several
// replicas on PostgreSQL"): three replicas on one PostgreSQL behind nginx,
// configured by docs/examples/nginx-replicas.conf itself (nginx_test.go),
// restarted one after the other while clients keep calling; and serve's
// --drain-timeout on its own.

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
