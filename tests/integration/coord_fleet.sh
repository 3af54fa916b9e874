#!/usr/bin/env bash
# Fleet reloads through the API and SIGHUP: added and removed shards are reported, a
# removed shard stays in its active wave, registered shards survive reloads, and wave
# state is untouched.
source "$(dirname "${BASH_SOURCE[0]}")/coord_lib.sh"

coord_setup 24
coord_start
coord_upload_set "$COORD_TMP/set"
canary_plan='{"stages": [{"name": "canary", "select": "tier=canary", "max_parallel": 1}]}'
api_expect 201 POST /v1/waves "$OP_TOKEN" \
    "{\"migration_set\": \"$COORD_DIGEST\", \"plan\": $canary_plan}"
wave=$(jqr .id)

# ---- register a shard through the API
api_expect 201 PUT /v1/fleet/shards/x-100 "$OP_TOKEN" \
    '{"engine": "pg", "pool": "us", "labels": {"tier": "main", "host": "db-9"}}'
assert_eq "$(jqr .id)" x-100 "registered id"
api_expect 200 PUT /v1/fleet/shards/x-100 "$OP_TOKEN" '{"engine": "pg", "pool": "us"}'
api_expect 400 PUT /v1/fleet/shards/x-101 "$OP_TOKEN" '{"engine": "oracle"}'
assert_eq "$(jqr .error.code)" invalid_request "unknown engine"

# ---- API reload: t-001 (in the active wave) and t-024 removed, t-025 added
coord_write_fleet 25 t-001
sed -i '/"t-024"/d' "$COORD_TMP/fleet.conf"
api_expect 200 POST /v1/fleet/reload "$OP_TOKEN"
assert_eq "$(jqr '.added | join(",")')" t-025 "added"
assert_eq "$(jqr '.removed | join(",")')" t-001,t-024 "removed"
assert_eq "$(jqr '.removed_in_active_wave[0].id')" t-001 "removed shard in an active wave"
assert_eq "$(jqr '.removed_in_active_wave[0].wave')" "$wave" "its wave"
api_expect 200 GET "/v1/waves/$wave" "$READ_TOKEN"
assert_eq "$(jqr '.stages[0].shards[0].id')" t-001 "removed shard stays in its wave"
api_expect 200 GET /v1/fleet "$READ_TOKEN"
ids=$(jqr '[.shards[].id] | join(",")')
assert_contains "$ids" "x-100" "registered shard survives the reload"
assert_contains "$ids" "t-025" "added shard listed"
[[ $ids != *t-024* ]] || coord_fail "removed shard t-024 still listed"

# ---- SIGHUP: t-024 back
coord_write_fleet 25 t-001
kill -HUP "$COORD_PID"
# The store commit becomes visible to the API a moment before the log line is written:
# wait for both, never check one right after seeing the other.
sighup_reloaded()
{
    api GET /v1/fleet "$READ_TOKEN"
    [[ $(jqr '[.shards[].id] | index("t-024")') != null ]] &&
        grep -q "fleet reloaded by SIGHUP" "$COORD_LOG"
}
wait_for "SIGHUP to reload the fleet (and log it)" sighup_reloaded
api_expect 200 GET "/v1/waves/$wave" "$READ_TOKEN"
state=$(jqr .state)
[[ $state == pending || $state == running ]] || coord_fail "wave state after SIGHUP: $state"

# ---- a bad fleet file is refused and the stored fleet stays
echo 'shards = ( { id = "bad id"; } );' >"$COORD_TMP/fleet.conf"
api_expect 400 POST /v1/fleet/reload "$OP_TOKEN"
assert_contains "$(jqr .error.message)" "fleet.conf" "error cites the file"
api_expect 200 GET /v1/fleet "$READ_TOKEN"
assert_contains "$(jqr '[.shards[].id] | join(",")')" "t-024" "fleet kept after a bad reload"

coord_stop
coord_log "ok"
