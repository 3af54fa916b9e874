#!/usr/bin/env bash
# Rollback returns every moved shard to the previous version: 3 PostgreSQL + 3 MariaDB +
# 3 SQLite shards are brought to version 1 by a first wave; a second wave takes the
# canary and 4 more to 3 and bakes; an operator pauses and rolls it back: the wave ends
# rolled_back, every shard's own history says version 1 again, the moved ones with down
# rows newest first (3 before 2), the others untouched.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 3 3 3
e2e_write_set "$COORD_TMP/set"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "to 1", "target": "1", "stages": [{"name": "all", "rest": true, "max_parallel": 8}]}'
e2e_wait_state completed
for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_version "$id")" 1 "shard $id version after the first wave"
done

e2e_wave '{"name": "to 3", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1},
  {"name": "first", "count": 4, "max_parallel": 4, "bake_seconds": 600},
  {"name": "rest", "rest": true, "max_parallel": 8}]}'
baking_first() {
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    [[ $(jqr .current_stage) == 1 && $(jqr .stage_phase) == baking ]]
}
wait_for "the second stage to bake" baking_first
moved=$(jqr '[.stages[0:2][].shards[].id] | join(" ")')
read -r -a moved_ids <<<"$moved"
assert_eq "${#moved_ids[@]}" 5 "shards moved by the canary and first stages"
for id in "${moved_ids[@]}"; do
    assert_eq "$(e2e_version "$id")" 3 "shard $id version after two stages"
done
# a completed wave cannot be rolled back: pause it while it bakes, then roll back
api_expect 200 POST "/v1/waves/$E2E_WAVE/pause" "$OP_TOKEN"
api_expect 200 POST "/v1/waves/$E2E_WAVE/rollback" "$OP_TOKEN" '{"reason": "e2e rollback"}'
e2e_wait_state rolled_back
for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_version "$id")" 1 "shard $id version after the rollback"
    downs=$(e2e_rows "$id" | awk '$2 == "down" {print $1 "-" $3}' | paste -sd, -)
    if [[ " $moved " == *" $id "* ]]; then
        assert_eq "$downs" "3-applied,2-applied" "shard $id down rows"
    else
        assert_eq "$(e2e_rows "$id")" "" "rows of the rolled back wave on unmoved shard $id"
    fi
done
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr .counts.rolled_back)" 5 "rolled back shards"
coord_log "ok"
