#!/usr/bin/env bash
# The dashboard on several coordinators (docs/dashboard.md, docs/ha.md): two real
# coordinators on a fresh store database of the test PostgreSQL (tests/fault/ha_lib.sh),
# two agents, 8 SQLite shards. The wave's first stage (host h-1: 2 shards) completes and
# bakes for 10 minutes, so the wave stays running. tests/browser/dashboard_ha.js opens the
# follower's page (banner naming the leader, buttons disabled with the reason, a stale
# button's 307 in words), the leader's page through the banner's link (a 503 not_leader in
# words, pause checked through the API), kills the leader (kill -9 of c-1) and checks the
# follower's open page follows the takeover and aborts the wave with cancel_running (its
# operator event records it).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../fault/ha_lib.sh
source "$here/../fault/ha_lib.sh"
# shellcheck source=dashboard_lib.sh
source "$here/dashboard_lib.sh"
dash_require_browser

ha_setup 2 0 8
e2e_write_set "$COORD_TMP/set"
ha_start_pair

ha_start_wave 1 "" '{"name": "dashboard ha", "target": "2", "stages": [
  {"name": "first", "select": "host=h-1", "max_parallel": 2, "bake_seconds": 600},
  {"name": "rest", "rest": true, "max_parallel": 4}]}'
dash_wait_phase baking

SW_LEADER_URL="http://127.0.0.1:${HA_PORTS[1]}" SW_FOLLOWER_URL="http://127.0.0.1:${HA_PORTS[2]}" \
    SW_LEADER_PID=${HA_PIDS[1]} dash_node dashboard_ha.js
# the browser test killed c-1 (kill -9): reap it
wait "${HA_PIDS[1]}" 2>/dev/null || true
HA_PIDS[1]=""
assert_eq "$(ha_role 2)" leader "c-2 after the browser test"
ha_use 2
assert_eq "$(e2e_wave_state)" aborted "the wave after the browser test"
api_expect 200 GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
assert_eq "$(jqr '.events[] | select(.kind == "operator") | .message | select(startswith("abort"))')" \
    "abort by ops-oncall: stuck statements (cancel_running)" "the abort's event"
coord_log "ok"
