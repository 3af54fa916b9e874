#!/usr/bin/env bash
# `shardwave` end to end on MySQL/MariaDB: the common scenarios, then a step that fails
# part-way (DDL commits implicitly): the database is dirty, migrate refuses naming
# `shardwave repair`, repair explains the choices, and each of --retry-from,
# --mark-reverted and --mark-applied lets migrate continue.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"
# shellcheck source=tests/integration/cli_scenarios.sh
source "$here/cli_scenarios.sh"

cli_require mysql
cli_run_common_scenarios mysql

# V6 stops at statement 3 of 4 until table `missing_src` exists.
cli_write_partial_step()
{
    cli_write "$CLI_SET" V6__split_profile.sql "CREATE TABLE profile_a (id integer);
CREATE TABLE profile_b (id integer);
INSERT INTO profile_b SELECT id FROM missing_src;
CREATE TABLE profile_c (id integer);"
    cli_write "$CLI_SET" U6__split_profile.sql "DROP TABLE profile_c;
DROP TABLE profile_b;
DROP TABLE profile_a;"
    "$SHARDWAVE" sum --quiet "$CLI_SET"
}

cli_fail_partway()
{
    cli_expect 8 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" "applying 6 split profile (V6__split_profile.sql) ... FAILED" \
        "failure progress line"
    assert_contains "$CLI_OUT" "(statement 3 of 4)" "failing statement index"
    assert_contains "$CLI_ERR" "line 3" "failing statement line"
    assert_contains "$CLI_ERR" "missing_src" "server message"
    assert_eq "$(cli_tables)" "accounts,note_mysql,profile_a,profile_b,shardwave_schema_history,users" \
        "statements 1-2 committed"
    assert_eq "$(cli_history | tail -n1)" "6 up dirty" "dirty recorded"
}

scenario_mysql_dirty_retry_from()
{
    cli_create_db mysql
    CLI_SET="$CLI_TMP/set_my_retry"
    cli_make_set "$CLI_SET"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    cli_write_partial_step
    cli_fail_partway

    cli_expect 0 "$SHARDWAVE" info --dsn "$CLI_DSN" --dir "$CLI_SET" --json
    assert_contains "$CLI_OUT" '"dirty": true' "info says dirty"
    assert_contains "$CLI_OUT" '"state": "dirty"' "item state dirty"
    assert_contains "$CLI_OUT" '"stmt_done": 2' "progress recorded"

    cli_expect 4 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_ERR" "is dirty" "migrate refuses a dirty database"
    assert_contains "$CLI_ERR" "shardwave repair" "refusal names shardwave repair"
    cli_expect 4 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$CLI_SET" --to 0
    assert_contains "$CLI_ERR" "shardwave repair" "undo refuses a dirty database too"

    cli_expect 4 "$SHARDWAVE" repair --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_ERR" "--mark-applied" "repair explains choice 1"
    assert_contains "$CLI_ERR" "--retry-from 3" "repair explains choice 2 with the statement"
    assert_contains "$CLI_ERR" "--mark-reverted" "repair explains choice 3"
    assert_eq "$(cli_history | tail -n1)" "6 up dirty" "explaining wrote nothing"

    cli_expect 2 "$SHARDWAVE" repair --dsn "$CLI_DSN" --dir "$CLI_SET" --mark-applied --mark-reverted
    assert_contains "$CLI_ERR" "choose one of" "one action at a time"

    cli_sql "CREATE TABLE missing_src (id integer)"
    cli_expect 0 "$SHARDWAVE" repair --dsn "$CLI_DSN" --dir "$CLI_SET" --retry-from 3
    assert_contains "$CLI_OUT" "will resume at statement 3 of 4" "repair says what it did"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" "migrated from 5 to 6 (1 step" "migrate continues"
    assert_contains "$(cli_tables)" "profile_a,profile_b,profile_c" "remaining statements ran"
    assert_eq "$(cli_history | tail -n1)" "6 up applied" "step applied after repair"
}

scenario_mysql_dirty_mark_reverted()
{
    cli_create_db mysql
    CLI_SET="$CLI_TMP/set_my_revert"
    cli_make_set "$CLI_SET"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    cli_write_partial_step
    cli_fail_partway
    # The operator undoes what ran and fixes the cause; the whole step runs again.
    cli_sql "DROP TABLE profile_b; DROP TABLE profile_a; CREATE TABLE missing_src (id integer)"
    cli_expect 0 "$SHARDWAVE" repair --dsn "$CLI_DSN" --dir "$CLI_SET" --mark-reverted
    assert_contains "$CLI_OUT" "marked version 6" "repair says what it did"
    assert_contains "$CLI_OUT" "reverted" "repair says reverted"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" "migrated from 5 to 6 (1 step" "whole step ran again"
    assert_contains "$(cli_tables)" "profile_a,profile_b,profile_c" "all statements ran"
}

scenario_mysql_dirty_mark_applied()
{
    cli_create_db mysql
    CLI_SET="$CLI_TMP/set_my_applied"
    cli_make_set "$CLI_SET"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    cli_write_partial_step
    cli_fail_partway
    # The operator finishes the step by hand.
    cli_sql "CREATE TABLE profile_c (id integer)"
    cli_expect 0 "$SHARDWAVE" repair --dsn "$CLI_DSN" --dir "$CLI_SET" --mark-applied
    assert_contains "$CLI_OUT" "as applied" "repair says what it did"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_eq "$CLI_OUT" "database is up to date at version 6" "nothing left to run"
    cli_expect 0 "$SHARDWAVE" repair --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" "nothing to repair" "repair on a clean database"
    # The repaired step can be undone like any other.
    cli_expect 0 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$CLI_SET" --to 5
    assert_eq "$(cli_tables)" "accounts,note_mysql,shardwave_schema_history,users" "undo after repair"
}

scenario_mysql_dirty_retry_from
scenario_mysql_dirty_mark_reverted
scenario_mysql_dirty_mark_applied
cli_log "ok"
