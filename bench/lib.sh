# shellcheck shell=bash
# Helpers for the benchmarks in bench/ (sourced, not run).
#
#   bench_now_ns                       wall clock, nanoseconds
#   bench_median V...                  median of numbers (mean of the middle two if even)
#   bench_engine_files DIR ENGINE      the up files an engine runs, in version order (one a
#                                      line): the .ENGINE.sql variant wins over the portable file
#   bench_parse_mysql DSN              sets BENCH_MY_USER/PASS/HOST/PORT
#   bench_mariadb ARGS...              the mariadb client on BENCH_MY_* (TCP, batch)
#   bench_psql ARGS...                 psql -X -q, stop on the first error
#   bench_poll DEADLINE_S CMD...       runs CMD every 50 ms until it succeeds (0), gives up (2)
#                                      or the deadline passes
#
# Never kills by name: every process is stopped through the pid it was started with.
set -euo pipefail

bench_msg()
{
    printf 'bench: %s\n' "$*" >&2
}

bench_die()
{
    bench_msg "error: $*"
    exit 1
}

bench_now_ns()
{
    date +%s%N
}

bench_median()
{
    local -a v
    mapfile -t v < <(printf '%s\n' "$@" | sort -g)
    local n=${#v[@]}
    ((n > 0)) || {
        echo 0
        return
    }
    if ((n % 2)); then
        echo "${v[n / 2]}"
    else
        awk -v a="${v[n / 2 - 1]}" -v b="${v[n / 2]}" 'BEGIN { printf "%.6f\n", (a + b) / 2 }'
    fi
}

# The version of a migration file name (V12__x.pg.sql -> 12).
bench_file_version()
{
    local f=${1##*/}
    f=${f#[VU]}
    echo "${f%%__*}"
}

bench_engine_files()
{
    local dir=$1 engine=$2 f v
    local -A chosen=()
    for f in "$dir"/V*__*.sql; do
        [[ -e $f ]] || continue
        v=$(bench_file_version "$f")
        case ${f##*/} in
        *.pg.sql | *.mysql.sql | *.sqlite.sql)
            [[ ${f##*/} == *."$engine".sql ]] && chosen[$v]=$f
            ;;
        *)
            [[ -n ${chosen[$v]:-} ]] || chosen[$v]=$f
            ;;
        esac
    done
    # a portable file seen after its variant must not replace it
    for f in "$dir"/V*__*."$engine".sql; do
        [[ -e $f ]] || continue
        chosen[$(bench_file_version "$f")]=$f
    done
    for v in "${!chosen[@]}"; do
        printf '%s\t%s\n' "$v" "${chosen[$v]}"
    done | sort -t $'\t' -k1,1V | cut -f2
}

# mysql://user[:pass]@host[:port][/db]
bench_parse_mysql()
{
    local re='^(mysql|mariadb)://([^:@/]*)(:([^@]*))?@([^:/?]+)(:([0-9]+))?(/([^?]*))?'
    [[ $1 =~ $re ]] || bench_die "cannot parse the MySQL DSN"
    BENCH_MY_USER=${BASH_REMATCH[2]}
    BENCH_MY_PASS=${BASH_REMATCH[4]}
    BENCH_MY_HOST=${BASH_REMATCH[5]}
    BENCH_MY_PORT=${BASH_REMATCH[7]:-3306}
}

bench_mariadb()
{
    MYSQL_PWD=$BENCH_MY_PASS mariadb --protocol=TCP -h "$BENCH_MY_HOST" -P "$BENCH_MY_PORT" \
        -u "$BENCH_MY_USER" -N -B "$@"
}

bench_psql()
{
    psql -X -q -v ON_ERROR_STOP=1 "$@"
}

bench_poll()
{
    local deadline=$((SECONDS + $1))
    shift
    local rc
    while :; do
        rc=0
        "$@" || rc=$?
        ((rc == 0)) && return 0
        ((rc == 2)) && return 1 # the command says waiting is pointless
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

# A free TCP port on 127.0.0.1 (the first one nobody answers on).
bench_free_port()
{
    local p
    for ((p = 20000 + RANDOM % 30000; ; p++)); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# The coordinator and agents of a benchmark run. These use the caller's globals: work (reply
# file dir), op_token, coord_port, coord_pid, and BENCH_API_TIMEOUT_S (default 60).

# shellcheck disable=SC2154 # work, op_token, coord_port, coord_pid are the caller's
# api METHOD PATH [BODY|@FILE] -> reply in $work/reply, HTTP status on stdout
api()
{
    local -a args=(-s -S -m "${BENCH_API_TIMEOUT_S:-60}" -o "$work/reply" -w '%{http_code}'
        -X "$1" -H "Authorization: Bearer $op_token")
    [[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
    curl "${args[@]}" "http://127.0.0.1:$coord_port$2" || echo "curl-failed"
}

# Succeeds once /healthz answers; fails at once (ends the poll) if the coordinator exited.
# shellcheck disable=SC2154
coord_alive_and_healthy()
{
    kill -0 "$coord_pid" 2>/dev/null || return 2
    curl -s -o /dev/null -m 2 "http://127.0.0.1:$coord_port/healthz" || return 1
}

# Both agents of DIR logged their registration; fails at once if an agent exited. (Any
# other failure is 1: grep's 2 for a log file the starting shell has not created yet must
# not end the poll.)
# shellcheck disable=SC2154
agents_registered()
{
    local pid
    for pid in "${agent_pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || return 2
    done
    grep -qs "registered with" "$1/agent-1.log" &&
        grep -qs "registered with" "$1/agent-2.log" || return 1
}

# bench_write_process_configs DIR STORE FLEET TOKENS POOL SHARDS_LINE: the coordinator's
# config (listen on $coord_port, tick $tick_ms) and two agents' configs (tokens
# "$agent_token-<i>", $workers workers, pool POOL, SHARDS_LINE naming their shards: a
# shards_file or a dsn_template setting) in DIR.
# shellcheck disable=SC2154 # coord_port, tick_ms, agent_token, workers: the caller's
bench_write_process_configs()
{
    local dir=$1 store=$2 fleet=$3 tokens=$4 pool=$5 shards_line=$6 i
    cat >"$dir/coordinator.conf" <<CONF
listen = "127.0.0.1:$coord_port";
store_path = "$store";
fleet_file = "$fleet";
tokens_file = "$tokens";
tick_ms = $tick_ms;
log_level = "info";
CONF
    for i in 1 2; do
        printf '%s-%s\n' "$agent_token" "$i" >"$dir/agent-$i.token"
        chmod 600 "$dir/agent-$i.token"
        cat >"$dir/agent-$i.conf" <<CONF
coordinator_url = "http://127.0.0.1:$coord_port"
token_file = "$dir/agent-$i.token"
agent_id = "a-$i"
pools = ["$pool"]
workers = $workers
state_dir = "$dir/agent-$i.state"
$shards_line
CONF
    done
}

# bench_start_wave DIR SET WRITE_CONFIGS POLL_S: starts a coordinator (fresh store in DIR,
# configs written by the caller's WRITE_CONFIGS DIR after coord_port is chosen) and two
# agents, uploads the migration set SET; sets coord_port, coord_pid, agent_pids and digest.
# shellcheck disable=SC2154,SC2034 # bin_dir, work, agent_pids in; digest out (the caller's)
bench_start_wave()
{
    local dir=$1 set=$2 write_configs=$3 poll_s=$4 i attempt st
    mkdir -p "$dir"
    # a free port can be taken by someone else before the coordinator binds it: retry
    for attempt in 1 2 3; do
        coord_port=$(bench_free_port)
        "$write_configs" "$dir"
        "$bin_dir/shardwave-coordinator" --config "$dir/coordinator.conf" >"$dir/coordinator.log" 2>&1 &
        coord_pid=$!
        bench_poll "$poll_s" coord_alive_and_healthy && break
        tail -n 5 "$dir/coordinator.log" >&2
        kill -TERM "$coord_pid" 2>/dev/null || true
        wait "$coord_pid" 2>/dev/null || true
        coord_pid=""
        ((attempt < 3)) || bench_die "the coordinator did not answer /healthz ($dir/coordinator.log)"
    done
    for i in 1 2; do
        "$bin_dir/shardwave-agent" --config "$dir/agent-$i.conf" >"$dir/agent-$i.log" 2>&1 &
        agent_pids+=($!)
    done
    bench_poll "$poll_s" agents_registered "$dir" ||
        bench_die "the agents did not register ($dir/agent-*.log)"
    (cd "$set" && for f in *.sql; do jq -n --arg n "$f" --rawfile c "$f" '{name: $n, content: $c}'; done) |
        jq -s '{files: .}' >"$dir/upload.json"
    st=$(api POST /v1/migration-sets "@$dir/upload.json")
    [[ $st == 200 || $st == 201 ]] || bench_die "upload: HTTP $st: $(cat "$work/reply")"
    digest=$(jq -r .digest "$work/reply")
}
