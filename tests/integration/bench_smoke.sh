#!/usr/bin/env bash
# bench/fleet.sh must not rot: 3 shards, 1 run, on SQLite (and PostgreSQL / MariaDB when
# SW_TEST_PG_DSN / SW_TEST_MYSQL_DSN are set). Asserts the output's shape and that every
# method ran (the floor, a wave per step, and on pg/SQLite a wave with one transaction per
# shard); never a timing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=${SW_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
out=$(mktemp "${TMPDIR:-/tmp}/sw_bench_smoke.XXXXXX")
trap 'rm -f "$out"' EXIT

fail()
{
    printf 'bench_smoke: FAIL: %s\n' "$*" >&2
    cat "$out" >&2
    exit 1
}

smoke()
{
    local engine=$1
    BENCH_WAVE_TIMEOUT_S=90 bash "$repo/bench/fleet.sh" --engine "$engine" --shards 3 --runs 1 --parallel 2 \
        ${SW_BIN_DIR:+--bin-dir "$SW_BIN_DIR"} >"$out" 2>&1 || fail "$engine: fleet.sh exited $?"
    grep -Eq '^floor: .* +3 +12 +[0-9.]+ +[0-9.]+ +1\.00x$' "$out" || fail "$engine: no floor row"
    grep -Eq '^shardwave: 2 agents x 1, max_parallel 2 +3 +12 +[0-9.]+ +[0-9.]+ +[0-9.]+x$' "$out" ||
        fail "$engine: no shardwave row"
    grep -Eq '^ratio_to_floor_step=[0-9]+\.[0-9]{2}$' "$out" || fail "$engine: no step ratio"
    if [[ $engine == mysql ]]; then
        ! grep -q 'one transaction per shard' "$out" || fail "$engine: one transaction per shard ran"
    else
        grep -Eq '^shardwave: one transaction per shard +3 +12 +[0-9.]+ +[0-9.]+ +[0-9.]+x$' "$out" ||
            fail "$engine: no one-transaction-per-shard row"
        grep -Eq '^ratio_to_floor_shard=[0-9]+\.[0-9]{2}$' "$out" || fail "$engine: no shard ratio"
    fi
    [[ $(tail -n 1 "$out") =~ ^ratio_to_floor=[0-9]+\.[0-9]{2}$ ]] || fail "$engine: last line"
    printf 'bench_smoke: %s ok (%s)\n' "$engine" "$(tail -n 1 "$out")" >&2
}

smoke sqlite
[[ -n ${SW_TEST_PG_DSN:-} ]] && smoke pg
[[ -n ${SW_TEST_MYSQL_DSN:-} ]] && smoke mysql
exit 0
