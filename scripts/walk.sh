#!/usr/bin/env bash
# scripts/walk.sh: run the README's "Try it as a new user" block, exactly as
# written between <!-- walk --> and <!-- /walk -->, against a fresh server
# (`make walk`, part of `make test`). Only the address, the database and the
# log file are pointed at a temporary directory. Every curl uses -f, so any
# HTTP error fails the walk.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${NTC_BIN:-bin/notechondria-auth}")
TMP=$(mktemp -d)
PID=""
cleanup() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

"$BIN" serve --addr 127.0.0.1:0 --db "$TMP/auth.db" --log-format console 2>"$TMP/server.log" &
PID=$!
addr=""
for _ in $(seq 1 100); do
	addr=$(grep -o 'addr=127.0.0.1:[0-9]*' "$TMP/server.log" | head -n 1 | cut -d= -f2 || true)
	[ -n "$addr" ] && break
	sleep 0.05
done
if [ -z "$addr" ]; then
	echo "walk: the server did not start:" >&2
	cat "$TMP/server.log" >&2
	exit 1
fi

# The block, with the reader's paths replaced by this run's.
sed -n '/^<!-- walk -->$/,/^<!-- \/walk -->$/p' README.md | sed '1,2d;$d' | sed '$d' |
	sed -e "s#http://127.0.0.1:8080#http://$addr#g" \
		-e "s#\./data/notechondria-auth\.db#$TMP/auth.db#g" \
		-e "s#\./data/notechondria-auth\.log#$TMP/server.log#g" \
		-e "s#bin/notechondria-auth#$BIN#g" >"$TMP/walk.sh"
if [ "$(wc -l <"$TMP/walk.sh")" -lt 20 ]; then
	echo "walk: could not find the README block" >&2
	exit 1
fi
echo "walk: running the README block ($(wc -l <"$TMP/walk.sh") lines) against http://$addr"
if ! (cd "$TMP" && PATH="$PWD:$PATH" bash -euo pipefail -x "$TMP/walk.sh") >"$TMP/out.txt" 2>&1; then
	cat "$TMP/out.txt" >&2
	echo "--- server log" >&2
	tail -n 30 "$TMP/server.log" >&2
	echo "walk: FAILED" >&2
	exit 1
fi
# What the walk promises.
for want in '"revoked":1' 'X-Auth-User-Id: 1' '"email":"robert@example.com"' '"message":"Email updated."'; do
	if ! grep -qF "$want" "$TMP/out.txt"; then
		cat "$TMP/out.txt" >&2
		echo "walk: FAILED: no $want in the output" >&2
		exit 1
	fi
done
echo "walk: ok"
