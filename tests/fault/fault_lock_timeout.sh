#!/usr/bin/env bash
# Fault: a tenant's long transaction holds a lock on the table the wave alters, on a
# PostgreSQL shard and then on a MariaDB shard (pg-01 on host h-1, mysql-01 on h-2; a
# first wave moves both to version 1). For each, the tenant opens a transaction that reads
# users (PostgreSQL: ACCESS SHARE; MariaDB: a shared metadata lock, held until it
# commits) and a second tenant session reads users in a loop. A wave scoped to the
# shard's host runs V2 (ALTER TABLE users ...), which needs the exclusive lock:
#  - its lock timeout fires and the runner retries per the lease's policy (lock timeouts
#    200, 500, 1000, 2000 ms with pauses 500, 1000, 2000 ms; MariaDB's lock_wait_timeout
#    counts whole seconds: 1, 1, 1, 2 s), then the step fails, is reported with the lock
#    timeout error and the failure class lock_timeout, and the wave halts (max_failures 0);
#  - the tenant's own queries keep running: none fails and none waits behind the queued
#    ALTER longer than the largest lock timeout (2 s) plus a margin. On MariaDB a waiting
#    ALTER does queue new readers behind it (the metadata-lock queue), which is exactly why
#    the lock timeout must stay short; PostgreSQL's lock queue does the same;
#  - nothing is applied (no V2 row applied; the shard stays at 1; MariaDB: not dirty).
# The tenant commits; the operator resumes: the shard is re-queued (audited) and the same
# wave moves it to 3, each step applied and reported once.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"

FAULT_LOCK_MAX_MS=2000
FAULT_MARGIN_MS=1500

e2e_setup 1 1 0 2
e2e_write_set "$COORD_TMP/set"
fault_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "to 1", "target": "1", "stages": [{"name": "all", "rest": true}]}'
e2e_wait_state completed
waves=1

locked_wave()
{
    local id=$1 host=$2
    assert_eq "$(e2e_version "$id")" 1 "version of $id before the locked wave"
    fault_tenant_open "$id"
    fault_poll 20 "the tenant's transaction to hold its lock on users ($id)" fault_tenant_holds "$id"

    e2e_wave "{\"name\": \"locked $id\", \"scope\": \"host=$host\",
        \"stages\": [{\"name\": \"all\", \"rest\": true, \"max_failures\": 0}]}"
    fault_tenant_reads "$id"
    coord_log "$id: tenant reads during the locked wave: $FAULT_READS, slowest $FAULT_MAX_MS ms"
    ((FAULT_READS >= 3)) || e2e_fail "$id: only $FAULT_READS tenant reads ran during the wave"
    ((FAULT_MAX_MS < FAULT_LOCK_MAX_MS + FAULT_MARGIN_MS)) ||
        e2e_fail "$id: a tenant read waited $FAULT_MAX_MS ms behind the ALTER (lock timeout $FAULT_LOCK_MAX_MS ms + margin)"

    assert_eq "$(e2e_wave_state)" halted "wave state after the lock timeouts ($id)"
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    assert_contains "$(jqr .halt_reason)" "$id" "halt reason"
    local error
    error=$(jqr '.stages[0].shards[0].error')
    [[ ${error,,} =~ lock(\ wait)?\ timeout ]] || e2e_fail "$id: the reported error names no lock timeout: $error"
    assert_eq "$(jqr '.stages[0].shards[0].failure')" lock_timeout "the failure class of $id"
    coord_log "$id reported: $error"
    [[ $(fault_events_count "$id" '^V2 up failed') == 1 ]] || e2e_fail "$id: no single 'V2 up failed' event"
    # Retried per the policy: every lock timeout with the pauses between them (plus
    # jitter): the failed step took at least their sum; one attempt would fail at once.
    api GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
    local step_ms
    step_ms=$(jq -r --arg s "$id" '[.events[] | select(.shard == $s) | .message | capture("^V2 up failed in (?<ms>[0-9]+) ms") | .ms][0]' <<<"$API_BODY")
    coord_log "$id: V2 failed after $step_ms ms of lock retries"
    ((step_ms >= 7200)) || e2e_fail "$id: V2 failed after $step_ms ms: the lock timeouts were not retried per the policy"
    assert_eq "$(fault_applied "$id")" "1:1" "applied rows of $id after the locked wave"
    assert_eq "$(e2e_sql "$id" "SELECT count(*) FROM shardwave_schema_history WHERE state NOT IN ('applied', 'failed')")" \
        0 "history rows of $id neither applied nor failed (dirty or running)"
    kill -0 "$FAULT_TENANT_PID" 2>/dev/null || e2e_fail "$id: the tenant's session ended"

    # The tenant commits; resume re-queues the shard and the wave completes.
    fault_tenant_commit
    api_expect 200 POST "/v1/waves/$E2E_WAVE/resume" "$OP_TOKEN" '{"reason": "tenant committed"}'
    e2e_wait_state completed
    assert_eq "$(fault_events_count "$id" "^shard $id re-queued by ops-oncall \\(it failed: lock_timeout\\)$")" 1 \
        "re-queue events of $id"
    fault_assert_once "$id" 3
    fault_assert_counted_once "$id"
    fault_wait_queues_empty
    waves=$((waves + 1))
}

locked_wave pg-01 h-1
locked_wave mysql-01 h-2
fault_summary "$waves"
coord_log "ok"
