# Unit tests for agent/daemon/agent_queue.c: batch files, partial acks, restart re-scan,
# a refused report inside a batch, corrupt files, old one-report files.
sw_unit_test(NAME test_agent_queue SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_agent_queue.c LIBS sw_agentd)
