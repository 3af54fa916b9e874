# shellcheck shell=bash
# Scenarios every engine must pass, run by cli_sqlite.sh, cli_pg.sh and cli_mysql.sh.
# Sourced after cli_lib.sh; each scenario creates its own database and directory.

# A small realistic set: tables, a column, an index (with a MySQL-specific down), a table
# with data whose strings hold semicolons, and a step with engine variants.
cli_make_set()
{
    local d=$1
    mkdir -p "$d"
    cli_write "$d" V1__create_users.sql "-- the users table
CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) NOT NULL);"
    cli_write "$d" U1__create_users.sql "DROP TABLE users;"
    cli_write "$d" V2__add_user_status.sql "ALTER TABLE users ADD COLUMN status varchar(20);"
    cli_write "$d" U2__add_user_status.sql "ALTER TABLE users DROP COLUMN status;"
    cli_write "$d" V3__index_users_email.sql "CREATE INDEX users_email_idx ON users (email);"
    cli_write "$d" U3__index_users_email.sql "DROP INDEX users_email_idx;"
    cli_write "$d" U3__index_users_email.mysql.sql "DROP INDEX users_email_idx ON users;"
    cli_write "$d" V4__create_accounts.sql "-- accounts; the strings hold semicolons on purpose
CREATE TABLE accounts (
    id integer PRIMARY KEY,
    user_id integer NOT NULL,
    name varchar(100) NOT NULL DEFAULT 'main; default'
);
INSERT INTO accounts (id, user_id, name) VALUES (1, 1, 'a;b');
INSERT INTO accounts (id, user_id) VALUES (2, 1);"
    cli_write "$d" U4__create_accounts.sql "DROP TABLE accounts;"
    cli_write "$d" V5__engine_note.sql "CREATE TABLE note_portable (id integer);"
    cli_write "$d" V5__engine_note.pg.sql "CREATE TABLE note_pg (id integer);"
    cli_write "$d" V5__engine_note.mysql.sql "CREATE TABLE note_mysql (id integer);"
    cli_write "$d" U5__engine_note.sql "DROP TABLE note_portable;"
    cli_write "$d" U5__engine_note.pg.sql "DROP TABLE note_pg;"
    cli_write "$d" U5__engine_note.mysql.sql "DROP TABLE note_mysql;"
    "$SHARDWAVE" sum --quiet "$d"
}

# The table V5 creates on this engine (sqlite has no variant: the portable file runs).
cli_note_table()
{
    case $CLI_ENGINE in
    sqlite) echo note_portable ;;
    *) echo "note_$CLI_ENGINE" ;;
    esac
}

# The script a version runs on this engine.
cli_script_of()
{
    case "$1:$CLI_ENGINE" in
    5:pg | 5:mysql) echo "V5__engine_note.$CLI_ENGINE.sql" ;;
    1:*) echo V1__create_users.sql ;;
    2:*) echo V2__add_user_status.sql ;;
    3:*) echo V3__index_users_email.sql ;;
    4:*) echo V4__create_accounts.sql ;;
    5:*) echo V5__engine_note.sql ;;
    esac
}

# info --json with applied_at values checked for shape and replaced by "<ts>".
cli_info_json_normalised()
{
    cli_expect 0 "$SHARDWAVE" info --dsn "$CLI_DSN" --dir "$1" --json
    local bad
    bad=$(grep '"applied_at": "' <<<"$CLI_OUT" |
        grep -Ev '"applied_at": "[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}' || true)
    [[ -z $bad ]] || cli_fail "applied_at is not a timestamp: $bad"
    sed -E 's/"applied_at": "[^"]*"/"applied_at": "<ts>"/' <<<"$CLI_OUT" |
        grep -Ev '"(engine|database|dsn)":'
}

# One migrations[] item as info --json prints it. Args: version description state.
cli_expected_item()
{
    local v=$1 desc=$2 state=$3 script sum applied_sum="null" at="null" done_n=0 total=0
    script=$(cli_script_of "$v")
    sum=$(sha256sum "$CLI_SET/$script" | cut -d' ' -f1)
    if [[ $state == applied ]]; then
        applied_sum="\"$sum\""
        at='"<ts>"'
        done_n=$4
        total=$4
    fi
    cat <<EOF
    {
      "version": "$v",
      "description": "$desc",
      "state": "$state",
      "script": "$script",
      "checksum": "$sum",
      "applied_checksum": $applied_sum,
      "applied_at": $at,
      "error": null,
      "stmt_done": $done_n,
      "stmt_total": $total,
      "resume_from": null,
      "has_down": true
    }
EOF
}

scenario_migrate_target_latest_rerun()
{
    cli_create_db "$1"
    CLI_SET="$CLI_TMP/set_migrate"
    cli_make_set "$CLI_SET"
    local note
    note=$(cli_note_table)

    cli_expect 0 "$SHARDWAVE" info --dsn "$CLI_DSN" --dir "$CLI_SET" --json
    assert_contains "$CLI_OUT" '"current_version": "0"' "info before migrate"
    assert_eq "$(cli_tables)" "" "no tables before migrate"

    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET" --target 2
    [[ $CLI_OUT =~ applying\ 1\ create\ users\ \(V1__create_users.sql\)\ \.\.\.\ ok\ [0-9]+\ ms ]] ||
        cli_fail "progress line for version 1"
    assert_contains "$CLI_OUT" "migrated from 0 to 2 (2 steps" "summary to target"
    assert_eq "$(cli_tables)" "shardwave_schema_history,users" "tables at version 2"
    assert_eq "$(cli_columns users)" "email,id,status" "users columns at version 2"
    assert_eq "$(cli_history)" $'1 up applied\n2 up applied' "history at version 2"

    local json expected
    json=$(cli_info_json_normalised "$CLI_SET")
    expected=$(
        printf '{\n  "current_version": "2",\n  "dirty": false,\n  "baseline": null,\n'
        printf '  "migrations": [\n'
        cli_expected_item 1 "create users" applied 1 | sed '$s/$/,/'
        cli_expected_item 2 "add user status" applied 1 | sed '$s/$/,/'
        cli_expected_item 3 "index users email" pending | sed '$s/$/,/'
        cli_expected_item 4 "create accounts" pending | sed '$s/$/,/'
        cli_expected_item 5 "engine note" pending
        printf '  ]\n}\n'
    )
    assert_eq "$json" "$expected" "info --json at version 2"

    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET" --dry-run
    assert_contains "$CLI_OUT" "would apply 3 index users email (V3__index_users_email.sql)" "dry run"
    assert_contains "$CLI_OUT" "dry run: 3 steps from 2 to 5; nothing changed" "dry run summary"
    assert_eq "$(cli_tables)" "shardwave_schema_history,users" "dry run changed nothing"

    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" "applying 5 engine note ($(cli_script_of 5)) ... ok" "variant chosen"
    assert_contains "$CLI_OUT" "migrated from 2 to 5 (3 steps" "summary to latest"
    assert_eq "$(cli_tables)" "accounts,$note,shardwave_schema_history,users" "tables at 5"
    assert_eq "$(cli_sql "SELECT name FROM accounts ORDER BY id" | paste -sd'|' -)" \
        "a;b|main; default" "backfilled rows with semicolons"
    assert_eq "$(cli_history | wc -l)" 5 "five history rows"

    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_eq "$CLI_OUT" "database is up to date at version 5" "second migrate is a no-op"
    assert_eq "$(cli_history | wc -l)" 5 "no-op wrote no history"
}

scenario_undo_and_back()
{
    cli_create_db "$1"
    CLI_SET="$CLI_TMP/set_undo"
    cli_make_set "$CLI_SET"
    local note
    note=$(cli_note_table)
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET" --quiet
    assert_eq "$CLI_OUT" "" "--quiet prints nothing"

    cli_expect 2 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_ERR" "shardwave: undo: --to VERSION is required" "undo without --to"

    cli_expect 0 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$CLI_SET" --to 3 --dry-run
    assert_contains "$CLI_OUT" "would revert 5 engine note" "undo dry run"
    assert_eq "$(cli_tables)" "accounts,$note,shardwave_schema_history,users" "undo dry run"

    cli_expect 0 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$CLI_SET" --to 3
    assert_contains "$CLI_OUT" "reverting 5 engine note (U5__engine_note" "undo progress"
    assert_contains "$CLI_OUT" "reverted from 5 to 3 (2 steps" "undo summary"
    assert_eq "$(cli_tables)" "shardwave_schema_history,users" "tables after undo to 3"

    cli_expect 0 "$SHARDWAVE" undo --dsn "$CLI_DSN" --dir "$CLI_SET" --to 0
    assert_contains "$CLI_OUT" "reverting 3 index users email (U3__index_users_email" "undo 3"
    assert_eq "$(cli_tables)" "shardwave_schema_history" "tables after undo to 0"
    cli_expect 0 "$SHARDWAVE" info --dsn "$CLI_DSN" --dir "$CLI_SET" --json
    assert_contains "$CLI_OUT" '"current_version": "0"' "current version after undo to 0"
    assert_not_contains "$CLI_OUT" '"state": "applied"' "nothing applied after undo to 0"

    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" "migrated from 0 to 5 (5 steps" "migrate back up"
    assert_eq "$(cli_tables)" "accounts,$note,shardwave_schema_history,users" "tables back at 5"
    assert_eq "$(cli_columns users)" "email,id,status" "users columns back at 5"
}

scenario_checksum_drift()
{
    cli_create_db "$1"
    CLI_SET="$CLI_TMP/set_drift"
    cli_make_set "$CLI_SET"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET" --target 2
    local before
    before=$(cli_history)

    # Edit an applied file: shardwave.sum catches it first.
    printf 'CREATE TABLE sneaky (id integer);\n' >>"$CLI_SET/V1__create_users.sql"
    cli_expect 5 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_ERR" "V1__create_users.sql" "drift names the file"
    assert_contains "$CLI_ERR" "shardwave.sum" "drift against the manifest"

    # Re-recording the manifest does not help: the database remembers the checksum.
    "$SHARDWAVE" sum --quiet "$CLI_SET"
    cli_expect 5 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_ERR" "V1__create_users.sql" "db drift names the file"
    assert_contains "$CLI_ERR" "never modify a committed migration" "db drift message"
    assert_eq "$(cli_tables)" "shardwave_schema_history,users" "nothing ran after drift"
    assert_eq "$(cli_history)" "$before" "no history written after drift"

    cli_expect 0 "$SHARDWAVE" info --dsn "$CLI_DSN" --dir "$CLI_SET" --json
    assert_contains "$CLI_OUT" '"state": "checksum_mismatch"' "info shows the mismatch"
    cli_expect 5 "$SHARDWAVE" validate --dir "$CLI_SET" --dsn "$CLI_DSN"
    assert_contains "$CLI_OUT" "V1__create_users.sql was modified after it was applied" \
        "validate --dsn reports drift"
}

scenario_baseline()
{
    cli_create_db "$1"
    CLI_SET="$CLI_TMP/set_baseline"
    cli_make_set "$CLI_SET"
    cli_sql "CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) NOT NULL,
             status varchar(20))"
    cli_expect 2 "$SHARDWAVE" baseline --dsn "$CLI_DSN"
    assert_contains "$CLI_ERR" "baseline: --version VERSION is required" "baseline needs version"
    cli_expect 0 "$SHARDWAVE" baseline --dsn "$CLI_DSN" --version 2
    assert_contains "$CLI_OUT" "at version 2: migrations up to 2 count as applied" "baseline msg"
    cli_expect 0 "$SHARDWAVE" info --dsn "$CLI_DSN" --dir "$CLI_SET" --json
    assert_contains "$CLI_OUT" '"current_version": "2"' "baseline sets the current version"
    assert_contains "$CLI_OUT" '"baseline": "2"' "baseline in info"
    cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$CLI_SET"
    assert_contains "$CLI_OUT" "migrated from 2 to 5 (3 steps" "only later steps run"
    assert_not_contains "$CLI_OUT" "create users" "baselined steps do not run"
    cli_expect 4 "$SHARDWAVE" baseline --dsn "$CLI_DSN" --version 1 --dir "$CLI_SET"
    assert_contains "$CLI_ERR" "already has migration history" "second baseline refused"
}

cli_run_common_scenarios()
{
    scenario_migrate_target_latest_rerun "$1"
    scenario_undo_and_back "$1"
    scenario_checksum_drift "$1"
    scenario_baseline "$1"
}
