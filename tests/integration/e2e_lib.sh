# shellcheck shell=bash
# Helpers for the end-to-end wave tests (tests/integration/e2e_*.sh): a real
# shardwave-coordinator and two real shardwave-agents on 127.0.0.1, over a fleet of real
# PostgreSQL and MariaDB databases (SW_TEST_PG_DSN / SW_TEST_MYSQL_DSN) and SQLite files.
# Sourced, not run. Builds on coord_lib.sh (api, jqr, wait_for, assert_*, coord_start).
#
#   e2e_setup N_PG N_MY N_SQLITE [HOSTS]  databases, fleet (pool eu; the first shard is
#                              tier=canary; host label h-1..h-HOSTS round robin), tokens,
#                              coordinator and agent configs; E2E_SHARDS lists the ids
#   e2e_start                  coordinator + agents a-1 and a-2 (4 workers each)
#   e2e_write_set DIR [FAIL_VERSION]   the portable 3-step set (users, status, index);
#                              FAIL_VERSION's up file fails on every engine
#   e2e_wave PLAN_JSON [REASON]        creates a wave of E2E_DIGEST; sets E2E_WAVE
#   e2e_wave_state             the wave's state;  e2e_wait_state STATE...
#   e2e_version SHARD          the shard's current version from its own history table
#   e2e_rows SHARD             its history rows of E2E_WAVE: "version direction state
#                              started_ms finished_ms" (epoch ms), one per line
#   e2e_now_ms                 wall clock ms
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=coord_lib.sh
source "$here/coord_lib.sh"
COORD_TEST_NAME=$(basename "$0" .sh)

AGENT_BIN="$SW_BIN_DIR/shardwave-agent"
[[ -x $AGENT_BIN ]] || coord_fail "$AGENT_BIN is not built"
command -v sqlite3 >/dev/null || coord_fail "sqlite3 is required"

E2E_AGENT_PIDS=()
E2E_DROPS=()
E2E_SHARDS=()
declare -A E2E_ENGINE=() E2E_DB=() E2E_SQL_FN=()
E2E_PREFIX="sw_e2e_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
E2E_WAVE=""
E2E_DIGEST=""

e2e_cleanup()
{
    local p
    for p in "${E2E_AGENT_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${E2E_AGENT_PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    if [[ -n $COORD_PID ]] && kill -0 "$COORD_PID" 2>/dev/null; then
        kill -KILL "$COORD_PID" 2>/dev/null || true
        wait "$COORD_PID" 2>/dev/null || true
    fi
    local d
    for d in "${E2E_DROPS[@]}"; do
        eval "$d" >/dev/null 2>&1 || true
    done
    [[ -n ${KEEP:-} ]] || rm -rf "$COORD_TMP"
}
trap e2e_cleanup EXIT

e2e_fail()
{
    local i
    for i in 1 2; do
        if [[ -f $COORD_TMP/agent-$i.log ]]; then
            printf -- '--- agent a-%s log (tail) ---\n' "$i" >&2
            tail -n 25 "$COORD_TMP/agent-$i.log" >&2
        fi
    done
    coord_fail "$@"
}

e2e_require()
{
    local var=$1
    [[ -n ${!var:-} ]] && return 0
    [[ ${SW_TEST_REQUIRE_SERVERS:-0} == 1 ]] && coord_fail "$var is not set but SW_TEST_REQUIRE_SERVERS=1"
    coord_log "skipped: $var is not set"
    exit 77
}

# mysql://user[:pass]@host[:port][/db]
e2e_parse_mysql()
{
    local re='^(mysql|mariadb)://([^:@/]*)(:([^@]*))?@([^:/?]+)(:([0-9]+))?(/([^?]*))?'
    [[ $SW_TEST_MYSQL_DSN =~ $re ]] || coord_fail "cannot parse SW_TEST_MYSQL_DSN"
    E2E_MY_USER=${BASH_REMATCH[2]}
    E2E_MY_PASS=${BASH_REMATCH[4]}
    E2E_MY_HOST=${BASH_REMATCH[5]}
    E2E_MY_PORT=${BASH_REMATCH[7]:-3306}
}

e2e_mariadb()
{
    MYSQL_PWD=$E2E_MY_PASS mariadb --protocol=TCP -h "$E2E_MY_HOST" -P "$E2E_MY_PORT" \
        -u "$E2E_MY_USER" -N -B "$@"
}

e2e_psql()
{
    psql -X -A -t -q -v ON_ERROR_STOP=1 "$@"
}

e2e_db_name()
{
    echo "${E2E_PREFIX}_${1//-/_}"
}

# Creates the shard's database; prints its DSN.
e2e_create_db()
{
    local engine=$1 id=$2 name
    name=$(e2e_db_name "$id")
    case $engine in
    sqlite) echo "sqlite://$COORD_TMP/$id.db" ;;
    pg)
        e2e_psql "$SW_TEST_PG_DSN" -c "CREATE DATABASE $name" >/dev/null
        E2E_DROPS+=("e2e_psql '$SW_TEST_PG_DSN' -c 'DROP DATABASE IF EXISTS $name WITH (FORCE)'")
        local base=${SW_TEST_PG_DSN%%\?*}
        echo "${base%/*}/$name"
        ;;
    mysql)
        e2e_mariadb -e "CREATE DATABASE $name"
        E2E_DROPS+=("e2e_mariadb -e 'DROP DATABASE IF EXISTS $name'")
        local auth=$E2E_MY_USER
        [[ -n $E2E_MY_PASS ]] && auth+=":$E2E_MY_PASS"
        echo "mysql://$auth@$E2E_MY_HOST:$E2E_MY_PORT/$name"
        ;;
    esac
}

e2e_setup()
{
    local n_pg=$1 n_my=$2 n_sq=$3 hosts=${4:-4} i k=0 id engine dsn
    ((n_pg == 0)) || e2e_require SW_TEST_PG_DSN
    ((n_my == 0)) || {
        e2e_require SW_TEST_MYSQL_DSN
        e2e_parse_mysql
    }
    COORD_PORT=$(coord_free_port)
    cat >"$COORD_TMP/tokens" <<TOKENS
operator ops-oncall $OP_TOKEN
read viewer $READ_TOKEN
agent a-1 $AGENT_TOKEN-1
agent a-2 $AGENT_TOKEN-2
TOKENS
    chmod 600 "$COORD_TMP/tokens"
    local fleet="shards = (" shards="shards = (" sep=""
    for engine in pg mysql sqlite; do
        local n=$n_sq
        [[ $engine == pg ]] && n=$n_pg
        [[ $engine == mysql ]] && n=$n_my
        for ((i = 1; i <= n; i++)); do
            printf -v id '%s-%02d' "$engine" "$i"
            dsn=$(e2e_create_db "$engine" "$id")
            E2E_DB[$id]=$(e2e_db_name "$id")
            E2E_ENGINE[$id]=$engine
            E2E_SHARDS+=("$id")
            local tier=main
            ((k == 0)) && tier=canary
            fleet+=$(printf '%s\n  { id = "%s"; engine = "%s"; pool = "eu"; labels = { tier = "%s"; host = "h-%d"; }; }' \
                "$sep" "$id" "$engine" "$tier" $((k % hosts + 1)))
            shards+=$(printf '%s\n  { id = "%s"; dsn = "%s"; }' "$sep" "$id" "$dsn")
            sep=","
            k=$((k + 1))
        done
    done
    printf '%s\n);\n' "$fleet" >"$COORD_TMP/fleet.conf"
    printf '%s\n);\n' "$shards" >"$COORD_TMP/shards.conf"
    chmod 600 "$COORD_TMP/shards.conf"
    cat >"$COORD_TMP/coordinator.conf" <<CONF
listen = "127.0.0.1:$COORD_PORT";
store_path = "$COORD_TMP/store.db";
fleet_file = "$COORD_TMP/fleet.conf";
tokens_file = "$COORD_TMP/tokens";
tick_ms = 50;
lease_ttl_s = 5;
long_poll_s = 2;
log_level = "info";
CONF
    for i in 1 2; do
        printf '%s' "$AGENT_TOKEN-$i" >"$COORD_TMP/agent-$i.token"
        chmod 600 "$COORD_TMP/agent-$i.token"
        cat >"$COORD_TMP/agent-$i.conf" <<CONF
coordinator_url = "http://127.0.0.1:$COORD_PORT"
token_file = "$COORD_TMP/agent-$i.token"
agent_id = "a-$i"
pools = ["eu"]
workers = 4
state_dir = "$COORD_TMP/agent-$i.state"
shards_file = "$COORD_TMP/shards.conf"
retry_base_ms = 50
retry_cap_ms = 500
CONF
    done
}

e2e_start()
{
    coord_start
    local i
    for i in 1 2; do
        "$AGENT_BIN" --config "$COORD_TMP/agent-$i.conf" >>"$COORD_TMP/agent-$i.log" 2>&1 &
        E2E_AGENT_PIDS+=($!)
    done
}

e2e_write_set()
{
    local dir=$1 fail=${2:-}
    mkdir -p "$dir"
    printf 'CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) NOT NULL);\n' \
        >"$dir/V1__create_users.sql"
    printf 'DROP TABLE users;\n' >"$dir/U1__create_users.sql"
    printf 'ALTER TABLE users ADD COLUMN status varchar(20);\n' >"$dir/V2__add_status.sql"
    printf 'ALTER TABLE users DROP COLUMN status;\n' >"$dir/U2__add_status.sql"
    # A plain CREATE INDEX locks writes (pg) or may (mysql): acknowledged, the tables are
    # tiny, so the coordinator's policy lets the wave run (coord_policy.sh tests refusals).
    printf -- '-- shardwave: allow create-index-blocking test tables hold a few rows\nCREATE INDEX users_email ON users (email);\n' \
        >"$dir/V3__index_email.sql"
    printf 'DROP INDEX users_email;\n' >"$dir/U3__index_email.sql"
    printf 'DROP INDEX users_email ON users;\n' >"$dir/U3__index_email.mysql.sql"
    if [[ -n $fail ]]; then
        local f
        f=$(ls "$dir"/V"$fail"__*.sql)
        printf 'ALTER TABLE no_such_table ADD COLUMN x integer;\n' >"$f"
    fi
}

e2e_wave()
{
    local plan=$1 reason=${2:-e2e}
    local body
    body=$(jq -n --arg d "$E2E_DIGEST" --argjson p "$plan" --arg r "$reason" \
        '{migration_set: $d, plan: $p, reason: $r}')
    api POST /v1/waves "$OP_TOKEN" "$body"
    [[ $API_STATUS == 201 ]] || e2e_fail "wave create: expected 201, got $API_STATUS"
    E2E_WAVE=$(jqr .id)
}

e2e_wave_state()
{
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    jqr .state
}

# Waits (up to 60 s) until the wave is in one of the states.
e2e_wait_state()
{
    local deadline=$((SECONDS + 60)) st
    while :; do
        st=$(e2e_wave_state)
        local want
        for want in "$@"; do
            [[ $st == "$want" ]] && return 0
        done
        ((SECONDS < deadline)) || e2e_fail "wave $E2E_WAVE is $st, expected $*"
        sleep 0.1
    done
}

e2e_now_ms()
{
    date +%s%3N
}

# SQL on a shard (tab-separated rows). A shard on a server of the test's own (not
# SW_TEST_*_DSN) names the function that reaches it in E2E_SQL_FN[id] (called ID SQL).
e2e_sql()
{
    local id=$1 sql=$2
    if [[ -n ${E2E_SQL_FN[$id]:-} ]]; then
        "${E2E_SQL_FN[$id]}" "$id" "$sql"
        return
    fi
    case ${E2E_ENGINE[$id]} in
    sqlite) sqlite3 -batch -separator $'\t' "$COORD_TMP/$id.db" "$sql" ;;
    pg)
        local base=${SW_TEST_PG_DSN%%\?*}
        e2e_psql -F $'\t' "${base%/*}/${E2E_DB[$id]}" -c "$sql"
        ;;
    mysql) e2e_mariadb "${E2E_DB[$id]}" -e "SET time_zone = '+00:00'; $sql" ;;
    esac
}

# started/finished as epoch ms, per engine.
e2e_ms_expr()
{
    local id=$1 col=$2
    case ${E2E_ENGINE[$id]} in
    sqlite) echo "CAST(ROUND((julianday($col) - 2440587.5) * 86400000) AS INTEGER)" ;;
    pg) echo "CAST(ROUND(EXTRACT(EPOCH FROM $col) * 1000) AS BIGINT)" ;;
    mysql) echo "CAST(ROUND(UNIX_TIMESTAMP($col) * 1000) AS SIGNED)" ;;
    esac
}

e2e_has_history()
{
    local id=$1 sql
    case ${E2E_ENGINE[$id]} in
    sqlite) sql="SELECT count(*) FROM sqlite_master WHERE name = 'shardwave_schema_history'" ;;
    pg) sql="SELECT count(*) FROM information_schema.tables WHERE table_name = 'shardwave_schema_history'" ;;
    mysql) sql="SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'shardwave_schema_history'" ;;
    esac
    [[ $(e2e_sql "$id" "$sql") != 0 ]]
}

e2e_rows()
{
    local id=$1
    e2e_has_history "$id" || return 0
    e2e_sql "$id" "SELECT version, direction, state, $(e2e_ms_expr "$id" started_at),
        COALESCE($(e2e_ms_expr "$id" finished_at), 0) FROM shardwave_schema_history
        WHERE wave = '$E2E_WAVE' ORDER BY id" | tr '\t' ' '
}

# The current version as the history says: the highest applied up version that has no
# later applied down row (the tests' sets never re-apply).
e2e_version()
{
    local id=$1
    e2e_has_history "$id" || {
        echo 0
        return
    }
    local v
    v=$(e2e_sql "$id" "SELECT COALESCE(MAX(CAST(version AS INTEGER)), 0) FROM shardwave_schema_history h
        WHERE direction = 'up' AND state = 'applied' AND NOT EXISTS (SELECT 1 FROM
        shardwave_schema_history d WHERE d.version = h.version AND d.direction = 'down'
        AND d.state = 'applied' AND d.id > h.id)")
    echo "${v:-0}"
}
