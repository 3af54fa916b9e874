#!/usr/bin/env bash
# Regenerates the screenshots in docs/img/ from a real run: a coordinator and two agents
# over 96 SQLite shards, a first wave to version 2, then a canary wave to version 4 (one
# shard of its early ring fails: an index that is already there) followed mid-flight by
# the dashboard, `shardwave fleet` and `shardwave wave status --watch`, then an inventory scan that finds a
# shard changed by hand. Writes docs/img/dashboard-wave.png, dashboard-fleet.png,
# cli-watch.png and cli-fleet.png with the headless chromium of the browser tests
# (deploy/install-deps.sh installs it and tests/browser/node_modules). Then, when
# SW_TEST_PG_DSN names a PostgreSQL server, two coordinators on a fresh store database of
# it (tests/fault/ha_lib.sh) and a wave baking after its first stage: the follower's
# dashboard, docs/img/dashboard-follower.png.
# Usage: tools/screenshots.sh [BUILD_DIR [all|follower]]   (default: build, all; the
# binaries in BUILD_DIR/bin; follower: only dashboard-follower.png)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SW_SOURCE_DIR=$repo
export SW_BIN_DIR=${1:-$repo/build}/bin
which=${2:-all}
[[ $which == all || $which == follower ]] || { echo "usage: $0 [BUILD_DIR [all|follower]]" >&2; exit 2; }
# shellcheck source=../tests/integration/e2e_lib.sh
source "$repo/tests/integration/e2e_lib.sh"
# shellcheck source=../tests/integration/dashboard_lib.sh
source "$repo/tests/integration/dashboard_lib.sh"
SW_TEST_REQUIRE_SERVERS=1 dash_require_browser
command -v script >/dev/null || coord_fail "script (util-linux) is required"
img=$repo/docs/img
SW="$SW_BIN_DIR/shardwave"
shots() { node "$DASH_BROWSER_DIR/screenshots.js" "$@" || coord_fail "screenshots.js $1 failed"; }

if [[ $which == all ]]; then
    n=96
    e2e_setup 0 0 0
    awk -v n=$n -v dir="$COORD_TMP" 'BEGIN {
        print "shards = (" > dir "/fleet.conf"; print "shards = (" > dir "/shards.conf"
        for (i = 1; i <= n; i++) {
            sep = i < n ? "," : ""
            id = sprintf("t-%03d", i)
            ring = i == 1 ? "canary" : (i <= 10 ? "early" : "main")
            printf "  { id = \"%s\"; engine = \"sqlite\"; pool = \"eu\"; labels = { ring = \"%s\"; host = \"db-%d\"; region = \"%s\"; }; }%s\n",
                id, ring, i % 6 + 1, i % 3 ? "eu" : "us", sep > dir "/fleet.conf"
            printf "  { id = \"%s\"; dsn = \"sqlite://%s/%s.db\"; }%s\n", id, dir, id, sep > dir "/shards.conf"
        }
        print ");" > dir "/fleet.conf"; print ");" > dir "/shards.conf"
    }'
    e2e_write_set "$COORD_TMP/set"
    {
        printf "UPDATE users SET status = 'active' WHERE status IS NULL;\n"
        printf '%s\n' '-- the demo backfill takes a moment, so the wave can be watched'
        printf 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000)\n'
        printf 'SELECT count(*) FROM c;\n'
    } >"$COORD_TMP/set/V4__backfill_status.sql"
    printf 'SELECT 1;\n' >"$COORD_TMP/set/U4__backfill_status.sql"
    e2e_start
    coord_upload_set "$COORD_TMP/set"
    E2E_DIGEST=$COORD_DIGEST
    printf '%s\n' "$READ_TOKEN" >"$COORD_TMP/read.token"
    remote=(--coordinator "http://127.0.0.1:$COORD_PORT" --token-file "$COORD_TMP/read.token")

    coord_log "wave 1: every shard to version 2"
    e2e_wave '{"name": "users and status", "target": "2", "stages": [{"name": "all", "rest": true, "max_parallel": 8}]}' \
        "JIRA-4711 users table"
    e2e_wait_state completed

    # t-007 (early ring) already has the index V3 creates: its V3 fails.
    sqlite3 "$COORD_TMP/t-007.db" 'CREATE INDEX users_email ON users (email)'
    coord_log "wave 2: canary, early ring, the rest to version 4"
    e2e_wave '{"name": "index and backfill", "target": "4", "stages": [
      {"name": "canary", "select": "ring=canary", "max_parallel": 1, "bake_seconds": 2},
      {"name": "early", "select": "ring=early", "max_parallel": 3, "max_failures": 1},
      {"name": "main", "rest": true, "max_parallel": 6}]}' "JIRA-4725 email index, status backfill"
    watch_file=$COORD_TMP/watch.typescript
    env -u NO_COLOR script -q -e -c "$(printf '%q ' "$SW" wave status "$E2E_WAVE" --watch "${remote[@]}")" \
        "$watch_file" </dev/null >/dev/null &
    watch_pid=$!
    mid_flight()
    {
        api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
        [[ $(jqr .current_stage) == 2 ]] && (($(jqr .counts.done) >= 40 && $(jqr .counts.running) >= 3))
    }
    deadline=$((SECONDS + 120))
    until mid_flight; do
        ((SECONDS < deadline)) || coord_fail "the wave did not reach its main stage"
        sleep 0.2
    done
    shots wave "http://127.0.0.1:$COORD_PORT" "$OP_TOKEN" "$E2E_WAVE" "$img/dashboard-wave.png"
    # `shardwave fleet` mid-flight; the shard table is cut to its first rows for the picture.
    env -u NO_COLOR script -q -e -c "$(printf '%q ' "$SW" fleet "${remote[@]}")" \
        "$COORD_TMP/fleet.typescript" </dev/null >/dev/null
    awk '/^Script (started|done)/ { next } /^SHARD / { t = 1 } t && /^t-/ { n++; if (n <= 6) print; else if (n == 7) print "..."; next }
        { print }' "$COORD_TMP/fleet.typescript" >"$COORD_TMP/fleet.txt"
    shots ansi "$COORD_TMP/fleet.txt" "shardwave fleet" "$img/cli-fleet.png"
    e2e_wait_state completed
    wait "$watch_pid" || coord_fail "the watch ended with $?"
    # The frame drawn when about half the main stage was done.
    sed 's/\x1b\[[0-9]*A\r/\n@@FRAME@@\n/g; s/\x1b\[[JK]//g' "$watch_file" | tr -d '\r' |
        awk 'BEGIN { RS = "\n@@FRAME@@\n" } { f[NR] = $0 } /main .*\(/ && / 4[0-9]\/86 / && !p { p = 1; print; exit }
            END { if (!p) print f[NR] }' >"$COORD_TMP/watch.frame"
    shots ansi "$COORD_TMP/watch.frame" "shardwave wave status $E2E_WAVE --watch" "$img/cli-watch.png"

    # Someone adds a column by hand on t-042; the inventory scan sees it.
    sqlite3 "$COORD_TMP/t-042.db" 'ALTER TABLE users ADD COLUMN note text'
    api_expect 202 POST /v1/fleet/inventory "$OP_TOKEN" '{}'
    scanned() { api GET /v1/fleet "$READ_TOKEN" && [[ $(jqr '.inventory.pending | length') == 0 ]]; }
    wait_for "the inventory scan" scanned
    shots fleet "http://127.0.0.1:$COORD_PORT" "$READ_TOKEN" "$img/dashboard-fleet.png"
    coord_log "wrote $img/dashboard-wave.png dashboard-fleet.png cli-watch.png cli-fleet.png"
fi

# A follower coordinator's dashboard (docs/ha.md): the banner naming the leader, the
# action buttons disabled with the reason. Its own coordinators, agents and store database
# (a subshell: ha_lib.sh's setup and cleanup are its own).
if [[ -z ${SW_TEST_PG_DSN:-} ]]; then
    coord_log "SW_TEST_PG_DSN is not set: $img/dashboard-follower.png not written"
    exit 0
fi
(
    # shellcheck source=../tests/fault/ha_lib.sh
    source "$repo/tests/fault/ha_lib.sh"
    ha_setup 2 0 12
    e2e_write_set "$COORD_TMP/set"
    ha_start_pair
    ha_start_wave 1 "" '{"name": "users and status", "target": "2", "stages": [
      {"name": "canary", "select": "host=h-1", "max_parallel": 3, "bake_seconds": 600},
      {"name": "rest", "rest": true, "max_parallel": 4}]}' "JIRA-4711 users table"
    dash_wait_phase baking
    shots follower "http://127.0.0.1:${HA_PORTS[2]}" "$OP_TOKEN" "$E2E_WAVE" \
        "$img/dashboard-follower.png"
)
