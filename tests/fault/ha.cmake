# High availability (issue 10): several coordinators on one PostgreSQL store; the leader
# killed, stopped past its lease, or the store's server restarted mid-wave (docs/ha.md).
sw_script_test(NAME ha_leader_kill SCRIPT ha_leader_kill.sh TIMEOUT 120)
sw_script_test(NAME ha_leader_stop SCRIPT ha_leader_stop.sh TIMEOUT 120)
sw_script_test(NAME ha_store_restart SCRIPT ha_store_restart.sh TIMEOUT 120)
