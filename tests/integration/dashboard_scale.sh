#!/usr/bin/env bash
# The dashboard with 2,000 shards (tests/browser/dashboard_scale.js): a real coordinator
# and two real agents over 2,000 SQLite shards. The page renders the whole wave first;
# then the agents start, the wave's first stage (40 shards, label batch=first) runs while
# the page follows it, and bakes for 10 minutes. The browser test prints the time to the
# first full render and the script time per update, and checks every cell against the
# API once the stage has finished.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"
# shellcheck source=dashboard_lib.sh
source "$here/dashboard_lib.sh"
dash_require_browser

n=2000
first=40
e2e_setup 0 0 0
# The fleet, written in one pass (e2e_setup's per-shard loop is for small fleets).
awk -v n=$n -v first=$first -v dir="$COORD_TMP" 'BEGIN {
    print "shards = (" > dir "/fleet.conf"; print "shards = (" > dir "/shards.conf"
    for (i = 1; i <= n; i++) {
        sep = i < n ? "," : ""
        id = sprintf("t-%04d", i)
        printf "  { id = \"%s\"; engine = \"sqlite\"; pool = \"eu\"; labels = { batch = \"%s\"; host = \"h-%d\"; }; }%s\n",
            id, i <= first ? "first" : "rest", i % 8 + 1, sep > dir "/fleet.conf"
        printf "  { id = \"%s\"; dsn = \"sqlite://%s/%s.db\"; }%s\n", id, dir, id, sep > dir "/shards.conf"
    }
    print ");" > dir "/fleet.conf"; print ");" > dir "/shards.conf"
}'
e2e_write_set "$COORD_TMP/set"
# V2 takes a moment on SQLite (a counting query), so the stage spans several polls.
{
    printf 'ALTER TABLE users ADD COLUMN status varchar(20);\n'
    printf 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)\n'
    printf 'SELECT count(*) FROM c;\n'
} >"$COORD_TMP/set/V2__add_status.sqlite.sql"
coord_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "dashboard at scale", "target": "2", "stages": [
  {"name": "first", "select": "batch=first", "max_parallel": 4, "bake_seconds": 600},
  {"name": "rest", "rest": true, "max_parallel": 8}]}'

# The agents start once the page has rendered the grid.
ready=$COORD_TMP/rendered
SW_N_SHARDS=$n SW_FIRST=$first SW_READY_FILE=$ready dash_node dashboard_scale.js &
node_pid=$!
wait_for "the page's first render" test -e "$ready"
for i in 1 2; do
    "$AGENT_BIN" --config "$COORD_TMP/agent-$i.conf" >>"$COORD_TMP/agent-$i.log" 2>&1 &
    E2E_AGENT_PIDS+=($!)
done
wait "$node_pid" || e2e_fail "dashboard_scale.js failed"
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr .counts.done) $(jqr .stage_phase)" "$first baking" "the wave after the browser test"
coord_log "ok"
