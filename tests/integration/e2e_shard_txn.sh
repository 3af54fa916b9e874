#!/usr/bin/env bash
# Plan transaction = "shard" end to end: 2 PostgreSQL + 2 SQLite shards (and 1 MariaDB
# shard the plan must refuse). A wave runs V1..V3 with each shard's steps in one
# transaction: every shard reaches 3 with one applied row per step and every step
# reported to the coordinator. A second wave (V4 fine, V5 fails) halts on the canary,
# which stays wholly at 3: no V4 row, no V4 column, one failed V5 row.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 2 1 2 5 # the MariaDB shard is the only one on host h-3
e2e_write_set "$COORD_TMP/set"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST

# MariaDB commits each DDL statement: refused at planning, nothing created
body=$(jq -n --arg d "$E2E_DIGEST" '{migration_set: $d, reason: "e2e",
    plan: {transaction: "shard", stages: [{name: "all", rest: true, max_parallel: 4}]}}')
api POST /v1/waves "$OP_TOKEN" "$body"
assert_eq "$API_STATUS" 400 "wave with a MariaDB shard and transaction shard"
assert_eq "$(jqr .error.message)" 'transaction "shard" needs transactional DDL: shard mysql-01 is mysql, which commits each DDL statement on its own' "refusal"
api GET /v1/waves "$READ_TOKEN"
assert_eq "$(jqr '.waves | length')" 0 "waves after the refusal"

plan='{"name": "txn", "transaction": "shard", "scope": "host notin (h-3)", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1},
  {"name": "rest", "rest": true, "max_parallel": 4}]}'
e2e_wave "$plan"
e2e_wait_state completed
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr .plan.transaction)" shard "stored plan"
assert_eq "$(jqr .counts.done)" 4 "shards done"
for id in pg-01 pg-02 sqlite-01 sqlite-02; do
    rows=$(e2e_rows "$id" | awk '{print $1, $2, $3}' | paste -sd, -)
    assert_eq "$rows" "1 up applied,2 up applied,3 up applied" "history of $id"
    assert_eq "$(e2e_sql "$id" "SELECT count(*) FROM users WHERE status IS NULL")" 0 "users.status on $id"
done
# every step of every shard was reported (after its shard's commit)
api GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
assert_eq "$(jqr '[.events[] | select(.message | test("^V[0-9]+ up applied in "))] | length')" 12 "step events"

# V4 adds a column, V5 fails: the canary rolls back both and stays at 3
printf 'ALTER TABLE users ADD COLUMN plan varchar(20);\n' >"$COORD_TMP/set/V4__add_plan.sql"
printf 'ALTER TABLE no_such_table ADD COLUMN x integer;\n' >"$COORD_TMP/set/V5__broken.sql"
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave "$plan"
e2e_wait_state halted
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr .counts.failed)" 1 "failed shards"
assert_contains "$(jqr '.stages[0].shards[0].error')" "no_such_table" "canary error"
assert_contains "$(jqr '.stages[0].shards[0].error')" "rolled back with the 1 step before it" "canary error"
rows=$(e2e_rows pg-01 | awk '{print $1, $2, $3}' | paste -sd, -)
assert_eq "$rows" "5 up failed" "canary history of the second wave"
assert_eq "$(e2e_version pg-01)" 3 "canary version"
if e2e_sql pg-01 "SELECT plan FROM users" >/dev/null 2>&1; then
    e2e_fail "users.plan exists on the canary: V4 was not rolled back"
fi
for id in pg-02 sqlite-01 sqlite-02; do
    assert_eq "$(e2e_rows "$id" | wc -l)" 0 "second-wave rows on $id"
done
coord_log "ok"
