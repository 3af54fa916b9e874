#!/usr/bin/env bash
# Fault: a database server stopped mid-wave. The fleet has shards on the shared dev
# servers (pg-01 canary, pg-02, sqlite-01, sqlite-02) and four on servers of the test's
# own (dpg-01/02 on a throwaway PostgreSQL, dmy-01/02 on a throwaway MariaDB), in the
# wave's second stage (max_failures 2). While the canary bakes, both own servers stop
# (pg_ctl stop -m fast; SIGTERM):
#  - the agents retry each unreachable shard with backoff (4 attempts, 200 ms doubling,
#    within 5 s: logged per attempt, without the password), then report it failed as
#    `unreachable`; the third failure is over the stage's budget: the wave halts;
#  - the shards elsewhere reach the target.
# The servers start again; `shardwave wave resume` re-queues the four (audited), the stage
# counts their new outcome (not the old failures too) and the wave completes: every shard
# at the target in its own history, each step applied and reported once.
# Then within the budget: with MariaDB stopped, a wave to V4 completes with its two
# shards failed (unreachable, 2 <= max_failures 2); a completed wave is final, so a new
# wave after the server returns moves them (the planner skips the shards at V4).
# Last, a connection lost before a step started (the agent waiting for the migrator lock
# when the server stops) is retried the same way and reported unreachable; resume
# finishes it.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"

DOWN=(dpg-01 dpg-02 dmy-01 dmy-02)
UP=(pg-01 pg-02 sqlite-01 sqlite-02)

e2e_setup 2 0 2 4
fault_own_servers_start
fault_own_shard dpg-01 pg h-down-pg
fault_own_shard dpg-02 pg h-down-pg
fault_own_shard dmy-01 mysql h-down-my
fault_own_shard dmy-02 mysql h-down-my
fault_agents_conf 'shard_connect_attempts = 4'
fault_agents_conf 'shard_connect_backoff_ms = 200'
fault_agents_conf 'shard_connect_backoff_cap_ms = 1000'
fault_agents_conf 'shard_connect_budget_ms = 5000'
printf '%s' "$OP_TOKEN" >"$COORD_TMP/op.token"
chmod 600 "$COORD_TMP/op.token"
e2e_write_set "$COORD_TMP/set"
fault_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST

wave_phase()
{
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    [[ $(jqr .stage_phase) == "$1" ]]
}

# "state failure" of a wave shard from the API.
shard_outcome()
{
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    jq -r --arg s "$1" '.stages[].shards[] | select(.id == $s) | "\(.state) \(.failure)"' <<<"$API_BODY"
}

down_all_failed()
{
    local id
    for id in "${DOWN[@]}"; do
        [[ $(shard_outcome "$id") == "failed unreachable" ]] || return 1
    done
}

e2e_wave '{"name": "db down", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1, "bake_seconds": 5},
  {"name": "rest", "rest": true, "max_parallel": 8, "max_failures": 2}]}'
fault_poll 30 "the canary to bake" wave_phase baking
# Paused during the bake so the servers are down before the second stage dispatches.
api_expect 200 POST "/v1/waves/$E2E_WAVE/pause" "$OP_TOKEN" '{"reason": "db maintenance"}'
fault_own_down pg
fault_own_down mysql
api_expect 200 POST "/v1/waves/$E2E_WAVE/resume" "$OP_TOKEN" '{}'

e2e_wait_state halted
fault_poll 30 "every shard on the stopped servers to fail as unreachable" down_all_failed
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_contains "$(jqr .halt_reason)" "over the budget (max_failures 2)" "halt reason"
for id in "${DOWN[@]}"; do
    error=$(jq -r --arg s "$id" '.stages[].shards[] | select(.id == $s) | .error' <<<"$API_BODY")
    assert_contains "$error" "unreachable after" "error of $id"
    [[ $error != *"$FAULT_OWN_PW"* ]] || e2e_fail "the error of $id shows the password"
    # retried with backoff, each attempt logged
    retries=$(cat "$COORD_TMP"/agent-*.log | grep "shard database unreachable (attempt [0-9] of 4).*retrying in [0-9]* ms" |
        grep -c " shard=$id ") || true
    ((retries >= 2)) || e2e_fail "$id: $retries logged connect retries, expected at least 2"
    [[ $(fault_events_count "$id" 'failed unreachable') -ge 1 ]] || e2e_fail "no 'failed unreachable' event for $id"
done
grep -q -- "$FAULT_OWN_PW" "$COORD_TMP"/agent-*.log "$COORD_LOG" && e2e_fail "a log shows the database password"
# The operator's view: the failing shards and why.
"$SW_BIN_DIR/shardwave" wave status "$E2E_WAVE" --coordinator "http://127.0.0.1:$COORD_PORT" \
    --token-file "$COORD_TMP/op.token" >"$COORD_TMP/status.out" 2>&1 || true
for id in "${DOWN[@]}"; do
    grep -Eq "^$id +rest +failed \(unreachable\) " "$COORD_TMP/status.out" ||
        e2e_fail "wave status does not show $id as failed (unreachable): $(cat "$COORD_TMP/status.out")"
done
for id in "${UP[@]}"; do
    assert_eq "$(shard_outcome "$id")" "done null" "wave shard $id while the servers are down"
    fault_assert_once "$id" 3
done

# The servers return; the operator resumes with the CLI.
fault_own_up pg
fault_own_up mysql
"$SW_BIN_DIR/shardwave" wave resume "$E2E_WAVE" --reason "servers back" \
    --coordinator "http://127.0.0.1:$COORD_PORT" --token-file "$COORD_TMP/op.token" \
    >"$COORD_TMP/resume.out" 2>&1 || e2e_fail "wave resume failed: $(cat "$COORD_TMP/resume.out")"
e2e_wait_state completed
for id in "${DOWN[@]}"; do
    assert_eq "$(fault_events_count "$id" "^shard $id re-queued by ops-oncall \\(it failed: unreachable\\)$")" 1 \
        "re-queue events of $id"
    assert_eq "$(shard_outcome "$id")" "done null" "wave shard $id after the resume"
done
for id in "${E2E_SHARDS[@]}"; do
    fault_assert_once "$id" 3
done
fault_assert_counted_once "${E2E_SHARDS[@]}"
fault_wait_queues_empty
first=$E2E_WAVE

# Within the budget: MariaDB down for a whole wave; a new wave finishes after it returns.
printf 'ALTER TABLE users ADD COLUMN note varchar(20);\n' >"$COORD_TMP/set/V4__add_note.sql"
printf 'ALTER TABLE users DROP COLUMN note;\n' >"$COORD_TMP/set/U4__add_note.sql"
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
fault_own_down mysql
e2e_wave '{"name": "db down within budget", "stages": [
  {"name": "all", "rest": true, "max_parallel": 8, "max_failures": 2}]}'
e2e_wait_state completed halted
assert_eq "$(e2e_wave_state)" completed "wave state with 2 unreachable shards (max_failures 2)"
for id in dmy-01 dmy-02; do
    assert_eq "$(shard_outcome "$id")" "failed unreachable" "wave shard $id (server down)"
done
fault_own_up mysql
e2e_wave '{"name": "after the server returned", "stages": [{"name": "all", "rest": true, "max_failures": 0}]}'
e2e_wait_state completed
for id in "${E2E_SHARDS[@]}"; do
    fault_assert_once "$id" 4
done
fault_assert_counted_once dmy-01 dmy-02
fault_wait_queues_empty

# Lost before a step started: a session holds dpg-01's migrator lock (the advisory lock
# every migrator takes), so the agent connects, gets the go-ahead and waits for the lock;
# the server stops under it. The agent reconnects with the same retries, the server stays
# down: dpg-01 fails as unreachable (nothing ran) and the wave halts (max_failures 0).
printf 'ALTER TABLE users ADD COLUMN plan varchar(20);\n' >"$COORD_TMP/set/V5__add_plan.sql"
printf 'ALTER TABLE users DROP COLUMN plan;\n' >"$COORD_TMP/set/U5__add_plan.sql"
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
mkfifo "$COORD_TMP/holder.fifo"
sw_as_pg "$SW_PG_BIN/psql" -X -q -h "$SW_PG_DIR" -p "$SW_PG_PORT" -U postgres -d "${E2E_DB[dpg-01]}" \
    <"$COORD_TMP/holder.fifo" >"$COORD_TMP/holder.out" 2>&1 &
holder_pid=$!
exec 8>"$COORD_TMP/holder.fifo"
printf 'SELECT pg_advisory_lock(8316003855879332214);\n' >&8
agent_waits_for_lock()
{
    [[ $(fault_own_sql dpg-01 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
        AND pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%'") != 0 ]]
}
e2e_wave '{"name": "lost before a step", "scope": "host=h-down-pg", "stages": [
  {"name": "all", "rest": true, "max_parallel": 2, "max_failures": 0}]}'
fault_poll 30 "the agent to wait for dpg-01's migrator lock" agent_waits_for_lock
fault_own_down pg
exec 8>&-
wait "$holder_pid" 2>/dev/null || true
e2e_wait_state halted
assert_eq "$(shard_outcome dpg-01)" "failed unreachable" "wave shard dpg-01 (connection lost before a step)"
lost=$(cat "$COORD_TMP"/agent-*.log | grep "connection lost before any step started" | grep -c " shard=dpg-01 ") || true
((lost >= 1)) || e2e_fail "dpg-01: no 'connection lost before any step started' in the agents' logs"
[[ $(fault_events_count dpg-01 '^V5 up') == 0 ]] || e2e_fail "dpg-01: a V5 step ran"
fault_own_up pg
api_expect 200 POST "/v1/waves/$E2E_WAVE/resume" "$OP_TOKEN" '{"reason": "server back"}'
e2e_wait_state completed
fault_assert_once dpg-01 5
fault_assert_once dpg-02 5
fault_assert_counted_once dpg-01 dpg-02
E2E_WAVE=$first
fault_wait_queues_empty
fault_summary 4
coord_log "ok"
