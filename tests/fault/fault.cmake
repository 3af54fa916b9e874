# The fault suite (issue 6 "Faults to survive"): real coordinator, real agents, real
# PostgreSQL / MariaDB servers on 127.0.0.1, one fault each; every test asserts each
# shard's own history (no step applied twice, nothing lost) and the wave's final state.
# docs/reliability.md describes each fault and what its test asserts.
sw_script_test(NAME fault_agent_kill SCRIPT fault_agent_kill.sh TIMEOUT 120)
sw_script_test(NAME fault_coord_kill SCRIPT fault_coord_kill.sh TIMEOUT 120)
sw_script_test(NAME fault_coord_unreachable SCRIPT fault_coord_unreachable.sh TIMEOUT 120)
sw_script_test(NAME fault_lock_timeout SCRIPT fault_lock_timeout.sh TIMEOUT 120)
sw_script_test(NAME fault_db_down SCRIPT fault_db_down.sh TIMEOUT 120)
