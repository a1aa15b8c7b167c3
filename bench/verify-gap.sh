#!/usr/bin/env bash
# bench/verify-gap.sh: where the gap between scenario (a) of bench/load.sh
# (GET auth/verify/, warm cache) and the bare reference comes from. It runs
# the same wrk command against five servers, in turn, for each round:
#
#   ref       bench/reference as load.sh runs it
#   timeouts  the same with the product's server timeouts (-product-timeouts)
#   headers   the same answering with verify's status and headers (-verify-headers)
#   both      both flags: net/http doing exactly the product's wire work
#   product   bin/notechondria-auth serve (defaults, --log-level warn)
#
# and prints req/s, the ratio to ref of the same round, and the server's CPU
# time per request (user+system from /proc/<pid>/stat). "both" vs "product"
# is the product's own code; "ref" vs "both" is the wire and the timeouts.
#
# Environment: GAP_ROUNDS [5], GAP_DURATION [8] seconds, GAP_PORT [18092],
# LOAD_SKIP_BUILD=1 to skip `make build`.
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${GAP_ROUNDS:-5}
D=${GAP_DURATION:-8}
PORT=${GAP_PORT:-18092}
URL=http://127.0.0.1:$PORT/api/v1/auth/verify/
WORK=$(mktemp -d /tmp/ntc-gap.XXXXXX)
PID=""
cleanup() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

if [ "${LOAD_SKIP_BUILD:-0}" != 1 ]; then make -s build >&2; fi
for t in reference seed; do CGO_ENABLED=0 go build -trimpath -o "$WORK/$t" "./bench/$t"; done
"$WORK/seed" db -db "$WORK/base.db" -users 1000 -sessions 10000 -live 10000 -tokens "$WORK/base.tok" >&2
TOKEN=$(head -1 "$WORK/base.tok")
HZ=$(getconf CLK_TCK)
echo "$(date -u +%FT%TZ) commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)," \
	"wrk -t2 -c64 -d${D}s, $ROUNDS rounds"

start() { # variant
	case $1 in
	ref) "$WORK/reference" -addr "127.0.0.1:$PORT" & ;;
	timeouts) "$WORK/reference" -addr "127.0.0.1:$PORT" -product-timeouts & ;;
	headers) "$WORK/reference" -addr "127.0.0.1:$PORT" -verify-headers & ;;
	both) "$WORK/reference" -addr "127.0.0.1:$PORT" -verify-headers -product-timeouts & ;;
	product)
		cp "$WORK/base.db" "$WORK/run.db"
		rm -f "$WORK/run.db-wal" "$WORK/run.db-shm"
		bin/notechondria-auth serve --addr "127.0.0.1:$PORT" --db "$WORK/run.db" --log-level warn >>"$WORK/server.log" 2>&1 &
		;;
	esac
	PID=$!
	for _ in $(seq 1 400); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Token $TOKEN" "$URL")" = 200 ] && return 0
		sleep 0.025
	done
	echo "$1 did not answer 200" >&2
	exit 1
}

VARIANTS="ref timeouts headers both product"
: >"$WORK/runs"
for round in $(seq 1 "$ROUNDS"); do
	for v in $VARIANTS; do
		start "$v"
		c0=$(awk '{print $14+$15}' "/proc/$PID/stat")
		res=$(wrk -t2 -c64 "-d${D}s" --latency --timeout 10s -s bench/stats.lua -H "Authorization: Token $TOKEN" "$URL" | grep '^RESULT ')
		c1=$(awk '{print $14+$15}' "/proc/$PID/stat")
		kill "$PID"
		wait "$PID" 2>/dev/null || true
		PID=""
		rps=$(sed -n 's/.*"rps":\([0-9.]*\).*/\1/p' <<<"$res")
		n=$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' <<<"$res")
		non2xx=$(sed -n 's/.*"non2xx":\([0-9]*\).*/\1/p' <<<"$res")
		[ "$non2xx" = 0 ] || { echo "$v: $non2xx non-2xx answers" >&2; exit 1; }
		echo "$round $v $rps $(awk -v c=$((c1 - c0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.2f", c * 1e6 / hz / n }')" >>"$WORK/runs"
	done
	awk -v r="$round" '$1 == r { if ($2 == "ref") ref = $3; rps[$2] = $3; cpu[$2] = $4; o[++k] = $2 }
		END { printf "round %d:", r; for (i = 1; i <= k; i++) printf "  %s %.0f (%.2fx, %s µs)", o[i], rps[o[i]], rps[o[i]] / ref, cpu[o[i]]; print "" }' "$WORK/runs"
done
echo "medians over $ROUNDS rounds (ratio: median of the per-round ratios to ref):"
for v in $VARIANTS; do
	awk -v v="$v" '$2 == "ref" { ref[$1] = $3 } $2 == v { rps[$1] = $3; cpu[$1] = $4 }
		END { n = 0; for (r in rps) { n++; a[n] = rps[r]; b[n] = rps[r] / ref[r]; c[n] = cpu[r] }
			printf "  %-9s %8.0f req/s  %.2fx  %6.2f µs CPU/req\n", v, med(a, n), med(b, n), med(c, n) }
		function med(x, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
			return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2 }' "$WORK/runs"
done
