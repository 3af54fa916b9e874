#!/usr/bin/env bash
# The agent endpoints against a real coordinator, driven with curl as a scripted agent
# (no database is touched): roles, protocol_mismatch, unknown_agent, register, a
# long-poll that answers when work is dispatched, assignment contents (checksums match
# the SQL), the go-ahead (lease_lost for another agent, wave_not_running while paused
# with the shard back to pending), heartbeats (ok false for unknown leases), idempotent
# reports (a retried batch lands in duplicates), and lease_done moving the wave.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=coord_lib.sh
source "$here/coord_lib.sh"

coord_setup 3
printf 'agent agent-eu-2 %s-2\n' "$AGENT_TOKEN" >>"$COORD_TMP/tokens"
coord_start
coord_upload_set "$COORD_TMP/set"
A=$AGENT_TOKEN
reg='{"protocol": "1.0", "agent": "agent-eu-1", "version": "0.1.0", "pools": ["eu"], "capacity": 2}'

coord_log "roles and protocol"
api_expect 403 POST /v1/agents/register "$OP_TOKEN" "$reg"
api_expect 409 POST /v1/agents/register "$A" "${reg/\"1.0\"/\"2.0\"}"
assert_eq "$(jqr .error.code)" protocol_mismatch "code for protocol 2.0"
assert_contains "$(jqr .error.message)" "version 2.0 is not supported" "mismatch message"
api_expect 400 POST /v1/agents/register "$A" '{"protocol": "1.0", "agent": "agent-eu-1"}'
assert_eq "$(jqr .error.code)" invalid_request "code for a short register"
api_expect 409 POST /v1/leases "$A" '{"protocol": "1.0", "agent": "agent-eu-1", "max": 2, "wait_ms": 0}'
assert_eq "$(jqr .error.code)" unknown_agent "lease request before register"

api_expect 200 POST /v1/agents/register "$A" "$reg"
assert_eq "$(jqr '[.protocol, .lease_ttl_ms, .heartbeat_ms, .long_poll_ms] | join(" ")')" \
    "1.2 30000 10000 20000" "register answer"

coord_log "long-poll answers when a wave dispatches"
poll='{"protocol": "1.0", "agent": "agent-eu-1", "max": 2, "wait_ms": 0}'
api_expect 200 POST /v1/leases "$A" "$poll"
assert_eq "$(jqr '.leases | length')" 0 "leases before any wave"
(
    # lets the long-poll below start waiting first, so the wake-up path is what answers
    # (the outcome does not depend on it: a lease dispatched earlier is returned at once)
    sleep 0.5
    api POST /v1/waves "$OP_TOKEN" "$(jq -n --arg d "$COORD_DIGEST" --argjson p "$(coord_plan_json)" \
        '{migration_set: $d, plan: $p}')"
    echo "$API_BODY" >"$COORD_TMP/wave.json"
) &
creator=$!
api_expect 200 POST /v1/leases "$A" '{"protocol": "1.0", "agent": "agent-eu-1", "max": 2, "wait_ms": 15000}'
wait "$creator"
wave=$(jq -r .id "$COORD_TMP/wave.json")
assert_eq "$(jqr '.leases | length')" 1 "leases (the canary stage has one shard)"
assert_eq "$(jqr '.leases[0] | [.kind, .wave, .shard, .engine, .direction, .target, .expected_from] | join(" ")')" \
    "migrate $wave t-001 sqlite up 2 0" "the canary's assignment"
assert_eq "$(jqr '[.leases[0].steps[].script] | join(" ")')" \
    "V1__create_users.sql V2__add_status.sql" "steps"
for k in 0 1; do
    sql=$(jqr ".leases[0].steps[$k].sql")
    assert_eq "$(printf '%s\n' "$sql" | sha256sum | cut -d' ' -f1)" \
        "$(jqr ".leases[0].steps[$k].checksum")" "checksum of step $k"
done
lease=$(jqr '.leases[0].lease')

coord_log "go-ahead, heartbeat, reports"
api_expect 409 POST "/v1/leases/$lease/start" "$AGENT_TOKEN-2" '{"protocol": "1.0", "agent": "agent-eu-2"}'
assert_eq "$(jqr .error.code)" unknown_agent "go-ahead of an unregistered agent"
api_expect 200 POST /v1/agents/register "$AGENT_TOKEN-2" "${reg/agent-eu-1/agent-eu-2}"
api_expect 409 POST "/v1/leases/$lease/start" "$AGENT_TOKEN-2" '{"protocol": "1.0", "agent": "agent-eu-2"}'
assert_eq "$(jqr .error.code)" lease_lost "go-ahead for another agent's lease"
api_expect 400 POST "/v1/leases/not-a-lease/start" "$A" '{"protocol": "1.0", "agent": "agent-eu-1"}'
api_expect 200 POST "/v1/leases/$lease/start" "$A" '{"protocol": "1.0", "agent": "agent-eu-1"}'
assert_eq "$(jqr .go)" true "go-ahead"
api GET "/v1/waves/$wave" "$READ_TOKEN"
assert_eq "$(jqr '.stages[0].shards[0] | [.state, .agent] | join(" ")')" "running agent-eu-1" "canary row"

api_expect 200 POST /v1/heartbeat "$A" "$(jq -nc --arg l "$lease" \
    '{protocol: "1.0", agent: "agent-eu-1", leases: [{lease: $l, stmt_done: 0, stmt_total: 1}, {lease: "l-00ff", stmt_done: 0, stmt_total: 0}]}')"
assert_eq "$(jqr '[.leases[] | "\(.lease)=\(.ok)"] | join(" ")')" "$lease=true l-00ff=false" "heartbeat acks"

reports=$(jq -nc --arg l "$lease" --arg w "$wave" '{protocol: "1.0", agent: "agent-eu-1", reports: [
  {id: "agent-eu-1:1", lease: $l, wave: $w, shard: "t-001", kind: "step", version: "1",
   direction: "up", outcome: "applied", started_at: "2026-11-25T09:12:33.123Z", duration_ms: 5},
  {id: "agent-eu-1:2", lease: $l, wave: $w, shard: "t-001", kind: "step", version: "2",
   direction: "up", outcome: "applied", started_at: "2026-11-25T09:12:33.130Z", duration_ms: 4},
  {id: "agent-eu-1:3", lease: $l, wave: $w, shard: "t-001", kind: "lease_done", outcome: "done",
   shard_version: "2", shard_health: "ok"}]}')
api_expect 200 POST /v1/reports "$A" "$reports"
assert_eq "$(jqr '[(.accepted | join(",")), (.duplicates | length)] | join(" ")')" \
    "agent-eu-1:1,agent-eu-1:2,agent-eu-1:3 0" "first delivery"
api_expect 200 POST /v1/reports "$A" "$reports"
assert_eq "$(jqr '[(.accepted | length), (.duplicates | join(","))] | join(" ")')" \
    "0 agent-eu-1:1,agent-eu-1:2,agent-eu-1:3" "retried delivery"
api GET "/v1/waves/$wave" "$READ_TOKEN"
assert_eq "$(jqr '.stages[0].shards[0] | [.state, .agent] | join(" ")')" "done agent-eu-1" "canary after done"
api GET /v1/fleet "$READ_TOKEN"
assert_eq "$(jqr '.shards[] | select(.id == "t-001") | "\(.version) \(.health)"')" "2 ok" "fleet status of t-001"
api GET "/v1/waves/$wave/events" "$READ_TOKEN"
assert_eq "$(jqr '[.events[] | select((.message // "") | test("^V[12] up applied")) ] | length')" 2 \
    "step events (once each)"

coord_log "no go-ahead while paused: the shard goes back to pending"
next_lease() {
    api POST /v1/leases "$A" "$poll"
    [[ $(jqr '.leases | length') -gt 0 ]]
}
wait_for "the next stage's lease" next_lease
lease2=$(jqr '.leases[0].lease')
shard2=$(jqr '.leases[0].shard')
api_expect 200 POST "/v1/waves/$wave/pause" "$OP_TOKEN"
api_expect 409 POST "/v1/leases/$lease2/start" "$A" '{"protocol": "1.0", "agent": "agent-eu-1"}'
assert_eq "$(jqr .error.code)" wave_not_running "go-ahead while paused"
assert_contains "$(jqr .error.message)" "wave is paused" "refusal message"
api GET "/v1/waves/$wave" "$READ_TOKEN"
assert_eq "$(jq -r --arg s "$shard2" '.stages[].shards[] | select(.id == $s) | .state' <<<"$API_BODY")" \
    pending "refused shard state"
api_expect 409 POST "/v1/leases/$lease2/start" "$A" '{"protocol": "1.0", "agent": "agent-eu-1"}'
assert_eq "$(jqr .error.code)" lease_lost "second go-ahead for the given-back lease"
api_expect 200 POST /v1/leases "$A" "$poll"
assert_eq "$(jqr '.leases | length')" 0 "no leases of a paused wave"

coord_log "abort --cancel-running: heartbeats answer ok false and cancel true"
api_expect 200 POST "/v1/waves/$wave/resume" "$OP_TOKEN"
wait_for "a lease after the resume" next_lease
lease3=$(jqr '.leases[0].lease')
api_expect 200 POST "/v1/leases/$lease3/start" "$A" '{"protocol": "1.0", "agent": "agent-eu-1"}'
hb=$(jq -nc --arg l "$lease3" '{protocol: "1.0", agent: "agent-eu-1", leases: [{lease: $l, stmt_done: 0, stmt_total: 1}]}')
api_expect 200 POST /v1/heartbeat "$A" "$hb"
assert_eq "$(jqr '.leases[0] | "\(.ok) \(.cancel)"')" "true false" "heartbeat while running"
api_expect 200 POST "/v1/waves/$wave/abort" "$OP_TOKEN" '{"cancel_running": true}'
api_expect 200 POST /v1/heartbeat "$A" "$hb"
assert_eq "$(jqr '.leases[0] | "\(.ok) \(.cancel)"')" "false true" "heartbeat after the abort"
coord_stop
coord_log "ok"
