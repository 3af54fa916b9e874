#!/usr/bin/env bash
# Fault (issue 10): SIGSTOP of the leader past its lease, then SIGCONT. Two coordinators on
# one PostgreSQL store, two agents with both URLs, six PostgreSQL shards running V3 (a
# pg_sleep(5) before the CREATE INDEX) three at a time. c-1 is stopped inside a store
# transaction when it can be caught in one within 3 s (its row locks then hold the takeover
# until PostgreSQL ends the session: idle_in_transaction_session_timeout, half the lease).
# While c-1 is stopped: c-2 takes over (printed: takeover_ms and takeover_in_txn) and an
# operator's pause is queued at the stopped c-1. After SIGCONT: c-1 steps down at once
# (its log, its /healthz and metrics: follower of c-2), the queued pause is refused with
# not_leader (307 to c-2 or 503) and never reaches the wave (no paused transition in the
# store); the wave completes on c-2 with one applied row per version on every shard and
# each step counted once; the lease row names c-2 at epoch 2.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ha_lib.sh
source "$here/ha_lib.sh"

ha_setup 2 6 0
ha_write_slow_set "$COORD_TMP/set" 5 # room for ha_stop_in_txn inside the first three V3s
ha_start_pair
ha_start_wave 1 "leader stop"
fault_poll 30 "a shard to be inside V3" ha_some_in_v3
# inside a store transaction if c-1 can be caught in one within 3 s, else between two
ha_takeover ha_stop_in_txn 1 3000
coord_log "takeover_in_txn=$HA_IN_TXN"

# an operator's write reaches the stopped old leader: it is answered after SIGCONT
curl -s -m 30 -o "$COORD_TMP/late.json" -D "$COORD_TMP/late.hdr" -w '%{http_code}' \
    -H "Authorization: Bearer $OP_TOKEN" -H 'Content-Type: application/json' \
    --data-binary '{"reason": "late write of a stopped leader"}' \
    "http://127.0.0.1:${HA_PORTS[1]}/v1/waves/$E2E_WAVE/pause" >"$COORD_TMP/late.status" &
late_pid=$!
# the new leader works while the old one is stopped: a lease granted by c-2
c2_leases()
{
    grep -q "lease l-.*: migrate" "$COORD_TMP/c-2.log"
}
fault_poll 30 "c-2 to grant a lease" c2_leases
ha_cont 1
wait "$late_pid" || ha_fail "the late write got no answer"
late=$(cat "$COORD_TMP/late.status")
[[ $late == 307 || $late == 503 ]] || ha_fail "the late write: expected 307 or 503, got $late"
assert_eq "$(jq -r .error.code "$COORD_TMP/late.json")" not_leader "the late write's error"
if [[ $late == 307 ]]; then
    assert_eq "$(tr -d '\r' <"$COORD_TMP/late.hdr" | sed -n 's/^Location: //Ip')" \
        "http://127.0.0.1:${HA_PORTS[2]}/v1/waves/$E2E_WAVE/pause" "the late write's redirect"
fi

ha_wait_follows 1 2
grep -q "leadership: stepping down (epoch 1)" "$COORD_TMP/c-1.log" ||
    ha_fail "c-1 did not log its step-down"
ha_use 1
api_expect 200 GET /metrics "$READ_TOKEN"
assert_contains "$API_BODY" "shardwave_coordinator_is_leader 0" "c-1 does not lead (metric)"
assert_contains "$API_BODY" "shardwave_coordinator_leader_epoch 2" "c-1 saw epoch 2"

ha_use 2
ha_assert_completed
assert_eq "$(ha_store_sql "SELECT count(*) FROM events WHERE wave_id = '$E2E_WAVE'
    AND kind = 'transition' AND to_state = 'paused'")" 0 "paused transitions in the store"
assert_eq "$(ha_store_sql "SELECT holder || ' ' || epoch FROM leader")" "c-2 2" "the lease row"
fault_summary 1
coord_log "ok"
