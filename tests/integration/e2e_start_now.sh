#!/usr/bin/env bash
# A new wave starts without waiting for a scheduler tick: with tick_ms = 60 s (and no
# tick due for a minute after the coordinator's first one), creating the wave kicks the
# scheduler, whose tick takes it pending -> running and, because that tick changed the
# wave, ticks it again at once to dispatch its shards; agents' reports drive the rest.
# Every shard must be done well before the next regular tick could have happened.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 0 0 4
sed -i 's/^tick_ms = .*/tick_ms = 60000;/; s/^lease_ttl_s = .*/lease_ttl_s = 120;/' \
    "$COORD_TMP/coordinator.conf"
e2e_write_set "$COORD_TMP/set"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
# the coordinator's first tick ran at startup; the next regular one is a minute away
e2e_wave '{"name": "now", "stages": [{"name": "all", "rest": true, "max_parallel": 4}]}'
deadline=$((SECONDS + 30))
while :; do
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    [[ $(jqr .counts.done) == 4 ]] && break
    ((SECONDS < deadline)) || e2e_fail "after 30 s: state $(jqr .state), counts $(jq -c .counts <<<"$API_BODY")"
    sleep 0.1
done
[[ $(jqr .state) == running || $(jqr .state) == completed ]] || e2e_fail "wave state $(jqr .state)"
for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_version "$id")" 3 "version of $id"
done
coord_log "ok"
