# shellcheck shell=bash
# Helpers for the high-availability fault tests (tests/fault/ha_*.sh, issue 10): several
# real coordinators on one PostgreSQL store database (a fresh one per test, on
# SW_TEST_PG_DSN or on a throwaway server of the test's own), two real agents configured
# with every coordinator's URL. Sourced, not run. Builds on fault_lib.sh (e2e_lib.sh,
# coord_lib.sh).
#
#   ha_setup N_COORDS N_PG N_SQLITE [STORE_DSN]   e2e_setup + a store database + N coordinator
#                        configs (c-1.., own ports, leader_lease_ms HA_LEASE_MS) and the
#                        agents' coordinator_url list; STORE_DSN defaults to SW_TEST_PG_DSN
#   ha_start I           starts coordinator c-I (pid HA_PIDS[I]), waits for /healthz
#   ha_use I             points api (coord_lib.sh) at c-I
#   ha_role I            "leader", "follower" or "down" from c-I's /healthz
#   ha_leader            the index of the coordinator whose /healthz says leader ("" if none)
#   ha_wait_leader SECS [NOT]   polls until a coordinator other than NOT leads; sets HA_LEADER
#   ha_follows I L       true when c-I's /healthz says follower of c-L
#   ha_wait_follows I L  polls (20 s) until c-I follows c-L
#   ha_start_pair        starts c-1, waits until it leads, starts c-2, waits until it follows
#   ha_takeover ACTION   runs ACTION (ha_kill 1 / ha_stop_sig 1 / ha_stop_in_txn 1 MS) on
#                        the leader c-1, waits until c-2 leads; prints and sets
#                        HA_TAKEOVER_MS (from the action's signal: HA_T0)
#   ha_idle_in_txn I     how many of c-I's store sessions are idle inside a transaction
#                        (its client ports from ss; PostgreSQL's pg_stat_activity)
#   ha_stop_in_txn I MS  SIGSTOPs c-I until one of its store sessions is idle inside a
#                        transaction (SIGCONT and again, for at most MS); sets HA_IN_TXN
#   ha_kill I / ha_stop_sig I / ha_cont I   kill -9 (reaped) / SIGSTOP / SIGCONT of c-I
#   ha_store_sql SQL     runs SQL in the store database
#   ha_write_slow_set DIR [SECS]   e2e_write_set, with a pg_sleep(SECS, default 2) before
#                        V3's CREATE INDEX on pg
#   ha_start_wave I NAME [PLAN_JSON [REASON]]   uploads the set through c-I, starts agents
#                        a-1 and a-2, creates a wave (default: one stage, max_parallel 3);
#                        sets E2E_DIGEST and E2E_WAVE
#   ha_some_in_v3        true while a shard of the wave runs V3 (its pg_sleep)
#   ha_assert_completed  (on the coordinator ha_use points at) the wave completes, the
#                        agents' queues drain, every shard has one applied row per version
#                        (3) and each step was counted once
#   ha_report_json ID SHARD   a harmless step report (outcome skipped) of agent a-1
#   ha_post_report I ID SHARD   POSTs it to c-I as agent a-1; sets API_STATUS/API_BODY
here_ha=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=fault_lib.sh
source "$here_ha/fault_lib.sh"

HA_LEASE_MS=${HA_LEASE_MS:-2000}
HA_N=0
HA_PIDS=()
HA_PORTS=()
HA_STORE_DB=""
HA_STORE_URL=""
HA_STORE_ADMIN=""
HA_LEADER=""
HA_T0=0

ha_cleanup()
{
    local i
    for ((i = 1; i <= HA_N; i++)); do
        if [[ -n ${HA_PIDS[i]:-} ]]; then
            kill -CONT "${HA_PIDS[i]}" 2>/dev/null || true
            kill -KILL "${HA_PIDS[i]}" 2>/dev/null || true
            wait "${HA_PIDS[i]}" 2>/dev/null || true
        fi
    done
}

ha_fail()
{
    local i
    for ((i = 1; i <= HA_N; i++)); do
        printf -- '--- coordinator c-%s log (tail) ---\n' "$i" >&2
        tail -n 30 "$COORD_TMP/c-$i.log" >&2 || true
    done
    e2e_fail "$@"
}

# postgres://user:pw@host:port/db?x -> HA_STORE_URL (no password; libpq reads PGPASSWORD)
# and HA_STORE_ADMIN (the admin DSN itself) for a fresh database HA_STORE_DB.
ha_store_create()
{
    local dsn=$1
    local re='^(postgres(ql)?://)([^:@/]+)(:([^@]*))?@([^/?]+)/'
    [[ $dsn =~ $re ]] || coord_fail "cannot parse the store's admin DSN"
    HA_STORE_DB="${E2E_PREFIX}_store"
    HA_STORE_URL="${BASH_REMATCH[1]}${BASH_REMATCH[3]}@${BASH_REMATCH[6]}/$HA_STORE_DB"
    HA_STORE_ADMIN=$dsn
    export PGPASSWORD=${BASH_REMATCH[5]}
    e2e_psql "$dsn" -c "CREATE DATABASE $HA_STORE_DB" >/dev/null
    E2E_DROPS+=("e2e_psql '$dsn' -c 'DROP DATABASE IF EXISTS $HA_STORE_DB WITH (FORCE)'")
}

ha_store_sql()
{
    local base=${HA_STORE_ADMIN%%\?*}
    e2e_psql "${base%/*}/$HA_STORE_DB" -c "$1"
}

ha_write_conf()
{
    local i=$1
    sed -e "s#^listen = .*#listen = \"127.0.0.1:${HA_PORTS[i]}\";#" \
        -e "s#^store_path = .*#store_path = \"$HA_STORE_URL\";#" \
        "$COORD_TMP/coordinator.conf" >"$COORD_TMP/c-$i.conf"
    cat >>"$COORD_TMP/c-$i.conf" <<CONF
coordinator_id = "c-$i";
advertise_url = "http://127.0.0.1:${HA_PORTS[i]}";
leader_lease_ms = $HA_LEASE_MS;
CONF
}

ha_agent_urls()
{
    local i list=""
    for ((i = 1; i <= HA_N; i++)); do
        list+="${list:+, }\"http://127.0.0.1:${HA_PORTS[i]}\""
    done
    sed -i "s#^coordinator_url = .*#coordinator_url = [$list]#" "$COORD_TMP"/agent-*.conf
}

ha_setup()
{
    local n=$1 n_pg=$2 n_sq=$3 dsn=${4:-${SW_TEST_PG_DSN:-}}
    e2e_require SW_TEST_PG_DSN
    e2e_setup "$n_pg" 0 "$n_sq" 4
    ha_store_create "$dsn"
    HA_N=$n
    local i
    for ((i = 1; i <= n; i++)); do
        HA_PORTS[i]=$(coord_free_port)
        while [[ $i -gt 1 && ${HA_PORTS[i]} == "${HA_PORTS[i - 1]}" ]]; do
            HA_PORTS[i]=$(coord_free_port)
        done
        ha_write_conf "$i"
    done
    ha_agent_urls
    # a request to a stopped coordinator must not hang an agent for long
    fault_agents_conf 'request_timeout_ms = 2000'
    fault_agents_conf 'connect_timeout_ms = 1000'
    trap 'ha_cleanup; e2e_cleanup' EXIT
}

# shellcheck disable=SC2034 # COORD_PORT, COORD_PID and COORD_LOG are coord_lib.sh's
ha_use()
{
    COORD_PORT=${HA_PORTS[$1]}
    COORD_PID=${HA_PIDS[$1]:-}
    COORD_LOG="$COORD_TMP/c-$1.log"
}

ha_healthy()
{
    curl -s -o /dev/null -m 2 "http://127.0.0.1:${HA_PORTS[$1]}/healthz"
}

# Starts c-I; moves it to a new free port when another process took its port first.
ha_start()
{
    local i=$1 attempt deadline
    for attempt in 1 2 3 4 5; do
        "$COORD_BIN" --config "$COORD_TMP/c-$i.conf" >>"$COORD_TMP/c-$i.log" 2>&1 &
        HA_PIDS[i]=$!
        deadline=$((SECONDS + 20))
        until ha_healthy "$i"; do
            kill -0 "${HA_PIDS[i]}" 2>/dev/null || break
            ((SECONDS < deadline)) || ha_fail "coordinator c-$i did not answer /healthz"
            sleep 0.05
        done
        kill -0 "${HA_PIDS[i]}" 2>/dev/null && return 0
        wait "${HA_PIDS[i]}" 2>/dev/null || true
        grep -q "cannot listen" "$COORD_TMP/c-$i.log" || ha_fail "coordinator c-$i exited"
        HA_PORTS[i]=$(coord_free_port)
        coord_log "c-$i: port taken (attempt $attempt): moving to ${HA_PORTS[i]}"
        ha_write_conf "$i"
        ha_agent_urls
    done
    ha_fail "coordinator c-$i could not listen on a free port"
}

ha_role()
{
    local body
    body=$(curl -s -m 2 "http://127.0.0.1:${HA_PORTS[$1]}/healthz") || {
        echo down
        return
    }
    jq -r '.role // "down"' <<<"$body" 2>/dev/null || echo down
}

ha_leader()
{
    local i
    for ((i = 1; i <= HA_N; i++)); do
        [[ -n ${HA_PIDS[i]:-} ]] || continue
        if [[ $(ha_role "$i") == leader ]]; then
            echo "$i"
            return
        fi
    done
}

# shellcheck disable=SC2034 # HA_LEADER is the caller's
ha_wait_leader()
{
    local secs=$1 not=${2:-0} deadline l
    deadline=$((SECONDS + secs))
    while :; do
        l=$(ha_leader)
        if [[ -n $l && $l != "$not" ]]; then
            HA_LEADER=$l
            return 0
        fi
        ((SECONDS < deadline)) || ha_fail "no coordinator became the leader within ${secs}s"
        sleep 0.05
    done
}

ha_follows()
{
    local body
    body=$(curl -s -m 2 "http://127.0.0.1:${HA_PORTS[$1]}/healthz") &&
        [[ $(jq -r '.role + " " + (.leader.id // "")' <<<"$body") == "follower c-$2" ]]
}

ha_wait_follows()
{
    fault_poll 20 "c-$1 to follow c-$2" ha_follows "$1" "$2"
}

ha_start_pair()
{
    ha_start 1
    ha_wait_leader 20
    assert_eq "$HA_LEADER" 1 "the first coordinator leads"
    ha_start 2
    ha_wait_follows 2 1
}

ha_idle_in_txn()
{
    local ports
    ports=$(ss -tnpH state established | grep "pid=${HA_PIDS[$1]}," |
        awk '{ sub(/.*:/, "", $3); printf "%s%s", sep, $3; sep = "," }')
    [[ -n $ports ]] || {
        echo 0
        return
    }
    ha_store_sql "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
        AND client_port IN ($ports) AND state LIKE 'idle in transaction%'"
}

# shellcheck disable=SC2034 # HA_IN_TXN is the caller's
ha_stop_in_txn()
{
    local i=$1 deadline n
    deadline=$(($(e2e_now_ms) + $2))
    for ((n = 1; ; n++)); do
        HA_T0=$(e2e_now_ms)
        kill -STOP "${HA_PIDS[i]}"
        HA_IN_TXN=$(ha_idle_in_txn "$i")
        ((HA_IN_TXN == 0 && $(e2e_now_ms) < deadline)) || break
        kill -CONT "${HA_PIDS[i]}"
        sleep 0.02
    done
    coord_log "SIGSTOP of coordinator c-$i (attempt $n; sessions idle in a transaction: $HA_IN_TXN)"
}

# shellcheck disable=SC2034 # HA_TAKEOVER_MS is the caller's
ha_takeover()
{
    local t1
    "$@"
    ha_wait_leader 30 1
    t1=$(e2e_now_ms)
    assert_eq "$HA_LEADER" 2 "the follower took over"
    HA_TAKEOVER_MS=$((t1 - HA_T0))
    coord_log "takeover_ms=$HA_TAKEOVER_MS (leader_lease_ms=$HA_LEASE_MS)"
}

ha_kill()
{
    local i=$1
    HA_T0=$(e2e_now_ms)
    kill -KILL "${HA_PIDS[i]}"
    wait "${HA_PIDS[i]}" 2>/dev/null || true
    coord_log "kill -9 of coordinator c-$i (pid ${HA_PIDS[i]})"
    HA_PIDS[i]=""
}

ha_stop_sig()
{
    HA_T0=$(e2e_now_ms)
    kill -STOP "${HA_PIDS[$1]}"
    coord_log "SIGSTOP of coordinator c-$1"
}

ha_cont()
{
    kill -CONT "${HA_PIDS[$1]}"
    coord_log "SIGCONT of coordinator c-$1"
}

ha_report_json()
{
    local id=$1 shard=$2
    jq -n --arg id "$id" --arg w "$E2E_WAVE" --arg s "$shard" \
        '{protocol: "1.0", agent: "a-1", reports: [{id: $id, lease: "l-000000000000000000000000",
          wave: $w, shard: $s, kind: "step", version: "1", direction: "up", outcome: "skipped",
          started_at: "2026-01-01T00:00:00.000Z", duration_ms: 0, error: null}]}'
}

ha_post_report()
{
    local i=$1 id=$2 shard=$3
    ha_use "$i"
    api POST /v1/reports "$AGENT_TOKEN-1" "$(ha_report_json "$id" "$shard")"
}

ha_write_slow_set()
{
    e2e_write_set "$1"
    printf -- '-- shardwave: allow create-index-blocking test tables hold a few rows\nSELECT pg_sleep(%s);\nCREATE INDEX users_email ON users (email);\n' \
        "${2:-2}" >"$1/V3__index_email.pg.sql"
}

ha_start_wave()
{
    local i=$1 name=$2
    local plan=${3:-"{\"name\": \"$name\", \"stages\": [{\"name\": \"all\", \"rest\": true, \"max_parallel\": 3}]}"}
    ha_use "$i"
    coord_upload_set "$COORD_TMP/set"
    # shellcheck disable=SC2034 # e2e_wave reads it
    E2E_DIGEST=$COORD_DIGEST
    fault_agent_start 1
    fault_agent_start 2
    e2e_wave "$plan" "${4:-e2e}"
}

ha_some_in_v3()
{
    local id
    for id in "${E2E_SHARDS[@]}"; do
        fault_pg_busy "$id" && return 0
    done
    return 1
}

ha_assert_completed()
{
    local id
    e2e_wait_state completed
    fault_wait_queues_empty
    for id in "${E2E_SHARDS[@]}"; do
        fault_assert_once "$id" 3
    done
    fault_assert_counted_once "${E2E_SHARDS[@]}"
}
