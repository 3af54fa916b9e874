#!/usr/bin/env bash
# SQL gates run on the agents as gate leases: 2 PostgreSQL + 2 MariaDB + 2 SQLite shards.
# The canary stage's gate (users is empty) passes on the canary and the wave moves on;
# the second stage's gate (users has rows) fails on its shards and halts the wave with
# the gate's message, before the last stage touched anything.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 2 2 2
e2e_write_set "$COORD_TMP/set"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "gated", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1,
   "gate": {"sql": "SELECT count(*) = 0 FROM users"}},
  {"name": "two", "count": 2, "max_parallel": 2,
   "gate": {"sql": "SELECT count(*) > 0 FROM users"}},
  {"name": "rest", "rest": true, "max_parallel": 8}]}'
e2e_wait_state halted

api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr .current_stage)" 1 "stage that halted"
assert_contains "$(jqr .halt_reason)" "SQL gate failed on shard" "halt reason"
assert_eq "$(jqr '[.stages[0:2][].shards[].state] | unique | join(",")')" done "first two stages"
assert_eq "$(jqr '[.stages[2].shards[].state] | unique | join(",")')" pending "last stage"
for id in $(jqr '.stages[2].shards[].id'); do
    assert_eq "$(e2e_version "$id")" 0 "untouched shard $id"
done
api GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
assert_contains "$(jqr '[.events[] | select(.kind == "gate") | .message] | join("\n")')" \
    "passed" "gate events"
coord_log "ok"
