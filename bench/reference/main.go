// Command reference is the yardstick of bench/load.sh: a bare net/http
// server that answers every request with the same 20-byte JSON body. It does
// nothing the product could skip, so product/reference is the cost of the
// product's own work (routing, middleware, authentication) on the same
// machine, Go version and load generator.
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
)

// body is exactly 20 bytes.
var body = []byte(`{"status":"ok!!!!!"}`)

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address")
	flag.Parse()
	if len(body) != 20 {
		log.Fatalf("body is %d bytes, want 20", len(body))
	}
	n := strconv.Itoa(len(body))
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{n}
		w.Write(body)
	})))
}
