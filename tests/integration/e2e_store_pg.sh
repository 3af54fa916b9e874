#!/usr/bin/env bash
# End to end with the coordinator's store on PostgreSQL (issue 10): a fresh store
# database on SW_TEST_PG_DSN (store_path = postgres:// URL without a password; libpq
# reads PGPASSWORD), one coordinator, two agents, six SQLite shards. A canary -> rest
# wave completes; every shard's own history says version 3; the wave, its shards and
# its events are read back from the store database itself; the store schema's history
# (shardwave_schema_history in the store) lists the PostgreSQL variant of V1; a
# restarted coordinator finds the wave where it was; the password never reaches the log.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=e2e_lib.sh
source "$here/e2e_lib.sh"

e2e_require SW_TEST_PG_DSN
e2e_setup 0 0 6 3

# postgres://user:password@host:port/db -> the URL of a fresh store database, without the
# password (the coordinator refuses one in store_path), and the password for libpq.
re='^(postgres(ql)?://)([^:@/]+)(:([^@]*))?@([^/?]+)/'
[[ $SW_TEST_PG_DSN =~ $re ]] || coord_fail "cannot parse SW_TEST_PG_DSN"
store_db="${E2E_PREFIX}_store"
store_url="${BASH_REMATCH[1]}${BASH_REMATCH[3]}@${BASH_REMATCH[6]}/$store_db"
export PGPASSWORD=${BASH_REMATCH[5]}
e2e_psql "$SW_TEST_PG_DSN" -c "CREATE DATABASE $store_db" >/dev/null
E2E_DROPS+=("e2e_psql '$SW_TEST_PG_DSN' -c 'DROP DATABASE IF EXISTS $store_db WITH (FORCE)'")
store_sql()
{
    local base=${SW_TEST_PG_DSN%%\?*}
    e2e_psql "${base%/*}/$store_db" -c "$1"
}
sed -i "s#^store_path = .*#store_path = \"$store_url\";#" "$COORD_TMP/coordinator.conf"

e2e_write_set "$COORD_TMP/set"
e2e_start
coord_upload_set "$COORD_TMP/set"
E2E_DIGEST=$COORD_DIGEST
e2e_wave '{"name": "pg-store", "stages": [
  {"name": "canary", "select": "tier=canary", "max_parallel": 1},
  {"name": "rest", "rest": true, "max_parallel": 4}]}'
e2e_wait_state completed

for id in "${E2E_SHARDS[@]}"; do
    assert_eq "$(e2e_version "$id")" 3 "shard $id version"
done

# the store database itself holds the wave, its shards and its audit trail
assert_eq "$(store_sql "SELECT state FROM waves WHERE id = '$E2E_WAVE'")" completed \
    "wave state in the store"
assert_eq "$(store_sql "SELECT count(*) FROM wave_shards WHERE wave_id = '$E2E_WAVE'
    AND state = 'done'")" "${#E2E_SHARDS[@]}" "done shards in the store"
assert_eq "$(store_sql "SELECT count(*) FROM events WHERE wave_id = '$E2E_WAVE'
    AND kind = 'transition' AND to_state = 'completed'")" 1 "completed transition events"
assert_eq "$(store_sql "SELECT script FROM shardwave_schema_history WHERE version = '1'
    AND state = 'applied'")" V1__init.pg.sql "store schema V1 applied from its pg variant"
assert_eq "$(store_sql "SELECT count(*) FROM shardwave_schema_history
    WHERE description = 'leader lease' AND state = 'applied'")" 1 "leader lease table migrated"
if store_sql "DELETE FROM events WHERE wave_id = '$E2E_WAVE'" 2>"$COORD_TMP/delete.err"; then
    e2e_fail "deleting events succeeded: the log must be append-only"
fi
grep -q "events are append-only" "$COORD_TMP/delete.err" || e2e_fail "unexpected delete error"

# a restarted coordinator reads the same store
coord_stop
coord_start
assert_eq "$(e2e_wave_state)" completed "wave state after a coordinator restart"
api GET "/v1/waves/$E2E_WAVE" "$READ_TOKEN"
assert_eq "$(jq '[.stages[].shards[] | select(.state == "done")] | length' <<<"$API_BODY")" \
    "${#E2E_SHARDS[@]}" "done shards through the API after the restart"

if [[ -n $PGPASSWORD ]] && grep -qF -- "$PGPASSWORD" "$COORD_LOG"; then
    e2e_fail "the store password appears in the coordinator log"
fi
grep -q "store postgres" "$COORD_LOG" || e2e_fail "the log does not name the PostgreSQL store"
coord_log "ok"
