#!/usr/bin/env bash
# scripts/test-under-load.sh [N]: run `make test` N times (default 10) in a
# row while a parallel `go build -a` loop keeps both cores busy; prints one
# line per run and the pass count. This is how flakiness under load is
# measured (issue 12: 10 of 10 at commit 92ce798).
set -u
cd "$(dirname "$0")/.."
n=${1:-10}
( while true; do go build -a -o /dev/null ./... >/dev/null 2>&1; done ) &
loop=$!
trap 'kill $loop 2>/dev/null; wait $loop 2>/dev/null' EXIT
pass=0
for i in $(seq 1 "$n"); do
	start=$(date +%s)
	if make test >"/tmp/test-under-load-$i.log" 2>&1; then
		pass=$((pass + 1)); r=PASS
	else
		r="FAIL (see /tmp/test-under-load-$i.log)"
	fi
	echo "run $i: $r in $(($(date +%s) - start))s, load $(cut -d' ' -f1 /proc/loadavg)"
done
echo "passes: $pass/$n"
[ "$pass" = "$n" ]
