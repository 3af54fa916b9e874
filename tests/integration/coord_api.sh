#!/usr/bin/env bash
# The coordinator's HTTP API against a running shardwave-coordinator: health, auth, the
# error shapes, migration-set upload, a plan dry run, wave creation and refusal of busy
# shards, operator actions and the audit events.
source "$(dirname "${BASH_SOURCE[0]}")/coord_lib.sh"

coord_setup 24
coord_start

# ---- health and auth
api_expect 200 GET /healthz
assert_eq "$(jqr .status)" ok "healthz status"
assert_eq "$(jqr .protocol)" "1.2" "healthz protocol"

api_expect 401 GET /v1/fleet
assert_eq "$(jqr .error.code)" unauthorized "no token"
api_expect 401 GET /v1/fleet "not-a-known-token-at-all"
assert_eq "$(jqr .error.code)" unauthorized "unknown token"
assert_eq "$(jqr .error.message)" "unknown token" "unknown token message"
api_expect 403 POST /v1/fleet/reload "$READ_TOKEN"
assert_eq "$(jqr .error.code)" forbidden "read token on POST"
api_expect 403 POST /v1/waves/w-1/pause "$AGENT_TOKEN"
assert_eq "$(jqr .error.code)" forbidden "agent token on an operator endpoint"
api_expect 403 GET /v1/fleet "$AGENT_TOKEN"
api_expect 200 GET /v1/fleet "$READ_TOKEN"
assert_eq "$(jqr '.shards | length')" 24 "fleet size"
assert_eq "$(jqr '.shards[0].id')" t-001 "first shard"
assert_eq "$(jqr '.shards[0].labels.tier')" canary "canary label"
assert_eq "$(jqr '.shards[0].in_fleet_file')" true "in_fleet_file"

# ---- errors
api_expect 404 GET /v1/nothing-here "$READ_TOKEN"
assert_eq "$(jqr .error.code)" not_found "unknown route"
api_expect 405 DELETE /v1/fleet "$OP_TOKEN"
assert_eq "$(jqr .error.code)" method_not_allowed "wrong method"
api_expect 404 GET /v1/waves/w-00000000 "$READ_TOKEN"
assert_eq "$(jqr .error.code)" not_found "unknown wave"
api_expect 400 POST /v1/waves "$OP_TOKEN" '{"migration_set": "x",'
assert_eq "$(jqr .error.code)" invalid_json "malformed JSON"
assert_contains "$(jqr .error.message)" "line 1 column" "malformed JSON position"
api_expect 400 POST /v1/waves "$OP_TOKEN" '{"migration_set": "x", "plan": {}, "colour": 1}'
assert_eq "$(jqr .error.code)" invalid_request "unknown field"
assert_eq "$(jqr .error.message)" "unknown field 'colour'" "unknown field message"
head -c 70000 /dev/zero | tr '\0' ' ' >"$COORD_TMP/big.json"
api_expect 413 POST /v1/migration-sets "$OP_TOKEN" "@$COORD_TMP/big.json"
assert_eq "$(jqr .error.code)" payload_too_large "oversized body"
printf '{"files": [{"name": "V1x__bad.sql", "content": ""}]}' >"$COORD_TMP/bad.json"
api_expect 400 POST /v1/migration-sets "$OP_TOKEN" "@$COORD_TMP/bad.json"
assert_eq "$(jqr .error.code)" invalid_migration_set "bad migration set"
assert_eq "$(jqr '.error.problems | length')" 1 "problems listed"

# ---- migration set
coord_upload_set "$COORD_TMP/set"
assert_eq "$API_STATUS" 201 "first upload"
assert_eq "$(jqr .latest)" 2 "latest version"
assert_eq "$(jqr .steps)" 2 "step count"
[[ $COORD_DIGEST =~ ^[0-9a-f]{64}$ ]] || coord_fail "digest '$COORD_DIGEST' is not 64 hex"
coord_upload_set "$COORD_TMP/set"
assert_eq "$API_STATUS" 200 "second upload of the same set"
api_expect 200 GET "/v1/migration-sets/$COORD_DIGEST" "$READ_TOKEN"
assert_eq "$(jqr '[.steps[].version] | join(",")')" "1,2" "stored steps"
assert_eq "$(jqr '.steps[1].description')" "add status" "step description"

# ---- plan dry run: canary 1 -> 25 % of the remaining 23 (6) -> the rest (17)
plan=$(coord_plan_json)
api_expect 200 POST /v1/plans "$READ_TOKEN" "{\"migration_set\": \"$COORD_DIGEST\", \"plan\": $plan}"
assert_eq "$(jqr '[.stages[].shards | length] | join(",")')" "1,6,17" "stage sizes"
assert_eq "$(jqr '.stages[0].shards[0].id')" t-001 "canary shard"
assert_eq "$(jqr '.stages[0].shards[0].steps | join(",")')" "1,2" "canary steps"
assert_eq "$(jqr .target)" 2 "plan target"
api_expect 200 GET /v1/waves "$READ_TOKEN"
assert_eq "$(jqr '.waves | length')" 0 "a dry run starts nothing"
api_expect 400 POST /v1/plans "$READ_TOKEN" \
    "{\"migration_set\": \"$COORD_DIGEST\", \"plan\": {\"stages\": [{\"name\": \"a\", \"max_parallel\": 1}]}}"
assert_eq "$(jqr .error.code)" invalid_plan "plan without a selector"
api_expect 404 POST /v1/plans "$READ_TOKEN" "{\"migration_set\": \"$(printf '%064d' 0)\", \"plan\": $plan}"
assert_eq "$(jqr .error.code)" not_found "unknown migration set"

# ---- waves
api_expect 201 POST /v1/waves "$OP_TOKEN" \
    "{\"migration_set\": \"$COORD_DIGEST\", \"plan\": $plan, \"reason\": \"JIRA-1\"}"
wave=$(jqr .id)
assert_eq "$(jqr .created_by)" ops-oncall "created_by"
assert_eq "$(jqr .reason)" JIRA-1 "reason"
assert_eq "$(jqr '[.stages[].shards | length] | join(",")')" "1,6,17" "wave stage sizes"
# the reply is the wave as created (encoded from memory, not read back): pending, every
# shard pending, and the same document GET gives for what has not moved since
assert_eq "$(jqr '"\(.state) \(.counts.pending) \([.stages[].shards[].state] | unique | join(","))"')" \
    "pending 24 pending" "created wave and shards pending"
created_body=$API_BODY
stable='del(.state, .updated_at, .current_stage, .stage_phase, .counts, .stages[].counts)
    | .stages[].shards |= map(del(.state, .agent, .attempts, .started_at))'
api_expect 200 GET "/v1/waves/$wave" "$READ_TOKEN"
assert_eq "$(jq -cS "$stable" <<<"$created_body")" "$(jq -cS "$stable" <<<"$API_BODY")" \
    "create reply = GET of the wave"
canary_leased()
{
    api GET "/v1/waves/$wave" "$READ_TOKEN"
    [[ $(jqr .state) == running && $(jqr '.stages[0].shards[0].state') == leased ]]
}
# without agents (issue 4) the canary is offered and stays leased; nothing else moves
wait_for "the scheduler to start the wave and lease the canary" canary_leased
assert_eq "$(jqr '.counts.pending')" 23 "other shards not dispatched"

api_expect 409 POST /v1/waves "$OP_TOKEN" "{\"migration_set\": \"$COORD_DIGEST\", \"plan\": $plan}"
assert_eq "$(jqr .error.code)" shard_busy "second wave on the same shards"
assert_eq "$(jqr '.error.shards[0].wave')" "$wave" "busy shard's wave"

api_expect 200 POST "/v1/waves/$wave/pause" "$OP_TOKEN" '{"reason": "looking at metrics"}'
assert_eq "$(jqr .state)" paused "state after pause"
api_expect 200 GET "/v1/waves/$wave" "$READ_TOKEN"
assert_eq "$(jqr .state)" paused "paused wave stays paused"
api_expect 409 POST "/v1/waves/$wave/pause" "$OP_TOKEN"
assert_eq "$(jqr .error.code)" illegal_transition "pause of a paused wave"
api_expect 200 POST "/v1/waves/$wave/resume" "$OP_TOKEN"
assert_eq "$(jqr .state)" running "state after resume"
api_expect 200 POST "/v1/waves/$wave/abort" "$OP_TOKEN" '{"reason": "wrong set"}'
assert_eq "$(jqr .state)" aborted "state after abort"
api_expect 409 POST "/v1/waves/$wave/resume" "$OP_TOKEN"
assert_eq "$(jqr .error.code)" illegal_transition "resume of an aborted wave"
api_expect 400 POST "/v1/waves/$wave/pause" "$OP_TOKEN" '{"cancel_running": true}'
assert_eq "$(jqr .error.message)" "unknown field 'cancel_running'" "cancel_running is abort-only"

api_expect 200 GET "/v1/waves/$wave/events" "$READ_TOKEN"
transitions=$(jqr '[.events[] | select(.kind == "transition") | "\(.from)>\(.to):\(.actor)"] | join(" ")')
assert_eq "$transitions" \
    "pending>running:scheduler running>paused:ops-oncall paused>running:ops-oncall running>aborted:ops-oncall" \
    "transition events"
assert_eq "$(jqr '.events[0].kind')" created "first event"
assert_eq "$(jqr '.events[0].actor')" ops-oncall "creator"
last=$(jqr '.events[-1].id')
api_expect 200 GET "/v1/waves/$wave/events?after=$last" "$READ_TOKEN"
assert_eq "$(jqr '.events | length')" 0 "no events after the last"
# logfmt: the wave is a key of its own, outside msg
grep -q "level=info msg=\"running -> paused (operator ops-oncall)\" wave=$wave\$" "$COORD_LOG" ||
    coord_fail "the pause transition is not logged"

# after the abort the shards are free again
api_expect 201 POST /v1/waves "$OP_TOKEN" "{\"migration_set\": \"$COORD_DIGEST\", \"plan\": $plan}"
api_expect 200 GET "/v1/waves?state=aborted" "$READ_TOKEN"
assert_eq "$(jqr '.waves | length')" 1 "state filter"
assert_eq "$(jqr '.waves[0].id')" "$wave" "aborted wave listed"

coord_stop
coord_log "ok"
