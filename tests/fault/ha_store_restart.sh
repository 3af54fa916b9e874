#!/usr/bin/env bash
# Fault (issue 10): the store's PostgreSQL restarted mid-wave. The store is a database on a
# throwaway PostgreSQL of the test's own (tests/lib/servers.sh; never the shared dev
# servers); two coordinators and two agents with both URLs; six PostgreSQL shards (on the
# dev server) run V3 (a pg_sleep before the CREATE INDEX) three at a time. Once shards are
# inside V3 the store's server stops (pg_ctl -m fast); the leader stops leading before its
# lease could have lapsed (its /healthz says follower) while the agents finish their steps
# and queue the reports; the server starts again on the same port; the coordinators
# reconnect, one leads (printed: recovery_ms, from the restart), the wave completes, every
# shard has one applied row per version, each step was counted once, the queues drain.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=ha_lib.sh
source "$here/ha_lib.sh"

e2e_require SW_TEST_PG_DSN
own_pw=$(sw_random_hex 24)
sw_pg_start "$own_pw" >/dev/null || e2e_fail "cannot start a throwaway PostgreSQL"
ha_setup 2 6 0 "postgres://sw:$own_pw@127.0.0.1:$SW_PG_PORT/postgres"
trap 'ha_cleanup; e2e_cleanup; sw_pg_stop || true' EXIT
coord_log "store on a throwaway postgres at 127.0.0.1:$SW_PG_PORT"

ha_write_slow_set "$COORD_TMP/set"
ha_start 1
ha_wait_leader 20
ha_start 2
ha_start_wave "$HA_LEADER" "store restart"
fault_poll 30 "a shard to be inside V3" ha_some_in_v3
sw_pg_halt || e2e_fail "pg_ctl stop of the store's server failed"
coord_log "the store's postgres stopped"
no_leader()
{
    [[ -z $(ha_leader) ]]
}
fault_poll 20 "every coordinator to stop leading without its store" no_leader
reports_queued()
{
    (($(fault_queue_len 1) + $(fault_queue_len 2) > 0))
}
fault_poll 30 "the agents to queue reports while the store is down" reports_queued
t0=$(e2e_now_ms)
sw_pg_restart || e2e_fail "the store's postgres did not start again"
coord_log "the store's postgres started again"
ha_wait_leader 30
t1=$(e2e_now_ms)
coord_log "recovery_ms=$((t1 - t0)) (a leader again after the restart; leader_lease_ms=$HA_LEASE_MS)"

ha_use "$HA_LEADER"
ha_assert_completed
grep -q "leadership: cannot claim the lease" "$COORD_TMP/c-$HA_LEADER.log" ||
    ha_fail "the leader did not log the store outage"
fault_summary 1
coord_log "ok"
