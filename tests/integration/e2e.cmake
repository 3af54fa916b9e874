# End-to-end waves: a real shardwave-coordinator and two real shardwave-agents on
# 127.0.0.1 over real PostgreSQL / MariaDB databases (SW_TEST_PG_DSN, SW_TEST_MYSQL_DSN)
# and SQLite files; each test has its own store, tokens, fleet and databases.
sw_script_test(NAME e2e_mixed SCRIPT e2e_mixed.sh TIMEOUT 300)
sw_script_test(NAME e2e_pause SCRIPT e2e_pause.sh TIMEOUT 300)
sw_script_test(NAME e2e_halt SCRIPT e2e_halt.sh TIMEOUT 300)
sw_script_test(NAME e2e_rollback SCRIPT e2e_rollback.sh TIMEOUT 300)
sw_script_test(NAME e2e_agent_loss SCRIPT e2e_agent_loss.sh TIMEOUT 300)
# The agent endpoints' contract, with curl as a scripted agent (no databases).
sw_script_test(NAME coord_agent_api SCRIPT coord_agent_api.sh)
sw_script_test(NAME e2e_gate SCRIPT e2e_gate.sh TIMEOUT 300)
# A failing SQL gate after a pause during the bake and a resume: halts at once.
sw_script_test(NAME e2e_gate_pause SCRIPT e2e_gate_pause.sh TIMEOUT 300)
sw_script_test(NAME e2e_inventory SCRIPT e2e_inventory.sh TIMEOUT 300)
# abort --cancel-running: pg_sleep / SLEEP cancelled on the servers, shards reported honestly.
sw_script_test(NAME e2e_cancel SCRIPT e2e_cancel.sh TIMEOUT 300)
# Plan transaction = "shard": one transaction per shard (pg + SQLite), MariaDB refused.
sw_script_test(NAME e2e_shard_txn SCRIPT e2e_shard_txn.sh TIMEOUT 300)
# A new wave starts at once (tick_ms 60 s): the creation kicks the scheduler.
sw_script_test(NAME e2e_start_now SCRIPT e2e_start_now.sh TIMEOUT 120)
# Compatibility within a major: curl as 1.0 / 1.1 / 1.2 agents (no databases).
sw_script_test(NAME compat_protocol SCRIPT compat_protocol.sh)
sw_script_test(NAME coord_report_leases SCRIPT coord_report_leases.sh)
