#!/usr/bin/env bash
# Fleet benchmark: a shardwave wave against the raw-client floor, side by side.
#
#   bench/fleet.sh --engine pg|mysql|sqlite [--shards N] [--migrations DIR] [--parallel P]
#                  [--runs K] [--mode step|shard|both] [--tick-ms MS] [--bin-dir DIR] [--keep]
#
# Creates N shard databases (on the servers of SW_TEST_PG_DSN / SW_TEST_MYSQL_DSN when
# set, otherwise on throwaway servers from tests/lib/servers.sh; N files for SQLite), then
# K times, alternating which goes first, resets every shard (drop and recreate) and times:
#   floor      the engine's own client applying the same SQL per shard, xargs -P P
#              (psql -1 -f / mariadb -e 'source' / sqlite3 .read on the files concatenated
#              in version order; one session per shard, one transaction on PostgreSQL)
#   shardwave  one wave (one stage, max_parallel P, two agents of ceil(P/2) workers, a
#              coordinator on 127.0.0.1 with a fresh store) from the wave's creation to
#              `completed`; processes start and the set is uploaded before the clock starts.
#              --mode: the plan's transaction = "step" (each step commits with its history
#              row), "shard" (all of a shard's steps in one transaction; pg and sqlite) or
#              both (the default on pg and sqlite; MariaDB runs step only)
# Prints a table (method, shards, steps, median seconds, per-shard ms, ratio to the
# floor), ratio_to_floor_<mode>=<x> per mode, and last ratio_to_floor=<the best mode's
# median / floor median>.
# Exit status: 0 measured, 1 a run failed (the reason on stderr), 2 usage.
# Environment: BENCH_WAVE_TIMEOUT_S (default 1800) bounds how long one wave may take; on
# expiry the logs' last lines are printed and the run fails.
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_dir/.." && pwd)
# shellcheck source=bench/lib.sh
source "$bench_dir/lib.sh"

usage()
{
    sed -n '4,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,3\}//' >&2
    exit 2
}

engine="" shards=100 migrations="$bench_dir/migrations" parallel=8 runs=3 tick_ms=50 keep=0 mode=""
bin_dir=${SW_BIN_DIR:-}
while (($#)); do
    case $1 in
    --engine) engine=${2:-} && shift ;;
    --shards) shards=${2:-} && shift ;;
    --migrations) migrations=${2:-} && shift ;;
    --parallel) parallel=${2:-} && shift ;;
    --runs) runs=${2:-} && shift ;;
    --mode) mode=${2:-} && shift ;;
    --tick-ms) tick_ms=${2:-} && shift ;;
    --bin-dir) bin_dir=${2:-} && shift ;;
    --keep) keep=1 ;;
    -h | --help) usage ;;
    *) bench_msg "unknown option '$1'" && usage ;;
    esac
    shift
done
case $engine in pg | mysql | sqlite) ;; *) bench_msg "--engine must be pg, mysql or sqlite" && usage ;; esac
[[ -n $mode ]] || { [[ $engine == mysql ]] && mode=step || mode=both; }
case $mode in step | shard | both) ;; *) bench_msg "--mode must be step, shard or both" && usage ;; esac
if [[ $engine == mysql && $mode != step ]]; then
    bench_msg "--mode $mode: MySQL/MariaDB commits each DDL statement on its own; only step runs there"
    usage
fi
modes=(step shard)
[[ $mode == both ]] || modes=("$mode")
for n in "$shards" "$parallel" "$runs" "$tick_ms"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || {
        bench_msg "'$n' is not a positive integer"
        usage
    }
done
[[ -d $migrations ]] || bench_die "no migration directory $migrations"
migrations=$(cd "$migrations" && pwd)
if [[ -z $bin_dir ]]; then
    bin_dir="$repo/build-release/bin"
    [[ -x $bin_dir/shardwave-coordinator ]] || bin_dir="$repo/build/bin"
fi
for b in shardwave-coordinator shardwave-agent; do
    [[ -x $bin_dir/$b ]] || bench_die "$bin_dir/$b is not built (./tests/run.sh builds build-release/)"
done
for tool in curl jq xargs; do
    command -v "$tool" >/dev/null || bench_die "$tool is required"
done
case $engine in
pg) command -v psql >/dev/null || bench_die "psql is required" ;;
mysql) command -v mariadb >/dev/null || bench_die "mariadb (the client) is required" ;;
sqlite) command -v sqlite3 >/dev/null || bench_die "sqlite3 is required" ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/sw_bench_fleet.XXXXXX")
prefix="swb_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
started_servers=0
coord_pid=""
agent_pids=()
shard_ids=()
shard_dbs=()

stop_wave_processes()
{
    local p
    for p in "${agent_pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${agent_pids[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    agent_pids=()
    if [[ -n $coord_pid ]]; then
        kill -TERM "$coord_pid" 2>/dev/null || true
        wait "$coord_pid" 2>/dev/null || true
        coord_pid=""
    fi
}

drop_all_sql()
{
    local db
    for db in "${shard_dbs[@]}"; do
        case $engine in
        pg) printf 'DROP DATABASE IF EXISTS %s WITH (FORCE);\n' "$db" ;;
        mysql) printf 'DROP DATABASE IF EXISTS %s;\n' "$db" ;;
        sqlite) ;;
        esac
    done
}

cleanup()
{
    local rc=$?
    stop_wave_processes
    if ((${#shard_dbs[@]})); then
        case $engine in
        pg) drop_all_sql | bench_psql "$SW_TEST_PG_DSN" >/dev/null 2>&1 || true ;;
        mysql) drop_all_sql | bench_mariadb >/dev/null 2>&1 || true ;;
        sqlite) ;;
        esac
    fi
    if ((started_servers)); then
        sw_servers_stop || true
    fi
    if ((keep)); then
        bench_msg "kept $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- servers and shards ----------------------------------------------------------------

need_servers()
{
    local var=SW_TEST_PG_DSN
    [[ $engine == mysql ]] && var=SW_TEST_MYSQL_DSN
    [[ -n ${!var:-} ]] && return 0
    bench_msg "$var is not set: starting throwaway servers (tests/lib/servers.sh)"
    SW_MSG_PREFIX=bench
    # shellcheck source=tests/lib/servers.sh
    source "$repo/tests/lib/servers.sh"
    SW_SERVERS_TMPDIR=${SW_SERVERS_TMPDIR:-/tmp}
    started_servers=1
    sw_servers_start || bench_die "could not start the test servers"
}

[[ $engine == sqlite ]] || need_servers
[[ $engine == mysql ]] && bench_parse_mysql "$SW_TEST_MYSQL_DSN"

for ((i = 1; i <= shards; i++)); do
    printf -v id 's-%05d' "$i"
    shard_ids+=("$id")
    shard_dbs+=("${prefix}_$i")
done

# The DSN shardwave's agents use for shard I (0-based).
shard_dsn()
{
    local i=$1
    case $engine in
    pg)
        local base=${SW_TEST_PG_DSN%%\?*}
        echo "${base%/*}/${shard_dbs[i]}"
        ;;
    mysql)
        local auth=$BENCH_MY_USER
        [[ -n $BENCH_MY_PASS ]] && auth+=":$BENCH_MY_PASS"
        echo "mysql://$auth@$BENCH_MY_HOST:$BENCH_MY_PORT/${shard_dbs[i]}"
        ;;
    sqlite) echo "sqlite://$work/shards/${shard_dbs[i]}.db" ;;
    esac
}

reset_shards()
{
    case $engine in
    pg)
        {
            drop_all_sql
            printf 'CREATE DATABASE %s;\n' "${shard_dbs[@]}"
        } | PGOPTIONS="-c client_min_messages=warning" bench_psql "$SW_TEST_PG_DSN" >/dev/null
        ;;
    mysql)
        {
            drop_all_sql
            printf 'CREATE DATABASE %s;\n' "${shard_dbs[@]}"
        } | bench_mariadb
        ;;
    sqlite)
        rm -rf "$work/shards"
        mkdir -p "$work/shards"
        ;;
    esac
}

# A read-only check that shard I (0-based) ended with the whole set applied.
shard_view_rows()
{
    local i=$1 q="SELECT count(*) FROM customer_summary"
    case $engine in
    pg) bench_psql -A -t "$(shard_dsn "$i")" -c "$q" ;;
    mysql) bench_mariadb "${shard_dbs[i]}" -e "$q" ;;
    sqlite) sqlite3 "$work/shards/${shard_dbs[i]}.db" "$q" ;;
    esac
}

# --- the floor -------------------------------------------------------------------------

mapfile -t files < <(bench_engine_files "$migrations" "$engine")
steps=${#files[@]}
((steps > 0)) || bench_die "no up migrations for $engine in $migrations"
# One script per engine: the files in version order (no history table: the raw client).
cat "${files[@]}" >"$work/floor.sql"
for i in "${!shard_dbs[@]}"; do
    case $engine in
    pg) shard_dsn "$i" ;;
    mysql) echo "${shard_dbs[i]}" ;;
    sqlite) echo "$work/shards/${shard_dbs[i]}.db" ;;
    esac
done >"$work/floor.targets"

run_floor()
{
    local -a cmd
    case $engine in
    pg) cmd=(psql -X -q -1 -v ON_ERROR_STOP=1 -o /dev/null -f "$work/floor.sql" -d "{}") ;;
    mysql)
        cmd=(mariadb --protocol=TCP -h "$BENCH_MY_HOST" -P "$BENCH_MY_PORT" -u "$BENCH_MY_USER"
            -N -B -e "source $work/floor.sql" "{}")
        ;;
    sqlite) cmd=(sqlite3 -bail "{}" ".read $work/floor.sql") ;;
    esac
    MYSQL_PWD=${BENCH_MY_PASS:-} xargs -P "$parallel" -I{} "${cmd[@]}" <"$work/floor.targets" \
        >"$work/floor.log" 2>&1 || {
        tail -n 20 "$work/floor.log" >&2
        return 1
    }
}

# --- shardwave -------------------------------------------------------------------------

op_token="bench-operator-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
agent_token="bench-agent-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
workers=$(((parallel + 1) / 2))
coord_port=""
digest=""

write_wave_configs()
{
    local dir=$1 i sep=""
    mkdir -p "$dir"
    printf 'operator bench %s\nagent a-1 %s-1\nagent a-2 %s-2\n' \
        "$op_token" "$agent_token" "$agent_token" >"$dir/tokens"
    {
        echo "shards = ("
        for i in "${!shard_ids[@]}"; do
            printf '%s  { id = "%s"; engine = "%s"; pool = "bench"; labels = { host = "h-%d"; }; }\n' \
                "$sep" "${shard_ids[i]}" "$engine" $((i % 4 + 1))
            sep=","
        done
        echo ");"
    } >"$dir/fleet.conf"
    sep=""
    {
        echo "shards = ("
        for i in "${!shard_ids[@]}"; do
            printf '%s  { id = "%s"; dsn = "%s"; }\n' "$sep" "${shard_ids[i]}" "$(shard_dsn "$i")"
            sep=","
        done
        echo ");"
    } >"$dir/shards.conf"
    chmod 600 "$dir/tokens" "$dir/shards.conf"
    bench_write_process_configs "$dir" "$dir/store.db" "$dir/fleet.conf" "$dir/tokens" bench \
        "shards_file = \"$dir/shards.conf\""
}

start_wave_processes()
{
    bench_start_wave "$1" "$migrations" write_wave_configs 30
}

# The wave's state, cheaply: the summary list (this coordinator has one wave) and a regex,
# no jq, so that polling does not compete with the wave for the 2 cores (a detail GET
# parsed by jq every 50 ms cost ~20 % of the machine in a perf profile).
wave_state()
{
    local reply re='"state": *"([a-z_]+)"'
    reply=$(curl -s -m 30 -H "Authorization: Bearer $op_token" "http://127.0.0.1:$coord_port/v1/waves") ||
        return 1
    [[ $reply =~ $re ]] || return 1
    echo "${BASH_REMATCH[1]}"
}

# When the wave completed, as the coordinator recorded it (its `completed` transition
# event; ns since the epoch, the same wall clock as bench_now_ns): the clock stops there,
# not at the poll that saw it, so the wave is polled only every 250 ms (a curl process per
# poll competes with the wave for the 2 cores; the floor is not polled at all).
completed_ns()
{
    local at="" after=0
    while [[ -z $at ]]; do # pages of events, oldest first
        [[ $(api GET "/v1/waves/$1/events?after=$after") == 200 ]] || return 1
        at=$(jq -r '[.events[] | select(.kind == "transition" and .to == "completed")][0].at //
            empty' "$work/reply")
        after=$(jq -r '.events[-1].id // empty' "$work/reply")
        [[ -n $at || -n $after ]] || return 1
    done
    echo $(($(date -d "$at" +%s%3N) * 1000000))
}

# User + system CPU seconds a process has used (from /proc/PID/stat).
cpu_seconds()
{
    local -a f
    read -r -a f <<<"$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null)" || true
    awk -v u="${f[11]:-0}" -v s="${f[12]:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (u + s) / hz }'
}

# run_shardwave DIR TXN: sets wave_seconds; the clock runs from the POST that creates the
# wave (plan transaction TXN) to `completed`.
run_shardwave()
{
    local dir=$1 txn=$2 body st wave t0 t1
    start_wave_processes "$dir"
    body=$(jq -n --arg d "$digest" --argjson p "$parallel" --arg t "$txn" '{migration_set: $d,
        reason: "bench", plan: {name: "bench", transaction: $t,
        stages: [{name: "all", rest: true, max_parallel: $p}]}}')
    t0=$(bench_now_ns)
    st=$(api POST /v1/waves "$body")
    [[ $st == 201 ]] || bench_die "wave create: HTTP $st: $(cat "$work/reply")"
    wave=$(jq -r .id "$work/reply")
    local deadline=$((SECONDS + ${BENCH_WAVE_TIMEOUT_S:-1800})) state
    while :; do
        state=$(wave_state "$wave") || state=unknown
        case $state in
        completed) break ;;
        halted | aborted | rolled_back | rolling_back)
            api GET "/v1/waves/$wave" >/dev/null
            bench_msg "wave $wave is $state: $(jq -c '{halt_reason, counts}' "$work/reply")"
            return 1
            ;;
        esac
        if ((SECONDS >= deadline)); then
            local f
            for f in "$dir"/coordinator.log "$dir"/agent-*.log; do
                bench_msg "--- last lines of $f"
                tail -n 15 "$f" >&2 || true
            done
            bench_die "wave $wave still $state after ${BENCH_WAVE_TIMEOUT_S:-1800} s"
        fi
        sleep 0.25
    done
    t1=$(completed_ns "$wave") || bench_die "wave $wave: no completed transition in its events"
    [[ $(api GET "/v1/waves/$wave") == 200 ]] || bench_die "wave $wave: no detail"
    local done_n
    done_n=$(jq -r .counts.done "$work/reply")
    [[ $done_n == "$shards" ]] || bench_die "wave $wave completed with $done_n of $shards shards done"
    # how busy the P slots were: the sum of the shards' own times (started_at..finished_at,
    # as the coordinator recorded them) over the wall time, and the mean time per shard
    jq -r --arg wall "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')" '
        def ms: capture("T(?<h>[0-9]+):(?<m>[0-9]+):(?<s>[0-9.]+)Z") |
            ((.h | tonumber) * 3600 + (.m | tonumber) * 60 + (.s | tonumber)) * 1000;
        [.stages[].shards[] | select(.started_at and .finished_at) |
            (.finished_at | ms) - (.started_at | ms)] as $d |
        "wave \(.id): \($d | length) shards, mean \(($d | add) / ($d | length) | floor) ms per shard" +
        " (started..finished), mean in flight \((($d | add) / 1000 / ($wall | tonumber)) * 100 | floor / 100)"
        ' "$work/reply" >&2 || true
    bench_msg "wave $wave: CPU seconds since process start: coordinator $(cpu_seconds "$coord_pid"), agents $(cpu_seconds "${agent_pids[0]}") + $(cpu_seconds "${agent_pids[1]}")"
    stop_wave_processes
    wave_seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", (b - a) / 1e9 }')
}

# --- the runs --------------------------------------------------------------------------

measure()
{
    local method=$1 run=$2 t0 t1
    reset_shards
    case $method in
    floor)
        t0=$(bench_now_ns)
        run_floor || bench_die "the floor failed (run $run)"
        t1=$(bench_now_ns)
        floor_s+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", (b - a) / 1e9 }')")
        bench_msg "run $run floor: ${floor_s[-1]} s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
        ;;
    step | shard)
        run_shardwave "$work/wave-$run-$method" "$method" ||
            bench_die "the wave failed (run $run, transaction $method, logs in $work/wave-$run-$method)"
        sw_s[$method]+="$wave_seconds "
        bench_msg "run $run shardwave (transaction $method): $wave_seconds s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
        ;;
    esac
    local rows
    rows=$(shard_view_rows $((shards - 1)))
    [[ $rows == 3000 || $migrations != "$bench_dir/migrations" ]] ||
        bench_die "$method run $run: the last shard's customer_summary has '$rows' rows, expected 3000"
}

bench_msg "$engine: $shards shards x $steps steps, parallel $parallel, $runs runs, transaction ${modes[*]}, binaries $bin_dir"
floor_s=()
declare -A sw_s=()
methods=(floor "${modes[@]}")
for ((run = 1; run <= runs; run++)); do
    # each run starts with another method, so none always runs on a cold or warm machine
    for ((k = 0; k < ${#methods[@]}; k++)); do
        measure "${methods[(run - 1 + k) % ${#methods[@]}]}" "$run"
    done
done

floor_med=$(bench_median "${floor_s[@]}")
case $engine in
pg) floor_name="floor: psql -1 -f, xargs -P $parallel" ;;
mysql) floor_name="floor: mariadb, xargs -P $parallel" ;;
sqlite) floor_name="floor: sqlite3, xargs -P $parallel" ;;
esac
row()
{
    awk -v m="$1" -v n="$shards" -v s="$steps" -v t="$2" -v f="$floor_med" \
        'BEGIN { printf "%-40s %6d %5d %9.3f %12.1f %6.2fx\n", m, n, s, t, t * 1000 / n, t / f }'
}
printf '%-40s %6s %5s %9s %12s %7s\n' method shards steps median_s per_shard_ms ratio
row "$floor_name" "$floor_med"
declare -A sw_med=()
runs_text="floor ${floor_s[*]}"
for m in "${modes[@]}"; do
    # shellcheck disable=SC2086 # the runs of a mode are one space-separated string
    sw_med[$m]=$(bench_median ${sw_s[$m]})
    case $m in
    step) row "shardwave: 2 agents x $workers, max_parallel $parallel" "${sw_med[$m]}" ;;
    shard) row "shardwave: one transaction per shard" "${sw_med[$m]}" ;;
    esac
    runs_text+="; $m ${sw_s[$m]% }"
done
printf 'runs: %s\n' "$runs_text"
best=""
for m in "${modes[@]}"; do
    awk -v a="${sw_med[$m]}" -v b="$floor_med" -v m="$m" 'BEGIN { printf "ratio_to_floor_%s=%.2f\n", m, a / b }'
    [[ -n $best ]] && awk -v a="${sw_med[$m]}" -v b="${sw_med[$best]}" 'BEGIN { exit !(a >= b) }' || best=$m
done
awk -v a="${sw_med[$best]}" -v b="$floor_med" 'BEGIN { printf "ratio_to_floor=%.2f\n", a / b }'
