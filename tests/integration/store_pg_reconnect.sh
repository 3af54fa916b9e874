#!/usr/bin/env bash
# The PostgreSQL store across server restarts (issue 10): starts a throwaway PostgreSQL 15
# of its own with tests/lib/servers.sh (never touching the shared test servers), and runs
# store_pg_reconnect (C) against it with SW_STORE_TEST_PG_CTL pointing back at this
# script's `ctl` mode, which restarts / stops / starts that server by its data directory.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/servers.sh
source "$here/../lib/servers.sh"

if [[ ${1:-} == ctl ]]; then
    [[ -n ${SW_STORE_PG_DIR:-} ]] || sw_die "ctl: SW_STORE_PG_DIR is not set"
    case ${2:-} in
    restart | stop | start) ;;
    *) sw_die "ctl: restart, stop or start" ;;
    esac
    # pg_ctl start/restart reuse the options of the first start (postmaster.opts)
    opts=""
    [[ $2 == start ]] && opts=$(sed -E 's/^[^ ]+ //; s/"//g' "$SW_STORE_PG_DIR/data/postmaster.opts")
    sw_as_pg "$SW_PG_BIN/pg_ctl" -D "$SW_STORE_PG_DIR/data" -l "$SW_STORE_PG_DIR/server.log" \
        -m fast -w -t "$SW_SERVER_DEADLINE_S" ${opts:+-o "$opts"} "$2" >/dev/null
    exit 0
fi

bin="$SW_BIN_DIR/../tests/store_pg_reconnect"
[[ -x $bin ]] || sw_die "$bin is not built"
pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
trap sw_pg_stop EXIT
sw_pg_start "$pw"
export SW_STORE_PG_DIR=$SW_PG_DIR
export SW_TEST_PG_DSN="postgres://sw:$pw@127.0.0.1:$SW_PG_PORT/postgres"
export SW_STORE_TEST_PG_CTL="bash $here/store_pg_reconnect.sh ctl"
"$bin"
