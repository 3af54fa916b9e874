#!/usr/bin/env bash
# Policy in waves, against a real coordinator and two real agents over 6 SQLite shards:
#  - an unacknowledged destructive step (DROP COLUMN) refuses the wave: 409
#    unsafe_migration with the linter's findings; the plan dry run lists the finding;
#  - allow_unsafe needs a reason; with one the wave runs and its events record an
#    `operator` event with the token name, the finding and the reason;
#  - a `contract-of 3` step is refused (409 contract_not_ready, the lagging shards listed)
#    while any shard of the fleet (also outside the wave's scope) lacks 3, allow_unsafe
#    does not override that, and it is accepted once a first wave brought every shard to 3.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_setup 0 0 6
e2e_start

SET1="$COORD_TMP/set1"
mkdir -p "$SET1"
printf 'CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) NOT NULL, status varchar(20));\n' \
    >"$SET1/V1__create_users.sql"
printf 'DROP TABLE users;\n' >"$SET1/U1__create_users.sql"
printf 'ALTER TABLE users DROP COLUMN status;\n' >"$SET1/V2__drop_status.sql"
coord_upload_set "$SET1"
E2E_DIGEST=$COORD_DIGEST
PLAN='{"name": "all", "stages": [{"name": "all", "rest": true, "max_parallel": 6}]}'

wave_body()
{ # wave_body DIGEST PLAN_JSON EXTRA_JSON
    jq -cn --arg d "$1" --argjson p "$2" --argjson x "$3" '{migration_set: $d, plan: $p} + $x'
}

# ---- the dry run lists the finding beside its step ----------------------------------
api_expect 200 POST /v1/plans "$READ_TOKEN" "$(wave_body "$E2E_DIGEST" "$PLAN" '{}')"
assert_eq "$(jqr .lint.unsafe)" 1 "plan: unsafe findings"
assert_eq "$(jqr '.lint.findings | length')" 1 "plan: findings"
assert_eq "$(jqr '.lint.findings[0] | [.rule, .class, .severity, .engine, .file, .version, .line, .unsafe, .acknowledged] | map(tostring) | join(" ")')" \
    "drop-column destructive error sqlite V2__drop_status.sql 2 1 true false" "plan: the finding"
assert_eq "$(jqr '.contracts | length')" 0 "plan: no contract steps"

# ---- the wave is refused with the findings -----------------------------------------
api_expect 409 POST /v1/waves "$OP_TOKEN" "$(wave_body "$E2E_DIGEST" "$PLAN" '{"reason": "JIRA-7"}')"
assert_eq "$(jqr .error.code)" unsafe_migration "refusal code"
assert_eq "$(jqr .error.message)" \
    "1 unacknowledged destructive or locking finding in the steps this wave runs: V2__drop_status.sql:1 drop-column destructive error (sqlite)" \
    "refusal message"
assert_contains "$(jqr .error.hint)" "--allow-unsafe --reason TEXT" "refusal hint"
assert_eq "$(jqr '.error.findings | length')" 1 "refusal findings"
assert_eq "$(jqr '.error.findings[0] | [.rule, .class, .file, .version, .line, .statement, .unsafe] | map(tostring) | join("|")')" \
    "drop-column|destructive|V2__drop_status.sql|2|1|ALTER TABLE users DROP COLUMN status|true" \
    "refused finding"
api_expect 200 GET /v1/waves "$READ_TOKEN"
assert_eq "$(jqr '.waves | length')" 0 "no wave after the refusal"

# ---- allow_unsafe needs a reason ---------------------------------------------------
api_expect 400 POST /v1/waves "$OP_TOKEN" "$(wave_body "$E2E_DIGEST" "$PLAN" '{"allow_unsafe": true}')"
assert_eq "$(jqr .error.code)" invalid_request "allow_unsafe without reason"
assert_eq "$(jqr .error.message)" "allow_unsafe needs a non-empty reason" "allow_unsafe message"
api_expect 400 POST /v1/waves "$OP_TOKEN" \
    "$(wave_body "$E2E_DIGEST" "$PLAN" '{"allow_unsafe": true, "reason": ""}')"
assert_eq "$(jqr .error.message)" "allow_unsafe needs a non-empty reason" "empty reason"
api_expect 400 POST /v1/waves "$OP_TOKEN" \
    "$(wave_body "$E2E_DIGEST" "$PLAN" '{"allow_unsafe": "yes", "reason": "x"}')"
assert_eq "$(jqr .error.code)" invalid_request "allow_unsafe must be a boolean"
api_expect 403 POST /v1/waves "$READ_TOKEN" \
    "$(wave_body "$E2E_DIGEST" "$PLAN" '{"allow_unsafe": true, "reason": "x"}')"

# ---- with a reason it runs, and the events say who and why -------------------------
REASON="JIRA-7: status is unused since app 4.2"
api_expect 201 POST /v1/waves "$OP_TOKEN" \
    "$(wave_body "$E2E_DIGEST" "$PLAN" "$(jq -cn --arg r "$REASON" '{allow_unsafe: true, reason: $r}')")"
E2E_WAVE=$(jqr .id)
assert_eq "$(jqr .reason)" "$REASON" "the wave's reason"
e2e_wait_state completed
for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_version "$id")" 2 "shard $id after the unsafe wave"
    assert_eq "$(e2e_sql "$id" "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'status'")" \
        0 "status column dropped on $id"
done
api_expect 200 GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
assert_eq "$(jqr '[.events[] | select(.kind == "operator")] | length')" 1 "operator events"
assert_eq "$(jqr '.events[] | select(.kind == "operator") | .actor')" ops-oncall "override actor"
assert_eq "$(jqr '.events[] | select(.kind == "operator") | .message')" \
    "allow_unsafe: 1 unacknowledged finding: V2__drop_status.sql:1 drop-column destructive error (sqlite); reason: $REASON" \
    "override event"
assert_eq "$(jqr '.events[0] | [.kind, .actor, .message] | join("|")')" "created|ops-oncall|$REASON" \
    "created event"
assert_eq "$(jqr '[.events[] | .kind] | index("operator")')" 1 "the override right after created"

# ---- expand/contract: contract-of 3 waits for every shard of the fleet ---------------
SET2="$COORD_TMP/set2"
mkdir -p "$SET2"
cp "$SET1"/V1__create_users.sql "$SET1"/U1__create_users.sql "$SET1"/V2__drop_status.sql "$SET2/"
printf 'ALTER TABLE users ADD COLUMN contact varchar(200);\n' >"$SET2/V3__add_contact.sql"
printf 'ALTER TABLE users DROP COLUMN contact;\n' >"$SET2/U3__add_contact.sql"
cat >"$SET2/V4__drop_email.sql" <<'SQL'
-- shardwave: contract-of 3
-- shardwave: destructive-ok the application reads contact since 4.3
ALTER TABLE users DROP COLUMN email;
SQL
coord_upload_set "$SET2"
E2E_DIGEST=$COORD_DIGEST
CANARY='{"name": "canary", "scope": "tier=canary", "stages": [{"name": "canary", "rest": true}]}'
LAGGING_ALL="sqlite-01 (at 2), sqlite-02 (at 2), sqlite-03 (at 2), sqlite-04 (at 2), sqlite-05 (at 2), sqlite-06 (at 2)"

# expand and contract in one wave: every shard lags
api_expect 409 POST /v1/plans "$READ_TOKEN" "$(wave_body "$E2E_DIGEST" "$PLAN" '{}')"
assert_eq "$(jqr .error.code)" contract_not_ready "plan: contract code"
assert_eq "$(jqr .error.message)" \
    "version 4 is the contract of 3: 6 shards of the fleet have not applied 3: $LAGGING_ALL" \
    "plan: contract message"
assert_eq "$(jqr '[.error.version, .error.contract_of] | join(" ")')" "4 3" "contract details"
assert_eq "$(jqr '.error.lagging | map("\(.id)=\(.version)/\(.health)") | join(" ")')" \
    "sqlite-01=2/ok sqlite-02=2/ok sqlite-03=2/ok sqlite-04=2/ok sqlite-05=2/ok sqlite-06=2/ok" \
    "lagging shards"
# allow_unsafe does not override a contract that is not ready
api_expect 409 POST /v1/waves "$OP_TOKEN" \
    "$(wave_body "$E2E_DIGEST" "$PLAN" '{"allow_unsafe": true, "reason": "hurry"}')"
assert_eq "$(jqr .error.code)" contract_not_ready "allow_unsafe and a contract"

# the expand on the canary only
e2e_wave "$(jq -c '. + {target: "3"}' <<<"$CANARY")" "expand on the canary"
e2e_wait_state completed
assert_eq "$(e2e_version sqlite-01)" 3 "canary expanded"
# the contract on the canary alone is still refused: the rest of the fleet lags
api_expect 409 POST /v1/waves "$OP_TOKEN" "$(wave_body "$E2E_DIGEST" "$CANARY" '{"reason": "contract"}')"
assert_eq "$(jqr .error.code)" contract_not_ready "contract on the canary"
assert_eq "$(jqr '.error.lagging | map(.id) | join(" ")')" \
    "sqlite-02 sqlite-03 sqlite-04 sqlite-05 sqlite-06" "shards outside the wave lag"

# the expand everywhere, then the contract is accepted
e2e_wave "$(jq -c '. + {target: "3"}' <<<"$PLAN")" "expand on the rest"
e2e_wait_state completed
api_expect 200 POST /v1/plans "$READ_TOKEN" "$(wave_body "$E2E_DIGEST" "$PLAN" '{}')"
assert_eq "$(jqr '.contracts | map("\(.version) of \(.contract_of): \(.lagging | length)") | join(",")')" \
    "4 of 3: 0" "plan: ready contract"
assert_eq "$(jqr .lint.unsafe)" 0 "plan: acknowledged contract is safe"
assert_eq "$(jqr '.lint.findings[0] | [.rule, .acknowledged, .ack_directive, .unsafe] | map(tostring) | join(" ")')" \
    "drop-column true destructive-ok false" "plan: acknowledged finding"
assert_contains "$(jqr '.explain | join("\n")')" \
    "version 4 is the contract of 3: all 6 shards of the fleet have applied 3" "plan: explain"
e2e_wave "$PLAN" "contract"
e2e_wait_state completed
for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_version "$id")" 4 "shard $id after the contract"
done
api_expect 200 GET "/v1/waves/$E2E_WAVE/events" "$READ_TOKEN"
assert_eq "$(jqr '[.events[] | select(.kind == "operator")] | length')" 0 "no override needed"
coord_stop # exit status 0: also no leak reports from a sanitizer build
coord_log "ok"
