package api_test

// Races on the sessions of sessions.go, for the race detector: revocations
// against requests, touches against flushes and sweeps.

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"notechondria-auth/api"
)

// TestSessions_Core_RevokeRace revokes sessions while other goroutines hammer them,
// with a large cache, a one-entry cache (constant misses and evictions: the
// generation check of the miss path) and no cache. Once a revocation has
// answered, every request that starts afterwards must get 401.
func TestSessions_Core_RevokeRace(t *testing.T) {
	for _, size := range []int{10000, 1, 0} {
		t.Run("cache="+strconv.Itoa(size), func(t *testing.T) {
			e := newEnv(t, func(c *api.Config) { c.CacheSize = size })
			e.createUser("alice", "alice@example.com", "Strong1pw")
			admin := e.login("alice", "Strong1pw")
			const victims = 4
			type victim struct {
				tok     string
				id      int64
				revoked atomic.Bool
			}
			vs := make([]*victim, victims)
			for i := range vs {
				r := e.loginBody("alice", "Strong1pw")
				vs[i] = &victim{tok: "Token " + r.body["token"].(string), id: sessionID(r)}
			}
			var wg sync.WaitGroup
			stop := make(chan struct{})
			var bad atomic.Int64
			for w := 0; w < 6; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					paths := []string{"auth/verify/", "auth/sessions/"}
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						v := vs[(w+i)%victims]
						wasRevoked := v.revoked.Load() // read before the request starts
						st := e.status("GET", paths[i%2], v.tok)
						switch {
						case wasRevoked && st != 401:
							bad.Add(1)
							t.Errorf("session %d answered %d after its revocation", v.id, st)
						case st != 200 && st != 401:
							t.Errorf("unexpected status %d", st)
						}
					}
				}(w)
			}
			for _, v := range vs {
				time.Sleep(15 * time.Millisecond)
				if st := e.status("DELETE", "auth/sessions/"+strconv.FormatInt(v.id, 10)+"/", admin); st != 204 {
					t.Errorf("revoke: %d", st)
				}
				v.revoked.Store(true)
			}
			time.Sleep(30 * time.Millisecond)
			close(stop)
			wg.Wait()
			for _, v := range vs {
				e.do("GET", "auth/verify/", nil, v.tok).expect401(t, msgInvalidToken)
			}
			e.do("GET", "auth/verify/", nil, admin).expect(t, 200, "")
			if bad.Load() > 0 {
				t.Fatalf("%d requests accepted a revoked session", bad.Load())
			}
		})
	}
}

// TestSessions_Core_TouchFlushRace runs touches, flushes, lists and sweeps at once
// (for the race detector) and checks that no live session is lost.
func TestSessions_Core_TouchFlushRace(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.CacheSize = 2 })
	u := e.createUser("alice", "alice@example.com", "Strong1pw")
	toks := []string{e.login("alice", "Strong1pw"), e.login("alice", "Strong1pw"), e.login("alice", "Strong1pw")}
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(tok string) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if st := e.status("GET", "auth/verify/", tok); st != 200 {
					t.Errorf("verify: %d", st)
				}
			}
		}(toks[w])
	}
	for i := 0; i < 20; i++ {
		e.clock.Advance(10 * time.Minute)
		e.srv.Flush(ctx)
		if i%5 == 0 {
			e.srv.Core().Sweep(ctx)
		}
		time.Sleep(2 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	e.srv.Flush(ctx)
	if rows := e.storedSessions(u.ID); len(rows) != 3 {
		t.Fatalf("stored sessions %d", len(rows))
	}
	if rows, _ := e.sessions(toks[0]); len(rows) != 3 {
		t.Fatalf("listed sessions %v", rows)
	}
}
