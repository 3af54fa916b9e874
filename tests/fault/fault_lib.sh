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
#   fault_own_servers_start      a throwaway PostgreSQL and MariaDB of the test's own
#                                (tests/lib/servers.sh; stopped on exit): a fault test may
#                                stop them, never the shared dev servers
#   fault_own_shard ID ENGINE HOST   a shard (pg|mysql) on them, added to the fleet and
#                                shards files (before the coordinator starts)
#   fault_own_down ENGINE / fault_own_up ENGINE   stop (pg_ctl stop -m fast; SIGTERM) and
#                                start again that server, on the same port and data
#   fault_agents_conf LINE       appends a setting to both agents' configs
#   fault_tenant_open SHARD      a tenant session (psql / mariadb on a fifo) that opens a
#                                transaction and reads users, holding its (metadata) lock
#   fault_tenant_holds SHARD     true once that transaction holds its lock on users
#   fault_tenant_commit          commits it and ends the session
#   fault_tenant_reads SHARD     the tenant's other session: timed reads of users until the
#                                wave leaves pending/running; sets FAULT_READS, FAULT_MAX_MS
fault_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/e2e_lib.sh
source "$fault_here/../integration/e2e_lib.sh"
# shellcheck source=../lib/servers.sh
source "$fault_here/../lib/servers.sh"

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
        [[ -e $f ]] && n=$((n + $(jq '.reports | length' "$f")))
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

fault_agents_conf()
{
    local i
    for i in 1 2; do
        printf '%s\n' "$1" >>"$COORD_TMP/agent-$i.conf"
    done
}

FAULT_OWN_PW=""

fault_own_servers_stop()
{
    sw_my_stop || true
    sw_pg_stop || true
}

fault_own_servers_start()
{
    FAULT_OWN_PW=$(sw_random_hex 24)
    trap 'fault_own_servers_stop; e2e_cleanup' EXIT
    sw_pg_start "$FAULT_OWN_PW" >/dev/null || e2e_fail "cannot start a throwaway PostgreSQL"
    sw_my_start "$FAULT_OWN_PW" >/dev/null || e2e_fail "cannot start a throwaway MariaDB"
    coord_log "own servers: postgres 127.0.0.1:$SW_PG_PORT, mariadb 127.0.0.1:$SW_MY_PORT"
}

# SQL on a shard of the own servers (E2E_SQL_FN), over their local sockets.
fault_own_sql()
{
    local id=$1 sql=$2
    case ${E2E_ENGINE[$id]} in
    pg)
        sw_as_pg "$SW_PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -F $'\t' -h "$SW_PG_DIR" \
            -p "$SW_PG_PORT" -U postgres -d "${E2E_DB[$id]}" -c "$sql"
        ;;
    mysql) sw_my_root -N -B "${E2E_DB[$id]}" -e "SET time_zone = '+00:00'; $sql" ;;
    esac
}

# Appends one entry to a libconfig list file ending in ");".
fault_conf_append()
{
    local file=$1 entry=$2
    sed -i '$d' "$file"
    printf ',\n  %s\n);\n' "$entry" >>"$file"
}

fault_own_shard()
{
    local id=$1 engine=$2 host=$3 db dsn
    db=$(e2e_db_name "$id")
    case $engine in
    pg)
        sw_pg_psql -c "CREATE DATABASE $db" >/dev/null
        dsn="postgres://sw:$FAULT_OWN_PW@127.0.0.1:$SW_PG_PORT/$db"
        ;;
    mysql)
        sw_my_root -e "CREATE DATABASE $db"
        dsn="mysql://sw:$FAULT_OWN_PW@127.0.0.1:$SW_MY_PORT/$db"
        ;;
    esac
    E2E_DB[$id]=$db
    E2E_ENGINE[$id]=$engine
    E2E_SQL_FN[$id]=fault_own_sql
    E2E_SHARDS+=("$id")
    fault_conf_append "$COORD_TMP/fleet.conf" \
        "{ id = \"$id\"; engine = \"$engine\"; pool = \"eu\"; labels = { tier = \"main\"; host = \"$host\"; }; }"
    fault_conf_append "$COORD_TMP/shards.conf" "{ id = \"$id\"; dsn = \"$dsn\"; }"
}

fault_own_down()
{
    case $1 in
    pg) sw_pg_halt || e2e_fail "pg_ctl stop of the own PostgreSQL failed" ;;
    mysql) sw_my_halt || e2e_fail "the own MariaDB did not stop" ;;
    esac
    coord_log "own $1 server stopped"
}

fault_own_up()
{
    case $1 in
    pg) sw_pg_restart || e2e_fail "the own PostgreSQL did not start again" ;;
    mysql) sw_my_restart || e2e_fail "the own MariaDB did not start again" ;;
    esac
    coord_log "own $1 server started again"
}

FAULT_TENANT_PID=""
FAULT_READS=0
FAULT_MAX_MS=0

fault_tenant_open()
{
    local id=$1
    mkfifo "$COORD_TMP/tenant.fifo"
    case ${E2E_ENGINE[$id]} in
    pg)
        local dsn=${SW_TEST_PG_DSN%%\?*}
        e2e_psql "${dsn%/*}/${E2E_DB[$id]}" <"$COORD_TMP/tenant.fifo" >"$COORD_TMP/tenant.out" 2>&1 &
        ;;
    mysql) e2e_mariadb --unbuffered "${E2E_DB[$id]}" <"$COORD_TMP/tenant.fifo" >"$COORD_TMP/tenant.out" 2>&1 & ;;
    esac
    FAULT_TENANT_PID=$!
    exec 7>"$COORD_TMP/tenant.fifo"
    printf "BEGIN;\nSELECT count(*) FROM users;\nSELECT 'tenant holds users';\n" >&7
}

fault_tenant_holds()
{
    local id=$1
    case ${E2E_ENGINE[$id]} in
    pg)
        [[ $(e2e_sql "$id" "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE c.relname = 'users' AND l.pid = (SELECT pid FROM pg_stat_activity
            WHERE datname = '${E2E_DB[$id]}' AND state = 'idle in transaction' LIMIT 1) AND l.granted") != 0 ]]
        ;;
    mysql) grep -q 'tenant holds users' "$COORD_TMP/tenant.out" ;; # the read ran inside the transaction
    esac
}

fault_tenant_commit()
{
    printf 'COMMIT;\n' >&7
    exec 7>&-
    wait "$FAULT_TENANT_PID" || e2e_fail "the tenant's transaction failed: $(cat "$COORD_TMP/tenant.out")"
    rm -f "$COORD_TMP/tenant.fifo"
}

fault_tenant_read_once()
{
    local id=$1
    case ${E2E_ENGINE[$id]} in
    pg)
        local dsn=${SW_TEST_PG_DSN%%\?*}
        e2e_psql "${dsn%/*}/${E2E_DB[$id]}" -c "SELECT count(*) FROM users" >/dev/null
        ;;
    mysql) e2e_mariadb "${E2E_DB[$id]}" -e "SELECT count(*) FROM users" >/dev/null ;;
    esac
}

fault_tenant_reads()
{
    local id=$1 t0 dt st
    FAULT_READS=0
    FAULT_MAX_MS=0
    while :; do
        t0=$(e2e_now_ms)
        fault_tenant_read_once "$id" || e2e_fail "a tenant query on $id failed during the locked wave"
        dt=$(($(e2e_now_ms) - t0))
        FAULT_READS=$((FAULT_READS + 1))
        ((dt > FAULT_MAX_MS)) && FAULT_MAX_MS=$dt
        st=$(e2e_wave_state)
        [[ $st == running || $st == pending ]] || break
        ((FAULT_READS < 4000)) || e2e_fail "the locked wave did not settle"
    done
}
