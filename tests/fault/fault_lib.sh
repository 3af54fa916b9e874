# shellcheck shell=bash
# Helpers for the fault suite (tests/fault/fault_*.sh, issue 6 "Faults to survive"). Sourced,
# not run. Builds on tests/integration/e2e_lib.sh (a real coordinator and real agents over
# real PostgreSQL / MariaDB databases on 127.0.0.1) and adds:
#
#   fault_coord_first_start      coord_start, on a new free port if another process took it
#   fault_start                  fault_coord_first_start + agents a-1 and a-2
#   fault_agent_start I          starts agent a-I (pid in E2E_AGENT_PIDS[I-1])
#   fault_agent_kill I           kill -9 of agent a-I, reaped
#   fault_coord_kill             kill -9 of the coordinator, reaped
#   fault_applied SHARD          "version:count,..." of applied up rows in the shard's history
#   fault_assert_once SHARD V    exactly one applied up row for each version 1..V, none above
#   fault_pg_busy SHARD          true while a session runs pg_sleep in the shard's database
#   fault_queue_len I            reports queued in agent a-I's state_dir (not delivered yet)
#   fault_queue_ids I            their ids, one per line
#   fault_wait_queues_empty      polls until every agent's queue is empty (reports delivered)
#   fault_events_count SHARD RE  wave events of SHARD whose message matches the regex RE
#   fault_assert_counted_once    each shard's "V<n> up applied" event appears once per applied row
#   fault_summary COMPLETED      prints the suite's summary line (docs/reliability.md counts)
#   fault_poll SECONDS WHAT CMD...   polls CMD every 100 ms until it succeeds or the deadline
fault_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/e2e_lib.sh
source "$fault_here/../integration/e2e_lib.sh"

FAULT_APPLIED_TWICE=0
FAULT_REPORTS_LOST=0

fault_poll()
{
    local secs=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + secs))
    until "$@"; do
        ((SECONDS < deadline)) || e2e_fail "timed out after ${secs}s waiting for $what"
        sleep 0.1
    done
}

# The first start of a test's coordinator (coord_start moves it, and the agents' configs,
# to a new free port when another test took its port first).
fault_coord_first_start()
{
    coord_start
}

fault_start()
{
    fault_coord_first_start
    fault_agent_start 1
    fault_agent_start 2
}

fault_agent_start()
{
    local i=$1
    "$AGENT_BIN" --config "$COORD_TMP/agent-$i.conf" >>"$COORD_TMP/agent-$i.log" 2>&1 &
    E2E_AGENT_PIDS[i - 1]=$!
}

fault_agent_kill()
{
    local i=$1 pid=${E2E_AGENT_PIDS[$1 - 1]}
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    coord_log "kill -9 of agent a-$i (pid $pid)"
}

fault_coord_kill()
{
    kill -KILL "$COORD_PID"
    wait "$COORD_PID" 2>/dev/null || true
    coord_log "kill -9 of the coordinator (pid $COORD_PID)"
    COORD_PID=""
}

fault_applied()
{
    local id=$1
    e2e_has_history "$id" || return 0
    local cat="version || ':' || count(*)"
    [[ ${E2E_ENGINE[$id]} == mysql ]] && cat="CONCAT(version, ':', count(*))"
    e2e_sql "$id" "SELECT $cat FROM shardwave_schema_history
        WHERE direction = 'up' AND state = 'applied' GROUP BY version ORDER BY version" |
        paste -sd, -
}

# Exactly one applied up row per version 1..V (a step applied twice fails the test).
fault_assert_once()
{
    local id=$1 v=$2 want="" k
    for ((k = 1; k <= v; k++)); do
        want+="${want:+,}$k:1"
    done
    local got
    got=$(fault_applied "$id")
    if [[ $got =~ :([2-9]|[1-9][0-9]+)(,|$) ]]; then
        FAULT_APPLIED_TWICE=$((FAULT_APPLIED_TWICE + 1))
    fi
    assert_eq "$got" "$want" "applied up rows (version:count) on $id"
    assert_eq "$(e2e_version "$id")" "$v" "version of $id"
}

fault_pg_busy()
{
    local id=$1
    [[ $(e2e_psql "$SW_TEST_PG_DSN" -c "SELECT count(*) FROM pg_stat_activity
        WHERE datname = '${E2E_DB[$id]}' AND state = 'active' AND query LIKE '%pg_sleep%'") != 0 ]]
}

fault_queue_ids()
{
    local i=$1 f
    for f in "$COORD_TMP/agent-$i.state"/*.json; do
        [[ -e $f ]] || continue
        jq -r ".reports[].id" "$f"
    done
}

fault_queue_len()
{
    local i=$1 n=0 f
    for f in "$COORD_TMP/agent-$i.state"/*.json; do
        [[ -e $f ]] && n=$((n + 1))
    done
    echo "$n"
}

fault_queues_empty()
{
    local i
    for i in 1 2; do
        [[ -d $COORD_TMP/agent-$i.state ]] || continue
        (($(fault_queue_len "$i") == 0)) || return 1
    done
}

# Every queued report delivered, none refused as invalid (state_dir/bad/ stays empty).
fault_wait_queues_empty()
{
    fault_poll 30 "the agents' report queues to drain" fault_queues_empty
    local i bad
    for i in 1 2; do
        bad=$(find "$COORD_TMP/agent-$i.state/bad" -type f 2>/dev/null | wc -l)
        if ((bad != 0)); then
            FAULT_REPORTS_LOST=$((FAULT_REPORTS_LOST + bad))
            e2e_fail "agent a-$i rejected $bad reports to state_dir/bad"
        fi
    done
}

fault_events_count()
{
    local id=$1 re=$2
    api GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
    [[ $API_STATUS == 200 ]] || e2e_fail "events: HTTP $API_STATUS"
    jq --arg s "$id" --arg re "$re" '[.events[] | select(.shard == $s and (.message | test($re)))] | length' \
        <<<"$API_BODY"
}

# Each applied step was reported, and counted, exactly once: one "V<n> up applied" event
# per applied up row of this wave in the shard's own history.
fault_assert_counted_once()
{
    local id v rows events
    for id in "$@"; do
        rows=$(e2e_rows "$id" | awk '$2 == "up" && $3 == "applied" {print $1}')
        for v in $rows; do
            events=$(fault_events_count "$id" "^V$v up applied")
            if [[ $events == 0 ]]; then
                FAULT_REPORTS_LOST=$((FAULT_REPORTS_LOST + 1))
            fi
            assert_eq "$events" 1 "events 'V$v up applied' of $id"
        done
    done
}

fault_store_seen()
{
    local id=$1
    [[ $(sqlite3 -batch "$COORD_TMP/store.db" \
        "SELECT count(*) FROM seen_reports WHERE report_id = '$id'") == 1 ]]
}

fault_summary()
{
    local completed=$1
    coord_log "fault-summary: waves_completed=$completed steps_applied_twice=$FAULT_APPLIED_TWICE reports_lost=$FAULT_REPORTS_LOST"
}
