#!/usr/bin/env bash
# Scale benchmark: one trivial step on N SQLite shards, two agents, one coordinator.
#
#   bench/scale.sh [--shards 10000] [--workers 8] [--max-parallel 16] [--tick-ms 50]
#                  [--no-pause | --pause-at N] [--perf FILE] [--bin-dir DIR] [--keep] [--store-pg DSN]
#
# Phase 1 (timed): a coordinator on 127.0.0.1 (fresh store, the N shards in its fleet
# file) and two agents of W workers each (dsn_template: one SQLite file per shard, created
# empty before the clock starts); one wave, one stage over every shard, max_parallel P,
# to V1 (CREATE TABLE). The clock runs from the POST that creates the wave until the wave
# says `completed`. Measured: wave wall time, coordinator and agent peak RSS (VmHWM from
# /proc/PID/status), coordinator CPU seconds during the wave (utime+stime from
# /proc/PID/stat) and per shard, and the coordinator's own p50/p99 latencies of lease
# claims, go-aheads and reports (its `stats:` log line at shutdown).
# Phase 2 (pause reaction, unless --no-pause): fresh coordinator and agents, a wave to V2;
# once a third of the shards (or --pause-at N) are done, `POST .../pause`; after the call returns, counts the
# go-aheads granted anyway (shards whose started_at is later: must be 0) and the time until
# the last in-flight step reported; then resumes and checks that the wave completes.
# --perf FILE records the coordinator with `perf record --call-graph dwarf` during phase 1.
# --store-pg DSN puts each phase's store on a fresh PostgreSQL database created through the
# admin DSN (postgres://user:password@host:port/db; dropped at the end) instead of SQLite.
# Prints `key=value` lines (last: `scale_ok=1`). Exit status: 0 measured, 1 a run failed
# (the reason on stderr; --keep keeps the work directory with every log), 2 usage.
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

shards=10000 workers=8 parallel=16 tick_ms=50 do_pause=1 pause_at="" perf_out="" keep=0 store_pg=""
store_dbs=()
bin_dir=${SW_BIN_DIR:-}
while (($#)); do
    case $1 in
    --shards) shards=${2:-} && shift ;;
    --workers) workers=${2:-} && shift ;;
    --max-parallel) parallel=${2:-} && shift ;;
    --tick-ms) tick_ms=${2:-} && shift ;;
    --no-pause) do_pause=0 ;;
    --pause-at) pause_at=${2:-} && shift ;;
    --perf) perf_out=${2:-} && shift ;;
    --bin-dir) bin_dir=${2:-} && shift ;;
    --keep) keep=1 ;;
    --store-pg) store_pg=${2:-} && shift ;;
    -h | --help) usage ;;
    *) bench_msg "unknown option '$1'" && usage ;;
    esac
    shift
done
for n in "$shards" "$workers" "$parallel" "$tick_ms" ${pause_at:+"$pause_at"}; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || {
        bench_msg "'$n' is not a positive integer"
        usage
    }
done
if [[ -z $bin_dir ]]; then
    bin_dir="$repo/build-release/bin"
    [[ -x $bin_dir/shardwave-coordinator ]] || bin_dir="$repo/build/bin"
fi
for b in shardwave-coordinator shardwave-agent; do
    [[ -x $bin_dir/$b ]] || bench_die "$bin_dir/$b is not built (./tests/run.sh builds build-release/)"
done
for tool in curl jq awk; do
    command -v "$tool" >/dev/null || bench_die "$tool is required"
done
[[ -z $perf_out ]] || command -v perf >/dev/null || bench_die "--perf needs perf"

work=$(mktemp -d "${TMPDIR:-/tmp}/sw_bench_scale.XXXXXX")
coord_pid=""
agent_pids=()
perf_pid=""
op_token="bench-operator-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
agent_token="bench-agent-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
coord_port=""

# Stops a process we started: SIGTERM, up to 60 s to exit, then SIGKILL (never by name).
stop_pid()
{
    local p=$1 sig=${2:-TERM} i
    kill -"$sig" "$p" 2>/dev/null || return 0
    for ((i = 0; i < 600; i++)); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$p" 2>/dev/null; then
        bench_msg "pid $p did not exit after SIG$sig: killing it"
        kill -KILL "$p" 2>/dev/null || true
    fi
    wait "$p" 2>/dev/null || true
}

stop_processes()
{
    local p
    if [[ -n $perf_pid ]]; then
        stop_pid "$perf_pid" INT
        perf_pid=""
    fi
    for p in "${agent_pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${agent_pids[@]}"; do
        stop_pid "$p"
    done
    agent_pids=()
    if [[ -n $coord_pid ]]; then
        stop_pid "$coord_pid"
        coord_pid=""
    fi
}

cleanup()
{
    local rc=$?
    stop_processes
    if ((keep)); then
        bench_msg "kept $work"
    else
        rm -rf "$work"
    fi
    local db
    for db in "${store_dbs[@]}"; do
        psql -X -q "$store_pg" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- shards, fleet, migration sets -----------------------------------------------------

# Empty files are valid SQLite databases: one `touch` per thousand shards, not per shard.
mkdir -p "$work/shards"
awk -v n="$shards" -v d="$work/shards" 'BEGIN { for (i = 1; i <= n; i++) printf "%s/s-%06d.db\n", d, i }' |
    xargs touch
awk -v n="$shards" 'BEGIN {
    print "shards = ("
    for (i = 1; i <= n; i++)
        printf "%s  { id = \"s-%06d\"; engine = \"sqlite\"; pool = \"scale\"; labels = { host = \"h-%d\"; }; }\n",
            (i > 1 ? "," : ""), i, i % 8 + 1
    print ");"
}' >"$work/fleet.conf"
printf 'operator bench %s\nagent a-1 %s-1\nagent a-2 %s-2\n' \
    "$op_token" "$agent_token" "$agent_token" >"$work/tokens"
chmod 600 "$work/tokens"
mkdir -p "$work/set1" "$work/set2"
echo "CREATE TABLE scale_one (id INTEGER PRIMARY KEY);" >"$work/set1/V1__scale_one.sql"
cp "$work/set1/V1__scale_one.sql" "$work/set2/"
echo "CREATE TABLE scale_two (id INTEGER PRIMARY KEY);" >"$work/set2/V2__scale_two.sql"

BENCH_API_TIMEOUT_S=${BENCH_API_TIMEOUT_S:-120} # waves of 10,000 shards answer slowly

# --store-pg: DIR's store database (created once) in $store_url, a URL without the
# password (the coordinator refuses one in store_path; libpq reads PGPASSWORD).
set_store_url()
{
    local dir=$1 re='^(postgres(ql)?://)([^:@/]+)(:([^@]*))?@([^/?]+)/' db
    [[ $store_pg =~ $re ]] || bench_die "--store-pg: cannot parse the DSN"
    export PGPASSWORD=${BASH_REMATCH[5]}
    db="sw_bench_scale_$$_$(basename "$dir")"
    if [[ " ${store_dbs[*]} " != *" $db "* ]]; then
        psql -X -q -v ON_ERROR_STOP=1 "$store_pg" -c "CREATE DATABASE $db" >/dev/null ||
            bench_die "--store-pg: cannot create database $db"
        store_dbs+=("$db")
    fi
    store_url="${BASH_REMATCH[1]}${BASH_REMATCH[3]}@${BASH_REMATCH[6]}/$db"
}

write_configs()
{
    local dir=$1 store="$1/store.db"
    if [[ -n $store_pg ]]; then
        set_store_url "$dir"
        store=$store_url
    fi
    bench_write_process_configs "$dir" "$store" "$work/fleet.conf" "$work/tokens" scale \
        "dsn_template = \"sqlite://$work/shards/{shard}.db\""
}

# Starts a coordinator (fresh store in DIR) and two agents, uploads SET; sets $digest.
start_processes()
{
    bench_start_wave "$1" "$2" write_configs 120
}

create_wave()
{
    local body st
    body=$(jq -n --arg d "$digest" --argjson p "$parallel" '{migration_set: $d, reason: "scale bench",
        plan: {name: "scale", stages: [{name: "all", rest: true, max_parallel: $p}]}}')
    st=$(api POST /v1/waves "$body")
    [[ $st == 201 ]] || bench_die "wave create: HTTP $st: $(cat "$work/reply")"
    jq -r .id "$work/reply"
}

# The wave's summary in $work/reply, its state on stdout. Polls the list (summaries with
# counts from the store's index), not the detail: encoding 10,000 shards every 100 ms
# would be the coordinator's biggest cost.
wave_state()
{
    local st
    st=$(api GET "/v1/waves")
    [[ $st == 200 ]] || return 1
    jq --arg id "$1" '.waves[] | select(.id == $id)' "$work/reply" >"$work/summary"
    mv "$work/summary" "$work/reply"
    jq -r .state "$work/reply"
}

# The wave's detail (every shard) in $work/reply.
wave_detail()
{
    local st
    st=$(api GET "/v1/waves/$1")
    [[ $st == 200 ]] || bench_die "wave $1: HTTP $st"
}

# Waits until wave $1 is completed; fails on a final state other than that.
wait_completed()
{
    local wave=$1 deadline=$((SECONDS + 3600)) state
    while :; do
        state=$(wave_state "$wave") || state=unknown
        case $state in
        completed) return 0 ;;
        halted | aborted | rolled_back | rolling_back)
            bench_msg "wave $wave is $state: $(jq -c '{halt_reason, counts}' "$work/reply")"
            return 1
            ;;
        esac
        ((SECONDS < deadline)) || bench_die "wave $wave still $state after an hour"
        sleep 0.1
    done
}

proc_kib()
{
    awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# utime + stime of a process, in clock ticks.
cpu_ticks()
{
    local -a f
    read -r -a f <<<"$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null)" || true
    echo $((${f[11]:-0} + ${f[12]:-0}))
}

secs()
{
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

# ISO time with milliseconds (the API's started_at) to epoch milliseconds, in jq.
jq_ms='def ms: if . == null then null else ((.[0:19] + "Z") | fromdateiso8601) * 1000 + (.[20:23] | tonumber) end;'

# --- phase 1: the timed wave -----------------------------------------------------------

bench_msg "$shards SQLite shards, 2 agents x $workers workers, max_parallel $parallel, binaries $bin_dir"
p1="$work/phase1"
start_processes "$p1" "$work/set1"
hz=$(getconf CLK_TCK)
if [[ -n $perf_out ]]; then
    perf record -F 999 --call-graph dwarf,16384 -o "$perf_out" -p "$coord_pid" >"$p1/perf.log" 2>&1 &
    perf_pid=$!
fi
cpu0=$(cpu_ticks "$coord_pid")
t0=$(bench_now_ns)
wave=$(create_wave)
wait_completed "$wave" || bench_die "the wave failed (logs in $p1; use --keep)"
t1=$(bench_now_ns)
cpu1=$(cpu_ticks "$coord_pid")
done_n=$(jq -r .counts.done "$work/reply")
[[ $done_n == "$shards" ]] || bench_die "wave $wave completed with $done_n of $shards shards done"
# peaks during the wave, before the one detail read below (10,000 shards of JSON)
coord_rss=$(proc_kib "$coord_pid" VmHWM)
wave_detail "$wave"
# mean go-ahead-to-report time of a shard (the agent's work: runner, SQLite, report delivery)
shard_ms=$(jq -r "$jq_ms"'[.stages[].shards[] | (.finished_at | ms) - (.started_at | ms)] |
    if length > 0 then add / length | floor else 0 end' "$work/reply")
agent_rss=$(proc_kib "${agent_pids[0]}" VmHWM)
agent2_rss=$(proc_kib "${agent_pids[1]}" VmHWM)
((agent2_rss > agent_rss)) && agent_rss=$agent2_rss
stop_processes
[[ -n $perf_out ]] && bench_msg "perf data in $perf_out (perf report -i $perf_out --no-children)"
stats=$(grep -o 'stats: .*' "$p1/coordinator.log" | tail -n 1 || true)
[[ -n $stats ]] || bench_msg "no stats line in $p1/coordinator.log (a coordinator without it)"

# `stats: lease n=.. p50_ms=.. p99_ms=.. max_ms=..; go n=..; report n=..`
stat_of()
{
    sed -n "s/.*$1 n=[0-9]* p50_ms=\([0-9.]*\) p99_ms=\([0-9.]*\).*/\\$2/p" <<<"${stats//;/$'\n'}" | head -n 1
}

wave_s=$(secs "$t0" "$t1")
cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
echo "shards=$shards"
echo "store=$([[ -n $store_pg ]] && echo postgresql || echo sqlite)"
echo "wave_seconds=$wave_s"
awk -v s="$wave_s" -v n="$shards" 'BEGIN { printf "wave_ms_per_shard=%.3f\n", s * 1000 / n }'
echo "shard_go_to_done_ms_mean=$shard_ms"
echo "coordinator_peak_rss_mib=$(awk -v k="$coord_rss" 'BEGIN { printf "%.1f", k / 1024 }')"
echo "agent_peak_rss_mib=$(awk -v k="$agent_rss" 'BEGIN { printf "%.1f", k / 1024 }')"
echo "coordinator_cpu_seconds=$cpu_s"
awk -v c="$cpu_s" -v n="$shards" 'BEGIN { printf "coordinator_cpu_ms_per_shard=%.3f\n", c * 1000 / n }'
for k in lease go report; do
    echo "${k}_p50_ms=$(stat_of "$k" 1)"
    echo "${k}_p99_ms=$(stat_of "$k" 2)"
done

# --- phase 2: pause reaction -----------------------------------------------------------


if ((do_pause)); then
    p2="$work/phase2"
    start_processes "$p2" "$work/set2"
    wave=$(create_wave)
    at=${pause_at:-$(((shards + 2) / 3))}
    too_fast="the wave finished before the pause: pause earlier (--pause-at) or use more shards"
    while :; do
        state=$(wave_state "$wave") || state=unknown
        [[ $state != completed ]] || bench_die "$too_fast"
        [[ $state == running || $state == pending ]] || bench_die "wave $wave is $state before the pause"
        (($(jq -r '.counts.done // 0' "$work/reply") >= at)) && break
        sleep 0.02
    done
    st=$(api POST "/v1/waves/$wave/pause" '{"reason": "scale bench"}')
    paused_ms=$(($(bench_now_ns) / 1000000))
    [[ $st != 409 || $(wave_state "$wave") != completed ]] || bench_die "$too_fast"
    [[ $st == 200 ]] || bench_die "pause: HTTP $st: $(cat "$work/reply")"
    # in flight = granted a go-ahead (running): they finish and report
    in_flight_done()
    {
        [[ $(wave_state "$wave") == paused ]] || return 2
        (($(jq -r '.counts.running // 0' "$work/reply") == 0))
    }
    bench_poll 600 in_flight_done || bench_die "in-flight steps of $wave did not report"
    wave_detail "$wave"
    read -r started_after last_ms in_flight < <(jq -r --argjson p "$paused_ms" "$jq_ms"'
        [.stages[].shards[] | {s: (.started_at | ms), f: (.finished_at | ms)}] as $x |
        [$x[] | select(.s != null and .s > $p)] as $late |
        [$x[] | select(.s != null and .s <= $p and (.f == null or .f > $p))] as $fly |
        "\($late | length) \([$fly[].f // 0] | max // $p) \($fly | length)"' "$work/reply")
    echo "pause_steps_started_after=$started_after"
    echo "pause_in_flight=$in_flight"
    echo "pause_last_report_ms=$((last_ms > paused_ms ? last_ms - paused_ms : 0))"
    st=$(api POST "/v1/waves/$wave/resume" '{"reason": "scale bench"}')
    [[ $st == 200 ]] || bench_die "resume: HTTP $st: $(cat "$work/reply")"
    wait_completed "$wave" || bench_die "the wave did not complete after resume (use --keep)"
    stop_processes
fi
echo "scale_ok=1"
