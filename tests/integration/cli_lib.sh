# shellcheck shell=bash
# Helpers for the `shardwave` CLI tests (tests/integration/cli_*.sh). Sourced, not run.
#
#   cli_require ENGINE        exit 77 (skip) when ENGINE's server is not configured, or fail
#                             when SW_TEST_REQUIRE_SERVERS=1
#   cli_create_db ENGINE      a fresh empty database, dropped on exit; sets CLI_ENGINE,
#                             CLI_DSN (for shardwave) and what cli_sql needs
#   cli_sql SQL               runs SQL on that database; rows tab-separated, no header
#   cli_columns TABLE         the table's column names, sorted, comma-joined
#   cli_tables                the database's tables and views, sorted, comma-joined
#   cli_history               "version direction state" per history row, in row order
#   cli_run CMD...            runs CMD, stdout in $CLI_OUT, stderr in $CLI_ERR, exit in $CLI_RC
#   cli_expect RC CMD...      cli_run, failing the test unless the exit code is RC
#   assert_eq ACTUAL EXPECTED WHAT / assert_contains TEXT NEEDLE WHAT / assert_not_contains
#
# Environment: SW_BIN_DIR (the build's bin/), SW_TEST_PG_DSN, SW_TEST_MYSQL_DSN,
# SW_TEST_REQUIRE_SERVERS, SW_TEST_TMPDIR. Each test uses its own databases and temp dir,
# so tests run alone, in any order, or in parallel.
set -euo pipefail

CLI_TEST_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
SW_SOURCE_DIR=${SW_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SW_BIN_DIR=${SW_BIN_DIR:-$SW_SOURCE_DIR/build/bin}
SHARDWAVE="$SW_BIN_DIR/shardwave"
CLI_TMP=$(mktemp -d "${SW_TEST_TMPDIR:-${TMPDIR:-/tmp}}/sw_${CLI_TEST_NAME}.XXXXXX")
CLI_CLEANUPS=()
CLI_OUT=""
CLI_ERR=""
CLI_RC=0

cli_cleanup()
{
    local i
    for ((i = ${#CLI_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${CLI_CLEANUPS[i]}" >/dev/null 2>&1 || true
    done
    rm -rf "$CLI_TMP"
}
trap cli_cleanup EXIT

cli_log()
{
    printf '%s: %s\n' "$CLI_TEST_NAME" "$*" >&2
}

cli_fail()
{
    printf '%s: FAIL: %s\n' "$CLI_TEST_NAME" "$*" >&2
    if [[ -n $CLI_OUT || -n $CLI_ERR ]]; then
        printf -- '--- stdout of the last command ---\n%s\n--- stderr ---\n%s\n' \
            "$CLI_OUT" "$CLI_ERR" >&2
    fi
    exit 1
}

[[ -x $SHARDWAVE ]] || cli_fail "$SHARDWAVE is not built"

cli_require()
{
    local var
    case $1 in
    sqlite) return 0 ;;
    pg) var=SW_TEST_PG_DSN ;;
    mysql) var=SW_TEST_MYSQL_DSN ;;
    *) cli_fail "unknown engine $1" ;;
    esac
    if [[ -z ${!var:-} ]]; then
        if [[ ${SW_TEST_REQUIRE_SERVERS:-0} == 1 ]]; then
            cli_fail "$var is not set but SW_TEST_REQUIRE_SERVERS=1"
        fi
        cli_log "skipped: $var is not set"
        exit 77
    fi
}

# mysql://user[:pass]@host[:port][/db] -> CLI_MY_USER CLI_MY_PASS CLI_MY_HOST CLI_MY_PORT
cli_parse_mysql_dsn()
{
    local re='^(mysql|mariadb)://([^:@/]*)(:([^@]*))?@([^:/?]+)(:([0-9]+))?(/([^?]*))?'
    [[ $1 =~ $re ]] || cli_fail "cannot parse SW_TEST_MYSQL_DSN"
    CLI_MY_USER=${BASH_REMATCH[2]}
    CLI_MY_PASS=${BASH_REMATCH[4]}
    CLI_MY_HOST=${BASH_REMATCH[5]}
    CLI_MY_PORT=${BASH_REMATCH[7]:-3306}
}

cli_mariadb()
{
    MYSQL_PWD=$CLI_MY_PASS mariadb --protocol=TCP -h "$CLI_MY_HOST" -P "$CLI_MY_PORT" \
        -u "$CLI_MY_USER" -N -B "$@"
}

cli_create_db()
{
    CLI_ENGINE=$1
    cli_require "$CLI_ENGINE"
    local name="sw_cli_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    CLI_DB_NAME=$name
    case $CLI_ENGINE in
    sqlite)
        CLI_SQLITE_PATH="$CLI_TMP/$name.db"
        CLI_DSN="sqlite://$CLI_SQLITE_PATH"
        ;;
    pg)
        local base=${SW_TEST_PG_DSN%%\?*}
        psql -X -q -v ON_ERROR_STOP=1 "$SW_TEST_PG_DSN" -c "CREATE DATABASE $name" >/dev/null
        CLI_CLEANUPS+=("psql -X -q '$SW_TEST_PG_DSN' -c 'DROP DATABASE IF EXISTS $name WITH (FORCE)'")
        CLI_DSN="${base%/*}/$name"
        ;;
    mysql)
        cli_parse_mysql_dsn "$SW_TEST_MYSQL_DSN"
        cli_mariadb -e "CREATE DATABASE $name"
        CLI_CLEANUPS+=("cli_mariadb -e 'DROP DATABASE IF EXISTS $name'")
        local auth=$CLI_MY_USER
        [[ -n $CLI_MY_PASS ]] && auth+=":$CLI_MY_PASS"
        CLI_DSN="mysql://$auth@$CLI_MY_HOST:$CLI_MY_PORT/$name"
        ;;
    *) cli_fail "unknown engine $CLI_ENGINE" ;;
    esac
}

cli_sql()
{
    case $CLI_ENGINE in
    sqlite) sqlite3 -batch -separator $'\t' "$CLI_SQLITE_PATH" "$1" ;;
    pg) psql -X -A -t -q -F $'\t' -v ON_ERROR_STOP=1 "$CLI_DSN" -c "$1" ;;
    mysql) cli_mariadb "$CLI_DB_NAME" -e "$1" ;;
    esac
}

cli_columns()
{
    local sql
    case $CLI_ENGINE in
    sqlite) sql="SELECT name FROM pragma_table_info('$1') ORDER BY name" ;;
    pg) sql="SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'
             AND table_name = '$1' ORDER BY column_name" ;;
    mysql) sql="SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE()
                AND table_name = '$1' ORDER BY column_name" ;;
    esac
    cli_sql "$sql" | paste -sd, -
}

cli_tables()
{
    local sql
    case $CLI_ENGINE in
    sqlite) sql="SELECT name FROM sqlite_master WHERE type IN ('table', 'view')
                 AND name NOT LIKE 'sqlite_%' ORDER BY name" ;;
    pg) sql="SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'
             ORDER BY table_name" ;;
    mysql) sql="SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()
                ORDER BY table_name" ;;
    esac
    cli_sql "$sql" | paste -sd, -
}

cli_history()
{
    cli_sql "SELECT version, direction, state FROM shardwave_schema_history ORDER BY id" |
        tr '\t' ' '
}

cli_run()
{
    local out="$CLI_TMP/.out" err="$CLI_TMP/.err"
    set +e
    "$@" >"$out" 2>"$err"
    CLI_RC=$?
    set -e
    CLI_OUT=$(cat "$out")
    CLI_ERR=$(cat "$err")
}

cli_expect()
{
    local want=$1
    shift
    cli_run "$@"
    if [[ $CLI_RC != "$want" ]]; then
        cli_fail "expected exit $want, got $CLI_RC from: $*"
    fi
}

assert_eq()
{
    if [[ $1 != "$2" ]]; then
        cli_fail "$3: expected [$2], got [$1]"
    fi
}

assert_contains()
{
    if [[ $1 != *"$2"* ]]; then
        cli_fail "$3: expected to find [$2] in [$1]"
    fi
}

assert_not_contains()
{
    if [[ $1 == *"$2"* ]]; then
        cli_fail "$3: did not expect [$2] in [$1]"
    fi
}

# Writes DIR/NAME with the given text (printf %s, so no escapes are interpreted).
cli_write()
{
    printf '%s\n' "$3" >"$1/$2"
}
