#!/usr/bin/env bash
# Fault: kill -9 of an agent in the middle of a step, on PostgreSQL and MariaDB shards.
# Agent a-1 alone holds all four shards; it is killed while every shard runs V3 (a
# pg_sleep / SLEEP before the CREATE INDEX). Agent a-2 starts afterwards; the leases
# expire and are re-dispatched to it.
#  - PostgreSQL: the killed step's transaction rolled back (no V3 row at all from a-1);
#    a-2 applies V3 once; the shards end at version 3.
#  - MariaDB: the `running` row a-1 left makes the shard dirty; a-2 reports it dirty
#    and does not retry it (one V3 row, still `running`; the server may have finished
#    the dead agent's statements: the history cannot tell, so nothing guesses).
# The stage's budget (max_failures 2) accepts the two dirty shards: the wave completes.
# a-1 restarted on its state_dir delivers what it had queued (nothing lost, nothing twice).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"

e2e_setup 2 2 0 4
e2e_write_set "$COORD_TMP/set"
printf -- '-- shardwave: allow create-index-blocking test tables hold a few rows\nSELECT pg_sleep(4);\nCREATE INDEX users_email ON users (email);\n' \
    >"$COORD_TMP/set/V3__index_email.pg.sql"
printf -- '-- shardwave: allow create-index-blocking test tables hold a few rows\nDO SLEEP(4);\nCREATE INDEX users_email ON users (email);\n' \
    >"$COORD_TMP/set/V3__index_email.mysql.sql"
fault_coord_first_start
fault_agent_start 1
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "agent kill", "stages": [{"name": "all", "rest": true, "max_parallel": 4, "max_failures": 2}]}'

my_running_v3()
{
    local id=$1
    e2e_has_history "$id" &&
        [[ $(e2e_sql "$id" "SELECT count(*) FROM shardwave_schema_history WHERE version = '3' AND state = 'running'") == 1 ]]
}
all_mid_v3()
{
    fault_pg_busy pg-01 && fault_pg_busy pg-02 && my_running_v3 mysql-01 && my_running_v3 mysql-02
}
fault_poll 30 "a-1 to be inside V3 on every shard" all_mid_v3
fault_agent_kill 1
fault_agent_start 2

e2e_wait_state completed halted
assert_eq "$(e2e_wave_state)" completed "wave state (2 dirty shards within max_failures 2)"
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
for id in pg-01 pg-02; do
    assert_eq "$(jq -r --arg s "$id" '.stages[].shards[] | select(.id == $s) | "\(.state) \(.agent) \(.attempts)"' <<<"$API_BODY")" \
        "done a-2 2" "wave shard $id (state, agent, attempts)"
done
for id in mysql-01 mysql-02; do
    assert_eq "$(jq -r --arg s "$id" '.stages[].shards[] | select(.id == $s) | "\(.state) \(.agent) \(.attempts)"' <<<"$API_BODY")" \
        "failed a-2 2" "wave shard $id (state, agent, attempts)"
    assert_eq "$(jq -r --arg s "$id" '.stages[].shards[] | select(.id == $s) | .error' <<<"$API_BODY")" \
        "version 3 (V3__index_email.mysql.sql) is dirty: it stopped part-way (0 of 2 statements done): its migrator was interrupted; nothing runs on this database until an operator repairs it" \
        "error of $id"
done

# PostgreSQL: a-1's V3 transaction left nothing; a-2 applied each step once.
for id in pg-01 pg-02; do
    fault_assert_once "$id" 3
    assert_eq "$(e2e_sql "$id" "SELECT agent FROM shardwave_schema_history WHERE version = '3'")" \
        a-2 "the only V3 row on $id"
    assert_contains "$(e2e_rows "$id" | paste -sd' ' -)" "3 up applied" "history of $id"
done
# MariaDB: dirty, reported so, not retried blindly.
for id in mysql-01 mysql-02; do
    fault_assert_once "$id" 2
    assert_eq "$(e2e_sql "$id" "SELECT CONCAT(state, ' ', agent) FROM shardwave_schema_history WHERE version = '3'")" \
        "running a-1" "the only V3 row on $id (never retried)"
    # The server may still finish the dead agent's batch (SLEEP, then CREATE INDEX): the
    # history cannot tell, which is why the shard is dirty and never retried blindly.
    coord_log "$id: index users_email after the kill: $(e2e_sql "$id" "SELECT count(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = 'users_email'")"
    [[ $(fault_events_count "$id" 'dirty') -ge 1 ]] || e2e_fail "no event reports $id dirty"
    [[ $(fault_events_count "$id" '^V3 up applied') == 0 ]] || e2e_fail "$id: V3 reported applied"
done
api GET /v1/fleet "$READ_TOKEN"
for id in mysql-01 mysql-02; do
    assert_eq "$(jq -r --arg s "$id" '.shards[] | select(.id == $s) | .health' <<<"$API_BODY")" \
        dirty "fleet health of $id"
done

# a-1 comes back on its state_dir: whatever it had not delivered is delivered, once.
fault_agent_start 1
fault_wait_queues_empty
fault_assert_counted_once "${E2E_SHARDS[@]}"
fault_summary 1
coord_log "ok"
