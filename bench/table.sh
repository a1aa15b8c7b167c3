#!/usr/bin/env bash
# bench/table.sh [FILE]: print a Markdown table from `go test -bench -benchmem`
# output (default bench/go-bench.txt, written by `make bench`).
#   make bench && ./bench/table.sh
set -euo pipefail
f=${1:-$(dirname "$0")/go-bench.txt}
awk '
/^pkg: / { pkg = $2; sub(/^notechondria-auth\//, "", pkg) }
/^Benchmark/ && /ns\/op/ {
	name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
	ns = ""; bop = ""; aop = ""
	for (i = 2; i <= NF; i++) {
		if ($i == "ns/op") ns = $(i-1)
		if ($i == "B/op") bop = $(i-1)
		if ($i == "allocs/op") aop = $(i-1)
	}
	if (!hdr) {
		print "| package | benchmark | time/op | ops/s (1e9 / ns/op) | B/op | allocs/op |"
		print "|---|---|---:|---:|---:|---:|"
		hdr = 1
	}
	t = ns + 0
	if (t >= 1e6) ts = sprintf("%.2f ms", t / 1e6)
	else if (t >= 1e3) ts = sprintf("%.2f µs", t / 1e3)
	else ts = sprintf("%.1f ns", t)
	printf "| %s | %s | %s | %.0f | %s | %s |\n", pkg, name, ts, (t > 0 ? 1e9 / t : 0), bop, aop
}' "$f"
