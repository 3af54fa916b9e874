#!/usr/bin/env bash
# Protocol compatibility within a major (docs/protocol.md "Versions") against a real
# coordinator, with curl pretending to be agents of other minors: a 1.0 agent is never
# leased a migrate shard of a transaction="shard" wave (the coordinator says why in its
# log and, once, in the wave's events) and its leases carry no `transaction`; a 1.1 agent
# gets `"transaction": "shard"`; a 1.3 agent's messages with fields this coordinator (1.2)
# does not know are accepted (reports move the wave), while the same fields from a 1.1
# agent are refused.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=coord_lib.sh
source "$here/coord_lib.sh"

coord_setup 3
for n in 2 3; do
    printf 'agent agent-eu-%s %s-%s\n' "$n" "$AGENT_TOKEN" "$n" >>"$COORD_TMP/tokens"
done
coord_start
coord_upload_set "$COORD_TMP/set"
old_tok=$AGENT_TOKEN new_tok=$AGENT_TOKEN-2 newer_tok=$AGENT_TOKEN-3

register() # AGENT PROTOCOL TOKEN [EXTRA_JSON]
{
    api_expect 200 POST /v1/agents/register "$3" "$(jq -nc --arg a "$1" --arg p "$2" \
        --argjson x "${4:-{\}}" '{protocol: $p, agent: $a, version: "0.1.0", pools: ["eu"],
        capacity: 4} + $x')"
    assert_eq "$(jqr .protocol)" 1.2 "the coordinator's protocol in its register answer"
}
poll() # AGENT PROTOCOL TOKEN: one lease request without waiting (sets API_BODY)
{
    api_expect 200 POST /v1/leases "$3" "$(jq -nc --arg a "$1" --arg p "$2" \
        '{protocol: $p, agent: $a, max: 4, wait_ms: 0}')"
}
shard_states() # WAVE: "<shard>=<state>[@<agent>] ..." in shard order
{
    api GET "/v1/waves/$1" "$READ_TOKEN"
    jqr '[.stages[].shards[] | "\(.id)=\(.state)\(if (.agent // "") != "" then "@" + .agent else "" end)"]
        | sort | join(" ")'
}

coord_log "register: each side names its protocol"
register agent-eu-1 1.0 "$old_tok"
register agent-eu-2 1.1 "$new_tok"
register agent-eu-3 1.3 "$newer_tok" '{"features": ["later"]}'
grep -F 'msg="registered (version 0.1.0, protocol 1.0,' "$COORD_LOG" | grep -q 'agent=agent-eu-1' ||
    coord_fail "the coordinator did not log agent-eu-1's protocol"
api_expect 400 POST /v1/agents/register "$new_tok" \
    '{"protocol": "1.1", "agent": "agent-eu-2", "version": "0.1.0", "pools": ["eu"], "capacity": 4, "features": []}'
assert_eq "$(jqr .error.message)" "features: unknown field" "a 1.1 register with a field 1.1 lacks"

create_wave() # PLAN_JSON: sets wave
{
    api_expect 201 POST /v1/waves "$OP_TOKEN" "$(jq -n --arg d "$COORD_DIGEST" --argjson p "$1" \
        '{migration_set: $d, plan: $p}')"
    wave=$(jqr .id)
}
wave_is() { api GET "/v1/waves/$wave" "$READ_TOKEN" && [[ $(jqr .state) == "$1" ]]; }

coord_log "a 1.0 agent's lease has no transaction field; its 1.0 reports are accepted"
create_wave '{"name": "step", "target": "1", "stages": [{"name": "c", "select": "tier=canary", "max_parallel": 1}]}'
canary_leased() { poll agent-eu-1 1.0 "$old_tok" && [[ $(jqr '.leases | length') == 1 ]]; }
wait_for "the canary's lease" canary_leased
assert_eq "$(jqr '.leases[0] | [.shard, .kind, has("transaction")] | join(" ")')" \
    "t-001 migrate false" "the 1.0 agent's lease"
lease0=$(jqr '.leases[0].lease')
api_expect 200 POST /v1/reports "$old_tok" "$(jq -nc --arg l "$lease0" --arg w "$wave" \
    '{protocol: "1.0", agent: "agent-eu-1", reports: [{id: "agent-eu-1:1", lease: $l, wave: $w,
      shard: "t-001", kind: "lease_done", outcome: "done", shard_version: "1", shard_health: "ok"}]}')"
assert_eq "$(jqr '.accepted | join(",")')" agent-eu-1:1 "the 1.0 agent's report"
wait_for "the step wave to complete" wave_is completed

coord_log "a transaction=\"shard\" wave is not leased to a 1.0 agent"
create_wave '{"name": "txn", "transaction": "shard", "stages": [{"name": "all", "rest": true, "max_parallel": 8}]}'
dispatched() { [[ $(shard_states "$wave") == "t-001=leased t-002=leased t-003=leased" ]]; }
wait_for "the wave to dispatch its shards" dispatched
poll agent-eu-1 1.0 "$old_tok"
assert_eq "$(jqr '.leases | length')" 0 "leases for the 1.0 agent"
assert_eq "$(shard_states "$wave")" "t-001=leased t-002=leased t-003=leased" "shards left unclaimed"
grep -F 'speaks protocol 1.0: 3 shard(s) of this wave (transaction \"shard\") left for an agent speaking 1.1 or newer; upgrade the agent' \
    "$COORD_LOG" | grep "wave=$wave" | grep -q 'agent=agent-eu-1' ||
    coord_fail "no warning about the 1.0 agent in the coordinator log"
poll agent-eu-1 1.0 "$old_tok"
assert_eq "$(jqr '.leases | length')" 0 "leases for the 1.0 agent (asking again)"
api GET "/v1/waves/$wave/events" "$READ_TOKEN"
assert_eq "$(jqr '[.events[] | select(.actor == "agent-eu-1") | "\(.kind): \(.message)"] | join("\n")')" \
    'stage: agent agent-eu-1 speaks protocol 1.0: shards of this wave (transaction "shard") are left for agents speaking 1.1 or newer; upgrade the pool'"'"'s agents' \
    "the wave's event about the 1.0 agent (once)"

coord_log "a 1.1 agent gets transaction \"shard\""
api_expect 200 POST /v1/leases "$new_tok" '{"protocol": "1.1", "agent": "agent-eu-2", "max": 1, "wait_ms": 0}'
assert_eq "$(jqr '.leases | map("\(.shard) \(.kind) \(.transaction)") | join(",")')" \
    "t-001 migrate shard" "the 1.1 agent's lease"
lease1=$(jqr '.leases[0].lease')

coord_log "a 1.3 agent (fields unknown to 1.2) is served and its reports are accepted"
api_expect 200 POST /v1/leases "$newer_tok" \
    '{"protocol": "1.3", "agent": "agent-eu-3", "max": 4, "wait_ms": 0, "prefer": "small"}'
assert_eq "$(jqr '.protocol + " " + (.leases | map("\(.shard) \(.transaction)") | join(","))')" \
    "1.2 t-002 shard,t-003 shard" "the 1.3 agent's leases"
lease2=$(jqr '.leases[0].lease')
api_expect 200 POST "/v1/leases/$lease2/start" "$newer_tok" '{"protocol": "1.3", "agent": "agent-eu-3", "eta_ms": 5}'
done_report() # ID LEASE SHARD PROTOCOL EXTRA_REPORT_JSON
{
    jq -nc --arg id "$1" --arg l "$2" --arg s "$3" --arg p "$4" --arg w "$wave" --argjson x "$5" \
        '{protocol: $p, agent: ($id | sub(":.*"; "")), trace: "abc", reports: [{id: $id, lease: $l,
          wave: $w, shard: $s, kind: "lease_done", outcome: "failed", failure: "unreachable",
          shard_version: "0", shard_health: "unreachable", error: "connection refused"} + $x]}'
}
api_expect 400 POST /v1/reports "$new_tok" "$(done_report agent-eu-2:1 "$lease1" t-001 1.1 '{"retry_after_ms": 5}')"
assert_eq "$(jqr .error.message)" "trace: unknown field" "a 1.1 report with fields 1.1 lacks"
api_expect 200 POST /v1/reports "$newer_tok" "$(done_report agent-eu-3:1 "$lease2" t-002 1.3 '{"retry_after_ms": 5}')"
assert_eq "$(jqr '.accepted | join(",")')" agent-eu-3:1 "the 1.3 agent's report"
api GET "/v1/waves/$wave/events" "$READ_TOKEN"
assert_contains "$(jqr '[.events[] | select(.shard == "t-002") | .message // ""] | join("\n")')" \
    "lease $lease2 failed unreachable: shard at version 0: connection refused" \
    "t-002's events after the 1.3 agent's failure report"
coord_stop
coord_log "ok"
