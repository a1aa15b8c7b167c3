#!/usr/bin/env bash
# bench/load.sh: wrk load test of notechondria-auth against a bare net/http
# reference server (issue 4). Called by `make load`; see BENCHMARKS.md.
#
# For each round and each scenario it runs the reference and the product with
# the same wrk command (wrk -t2 -c64 -d$LOAD_DURATION --latency, same headers,
# same script), alternating which goes first from round to round, and starts
# the product fresh on a fresh copy of the seeded database for every run (so
# runs are independent and VmHWM is the peak of that scenario alone). The
# product server runs only during its own wrk run, so its background work
# (the sweeper in f2) never steals CPU from the reference run.
#
# Scenarios:
#   a   GET /api/v1/auth/verify/, valid token, warm cache (defaults)
#   b   the same, --cache-size 0 (one SELECT per request)
#   c   the same, --touch-interval 0 (one UPDATE per request, write-through)
#   d   GET /api/v1/auth/sessions/ for a user with 10 sessions
#   g   GET /api/v1/auth/session/ (the probe every front end calls on load)
#   h   GET /api/v1/settings/
#   e   POST /api/v1/auth/login/ flood (argon2id, default parameters)
#   f1  (a) on a database with $LOAD_BIG_ROWS session rows
#   f2  (a) on that database while the sweeper deletes the expired rows
#   pa  (a) on PostgreSQL (one replica; the base data moved with migrate-store)
#   pb  (b) on PostgreSQL (one SELECT per request)
#   pe  (e) on PostgreSQL
#
# Environment (defaults in brackets):
#   LOAD_DURATION [10]   seconds per wrk run
#   LOAD_ROUNDS   [3]    rounds (medians are taken over them)
#   LOAD_SCENARIOS ["a b c d g h e f1 f2 pa pb pe"]
#   LOAD_PG_PORT  [18093]  the throwaway PostgreSQL cluster of the p scenarios
#                          (initdb + pg_ctl, as the postgres user when root)
#   LOAD_BIG_ROWS [1000000]  session rows for f (all but 10,000 expired)
#   LOAD_REF_PORT [18090], LOAD_PROD_PORT [18091]
#   LOAD_WORKDIR  [mktemp -d]  databases, logs, helper binaries
#   LOAD_KEEP     [0]    keep LOAD_WORKDIR afterwards
#   LOAD_SKIP_BUILD [0]  do not run `make build`
#
# Output: bench/results-raw.csv (one line per wrk run), bench/meta.json
# (machine, cold start, idle RSS, hash time), bench/results.json (medians,
# ratios, targets), bench/chart.svg, and the table on stdout (also saved in
# bench/load-table.md).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

D=${LOAD_DURATION:-10}
ROUNDS=${LOAD_ROUNDS:-3}
SCENARIOS=${LOAD_SCENARIOS:-"a b c d g h e f1 f2 pa pb pe"}
PG_PORT=${LOAD_PG_PORT:-18093}
PG_URL=postgres://postgres@127.0.0.1:$PG_PORT
PG_DIR=""
BIG_ROWS=${LOAD_BIG_ROWS:-1000000}
REF_PORT=${LOAD_REF_PORT:-18090}
PROD_PORT=${LOAD_PROD_PORT:-18091}
WORK=${LOAD_WORKDIR:-$(mktemp -d /tmp/ntc-load.XXXXXX)}
mkdir -p "$WORK/bin" "$WORK/logs"
BIN=$ROOT/bin/notechondria-auth
RAW=$ROOT/bench/results-raw.csv
META=$ROOT/bench/meta.json
REF_URL=http://127.0.0.1:$REF_PORT
PROD_URL=http://127.0.0.1:$PROD_PORT

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

REF_PID=""
PROD_PID=""
cleanup() {
	if [ -n "$PROD_PID" ]; then kill "$PROD_PID" 2>/dev/null || true; wait "$PROD_PID" 2>/dev/null || true; fi
	if [ -n "$REF_PID" ]; then kill "$REF_PID" 2>/dev/null || true; wait "$REF_PID" 2>/dev/null || true; fi
	if [ -n "$PG_DIR" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; fi
	if [ "${LOAD_KEEP:-0}" != 1 ] && [ -z "${LOAD_WORKDIR:-}" ]; then rm -rf "$WORK"; fi
}

# as_pg runs a PostgreSQL server command as the postgres user when root
# (the server refuses to run as root).
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_pg makes and starts a throwaway cluster for the p scenarios, with
# the server's default durability (fsync, synchronous_commit on).
start_pg() {
	local initdb
	initdb=$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1)
	[ -n "$initdb" ] || { echo "PostgreSQL server binaries not found: run scripts/prereqs.sh (as root) or apt-get install postgresql" >&2; exit 1; }
	PG_BIN=$(dirname "$(readlink -f "$initdb")")
	PG_DIR=$(mktemp -d /tmp/ntc-load-pg.XXXXXX)
	if [ "$(id -u)" = 0 ]; then chown postgres "$PG_DIR"; fi
	as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 >/dev/null
	as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
		-o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
}

# psql_admin runs one SQL statement on the cluster's postgres database.
psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql -q -X -v ON_ERROR_STOP=1 "$PG_URL/postgres" -c "$1" >/dev/null; }
trap cleanup EXIT

# --- tools -----------------------------------------------------------------
if ! command -v wrk >/dev/null; then
	log "wrk not found: installing it from Debian's packages"
	if [ "$(id -u)" = 0 ]; then
		apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
	else
		sudo apt-get install -y wrk >/dev/null
	fi
fi
command -v curl >/dev/null || { echo "curl is required" >&2; exit 1; }

if [ "${LOAD_SKIP_BUILD:-0}" != 1 ]; then
	log "make build"
	make -s build >&2
fi
log "building bench helpers (reference, seed, coldstart, report)"
for t in reference seed coldstart report; do
	CGO_ENABLED=0 go build -trimpath -o "$WORK/bin/$t" "./bench/$t"
done

# --- helpers ---------------------------------------------------------------
wait_http() { # url [expected status]
	local url=$1 want=${2:-200} i
	for i in $(seq 1 400); do
		if [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" = "$want" ]; then return 0; fi
		sleep 0.025
	done
	echo "no $want from $url" >&2
	return 1
}

proc_kb() { # pid field -> kB value from /proc/pid/status
	awk -v f="$2:" '$1==f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

proc_cpu_ms() { # pid -> user+system CPU time in ms
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14+$15)*1000/hz) }' "/proc/$1/stat" 2>/dev/null || echo 0
}

fresh_db() { # src dst: copy a seeded database (no WAL left by seeding)
	rm -f "$2" "$2-wal" "$2-shm"
	cp "$1" "$2"
}

start_prod() { # db flags...
	local db=$1
	shift
	"$BIN" serve --addr "127.0.0.1:$PROD_PORT" --db "$db" --log-level warn "$@" \
		>>"$WORK/logs/server.log" 2>&1 &
	PROD_PID=$!
	wait_http "$PROD_URL/healthz"
}

stop_prod() {
	kill "$PROD_PID" 2>/dev/null || true
	wait "$PROD_PID" 2>/dev/null || true
	PROD_PID=""
}

# run_wrk name url script [header] -> prints the RESULT json
run_wrk() {
	local name=$1 url=$2 script=$3 hdr=${4:-}
	local args=(-t2 -c64 "-d${D}s" --latency --timeout 10s -s "$script")
	if [ -n "$hdr" ]; then args+=(-H "$hdr"); fi
	wrk "${args[@]}" "$url" >"$WORK/logs/$name.txt" 2>&1 || { cat "$WORK/logs/$name.txt" >&2; return 1; }
	grep '^RESULT ' "$WORK/logs/$name.txt" | sed 's/^RESULT //'
}

json_field() { # json key -> value (numbers only)
	sed -n "s/.*\"$2\":\([-0-9.e+]*\).*/\1/p" <<<"$1"
}

# --- machine ---------------------------------------------------------------
NPROC=$(nproc)
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM_KB=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
GOV=$(go env GOVERSION)
KERNEL=$(uname -r)
WRKV=$( (wrk --version 2>&1 || true) | head -1 | awk '{print $1, $2}')
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
BINVER=$("$BIN" version 2>/dev/null | head -1 || echo unknown)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ)
log "machine: $NPROC x $CPU_MODEL, $((MEM_KB / 1024)) MiB, $GOV, load $LOAD_START"

# --- seed ------------------------------------------------------------------
# base: 1000 users x 10 live sessions (10,000 rows): a-e and the 10k side of f.
# big: the same users, $BIG_ROWS rows of which the first 10,000 are live and
# the rest expired a month ago (the sweeper's work in f2).
log "seeding base database (10,000 sessions)"
"$WORK/bin/seed" db -db "$WORK/base.db" -users 1000 -sessions 10000 -live 10000 -tokens "$WORK/base.tok" 2>>"$WORK/logs/seed.log"
SEED_BIG_S=0
if [[ " $SCENARIOS " == *" f"* ]]; then
	log "seeding big database ($BIG_ROWS sessions)"
	t0=$(date +%s.%N)
	"$WORK/bin/seed" db -db "$WORK/big.db" -users 1000 -sessions "$BIG_ROWS" -live 10000 -tokens "$WORK/big.tok" 2>>"$WORK/logs/seed.log"
	SEED_BIG_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	log "seeded in ${SEED_BIG_S}s ($(du -m "$WORK/big.db" | cut -f1) MB)"
fi
cat "$WORK/logs/seed.log" >&2
if [[ " $SCENARIOS " == *" p"* ]]; then
	log "starting a PostgreSQL cluster on port $PG_PORT; moving the base database into it (migrate-store)"
	start_pg
	psql_admin "CREATE DATABASE base"
	"$BIN" migrate-store --from "$WORK/base.db" --to "$PG_URL/base" >>"$WORK/logs/seed.log" 2>&1
fi
TOKEN=$(head -1 "$WORK/base.tok")    # a session of bench1, who has 10 live sessions
BIG_TOKEN=$(head -1 "$WORK/big.tok" 2>/dev/null || true) # live session in the big database

# --- single argon2id hash time ----------------------------------------------
log "timing one argon2id hash (default parameters)"
HASH_JSON=$("$WORK/bin/seed" hashtime -n 15)
log "hash: $HASH_JSON"

# --- cold start and idle RSS -------------------------------------------------
log "cold start to /healthz 200 on an existing database (5 trials), idle RSS"
fresh_db "$WORK/base.db" "$WORK/cold.db"
"$BIN" serve --addr "127.0.0.1:$PROD_PORT" --db "$WORK/cold.db" --log-level warn >/dev/null 2>&1 &
PROD_PID=$!
wait_http "$PROD_URL/healthz"
stop_prod # first start on the copy: migrations check and server secret created
COLD_JSON=$("$WORK/bin/coldstart" -n 5 -idle 3s -url "$PROD_URL/healthz" -- \
	"$BIN" serve --addr "127.0.0.1:$PROD_PORT" --db "$WORK/cold.db" --log-level warn 2>>"$WORK/logs/coldstart.log") || {
	log "cold start measurement failed:"
	tail -5 "$WORK/logs/coldstart.log" >&2
	exit 1
}
log "cold start: $COLD_JSON"

# --- reference server ---------------------------------------------------------
"$WORK/bin/reference" -addr "127.0.0.1:$REF_PORT" 2>>"$WORK/logs/reference.log" &
REF_PID=$!
wait_http "$REF_URL/"

echo "round,scenario,target,order,rps,p50_us,p99_us,max_us,requests,non2xx,errors,cpu_ms,hwm_kb,rss_kb,expired_before,expired_after" >"$RAW"

# scenario_setup s: sets DBSRC PATHQ SCRIPT HDR FLAGS for scenario s
scenario_setup() {
	DBSRC=$WORK/base.db PATHQ=/api/v1/auth/verify/ SCRIPT=bench/stats.lua HDR="Authorization: Token $TOKEN" FLAGS=() PG=0
	case $1 in
	a) ;;
	b) FLAGS=(--cache-size 0) ;;
	c) FLAGS=(--touch-interval 0) ;;
	d) PATHQ=/api/v1/auth/sessions/ ;;
	g) PATHQ=/api/v1/auth/session/ ;;
	h) PATHQ=/api/v1/settings/ ;;
	e)
		PATHQ=/api/v1/auth/login/ SCRIPT=bench/login.lua HDR=""
		FLAGS=(--login-failures-per-account 0 --login-failures-per-ip 0)
		;;
	f1) DBSRC=$WORK/big.db HDR="Authorization: Token $BIG_TOKEN" ;;
	f2)
		DBSRC=$WORK/big.db HDR="Authorization: Token $BIG_TOKEN"
		FLAGS=(--sweep-interval 1s --sweep-batch 500)
		;;
	pa) PG=1 ;;
	pb) PG=1 FLAGS=(--cache-size 0) ;;
	pe)
		PG=1 PATHQ=/api/v1/auth/login/ SCRIPT=bench/login.lua HDR=""
		FLAGS=(--login-failures-per-account 0 --login-failures-per-ip 0)
		;;
	*) echo "unknown scenario $1" >&2; exit 1 ;;
	esac
}

run_ref() { # round scenario order
	local c0 c1 res
	c0=$(proc_cpu_ms "$REF_PID")
	res=$(run_wrk "r$1-$2-ref" "$REF_URL$PATHQ" "$SCRIPT" "$HDR")
	c1=$(proc_cpu_ms "$REF_PID")
	emit "$1" "$2" ref "$3" "$res" $((c1 - c0)) "$(proc_kb "$REF_PID" VmHWM)" "$(proc_kb "$REF_PID" VmRSS)" "" ""
}

run_prod() { # round scenario order
	local c0 c1 res hwm rss before="" after=""
	if [ "$PG" = 1 ]; then
		psql_admin "DROP DATABASE IF EXISTS run WITH (FORCE)"
		psql_admin "CREATE DATABASE run TEMPLATE base"
		start_prod "$PG_URL/run" "${FLAGS[@]}"
	else
		fresh_db "$DBSRC" "$WORK/run.db"
		start_prod "$WORK/run.db" "${FLAGS[@]}"
	fi
	# Correctness first: the request under test must succeed, or wrk would
	# measure fast 401s.
	if [ "$2" = e ] || [ "$2" = pe ]; then
		curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
			-d '{"identifier":"bench2","password":"Bench-pass-1"}' "$PROD_URL$PATHQ" || { echo "login failed" >&2; exit 1; }
	else
		curl -sf -o /dev/null -H "$HDR" "$PROD_URL$PATHQ" || { echo "$PATHQ with the seeded token failed" >&2; exit 1; }
	fi
	if [ "$2" = f2 ]; then
		sleep 1.5 # the first sweep starts one --sweep-interval after start
		before=$("$WORK/bin/seed" count -db "$WORK/run.db" | sed -n 's/.*"expired":\([0-9]*\).*/\1/p')
	fi
	c0=$(proc_cpu_ms "$PROD_PID")
	res=$(run_wrk "r$1-$2-prod" "$PROD_URL$PATHQ" "$SCRIPT" "$HDR")
	c1=$(proc_cpu_ms "$PROD_PID")
	hwm=$(proc_kb "$PROD_PID" VmHWM)
	rss=$(proc_kb "$PROD_PID" VmRSS)
	if [ "$2" = f2 ]; then
		after=$("$WORK/bin/seed" count -db "$WORK/run.db" | sed -n 's/.*"expired":\([0-9]*\).*/\1/p')
	fi
	stop_prod
	emit "$1" "$2" prod "$3" "$res" $((c1 - c0)) "$hwm" "$rss" "$before" "$after"
}

emit() { # round scenario target order json cpu hwm rss before after
	local j=$5
	local line
	line="$1,$2,$3,$4,$(json_field "$j" rps),$(json_field "$j" p50_us),$(json_field "$j" p99_us),$(json_field "$j" max_us),$(json_field "$j" requests),$(json_field "$j" non2xx),$(json_field "$j" errors),$6,$7,$8,${9},${10}"
	echo "$line" >>"$RAW"
	log "  $(printf '%-3s %-4s' "$2" "$3") $(printf '%10.0f req/s' "$(json_field "$j" rps)")  p50 $(json_field "$j" p50_us)us  p99 $(json_field "$j" p99_us)us  cpu ${6}ms  hwm ${7}kB  non2xx $(json_field "$j" non2xx) err $(json_field "$j" errors)${9:+  expired $9 -> ${10}}"
	if [ "$(json_field "$j" non2xx)" != 0 ]; then
		echo "non-2xx answers in $2/$3: the measurement is invalid (see $WORK/logs)" >&2
		LOAD_KEEP=1
		exit 1
	fi
}

for round in $(seq 1 "$ROUNDS"); do
	for s in $SCENARIOS; do
		scenario_setup "$s"
		log "round $round/$ROUNDS scenario $s"
		# Alternate which side goes first, so slow drift of the shared machine
		# does not always favour the same side.
		if [ $((round % 2)) = 1 ]; then
			run_ref "$round" "$s" 1
			run_prod "$round" "$s" 2
		else
			run_prod "$round" "$s" 1
			run_ref "$round" "$s" 2
		fi
	done
done

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
# Errors the server logged; "context canceled" ones come from requests that
# wrk abandoned when its time was up (queued logins) and from stopping the
# server mid-sweep, and are counted apart.
SERVER_ERRORS=$(grep '"level":"error"' "$WORK/logs/server.log" | grep -vc 'context canceled' || true)
SERVER_CANCELED=$(grep '"level":"error"' "$WORK/logs/server.log" | grep -c 'context canceled' || true)
if [ "$SERVER_ERRORS$SERVER_CANCELED" != 00 ]; then
	log "the server logged $SERVER_ERRORS errors and $SERVER_CANCELED context-canceled errors:"
	grep '"level":"error"' "$WORK/logs/server.log" | sed 's/"time":"[^"]*",//; s/"req_id":"[^"]*",//' | sort | uniq -c | sort -rn | head -8 >&2
fi
cat >"$META" <<EOF
{
  "started": "$STARTED",
  "finished": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "commit": "$COMMIT",
  "binary_version": "$BINVER",
  "nproc": $NPROC,
  "cpu_model": "$CPU_MODEL",
  "mem_total_kb": $MEM_KB,
  "go_version": "$GOV",
  "kernel": "$KERNEL",
  "wrk": "$WRKV",
  "wrk_args": "-t2 -c64 -d${D}s --latency --timeout 10s",
  "duration_s": $D,
  "rounds": $ROUNDS,
  "big_rows": $BIG_ROWS,
  "seed_big_s": $SEED_BIG_S,
  "loadavg_start": "$LOAD_START",
  "loadavg_end": "$LOAD_END",
  "server_log_level": "warn",
  "server_errors_logged": ${SERVER_ERRORS:-0},
  "server_context_canceled_errors_logged": ${SERVER_CANCELED:-0},
  "hash": $HASH_JSON,
  "coldstart": $COLD_JSON
}
EOF

"$WORK/bin/report" -raw "$RAW" -meta "$META" -json bench/results.json -svg bench/chart.svg | tee bench/load-table.md
