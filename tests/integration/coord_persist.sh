#!/usr/bin/env bash
# Durability of the coordinator: kill -9 mid-wave and restart on the same store (the
# wave is exactly where it was: state, stage, shards, events); a second coordinator on
# the same store refuses to start; SIGTERM exits 0.
source "$(dirname "${BASH_SOURCE[0]}")/coord_lib.sh"

coord_setup 24
coord_start
coord_upload_set "$COORD_TMP/set"
plan=$(coord_plan_json)
api_expect 201 POST /v1/waves "$OP_TOKEN" "{\"migration_set\": \"$COORD_DIGEST\", \"plan\": $plan}"
wave=$(jqr .id)
wave_running()
{
    api GET "/v1/waves/$wave" "$READ_TOKEN"
    [[ $(jqr .state) == running ]]
}
wait_for "the wave to run" wave_running
api_expect 200 POST "/v1/waves/$wave/pause" "$OP_TOKEN" '{"reason": "before the crash"}'

# ---- a second coordinator on the same store refuses to start
second_port=$(coord_free_port)
sed "s/127.0.0.1:$COORD_PORT/127.0.0.1:$second_port/" "$COORD_TMP/coordinator.conf" \
    >"$COORD_TMP/second.conf"
rc=0
"$COORD_BIN" --config "$COORD_TMP/second.conf" >"$COORD_TMP/second.log" 2>&1 || rc=$?
[[ $rc != 0 ]] || coord_fail "a second coordinator on the same store started"
grep -q "in use by another coordinator" "$COORD_TMP/second.log" ||
    coord_fail "second coordinator: no clear refusal: $(cat "$COORD_TMP/second.log")"

# ---- kill -9 and restart: the wave is exactly where it was
api_expect 200 GET "/v1/waves/$wave" "$READ_TOKEN"
before=$(jq -S 'del(.updated_at)' <<<"$API_BODY")
api_expect 200 GET "/v1/waves/$wave/events" "$READ_TOKEN"
events_before=$API_BODY
kill -KILL "$COORD_PID"
wait "$COORD_PID" 2>/dev/null || true
COORD_PID=""
coord_start
api_expect 200 GET "/v1/waves/$wave" "$READ_TOKEN"
after=$(jq -S 'del(.updated_at)' <<<"$API_BODY")
assert_eq "$after" "$before" "wave detail after kill -9 and restart"
assert_eq "$(jqr .state)" paused "state after restart"
api_expect 200 GET "/v1/waves/$wave/events" "$READ_TOKEN"
assert_eq "$API_BODY" "$events_before" "events after restart"

# the restarted coordinator goes on: resume, and the scheduler keeps the wave running
api_expect 200 POST "/v1/waves/$wave/resume" "$OP_TOKEN"
assert_eq "$(jqr .state)" running "resumed after restart"

# ---- SIGTERM: graceful, exit 0, and the store is free for the next coordinator
coord_stop
coord_start
api_expect 200 GET "/v1/waves/$wave" "$READ_TOKEN"
assert_eq "$(jqr .state)" running "state after a graceful restart"
coord_stop
coord_log "ok"
