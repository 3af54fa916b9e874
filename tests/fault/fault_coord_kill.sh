#!/usr/bin/env bash
# Fault: kill -9 of the coordinator mid-wave while two agents run steps, then a restart on
# the same store. Four PostgreSQL shards run V3 (a pg_sleep before the CREATE INDEX) when
# the coordinator dies; the agents finish the step in flight and queue their reports on
# disk (the coordinator is gone). The test reads those queued report ids, restarts the
# coordinator, and asserts: the wave resumes and completes; every queued report reached
# the store (seen_reports) and was counted once (one "V<n> up applied" event per applied
# row); every shard is at version 3 with one applied row per version; the queues drain.
# (A second coordinator on the same store is refused: coord_persist.sh.)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"

e2e_setup 4 0 0 4
e2e_write_set "$COORD_TMP/set"
printf -- '-- shardwave: allow create-index-blocking test tables hold a few rows\nSELECT pg_sleep(3);\nCREATE INDEX users_email ON users (email);\n' \
    >"$COORD_TMP/set/V3__index_email.pg.sql"
fault_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "coordinator kill", "stages": [{"name": "all", "rest": true, "max_parallel": 4}]}'

all_in_v3()
{
    local id
    for id in "${E2E_SHARDS[@]}"; do
        fault_pg_busy "$id" || return 1
    done
}
fault_poll 30 "every shard to be inside V3" all_in_v3
fault_coord_kill

v3_applied_everywhere()
{
    local id
    for id in "${E2E_SHARDS[@]}"; do
        [[ $(fault_applied "$id") == "1:1,2:1,3:1" ]] || return 1
    done
}
fault_poll 30 "the agents to finish V3 without the coordinator" v3_applied_everywhere

queued_done()
{
    local i n=0 f
    for i in 1 2; do
        for f in "$COORD_TMP/agent-$i.state"/*.json; do
            [[ -e $f ]] || continue
            # a queue file holds one or more reports (the lease_done with the last steps)
            n=$((n + $(jq '[.reports[] | select(.kind == "lease_done")] | length' "$f")))
        done
    done
    ((n == ${#E2E_SHARDS[@]}))
}
fault_poll 30 "a queued lease_done report per shard" queued_done
queued=$( (fault_queue_ids 1 && fault_queue_ids 2) | sort)
n_queued=$(wc -l <<<"$queued")
coord_log "$n_queued reports queued while the coordinator was down"
((n_queued >= ${#E2E_SHARDS[@]} * 2)) || e2e_fail "expected a V3 step and a lease_done report per shard queued, got: $queued"

coord_start
e2e_wait_state completed
fault_wait_queues_empty
for rid in $queued; do
    fault_store_seen "$rid" || {
        FAULT_REPORTS_LOST=$((FAULT_REPORTS_LOST + 1))
        e2e_fail "queued report $rid never reached the store"
    }
done
for id in "${E2E_SHARDS[@]}"; do
    fault_assert_once "$id" 3
done
fault_assert_counted_once "${E2E_SHARDS[@]}"
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr '[.stages[].shards[] | select(.state == "done")] | length')" "${#E2E_SHARDS[@]}" \
    "shards done in the wave"
fault_summary 1
coord_log "ok"
