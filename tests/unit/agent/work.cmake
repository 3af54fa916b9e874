# Unit tests for agent/daemon/agent_work.c: the shard connect retry and the failure class
# of a failed lease (SQLite shards, a fake coordinator).
sw_unit_test(NAME test_agent_work SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_agent_work.c LIBS sw_agentd)
