#!/usr/bin/env bash
# A failing SQL gate after a pause during the bake: 2 SQLite shards; the canary stage bakes
# for 3 s and its gate (SELECT 1 = 0) fails. Paused while baking and resumed after the bake
# would have ended, the wave asks for the gate once and halts on its failure at once (well
# before the gate's 120 s answer deadline), not at the deadline after re-offering the gate
# lease on every tick and ignoring its results.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 0 0 2
e2e_write_set "$COORD_TMP/set"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "gate after pause", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1, "bake_seconds": 3,
   "gate": {"sql": "SELECT 1 = 0", "timeout_seconds": 60}},
  {"name": "rest", "rest": true, "max_parallel": 8}]}'

baking() { api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"; [[ $(jqr .stage_phase) == baking ]]; }
wait_for "the canary to bake" baking
bake_until_ms=$(date -d "$(jqr .bake_until)" +%s%3N)
api_expect 200 POST "/v1/waves/$E2E_WAVE/pause" "$OP_TOKEN" '{"reason": "e2e pause in bake"}'
assert_eq "$(jqr .state)" paused "state after pause"
assert_eq "$(jqr .stage_phase)" baking "phase after pause"

bake_over() { (($(e2e_now_ms) > bake_until_ms + 500)); }
wait_for "the bake to be over" bake_over
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr .state)" paused "state after the bake while paused"
api_expect 200 POST "/v1/waves/$E2E_WAVE/resume" "$OP_TOKEN"

# the gate fails on the canary: halted within wait_for's 20 s, far below the 120 s deadline
halted() { [[ $(e2e_wave_state) == halted ]]; }
wait_for "the wave to halt on the failed gate" halted
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr .current_stage)" 0 "stage that halted"
assert_contains "$(jqr .halt_reason)" "stage canary: gate failed: SQL gate failed on shard sqlite-01" \
    "halt reason"
assert_eq "$(jqr '[.stages[1].shards[].state] | unique | join(",")')" pending "second stage"
assert_eq "$(e2e_version sqlite-02)" 0 "untouched shard sqlite-02"

# halted, the wave waits for no gate answer: its gate is not offered again
gate_leases() { grep -c "lease l-[0-9a-f]*: gate" "$COORD_LOG" || true; }
for _ in $(seq 20); do
    assert_eq "$(gate_leases)" 1 "gate leases offered"
    assert_eq "$(e2e_wave_state)" halted "state while halted"
    sleep 0.1 # an observation window: the assertion is that nothing happens in it
done

api GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
gate_events=$(jqr '[.events[] | select(.kind == "gate") | .message] | join("\n")')
assert_contains "$gate_events" "gate failed" "gate events"
n_ignored=$(grep -c 'gate result ignored' <<<"$gate_events" || true)
assert_eq "$n_ignored" 0 "gate results ignored (events)"
n_ignored=$(grep -c 'gate result ignored' "$COORD_LOG" || true)
assert_eq "$n_ignored" 0 "gate results ignored (coordinator log)"
coord_log "ok"
