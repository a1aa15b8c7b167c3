package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"notechondria-auth/db"
	"notechondria-auth/internal/testdb"
)

// The tests in this file run three real server processes on one
// PostgreSQL database, as a deployment behind a load balancer would.

// replicas starts n servers on one fresh PostgreSQL database with a user.
func replicas(t *testing.T, n int, user string, extra ...string) (string, []*server) {
	t.Helper()
	pg := testdb.TargetOf(t, db.Postgres)
	mustCreateUser(t, pg, user)
	out := make([]*server, n)
	for i := range out {
		out[i] = start(t, pg, extra...)
	}
	return pg, out
}

// verify is GET auth/verify/ with a token: the forward-auth check, the
// path every cached credential serves.
func verify(c *http.Client, s *server, tok string) int {
	return status(c, s, "GET", "/api/v1/auth/verify/", tok)
}

// status sends a bodiless request with a token and returns the status (0
// when the server did not answer).
func status(c *http.Client, s *server, method, path, tok string) int {
	req, _ := http.NewRequest(method, s.url+path, nil)
	req.Header.Set("Authorization", tok)
	resp, err := c.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// A session revoked through replica A is refused by B and C, which had it
// cached: 200 revocations, the delay from A's answer to the first 401 on
// each of the others. A login through B is in the list read through C.
func TestReplicas_RevocationReachesEveryReplica(t *testing.T) {
	_, rs := replicas(t, 3, "rita")
	a, b, c := rs[0], rs[1], rs[2]
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}

	// The list: warm C's cache, sign in through B, read through C.
	first := a.login("rita", "Strong1pw")
	if st, _, _ := c.call("GET", "/api/v1/auth/sessions/", first, nil); st != 200 {
		t.Fatal(st)
	}
	b.login("rita", "Strong1pw")
	deadline := time.Now().Add(2 * time.Second)
	for {
		_, list, _ := c.call("GET", "/api/v1/auth/sessions/", first, nil)
		if n := len(list["sessions"].([]any)); n == 2 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the session made through B is not in C's list after 2 s (%d sessions)", n)
		}
		time.Sleep(time.Millisecond)
	}

	const n = 200
	tokens := make([]string, n)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				tokens[i] = a.login("rita", "Strong1pw")
			}
		}()
	}
	wg.Wait()
	var delays []time.Duration
	var mu sync.Mutex
	for i, tok := range tokens {
		for _, r := range []*server{b, c} {
			if st := verify(client, r, tok); st != 200 {
				t.Fatalf("token %d before its revocation: %d", i, st)
			}
		}
		if st, _, _ := a.call("POST", "/api/v1/auth/logout/", tok, nil); st != 204 {
			t.Fatalf("logout %d: %d", i, st)
		}
		revoked := time.Now()
		var rw sync.WaitGroup
		for _, r := range []*server{b, c} {
			rw.Add(1)
			go func() {
				defer rw.Done()
				for {
					if verify(client, r, tok) == 401 {
						d := time.Since(revoked)
						mu.Lock()
						delays = append(delays, d)
						mu.Unlock()
						return
					}
					if time.Since(revoked) > 2*time.Second {
						t.Errorf("token %d still accepted 2 s after its revocation", i)
						return
					}
					// Leave the two cores to the servers: a spinning
					// client would measure its own contention.
					time.Sleep(250 * time.Microsecond)
				}
			}()
		}
		rw.Wait()
	}
	slices.Sort(delays)
	t.Logf("revocation through A refused by B and C: %d samples, p50 %v, p90 %v, p99 %v, max %v",
		len(delays), percentile(delays, 0.50), percentile(delays, 0.90), percentile(delays, 0.99), delays[len(delays)-1])
	if len(delays) != 2*n {
		t.Fatalf("%d of %d revocations measured", len(delays), 2*n)
	}
}

// SIGKILL of a replica in the middle of traffic loses no acknowledged
// write: every login it answered works on the others, every revocation it
// answered is refused there.
func TestReplicas_Kill9LosesNoAcknowledgedWrite(t *testing.T) {
	_, rs := replicas(t, 3, "kim")
	a, b, c := rs[0], rs[1], rs[2]
	client := &http.Client{}
	var mu sync.Mutex
	var live, dead []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				tok, ok := tryLogin(client, a)
				if !ok {
					return // a is gone
				}
				if w == 0 { // one worker also revokes what it made
					st := post(client, a, "/api/v1/auth/logout/", tok)
					if st == 204 {
						mu.Lock()
						dead = append(dead, tok)
						mu.Unlock()
					}
					// Any other answer (0: the kill cut it) leaves the
					// logout's outcome unknown: the token is neither.
					continue
				}
				mu.Lock()
				live = append(live, tok)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
	close(stop)
	wg.Wait()
	if len(live) == 0 || len(dead) == 0 {
		t.Fatalf("no traffic before the kill: %d logins, %d revocations", len(live), len(dead))
	}
	for _, r := range []*server{b, c} {
		for _, tok := range live {
			if st := verify(client, r, tok); st != 200 {
				t.Errorf("acknowledged login refused after the kill: %d", st)
			}
		}
		for _, tok := range dead {
			if st := verify(client, r, tok); st != 401 {
				t.Errorf("acknowledged revocation undone after the kill: %d", st)
			}
		}
	}
	t.Logf("killed mid-traffic after %d acknowledged logins and %d acknowledged revocations: none lost", len(live), len(dead))
}

func tryLogin(c *http.Client, s *server) (string, bool) {
	req, _ := http.NewRequest("POST", s.url+"/api/v1/auth/login/", strings.NewReader(`{"identifier":"kim","password":"Strong1pw"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var body struct{ Token string }
	if resp.StatusCode != 200 || decodeJSON(resp, &body) != nil || body.Token == "" {
		return "", false
	}
	return "Token " + body.Token, true
}

func post(c *http.Client, s *server, path, tok string) int { return status(c, s, "POST", path, tok) }

// Restarting the database: the replicas notice, purge, serve from the
// database while the listener reconnects, and then follow changes again;
// nothing valid is refused once the database is back.
func TestReplicas_DatabaseRestart(t *testing.T) {
	_, rs := replicas(t, 3, "dora")
	a, b := rs[0], rs[1]
	client := &http.Client{}
	keep := a.login("dora", "Strong1pw")
	gone := a.login("dora", "Strong1pw")
	for _, r := range rs {
		if verify(client, r, keep) != 200 || verify(client, r, gone) != 200 {
			t.Fatal("tokens not valid before the restart")
		}
	}
	srv := testdb.Server(t)
	if err := srv.Restart(func() { time.Sleep(300 * time.Millisecond) }); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	// Within the reconnect (backoff at most 2 s), every replica accepts
	// the valid token again.
	for i, r := range rs {
		for verify(client, r, keep) != 200 {
			if time.Since(back) > 10*time.Second {
				t.Fatalf("replica %d refuses a valid token 10 s after the restart:\n%s", i, r.logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	recovered := time.Since(back)
	for i, r := range rs {
		if !strings.Contains(r.logs.String(), "change listener lost") {
			t.Errorf("replica %d did not notice the lost listener", i)
		}
	}
	// Once listening again, a revocation through B reaches A at once.
	for _, r := range rs {
		for !strings.Contains(readyz(client, r), `"listener":"listening"`) {
			if time.Since(back) > 10*time.Second {
				t.Fatalf("listener not back after 10 s: %s", readyz(client, r))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if st := post(client, b, "/api/v1/auth/logout/", gone); st != 204 {
		t.Fatalf("logout after the restart: %d", st)
	}
	revoked := time.Now()
	for verify(client, a, gone) != 401 {
		if time.Since(revoked) > 2*time.Second {
			t.Fatal("revocation after the restart not followed within 2 s")
		}
	}
	t.Logf("database restarted: every replica accepted valid tokens again %v after it was back; revocation then followed in %v", recovered, time.Since(revoked))
}

func readyz(c *http.Client, s *server) string {
	resp, err := c.Get(s.url + "/readyz")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return fmt.Sprintf("%d %s", resp.StatusCode, b.String())
}

// Several replicas starting together with --wipe-sessions-on-boot: each
// wipe runs under the write lock, every replica starts, and the sessions
// from before are gone everywhere.
func TestReplicas_WipeOnBootTogether(t *testing.T) {
	pg := testdb.TargetOf(t, db.Postgres)
	mustCreateUser(t, pg, "wes")
	old := start(t, pg)
	tok := old.login("wes", "Strong1pw")
	old.stop()
	var wg sync.WaitGroup
	rs := make([]*server, 3)
	for i := range rs {
		wg.Add(1)
		go func() { defer wg.Done(); rs[i] = start(t, pg, "--wipe-sessions-on-boot") }()
	}
	wg.Wait()
	client := &http.Client{}
	for i, r := range rs {
		if st := verify(client, r, tok); st != 401 {
			t.Errorf("replica %d accepts a session from before the wipe: %d", i, st)
		}
	}
	fresh := rs[0].login("wes", "Strong1pw")
	for i, r := range rs {
		if st := verify(client, r, fresh); st != 200 {
			t.Errorf("replica %d refuses a session made after the wipes: %d", i, st)
		}
	}
}

func decodeJSON(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
