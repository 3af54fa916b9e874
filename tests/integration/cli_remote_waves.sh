#!/usr/bin/env bash
# The coordinator commands against a real shardwave-coordinator (temp store, 24-shard
# fleet file, tokens): fleet, fleet --drift, fleet reload, plan (canary 1 -> 25 % -> rest),
# wave start/list/status/pause/resume/abort/rollback/events, human output and --json,
# and the errors: wrong token (12), read token on operator actions (12), unknown wave
# (3), second wave on busy shards and illegal transitions (4), bad plan and set (2),
# coordinator gone (9).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_remote_lib.sh
source "$here/cli_remote_lib.sh"
unset SHARDWAVE_TOKEN

rc_write_fleet 24
rc_start
SW="$SHARDWAVE"
READ=(--token-file "$RC_TOKENS/read")

# ---- fleet ----------------------------------------------------------------------------
cli_expect 0 "$SW" fleet
assert_eq "$(head -n1 <<<"$CLI_OUT" | tr -s ' ')" "SHARD ENGINE POOL VERSION HEALTH LAST SEEN WAVE LABELS" \
    "fleet header"
assert_eq "$(grep -c '^t-0' <<<"$CLI_OUT")" "24" "fleet lists 24 shards"
assert_eq "$(grep '^t-001 ' <<<"$CLI_OUT" | tr -s ' ')" \
    "t-001 sqlite local 0 unknown never - host=db-1,region=eu,tier=canary" "fleet row of t-001"
assert_contains "$CLI_OUT" "24 shards; versions:" "fleet histogram title"
grep -Eq '^0 +24 +#{40}$' <<<"$CLI_OUT" || cli_fail "histogram row 0 / 24 / full bar"
assert_contains "$CLI_OUT" "drift: 0 shards" "fleet drift count"
cli_expect 0 "$SW" fleet --json "${READ[@]}"
assert_eq "$(rc_json '.shards | length')" "24" "fleet --json shards (read token)"
assert_eq "$(rc_json '.histogram | map("\(.version)=\(.count)") | join(",")')" "0=24" \
    "fleet --json histogram"
cli_expect 0 "$SW" fleet --drift
assert_eq "$CLI_OUT" "no drift: every shard is healthy and at the most common version" "no drift"

# ---- auth -----------------------------------------------------------------------------
cli_expect 12 "$SW" fleet --token-file "$RC_TOKENS/wrong"
assert_contains "$(head -n1 <<<"$CLI_ERR")" "shardwave: " "wrong token message"
assert_not_contains "$CLI_ERR" "$(cat "$RC_TOKENS/wrong")" "the token is never printed"
cli_expect 12 "$SW" fleet --token-file "$RC_TOKENS/agent"
cli_expect 12 "$SW" fleet reload "${READ[@]}"

# ---- plan -----------------------------------------------------------------------------
cat >"$CLI_TMP/plan.conf" <<'PLAN'
name = "cli test";
stages = (
  { name = "canary";  select = "tier=canary"; max_parallel = 1; },
  { name = "quarter"; percent = 25; max_parallel = 2; },
  { name = "rest";    rest = true;  max_parallel = 4; }
);
PLAN
cli_expect 0 "$SW" plan --plan "$CLI_TMP/plan.conf" --migrations "$RC_SET"
[[ $(head -n1 <<<"$CLI_OUT") =~ ^migration\ set\ [0-9a-f]{12}\ \(uploaded\)$ ]] ||
    cli_fail "plan: first line: $(head -n1 <<<"$CLI_OUT")"
assert_contains "$CLI_OUT" "plan: up to version 2, 3 stages" "plan summary"
assert_contains "$CLI_OUT" "stage 1/3 canary: 1 shard"$'\n' "canary stage"
assert_contains "$CLI_OUT" "stage 2/3 quarter: 6 shards" "quarter stage"
assert_contains "$CLI_OUT" "stage 3/3 rest: 17 shards" "rest stage"
assert_eq "$(grep '^  t-001 ' <<<"$CLI_OUT" | tr -s ' ')" " t-001 sqlite db-1 0 2 1,2" "canary row"
cli_expect 0 "$SW" plan --plan "$CLI_TMP/plan.conf" --migrations "$RC_SET" --json
assert_eq "$(rc_json '.stages | map(.shards | length) | join(",")')" "1,6,17" "plan --json sizes"
assert_eq "$(rc_json '.target')" "2" "plan --json target"
cli_expect 0 "$SW" plan --plan "$CLI_TMP/plan.conf" --migrations "$RC_SET"
assert_contains "$(head -n1 <<<"$CLI_OUT")" "(already known)" "second upload is a no-op"
cli_expect 12 "$SW" plan --plan "$CLI_TMP/plan.conf" --migrations "$RC_SET" "${READ[@]}"

printf 'stages = ( { name = "all"; rest = true; max_paralel = 2; } );\n' >"$CLI_TMP/typo.conf"
cli_expect 2 "$SW" plan --plan "$CLI_TMP/typo.conf" --migrations "$RC_SET"
assert_contains "$CLI_ERR" "unknown field 'max_paralel'" "plan file typo"
mkdir "$CLI_TMP/badset"
printf 'SELECT 1;\n' >"$CLI_TMP/badset/V1x__bad.sql"
cli_expect 2 "$SW" plan --plan "$CLI_TMP/plan.conf" --migrations "$CLI_TMP/badset"
assert_contains "$(head -n1 <<<"$CLI_ERR")" "shardwave: migration set $CLI_TMP/badset: " "bad set"
assert_contains "$CLI_ERR" "V1x__bad.sql" "bad set names the file"
cli_expect 3 "$SW" plan --plan "$CLI_TMP/plan.conf" --migrations "$CLI_TMP/nothere"
cli_expect 3 "$SW" plan --plan "$CLI_TMP/nothere.conf" --migrations "$RC_SET"

# ---- wave start, list, status ---------------------------------------------------------
cli_expect 0 "$SW" wave start --plan "$CLI_TMP/plan.conf" --migrations "$RC_SET" --reason JIRA-1
[[ $(head -n1 <<<"$CLI_OUT") =~ ^created\ wave\ (w-[0-9a-z-]+)\ \(migration\ set\ [0-9a-f]{12}\ already\ known\)$ ]] ||
    cli_fail "wave start first line: $(head -n1 <<<"$CLI_OUT")"
wave=${BASH_REMATCH[1]}
assert_contains "$CLI_OUT" "  reason:     JIRA-1" "start prints the reason"
assert_contains "$CLI_OUT" "follow it with: shardwave wave status $wave" "start hint"

cli_expect 4 "$SW" wave start --plan "$CLI_TMP/plan.conf" --migrations "$RC_SET"
assert_contains "$CLI_ERR" "t-001" "shard_busy names the shards"
assert_contains "$CLI_ERR" "$wave" "shard_busy names the wave"

sw_poll 30 rc_wave_is "$wave" running || cli_fail "wave $wave did not start"
cli_expect 0 "$SW" wave list "${READ[@]}"
assert_eq "$(head -n1 <<<"$CLI_OUT" | tr -s ' ')" \
    "WAVE STATE DIR TARGET STAGE DONE CREATED BY CREATED REASON" "list header"
assert_contains "$(grep "^$wave " <<<"$CLI_OUT" | tr -s ' ')" "$wave running up 2 1 0/24 ops-oncall" \
    "list row"
cli_expect 0 "$SW" wave list --state completed
assert_eq "$CLI_OUT" "no waves" "list --state completed"
cli_expect 0 "$SW" wave list --state running --json
assert_eq "$(rc_json '[.waves[].id] | join(",")')" "$wave" "list --state running --json"

cli_expect 0 "$SW" wave status "$wave" "${READ[@]}"
assert_eq "$(head -n1 <<<"$CLI_OUT")" "wave $wave: running" "status first line"
assert_contains "$CLI_OUT" "  stage:      1/3 canary, " "status stage line"
assert_eq "$(grep -E '^#' <<<"$CLI_OUT" | tr -s ' ')" \
    "# STAGE SHARDS PENDING LEASED RUNNING DONE FAILED SKIPPED" "status table header"
grep -Eq '^2 +quarter +6 +6 +0 +0 +0 +0 +0$' <<<"$CLI_OUT" || cli_fail "status quarter row"
grep -Eq '^3 +rest +17 +17 +0 +0 +0 +0 +0$' <<<"$CLI_OUT" || cli_fail "status rest row"
cli_expect 0 "$SW" wave status "$wave" --json
assert_eq "$(rc_json '.id + " " + (.stages | length | tostring) + " " + .plan.stages[1].name')" \
    "$wave 3 quarter" "status --json"
cli_expect 3 "$SW" wave status w-doesnotexist
assert_contains "$CLI_ERR" "w-doesnotexist" "unknown wave named"

# ---- pause, resume, abort, rollback ---------------------------------------------------
cli_expect 12 "$SW" wave pause "$wave" "${READ[@]}"
cli_expect 0 "$SW" wave pause "$wave" --reason "latency up"
assert_contains "$CLI_OUT" "wave $wave: pause; now paused" "pause output"
assert_eq "$(rc_wave_state "$wave")" "paused" "paused after the call returned"
cli_expect 4 "$SW" wave pause "$wave"
assert_eq "$CLI_ERR" "shardwave: wave $wave: wave is paused: cannot pause
hint: the wave is already paused" "pause of a paused wave"
cli_expect 0 "$SW" wave resume "$wave" --json
assert_eq "$(rc_json .id) $(rc_json .state)" "$wave running" "resume --json"
cli_expect 0 "$SW" wave pause "$wave"
cli_expect 0 "$SW" wave resume "$wave" --retry-failed --reason "fixed the grants"
assert_contains "$CLI_OUT" "wave $wave: resume; now running" "resume output"
cli_expect 0 "$SW" --coordinator "$RC_URL" wave abort "$wave" --reason "test done" --cancel-running
assert_contains "$CLI_OUT" "wave $wave: abort; now aborted" "abort output"
cli_expect 4 "$SW" wave resume "$wave"
assert_contains "$(head -n1 <<<"$CLI_ERR")" "cannot resume" "resume of an aborted wave"
cli_expect 4 "$SW" wave rollback "$wave"
cli_expect 3 "$SW" wave pause w-doesnotexist

# ---- events ---------------------------------------------------------------------------
cli_expect 0 "$SW" wave events "$wave" "${READ[@]}"
assert_eq "$(head -n1 <<<"$CLI_OUT" | tr -s ' ')" "ID AT ACTOR KIND CHANGE SHARD MESSAGE" \
    "events header"
assert_contains "$CLI_OUT" "running -> paused" "events: the pause"
assert_contains "$CLI_OUT" "paused -> running" "events: the resume"
assert_contains "$CLI_OUT" "running -> aborted" "events: the abort"
assert_contains "$(grep 'running -> paused' <<<"$CLI_OUT")" "ops-oncall" "events: actor"
assert_contains "$CLI_OUT" "abort by ops-oncall: test done (cancel_running)" \
    "events: the abort records cancel_running"
assert_contains "$CLI_OUT" "resume by ops-oncall: fixed the grants (retry_failed)" \
    "events: the resume records retry_failed"
cli_expect 0 "$SW" wave events "$wave" --json
n_events=$(rc_json '.events | length')
second=$(rc_json '.events[1].id')
cli_expect 0 "$SW" wave events "$wave" --json --after "$second"
assert_eq "$(rc_json '.events | length')" "$((n_events - 2))" "events --after"

# ---- an aborted wave frees its shards; reload keeps removed shards in active waves ------
cli_expect 0 "$SW" wave start --plan "$CLI_TMP/plan.conf" --migrations "$RC_SET"
[[ $(head -n1 <<<"$CLI_OUT") =~ ^created\ wave\ (w-[0-9a-z-]+) ]] || cli_fail "second wave"
wave2=${BASH_REMATCH[1]}
[[ $wave2 != "$wave" ]] || cli_fail "a new wave id"
rc_write_fleet 25 t-024
cli_expect 0 "$SW" fleet reload
assert_contains "$CLI_OUT" "fleet reloaded: 24 shards" "reload count"
assert_contains "$CLI_OUT" "added: 1"$'\n'"  t-025" "reload added"
assert_contains "$CLI_OUT" "removed: 1"$'\n'"  t-024" "reload removed"
assert_contains "$CLI_OUT" "removed but kept in their active waves: 1"$'\n'"  t-024 (wave $wave2)" \
    "reload: removed shard stays in its wave"
cli_expect 0 "$SW" fleet --json
assert_eq "$(rc_json '[.shards[] | select(.id == "t-002") | .active_wave] | join(",")')" "$wave2" \
    "fleet shows the active wave"

# ---- the coordinator is gone ----------------------------------------------------------
rc_stop
cli_expect 9 "$SW" wave list
assert_contains "$CLI_ERR" "cannot reach the coordinator at $RC_URL" "coordinator gone"
cli_log "ok"
