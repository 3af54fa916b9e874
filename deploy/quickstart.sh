#!/usr/bin/env bash
# shardwave quickstart: installs the dependencies, builds into build/, then runs the
# single-database demo on an embedded SQLite file: info, migrate the example set
# (deploy/examples/migrations), info again, undo one step, migrate again.
#
# Usage: deploy/quickstart.sh [--workdir DIR] [--keep] [--engines LIST] [--no-build]
#   --workdir DIR   where the demo database goes (default: a new temporary directory)
#   --keep          keep the work directory (and print where it is)
#   --engines LIST  comma-separated engines to demo: sqlite (default), pg, mysql. pg and
#                   mysql run on throwaway PostgreSQL 15 / MariaDB servers on free
#                   127.0.0.1 ports (tests/lib/servers.sh), stopped again at the end
#   --no-build      use the existing build/bin/shardwave
# Environment: SW_BUILD_DIR (default build) as in tests/run.sh.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

build_dir=${SW_BUILD_DIR:-build}
workdir=""
keep=0
engines=sqlite
build=1
while (($# > 0)); do
    case $1 in
    --workdir)
        (($# >= 2)) || { echo "quickstart: --workdir needs a directory" >&2; exit 2; }
        workdir=$2
        shift
        ;;
    --keep) keep=1 ;;
    --engines)
        (($# >= 2)) || { echo "quickstart: --engines needs a list, e.g. sqlite,pg,mysql" >&2; exit 2; }
        engines=$2
        shift
        ;;
    --no-build) build=0 ;;
    -h | --help)
        sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "quickstart: unknown option '$1' (see --help)" >&2
        exit 2
        ;;
    esac
    shift
done

IFS=',' read -r -a engine_list <<<"$engines"
for e in "${engine_list[@]}"; do
    case $e in
    sqlite | pg | mysql) ;;
    *)
        echo "quickstart: unknown engine '$e' (expected sqlite, pg or mysql)" >&2
        exit 2
        ;;
    esac
done

say()
{
    if [[ -t 1 ]]; then
        printf '\n\033[1m== %s\033[0m\n' "$*"
    else
        printf '\n== %s\n' "$*"
    fi
}

servers_started=0
made_workdir=0
cleanup()
{
    if ((servers_started)); then
        sw_servers_stop || true
    fi
    if ((keep)); then
        echo "quickstart: kept $workdir"
    elif ((made_workdir)); then
        rm -rf "$workdir"
    fi
}
trap cleanup EXIT

say "installing dependencies (deploy/install-deps.sh)"
./deploy/install-deps.sh

if ((build)); then
    say "building into $build_dir/"
    cmake -S . -B "$build_dir" >/dev/null
    cmake --build "$build_dir" -j2
fi
shardwave="$repo/$build_dir/bin/shardwave"
[[ -x $shardwave ]] || { echo "quickstart: $shardwave is missing (build first)" >&2; exit 1; }

if [[ -z $workdir ]]; then
    workdir=$(mktemp -d "${TMPDIR:-/tmp}/shardwave-quickstart.XXXXXX")
    made_workdir=1
else
    mkdir -p "$workdir"
fi
migrations="deploy/examples/migrations"

# Prints the command (password-free: shardwave redacts DSNs itself), then runs it.
run()
{
    printf '$ shardwave'
    printf ' %q' "$@" | sed -E 's#(://[^:/@ ]*):[^@ ]*@#\1:***@#g'
    printf '\n'
    "$shardwave" "$@"
}

demo()
{
    local name=$1 dsn=$2
    say "demo on $name"
    run info --dsn "$dsn" --dir "$migrations"
    echo
    run migrate --dsn "$dsn" --dir "$migrations"
    echo
    run info --dsn "$dsn" --dir "$migrations"
    echo
    run undo --dsn "$dsn" --dir "$migrations" --to 6
    echo
    run migrate --dsn "$dsn" --dir "$migrations"
    echo
    run migrate --dsn "$dsn" --dir "$migrations"
}

# pg / mysql: throwaway servers from the test harness, one demo database each.
start_servers()
{
    SW_LIB_DIR="$repo/tests/lib"
    SW_MSG_PREFIX=quickstart
    # shellcheck source=tests/lib/servers.sh
    source "$repo/tests/lib/servers.sh"
    servers_started=1
    say "starting throwaway PostgreSQL and MariaDB servers"
    sw_servers_start
}

for e in "${engine_list[@]}"; do
    case $e in
    sqlite)
        demo "SQLite ($workdir/demo.db)" "sqlite://$workdir/demo.db"
        ;;
    pg)
        ((servers_started)) || start_servers
        psql -X -q "$SW_TEST_PG_DSN" -c "CREATE DATABASE shardwave_demo" >/dev/null
        demo "PostgreSQL" "${SW_TEST_PG_DSN%/*}/shardwave_demo"
        ;;
    mysql)
        ((servers_started)) || start_servers
        my=${SW_TEST_MYSQL_DSN#mysql://}
        my_auth=${my%%@*}
        my_hostport=${my#*@}
        my_hostport=${my_hostport%%/*}
        MYSQL_PWD=${my_auth#*:} mariadb --protocol=TCP -h "${my_hostport%:*}" \
            -P "${my_hostport##*:}" -u "${my_auth%%:*}" -e "CREATE DATABASE shardwave_demo"
        demo "MariaDB" "${SW_TEST_MYSQL_DSN%/}/shardwave_demo"
        ;;
    esac
done

say "done"
echo "The demo migrated one database at a time with the local 'shardwave' command."
echo "Try: $shardwave --help"
echo "Fleet waves arrive with the coordinator (issue 3)"
