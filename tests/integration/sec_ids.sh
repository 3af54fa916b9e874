#!/usr/bin/env bash
# Hostile identifiers (issue 6, "Bad input"): shard ids, pools, labels, migration file
# names (versions and descriptions), plan versions and wave ids with quotes, semicolons,
# path separators, dot-dot, NUL and control characters are refused with a message naming
# the rule, through the API and the CLI; what is legal (a label value with quotes and a
# semicolon) is stored and returned verbatim (bound, never spliced into SQL), and nothing
# is written outside the migration directory.
source "$(dirname "${BASH_SOURCE[0]}")/coord_lib.sh"
command -v sqlite3 >/dev/null || coord_fail "sqlite3 is required"
CLI="$SW_BIN_DIR/shardwave"

coord_setup 2
coord_start

# expect_error STATUS CODE MESSAGE_PART METHOD PATH TOKEN [BODY]
expect_error()
{
    local status=$1 code=$2 part=$3
    shift 3
    api_expect "$status" "$@"
    assert_eq "$(jqr .error.code)" "$code" "$1 $2: error code"
    assert_contains "$(jqr .error.message)" "$part" "$1 $2: error message"
}
SHARD='{"engine": "sqlite", "pool": "eu"}'
ID_RULE="id may only contain A-Z a-z 0-9 . _ : -"

# ---- shard ids (URL-encoded in the path), pools, engines, labels
for id in "a'b" "a%3Bb" "a%22b" "a%0Ab" "a%20b" "a%5Cb" "x%00y" "a%60b" "a%24%28id%29"; do
    expect_error 400 invalid_request "$ID_RULE" PUT "/v1/fleet/shards/$id" "$OP_TOKEN" "$SHARD"
done
expect_error 400 invalid_request "id must not start with '.'" PUT /v1/fleet/shards/.hidden "$OP_TOKEN" "$SHARD"
expect_error 400 invalid_request "id must not start with '.'" PUT /v1/fleet/shards/..x "$OP_TOKEN" "$SHARD"
expect_error 404 not_found "no such endpoint" PUT /v1/fleet/shards/a%2Fb "$OP_TOKEN" "$SHARD"
expect_error 400 invalid_request "id is longer than" PUT "/v1/fleet/shards/$(printf 'a%.0s' {1..200})" "$OP_TOKEN" "$SHARD"
expect_error 400 invalid_request "pool may only contain" PUT /v1/fleet/shards/t-100 "$OP_TOKEN" '{"engine": "sqlite", "pool": "e/u"}'
expect_error 400 invalid_request "pool may only contain" PUT /v1/fleet/shards/t-100 "$OP_TOKEN" '{"engine": "sqlite", "pool": "eu;rm"}'
expect_error 400 invalid_request "field 'engine' must be pg, mysql or sqlite" PUT /v1/fleet/shards/t-100 "$OP_TOKEN" '{"engine": "sqlite; drop", "pool": "eu"}'
expect_error 400 invalid_request "label key 'a;b' must be" PUT /v1/fleet/shards/t-100 "$OP_TOKEN" '{"engine": "sqlite", "pool": "eu", "labels": {"a;b": "x"}}'
expect_error 400 invalid_request "label key '../x' must be" PUT /v1/fleet/shards/t-100 "$OP_TOKEN" '{"engine": "sqlite", "pool": "eu", "labels": {"../x": "x"}}'
expect_error 400 invalid_request "value must be 1 to 128 printable characters" PUT /v1/fleet/shards/t-100 "$OP_TOKEN" '{"engine": "sqlite", "pool": "eu", "labels": {"tier": "a\nb"}}'
expect_error 400 invalid_request "value must be 1 to 128 printable characters" PUT /v1/fleet/shards/t-100 "$OP_TOKEN" '{"engine": "sqlite", "pool": "eu", "labels": {"tier": "a\u007fb"}}'
# A label value may hold quotes and semicolons: stored and returned as sent.
evil="x'; DROP TABLE shards; -- \"q\" \`b\` \$(id)"
api_expect 201 PUT /v1/fleet/shards/t-100 "$OP_TOKEN" \
    "$(jq -cn --arg v "$evil" '{engine: "sqlite", pool: "eu", labels: {tier: $v}}')"
api_expect 200 GET /v1/fleet "$READ_TOKEN"
assert_eq "$(jqr '.shards[] | select(.id == "t-100") | .labels.tier')" "$evil" "label value round trip"
assert_eq "$(jqr '.shards | length')" 3 "shards after the hostile requests"
assert_eq "$(sqlite3 "$COORD_TMP/store.db" "SELECT value FROM shard_labels WHERE key = 'tier' AND value LIKE 'x%'")" \
    "$evil" "label value in the store"
# The label value in a selector is data too.
api_expect 200 GET /v1/waves "$READ_TOKEN"

# ---- migration file names (version and description) in an upload
upload_name()
{
    api POST /v1/migration-sets "$OP_TOKEN" \
        "$(jq -cn --arg n "$1" '{files: [{name: $n, content: "SELECT 1;"}]}')"
    assert_eq "$API_STATUS" 400 "upload of '$1'"
    assert_eq "$(jqr .error.code)" invalid_migration_set "upload of '$1': code"
    assert_contains "$(jqr '.error.problems[0]')" "$2" "upload of '$1': problem"
}
upload_name "V1__a'b.sql" "bad file name"
upload_name "V1__a;b.sql" "bad file name"
upload_name 'V1__a"b.sql' "bad file name"
upload_name "V1__a$(printf '\t')b.sql" "bad file name"
upload_name "V1'__x.sql" "bad file name"
upload_name "V1;2__x.sql" "bad file name"
upload_name "../V1__x.sql" "not a plain file name"
upload_name "a/V1__x.sql" "not a plain file name"
upload_name "V1__x.sql/.." "not a plain file name"
upload_name ".V1__x.sql" "not a plain file name"
expect_error 400 invalid_json "\\u0000 is not allowed" POST /v1/migration-sets "$OP_TOKEN" '{"files": [{"name": "V1__a\u0000.sql", "content": ""}]}'

# ---- versions, digests and wave ids
plan='{"stages": [{"name": "all", "rest": true}]}'
zero=$(printf '0%.0s' {1..64})
expect_error 400 invalid_plan "plan.target: version '1; DROP'" POST /v1/plans "$READ_TOKEN" \
    "{\"migration_set\": \"$zero\", \"plan\": {\"target\": \"1; DROP\", \"stages\": [{\"name\": \"all\", \"rest\": true}]}}"
expect_error 400 invalid_plan "plan.target: version '../1'" POST /v1/plans "$READ_TOKEN" \
    "{\"migration_set\": \"$zero\", \"plan\": {\"target\": \"../1\", \"stages\": [{\"name\": \"all\", \"rest\": true}]}}"
expect_error 400 invalid_plan "plan.name: contains a control character" POST /v1/plans "$READ_TOKEN" \
    "{\"migration_set\": \"$zero\", \"plan\": {\"name\": \"a\\u0001b\", \"stages\": [{\"name\": \"all\", \"rest\": true}]}}"
expect_error 404 not_found "migration set x'; -- is not known" POST /v1/plans "$READ_TOKEN" \
    "{\"migration_set\": \"x'; --\", \"plan\": $plan}"
expect_error 404 not_found "wave w-1';-- not found" GET "/v1/waves/w-1'%3B--" "$READ_TOKEN"
expect_error 404 not_found "no such endpoint" GET "/v1/migration-sets/..%2F..%2Fetc" "$READ_TOKEN"
for t in shards shard_labels waves events migration_sets; do
    [[ -n $(sqlite3 "$COORD_TMP/store.db" "SELECT name FROM sqlite_master WHERE name = '$t'") ]] ||
        coord_fail "store table $t is gone"
done

# ---- the fleet file: a hostile id stops a reload with the rule, the fleet stays as it was
cp "$COORD_TMP/fleet.conf" "$COORD_TMP/fleet.good"
printf 'shards = ( { id = "../../etc"; engine = "sqlite"; pool = "eu"; } );\n' >"$COORD_TMP/fleet.conf"
api POST /v1/fleet/reload "$OP_TOKEN" '{}'
[[ $API_STATUS == 400 || $API_STATUS == 409 ]] || coord_fail "reload of a hostile fleet file: got $API_STATUS"
assert_contains "$(jqr .error.message)" "may only contain" "hostile fleet file: message"
printf 'shards = ( { id = ".."; engine = "sqlite"; pool = "eu"; } );\n' >"$COORD_TMP/fleet.conf"
api POST /v1/fleet/reload "$OP_TOKEN" '{}'
assert_contains "$(jqr .error.message)" "must not start with '.'" "fleet file id '..': message"
cp "$COORD_TMP/fleet.good" "$COORD_TMP/fleet.conf"
api_expect 200 GET /v1/fleet "$READ_TOKEN"
assert_eq "$(jqr '.shards | length')" 3 "fleet after the refused reloads"
coord_stop

# ---- the CLI: `new` turns any description into a safe file name inside DIR; validate
# refuses hostile names; the remote commands refuse hostile wave ids before sending.
dir="$COORD_TMP/cli-set"
mkdir -p "$dir"
for desc in "a/../../escape" "x'; DROP TABLE t; --" "$(printf 'tab\there')" '$(touch pwned)'; do
    "$CLI" new "$dir" "$desc" >/dev/null 2>&1 || coord_fail "shardwave new '$desc' failed"
done
[[ ! -e $COORD_TMP/escape.sql && ! -e $COORD_TMP/pwned && ! -e pwned ]] ||
    coord_fail "shardwave new wrote outside its directory"
bad=$(find "$dir" -type f ! -name 'shardwave.sum' | grep -vE '/[VU][0-9]+__[A-Za-z0-9_-]+\.sql$' || true)
[[ -z $bad ]] || coord_fail "unsafe file names written by shardwave new: $bad"
"$CLI" validate --dir "$dir" >/dev/null 2>&1 || coord_fail "the set written by shardwave new does not validate"
printf 'SELECT 1;\n' >"$dir/V9__a;b.sql"
out=$("$CLI" validate --dir "$dir" 2>&1) && coord_fail "validate accepted V9__a;b.sql"
assert_contains "$out" "V9__a;b.sql: bad file name" "validate message"
rm -f "$dir/V9__a;b.sql"
coord_log "ok"
