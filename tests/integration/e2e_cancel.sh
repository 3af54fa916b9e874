#!/usr/bin/env bash
# `shardwave wave abort ID --cancel-running` end to end: 2 PostgreSQL + 2 MariaDB + 2
# SQLite shards; V2 runs pg_sleep(60) on PostgreSQL and SLEEP(60) on MariaDB. The first
# stage (pg-01 and mysql-01) starts, both statements are seen running on the servers, and
# the wave is aborted with --cancel-running through the CLI. The agents cancel the
# statements (PQcancel / KILL QUERY) long before the 60 s would have passed: the wave is
# aborted, pg-01's V2 rolled back (history: failed, version 1), mysql-01 is reported as
# its history says (failed or dirty, and the coordinator's health agrees), and no shard
# of the second stage has a history row.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

SHARDWAVE="$SW_BIN_DIR/shardwave"
[[ -x $SHARDWAVE ]] || coord_fail "$SHARDWAVE is not built"

e2e_setup 2 2 2 6 # one host label per shard: h-1 pg-01, h-3 mysql-01
set_dir="$COORD_TMP/set"
mkdir -p "$set_dir"
printf 'CREATE TABLE users (id integer PRIMARY KEY, email varchar(200) NOT NULL);\n' \
    >"$set_dir/V1__create_users.sql"
printf -- '-- only PostgreSQL and MariaDB are slow\nSELECT 1;\n' >"$set_dir/V2__slow.sql"
printf 'SELECT pg_sleep(60);\n' >"$set_dir/V2__slow.pg.sql"
printf 'SELECT SLEEP(60);\n' >"$set_dir/V2__slow.mysql.sql"
cat >"$COORD_TMP/plan.json" <<'PLAN'
{"name": "slow", "stages": [
  {"name": "first", "select": "host in (h-1, h-3)", "max_parallel": 2},
  {"name": "rest", "rest": true, "max_parallel": 4}]}
PLAN
e2e_start
printf '%s\n' "$OP_TOKEN" >"$COORD_TMP/op.token"
chmod 600 "$COORD_TMP/op.token"
export SHARDWAVE_COORDINATOR="http://127.0.0.1:$COORD_PORT"
export SHARDWAVE_TOKEN_FILE="$COORD_TMP/op.token"

CLI_OUT=$("$SHARDWAVE" wave start --plan "$COORD_TMP/plan.json" --migrations "$set_dir" --json) ||
    e2e_fail "wave start failed"
E2E_WAVE=$(jq -r .id <<<"$CLI_OUT")

# The sleeps running on the servers, counted per engine.
pg_sleeping()
{
    e2e_psql "$SW_TEST_PG_DSN" -c "SELECT count(*) FROM pg_stat_activity WHERE datname =
        '${E2E_DB[pg-01]}' AND state = 'active' AND query LIKE '%pg_sleep(60)%'"
}
my_sleeping()
{
    e2e_mariadb -e "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB =
        '${E2E_DB[mysql-01]}' AND INFO LIKE '%SLEEP(60)%'"
}
both_running()
{
    [[ $(pg_sleeping) == 1 && $(my_sleeping) == 1 ]]
}
wait_for "pg_sleep and SLEEP running on pg-01 and mysql-01" both_running
assert_eq "$(e2e_rows mysql-01 | awk '{print $1, $2, $3}' | paste -sd, -)" \
    "1 up applied,2 up running" "mysql-01 history while V2 runs"

abort_s=$SECONDS
CLI_OUT=$("$SHARDWAVE" wave abort "$E2E_WAVE" --cancel-running --reason "stuck on a long statement") ||
    e2e_fail "wave abort --cancel-running failed"
coord_log "abort: $CLI_OUT"
assert_eq "$(e2e_wave_state)" aborted "state after abort"

# cancelled, not finished: both statements end and both shards report well within the
# 60 s the sleeps would take (the poll's deadline, not a timing assertion)
both_reported()
{
    api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
    [[ $(jqr '[.stages[0].shards[] | select(.state == "running" or .state == "leased")] | length') == 0 ]]
}
deadline=$((abort_s + 40))
until [[ $(pg_sleeping) == 0 && $(my_sleeping) == 0 ]] && both_reported; do
    ((SECONDS < deadline)) || e2e_fail "the statements were not cancelled within 40 s"
    sleep 0.1
done

api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
coord_log "stage 0 shards: $(jq -c '[.stages[0].shards[] | {id, state, error}]' <<<"$API_BODY")"
assert_eq "$(jqr '[.stages[0].shards[] | "\(.id)=\(.state)"] | sort | join(",")')" \
    "mysql-01=failed,pg-01=failed" "first stage after the cancel"
assert_contains "$(jqr '.stages[0].shards[] | select(.id == "pg-01") | .error')" \
    "canceling statement due to user request" "pg-01 error"
assert_contains "$(jqr '.stages[0].shards[] | select(.id == "mysql-01") | .error')" \
    "interrupted" "mysql-01 error"

# the agents cancelled on the coordinator's word (heartbeat answer cancel true), once or
# more per lease (a heartbeat may repeat it before the report lands)
cancelled=$(cat "$COORD_TMP"/agent-*.log |
    grep -o "lease l-[0-9a-f]*: running statement cancelled at the coordinator's request" |
    sort -u | wc -l)
assert_eq "$cancelled" 2 "leases cancelled in the agents' logs"

# PostgreSQL: V2 rolled back with its transaction; the history says failed
assert_eq "$(e2e_rows pg-01 | awk '{print $1, $2, $3}' | paste -sd, -)" \
    "1 up applied,2 up failed" "pg-01 history"
assert_eq "$(e2e_version pg-01)" 1 "pg-01 version"
# MariaDB: what the history says, and the coordinator says the same
my_rows=$(e2e_rows mysql-01 | awk '{print $1, $2, $3}' | paste -sd, -)
my_state=${my_rows##* }
[[ $my_rows == "1 up applied,2 up $my_state" && ($my_state == failed || $my_state == dirty) ]] ||
    e2e_fail "mysql-01 history: $my_rows"
api GET /v1/fleet "$READ_TOKEN"
want_health=ok
[[ $my_state == dirty ]] && want_health=dirty
assert_eq "$(jqr '.shards[] | select(.id == "mysql-01") | "\(.version) \(.health)"')" \
    "1 $want_health" "mysql-01 as the coordinator sees it (history: $my_state)"
assert_eq "$(jqr '.shards[] | select(.id == "pg-01") | "\(.version) \(.health)"')" "1 ok" \
    "pg-01 as the coordinator sees it"

# nothing else started
for id in pg-02 mysql-02 sqlite-01 sqlite-02; do
    assert_eq "$(e2e_rows "$id" | wc -l)" 0 "history rows of $id"
done
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jqr '[.stages[1].shards[].state] | unique | join(",")')" pending "second stage"
# the operator's action is in the events, with the reason and the cancel_running choice
CLI_OUT=$("$SHARDWAVE" wave events "$E2E_WAVE" --json) || e2e_fail "wave events failed"
assert_contains "$(jq -r '.events[] | select(.kind == "operator") | .message' <<<"$CLI_OUT")" \
    "abort by ops-oncall: stuck on a long statement (cancel_running)" "abort event"
coord_log "ok (mysql-01 history: $my_state)"
