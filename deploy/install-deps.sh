#!/usr/bin/env bash
# Installs every Debian package shardwave needs to build, test and run its demo.
# Idempotent and quiet when everything is already present.
set -euo pipefail

PKGS=(
    build-essential cmake pkg-config clang-format git iproute2 curl jq openssl python3
    libpq-dev default-libmysqlclient-dev libcurl4-openssl-dev libconfig-dev
    libmicrohttpd-dev libjansson-dev libsqlite3-dev libssl-dev libcmocka-dev
    libpg-query-dev
    postgresql-15 postgresql-client-15 mariadb-server mariadb-client sqlite3
    # deployment tests (tests/integration/deploy_*.sh): YAML parsing, man page rendering
    # and lookup, systemd-analyze verify, cpack's dpkg-shlibdeps
    python3-yaml groff-base man-db systemd dpkg-dev
    # promtool (tests/integration/metrics.sh: `promtool check metrics` on /metrics);
    # ~19 MB download, the server it ships is never started by us
    prometheus
    # the dashboard's browser tests (tests/integration/dashboard_*.sh): headless chromium
    # driven by playwright-core (npm ci in tests/browser, below)
    chromium
)
# node and npm for those tests, unless a node is already installed (with its own npm)
command -v node >/dev/null || PKGS+=(nodejs npm)
# The fuzz phase of tests/run.sh (tests/fuzz/run.sh): clang and its libFuzzer and sanitizer
# runtime. Kept apart from PKGS: the container build stage does not need them.
FUZZ_PKGS=(clang-14 libclang-rt-14-dev)

missing=()
for p in "${PKGS[@]}" "${FUZZ_PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
# The browser tests' playwright-core at the version tests/browser/package-lock.json pins
# (from the npm registry; no browser download: the tests use Debian's chromium). Runs when
# node_modules is missing or older than the lock file.
browser_modules()
{
    local dir
    dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/browser"
    [[ -f $dir/package-lock.json ]] || return 0
    [[ $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]] && return 0
    echo "install-deps: npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}

if ((${#missing[@]} == 0)); then
    browser_modules
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# Servers are started by our own scripts on free ports; keep the packaged
# instances from starting at install time.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
browser_modules
