#!/usr/bin/env bash
# An agent killed mid-wave (kill -9 while it runs shards): its leases expire after the
# lease TTL, the shards go back to pending and the other agent finishes them. The wave
# completes, every shard is at version 3, and no step was applied twice (one applied up
# row per version in each shard's own history). 6 PostgreSQL shards (a killed
# connection rolls its transaction back), V3 takes a while.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 6 0 0 3
e2e_write_set "$COORD_TMP/set"
printf -- '-- shardwave: allow create-index-blocking test tables hold a few rows\nSELECT pg_sleep(1);\nCREATE INDEX users_email ON users (email);\n' \
    >"$COORD_TMP/set/V3__index_email.pg.sql"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "loss", "stages": [{"name": "all", "rest": true, "max_parallel": 6}]}'

a1_running() {
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    [[ $(jqr '[.stages[].shards[] | select(.state == "running" and .agent == "a-1")] | length') -gt 0 ]]
}
wait_for "agent a-1 to run a shard" a1_running
lost=$(jqr '[.stages[].shards[] | select(.agent == "a-1" and (.state == "running" or .state == "leased")) | .id] | join(" ")')
kill -KILL "${E2E_AGENT_PIDS[0]}"
wait "${E2E_AGENT_PIDS[0]}" 2>/dev/null || true
coord_log "killed agent a-1 holding: $lost"

e2e_wait_state completed
for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_version "$id")" 3 "shard $id version"
    applied=$(e2e_sql "$id" "SELECT version || ':' || count(*) FROM shardwave_schema_history
        WHERE direction = 'up' AND state = 'applied' GROUP BY version ORDER BY version" |
        paste -sd, -)
    assert_eq "$applied" "1:1,2:1,3:1" "applied up rows on $id"
done
api GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
for id in $lost; do
    assert_contains "$(jq -r --arg s "$id" '[.events[] | select(.shard == $s) | .message] | join("\n")' <<<"$API_BODY")" \
        "expired" "events of lost shard $id"
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    assert_eq "$(jq -r --arg s "$id" '.stages[].shards[] | select(.id == $s) | .agent' <<<"$API_BODY")" \
        a-2 "agent that finished lost shard $id"
    api GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
done
# the expired leases are counted (/metrics)
api_expect 200 GET /metrics "$READ_TOKEN"
n_expired=$(awk '$1 == "shardwave_leases_expired_total" {print $2}' <<<"$API_BODY")
n_lost=$(wc -w <<<"$lost")
((n_expired >= n_lost && n_lost > 0)) ||
    e2e_fail "shardwave_leases_expired_total is '$n_expired' after losing $n_lost lease(s)"
coord_log "ok"
