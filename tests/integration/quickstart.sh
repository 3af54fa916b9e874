#!/usr/bin/env bash
# deploy/quickstart.sh, non-interactively with small fleets, so README command 1 never
# rots: install-deps.sh --quickstart --print lists the build and demo packages, no
# test-only tool, the database servers only with their engines; --local runs the
# single-database demo; a canary wave on 8 SQLite shards completes (every shard at the set's latest
# version, the canary finished before any other shard started, the histogram printed,
# tokens mode 600, every process it started stopped); a migration that fails on the
# canary halts the wave, exits 1 and leaves every other shard untouched; SIGTERM during
# a wave stops everything it started; usage errors exit 2; with SW_TEST_PG_DSN and
# SW_TEST_MYSQL_DSN a mixed SQLite + PostgreSQL + MariaDB fleet completes and its
# databases are dropped afterwards.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/common.sh
source "$here/../lib/common.sh"
SW_MSG_PREFIX=quickstart
repo=${SW_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
bin=${SW_BIN_DIR:-$repo/build/bin}
qs="$repo/deploy/quickstart.sh"
for b in shardwave shardwave-coordinator shardwave-agent; do
    [[ -x $bin/$b ]] || sw_die "$bin/$b is not built"
done
for tool in curl jq sqlite3 openssl; do
    command -v "$tool" >/dev/null || sw_die "$tool is required"
done
tmp=$(mktemp -d "${SW_TEST_TMPDIR:-${TMPDIR:-/tmp}}/sw_quickstart.XXXXXX")
bg=""
cleanup()
{
    if [[ -n $bg ]] && kill -0 "$bg" 2>/dev/null; then
        kill -TERM "$bg" 2>/dev/null || true
        wait "$bg" 2>/dev/null || true
    fi
    [[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

out=""
fail()
{
    sw_msg "FAIL: $*"
    if [[ -n $out && -f $out ]]; then
        sed 's/^/  quickstart: /' "$out" >&2
    fi
    local log
    for log in "$tmp"/*/logs/*.log; do
        [[ -f $log ]] || continue
        printf -- '--- %s (tail) ---\n' "$log" >&2
        tail -n 20 "$log" >&2
    done
    exit 1
}

# run_qs NAME WANT_RC ARGS...: runs the quickstart, output in $tmp/NAME.out
run_qs()
{
    local name=$1 want=$2 rc=0
    shift 2
    out="$tmp/$name.out"
    timeout 600 "$qs" --bin-dir "$bin" "$@" >"$out" 2>&1 </dev/null || rc=$?
    [[ $rc == "$want" ]] || fail "$name: exit status $rc, expected $want"
}

contains() # name needle
{
    grep -qF -- "$2" "$out" || fail "$1: '$2' not in the output"
}

# Every pid the quickstart reported starting is gone.
all_stopped()
{
    local pid
    while read -r pid; do
        if kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
    done < <(sed -n 's/^started .* (pid \([0-9]*\)).*/\1/p' "$out")
}

latest=$(find "$repo/deploy/examples/migrations" -name 'V*.sql' | sed 's#.*/V\([0-9]*\)__.*#\1#' |
    sort -n | tail -n1)

history() # db sql
{
    sqlite3 "$1" "$2"
}

shard_version() # db: highest applied up version (no rows: 0)
{
    history "$1" "SELECT coalesce(max(CAST(version AS INTEGER)), 0) FROM shardwave_schema_history
                  WHERE direction = 'up' AND state = 'applied'" 2>/dev/null || echo 0
}

# ---- usage ------------------------------------------------------------------------------
sw_msg "usage errors and --help"
run_qs help 0 --help
contains help "Usage: deploy/quickstart.sh [options]"
contains help "--engines LIST"
run_qs bad-option 2 --bogus
contains bad-option "quickstart: unknown option '--bogus'"
run_qs few-shards 2 --shards 2
contains few-shards "quickstart: --shards must be a number from 4 to 5000, got '2'"
run_qs bad-engine 2 --engines sqlite,oracle
contains bad-engine "quickstart: unknown engine 'oracle' (expected sqlite, pg or mysql)"
mkdir -p "$tmp/notempty" && : >"$tmp/notempty/x"
run_qs busy-workdir 2 --workdir "$tmp/notempty"
contains busy-workdir "must be a new or empty directory"

# ---- what the quickstart installs: deploy/install-deps.sh --quickstart --print ------------
sw_msg "install-deps.sh profiles (--print)"
deps() # name want_rc args...: the package list (or the error) in $tmp/deps-NAME.out
{
    local name=$1 want=$2 rc=0
    shift 2
    out="$tmp/deps-$name.out"
    "$repo/deploy/install-deps.sh" "$@" >"$out" 2>&1 || rc=$?
    [[ $rc == "$want" ]] || fail "install-deps $*: exit status $rc, expected $want"
}
listed() # name yes|no packages...
{
    local name=$1 want=$2 p
    shift 2
    for p in "$@"; do
        if grep -qx -- "$p" "$out"; then
            [[ $want == yes ]] || fail "install-deps $name: lists $p"
        else
            [[ $want == no ]] || fail "install-deps $name: does not list $p"
        fi
    done
}
test_only=(chromium nodejs npm "npm ci tests/browser" prometheus clang-14 libclang-rt-14-dev
    clang-format systemd dpkg-dev man-db groff-base python3-yaml)
build=(build-essential cmake pkg-config libpq-dev default-libmysqlclient-dev libsqlite3-dev
    libpg-query-dev libmicrohttpd-dev sqlite3 curl jq openssl)
deps quickstart 0 --quickstart --print
listed quickstart yes "${build[@]}"
listed quickstart no "${test_only[@]}" postgresql-15 postgresql-client-15 mariadb-server mariadb-client
deps quickstart-pg 0 --quickstart --engines sqlite,pg --print
listed quickstart-pg yes "${build[@]}" postgresql-15 postgresql-client-15
listed quickstart-pg no "${test_only[@]}" mariadb-server mariadb-client
deps quickstart-mysql 0 --quickstart --engines mysql --print
listed quickstart-mysql yes "${build[@]}" mariadb-server mariadb-client
listed quickstart-mysql no "${test_only[@]}" postgresql-15 postgresql-client-15
deps all 0 --print
listed all yes "${build[@]}" chromium "npm ci tests/browser" prometheus clang-14 libclang-rt-14-dev \
    systemd dpkg-dev man-db postgresql-15 mariadb-server
deps engines-alone 2 --engines pg --print
contains engines-alone "install-deps: --engines goes with --quickstart"
deps bad-engine 2 --quickstart --engines pg,oracle --print
contains bad-engine "install-deps: unknown engine 'oracle' (expected sqlite, pg or mysql)"
# shellcheck disable=SC2016 # the literal line of quickstart.sh
grep -qF 'deploy/install-deps.sh --quickstart --engines "$engines"' "$qs" ||
    fail "quickstart.sh does not pass its --engines to install-deps.sh --quickstart"

# ---- --local: the single-database demo ------------------------------------------------
sw_msg "--local"
run_qs local 0 --local
contains local "database is up to date at version $latest"
contains local "Without --local, deploy/quickstart.sh runs a canary wave on a whole demo fleet."

# ---- a completed canary wave on 8 SQLite shards ------------------------------------------
sw_msg "a canary wave on 8 SQLite shards"
w="$tmp/ok"
run_qs ok 0 --shards 8 --workdir "$w" --timeout 240
contains ok "done: wave w-"
contains ok "8 shards; versions:"
grep -Eq "^$latest +8 +#+ *$" "$out" || fail "ok: histogram row '$latest 8' missing"
contains ok "canary (1) -> quarter (2) -> rest (5)"
all_stopped || fail "ok: a process the quickstart started is still running"
grep -q 'exited with status' "$out" && fail "ok: a daemon did not exit 0 on SIGTERM"
[[ $(stat -c %a "$w/tokens") == 600 ]] || fail "ok: tokens file mode $(stat -c %a "$w/tokens")"
[[ $(stat -c %a "$w/operator.token") == 600 ]] || fail "ok: operator.token is not mode 600"
for db in "$w"/shards/tenant-00{1..8}.db; do
    [[ $(shard_version "$db") == "$latest" ]] || fail "ok: $db at version $(shard_version "$db")"
    [[ $(history "$db" "SELECT count(DISTINCT wave) FROM shardwave_schema_history") == 1 ]] ||
        fail "ok: $db: steps not recorded with one wave id"
done
# the canary finished every step before any other shard started one
canary_done=$(history "$w/shards/tenant-001.db" "SELECT max(finished_at) FROM shardwave_schema_history")
for i in 2 3 4 5 6 7 8; do
    first=$(history "$w/shards/tenant-00$i.db" "SELECT min(started_at) FROM shardwave_schema_history")
    [[ $first > $canary_done ]] ||
        fail "ok: tenant-00$i started at $first, before the canary finished at $canary_done"
done
# the regions' agents did the work of their pools
[[ $(history "$w/shards/tenant-001.db" "SELECT DISTINCT agent FROM shardwave_schema_history") == agent-eu ]] ||
    fail "ok: tenant-001 (pool eu) not migrated by agent-eu"
[[ $(history "$w/shards/tenant-008.db" "SELECT DISTINCT agent FROM shardwave_schema_history") == agent-us ]] ||
    fail "ok: tenant-008 (pool us) not migrated by agent-us"
[[ -s $w/env.sh && -f $w/coordinator.db && -f $w/logs/coordinator.log ]] ||
    fail "ok: the work directory lacks env.sh, the store or the logs"

# ---- a migration that fails on the canary halts the wave ---------------------------------
sw_msg "a failing migration halts the wave at the canary"
cp -r "$repo/deploy/examples/migrations" "$tmp/badset"
next=$((latest + 1))
printf 'SELECT * FROM no_such_table_anywhere;\n' >"$tmp/badset/V${next}__broken.sql"
"$bin/shardwave" sum "$tmp/badset" >/dev/null || fail "shardwave sum on the bad set"
w="$tmp/halt"
run_qs halt 1 --shards 6 --workdir "$w" --migrations "$tmp/badset" --timeout 240
contains halt "The wave did not complete: it is halted."
contains halt "no_such_table_anywhere"
all_stopped || fail "halt: a process the quickstart started is still running"
[[ $(shard_version "$w/shards/tenant-001.db") == "$latest" ]] ||
    fail "halt: canary at $(shard_version "$w/shards/tenant-001.db"), expected $latest"
[[ $(history "$w/shards/tenant-001.db" \
    "SELECT state FROM shardwave_schema_history WHERE version = '$next'") == failed ]] ||
    fail "halt: the canary's failed step is not recorded"
for i in 2 3 4 5 6; do
    [[ ! -s $w/shards/tenant-00$i.db ]] || [[ -z $(sqlite3 "$w/shards/tenant-00$i.db" .tables) ]] ||
        fail "halt: tenant-00$i was touched"
done

# ---- SIGTERM mid-wave stops everything ---------------------------------------------------
sw_msg "SIGTERM during a wave"
w="$tmp/term"
out="$tmp/term.out"
# a long canary bake keeps the wave running until the signal
sed 's/bake_seconds = 2;/bake_seconds = 3600;/' "$repo/deploy/examples/quickstart/plan.conf" \
    >"$tmp/slow-plan.conf"
grep -q 'bake_seconds = 3600;' "$tmp/slow-plan.conf" || fail "term: could not make the slow plan"
"$qs" --bin-dir "$bin" --shards 4 --workdir "$w" --plan "$tmp/slow-plan.conf" --timeout 240 \
    >"$out" 2>&1 </dev/null &
bg=$!
wave_running_or_gone() { grep -q "in progress" "$out" || ! kill -0 "$bg" 2>/dev/null; }
sw_poll 120 wave_running_or_gone || fail "term: the wave never started"
grep -q "in progress" "$out" || fail "term: the quickstart ended before its wave started"
kill -TERM "$bg"
rc=0
wait "$bg" || rc=$?
bg=""
[[ $rc == 143 ]] || fail "term: exit status $rc, expected 143"
contains term "quickstart: interrupted; stopping what it started"
all_stopped || fail "term: a process the quickstart started is still running"

# ---- a mixed fleet on the test servers ---------------------------------------------------
if [[ -z ${SW_TEST_PG_DSN:-} || -z ${SW_TEST_MYSQL_DSN:-} ]]; then
    if [[ ${SW_TEST_REQUIRE_SERVERS:-0} == 1 ]]; then
        fail "SW_TEST_REQUIRE_SERVERS=1 but SW_TEST_PG_DSN / SW_TEST_MYSQL_DSN are not set"
    fi
    sw_msg "no PostgreSQL/MariaDB servers configured: mixed fleet skipped"
    exit 0
fi
sw_msg "a mixed fleet: SQLite, PostgreSQL and MariaDB shards"
run_qs mixed 0 --engines sqlite,pg,mysql --shards 6 --timeout 240
contains mixed "6 shards; versions:"
grep -Eq "^$latest +6 +#+ *$" "$out" || fail "mixed: histogram row '$latest 6' missing"
contains mixed "pg: 2 shards"
contains mixed "mysql: 2 shards"
all_stopped || fail "mixed: a process the quickstart started is still running"
left=$(psql -X -At "$SW_TEST_PG_DSN" -c \
    "SELECT count(*) FROM pg_database WHERE datname ~ '^qs[0-9a-f]{6}_tenant_'") ||
    fail "mixed: psql"
[[ $left == 0 ]] || fail "mixed: $left quickstart databases left on PostgreSQL"
sw_msg "ok"
