#!/usr/bin/env bash
# Fault: a slow, lossy network between the agents and the coordinator. Both agents reach
# the coordinator only through sw_faultproxy (tests/support/faultproxy.c), which delays
# every chunk by 20-100 ms, drops 10 % of new connections at once and resets 10 % part-way
# through the coordinator's reply (after 0-400 random bytes), with a fixed seed. A wave of
# the 3-step set runs over 12 SQLite shards. Asserts: the wave completes; every shard has
# exactly one applied up row per version 1..3; every applied step was counted once (one
# "V<n> up applied" event per applied row, as many such events as the agents' own
# steps_applied_total) and every report reached the store; the report queues drain with
# nothing refused; and the proxy really injected faults (dropped > 0, reset > 0).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=fault_lib.sh
source "$here/fault_lib.sh"

PROXY_BIN=${SW_FAULTPROXY:-$SW_BIN_DIR/../tests/sw_faultproxy}
[[ -x $PROXY_BIN ]] || coord_fail "$PROXY_BIN is not built"
N_SHARDS=12
N_STEPS=3
PROXY_PID=""

lossy_cleanup()
{
    if [[ -n $PROXY_PID ]]; then
        kill -TERM "$PROXY_PID" 2>/dev/null || true
        wait "$PROXY_PID" 2>/dev/null || true
    fi
    e2e_cleanup
}
trap lossy_cleanup EXIT

proxy_ready()
{
    [[ -s $COORD_TMP/proxy.out ]] || ! kill -0 "$PROXY_PID" 2>/dev/null
}

# The sum of one metric over both agents' /metrics.
agents_metric()
{
    local name=$1 i sum=0 v
    for i in 1 2; do
        v=$(curl -sf "http://127.0.0.1:${METRICS_PORT[i]}/metrics" |
            awk -v n="$name" '$1 == n || index($1, n "{") == 1 {s += $2} END {print s + 0}')
        sum=$((sum + v))
    done
    echo "$sum"
}

wave_over()
{
    WAVE_STATE=$(e2e_wave_state)
    [[ $WAVE_STATE =~ ^(completed|halted|failed|cancelled)$ ]]
}

e2e_setup 0 0 "$N_SHARDS"
METRICS_PORT=()
for i in 1 2; do
    METRICS_PORT[i]=$(coord_free_port)
    printf 'metrics_listen = "127.0.0.1:%s"\n' "${METRICS_PORT[i]}" >>"$COORD_TMP/agent-$i.conf"
done
e2e_write_set "$COORD_TMP/set"
fault_coord_first_start

"$PROXY_BIN" --upstream "$COORD_PORT" --delay-min-ms 20 --delay-max-ms 100 --drop-pct 10 \
    --reset-pct 10 --reset-max-bytes 400 --seed 6 --max-seconds 110 \
    >"$COORD_TMP/proxy.out" 2>"$COORD_TMP/proxy.err" &
PROXY_PID=$!
fault_poll 10 "the proxy's port" proxy_ready
PROXY_PORT=$(head -n 1 "$COORD_TMP/proxy.out")
[[ $PROXY_PORT =~ ^[0-9]+$ ]] || e2e_fail "the proxy did not start: $(cat "$COORD_TMP/proxy.err")"
sed -i "s|^coordinator_url = .*|coordinator_url = \"http://127.0.0.1:$PROXY_PORT\"|" \
    "$COORD_TMP"/agent-*.conf
coord_log "coordinator on $COORD_PORT, agents through the proxy on $PROXY_PORT"
fault_agent_start 1
fault_agent_start 2

coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "lossy network", "stages": [{"name": "all", "rest": true, "max_parallel": 6}]}'
fault_poll 75 "the wave to end" wave_over
assert_eq "$WAVE_STATE" completed "wave state"
fault_wait_queues_empty

for id in "${E2E_SHARDS[@]}"; do
    fault_assert_once "$id" "$N_STEPS"
done
fault_assert_counted_once "${E2E_SHARDS[@]}"
api GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
events=$(jq '[.events[] | select(.message | test("^V[0-9]+ up applied"))] | length' <<<"$API_BODY")
assert_eq "$events" $((N_SHARDS * N_STEPS)) "'up applied' events in the wave"
sent=$(agents_metric shardwave_agent_steps_applied_total)
assert_eq "$sent" $((N_SHARDS * N_STEPS)) "steps the agents applied and reported"
seen=$(sqlite3 -batch "$COORD_TMP/store.db" "SELECT count(*) FROM seen_reports")
# A step report per applied step and at least one lease_done per shard.
((seen >= N_SHARDS * N_STEPS + N_SHARDS)) || e2e_fail "only $seen reports reached the store"
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr '[.stages[].shards[] | select(.state == "done")] | length')" "$N_SHARDS" \
    "shards done in the wave"

kill -TERM "$PROXY_PID"
wait "$PROXY_PID" || e2e_fail "the proxy exited with status $?"
PROXY_PID=""
counters=$(grep '^faultproxy:' "$COORD_TMP/proxy.out") || e2e_fail "no proxy counters"
coord_log "$counters; $seen reports in the store"
dropped=$(sed -n 's/.* dropped=\([0-9]*\).*/\1/p' <<<"$counters")
reset=$(sed -n 's/.* reset=\([0-9]*\).*/\1/p' <<<"$counters")
((dropped > 0)) || e2e_fail "the proxy dropped no connection: $counters"
((reset > 0)) || e2e_fail "the proxy reset no connection: $counters"
fault_summary 1
coord_log "ok"
