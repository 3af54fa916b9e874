#!/usr/bin/env bash
# Installs the Debian packages shardwave needs. Idempotent and quiet when everything is
# already present.
#
# Usage: deploy/install-deps.sh [--quickstart [--engines LIST]] [--print]
#   (no option)       everything to build, test and run the demo: the build toolchain and
#                     libraries, PostgreSQL 15 and MariaDB servers, and the test-only tools
#                     (chromium, nodejs/npm and `npm ci` in tests/browser, prometheus for
#                     promtool, clang-14 for fuzzing, systemd/dpkg-dev/man-db and friends
#                     for the deployment tests); what tests/run.sh uses
#   --quickstart      only what building and the quickstart demo need: the build
#                     toolchain, the -dev libraries, sqlite3, curl, jq, openssl, iproute2;
#                     no test-only tool and no database server unless --engines asks
#   --engines LIST    with --quickstart: comma-separated sqlite (default), pg, mysql; pg
#                     adds postgresql-15 and its client, mysql mariadb-server and its client
#                     (the demo's throwaway servers)
#   --print           print the profile's packages, one a line (and `npm ci tests/browser`
#                     when the profile runs it), and install nothing
#   -h, --help        this text
# Exit status: 0 when everything is present (or printed); 1 when packages are missing and
# this is not root (the apt-get line to run is printed); 2 bad usage.
set -euo pipefail

# What building needs (tests included: SW_BUILD_TESTS is on by default, hence cmocka).
BUILD_PKGS=(
    build-essential cmake pkg-config git
    libpq-dev default-libmysqlclient-dev libcurl4-openssl-dev libconfig-dev
    libmicrohttpd-dev libjansson-dev libsqlite3-dev libssl-dev libcmocka-dev
    libpg-query-dev
)
# What the quickstart demo runs besides the binaries (tokens, ports, the API, SQLite shards).
DEMO_PKGS=(curl jq openssl iproute2 sqlite3)
PG_PKGS=(postgresql-15 postgresql-client-15)
MYSQL_PKGS=(mariadb-server mariadb-client)
TEST_PKGS=(
    clang-format python3
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
# The fuzz phase of tests/run.sh (tests/fuzz/run.sh): clang and its libFuzzer and sanitizer
# runtime: only for tests/run.sh, never for building or the demo.
FUZZ_PKGS=(clang-14 libclang-rt-14-dev)

usage_error()
{
    echo "install-deps: $*" >&2
    echo "see: deploy/install-deps.sh --help" >&2
    exit 2
}

quickstart=0
engines=""
print=0
while (($# > 0)); do
    case $1 in
    --quickstart) quickstart=1 ;;
    --engines)
        (($# >= 2)) || usage_error "--engines needs a value"
        engines=$2
        shift
        ;;
    --print) print=1 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) usage_error "unknown option '$1'" ;;
    esac
    shift
done
[[ -z $engines || $quickstart == 1 ]] ||
    usage_error "--engines goes with --quickstart (the default installs every engine)"

PKGS=("${BUILD_PKGS[@]}" "${DEMO_PKGS[@]}")
npm_ci=0
if ((quickstart)); then
    IFS=',' read -r -a engine_list <<<"${engines:-sqlite}"
    ((${#engine_list[@]} > 0)) || usage_error "--engines needs at least one of sqlite, pg, mysql"
    for e in "${engine_list[@]}"; do
        case $e in
        sqlite) ;;
        pg) PKGS+=("${PG_PKGS[@]}") ;;
        mysql) PKGS+=("${MYSQL_PKGS[@]}") ;;
        *) usage_error "unknown engine '$e' (expected sqlite, pg or mysql)" ;;
        esac
    done
else
    PKGS+=("${PG_PKGS[@]}" "${MYSQL_PKGS[@]}" "${TEST_PKGS[@]}" "${FUZZ_PKGS[@]}")
    # node and npm for the browser tests, unless a node is already installed (with its npm)
    command -v node >/dev/null || PKGS+=(nodejs npm)
    npm_ci=1
fi

if ((print)); then
    printf '%s\n' "${PKGS[@]}" | awk '!seen[$0]++'
    ((npm_ci == 0)) || echo "npm ci tests/browser"
    exit 0
fi

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
# The browser tests' playwright-core at the version tests/browser/package-lock.json pins
# (from the npm registry; no browser download: the tests use Debian's chromium). Runs when
# node_modules is missing or older than the lock file.
browser_modules()
{
    ((npm_ci)) || return 0
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
