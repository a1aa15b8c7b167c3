// Command reference is the yardstick of bench/load.sh: a bare net/http
// server that answers every request with the same 20-byte JSON body. It does
// nothing the product could skip, so product/reference is the cost of the
// product's own work (routing, middleware, authentication) on the same
// machine, Go version and load generator.
//
// Two opt-in flags (off in load.sh) split that cost for bench/verify-gap.sh:
// -verify-headers answers as GET auth/verify/ does on the wire (200, no body,
// X-Request-Id, the three X-Auth-* headers and Cache-Control: no-store), and
// -product-timeouts gives the server the product's read, write and idle
// timeouts (cli/serve.go, newHTTPServer). With both, what is left between
// this server and the product is the product's own code.
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// body is exactly 20 bytes.
var body = []byte(`{"status":"ok!!!!!"}`)

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address")
	verifyHeaders := flag.Bool("verify-headers", false, "answer with GET auth/verify/'s status and headers, no body")
	productTimeouts := flag.Bool("product-timeouts", false, "the product's server timeouts (cli/serve.go)")
	flag.Parse()
	if len(body) != 20 {
		log.Fatalf("body is %d bytes, want 20", len(body))
	}
	n := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{n}
		w.Write(body)
	})
	if *verifyHeaders {
		var id atomic.Uint64
		user, name, sess, noStore := []string{"1"}, []string{"bench1"}, []string{"1"}, []string{"no-store"}
		h = func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["X-Request-Id"] = []string{"0123abcd-" + strconv.FormatUint(id.Add(1), 36)}
			h["X-Auth-User-Id"] = user
			h["X-Auth-Username"] = name
			h["X-Auth-Session-Id"] = sess
			h["Cache-Control"] = noStore
			w.WriteHeader(http.StatusOK)
		}
	}
	srv := &http.Server{Addr: *addr, Handler: h}
	if *productTimeouts {
		srv.ReadHeaderTimeout, srv.ReadTimeout = 15*time.Second, 15*time.Second
		srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes = 30*time.Second, 2*time.Minute, 64<<10
	}
	log.Fatal(srv.ListenAndServe())
}
