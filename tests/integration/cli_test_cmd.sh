#!/usr/bin/env bash
# `shardwave test` on a real database of one engine: a correct set round-trips (exit 0; a
# step without a down and a down that re-adds a column last are warnings); a down that
# forgets to drop an index, and one that drops the wrong column, are caught with the exact
# catalog lines (exit 1). On sqlite also: --json, a failing down, steps already applied,
# history of another set (refused, --force), usage errors.
# Usage: cli_test_cmd.sh ENGINE   (pg | mysql | sqlite)
#        cli_test_cmd.sh large    (the generated 300-version set on sqlite)
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"

mode=${1:?usage: cli_test_cmd.sh pg|mysql|sqlite|large}

# The correct set: table, index, column with a default, foreign key and check, view,
# trigger (per engine), a step without a down, a down that re-adds a dropped column.
write_good_set()
{
    local d=$1
    mkdir -p "$d"
    cli_write "$d" V1__users.sql "CREATE TABLE users (id integer PRIMARY KEY,
    email varchar(100) NOT NULL, name varchar(50) DEFAULT 'anon');"
    cli_write "$d" U1__users.sql "DROP TABLE users;"
    cli_write "$d" V2__email_index.sql "CREATE INDEX users_email ON users (email);"
    cli_write "$d" U2__email_index.sql "DROP INDEX users_email;"
    cli_write "$d" U2__email_index.mysql.sql "DROP INDEX users_email ON users;"
    cli_write "$d" V3__status.sql "ALTER TABLE users ADD COLUMN status integer NOT NULL DEFAULT 0;"
    cli_write "$d" U3__status.sql "ALTER TABLE users DROP COLUMN status;"
    cli_write "$d" V4__orders.sql "CREATE TABLE orders (id integer PRIMARY KEY,
    user_id integer NOT NULL, amount integer CHECK (amount >= 0),
    CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id));"
    cli_write "$d" U4__orders.sql "DROP TABLE orders;"
    cli_write "$d" V5__active_users.sql \
        "CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 1;"
    cli_write "$d" U5__active_users.sql "DROP VIEW active_users;"
    cli_write "$d" V6__touch.pg.sql "CREATE FUNCTION users_touch() RETURNS trigger
LANGUAGE plpgsql AS \$\$ BEGIN NEW.name := coalesce(NEW.name, 'anon'); RETURN NEW; END \$\$;
CREATE TRIGGER users_touch BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION users_touch();"
    cli_write "$d" U6__touch.pg.sql "DROP TRIGGER users_touch ON users;
DROP FUNCTION users_touch();"
    cli_write "$d" V6__touch.mysql.sql "CREATE TRIGGER users_touch BEFORE INSERT ON users
FOR EACH ROW SET NEW.name = coalesce(NEW.name, 'anon');"
    cli_write "$d" U6__touch.mysql.sql "DROP TRIGGER users_touch;"
    cli_write "$d" V6__touch.sqlite.sql "CREATE TRIGGER users_touch AFTER INSERT ON users
WHEN NEW.name IS NULL BEGIN UPDATE users SET name = 'anon' WHERE id = NEW.id; END;"
    cli_write "$d" U6__touch.sqlite.sql "DROP TRIGGER users_touch;"
    cli_write "$d" V7__audit.sql "CREATE TABLE audit (id integer PRIMARY KEY,
    legacy_flag integer, note varchar(200));"
    cli_write "$d" V8__drop_legacy_flag.sql "ALTER TABLE audit DROP COLUMN legacy_flag;"
    cli_write "$d" U8__drop_legacy_flag.sql "ALTER TABLE audit ADD COLUMN legacy_flag integer;"
}

# Prints the step lines of $CLI_OUT (the header line dropped).
step_lines()
{
    printf '%s\n' "$CLI_OUT" | tail -n +2
}

good_set_passes()
{
    cli_create_db "$1"
    cli_expect 0 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$good"
    local order="    now:"
    assert_contains "$(printf '%s\n' "$CLI_OUT" | head -1)" "testing 8 of 8 steps on $1 " "header"
    assert_contains "$CLI_OUT" "ok            1 users
ok            2 email index
ok            3 status
ok            4 orders
ok            5 active users
ok            6 touch
warning       7 audit: no down migration
warning       8 drop legacy flag: U8__drop_legacy_flag.sql restores the columns but not their order
" "good set, $1"
    assert_contains "$CLI_OUT" "$order" "column order detail"
    assert_contains "$CLI_OUT" "8 tested: 7 round-trip, 0 not restored, 1 without a down; 1 with the columns in another order" "summary"
    assert_eq "$CLI_ERR" "" "stderr of a passing test"
    # Each step with a down went up, down and up again; the database ends at the latest.
    assert_eq "$(cli_history | paste -sd, -)" "1 up applied,1 down applied,1 up applied,2 up applied,2 down applied,2 up applied,3 up applied,3 down applied,3 up applied,4 up applied,4 down applied,4 up applied,5 up applied,5 down applied,5 up applied,6 up applied,6 down applied,6 up applied,7 up applied,8 up applied,8 down applied,8 up applied" "history"
    assert_eq "$(cli_tables)" "active_users,audit,orders,shardwave_schema_history,users" "tables at the end"
    # Run again: every step is applied, nothing left to test.
    cli_expect 0 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$good"
    assert_contains "$CLI_OUT" "testing 0 of 8 steps" "second run header"
    assert_contains "$CLI_OUT" "0 tested: 0 round-trip, 0 not restored, 0 without a down; 8 skipped (already applied)" "second run summary"
}

# $1 engine, $2 expected "left behind:" lines of the forgotten index.
forgotten_index_is_caught()
{
    local bad="$CLI_TMP/bad_index_$1"
    cp -r "$good" "$bad"
    rm "$bad/U2__email_index.mysql.sql"
    cli_write "$bad" U2__email_index.sql "SELECT 1;"
    cli_create_db "$1"
    cli_expect 1 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$bad"
    assert_eq "$(step_lines | head -n -2)" "ok            1 users
NOT RESTORED  2 email index: U2__email_index.sql leaves the schema different from before V2__email_index.sql
$2" "forgotten index, $1"
    assert_contains "$(step_lines | tail -2 | head -1)" "stopped       2 email index: reapply: applying V2__email_index.sql: line 1: " "reapply failure"
    assert_eq "$(step_lines | tail -1)" "2 tested: 1 round-trip, 1 not restored, 0 without a down; 1 failed; 6 not tested" "summary"
    assert_eq "$CLI_ERR" "shardwave: test: 1 of 2 tested steps do not round-trip; stopped at version 2
hint: fix the down migrations listed above so they undo exactly what their up migrations do" "stderr"
}

# $1 engine, $2 expected diff lines of the down that drops `name` instead of `status`.
wrong_column_is_caught()
{
    local bad="$CLI_TMP/bad_column_$1"
    cp -r "$good" "$bad"
    cli_write "$bad" U3__status.sql "ALTER TABLE users DROP COLUMN name;"
    cli_create_db "$1"
    local want=$2
    if [[ $1 == mysql ]]; then # the server's default character set and collation
        local cs
        cs=$(cli_sql "SELECT default_character_set_name, default_collation_name
                      FROM information_schema.schemata WHERE schema_name = DATABASE()")
        want=${want//@CHARSET@/${cs%%$'\t'*}}
        want=${want//@COLLATION@/${cs#*$'\t'}}
    fi
    cli_expect 1 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$bad"
    assert_eq "$(step_lines | head -n -2)" "ok            1 users
ok            2 email index
NOT RESTORED  3 status: U3__status.sql leaves the schema different from before V3__status.sql
$want" "wrong column, $1"
    assert_eq "$(cli_columns users)" "email,id,status" "columns after the failed re-apply"
}

run_engine()
{
    local e=$1
    good="$CLI_TMP/good"
    write_good_set "$good"
    good_set_passes "$e"
    case $e in
    pg)
        forgotten_index_is_caught pg "    left behind: index | users | public | users_email | CREATE INDEX users_email ON public.users USING btree (email)"
        wrong_column_is_caught pg "    left behind: column | users | public | status | integer | true | 0 |  |  | \\N
    missing:     column | users | public | name | character varying(50) | false | 'anon'::character varying |  |  | default"
        ;;
    mysql)
        forgotten_index_is_caught mysql "    left behind: index | users | users_email | 1 | email | 1 | A | \\N | BTREE"
        wrong_column_is_caught mysql "    left behind: column | users | status | int(11) | NO | 0 |  | \\N | \\N | \\N
    missing:     column | users | name | varchar(50) | YES | 'anon' |  | @CHARSET@ | @COLLATION@ | \\N"
        ;;
    sqlite)
        forgotten_index_is_caught sqlite "    left behind: index | users | users_email | 0 | c | 0 | 0 | email
    left behind: object | users | index | users_email | CREATE INDEX users_email ON users (email)"
        wrong_column_is_caught sqlite "    left behind: column | users | status | INTEGER | 1 | 0 | 0
    left behind: object | users | table | users | CREATE TABLE users (email varchar(100) NOT NULL, id integer PRIMARY KEY, status integer NOT NULL DEFAULT 0)
    missing:     column | users | name | varchar(50) | 0 | 'anon' | 0
    missing:     object | users | table | users | CREATE TABLE users (email varchar(100) NOT NULL, id integer PRIMARY KEY, name varchar(50) DEFAULT 'anon')"
        sqlite_extras
        ;;
    esac
}

sqlite_extras()
{
    # --json: the step, its result and the exact lines.
    cli_create_db sqlite
    cli_expect 1 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$CLI_TMP/bad_column_sqlite" --json
    assert_eq "$(jq -c '[.ok, .engine, .from_version, .summary]' <<<"$CLI_OUT")" \
        '[false,"sqlite","0",{"tested":3,"ok":2,"not_restored":1,"column_order":0,"reapply_differs":0,"no_down":0,"failed":1,"skipped":0,"not_tested":5}]' "json summary"
    assert_eq "$(jq -c '.steps[2] | [.version, .result, .down, .round_trips, .error.phase, .error.code]' <<<"$CLI_OUT")" \
        '["3","failed","U3__status.sql",false,"reapply","database_error"]' "json step 3"
    assert_eq "$(jq -r '.steps[2].removed[0]' <<<"$CLI_OUT")" "column	users	name	varchar(50)	0	'anon'	0" "json removed line"
    assert_eq "$(jq -r '.steps[2].added[0]' <<<"$CLI_OUT")" "column	users	status	INTEGER	1	0	0" "json added line"
    assert_eq "$(jq -c '[.steps[] | .result]' <<<"$CLI_OUT")" \
        '["ok","ok","failed","not_tested","not_tested","not_tested","not_tested","not_tested"]' "json results"

    # A down that fails: exit 8 with the database's message; later steps are not tested.
    local failing="$CLI_TMP/failing"
    cp -r "$good" "$failing"
    cli_write "$failing" U5__active_users.sql "DROP VIEW no_such_view;"
    cli_create_db sqlite
    cli_expect 8 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$failing" --quiet
    assert_eq "$(step_lines)" "FAILED        5 active users: down: undoing U5__active_users.sql: line 1: ERROR 1 (SQL logic error): no such view: no_such_view (statement 1 of 1: DROP VIEW no_such_view)
5 tested: 4 round-trip, 0 not restored, 0 without a down; 1 failed; 3 not tested" "failing down"
    assert_eq "$CLI_ERR" "shardwave: test: version 5 (active users): down: undoing U5__active_users.sql: line 1: ERROR 1 (SQL logic error): no such view: no_such_view (statement 1 of 1: DROP VIEW no_such_view)" "failing down stderr"

    # Steps already applied are skipped: a copy at version 3 tests just 4..8.
    cli_create_db sqlite
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$good" --target 3 --quiet
    cli_expect 0 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$good" --quiet
    assert_eq "$CLI_OUT" "testing 5 of 8 steps on sqlite $CLI_DSN (3.40.1) from version 3
warning       7 audit: no down migration
warning       8 drop legacy flag: U8__drop_legacy_flag.sql restores the columns but not their order
5 tested: 4 round-trip, 0 not restored, 1 without a down; 1 with the columns in another order; 3 skipped (already applied)" "skipped steps"

    # History of another set: refused, then tested anyway with --force.
    local other="$CLI_TMP/other"
    mkdir -p "$other"
    cli_write "$other" V0_5__legacy.sql "CREATE TABLE legacy (id integer);"
    cli_create_db sqlite
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$other" --quiet
    cli_expect 4 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$good"
    assert_eq "$CLI_ERR" "shardwave: test: the database has history of another migration set: version 0.5 is applied but not in the directory
hint: test on an empty scratch database, or pass --force to test on this one" "foreign history"
    assert_eq "$(cli_history)" "0.5 up applied" "nothing ran"
    cli_expect 0 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$good" --force --quiet
    assert_contains "$CLI_OUT" "from version 0.5" "forced header"
    assert_contains "$CLI_OUT" "8 tested: 7 round-trip" "forced summary"
    assert_eq "$(cli_tables)" "active_users,audit,legacy,orders,shardwave_schema_history,users" "tables"

    # Usage.
    cli_expect 2 "$SHARDWAVE" test --dir "$good" --target 3
    assert_eq "$CLI_ERR" "shardwave: test: option '--target' does not apply here
hint: see 'shardwave test --help'" "option of another command"
    cli_expect 0 "$SHARDWAVE" test --help
    assert_contains "$CLI_OUT" "shardwave test - prove on a scratch database" "help"
}

run_large()
{
    local gen="$SW_BIN_DIR/../tests/sw_gen_migset"
    [[ -x $gen ]] || cli_fail "$gen is not built"
    local dir="$CLI_TMP/generated"
    mkdir -p "$dir"
    "$gen" "$dir" 300 >/dev/null
    cli_create_db sqlite
    if [[ -d /dev/shm && -w /dev/shm ]]; then # 900 commits: keep fsync off the disk
        local shm
        shm=$(mktemp -d /dev/shm/sw_cli_test_cmd.XXXXXX)
        CLI_CLEANUPS+=("rm -rf '$shm'")
        CLI_SQLITE_PATH="$shm/large.db"
        CLI_DSN="sqlite://$CLI_SQLITE_PATH"
    fi
    cli_expect 0 "$SHARDWAVE" test --dsn "$CLI_DSN" --dir "$dir" --quiet
    assert_contains "$(printf '%s\n' "$CLI_OUT" | tail -1)" "300 tested: 300 round-trip, 0 not restored, 0 without a down" "generated set"
    assert_not_contains "$CLI_OUT" "NOT RESTORED" "generated set"
    assert_eq "$(cli_sql "SELECT count(*) FROM shardwave_schema_history WHERE direction = 'down'")" "300" "downs run"
}

case $mode in
pg | mysql | sqlite) run_engine "$mode" ;;
large) run_large ;;
*) cli_fail "unknown mode $mode" ;;
esac
cli_log "ok"
