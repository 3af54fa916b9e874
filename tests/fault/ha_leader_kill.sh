#!/usr/bin/env bash
# Fault (issue 10): kill -9 of the leader mid-wave, two coordinators on one PostgreSQL
# store, two agents configured with both URLs. Six PostgreSQL shards run V3 (a pg_sleep
# before the CREATE INDEX), three at a time. Asserts: the follower redirects writes (307,
# Location = the leader's URL + path, not_leader naming the leader) and serves reads; a
# report delivered to the leader is accepted; once shards are inside V3 the leader is
# killed; the follower takes over within a bounded time (printed: takeover_ms); the wave
# completes on the new leader; every shard has one applied row per version and each step
# was counted once; the queues drain; the same report delivered to the new leader is a
# duplicate (counted once across leaders); the store's lease row names c-2 at epoch 2;
# c-2's metrics show it leads after one takeover.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ha_lib.sh
source "$here/ha_lib.sh"

ha_setup 2 6 0
ha_write_slow_set "$COORD_TMP/set"
ha_start_pair

# a follower redirects a write to the leader and serves reads itself
coord_set_body "$COORD_TMP/set" >"$COORD_TMP/upload.json"
status=$(curl -s -o "$COORD_TMP/redirect.json" -D "$COORD_TMP/redirect.hdr" -w '%{http_code}' \
    -H "Authorization: Bearer $OP_TOKEN" -H 'Content-Type: application/json' \
    --data-binary "@$COORD_TMP/upload.json" "http://127.0.0.1:${HA_PORTS[2]}/v1/migration-sets")
assert_eq "$status" 307 "a write to the follower"
assert_eq "$(tr -d '\r' <"$COORD_TMP/redirect.hdr" | sed -n 's/^Location: //Ip')" \
    "http://127.0.0.1:${HA_PORTS[1]}/v1/migration-sets" "the redirect's Location"
assert_eq "$(jq -r '.error.code + " " + .error.leader.id' "$COORD_TMP/redirect.json")" \
    "not_leader c-1" "the redirect's error"
ha_use 2
api_expect 200 GET /v1/fleet "$READ_TOKEN"
# the CLI with the follower listed first: its operator write follows the redirect
c12="http://127.0.0.1:${HA_PORTS[1]},http://127.0.0.1:${HA_PORTS[2]}"
c21="http://127.0.0.1:${HA_PORTS[2]},http://127.0.0.1:${HA_PORTS[1]}"
out=$(SHARDWAVE_TOKEN=$OP_TOKEN "$SW_BIN_DIR/shardwave" --coordinator "$c21" fleet reload 2>"$COORD_TMP/cli.err") ||
    ha_fail "shardwave fleet reload through the follower: $out"
assert_eq "$(head -n 1 <<<"$out")" "fleet reloaded: 6 shards" "CLI write through the follower"
grep -q "fleet reloaded by ops-oncall" "$COORD_TMP/c-1.log" || ha_fail "c-1 did not run the reload"

ha_start_wave 1 "leader kill"

# a report the old leader counts (it is about pg-01; outcome skipped changes nothing)
ha_post_report 1 a-1:900001 pg-01
assert_eq "$API_STATUS" 200 "report to the leader"
assert_eq "$(jqr '.accepted | join(",")')" a-1:900001 "accepted by the leader"

fault_poll 30 "a shard to be inside V3" ha_some_in_v3
ha_takeover ha_kill 1

ha_use 2
# the CLI with the dead leader listed first reaches the new one, for reads and writes
out=$(SHARDWAVE_TOKEN=$OP_TOKEN "$SW_BIN_DIR/shardwave" --coordinator "$c12" fleet reload 2>"$COORD_TMP/cli.err") ||
    ha_fail "shardwave fleet reload with the dead leader first: $out"
assert_eq "$(head -n 1 <<<"$out")" "fleet reloaded: 6 shards" "CLI write after the takeover"
SHARDWAVE_TOKEN=$READ_TOKEN "$SW_BIN_DIR/shardwave" --coordinator "$c12" wave status "$E2E_WAVE" \
    --json >"$COORD_TMP/status.json" || ha_fail "shardwave wave status after the takeover"
assert_eq "$(jq -r .id "$COORD_TMP/status.json")" "$E2E_WAVE" "CLI read after the takeover"
ha_assert_completed

# the report the old leader counted is a duplicate at the new one
ha_post_report 2 a-1:900001 pg-01
assert_eq "$API_STATUS" 200 "report to the new leader"
assert_eq "$(jqr '.duplicates | join(",")')" a-1:900001 "a duplicate at the new leader"
assert_eq "$(jqr '.accepted | length')" 0 "nothing accepted twice"
assert_eq "$(fault_events_count pg-01 '^V1 up skipped')" 1 "the report's event, once"

assert_eq "$(ha_store_sql "SELECT holder || ' ' || epoch FROM leader")" "c-2 2" "the lease row"
api_expect 200 GET /metrics "$READ_TOKEN"
assert_contains "$API_BODY" "shardwave_coordinator_is_leader 1" "c-2 leads (metric)"
assert_contains "$API_BODY" "shardwave_coordinator_leader_takeovers_total 1" "one takeover"
grep -q "leadership: this coordinator (c-2) is the leader (epoch 2)" "$COORD_TMP/c-2.log" ||
    ha_fail "c-2 did not log its takeover"
fault_summary 1
coord_log "ok"
