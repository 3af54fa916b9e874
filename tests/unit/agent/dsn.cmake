# Unit tests for agent/daemon/agent_dsn.c (shard DSN templates, shards file, secrets).
sw_unit_test(NAME test_dsn SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dsn.c LIBS sw_agent_dsn)
