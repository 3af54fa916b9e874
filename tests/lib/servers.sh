# shellcheck shell=bash
# Throwaway PostgreSQL 15 and MariaDB servers for the tests, on free 127.0.0.1
# ports, each in its own temporary directory, stopped by their own pids.
#
# As a library (tests/run.sh):  source tests/lib/servers.sh
#     sw_servers_start   starts both, exports SW_TEST_PG_DSN, SW_TEST_MYSQL_DSN,
#                        SW_TEST_REQUIRE_SERVERS=1 and writes $SW_SERVERS_ENV_FILE
#     sw_servers_stop    stops whatever was started; idempotent, safe in a trap
# As a command (debugging):
#     tests/lib/servers.sh start        prints the path of an env file to source
#     tests/lib/servers.sh stop ENVFILE stops the servers that file describes
#
# Never kills by name: PostgreSQL is stopped with pg_ctl on its data directory,
# MariaDB with a signal to the pid in its own pid file.

SW_LIB_DIR=${SW_LIB_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
# shellcheck source=tests/lib/common.sh
source "$SW_LIB_DIR/common.sh"

SW_PG_BIN=${SW_PG_BIN:-/usr/lib/postgresql/15/bin}
SW_SERVERS_TMPDIR=${SW_SERVERS_TMPDIR:-/tmp} # must be traversable by the postgres user
SW_SERVER_DEADLINE_S=${SW_SERVER_DEADLINE_S:-90}
SW_PORT_MIN=${SW_PORT_MIN:-20000} # below the kernel's ephemeral range (32768+)
SW_PORT_SPAN=${SW_PORT_SPAN:-12000}

SW_PG_DIR=""
SW_PG_PORT=""
SW_MY_DIR=""
SW_MY_PORT=""
SW_MY_PID=""
SW_SERVERS_ENV_FILE=""

# True when nothing listens on 127.0.0.1:PORT (connection refused).
sw_port_is_free()
{
    local port=$1
    if command -v ss >/dev/null 2>&1 && ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
        return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        return 1
    fi
    return 0
}

# Prints a random free port in [SW_PORT_MIN, SW_PORT_MIN + SW_PORT_SPAN).
sw_free_port()
{
    local i port
    for ((i = 0; i < 200; i++)); do
        port=$((SW_PORT_MIN + (RANDOM * 32768 + RANDOM) % SW_PORT_SPAN))
        if sw_port_is_free "$port"; then
            echo "$port"
            return 0
        fi
    done
    sw_msg "no free port found in $SW_PORT_MIN..$((SW_PORT_MIN + SW_PORT_SPAN))"
    return 1
}

# True while PID exists and is not a zombie.
sw_pid_alive()
{
    local pid=$1 state
    kill -0 "$pid" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $state != Z ]]
}

sw_pid_gone()
{
    ! sw_pid_alive "$1"
}

# Runs a command as the postgres user (PostgreSQL refuses to run as root), from /
# because the caller's working directory may be unreadable to that user.
sw_as_pg()
{
    if [[ $(id -u) -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

sw_show_log()
{
    if [[ -f $1 ]]; then
        sw_msg "last lines of $1:"
        tail -n 30 "$1" >&2
    fi
}

sw_pg_psql()
{
    sw_as_pg "$SW_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SW_PG_DIR" -p "$SW_PG_PORT" \
        -U postgres -d postgres "$@"
}

# PostgreSQL 15: initdb as postgres (local socket trust, TCP scram with a random
# password), start on a free port, create superuser role sw.
sw_pg_start()
{
    local pw=$1 attempt opts
    [[ -x $SW_PG_BIN/initdb ]] || { sw_msg "PostgreSQL 15 not found in $SW_PG_BIN"; return 1; }
    SW_PG_DIR=$(mktemp -d "$SW_SERVERS_TMPDIR/sw-pg.XXXXXX") || return 1
    chmod 0700 "$SW_PG_DIR"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres:postgres "$SW_PG_DIR"
    fi
    printf '%s\n' "$pw" >"$SW_PG_DIR/pwfile"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$SW_PG_DIR/pwfile"
    if ! sw_as_pg "$SW_PG_BIN/initdb" -D "$SW_PG_DIR/data" -U postgres -E UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256 --pwfile="$SW_PG_DIR/pwfile" --no-sync \
        >"$SW_PG_DIR/initdb.log" 2>&1; then
        sw_show_log "$SW_PG_DIR/initdb.log"
        return 1
    fi
    for attempt in 1 2 3 4 5; do
        SW_PG_PORT=$(sw_free_port) || return 1
        if sw_pg_launch; then
            break
        fi
        sw_msg "postgres did not start on port $SW_PG_PORT (attempt $attempt)"
        sw_show_log "$SW_PG_DIR/server.log"
        [[ $attempt -eq 5 ]] && return 1
    done
    sw_pg_psql -c "CREATE ROLE sw LOGIN SUPERUSER PASSWORD '$pw'"
}

# pg_ctl start of SW_PG_DIR's server on SW_PG_PORT (a first start, or a restart).
sw_pg_launch()
{
    local opts="-c port=$SW_PG_PORT -c listen_addresses=127.0.0.1"
    opts+=" -c unix_socket_directories=$SW_PG_DIR -c max_connections=300"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    sw_as_pg "$SW_PG_BIN/pg_ctl" -D "$SW_PG_DIR/data" -l "$SW_PG_DIR/server.log" -w \
        -t "$SW_SERVER_DEADLINE_S" -o "$opts" start >/dev/null
}

# Fault tests: stop the server (pg_ctl stop -m fast: sessions are cut) keeping its data
# and port, and start it again.
sw_pg_halt()
{
    sw_as_pg "$SW_PG_BIN/pg_ctl" -D "$SW_PG_DIR/data" -m fast -w -t "$SW_SERVER_DEADLINE_S" \
        stop >/dev/null
}

sw_pg_restart()
{
    sw_pg_launch
}

sw_pg_stop()
{
    [[ -n $SW_PG_DIR ]] || return 0
    if [[ -f $SW_PG_DIR/data/postmaster.pid ]]; then
        sw_as_pg "$SW_PG_BIN/pg_ctl" -D "$SW_PG_DIR/data" -m fast -w -t "$SW_SERVER_DEADLINE_S" \
            stop >/dev/null 2>&1 || sw_msg "pg_ctl stop failed for $SW_PG_DIR"
    fi
    rm -rf -- "$SW_PG_DIR"
    SW_PG_DIR=""
}

sw_my_root()
{
    mariadb --no-defaults -uroot --socket="$SW_MY_DIR/sock" "$@"
}

sw_my_ready()
{
    sw_pid_alive "$SW_MY_PID" || return 0 # died: stop polling, the caller checks
    sw_my_root -e 'SELECT 1' >/dev/null 2>&1
}

# MariaDB: install a fresh data dir, run mariadbd in the background on a free port,
# then create 'sw'@'127.0.0.1' (all privileges) over the root-only unix socket.
sw_my_start()
{
    local pw=$1 attempt
    SW_MY_DIR=$(mktemp -d "$SW_SERVERS_TMPDIR/sw-my.XXXXXX") || return 1
    if ! mariadb-install-db --no-defaults --datadir="$SW_MY_DIR/data" --user="$(id -un)" \
        --auth-root-authentication-method=socket --skip-test-db >"$SW_MY_DIR/install.log" 2>&1; then
        sw_show_log "$SW_MY_DIR/install.log"
        return 1
    fi
    for attempt in 1 2 3 4 5; do
        SW_MY_PORT=$(sw_free_port) || return 1
        sw_my_launch
        if ! sw_poll "$SW_SERVER_DEADLINE_S" sw_my_ready; then
            sw_msg "mariadbd not ready after ${SW_SERVER_DEADLINE_S}s"
            sw_show_log "$SW_MY_DIR/server.log"
            return 1
        fi
        sw_pid_alive "$SW_MY_PID" && break
        wait "$SW_MY_PID" 2>/dev/null || true
        sw_msg "mariadbd did not start on port $SW_MY_PORT (attempt $attempt)"
        sw_show_log "$SW_MY_DIR/server.log"
        SW_MY_PID=""
        [[ $attempt -eq 5 ]] && return 1
    done
    # The pid file is the server's own record of its pid; prefer it.
    if [[ -s $SW_MY_DIR/mariadbd.pid ]]; then
        SW_MY_PID=$(<"$SW_MY_DIR/mariadbd.pid")
    fi
    sw_my_root -e "CREATE USER 'sw'@'127.0.0.1' IDENTIFIED BY '$pw';
        GRANT ALL PRIVILEGES ON *.* TO 'sw'@'127.0.0.1' WITH GRANT OPTION;
        CREATE USER 'sw'@'localhost' IDENTIFIED BY '$pw';
        GRANT ALL PRIVILEGES ON *.* TO 'sw'@'localhost' WITH GRANT OPTION;"
}

# mariadbd on SW_MY_DIR's data and SW_MY_PORT, in the background (sets SW_MY_PID).
sw_my_launch()
{
    mariadbd --no-defaults --user="$(id -un)" --datadir="$SW_MY_DIR/data" \
        --bind-address=127.0.0.1 --port="$SW_MY_PORT" --socket="$SW_MY_DIR/sock" \
        --pid-file="$SW_MY_DIR/mariadbd.pid" --log-error="$SW_MY_DIR/server.log" \
        --max-connections=300 --innodb-flush-log-at-trx-commit=0 --skip-log-bin \
        --skip-name-resolve --innodb-buffer-pool-size=64M \
        </dev/null >>"$SW_MY_DIR/server.log" 2>&1 &
    SW_MY_PID=$!
}

# Fault tests: stop the server (SIGTERM to its own pid) keeping its data and port, and
# start it again.
sw_my_halt()
{
    local pid=$SW_MY_PID
    [[ -s $SW_MY_DIR/mariadbd.pid ]] && pid=$(<"$SW_MY_DIR/mariadbd.pid")
    kill -TERM "$pid" 2>/dev/null || return 1
    sw_poll "$SW_SERVER_DEADLINE_S" sw_pid_gone "$pid" || return 1
    wait "$pid" 2>/dev/null || true
}

sw_my_restart()
{
    sw_my_launch
    sw_poll "$SW_SERVER_DEADLINE_S" sw_my_ready && sw_pid_alive "$SW_MY_PID"
}

sw_my_stop()
{
    [[ -n $SW_MY_DIR ]] || return 0
    local pid=$SW_MY_PID
    if [[ -s $SW_MY_DIR/mariadbd.pid ]]; then
        pid=$(<"$SW_MY_DIR/mariadbd.pid")
    fi
    if [[ $pid =~ ^[0-9]+$ ]] && sw_pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! sw_poll "$SW_SERVER_DEADLINE_S" sw_pid_gone "$pid"; then
            sw_msg "mariadbd $pid ignored SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sw_poll 10 sw_pid_gone "$pid" || true
        fi
    fi
    wait "$pid" 2>/dev/null || true # reap it when it is our child
    rm -rf -- "$SW_MY_DIR"
    SW_MY_DIR=""
    SW_MY_PID=""
}

# Writes an env file describing the running servers (sourceable; used by `stop`).
sw_servers_write_env()
{
    SW_SERVERS_ENV_FILE="$SW_PG_DIR/sw-servers.env"
    {
        printf 'export SW_TEST_PG_DSN=%q\n' "$SW_TEST_PG_DSN"
        printf 'export SW_TEST_MYSQL_DSN=%q\n' "$SW_TEST_MYSQL_DSN"
        printf 'export SW_TEST_REQUIRE_SERVERS=1\n'
        printf 'SW_PG_DIR=%q\nSW_PG_PORT=%q\n' "$SW_PG_DIR" "$SW_PG_PORT"
        printf 'SW_MY_DIR=%q\nSW_MY_PORT=%q\nSW_MY_PID=%q\n' "$SW_MY_DIR" "$SW_MY_PORT" "$SW_MY_PID"
    } >"$SW_SERVERS_ENV_FILE"
}

sw_servers_start()
{
    local pw
    pw=$(sw_random_hex 24)
    sw_pg_start "$pw" || return 1
    sw_my_start "$pw" || return 1
    export SW_TEST_PG_DSN="postgres://sw:$pw@127.0.0.1:$SW_PG_PORT/postgres"
    export SW_TEST_MYSQL_DSN="mysql://sw:$pw@127.0.0.1:$SW_MY_PORT/"
    export SW_TEST_REQUIRE_SERVERS=1
    sw_servers_write_env
    sw_msg "postgres on 127.0.0.1:$SW_PG_PORT ($SW_PG_DIR), mariadb on 127.0.0.1:$SW_MY_PORT (pid $SW_MY_PID, $SW_MY_DIR)"
}

# Stops both (MariaDB first: its directory does not hold the env file). Keeps going
# when one fails so the other is still stopped.
sw_servers_stop()
{
    sw_my_stop || true
    sw_pg_stop || true
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    SW_MSG_PREFIX=servers
    case ${1:-} in
    start)
        if ! sw_servers_start; then
            sw_servers_stop
            exit 1
        fi
        echo "$SW_SERVERS_ENV_FILE"
        ;;
    stop)
        [[ -f ${2:-} ]] || sw_die "usage: $0 stop ENVFILE"
        # shellcheck disable=SC1090
        source "$2"
        sw_servers_stop
        ;;
    *)
        echo "usage: $0 start | stop ENVFILE" >&2
        exit 2
        ;;
    esac
fi
