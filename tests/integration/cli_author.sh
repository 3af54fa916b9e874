#!/usr/bin/env bash
# `shardwave new` and `shardwave sum`: version numbering (integers, timestamps), file names
# from descriptions, engine variants, shardwave.sum kept in step, refusing to overwrite or
# to run over an edited committed file, and templates that are valid no-op steps.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"

# "sha  name" lines of DIR/shardwave.sum must equal sha256sum of the files.
check_sum_file()
{
    local d=$1 name sum
    while read -r sum name; do
        assert_eq "$(sha256sum "$d/$name" | cut -d' ' -f1)" "$sum" "shardwave.sum entry for $name"
    done < <(grep -v '^#' "$d/shardwave.sum")
    assert_eq "$(grep -vc '^#' "$d/shardwave.sum")" "$(find "$d" -maxdepth 1 -name '*.sql' | wc -l)" \
        "shardwave.sum lists every file"
}

d="$CLI_TMP/proj/db/migrations"
cli_expect 0 "$SHARDWAVE" new "$d" "Create users"
assert_eq "$CLI_OUT" "$d/V1__create_users.sql"$'\n'"$d/U1__create_users.sql" "new prints both paths"
[[ -f $d/V1__create_users.sql && -f $d/U1__create_users.sql ]] || cli_fail "files written"
assert_contains "$(cat "$d/V1__create_users.sql")" "-- Create users" "template names the change"
check_sum_file "$d"

cli_expect 0 "$SHARDWAVE" new "$d" "  Add User Status!! (v2) "
assert_eq "$(head -n1 <<<"$CLI_OUT")" "$d/V2__add_user_status_v2.sql" "slug from description"

cli_expect 0 "$SHARDWAVE" new "$d" "index email" --engine pg
assert_eq "$CLI_OUT" "$d/V3__index_email.pg.sql"$'\n'"$d/U3__index_email.pg.sql" "engine variant names"
check_sum_file "$d"

# The templates are valid, comment-only (no-op) steps.
cli_expect 0 "$SHARDWAVE" validate --dir "$d"
assert_eq "$CLI_OUT" "$d: 3 migrations, latest version 3, no problems" "templates validate"
cli_create_db sqlite
cli_expect 2 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d"
assert_contains "$CLI_ERR" "version 3 (index email) has no file for engine sqlite" "pg-only step"
cli_expect 0 "$SHARDWAVE" migrate --dsn "$CLI_DSN" --dir "$d" --target 2
assert_contains "$CLI_OUT" "migrated from 0 to 2 (2 steps" "templates apply as no-op steps"
assert_eq "$(cli_tables)" "shardwave_schema_history" "no-op steps change no schema"

# Refusals.
cli_expect 2 "$SHARDWAVE" new "$d" "!!!"
assert_eq "$CLI_ERR" "shardwave: new: description '!!!' has no letters or digits"$'\n'"hint: describe the change, e.g. \"add user status column\"" \
    "empty description"
cli_expect 2 "$SHARDWAVE" new "$d" "x" --engine oracle
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: new: unknown engine 'oracle' (expected pg, mysql or sqlite)" \
    "unknown engine"
cli_expect 2 "$SHARDWAVE" new "$d"
assert_contains "$CLI_ERR" "new: expected DIR and \"description\"" "missing description"
# A directory squatting on the next file name: O_EXCL refuses, nothing is left behind.
mkdir "$d/V4__blocked.sql"
cli_expect 4 "$SHARDWAVE" new "$d" "blocked"
[[ ! -e $d/U4__blocked.sql ]] || cli_fail "no half-written pair"
rmdir "$d/V4__blocked.sql"
# An edited committed file stops `new` (it would otherwise re-record the edit).
printf -- '-- edited\n' >>"$d/V1__create_users.sql"
cli_expect 5 "$SHARDWAVE" new "$d" "after edit"
assert_contains "$CLI_ERR" "V1__create_users.sql: differs from shardwave.sum" "edit detected"
[[ ! -e $d/V4__after_edit.sql ]] || cli_fail "nothing written after the refusal"

# sum: prints what changed and rewrites the manifest.
cli_expect 0 "$SHARDWAVE" sum "$d"
assert_eq "$CLI_OUT" "changed  V1__create_users.sql"$'\n'"wrote $d/shardwave.sum (6 files, 1 changed)" "sum changed"
check_sum_file "$d"
cli_expect 0 "$SHARDWAVE" sum "$d"
assert_eq "$CLI_OUT" "$d/shardwave.sum is up to date (6 files)" "sum idempotent"
cli_write "$d" V9__by_hand.sql "SELECT 1;"
rm "$d/U2__add_user_status_v2.sql"
cli_expect 0 "$SHARDWAVE" sum "$d"
assert_contains "$CLI_OUT" "added    V9__by_hand.sql" "sum added"
assert_contains "$CLI_OUT" "removed  U2__add_user_status_v2.sql" "sum removed"
check_sum_file "$d"
cli_expect 3 "$SHARDWAVE" sum "$CLI_TMP/nope"

# Timestamps: --timestamp, then automatically once the set uses them.
t="$CLI_TMP/ts"
cli_expect 0 "$SHARDWAVE" new "$t" "first" --timestamp
[[ $CLI_OUT =~ /V([0-9]{14})__first.sql ]] || cli_fail "timestamp version"
v1=${BASH_REMATCH[1]}
assert_eq "${v1:0:4}" "$(date -u +%Y)" "timestamp is UTC now"
cli_expect 0 "$SHARDWAVE" new "$t" "second"
[[ $CLI_OUT =~ /V([0-9]{14})__second.sql ]] || cli_fail "timestamps continue automatically"
v2=${BASH_REMATCH[1]}
((v2 > v1)) || cli_fail "timestamp versions increase ($v1 then $v2)"
cli_expect 0 "$SHARDWAVE" validate --dir "$t"
cli_log "ok"
