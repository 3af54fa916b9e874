#!/usr/bin/env bash
# A migration that fails on the canary halts the wave, and no shard outside the canary
# changed: 3 PostgreSQL + 3 MariaDB + 3 SQLite shards, V2 fails on every engine. The
# canary (PostgreSQL: transactional) has V1 applied and a failed V2 row; every other
# shard has no history row at all; the wave is halted naming the canary.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 3 3 3
e2e_write_set "$COORD_TMP/set" 2
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "bad", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1},
  {"name": "rest", "rest": true, "max_parallel": 8}]}'
e2e_wait_state halted

api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
canary=${E2E_SHARDS[0]}
assert_contains "$(jqr .halt_reason)" "shard $canary failed" "halt reason"
assert_eq "$(jqr .counts.failed)" 1 "failed shards"
assert_eq "$(jqr '.counts.done + .counts.running + .counts.leased')" 0 "shards moved besides the canary"

rows=$(e2e_rows "$canary" | awk '{print $1, $2, $3}' | paste -sd, -)
assert_eq "$rows" "1 up applied,2 up failed" "canary history"
assert_eq "$(e2e_version "$canary")" 1 "canary version"
for id in "${E2E_SHARDS[@]:1}"; do
    if e2e_has_history "$id"; then
        assert_eq "$(e2e_sql "$id" 'SELECT count(*) FROM shardwave_schema_history')" 0 \
            "history rows on $id"
    fi
done
# the coordinator recorded the database's error for the canary
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_contains "$(jqr '.stages[0].shards[0].error')" "no_such_table" "canary error"
coord_log "ok"
