#!/usr/bin/env bash
# Inventory and drift: after a wave takes 3 PostgreSQL + 2 MariaDB + 2 SQLite shards to
# version 3, one PostgreSQL shard's schema is changed by hand. An inventory scan
# (POST /v1/fleet/inventory) runs on the agents; every shard reports its version, health
# and schema fingerprint, and GET /v1/fleet lists exactly the edited shard as drifting
# (its fingerprint differs from the other PostgreSQL shards at version 3).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 3 2 2
e2e_write_set "$COORD_TMP/set"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "all", "stages": [{"name": "all", "rest": true, "max_parallel": 8}]}'
e2e_wait_state completed

edited=pg-02
e2e_sql "$edited" "ALTER TABLE users ADD COLUMN added_by_hand integer" >/dev/null
api_expect 202 POST /v1/fleet/inventory "$OP_TOKEN"
assert_eq "$(jqr .queued)" "${#E2E_SHARDS[@]}" "shards queued for the scan"

all_scanned() {
    api GET /v1/fleet "$READ_TOKEN"
    [[ $(jqr '[.shards[] | select(.fingerprint == null)] | length') == 0 ]]
}
wait_for "every shard's inventory" all_scanned
assert_eq "$(jqr '[.shards[] | "\(.version)/\(.health)"] | unique | join(",")')" "3/ok" \
    "versions and health after the scan"
assert_eq "$(jqr '[.drift[].id] | join(",")')" "$edited" "drifting shards"
assert_contains "$(jqr '.drift[0].reason')" "fingerprint differs" "drift reason"
# a second scan queues them all again and changes nothing
api_expect 202 POST /v1/fleet/inventory "$OP_TOKEN"
assert_eq "$(jqr .queued)" "${#E2E_SHARDS[@]}" "shards queued for the second scan"
coord_log "ok"
