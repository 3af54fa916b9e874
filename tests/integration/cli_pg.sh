#!/usr/bin/env bash
# `shardwave` end to end on PostgreSQL: the common scenarios, a failing step that leaves the
# database unchanged (one transaction with its history row), a no-transaction
# CREATE INDEX CONCURRENTLY step, and DSN redaction.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"
# shellcheck source=tests/integration/cli_scenarios.sh
source "$here/cli_scenarios.sh"

cli_require pg
cli_run_common_scenarios pg

scenario_pg_failure_rolls_back()
{
    cli_create_db pg
    CLI_SET="$CLI_TMP/set_pg_fail"
    cli_make_set "$CLI_SET"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    cli_write "$CLI_SET" V6__broken.sql "CREATE TABLE t6 (id integer);
ALTER TABLE users ADD COLUMN plan text;
INSERT INTO t6 SELECT id FROM no_such_table;"
    "$SHARDWAVE" sum --quiet "$CLI_SET"
    local tables
    tables=$(cli_tables)

    cli_expect 8 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    [[ $CLI_OUT =~ applying\ 6\ broken\ \(V6__broken.sql\)\ \.\.\.\ FAILED ]] ||
        cli_fail "failure progress line"
    assert_contains "$CLI_ERR" 'shardwave: applying V6__broken.sql: line 3' "failing statement line"
    assert_contains "$CLI_ERR" 'relation "no_such_table" does not exist' "server message"
    assert_eq "$(cli_tables)" "$tables" "failed step left no table behind"
    assert_eq "$(cli_columns users)" "email,id,status" "failed step left no column behind"
    assert_eq "$(cli_history | tail -n1)" "6 up failed" "failure recorded"
    cli_expect 0 "$SHARDWAVE" info --dsn "$CLI_DSN" --dir "$CLI_SET" --json
    assert_contains "$CLI_OUT" '"current_version": "5"' "still at 5"
    assert_contains "$CLI_OUT" '"dirty": false' "a clean failure is not dirty"

    # Never applied, so it may be fixed in place; the next migrate retries it.
    cli_write "$CLI_SET" V6__broken.sql "CREATE TABLE t6 (id integer);
ALTER TABLE users ADD COLUMN plan text;"
    "$SHARDWAVE" sum --quiet "$CLI_SET"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" "migrated from 5 to 6 (1 step" "fixed step applies"
    assert_eq "$(cli_columns users)" "email,id,plan,status" "fixed step's column"
}

scenario_pg_concurrently()
{
    cli_create_db pg
    CLI_SET="$CLI_TMP/set_pg_conc"
    cli_make_set "$CLI_SET"
    cli_write "$CLI_SET" V6__index_accounts_user.pg.sql "-- shardwave: no-transaction
CREATE INDEX CONCURRENTLY accounts_user_idx ON accounts (user_id);"
    cli_write "$CLI_SET" V6__index_accounts_user.sql "CREATE INDEX accounts_user_idx ON accounts (user_id);"
    "$SHARDWAVE" sum --quiet "$CLI_SET"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" "applying 6 index accounts user (V6__index_accounts_user.pg.sql) ... ok" \
        "pg variant with no-transaction"
    assert_eq "$(cli_sql "SELECT indexname FROM pg_indexes WHERE indexname = 'accounts_user_idx'")" \
        "accounts_user_idx" "index built concurrently"
    assert_eq "$(cli_sql "SELECT indisvalid FROM pg_index WHERE indexrelid = 'accounts_user_idx'::regclass")" \
        "t" "index is valid"
}

scenario_pg_redaction()
{
    cli_create_db pg
    CLI_SET="$CLI_TMP/set_pg_redact"
    cli_make_set "$CLI_SET"
    local pw
    pw=$(sed -E 's|^[a-z]+://[^:/@]*:([^@]*)@.*|\1|' <<<"$CLI_DSN")
    [[ -n $pw && $pw != "$CLI_DSN" ]] || { cli_log "no password in the DSN; redaction not checked"; return 0; }
    cli_expect 0 "$SHARDWAVE" info --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" ":***@" "info header redacts the password"
    assert_not_contains "$CLI_OUT" ":$pw@" "password never printed"
    cli_expect 0 "$SHARDWAVE" info --dsn "$CLI_DSN" --dir "$CLI_SET" --json
    assert_not_contains "$CLI_OUT" ":$pw@" "password never printed in JSON"
    local bad="${CLI_DSN%/*}/sw_no_such_database_here"
    cli_expect 9 "$SHARDWAVE" info --dsn "$bad" --dir "$CLI_SET"
    assert_not_contains "$CLI_ERR" ":$pw@" "password not in connection errors"
}

scenario_pg_failure_rolls_back
scenario_pg_concurrently
scenario_pg_redaction
cli_log "ok"
