#!/usr/bin/env bash
# Metrics and logs against a real coordinator and two real agents over 6 SQLite shards:
# a wave to version 2 completes (12 steps applied), a second wave to 3 with a V3 that
# fails halts on its first shard (max_parallel 1: 1 step failed) and is aborted. Then
# GET /metrics (read role: 401 without a token) passes `promtool check metrics` and says
# exactly that: waves by state, steps by engine, the duration histogram, shards by
# version and health, leases, agents, HTTP requests by route and status. Each agent serves
# its own /metrics (metrics_listen) whose step counts add up to the coordinator's. Logs:
# the coordinator's logfmt lines carry wave= outside msg; agent a-2 logs JSON
# (log_format = "json"), every line an object, shard and wave as keys.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

command -v promtool >/dev/null || e2e_fail "promtool is not installed (deploy/install-deps.sh)"

e2e_setup 0 0 6
A1_PORT=$(coord_free_port)
A2_PORT=$(coord_free_port)
printf 'metrics_listen = "127.0.0.1:%s"\n' "$A1_PORT" >>"$COORD_TMP/agent-1.conf"
printf 'metrics_listen = "127.0.0.1:%s"\nlog_format = "json"\n' "$A2_PORT" >>"$COORD_TMP/agent-2.conf"
e2e_write_set "$COORD_TMP/set" 3
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST

e2e_wave '{"name": "to 2", "target": "2", "stages": [{"name": "all", "rest": true, "max_parallel": 6}]}'
first=$E2E_WAVE
e2e_wait_state completed
e2e_wave '{"name": "to 3", "target": "3", "stages": [{"name": "all", "rest": true, "max_parallel": 1}]}'
second=$E2E_WAVE
e2e_wait_state halted
api_expect 200 POST "/v1/waves/$second/abort" "$OP_TOKEN" '{"reason": "metrics test"}'
e2e_wait_state aborted

# /metrics: read role
api_expect 401 GET /metrics
scrape()
{
    curl -s -S -m 30 -D "$COORD_TMP/headers" -H "Authorization: Bearer $READ_TOKEN" \
        "http://127.0.0.1:$COORD_PORT/metrics" >"$COORD_TMP/metrics.txt"
}
scrape
grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$COORD_TMP/headers" ||
    e2e_fail "content type: $(cat "$COORD_TMP/headers")"
promtool check metrics <"$COORD_TMP/metrics.txt" >"$COORD_TMP/promtool.out" 2>&1 ||
    e2e_fail "promtool check metrics: $(cat "$COORD_TMP/promtool.out")"

# The value of one exact series (name{labels} as rendered); "absent" when missing.
sample()
{
    awk -v s="$1" '$1 == s {print $2; found = 1} END {if (!found) print "absent"}' "$2"
}
m=$COORD_TMP/metrics.txt
assert_eq "$(sample 'shardwave_waves{state="completed"}' "$m")" 1 "completed waves"
assert_eq "$(sample 'shardwave_waves{state="aborted"}' "$m")" 1 "aborted waves"
assert_eq "$(sample 'shardwave_waves{state="running"}' "$m")" 0 "running waves"
assert_eq "$(sample 'shardwave_steps_applied_total{engine="sqlite"}' "$m")" 12 "applied steps"
assert_eq "$(sample 'shardwave_steps_failed_total{engine="sqlite"}' "$m")" 1 "failed steps"
assert_eq "$(sample 'shardwave_steps_applied_total{engine="pg"}' "$m")" 0 "pg steps"
assert_eq "$(sample 'shardwave_step_duration_seconds_count{engine="sqlite"}' "$m")" 13 \
    "observed step durations"
assert_eq "$(sample 'shardwave_step_duration_seconds_bucket{engine="sqlite",le="+Inf"}' "$m")" 13 \
    "the +Inf bucket"
assert_eq "$(sample 'shardwave_fleet_shards_by_version{version="2"}' "$m")" 6 "shards at 2"
assert_eq "$(sample 'shardwave_fleet_shards_by_health{health="ok"}' "$m")" 6 "healthy shards"
assert_eq "$(sample 'shardwave_leases_outstanding' "$m")" 0 "leases outstanding"
assert_eq "$(sample 'shardwave_leases_expired' "$m")" 0 "expired leases"
assert_eq "$(sample 'shardwave_leases_expired_total' "$m")" 0 "expired leases taken back"
# the webhook families are declared even without hooks (notify_webhooks.sh has values)
grep -q '^# TYPE shardwave_webhook_deliveries_total counter$' "$m" ||
    e2e_fail "no shardwave_webhook_deliveries_total family"
grep -q '^# TYPE shardwave_webhook_queue_length gauge$' "$m" ||
    e2e_fail "no shardwave_webhook_queue_length family"
assert_eq "$(sample 'shardwave_agents_connected' "$m")" 2 "agents connected"
seen=$(sample 'shardwave_agent_last_seen_seconds{agent="a-1"}' "$m")
[[ $seen != absent ]] && awk -v s="$seen" 'BEGIN {exit !(s >= 0 && s < 60)}' ||
    e2e_fail "a-1 last seen: $seen"
assert_eq "$(sample 'shardwave_http_requests_total{method="POST",route="/v1/waves",status="201"}' "$m")" \
    2 "wave creations counted"
assert_eq "$(sample 'shardwave_http_requests_total{method="GET",route="/metrics",status="401"}' "$m")" \
    1 "refused scrape counted"
assert_eq "$(sample 'shardwave_http_requests_total{method="POST",route="/v1/waves/{id}/abort",status="200"}' "$m")" \
    1 "abort counted"
# the active-wave gauges are gone with the waves
assert_eq "$(grep -c '^shardwave_wave_shards{' "$m" || true)" 0 "active wave shard series"
# the scrape itself is counted by the next one
scrape
assert_eq "$(sample 'shardwave_http_requests_total{method="GET",route="/metrics",status="200"}' "$m")" \
    1 "successful scrape counted"

# The agents' own metrics: local port, no auth, same exposition rules.
total=0
for port in "$A1_PORT" "$A2_PORT"; do
    curl -s -S -m 10 "http://127.0.0.1:$port/metrics" >"$COORD_TMP/agent.txt"
    promtool check metrics <"$COORD_TMP/agent.txt" >"$COORD_TMP/promtool.out" 2>&1 ||
        e2e_fail "promtool on agent metrics: $(cat "$COORD_TMP/promtool.out")"
    n=$(sample 'shardwave_agent_steps_applied_total{engine="sqlite"}' "$COORD_TMP/agent.txt")
    total=$((total + n))
    assert_eq "$(sample 'shardwave_agent_leases_held' "$COORD_TMP/agent.txt")" 0 "leases held"
done
assert_eq "$total" 12 "steps applied by the agents together"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A1_PORT/")
assert_eq "$status" 404 "agent metrics server: other paths"

# Logs: logfmt with the wave outside msg; JSON lines from agent a-2.
grep -qE "^ts=[0-9T:.Z-]+ level=info msg=\"[^\"]*-> completed[^\"]*\" wave=$first( |\$)" "$COORD_LOG" ||
    e2e_fail "no logfmt completion line with wave=$first: $(grep -m3 "$first" "$COORD_LOG")"
jq -e -s 'length > 0 and all(.[]; type == "object" and has("ts") and has("level") and has("msg"))' \
    "$COORD_TMP/agent-2.log" >/dev/null || e2e_fail "agent-2 log is not JSON lines"
jq -e -s --arg w "$first" 'any(.[]; .wave == $w and (.shard | startswith("sqlite-")))' \
    "$COORD_TMP/agent-2.log" >/dev/null || e2e_fail "agent-2 JSON lines lack wave and shard keys"
if grep -q "$AGENT_TOKEN" "$COORD_LOG" "$COORD_TMP"/agent-*.log; then
    e2e_fail "a token reached a log"
fi
coord_log "ok"
