sw_integration_test(NAME runner_basic SOURCES ${CMAKE_CURRENT_LIST_DIR}/runner_basic.c
    LIBS sw_runner TIMEOUT 300)
sw_integration_test(NAME runner_concurrency SOURCES ${CMAKE_CURRENT_LIST_DIR}/runner_concurrency.c
    LIBS sw_runner Threads::Threads TIMEOUT 300)
sw_integration_test(NAME runner_shard_txn SOURCES ${CMAKE_CURRENT_LIST_DIR}/runner_shard_txn.c
    LIBS sw_runner TIMEOUT 300)
