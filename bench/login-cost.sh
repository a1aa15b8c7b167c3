#!/usr/bin/env bash
# bench/login-cost.sh BASE_REV [NEW_BIN]: what the security log costs a
# sign-in (issue 15: "a sign-in with the event and the outbox write stays
# within 10% of today's login rate"). BASE_REV is a commit from before the
# security log (e.g. 14c6a47): its binary and its seed tool are built in a
# temporary worktree, and the database is seeded at its schema (the new
# binary migrates a copy up when it opens it). NEW_BIN (default
# bin/notechondria-auth) runs twice: as configured by default (events,
# devices) and with webhooks on (every event also goes to the outbox and is
# delivered to a local sink).
#
# Every round runs the three back to back, in a rotating order, each on a
# fresh copy of the same seeded database (1000 accounts with 10 sessions
# each, bench/seed) under load.sh's login flood (wrk -t2 -c64, bench/login.lua,
# budgets off). It prints each run's req/s, then the medians and the ratios
# to the base, measured in this one run; the raw lines go to
# bench/login-cost.txt.
#
# Environment: LOGIN_ROUNDS [5], LOGIN_DURATION [10] seconds per run.
set -euo pipefail

cd "$(dirname "$0")/.."
REV=${1:?usage: bench/login-cost.sh BASE_REV [NEW_BIN]}
NEW=${2:-bin/notechondria-auth}
ROUNDS=${LOGIN_ROUNDS:-5}
D=${LOGIN_DURATION:-10}
PORT=18095
SINK_PORT=18096
WORK=$(mktemp -d /tmp/ntc-login-cost.XXXXXX)
OUT=bench/login-cost.txt
PID="" SINK=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null || true
	[ -n "$SINK" ] && kill "$SINK" 2>/dev/null || true
	git worktree remove --force "$WORK/base-tree" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

wait_up() {
	for _ in $(seq 1 400); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.025
	done
	echo "no answer from $1" >&2
	return 1
}

git worktree add -q --detach "$WORK/base-tree" "$REV"
(cd "$WORK/base-tree" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$REV" -o "$WORK/base" . &&
	CGO_ENABLED=0 go build -trimpath -o "$WORK/seed" ./bench/seed)
BASE=$WORK/base
CGO_ENABLED=0 go build -trimpath -o "$WORK/sink" ./bench/reference
"$WORK/seed" db -db "$WORK/base.db" -users 1000 -sessions 10000 -live 10000 -tokens "$WORK/base.tok" 2>/dev/null
# The webhook sink: the load script's reference server answers 200 to any POST.
"$WORK/sink" -addr "127.0.0.1:$SINK_PORT" 2>/dev/null &
SINK=$!
wait_up "http://127.0.0.1:$SINK_PORT/"

run() { # name bin flags...
	local name=$1 bin=$2
	shift 2
	rm -f "$WORK/run.db"*
	cp "$WORK/base.db" "$WORK/run.db"
	"$bin" serve --addr "127.0.0.1:$PORT" --db "$WORK/run.db" --log-level warn \
		--login-failures-per-account 0 --login-failures-per-ip 0 "$@" >>"$WORK/server.log" 2>&1 &
	PID=$!
	wait_up "http://127.0.0.1:$PORT/healthz"
	curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
		-d '{"identifier":"bench2","password":"Bench-pass-1"}' "http://127.0.0.1:$PORT/api/v1/auth/login/"
	local rps
	rps=$(wrk -t2 -c64 "-d${D}s" --timeout 10s -s bench/login.lua "http://127.0.0.1:$PORT/api/v1/auth/login/" |
		sed -n 's/^RESULT .*"rps":\([0-9.]*\).*/\1/p')
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=""
	echo "$name $rps" | tee -a "$WORK/results"
}

: >"$WORK/results"
names=(base new webhooks)
for r in $(seq 1 "$ROUNDS"); do
	for k in 0 1 2; do
		case ${names[$(((r + k) % 3))]} in
		base) run base "$BASE" ;;
		new) run new "$NEW" ;;
		webhooks) run webhooks "$NEW" --webhook-url "http://127.0.0.1:$SINK_PORT/hook" --webhook-secret bench-secret ;;
		esac
	done
done
{
	echo "# bench/login-cost.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), load $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds x ${D}s"
	echo "# base: $("$BASE" version | head -1); new: $("$NEW" version | head -1)"
	cat "$WORK/results"
	med() { grep "^$1 " "$WORK/results" | cut -d' ' -f2 | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
	awk -v b="$(med base)" -v n="$(med new)" -v w="$(med webhooks)" 'BEGIN {
		printf "median req/s: base %.1f, new %.1f (%.2fx), new with webhooks %.1f (%.2fx)\n", b, n, n / b, w, w / b }'
} | tee "$OUT"
