#!/usr/bin/env bash
# Checks a migration set with the engines' own command-line clients, independent of
# shardwave: on a scratch database per engine, applies every up file in version
# order, then every down file in reverse, twice, and asserts what the SQL says:
# after the ups, every table and view the up files create exists and the audit
# triggers fired; after the downs, the database holds no table, view, trigger or
# routine at all.
#
# Usage: check_migset.sh GENERATOR|DIR [ENGINE...]
#   GENERATOR  an executable (sw_gen_migset): a fresh set of its default size is
#              generated into a temporary directory first
#   ENGINE     pg, mysql, sqlite (default: all three)
# Environment: SW_TEST_PG_DSN, SW_TEST_MYSQL_DSN, SW_TEST_REQUIRE_SERVERS (see
# tests/support/testdb.h). A missing server skips that engine (exit 77 when nothing
# ran) unless SW_TEST_REQUIRE_SERVERS=1.
set -euo pipefail

SW_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SW_MSG_PREFIX=check_migset
# shellcheck source=tests/lib/common.sh
source "$SW_LIB_DIR/common.sh"

(($# >= 1)) || sw_die "usage: $0 GENERATOR|DIR [ENGINE...]"
work=$(mktemp -d "${SW_TEST_TMPDIR:-${TMPDIR:-/tmp}}/sw-chkset.XXXXXX")
db_name="sw_chkset_$(sw_random_hex 10)"
dropper=""
cleanup()
{
    if [[ -n $dropper ]]; then
        $dropper || true
    fi
    rm -rf -- "$work"
}
trap cleanup EXIT

if [[ -d $1 ]]; then
    set_dir=$1
else
    set_dir=$work/set
    "$1" "$set_dir" || sw_die "generator $1 failed"
fi
shift
engines=("$@")
((${#engines[@]} > 0)) || engines=(pg mysql sqlite)

# Versions of the set, ascending (numeric, part by part).
versions()
{
    find "$set_dir" -maxdepth 1 -name 'V*__*.sql' -printf '%f\n' |
        sed -E 's/^V([0-9._]+)__.*/\1/' | sort -u -V
}

# The file that runs for KIND (V|U), VERSION, ENGINE: variant first, then portable.
pick_file()
{
    local kind=$1 version=$2 engine=$3 f
    for f in "$set_dir/$kind${version}__"*".$engine.sql"; do
        [[ -e $f ]] && { echo "$f"; return 0; }
    done
    for f in "$set_dir/$kind${version}__"*.sql; do
        [[ -e $f ]] || continue
        [[ $(basename "$f") =~ \.(pg|mysql|sqlite)\.sql$ ]] && continue
        echo "$f"
        return 0
    done
    return 1
}

# Writes the whole up (or down) script for ENGINE to stdout, one file after another.
script_for()
{
    local kind=$1 engine=$2 v f
    local -a vs
    mapfile -t vs < <(versions)
    if [[ $kind == U ]]; then
        mapfile -t vs < <(printf '%s\n' "${vs[@]}" | tac)
    fi
    for v in "${vs[@]}"; do
        f=$(pick_file "$kind" "$v" "$engine") || sw_die "version $v has no $kind file for $engine"
        printf -- '-- file: %s\n' "$(basename "$f")"
        cat "$f"
        printf '\n'
    done
}

# Expected objects after all ups, counted from the up script itself.
expect_count()
{
    grep -cE "$2" "$1" || true
}

check_equal()
{
    local what=$1 want=$2 got=$3
    if [[ $want != "$got" ]]; then
        sw_die "$what: expected $want, got $got"
    fi
    sw_msg "ok: $what = $got"
}

# --- PostgreSQL ---------------------------------------------------------------
pg_admin() { psql -X -q -v ON_ERROR_STOP=1 "$SW_TEST_PG_DSN" "$@"; }
pg_db() { psql -X -q -v ON_ERROR_STOP=1 "${SW_TEST_PG_DSN%/*}/$db_name" "$@"; }
pg_drop() { pg_admin -c "DROP DATABASE IF EXISTS $db_name"; }
pg_apply() { pg_db -f "$1" >/dev/null; }
pg_count()
{
    pg_db -tA -c "SELECT
        (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') || ' ' ||
        (SELECT count(*) FROM pg_views WHERE schemaname = 'public') || ' ' ||
        (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND NOT t.tgisinternal) || ' ' ||
        (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public')"
}
pg_audit_rows() { pg_db -tA -c "SELECT count(*) FROM orders_audit"; }
pg_create() { pg_admin -c "CREATE DATABASE $db_name"; }

# --- MariaDB ------------------------------------------------------------------
my_parse()
{
    [[ $SW_TEST_MYSQL_DSN =~ ^mysql://([^:@/]+):([^@/]*)@([^:/]+):([0-9]+)/ ]] ||
        sw_die "SW_TEST_MYSQL_DSN must look like mysql://user:pass@host:port/"
    my_user=${BASH_REMATCH[1]}
    my_pass=${BASH_REMATCH[2]}
    my_host=${BASH_REMATCH[3]}
    my_port=${BASH_REMATCH[4]}
}
my_cli()
{
    MYSQL_PWD=$my_pass mariadb --no-defaults -h "$my_host" -P "$my_port" -u "$my_user" "$@"
}
my_drop() { my_cli -e "DROP DATABASE IF EXISTS $db_name"; }
my_create() { my_cli -e "CREATE DATABASE $db_name"; }
my_apply() { my_cli "$db_name" <"$1" >/dev/null; }
my_count()
{
    my_cli -N -B -e "SELECT CONCAT_WS(' ',
        (SELECT count(*) FROM information_schema.tables
          WHERE table_schema = '$db_name' AND table_type = 'BASE TABLE'),
        (SELECT count(*) FROM information_schema.views WHERE table_schema = '$db_name'),
        (SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = '$db_name'),
        (SELECT count(*) FROM information_schema.routines WHERE routine_schema = '$db_name'))"
}
my_audit_rows() { my_cli -N -B "$db_name" -e "SELECT count(*) FROM orders_audit"; }

# --- SQLite -------------------------------------------------------------------
sq_file=""
sq_db() { sqlite3 -bail -batch -cmd 'PRAGMA foreign_keys = ON' "$sq_file" "$@"; }
sq_create() { sq_file=$work/check.db; }
sq_drop() { rm -f -- "$sq_file"; }
sq_apply() { sq_db <"$1" >/dev/null; }
sq_count()
{
    sq_db "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table'
                     AND name NOT LIKE 'sqlite_%') || ' ' ||
                  (SELECT count(*) FROM sqlite_master WHERE type = 'view') || ' ' ||
                  (SELECT count(*) FROM sqlite_master WHERE type = 'trigger') || ' 0'"
}
sq_audit_rows() { sq_db "SELECT count(*) FROM orders_audit"; }

# Runs the whole check for one engine with prefix P (pg|my|sq).
check_engine()
{
    local engine=$1 p=$2 round t0
    local want_tables want_views want_triggers want_routines
    local up=$work/up.$engine.sql down=$work/down.$engine.sql
    script_for V "$engine" >"$up"
    script_for U "$engine" >"$down"
    want_tables=$(expect_count "$up" '^CREATE TABLE ')
    want_views=$(expect_count "$up" '^CREATE VIEW ')
    want_triggers=$(expect_count "$up" '^CREATE TRIGGER ')
    want_routines=$(expect_count "$up" '^CREATE (FUNCTION|PROCEDURE) ')
    "${p}_create"
    dropper=${p}_drop
    for round in 1 2; do
        t0=$(date +%s)
        "${p}_apply" "$up" || sw_die "$engine: up script failed (round $round)"
        check_equal "$engine round $round after up: tables views triggers routines" \
            "$want_tables $want_views $want_triggers $want_routines" "$("${p}_count")"
        if grep -q "^CREATE TABLE orders_audit " "$up"; then
            check_equal "$engine round $round: rows written by the orders audit trigger" 3 \
                "$("${p}_audit_rows")"
        fi
        "${p}_apply" "$down" || sw_die "$engine: down script failed (round $round)"
        check_equal "$engine round $round after down: tables views triggers routines" \
            "0 0 0 0" "$("${p}_count")"
        sw_msg "$engine round $round: up and down in $(($(date +%s) - t0))s"
    done
    "${p}_drop"
    dropper=""
}

n_run=0
for engine in "${engines[@]}"; do
    case $engine in
    pg) dsn_var=SW_TEST_PG_DSN prefix=pg ;;
    mysql) dsn_var=SW_TEST_MYSQL_DSN prefix=my ;;
    sqlite) dsn_var="" prefix=sq ;;
    *) sw_die "unknown engine '$engine' (expected pg, mysql or sqlite)" ;;
    esac
    if [[ -n $dsn_var && -z ${!dsn_var:-} ]]; then
        [[ ${SW_TEST_REQUIRE_SERVERS:-0} == 1 ]] && sw_die "$dsn_var is not set"
        sw_msg "skipping $engine: $dsn_var is not set"
        continue
    fi
    [[ $engine == mysql ]] && my_parse
    check_engine "$engine" "$prefix"
    n_run=$((n_run + 1))
done
((n_run > 0)) || exit 77
sw_msg "all checks passed ($(versions | wc -l) versions in $set_dir)"
