#!/usr/bin/env bash
# `shardwave lint`: exit codes (0 clean, 1 unacknowledged findings, 2 unreadable input), the
# human output (headline, statement, why, safe way), acknowledgements, down files, --engine,
# --quiet and the --json shape. Pure: no database needed.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_lib.sh
source "$here/cli_lib.sh"

newset()
{
    local dir="$CLI_TMP/$1"
    mkdir -p "$dir"
    cli_write "$dir" V1__init.sql "CREATE TABLE users (id int PRIMARY KEY, email text);
CREATE INDEX users_email ON users (email);"
    cli_write "$dir" U1__init.sql "DROP TABLE users;"
    echo "$dir"
}

# A clean set: new tables may be indexed and dropped freely; down files are info.
clean=$(newset clean)
cli_expect 0 "$SHARDWAVE" lint --dir "$clean"
assert_eq "$CLI_OUT" "U1__init.sql:1 drop-table destructive info (pg, mysql, sqlite)
  DROP TABLE users
  drops table users
  in a down file: expected, not an error

$clean: 6 files, 9 statements: 0 errors, 0 warnings, 3 info" "clean set output"
assert_eq "$CLI_ERR" "" "clean set: nothing on stderr"
cli_expect 0 "$SHARDWAVE" lint --dir "$clean" --quiet
assert_eq "$CLI_OUT" "" "quiet clean set prints nothing"

# An unacknowledged destructive step: exit 1, with why and the safe way.
bad=$(newset bad)
cli_write "$bad" V2__drop_email.sql "ALTER TABLE users DROP COLUMN email;"
cli_expect 1 "$SHARDWAVE" lint --dir "$bad" --engine pg --quiet
assert_eq "$CLI_OUT" "V2__drop_email.sql:1 drop-column destructive error (pg)
  ALTER TABLE users DROP COLUMN email
  drops column users.email
  why:  the data is gone and queries of the running application that name the column fail (SELECT *-mapped code breaks too)
  safe: expand/contract: stop using it in the application and deploy that first; then drop it in a later migration acknowledged with '-- shardwave: destructive-ok <reason>'" \
    "destructive finding output"
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: lint: 1 unacknowledged finding in $bad" \
    "findings summary on stderr"
assert_contains "$CLI_ERR" "hint: use the safe way shown" "findings hint"

# The same step acknowledged: exit 0, the reason shown.
printf -- '-- shardwave: destructive-ok email moved to contacts in V1.5\nALTER TABLE users DROP COLUMN email;\n' \
    >"$bad/V2__drop_email.sql"
cli_expect 0 "$SHARDWAVE" lint --dir "$bad" --engine pg
assert_contains "$CLI_OUT" "V2__drop_email.sql:2 drop-column destructive info (pg)
  ALTER TABLE users DROP COLUMN email
  drops column users.email
  acknowledged (destructive-ok): email moved to contacts in V1.5" "acknowledged finding"

# A locking step on one engine only: --engine narrows, allow acknowledges one rule.
lock=$(newset lock)
cli_write "$lock" V2__idx.mysql.sql "CREATE INDEX users_id ON users (id);"
cli_write "$lock" V2__idx.pg.sql "-- shardwave: no-transaction
CREATE INDEX CONCURRENTLY users_id ON users (id);"
cli_write "$lock" V2__idx.sqlite.sql "CREATE INDEX users_id ON users (id);"
cli_expect 1 "$SHARDWAVE" lint --dir "$lock"
assert_contains "$CLI_OUT" "V2__idx.mysql.sql:1 create-index-blocking locking error (mysql)" \
    "mysql finding"
cli_expect 0 "$SHARDWAVE" lint --dir "$lock" --engine pg,sqlite
printf -- '-- shardwave: allow create-index-blocking users has 12 rows on every shard\nCREATE INDEX users_id ON users (id);\n' \
    >"$lock/V2__idx.mysql.sql"
cli_expect 0 "$SHARDWAVE" lint --dir "$lock"
assert_contains "$CLI_OUT" "acknowledged (allow): users has 12 rows on every shard" "allow reason"

# JSON: the report shape, one object per finding and engine.
cli_write "$bad" V3__truncate.pg.sql "TRUNCATE users;"
cli_expect 1 "$SHARDWAVE" lint --dir "$bad" --engine pg --json
json_summary=$(python3 -c '
import json, sys
r = json.load(sys.stdin)
print(sorted(r.keys()))
print(r["ok"], r["files"], r["statements"], r["errors"], r["warnings"], r["infos"])
for f in r["findings"]:
    print(sorted(f.keys()))
    print(f["rule"], f["class"], f["severity"], f["engine"], f["file"], f["version"], f["line"],
          f["acknowledged"], f["ack_directive"], f["down"])
' <<<"$CLI_OUT")
keys="['ack_directive', 'ack_reason', 'acknowledged', 'class', 'down', 'engine', 'file', 'line', 'message', 'rule', 'safe', 'severity', 'statement', 'version', 'why']"
assert_eq "$json_summary" "['errors', 'files', 'findings', 'infos', 'ok', 'statements', 'warnings']
False 4 5 1 0 2
$keys
drop-table destructive info pg U1__init.sql 1 1 False None True
$keys
drop-column destructive info pg V2__drop_email.sql 2 2 True destructive-ok False
$keys
truncate destructive error pg V3__truncate.pg.sql 3 1 False None False" "json shape"

# Unreadable input: exit 2 with the reason.
cli_expect 2 "$SHARDWAVE" lint --dir "$CLI_TMP/missing"
assert_contains "$CLI_ERR" "shardwave: $CLI_TMP/missing: cannot open migration directory" \
    "missing directory"
typo=$(newset typo)
cli_write "$typo" V2__x.sql "-- shardwave: allow drop-tabel the table is gone
DROP TABLE old;"
cli_expect 2 "$SHARDWAVE" lint --dir "$typo"
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: V2__x.sql:1: allow: unknown lint rule 'drop-tabel'" \
    "unknown rule in allow"
noreason=$(newset noreason)
cli_write "$noreason" V2__x.sql "-- shardwave: destructive-ok
DROP TABLE old;"
cli_expect 2 "$SHARDWAVE" lint --dir "$noreason"
assert_contains "$CLI_ERR" "V2__x.sql:1: destructive-ok needs a reason" "acknowledgement without reason"
unterminated=$(newset unterminated)
cli_write "$unterminated" V2__x.mysql.sql "INSERT INTO users VALUES (1, 'abc);"
cli_expect 2 "$SHARDWAVE" lint --dir "$unterminated" --engine mysql
assert_contains "$CLI_ERR" "V2__x.mysql.sql: line 1: unterminated" "unreadable SQL"
cli_expect 2 "$SHARDWAVE" lint --dir "$clean" --engine oracle
assert_eq "$(head -n1 <<<"$CLI_ERR")" \
    "shardwave: lint: unknown engine 'oracle' (expected pg, mysql or sqlite)" "bad engine"
cli_expect 2 "$SHARDWAVE" lint --dir "$clean" --dsn sqlite:///x.db
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: lint: option '--dsn' does not apply here" "lint takes no DSN"

cli_expect 0 "$SHARDWAVE" lint --help
assert_contains "$CLI_OUT" "shardwave lint --dir DIR [--engine pg|mysql|sqlite[,...]] [--json]" "help"
cli_log "ok"
