#!/usr/bin/env bash
# scripts/prereqs.sh: check what `make test` needs beyond Go and Node, and
# install what is missing when it can (as root, with apt-get and npm ci);
# otherwise print the one command that would, and fail. Called by `make
# test` first, so a missing Chromium surfaces in seconds, not after the Go
# tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()                       # Debian packages to install
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v qemu-aarch64-static >/dev/null 2>&1 || command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user-static)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# PostgreSQL server binaries: the store and end-to-end tests start a
# throwaway cluster of their own (internal/pgtest); nothing is configured.
command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# nginx: the replica recipe's test (rolling_test.go) runs its own nginx as a
# child process, with its own configuration and ports; it never uses the
# packaged service (which apt may start on port 80).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)

for tool in go node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "prereqs: $tool is not installed; install Go 1.26 and Node 20 first (see README)" >&2
		exit 1
	fi
done

if [ ${#need[@]} -gt 0 ]; then
	cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "prereqs: installing ${need[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	else
		echo "prereqs: missing ${need[*]}; run as root:" >&2
		echo "  sudo sh -c '$cmd'" >&2
		exit 1
	fi
fi

if [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules ]; then
	echo "prereqs: npm ci in e2e/"
	(cd e2e && npm ci --no-audit --no-fund)
fi
echo "prereqs: ok (chromium, qemu-user-static, systemd-analyze, sqlite3, postgresql, nginx, e2e/node_modules)"
