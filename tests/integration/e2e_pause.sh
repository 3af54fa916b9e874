#!/usr/bin/env bash
# Pause holds, resume finishes: 6 PostgreSQL + 6 MariaDB shards whose V3 takes a while.
# Paused mid-wave (the pause call has returned at T), nothing starts until the resume
# (at R): no shard gets a go-ahead in [T, R], and every shard's first step of the wave
# (history rows) started before T, after R, or -- for a shard whose go-ahead came before
# T -- just after T. While paused, a second wave over the same shards is refused (409 shard_busy).
# After the resume the wave completes with every shard at version 3.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 6 6 0 3
e2e_write_set "$COORD_TMP/set"
rm "$COORD_TMP/set/V3__index_email.sql"
printf 'SELECT pg_sleep(0.3);\n' >"$COORD_TMP/set/V3__slow.pg.sql"
printf 'DO SLEEP(0.3);\n' >"$COORD_TMP/set/V3__slow.mysql.sql"
rm "$COORD_TMP/set/U3__index_email.sql" "$COORD_TMP/set/U3__index_email.mysql.sql"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
plan='{"name": "slow", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1},
  {"name": "rest", "rest": true, "max_parallel": 2}]}'
e2e_wave "$plan"

done_count() { api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"; jqr .counts.done; }
three_done() { (($(done_count) >= 3)); }
wait_for "3 shards done" three_done
api_expect 200 POST "/v1/waves/$E2E_WAVE/pause" "$OP_TOKEN" '{"reason": "e2e pause"}'
paused_ms=$(e2e_now_ms)
assert_eq "$(jqr .state)" paused "state after pause"

# in-flight shards finish; then nothing moves while paused
nothing_running() { api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"; (($(jqr .counts.running) == 0)); }
wait_for "in-flight shards to finish" nothing_running
held=$(jqr .counts.done)
((held < 12)) || e2e_fail "the wave finished before it could be paused"
for _ in $(seq 20); do
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    assert_eq "$(jqr .state)" paused "state while paused"
    assert_eq "$(jqr .counts.running)" 0 "running shards while paused"
    assert_eq "$(jqr .counts.done)" "$held" "done shards while paused"
    sleep 0.1 # an observation window: the assertion is that nothing happens in it
done

# one active wave per shard
body=$(jq -n --arg d "$E2E_DIGEST" --argjson p "$plan" '{migration_set: $d, plan: $p}')
api_expect 409 POST /v1/waves "$OP_TOKEN" "$body"
assert_eq "$(jqr .error.code)" shard_busy "second wave refusal"
assert_contains "$API_BODY" "$E2E_WAVE" "the refusal names the active wave"

resumed_ms=$(e2e_now_ms)
api_expect 200 POST "/v1/waves/$E2E_WAVE/resume" "$OP_TOKEN"
e2e_wait_state completed

# the go-ahead times the coordinator recorded (the last one of each shard)
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
declare -A go_ms=()
while read -r id ts; do
    go_ms[$id]=$(date -d "$ts" +%s%3N)
done < <(jqr '.stages[].shards[] | "\(.id) \(.started_at)"')
for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_version "$id")" 3 "shard $id version"
    first=$(e2e_rows "$id" | awk 'NR == 1 || $4 < m { m = $4 } END { print m + 0 }')
    ((first > 0)) || e2e_fail "shard $id has no rows of wave $E2E_WAVE"
    go=${go_ms[$id]}
    if ((go >= paused_ms && go <= resumed_ms)); then
        e2e_fail "shard $id got its go-ahead at $go, while paused ($paused_ms .. $resumed_ms)"
    fi
    # a shard whose go-ahead came before the pause may start its first step just after
    # the pause returned; any other shard starts only after the resume
    if ((first >= paused_ms && first <= resumed_ms && go >= paused_ms)); then
        e2e_fail "shard $id started at $first, while paused ($paused_ms .. $resumed_ms)"
    fi
    if ((first >= paused_ms && first <= resumed_ms)); then
        coord_log "shard $id: go-ahead at $go before the pause, first step at $first"
    fi
done
coord_log "ok ($held shards done when paused)"
