#!/usr/bin/env bash
# shardwave quickstart: installs the dependencies (deploy/install-deps.sh --quickstart
# --engines LIST: the build toolchain and libraries, and the database servers of the
# engines asked for; none of the test-only tools), builds into build/, then runs a real
# canary wave on a local demo fleet: 24 SQLite tenant shards (one canary, regions eu and
# us, four database hosts), a coordinator and two agents on 127.0.0.1, the example
# migrations (deploy/examples/migrations) applied canary -> 25 % -> rest with short bake
# times, progress while it runs, the fleet's version histogram at the end. Everything it
# started is stopped again (also on Ctrl-C or failure).
#
# Usage: deploy/quickstart.sh [options]
#   --shards N        shards in the demo fleet (4..5000, default 24)
#   --engines LIST    comma-separated engines of the shards: sqlite (default), pg, mysql;
#                     shards are dealt out over them in turn (a mixed fleet). pg and mysql
#                     shards are databases on throwaway PostgreSQL 15 / MariaDB servers
#                     on free 127.0.0.1 ports (tests/lib/servers.sh)
#   --migrations DIR  your own migration set instead of deploy/examples/migrations
#   --plan FILE       your own wave plan instead of deploy/examples/quickstart/plan.conf
#   --workdir DIR     put the fleet, configs, tokens and logs in DIR (new or empty; a
#                     directory you name is never deleted)
#   --keep            keep the work directory and print how to use it
#   --timeout S       fail when the wave is not finished after S seconds (default 300)
#   --local           the single-database demo instead: shardwave info/migrate/undo on
#                     one database per engine of --engines, no coordinator
#   --no-build        use the existing build/bin (still installs missing packages)
#   --bin-dir DIR     use the shardwave binaries in DIR: no install, no build
#   -h, --help        this text
# Environment: SW_BUILD_DIR (default build) as in tests/run.sh. When SW_TEST_PG_DSN and
# SW_TEST_MYSQL_DSN are set (tests/run.sh, tests/lib/servers.sh start), pg and mysql
# shards go to those servers (databases qs<random>_*, dropped at the end unless --keep).
# Exit status: 0 when the wave completed; 1 when it did not (or a step failed); 2 bad usage.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
examples="$repo/deploy/examples"
qs_templates="$examples/quickstart"

build_dir=${SW_BUILD_DIR:-build}
bin_dir=""
workdir=""
keep=0
engines=sqlite
shards=24
migrations="$examples/migrations"
plan="$qs_templates/plan.conf"
timeout_s=300
local_demo=0
build=1
install=1

usage_error()
{
    echo "quickstart: $*" >&2
    echo "see: deploy/quickstart.sh --help" >&2
    exit 2
}

need_arg() # option count
{
    (($2 >= 2)) || usage_error "$1 needs a value"
}

while (($# > 0)); do
    case $1 in
    --workdir) need_arg "$1" $# && workdir=$2 && shift ;;
    --keep) keep=1 ;;
    --engines) need_arg "$1" $# && engines=$2 && shift ;;
    --shards) need_arg "$1" $# && shards=$2 && shift ;;
    --migrations) need_arg "$1" $# && migrations=$2 && shift ;;
    --plan) need_arg "$1" $# && plan=$2 && shift ;;
    --timeout) need_arg "$1" $# && timeout_s=$2 && shift ;;
    --local) local_demo=1 ;;
    --no-build) build=0 ;;
    --bin-dir) need_arg "$1" $# && bin_dir=$2 && build=0 && install=0 && shift ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) usage_error "unknown option '$1'" ;;
    esac
    shift
done

IFS=',' read -r -a engine_list <<<"$engines"
((${#engine_list[@]} > 0)) || usage_error "--engines needs at least one of sqlite, pg, mysql"
for e in "${engine_list[@]}"; do
    case $e in
    sqlite | pg | mysql) ;;
    *) usage_error "unknown engine '$e' (expected sqlite, pg or mysql)" ;;
    esac
done
if ! [[ $shards =~ ^[0-9]+$ ]] || ((10#$shards < 4 || 10#$shards > 5000)); then
    usage_error "--shards must be a number from 4 to 5000, got '$shards'"
fi
shards=$((10#$shards))
if ! [[ $timeout_s =~ ^[0-9]+$ ]] || ((10#$timeout_s < 1)); then
    usage_error "--timeout must be a number of seconds, got '$timeout_s'"
fi
timeout_s=$((10#$timeout_s))
[[ -d $migrations ]] || usage_error "--migrations: no directory '$migrations'"
migrations=$(cd "$migrations" && pwd)
[[ -f $plan ]] || usage_error "--plan: no file '$plan'"
if [[ -n $workdir ]]; then
    [[ $workdir != *[\"\\]* ]] || usage_error "--workdir must not contain \" or \\"
    if [[ -e $workdir ]] && [[ ! -d $workdir || -n $(ls -A "$workdir") ]]; then
        usage_error "--workdir $workdir must be a new or empty directory"
    fi
fi

bold()
{
    if [[ -t 1 ]]; then
        printf '\033[1m%s\033[0m\n' "$*"
    else
        printf '%s\n' "$*"
    fi
}

say()
{
    echo
    bold "== $*"
}

die()
{
    echo "quickstart: $*" >&2
    exit 1
}

# ---- cleanup: everything this script started, by pid ----------------------------------
pids=()      # coordinator and agents
pid_names=() # for messages
servers_started=0
made_workdir=0
qs_dbs_pg=()  # databases created on servers we did not start (dropped at the end)
qs_dbs_my=()
stopping=0

stop_pid() # pid name
{
    local pid=$1 name=$2 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "quickstart: $name (pid $pid) ignored SIGTERM for 15 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    local rc=0
    wait "$pid" 2>/dev/null || rc=$?
    ((rc == 0)) || echo "quickstart: $name (pid $pid) exited with status $rc" >&2
}

stop_processes()
{
    local i
    # agents first (they hand back their work and deliver their reports), then the
    # coordinator
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        stop_pid "${pids[i]}" "${pid_names[i]}"
    done
    pids=()
    pid_names=()
}

cleanup()
{
    local rc=$?
    trap - EXIT
    trap '' INT TERM HUP PIPE # a second Ctrl-C must not leave processes behind
    ((stopping)) || stop_processes
    if ((${#qs_dbs_pg[@]} + ${#qs_dbs_my[@]} > 0)) && ((!keep)); then
        drop_external_dbs || true
    fi
    if ((servers_started)); then
        sw_servers_stop || true
    fi
    if ((made_workdir && !keep)); then
        rm -rf -- "$workdir"
    fi
    exit "$rc"
}
trap cleanup EXIT
interrupted() # exit status
{
    echo >&2
    echo "quickstart: interrupted; stopping what it started" >&2
    exit "$1"
}
trap 'interrupted 130' INT
trap 'interrupted 143' TERM
trap 'interrupted 129' HUP  # the terminal went away
trap 'interrupted 141' PIPE # e.g. piped into head: still stop everything

# ---- install and build ----------------------------------------------------------------
if ((install)); then
    say "installing dependencies (deploy/install-deps.sh --quickstart --engines $engines)"
    ./deploy/install-deps.sh --quickstart --engines "$engines"
fi
if ((build)); then
    say "building into $build_dir/ (a few minutes the first time; log: $build_dir/quickstart-build.log)"
    mkdir -p "$build_dir"
    if ! { cmake -S . -B "$build_dir" && cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)"; } \
        >"$build_dir/quickstart-build.log" 2>&1; then
        tail -n 30 "$build_dir/quickstart-build.log" >&2
        die "the build failed (the end of $build_dir/quickstart-build.log is above)"
    fi
fi
bin_dir=${bin_dir:-$repo/$build_dir/bin}
bin_dir=$(cd "$bin_dir" 2>/dev/null && pwd) || die "no binary directory '$bin_dir'"
shardwave="$bin_dir/shardwave"
for b in shardwave shardwave-coordinator shardwave-agent; do
    [[ -x $bin_dir/$b ]] || die "$bin_dir/$b is missing (build first: cmake --build $build_dir)"
done
for tool in curl jq; do
    command -v "$tool" >/dev/null || die "$tool is required (deploy/install-deps.sh --quickstart installs it)"
done

if [[ -z $workdir ]]; then
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/shardwave-quickstart.XXXXXX")
    made_workdir=1
else
    mkdir -p "$workdir"
    workdir=$(cd "$workdir" && pwd)
fi
[[ $workdir != *[\"\\]* ]] || die "the work directory $workdir contains \" or \\"

# ---- throwaway servers ----------------------------------------------------------------
wants_engine()
{
    local e
    for e in "${engine_list[@]}"; do
        [[ $e == "$1" ]] && return 0
    done
    return 1
}

pg_dsn=""
my_dsn=""
external_servers=0
start_servers()
{
    SW_LIB_DIR="$repo/tests/lib"
    SW_MSG_PREFIX=quickstart
    # shellcheck source=tests/lib/servers.sh
    source "$repo/tests/lib/servers.sh"
    if [[ -n ${SW_TEST_PG_DSN:-} && -n ${SW_TEST_MYSQL_DSN:-} ]]; then
        external_servers=1
        say "using the servers of SW_TEST_PG_DSN and SW_TEST_MYSQL_DSN"
    else
        say "starting throwaway PostgreSQL and MariaDB servers (tests/lib/servers.sh)"
        servers_started=1
        sw_servers_start
    fi
    pg_dsn=$SW_TEST_PG_DSN
    my_dsn=$SW_TEST_MYSQL_DSN
}

# URL pieces of postgres://user:pw@host:port/db and mysql://user:pw@host:port/
dsn_user() { local a=${1#*://}; a=${a%%@*}; echo "${a%%:*}"; }
dsn_pass() { local a=${1#*://}; a=${a%%@*}; echo "${a#*:}"; }
dsn_hostport() { local a=${1#*@}; echo "${a%%/*}"; }

my_admin() # SQL
{
    local hp
    hp=$(dsn_hostport "$my_dsn")
    MYSQL_PWD=$(dsn_pass "$my_dsn") mariadb --protocol=TCP -h "${hp%:*}" -P "${hp##*:}" \
        -u "$(dsn_user "$my_dsn")" -e "$1"
}

pg_admin() # SQL
{
    psql -X -q -v ON_ERROR_STOP=1 "$pg_dsn" -c "$1" >/dev/null
}

drop_external_dbs()
{
    local db
    for db in "${qs_dbs_pg[@]}"; do
        pg_admin "DROP DATABASE IF EXISTS \"$db\"" || true
    done
    for db in "${qs_dbs_my[@]}"; do
        my_admin "DROP DATABASE IF EXISTS \`$db\`" || true
    done
}

# shellcheck source=deploy/examples/quickstart/local-demo.sh
if ((local_demo)); then
    source "$repo/deploy/examples/quickstart/local-demo.sh"
    exit 0
fi

# ---- the demo fleet -------------------------------------------------------------------
port=""
# A port nobody listens on, below the kernel's ephemeral range (32768+) so no outgoing
# connection holds it; the coordinator's start is retried on another port if it loses
# a race for it anyway.
free_port()
{
    local p i
    for ((i = 0; i < 500; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        if command -v ss >/dev/null && ss -Htan "sport = :$p" 2>/dev/null | grep -q .; then
            continue
        fi
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free TCP port found on 127.0.0.1"
}

# fill TEMPLATE OUT NAME=VALUE...: copies a template, replacing @NAME@ by VALUE.
fill()
{
    local text kv
    text=$(<"$1")
    for kv in "${@:3}"; do
        text=${text//"@${kv%%=*}@"/"${kv#*=}"}
    done
    printf '%s\n' "$text" >"$2"
}

shard_id() { printf 'tenant-%03d' "$1"; }

# db name of shard i on a server: tenant_007, or qs<run>_tenant_007 on servers we share
db_prefix=""
shard_db() { printf '%stenant_%03d' "$db_prefix" "$1"; }

write_fleet()
{
    local i id engine region host tier half=$(((shards + 1) / 2))
    declare -gA engine_count=()
    {
        echo "# The quickstart's demo fleet: $shards shards ($engines), written by deploy/quickstart.sh."
        echo "# Format: docs/configuration.md (fleet file). tenant-001 is the canary."
        echo "shards = ("
        for ((i = 1; i <= shards; i++)); do
            id=$(shard_id "$i")
            engine=${engine_list[(i - 1) % ${#engine_list[@]}]}
            engine_count[$engine]=$((${engine_count[$engine]:-0} + 1))
            if ((i <= half)); then region=eu; else region=us; fi
            host="db-$region-$((i % 2 + 1))"
            tier=$([[ $i == 1 ]] && echo canary || echo standard)
            printf '  { id = "%s"; engine = "%s"; pool = "%s";\n' "$id" "$engine" "$region"
            printf '    labels = { tier = "%s"; region = "%s"; host = "%s"; }; }%s\n' \
                "$tier" "$region" "$host" "$( ((i < shards)) && echo ,)"
        done
        echo ");"
    } >"$workdir/fleet.conf"
}

# The shards themselves: empty SQLite files, or empty databases on the servers. Servers'
# shards get per-shard DSNs in shards.conf; their passwords come from the agents'
# environment ({env:...}), never from a file the coordinator sees.
create_shards()
{
    local i id engine hp
    mkdir -p "$workdir/shards"
    : >"$workdir/shards.conf"
    echo "shards = (" >>"$workdir/shards.conf"
    local sep=" "
    for ((i = 1; i <= shards; i++)); do
        id=$(shard_id "$i")
        engine=${engine_list[(i - 1) % ${#engine_list[@]}]}
        case $engine in
        sqlite) : >"$workdir/shards/$id.db" ;;
        pg)
            pg_admin "CREATE DATABASE \"$(shard_db "$i")\""
            ((external_servers)) && qs_dbs_pg+=("$(shard_db "$i")")
            hp=$(dsn_hostport "$pg_dsn")
            printf '%s{ id = "%s"; dsn = "postgres://%s:{env:QS_PG_PASSWORD}@%s/%s"; }\n' \
                "$sep" "$id" "$(dsn_user "$pg_dsn")" "$hp" "$(shard_db "$i")" >>"$workdir/shards.conf"
            sep=","
            ;;
        mysql)
            my_admin "CREATE DATABASE \`$(shard_db "$i")\`"
            ((external_servers)) && qs_dbs_my+=("$(shard_db "$i")")
            hp=$(dsn_hostport "$my_dsn")
            printf '%s{ id = "%s"; dsn = "mysql://%s:{env:QS_MYSQL_PASSWORD}@%s/%s"; }\n' \
                "$sep" "$id" "$(dsn_user "$my_dsn")" "$hp" "$(shard_db "$i")" >>"$workdir/shards.conf"
            sep=","
            ;;
        esac
    done
    echo ");" >>"$workdir/shards.conf"
}

write_tokens()
{
    local op agent
    op=$(openssl rand -hex 32)
    agent=$(openssl rand -hex 32)
    (
        umask 077
        printf '%s\n' "$op" >"$workdir/operator.token"
        printf '%s\n' "$agent" >"$workdir/agent.token"
        {
            echo "# The quickstart's tokens: <role> <name> <secret>; see docs/configuration.md."
            echo "operator quickstart $op"
            echo "agent    agents     sha256:$(printf '%s' "$agent" | sha256sum | cut -d' ' -f1)"
        } >"$workdir/tokens"
    )
}

write_configs()
{
    port=$(free_port)
    fill "$qs_templates/coordinator.conf.in" "$workdir/coordinator.conf" \
        "PORT=$port" "WORKDIR=$workdir"
    local shards_line="" pool
    if wants_engine pg || wants_engine mysql; then
        shards_line="shards_file = \"$workdir/shards.conf\";"
    fi
    for pool in eu us; do
        fill "$qs_templates/agent.conf.in" "$workdir/agent-$pool.conf" "PORT=$port" \
            "WORKDIR=$workdir" "AGENT=agent-$pool" "POOL=$pool" "SHARDS_FILE=$shards_line"
    done
    cp "$plan" "$workdir/plan.conf"
    cat >"$workdir/env.sh" <<ENV
# source $workdir/env.sh: the shardwave command then talks to the quickstart coordinator
export PATH="$bin_dir:\$PATH"
export SHARDWAVE_COORDINATOR=http://127.0.0.1:$port
export SHARDWAVE_TOKEN_FILE="$workdir/operator.token"
ENV
}

coordinator_healthy()
{
    curl -s -o /dev/null -f -m 2 "http://127.0.0.1:$port/healthz"
}

start_daemon() # name logfile command...
{
    local name=$1 log=$2
    "${@:3}" >>"$log" 2>&1 &
    pids+=($!)
    pid_names+=("$name")
    echo "started $name (pid $!), log: $log"
}

# Starts the coordinator and waits for /healthz; 1 when it could not bind its port.
start_coordinator()
{
    start_daemon coordinator "$workdir/logs/coordinator.log" \
        "$bin_dir/shardwave-coordinator" --config "$workdir/coordinator.conf"
    local coord=${pids[-1]} deadline=$((SECONDS + 30))
    until coordinator_healthy; do
        if ! kill -0 "$coord" 2>/dev/null; then
            wait "$coord" 2>/dev/null || true
            pids=("${pids[@]:0:${#pids[@]}-1}")
            pid_names=("${pid_names[@]:0:${#pid_names[@]}-1}")
            grep -q 'cannot listen' "$workdir/logs/coordinator.log" && return 1
            tail -n 20 "$workdir/logs/coordinator.log" >&2
            die "the coordinator exited during startup (log above)"
        fi
        ((SECONDS < deadline)) || die "the coordinator did not answer /healthz within 30 s"
        sleep 0.1
    done
}

start_fleet_processes()
{
    local attempt
    mkdir -p "$workdir/logs"
    for attempt in 1 2 3 4 5; do
        start_coordinator && break
        ((attempt < 5)) || die "the coordinator could not listen on a free port (see $workdir/logs)"
        echo "port $port was taken meanwhile; trying another"
        mv "$workdir/logs/coordinator.log" "$workdir/logs/coordinator.$attempt.log"
        write_configs
    done
    echo "coordinator answers on http://127.0.0.1:$port"
    local pool
    for pool in eu us; do
        start_daemon "agent-$pool" "$workdir/logs/agent-$pool.log" \
            env QS_PG_PASSWORD="$(dsn_pass "${pg_dsn:-x://u:@h/}")" \
            QS_MYSQL_PASSWORD="$(dsn_pass "${my_dsn:-x://u:@h/}")" \
            "$bin_dir/shardwave-agent" --config "$workdir/agent-$pool.conf"
    done
}

# Prints a command the way a user would type it (with the env.sh settings), then runs it.
sw()
{
    printf '$ shardwave'
    printf ' %q' "$@" | sed -e "s#$workdir#\$QS#g" -e "s#$repo/##g"
    printf '\n'
    "$shardwave" "$@"
}

export SHARDWAVE_TOKEN_FILE SHARDWAVE_COORDINATOR
# ---- watching the wave ----------------------------------------------------------------
wave_json=""
wave_state=""
final_state()
{
    case $1 in
    completed | halted | aborted | rolled_back) return 0 ;;
    *) return 1 ;;
    esac
}

progress_line()
{
    jq -r '
      (.stages | length) as $n
      | (if .current_stage == null then "-" else
           "\(.current_stage + 1)/\($n) \(.stages[.current_stage].name // "?")"
           + (if .stage_phase then " (\(.stage_phase))" else "" end) end) as $stage
      | ([.stages[].shards | length] | add) as $total
      | "\(.state): stage \($stage); shards: \(.counts.done) done, "
        + "\(.counts.running + .counts.leased) running, \(.counts.pending) pending, "
        + "\(.counts.failed) failed (of \($total))"' <<<"$wave_json"
}

watch_wave() # id
{
    local id=$1 start=$SECONDS last="" line text drawn=0 cols
    local tty=0
    [[ -t 1 ]] && tty=1
    while :; do
        kill -0 "${pids[0]}" 2>/dev/null || die "the coordinator stopped (see $workdir/logs/coordinator.log)"
        if wave_json=$("$shardwave" wave status "$id" --json 2>>"$workdir/logs/cli.log"); then
            wave_state=$(jq -r .state <<<"$wave_json")
            if ((tty)); then
                cols=$(tput cols 2>/dev/null || echo 100)
                text=$("$shardwave" wave status "$id" 2>/dev/null | cut -c "1-$cols") || text=""
                ((drawn == 0)) || printf '\033[%dA\033[J' "$drawn"
                printf '%s\n[%3ds]\n' "$text" $((SECONDS - start))
                drawn=$(($(wc -l <<<"$text") + 1))
            else
                line=$(progress_line)
                if [[ $line != "$last" ]]; then
                    printf '[%3ds] %s\n' $((SECONDS - start)) "$line"
                    last=$line
                fi
            fi
            final_state "$wave_state" && return 0
        fi
        ((SECONDS - start < timeout_s)) || return 1
        sleep 1
    done
}

# ---- run it ---------------------------------------------------------------------------
if wants_engine pg || wants_engine mysql; then
    start_servers
    ((external_servers)) && db_prefix="qs$(openssl rand -hex 3)_"
fi

say "a demo fleet of $shards shards ($engines) in $workdir"
write_fleet
create_shards
write_tokens
write_configs
for e in "${!engine_count[@]}"; do
    echo "  $e: ${engine_count[$e]} shards"
done
echo "  fleet file: \$QS/fleet.conf (QS=$workdir); tenant-001 is the canary"
echo "  tokens: \$QS/tokens (mode $(stat -c %a "$workdir/tokens")), \$QS/operator.token, \$QS/agent.token"

say "starting a coordinator and two agents (pools eu and us) on 127.0.0.1"
start_fleet_processes
export SHARDWAVE_COORDINATOR="http://127.0.0.1:$port"
export SHARDWAVE_TOKEN_FILE="$workdir/operator.token"

say "the plan, as a dry run: nothing starts yet"
plan_out=$(sw plan --plan "$workdir/plan.conf" --migrations "$migrations" 2>&1) ||
    { printf '%s\n' "$plan_out"; die "the planner refused the plan"; }
if ((shards <= 30)); then
    printf '%s\n' "$plan_out"
else
    printf '%s\n' "$plan_out" | grep -v '^  tenant-' || true
    echo "(the shards of each stage left out; --json lists them)"
fi

say "starting the wave"
start_json=$("$shardwave" wave start --plan "$workdir/plan.conf" --migrations "$migrations" \
    --reason "quickstart demo" --json) || die "the coordinator refused the wave"
wave_id=$(jq -r .id <<<"$start_json")
# shellcheck disable=SC2016 # $QS is printed, not expanded
printf '$ shardwave wave start --plan $QS/plan.conf --migrations %s --reason "quickstart demo"\n' \
    "${migrations#"$repo"/}"
echo "created wave $wave_id; the coordinator starts it at its next tick"

say "wave $wave_id in progress (shardwave wave status $wave_id, every second)"
started_at=$SECONDS
finished=1
watch_wave "$wave_id" || finished=0
took=$((SECONDS - started_at))
if [[ ! -t 1 ]] || ((!finished)); then
    echo
    sw wave status "$wave_id" || true
fi

say "the fleet afterwards"
fleet_out=$(sw fleet 2>&1) || true
if ((shards <= 30)); then
    printf '%s\n' "$fleet_out"
else
    printf '%s\n' "$fleet_out" | sed -n '1p;/shards; versions:/,$p'
fi

say "stopping the coordinator and the agents"
stopping=1
stop_processes
echo "stopped (SIGTERM: the agents gave back their work, the coordinator kept its state)"

if ((!finished)); then
    die "wave $wave_id is still $wave_state after ${timeout_s}s (logs: $workdir/logs$( ((keep || !made_workdir)) || echo '; --keep keeps them'))"
fi
if [[ $wave_state != completed ]]; then
    echo
    bold "The wave did not complete: it is $wave_state."
    jq -r '.halt_reason // empty' <<<"$wave_json"
    if ((keep || !made_workdir)); then
        echo "Look at: the logs and the shards in $workdir (source $workdir/env.sh and start"
        echo "the coordinator again to run: shardwave wave events $wave_id),"
    else
        echo "Look at: the same run with --workdir DIR --keep keeps the logs, shards and store;"
    fi
    echo "and docs/runbook.md (a halted wave: investigate, repair, resume or roll back)."
    exit 1
fi

stages_text=$(jq -r '[.stages[] | "\(.name) (\(.shards | length))"] | join(" -> ")' <<<"$wave_json")
target=$(jq -r .target <<<"$wave_json")
plan_story="(Your plan: $plan.)"
if [[ $plan == "$qs_templates/plan.conf" ]]; then
    plan_story="The canary went first and baked; its SQL gate passed
before the wave widened, and never more than 2 shards of one database host migrated at once."
fi
say "done: wave $wave_id completed in ${took}s"
cat <<SUMMARY
What happened: $shards shards ($engines) went to version $target in stages
$stages_text. $plan_story
Every shard recorded each step in its shardwave_schema_history table.

Next:
  docs/tutorial-first-wave.md  the same by hand: fleet file, coordinator, agents, plan,
                               start, watch, pause/resume, a halt, rollback
  docs/waves.md, docs/runbook.md, docs/cli.md
SUMMARY
if ((keep || !made_workdir)); then
    cat <<KEPT

Kept in $workdir: fleet.conf, plan.conf, coordinator.conf, agent-eu.conf, agent-us.conf,
tokens (operator.token, agent.token), coordinator.db (the store), shards/, logs/.
To look around (the coordinator keeps the wave, its events and the fleet's versions):
  source $workdir/env.sh
  shardwave-coordinator --config $workdir/coordinator.conf &
  shardwave fleet; shardwave wave list; shardwave wave events $wave_id
KEPT
    if wants_engine sqlite; then
        echo "  sqlite3 $workdir/shards/tenant-001.db 'SELECT version, direction, state, wave, agent FROM shardwave_schema_history'"
    fi
    if ((servers_started)); then
        echo "(The PostgreSQL and MariaDB shards lived on throwaway servers, which are gone.)"
        echo "Stop the coordinator with: kill %1"
    else
        echo "To run more waves (docs/tutorial-first-wave.md), start the agents too:"
        echo "  shardwave-agent --config $workdir/agent-eu.conf 2>>$workdir/logs/agent-eu.log &"
        echo "  shardwave-agent --config $workdir/agent-us.conf 2>>$workdir/logs/agent-us.log &"
        echo "Stop them with: kill %3 %2 %1 (agents first)"
    fi
else
    echo "  deploy/quickstart.sh --workdir DIR --keep   keeps the fleet, configs and logs"
fi
