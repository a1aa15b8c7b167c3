# notechondria-auth: build, run, test, bench, cross, lint.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GOFLAGS_BUILD := -trimpath -ldflags "$(LDFLAGS)"
BIN := bin/notechondria-auth
PREFIX ?= /usr/local
DESTDIR ?=
# Execution counts, not durations: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with "context deadline exceeded" when a loaded machine
# keeps a worker busy at the deadline (golang/go#75804, fixed in Go 1.27); a
# count has no deadline to race. Each target's count is about 5 s of fuzzing
# here; FUZZTIME (a count such as 100000x, or a duration such as 10m) sets
# every target's.
FUZZTIME ?=
fuzztime = $(if $(FUZZTIME),$(FUZZTIME),$(1))
FUZZMINIMIZE ?= 500x

.PHONY: all build run test test-go test-e2e fuzz bench load cross lint install clean screenshots prereqs walk

all: build

## build: the static binary bin/notechondria-auth
build:
	CGO_ENABLED=0 go build $(GOFLAGS_BUILD) -o $(BIN) .

## run: serve on 127.0.0.1:8080 with ./data/notechondria-auth.db (created on first start); the log also goes to ./data/notechondria-auth.log
run: build
	@mkdir -p -m 0700 data
	./$(BIN) serve --addr 127.0.0.1:8080 --db ./data/notechondria-auth.db --log-format console 2>&1 | tee -a ./data/notechondria-auth.log

## walk: the README's "Try it as a new user" block against a fresh server
walk: build
	./scripts/walk.sh

## test: set-up check (installs what is missing when root), vet, Go tests with -race, short fuzzing, the browser test, the README walk
test: prereqs lint test-go fuzz test-e2e walk

## prereqs: check (and as root install) chromium, qemu-user-static, systemd-analyze, sqlite3, postgresql, e2e/node_modules
prereqs:
	./scripts/prereqs.sh

## test-go: every Go test with -race on SQLite (the store tests of db/ on both engines), then the core, HTTP and binary tests again on PostgreSQL (a throwaway cluster the tests start themselves)
test-go: build
	go test -race -count=1 ./...
	NTC_TEST_ENGINE=postgres go test -race -count=1 -skip 'TestReplicas|TestRolling|TestArm64|TestBinaryAtMost|TestSystemd' ./app/ ./api/ .

## fuzz: every fuzz target, about 5 s each (FUZZTIME=10m for longer runs)
fuzz:
	go test -run '^$$' -fuzz '^FuzzParseAuthorization$$' -fuzztime $(call fuzztime,30000x) -fuzzminimizetime $(FUZZMINIMIZE) ./app/
	go test -run '^$$' -fuzz '^FuzzDeviceLabel$$' -fuzztime $(call fuzztime,30000x) -fuzzminimizetime $(FUZZMINIMIZE) ./app/
	go test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(call fuzztime,30000x) -fuzzminimizetime $(FUZZMINIMIZE) ./api/
	go test -run '^$$' -fuzz '^FuzzAccountBodies$$' -fuzztime $(call fuzztime,3000x) -fuzzminimizetime $(FUZZMINIMIZE) ./api/
	go test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(call fuzztime,30000x) -fuzzminimizetime $(FUZZMINIMIZE) ./password/

## test-e2e: the account page (sessions, security activity, API key, password, two-step sign-in, passkeys) in headless Chromium, and the OpenAPI checks, against the real binary
test-e2e: build
	cd e2e && (test -d node_modules || npm ci --no-audit --no-fund) && NTC_BIN=../$(BIN) node --test

## screenshots: run the browser tests and write docs/screenshots/*.png
screenshots: build
	cd e2e && (test -d node_modules || npm ci --no-audit --no-fund) && NTC_SCREENSHOTS=1 NTC_BIN=../$(BIN) node --test account.test.mjs twofactor.test.mjs passkeys.test.mjs security.test.mjs

## bench: Go benchmarks of the hot paths
bench:
	go test -run '^$$' -bench . -benchmem ./api/ ./password/ ./throttle/ | tee bench/go-bench.txt

## load: wrk against the binary and a bare net/http reference (see BENCHMARKS.md)
load: build
	./bench/load.sh

## cross: static binaries for linux/amd64, arm64 and armv7
cross:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build $(GOFLAGS_BUILD) -o bin/notechondria-auth-linux-amd64 .
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build $(GOFLAGS_BUILD) -o bin/notechondria-auth-linux-arm64 .
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 go build $(GOFLAGS_BUILD) -o bin/notechondria-auth-linux-armv7 .

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	go vet ./...

## install: binary and systemd unit under $(DESTDIR)$(PREFIX)
install: build
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/notechondria-auth
	install -D -m 0644 systemd/notechondria-auth.service $(DESTDIR)/etc/systemd/system/notechondria-auth.service
	install -D -m 0600 systemd/notechondria-auth.env.example $(DESTDIR)/etc/notechondria-auth/env.example

clean:
	rm -rf bin
