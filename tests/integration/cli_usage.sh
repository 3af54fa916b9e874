#!/usr/bin/env bash
# `shardwave` usage: --version, --help for every command (man-page sections), argument
# errors with exit 2, DSN and dir from --dsn-file and the environment, and passwords that
# never reach the output.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"

cli_expect 0 "$SHARDWAVE" --version
[[ $CLI_OUT =~ ^shardwave\ [0-9]+\.[0-9]+\.[0-9]+\ \(commit\ [0-9a-z]+,\ protocol\ 1\.2\)$ ]] ||
    cli_fail "--version format: $CLI_OUT"

cli_expect 0 "$SHARDWAVE" --help
top_help=$CLI_OUT
commands=(new sum validate migrate info undo repair baseline)
for c in "${commands[@]}"; do
    assert_contains "$top_help" "  $c " "top-level help lists $c"
    cli_expect 0 "$SHARDWAVE" "$c" --help
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES; do
        assert_contains "$CLI_OUT" "$section" "$c --help has $section"
    done
    if [[ $c != new && $c != sum ]]; then
        assert_contains "$CLI_OUT" "ENVIRONMENT" "$c --help has ENVIRONMENT"
    fi
    assert_contains "$CLI_OUT" "shardwave $c" "$c --help synopsis"
    help_text=$CLI_OUT
    cli_expect 0 "$SHARDWAVE" help "$c"
    assert_eq "$CLI_OUT" "$help_text" "shardwave help $c"
done
cli_expect 2 "$SHARDWAVE"
assert_contains "$CLI_ERR" "Usage: shardwave <command>" "no arguments prints usage"

cli_expect 2 "$SHARDWAVE" frobnicate
assert_eq "$CLI_ERR" "shardwave: unknown command 'frobnicate'"$'\n'"hint: run 'shardwave --help' for the list of commands" \
    "unknown command"
cli_expect 2 "$SHARDWAVE" migrate --bogus
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: migrate: unknown option '--bogus'" "unknown option"
cli_expect 2 "$SHARDWAVE" info --target 3
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: info: option '--target' does not apply here" \
    "option of another command"
cli_expect 2 "$SHARDWAVE" migrate --dir x --dsn
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: migrate: missing value for option '--dsn'" \
    "missing option value"
cli_expect 2 "$SHARDWAVE" migrate --lock-wait soon --dsn sqlite:///x.db --dir x
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: migrate: --lock-wait: 'soon' is not a whole number" \
    "numeric option"

set_dir="$CLI_TMP/set"
mkdir -p "$set_dir"
cli_write "$set_dir" V1__a.sql "CREATE TABLE a (id integer);"
cli_write "$set_dir" U1__a.sql "DROP TABLE a;"
"$SHARDWAVE" sum --quiet "$set_dir"

cli_expect 2 env -u SHARDWAVE_DSN "$SHARDWAVE" info --dir "$set_dir"
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: info: no database given" "no DSN"
assert_contains "$CLI_ERR" "hint: use --dsn DSN, --dsn-file FILE or set SHARDWAVE_DSN" "DSN hint"
cli_expect 2 env -u SHARDWAVE_DIR "$SHARDWAVE" info --dsn "sqlite://$CLI_TMP/x.db"
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: info: no migration directory given" "no dir"
cli_expect 2 "$SHARDWAVE" migrate --dsn "oracle://db" --dir "$set_dir"
assert_contains "$CLI_ERR" "oracle" "unknown DSN scheme"
cli_expect 2 "$SHARDWAVE" migrate --dsn "sqlite://$CLI_TMP/x.db" --dir "$set_dir" --target 1x
assert_contains "$CLI_ERR" "--target" "bad target version"
cli_expect 3 "$SHARDWAVE" migrate --dsn "sqlite://$CLI_TMP/x.db" --dir "$set_dir" --target 7
cli_expect 2 "$SHARDWAVE" migrate --dsn "sqlite://$CLI_TMP/x.db" --dir "$set_dir" --lock-timeouts 100,x
assert_contains "$CLI_ERR" "lock timeouts" "bad lock policy"

# SHARDWAVE_DSN / SHARDWAVE_DIR, and --dsn-file (first line, whitespace trimmed).
cli_create_db sqlite
cli_expect 0 env SHARDWAVE_DSN="$CLI_DSN" SHARDWAVE_DIR="$set_dir" "$SHARDWAVE" migrate
assert_contains "$CLI_OUT" "migrated from 0 to 1 (1 step" "DSN and dir from the environment"
printf '  %s  \n# comment\n' "$CLI_DSN" >"$CLI_TMP/dsn"
cli_expect 0 "$SHARDWAVE" undo --dsn-file "$CLI_TMP/dsn" --dir "$set_dir" --to 0
assert_contains "$CLI_OUT" "reverted from 1 to 0 (1 step" "DSN from --dsn-file"
assert_eq "$(cli_tables)" "shardwave_schema_history" "undo through --dsn-file ran"
: >"$CLI_TMP/empty"
cli_expect 2 "$SHARDWAVE" info --dsn-file "$CLI_TMP/empty" --dir "$set_dir"
assert_contains "$CLI_ERR" "the file is empty" "empty DSN file"
cli_expect 2 "$SHARDWAVE" info --dsn-file "$CLI_TMP/dsn" --dsn "$CLI_DSN" --dir "$set_dir"
assert_contains "$CLI_ERR" "not both" "--dsn and --dsn-file"

# Passwords never reach the output, not even when the connection fails.
for dsn in "postgres://u:S3cretPW@127.0.0.1:1/db" "mysql://u:S3cretPW@127.0.0.1:1/db"; do
    cli_expect 9 "$SHARDWAVE" info --dsn "$dsn" --dir "$set_dir"
    assert_not_contains "$CLI_ERR$CLI_OUT" "S3cretPW" "password hidden for $dsn"
    cli_expect 9 "$SHARDWAVE" migrate --log-level debug --dsn "$dsn" --dir "$set_dir"
    assert_not_contains "$CLI_ERR$CLI_OUT" "S3cretPW" "password hidden in debug logs for $dsn"
done
cli_log "ok"
