#!/usr/bin/env bash
# Fault: a tenant's long transaction holds a lock on the table the wave alters.
# One PostgreSQL shard at version 1 (a first wave). The tenant opens a transaction that
# reads users (ACCESS SHARE, held until it commits) and a second tenant session queries
# users in a loop. The second wave's V2 (ALTER TABLE users ...) needs ACCESS EXCLUSIVE:
#  - its lock timeout fires and the runner retries per the lease's policy (lock timeouts
#    200, 500, 1000, 2000 ms with pauses), then the step fails, is reported with the lock
#    timeout error, and the wave halts (max_failures 0);
#  - the tenant's own queries keep running: none fails and none waits behind the queued
#    ALTER longer than the largest lock timeout (2 s) plus a margin;
#  - nothing is applied (no V2 row applied; the shard stays at 1).
# The tenant commits; the operator resumes (the failure is accepted: docs/waves.md) and
# the wave completes; a follow-up wave then moves the shard to 3, each step applied once.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"

FAULT_LOCK_MAX_MS=2000
FAULT_MARGIN_MS=1500

e2e_setup 1 0 0 1
e2e_write_set "$COORD_TMP/set"
fault_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "to 1", "target": "1", "stages": [{"name": "all", "rest": true}]}'
e2e_wait_state completed
assert_eq "$(e2e_version pg-01)" 1 "version before the locked wave"

shard_dsn="${SW_TEST_PG_DSN%%\?*}"
shard_dsn="${shard_dsn%/*}/${E2E_DB[pg-01]}"
mkfifo "$COORD_TMP/tenant.fifo"
e2e_psql "$shard_dsn" <"$COORD_TMP/tenant.fifo" >"$COORD_TMP/tenant.out" 2>&1 &
tenant_pid=$!
exec 7>"$COORD_TMP/tenant.fifo"
printf 'BEGIN;\nSELECT count(*) FROM users;\n' >&7
tenant_in_tx()
{
    [[ $(e2e_sql pg-01 "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE c.relname = 'users' AND l.pid = (SELECT pid FROM pg_stat_activity
        WHERE datname = '${E2E_DB[pg-01]}' AND state = 'idle in transaction' LIMIT 1) AND l.granted") != 0 ]]
}
fault_poll 20 "the tenant's transaction to hold its lock on users" tenant_in_tx

# The tenant's other session: timed reads until the wave settles.
e2e_wave '{"name": "locked", "stages": [{"name": "all", "rest": true, "max_failures": 0}]}'
reads=0
max_ms=0
while :; do
    t0=$(e2e_now_ms)
    e2e_psql "$shard_dsn" -c "SELECT count(*) FROM users" >/dev/null ||
        e2e_fail "a tenant query failed during the locked wave"
    dt=$(($(e2e_now_ms) - t0))
    reads=$((reads + 1))
    ((dt > max_ms)) && max_ms=$dt
    st=$(e2e_wave_state)
    [[ $st == running || $st == pending ]] || break
    ((reads < 2000)) || e2e_fail "the locked wave did not settle"
done
coord_log "tenant reads during the locked wave: $reads, slowest $max_ms ms"
((reads >= 3)) || e2e_fail "only $reads tenant reads ran during the wave"
((max_ms < FAULT_LOCK_MAX_MS + FAULT_MARGIN_MS)) ||
    e2e_fail "a tenant read waited $max_ms ms behind the ALTER (lock timeout $FAULT_LOCK_MAX_MS ms + margin)"

assert_eq "$(e2e_wave_state)" halted "wave state after the lock timeouts"
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_contains "$(jqr .halt_reason)" "pg-01" "halt reason"
error=$(jqr '.stages[0].shards[0].error')
assert_contains "$error" "lock timeout" "the shard's reported error"
coord_log "reported: $error"
[[ $(fault_events_count pg-01 '^V2 up failed') == 1 ]] || e2e_fail "no single 'V2 up failed' event"
# Retried per the policy: one attempt per lock timeout (200, 500, 1000, 2000 ms) with the
# pauses between them (500, 1000, 2000 ms, plus jitter): the failed step took at least
# their sum; a single attempt would have failed after 200 ms.
api GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
step_ms=$(jq -r '[.events[] | select(.shard == "pg-01") | .message | capture("^V2 up failed in (?<ms>[0-9]+) ms") | .ms][0]' <<<"$API_BODY")
coord_log "V2 failed after $step_ms ms of lock retries"
((step_ms >= 7200)) || e2e_fail "V2 failed after $step_ms ms: the lock timeouts were not retried per the policy"
assert_eq "$(fault_applied pg-01)" "1:1" "applied rows after the locked wave"
kill -0 "$tenant_pid" 2>/dev/null || e2e_fail "the tenant's session ended"

# The tenant commits; resume accepts the failure and the wave completes.
printf 'COMMIT;\n' >&7
exec 7>&-
wait "$tenant_pid" || e2e_fail "the tenant's transaction failed: $(cat "$COORD_TMP/tenant.out")"
api_expect 200 POST "/v1/waves/$E2E_WAVE/resume" "$OP_TOKEN" '{"reason": "tenant committed"}'
e2e_wait_state completed
fault_assert_counted_once pg-01
first=$E2E_WAVE
# A follow-up wave moves the shard on.
e2e_wave '{"name": "after the tenant", "stages": [{"name": "all", "rest": true, "max_failures": 0}]}'
e2e_wait_state completed
fault_assert_once pg-01 3
fault_assert_counted_once pg-01
E2E_WAVE=$first
fault_wait_queues_empty
fault_summary 3
coord_log "ok"
