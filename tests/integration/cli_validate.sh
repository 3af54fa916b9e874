#!/usr/bin/env bash
# `shardwave validate`: every bad-input case with its exact message and exit code, all
# problems listed at once, --json, SQL that no splitter can read, and the database checks
# (--dsn on SQLite: missing file, out-of-order pending, checksum drift).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"

# case: name | exit | expected first line | files (name=content, ';;'-separated, \n = newline)
cases=(
    "bad_name|2|V3x__add.sql: bad file name: version must be digits separated by '.' or '_'|V3x__add.sql=SELECT 1;"
    "duplicate|2|V3_0__b.sql and V3__a.sql: duplicate version 3|V3__a.sql=SELECT 1;;;V3_0__b.sql=SELECT 2;"
    "down_without_up|2|U4__drop.sql: down migration without an up migration V4__*.sql|V1__a.sql=SELECT 1;;;U4__drop.sql=SELECT 1;"
    "unknown_engine|2|V5__x.oracle.sql: unknown engine 'oracle' (expected pg, mysql or sqlite)|V5__x.oracle.sql=SELECT 1;"
    "unknown_directive|2|V2__x.sql:1: unknown directive 'no-transactions'|V2__x.sql=-- shardwave: no-transactions"
    "unterminated|2|V4__bad.sql: sqlite: line 2: statement never ends: unterminated string, comment or BEGIN ... END block starting here|V4__bad.sql=SELECT 1;\\nINSERT INTO t VALUES ('abc;"
)

for c in "${cases[@]}"; do
    IFS='|' read -r name rc msg files <<<"$c"
    dir="$CLI_TMP/$name"
    mkdir -p "$dir"
    files=${files//;;;/$'\x1e'}
    IFS=$'\x1e' read -r -d '' -a list < <(printf '%s\0' "$files") || true
    for f in "${list[@]}"; do
        printf '%b\n' "${f#*=}" >"$dir/${f%%=*}"
    done
    cli_expect "$rc" "$SHARDWAVE" validate --dir "$dir" --engine sqlite
    first=$(head -n1 <<<"$CLI_OUT")
    assert_eq "$first" "$msg" "$name: message"
    assert_contains "$(sed -n 2p <<<"$CLI_OUT")" "  hint: " "$name: hint follows"
    assert_eq "$CLI_ERR" "shardwave: validate: 1 problem in $dir" "$name: summary"
done

# All problems at once, in one directory.
all="$CLI_TMP/all"
mkdir -p "$all"
for c in "${cases[@]}"; do
    IFS='|' read -r name _ _ _ <<<"$c"
    [[ $name == unterminated ]] && continue
    cp "$CLI_TMP/$name"/* "$all"/ 2>/dev/null || true
done
rm -f "$all/V1__a.sql"
cli_expect 2 "$SHARDWAVE" validate --dir "$all"
assert_eq "$(grep -vc '^  hint: ' <<<"$CLI_OUT")" 5 "five problems listed"
assert_eq "$CLI_ERR" "shardwave: validate: 5 problems in $all" "five problems summary"
cli_expect 2 "$SHARDWAVE" validate --dir "$all" --json
assert_contains "$CLI_OUT" '"ok": false' "json ok"
assert_eq "$(grep -c '"code": "invalid_input"' <<<"$CLI_OUT")" 5 "json problems"
assert_contains "$CLI_OUT" "\"message\": \"U4__drop.sql: down migration without an up migration V4__*.sql\"" \
    "json message"

# A file that differs from shardwave.sum.
sumdir="$CLI_TMP/sum"
mkdir -p "$sumdir"
cli_write "$sumdir" V1__a.sql "CREATE TABLE a (id integer);"
"$SHARDWAVE" sum --quiet "$sumdir"
cli_expect 0 "$SHARDWAVE" validate --dir "$sumdir"
assert_eq "$CLI_OUT" "$sumdir: 1 migrations, latest version 1, no problems" "valid set"
printf -- '-- edited\n' >>"$sumdir/V1__a.sql"
cli_expect 5 "$SHARDWAVE" validate --dir "$sumdir"
assert_eq "$(head -n1 <<<"$CLI_OUT")" \
    "V1__a.sql: differs from shardwave.sum: never modify a committed migration" "manifest drift"

# Without --engine, a portable file is split with every engine's rules.
cli_expect 2 "$SHARDWAVE" validate --dir "$CLI_TMP/unterminated"
assert_eq "$(grep -c '^V4__bad.sql: \(pg\|mysql\|sqlite\): line 2' <<<"$CLI_OUT")" 3 \
    "split problems for all three engines"

cli_expect 3 "$SHARDWAVE" validate --dir "$CLI_TMP/no_such_dir"
assert_contains "$CLI_ERR" "no_such_dir" "missing directory named"

# Database checks (SQLite needs no server).
cli_create_db sqlite
db="$CLI_TMP/dbset"
mkdir -p "$db"
cli_write "$db" V1__a.sql "CREATE TABLE a (id integer);"
cli_write "$db" V3__c.sql "CREATE TABLE c (id integer);"
"$SHARDWAVE" sum --quiet "$db"
cli_expect 0 "$SHARDWAVE" migrate --quiet --dsn "$CLI_DSN" --dir "$db"
cli_expect 0 "$SHARDWAVE" validate --dir "$db" --dsn "$CLI_DSN"
assert_contains "$CLI_OUT" "database: at version 3, no problems" "clean database"
cli_write "$db" V2__b.sql "CREATE TABLE b (id integer);"
rm "$db/V1__a.sql"
"$SHARDWAVE" sum --quiet "$db"
cli_expect 3 "$SHARDWAVE" validate --dir "$db" --dsn "$CLI_DSN"
assert_contains "$CLI_OUT" "version 1 (a) is applied on the database but has no file in the set" \
    "missing file"
assert_contains "$CLI_OUT" "V2__b.sql is pending but older than the current version 3 (out of order)" \
    "out of order"
assert_eq "$(cli_tables)" "a,c,shardwave_schema_history" "validate changed nothing"
cli_log "ok"
