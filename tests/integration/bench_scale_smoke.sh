#!/usr/bin/env bash
# bench/scale.sh must not rot: 50 SQLite shards, both phases. Asserts the output's shape,
# that every measured key has a number, and the pause guarantee (no go-ahead granted after
# the pause call returned); never a timing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=${SW_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
out=$(mktemp "${TMPDIR:-/tmp}/sw_bench_scale_smoke.XXXXXX")
trap 'rm -f "$out"' EXIT

fail()
{
    printf 'bench_scale_smoke: FAIL: %s\n' "$*" >&2
    cat "$out" >&2
    exit 1
}

# one shard at a time, paused once the first is done: a wave this small takes a fraction
# of a second, faster than the script polls for a third of it
bash "$repo/bench/scale.sh" --shards 50 --workers 2 --max-parallel 1 --pause-at 1 \
    ${SW_BIN_DIR:+--bin-dir "$SW_BIN_DIR"} >"$out" 2>&1 || fail "scale.sh exited $?"
value()
{
    sed -n "s/^$1=//p" "$out"
}
[[ $(value shards) == 50 ]] || fail "shards is not 50"
for k in wave_seconds wave_ms_per_shard coordinator_peak_rss_mib agent_peak_rss_mib \
    coordinator_cpu_seconds coordinator_cpu_ms_per_shard lease_p50_ms lease_p99_ms go_p50_ms \
    go_p99_ms report_p50_ms report_p99_ms pause_last_report_ms; do
    [[ $(value "$k") =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "$k is not a number: '$(value "$k")'"
done
[[ $(value pause_steps_started_after) == 0 ]] || fail "steps started after the pause returned"
[[ $(value pause_in_flight) =~ ^[0-9]+$ ]] || fail "pause_in_flight is not a count"
[[ $(tail -n 1 "$out") == scale_ok=1 ]] || fail "last line is not scale_ok=1"
printf 'bench_scale_smoke: ok (%s s for 50 shards)\n' "$(value wave_seconds)" >&2
