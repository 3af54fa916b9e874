#!/usr/bin/env bash
# Policy in waves through the CLI, against a real shardwave-coordinator (4 SQLite shards,
# no agents): `shardwave plan` lists each lint finding beside its step and says the wave
# would be refused; `wave start` is refused (exit 4) printing the findings, not JSON;
# --allow-unsafe needs --reason (exit 2) and with one creates the wave, whose events show
# the override with the token name and the reason; a contract-of step is refused (exit 4)
# listing the shards that lack its expand version.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/cli_remote_lib.sh
source "$here/cli_remote_lib.sh"
unset SHARDWAVE_TOKEN

rc_write_fleet 4
rc_start
SW="$SHARDWAVE"
SET="$CLI_TMP/policy-set"
mkdir -p "$SET"
printf 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, status TEXT);\n' \
    >"$SET/V1__create_users.sql"
printf 'DROP TABLE users;\n' >"$SET/U1__create_users.sql"
printf 'ALTER TABLE users DROP COLUMN status;\n' >"$SET/V2__drop_status.sql"
printf 'ALTER TABLE users ADD COLUMN contact TEXT;\n' >"$SET/V3__add_contact.sql"
cat >"$CLI_TMP/plan.conf" <<'PLAN'
name = "policy";
stages = ( { name = "all"; rest = true; max_parallel = 4; } );
PLAN
DROP_LINE="V2__drop_status.sql:1 (sqlite) drop-column destructive error, unsafe: drops column users.status"

# ---- plan: every finding beside its step --------------------------------------------
cli_expect 0 "$SW" plan --plan "$CLI_TMP/plan.conf" --migrations "$SET"
findings=$(sed -n '/^findings (/,/^policy: /p' <<<"$CLI_OUT")
assert_eq "$(head -n 4 <<<"$findings")" "findings (1):
  step 2 (sqlite):
    $DROP_LINE
        statement: ALTER TABLE users DROP COLUMN status" "plan: the finding beside step 2"
assert_contains "$findings" "        why: " "plan: why it hurts"
assert_contains "$findings" "        safe: expand/contract" "plan: the safe way"
assert_contains "$findings" "  2 steps without findings" "plan: clean steps counted"
assert_eq "$(grep -A2 '^policy: ' <<<"$CLI_OUT")" "policy: 1 unsafe finding: 'wave start' refuses this wave (unsafe_migration);
  use the safe form or acknowledge each in its file, or start it with
  --allow-unsafe --reason TEXT" "plan: what it means"
cli_expect 0 "$SW" plan --plan "$CLI_TMP/plan.conf" --migrations "$SET" --json
assert_eq "$(rc_json '.lint.unsafe')" 1 "plan --json: unsafe"
assert_eq "$(rc_json '.lint.findings | map("\(.version) \(.rule) \(.unsafe)") | join(",")')" \
    "2 drop-column true" "plan --json: findings"

# ---- wave start is refused, with the findings printed --------------------------------
cli_expect 4 "$SW" wave start --plan "$CLI_TMP/plan.conf" --migrations "$SET" --reason JIRA-9
assert_eq "$(head -n 2 <<<"$CLI_ERR")" "findings that refuse the wave (1):
  $DROP_LINE" "refusal: findings on stderr"
assert_contains "$CLI_ERR" \
    "shardwave: 1 unacknowledged destructive or locking finding in the steps this wave runs: V2__drop_status.sql:1 drop-column destructive error (sqlite)" \
    "refusal: message"
assert_contains "$CLI_ERR" "hint: " "refusal: hint"
assert_contains "$CLI_ERR" "--allow-unsafe --reason TEXT" "refusal: hint names the option"
assert_not_contains "$CLI_ERR" "rule=" "refusal: no raw detail dump"
cli_expect 0 "$SW" wave list
assert_eq "$CLI_OUT" "no waves" "nothing created"

# ---- --allow-unsafe needs --reason; with one the wave is created and audited ---------
cli_expect 2 "$SW" wave start --plan "$CLI_TMP/plan.conf" --migrations "$SET" --allow-unsafe
assert_contains "$CLI_ERR" "wave start: --reason TEXT (with --allow-unsafe) is required" \
    "allow-unsafe without reason"
cli_expect 2 "$SW" wave list --allow-unsafe
assert_contains "$CLI_ERR" "option '--allow-unsafe' does not apply here" "allow-unsafe on list"
REASON="JIRA-9 status unused since app 4.2"
cli_expect 0 "$SW" wave start --plan "$CLI_TMP/plan.conf" --migrations "$SET" --allow-unsafe \
    --reason "$REASON" --json
WAVE=$(rc_json .id)
assert_eq "$(rc_json .reason)" "$REASON" "the wave's reason"
cli_expect 0 "$SW" wave events "$WAVE" --json
assert_eq "$(rc_json '.events[] | select(.kind == "operator") | "\(.actor): \(.message)"')" \
    "ops-oncall: allow_unsafe: 1 unacknowledged finding: V2__drop_status.sql:1 drop-column destructive error (sqlite); reason: $REASON" \
    "override event"
cli_expect 0 "$SW" wave events "$WAVE"
assert_contains "$(grep ' operator ' <<<"$CLI_OUT")" "allow_unsafe: 1 unacknowledged finding" \
    "events table shows the override"
cli_expect 0 "$SW" wave abort "$WAVE" --reason "policy test done"
sw_poll 30 rc_wave_is "$WAVE" aborted || cli_fail "wave $WAVE not aborted"

# ---- a contract-of step while the fleet lacks its expand version -----------------------
cat >"$SET/V4__drop_email.sql" <<'SQL'
-- shardwave: contract-of 3
-- shardwave: destructive-ok the application reads contact since 4.3
ALTER TABLE users DROP COLUMN email;
SQL
LAGGING="version 4 is the contract of 3: 4 shards of the fleet have not applied 3: t-001 (at 0, unknown), t-002 (at 0, unknown), t-003 (at 0, unknown), t-004 (at 0, unknown)"
cli_expect 4 "$SW" plan --plan "$CLI_TMP/plan.conf" --migrations "$SET"
assert_contains "$CLI_ERR" "shardwave: $LAGGING" "plan: contract refusal"
assert_contains "$CLI_ERR" "hint: first bring every shard to 3" "plan: contract hint"
cli_expect 4 "$SW" wave start --plan "$CLI_TMP/plan.conf" --migrations "$SET" --allow-unsafe \
    --reason "$REASON"
assert_eq "$(head -n 5 <<<"$CLI_ERR")" "shards without 3 (4):
  t-001 at 0 (unknown)
  t-002 at 0 (unknown)
  t-003 at 0 (unknown)
  t-004 at 0 (unknown)" "wave start: lagging shards"
assert_contains "$CLI_ERR" "shardwave: $LAGGING" "wave start: contract message"
cli_log "ok"
