#!/usr/bin/env bash
# `shardwave fleet scan` and `shardwave fleet --drift` end to end: a real coordinator and
# two real agents over SQLite shards (plus PostgreSQL and MariaDB shards when the test
# servers are there). A wave started with the CLI takes every shard to version 3; one
# shard's schema is then changed by hand. `fleet scan --wait` runs the read-only inventory
# scan on the agents, waits until every shard reported and lists exactly that shard as
# drifting, with the fingerprint reason. Then one shard's history gets an edited checksum
# and another an unknown version: the next scan names them with their reasons (and two
# MariaDB shards that differ with no majority are both listed). With the
# agents stopped, `scan --wait` gives up after --wait-timeout naming the silent shards.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

SHARDWAVE="$SW_BIN_DIR/shardwave"
[[ -x $SHARDWAVE ]] || coord_fail "$SHARDWAVE is not built"

# Runs the CLI; CLI_RC, CLI_OUT (stdout) and CLI_ERR (stderr).
sw()
{
    CLI_RC=0
    CLI_OUT=$("$SHARDWAVE" "$@" 2>"$COORD_TMP/cli.err") || CLI_RC=$?
    CLI_ERR=$(cat "$COORD_TMP/cli.err")
}

sw_expect()
{
    local want=$1
    shift
    sw "$@"
    [[ $CLI_RC == "$want" ]] ||
        e2e_fail "shardwave $*: expected exit $want, got $CLI_RC; stdout: $CLI_OUT; stderr: $CLI_ERR"
}

n_pg=0
n_my=0
[[ -n ${SW_TEST_PG_DSN:-} ]] && n_pg=3
[[ -n ${SW_TEST_MYSQL_DSN:-} ]] && n_my=2
e2e_setup "$n_pg" "$n_my" 3
e2e_write_set "$COORD_TMP/set"
e2e_start
printf '%s\n' "$OP_TOKEN" >"$COORD_TMP/op.token"
chmod 600 "$COORD_TMP/op.token"
export SHARDWAVE_COORDINATOR="http://127.0.0.1:$COORD_PORT"
export SHARDWAVE_TOKEN_FILE="$COORD_TMP/op.token"
n_shards=${#E2E_SHARDS[@]}

# usage: --wait belongs to scan, --drift does not
sw_expect 2 fleet --wait
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: fleet: option '--wait' does not apply here" \
    "fleet --wait"
sw_expect 2 fleet scan --drift
assert_eq "$(head -n1 <<<"$CLI_ERR")" "shardwave: fleet scan: option '--drift' does not apply here" \
    "fleet scan --drift"
sw_expect 2 fleet scan --wait-timeout soon
assert_eq "$(head -n1 <<<"$CLI_ERR")" \
    "shardwave: fleet: --wait-timeout: 'soon' is not a whole number" "fleet scan --wait-timeout soon"

# the wave, with the CLI
cat >"$COORD_TMP/plan.json" <<'PLAN'
{"name": "all", "stages": [{"name": "all", "rest": true, "max_parallel": 8}]}
PLAN
sw_expect 0 wave start --plan "$COORD_TMP/plan.json" --migrations "$COORD_TMP/set" --json
E2E_WAVE=$(jq -r .id <<<"$CLI_OUT")
digest=$(jq -r .migration_set <<<"$CLI_OUT")
e2e_wait_state completed
sw_expect 0 fleet --drift
assert_eq "$CLI_OUT" \
    "no drift: every shard is healthy and at the most common version" \
    "drift before the scan"

edited=sqlite-02
((n_pg > 0)) && edited=pg-02
e2e_sql "$edited" "ALTER TABLE users ADD COLUMN added_by_hand integer" >/dev/null

sw_expect 0 fleet scan --wait
assert_eq "$(head -n1 <<<"$CLI_OUT")" \
    "inventory scan queued for $n_shards shards; migrations compared with set ${digest:0:12}" \
    "scan: first line"
assert_contains "$CLI_OUT" "every shard reported ($n_shards shards)" "scan --wait"
rows=$(sed -n '/^SHARD /,$p' <<<"$CLI_OUT" | tail -n +2)
assert_eq "$(awk '{print $1}' <<<"$rows")" "$edited" "drifting shards in the table"
assert_eq "$(awk '{print $2, $3}' <<<"$rows")" "3 ok" "the edited shard's version and health"
assert_contains "$rows" "schema fingerprint differs from the other shards at this version" \
    "the edited shard's reason"

sw_expect 0 fleet --drift --json
assert_eq "$(jq -c '[.drift[] | [.id, .version, .health, .reasons]]' <<<"$CLI_OUT")" \
    "[[\"$edited\",\"3\",\"ok\",[\"fingerprint\"]]]" "drift JSON"
assert_eq "$(jq -c '.inventory' <<<"$CLI_OUT")" "{\"pending\":[],\"reference_set\":\"$digest\"}" \
    "inventory state"
assert_eq "$(jq -r '[.shards[] | select(.fingerprint == null)] | length' <<<"$CLI_OUT")" 0 \
    "every shard has a fingerprint"

# an edited migration (the history's checksum of version 2 differs from the set) and an
# unknown one (version 2.5 is not in the set); neither changes the schema
e2e_sql sqlite-03 "UPDATE shardwave_schema_history SET checksum = '$(printf '0%.0s' {1..64})'
    WHERE version = '2' AND direction = 'up'"
e2e_sql sqlite-01 "INSERT INTO shardwave_schema_history (version, description, direction,
    script, checksum, state, agent, started_at, finished_at, duration_ms, stmt_done,
    stmt_total) SELECT '2.5', 'by hand', direction, 'V2_5__by_hand.sql', checksum, state,
    'someone', started_at, finished_at, duration_ms, stmt_done, stmt_total
    FROM shardwave_schema_history WHERE version = '2' AND direction = 'up'"

# two MariaDB shards that differ: no majority says which one is right, both are listed
tie='[]'
if ((n_my > 0)); then
    e2e_sql mysql-02 "ALTER TABLE users ADD COLUMN added_by_hand integer" >/dev/null
    tie='[["mysql-01", ["fingerprint"], [], []], ["mysql-02", ["fingerprint"], [], []]]'
fi

sw_expect 0 fleet scan --wait --json
assert_eq "$(jq -c '.inventory.pending' <<<"$CLI_OUT")" "[]" "nothing pending after --wait"
got=$(jq -c '[.drift[] | [.id, .reasons, .unknown_migrations, .edited_migrations]] | sort' \
    <<<"$CLI_OUT")
want=$(jq -c -n --arg e "$edited" --argjson tie "$tie" '[[$e, ["fingerprint"], [], []],
    ["sqlite-01", ["unknown_migrations"], ["2.5"], []],
    ["sqlite-03", ["edited_migrations"], [], ["2"]]] + $tie | sort')
assert_eq "$got" "$want" "drift after the history edits"
if ((n_my > 0)); then
    assert_eq "$(jq -r '.drift[] | select(.id == "mysql-01") | .reason' <<<"$CLI_OUT")" \
        "schema fingerprints of the shards at this version disagree with no majority (compare them)" \
        "tie reason"
fi
n_drift=$(jq '.drift | length' <<<"$CLI_OUT")
sw_expect 0 fleet --drift
assert_contains "$(grep '^sqlite-01 ' <<<"$CLI_OUT")" \
    "applied versions not in the migration set: 2.5" "unknown migration reason"
assert_contains "$(grep '^sqlite-03 ' <<<"$CLI_OUT")" \
    "applied versions whose checksum differs from the migration set: 2" "edited migration reason"
sw_expect 0 fleet
assert_contains "$CLI_OUT" "drift: $n_drift shards (see 'shardwave fleet --drift')" "fleet summary"

# no agent: the scan is queued but nobody reports
for p in "${E2E_AGENT_PIDS[@]}"; do
    kill -TERM "$p"
    wait "$p" || e2e_fail "agent $p exited with $? after SIGTERM"
done
E2E_AGENT_PIDS=()
sw_expect 0 fleet scan --json
assert_eq "$(jq -c . <<<"$CLI_OUT")" "{\"queued\":$n_shards,\"reference_set\":\"$digest\"}" \
    "scan without agents: queued"
sw_expect 7 fleet scan --wait-timeout 1
assert_eq "$(sed -n 1p <<<"$CLI_OUT")" \
    "inventory scan queued for 0 shards; migrations compared with set ${digest:0:12}" \
    "second scan queues nothing new"
first=$(printf '%s\n' "${E2E_SHARDS[@]}" | sort | head -n1)
assert_contains "$(head -n1 <<<"$CLI_ERR")" \
    "shardwave: fleet scan: $n_shards shards did not report within 1 s: $first, " "timeout message"
assert_contains "$CLI_ERR" "hint: is an agent of their pool running" "timeout hint"
coord_log "ok"
