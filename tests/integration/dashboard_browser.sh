#!/usr/bin/env bash
# The dashboard in headless Chromium (tests/browser/dashboard_flow.js) against a real
# coordinator and two real agents over 12 SQLite shards. The wave's first stage (host
# h-1: 4 shards, one failure allowed) runs, one shard fails (its database already has the
# users table), and the stage bakes for 10 minutes: the wave stays running. The browser
# test logs in, reads the grid, is refused (401, 403, 409 in words), pauses and resumes the
# wave (checked through the API) and saves screenshots in dashboard_browser/ under the
# ctest build dir.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"
# shellcheck source=dashboard_lib.sh
source "$here/dashboard_lib.sh"
dash_require_browser

e2e_setup 0 0 12 3
e2e_write_set "$COORD_TMP/set"
sqlite3 "$COORD_TMP/sqlite-04.db" 'CREATE TABLE users (id integer)'
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "dashboard", "target": "2", "stages": [
  {"name": "first", "select": "host=h-1", "max_parallel": 4, "max_failures": 1, "bake_seconds": 600},
  {"name": "rest", "rest": true, "max_parallel": 4}]}'
dash_wait_phase baking
assert_eq "$(jqr .counts.done) $(jqr .counts.failed)" "3 1" "first stage: done and failed"

SW_N_SHARDS=12 SW_FAILING_SHARD=sqlite-04 SW_AGENT_TOKEN="$AGENT_TOKEN-1" dash_node dashboard_flow.js
assert_eq "$(e2e_wave_state)" running "the wave after the browser test"
coord_log "ok"
