#!/usr/bin/env bash
# Protocol 1.2 slot hand-over (docs/protocol.md "Reports"), with curl as the agent against a
# real coordinator: a report request's `want` gets, in its answer, the shards dispatched
# meanwhile (the slot its own lease_done freed among them), claimed with the reports; never
# more than `want` nor past the stage's max_parallel; no `leases` member without a `want`
# or when nothing is dispatched; the shards so leased are the agent's in the wave, and the
# wave completes.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=coord_lib.sh
source "$here/coord_lib.sh"

coord_setup 3
coord_start
coord_upload_set "$COORD_TMP/set"
tok=$AGENT_TOKEN
api_expect 200 POST /v1/agents/register "$tok" \
    '{"protocol": "1.2", "agent": "agent-eu-1", "version": "0.1.0", "pools": ["eu"], "capacity": 4}'
shard_states() # "<shard>=<state>[@<agent>] ..." in shard order
{
    api GET "/v1/waves/$wave" "$READ_TOKEN"
    jqr '[.stages[].shards[] | "\(.id)=\(.state)\(if (.agent // "") != "" then "@" + .agent else "" end)"]
        | sort | join(" ")'
}
wave_is() { api GET "/v1/waves/$wave" "$READ_TOKEN" && [[ $(jqr .state) == "$1" ]]; }
done_report() # SEQ LEASE SHARD WANT: a lease_done "done" report request (WANT 0: no member)
{
    jq -nc --arg id "agent-eu-1:$1" --arg l "$2" --arg s "$3" --arg w "$wave" --argjson n "$4" \
        '{protocol: "1.2", agent: "agent-eu-1", reports: [{id: $id, lease: $l, wave: $w,
          shard: $s, kind: "lease_done", outcome: "done", shard_version: "1",
          shard_health: "ok"}]} + (if $n > 0 then {want: $n} else {} end)'
}
start() { api_expect 200 POST "/v1/leases/$1/start" "$tok" '{"protocol": "1.2", "agent": "agent-eu-1"}'; }

coord_log "one stage, max_parallel 1: the first lease comes from a lease request"
api_expect 201 POST /v1/waves "$OP_TOKEN" "$(jq -n --arg d "$COORD_DIGEST" '{migration_set: $d,
    plan: {name: "handover", target: "1", stages: [{name: "all", rest: true, max_parallel: 1}]}}')"
wave=$(jqr .id)
first_lease()
{
    api_expect 200 POST /v1/leases "$tok" '{"protocol": "1.2", "agent": "agent-eu-1", "max": 4, "wait_ms": 0}' &&
        [[ $(jqr '.leases | length') == 1 ]]
}
wait_for "the first lease" first_lease
assert_eq "$(jqr '.leases[0].shard')" t-001 "the first lease's shard"
lease1=$(jqr '.leases[0].lease')
start "$lease1"

coord_log "a lease_done with want 4 gets the slot it freed: one lease (max_parallel 1)"
api_expect 200 POST /v1/reports "$tok" "$(done_report 1 "$lease1" t-001 4)"
assert_eq "$(jqr '.accepted | join(",")')" agent-eu-1:1 "the report"
assert_eq "$(jqr '.leases | map("\(.shard) \(.kind)") | join(",")')" "t-002 migrate" \
    "the leases in the report's answer"
lease2=$(jqr '.leases[0].lease')
assert_eq "$(shard_states)" "t-001=done@agent-eu-1 t-002=leased@agent-eu-1 t-003=pending" \
    "the wave after the hand-over"
start "$lease2"

coord_log "without want: no leases member; the freed slot waits for a lease request"
api_expect 200 POST /v1/reports "$tok" "$(done_report 2 "$lease2" t-002 0)"
assert_eq "$(jqr 'has("leases")')" false "a leases member without want"
assert_eq "$(shard_states)" "t-001=done@agent-eu-1 t-002=done@agent-eu-1 t-003=leased" \
    "t-003 dispatched, unclaimed"
api_expect 200 POST /v1/leases "$tok" '{"protocol": "1.2", "agent": "agent-eu-1", "max": 4, "wait_ms": 0}'
assert_eq "$(jqr '.leases | map(.shard) | join(",")')" t-003 "the lease request's lease"
lease3=$(jqr '.leases[0].lease')
start "$lease3"

coord_log "a retried report is a duplicate; nothing dispatched: no leases even with want"
api_expect 200 POST /v1/reports "$tok" "$(done_report 2 "$lease2" t-002 4)"
assert_eq "$(jqr '.duplicates | join(",")') $(jqr 'has("leases")')" "agent-eu-1:2 false" \
    "a duplicate report with want while t-003 holds the only slot"
api_expect 200 POST /v1/reports "$tok" "$(done_report 3 "$lease3" t-003 4)"
assert_eq "$(jqr 'has("leases")')" false "leases after the last shard"
wait_for "the wave to complete" wave_is completed
coord_stop
coord_log "ok"
