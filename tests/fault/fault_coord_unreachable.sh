#!/usr/bin/env bash
# Fault: the coordinator unreachable for 30 s (SIGSTOP: connections hang, nothing answers;
# the agents' request_timeout_ms is 2 s). Four PostgreSQL shards, max_parallel 2: two
# shards run V2 (a 6 s pg_sleep) when the coordinator stops. During the 30 s:
#  - the steps in flight finish (V2 applied on the running shards);
#  - nothing new starts: no V3 on the running shards (their heartbeats fail, so each
#    lease stops before its next step) and no row at all on the two waiting shards (no
#    go-ahead); no statement runs on any shard at the end of the window;
#  - the agents queue their reports on disk and back off (logged retries).
# SIGCONT: the wave completes; every report queued in the window reached the store and was
# counted once; every shard has one applied row per version 1..3; the queues drain.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"

FAULT_WINDOW_S=30

e2e_setup 4 0 0 4
for i in 1 2; do
    printf 'request_timeout_ms = 2000\n' >>"$COORD_TMP/agent-$i.conf"
done
e2e_write_set "$COORD_TMP/set"
printf 'SELECT pg_sleep(6);\nALTER TABLE users ADD COLUMN status varchar(20);\n' \
    >"$COORD_TMP/set/V2__add_status.pg.sql"
fault_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "partition", "stages": [{"name": "all", "rest": true, "max_parallel": 2}]}'

busy=()
two_busy()
{
    busy=()
    local id
    for id in "${E2E_SHARDS[@]}"; do
        fault_pg_busy "$id" && busy+=("$id")
    done
    ((${#busy[@]} == 2))
}
fault_poll 30 "two shards to be inside V2" two_busy
kill -STOP "$COORD_PID"
stopped_at=$SECONDS
coord_log "SIGSTOP of the coordinator; in flight: ${busy[*]}"
waiting=()
for id in "${E2E_SHARDS[@]}"; do
    [[ " ${busy[*]} " == *" $id "* ]] || waiting+=("$id")
done

v2_done()
{
    local id
    for id in "${busy[@]}"; do
        [[ $(fault_applied "$id") == "1:1,2:1" ]] || return 1
    done
}
fault_poll 20 "the steps in flight to finish" v2_done

# The fault's duration is the point: stay unreachable for the whole window.
rest=$((FAULT_WINDOW_S - (SECONDS - stopped_at)))
((rest <= 0)) || sleep "$rest"
for id in "${busy[@]}"; do
    assert_eq "$(fault_applied "$id")" "1:1,2:1" "applied rows on $id at the end of the window"
    assert_eq "$(e2e_sql "$id" "SELECT count(*) FROM shardwave_schema_history WHERE version = '3'")" \
        0 "V3 rows on $id (nothing new started)"
done
for id in "${waiting[@]}"; do
    e2e_has_history "$id" && e2e_fail "waiting shard $id got a history table without the coordinator"
done
for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_psql "$SW_TEST_PG_DSN" -c "SELECT count(*) FROM pg_stat_activity
        WHERE datname = '${E2E_DB[$id]}' AND state = 'active'")" 0 "statements running on $id"
done
queued=$( (fault_queue_ids 1 && fault_queue_ids 2) | sort)
[[ -n $queued ]] || e2e_fail "no report queued during the window"
coord_log "$(wc -l <<<"$queued") reports queued in the window"
grep -q "delivering reports: .*retrying" "$COORD_TMP"/agent-*.log ||
    e2e_fail "no agent logged a delivery retry"

kill -CONT "$COORD_PID"
coord_log "SIGCONT of the coordinator after $((SECONDS - stopped_at)) s"
e2e_wait_state completed
fault_wait_queues_empty
for rid in $queued; do
    fault_store_seen "$rid" || {
        FAULT_REPORTS_LOST=$((FAULT_REPORTS_LOST + 1))
        e2e_fail "report $rid queued in the window never reached the store"
    }
done
for id in "${E2E_SHARDS[@]}"; do
    fault_assert_once "$id" 3
done
fault_assert_counted_once "${E2E_SHARDS[@]}"
fault_summary 1
coord_log "ok"
