# The coordinator's store on PostgreSQL (issue 10).
# A wave over SQLite shards with the store on a fresh PostgreSQL database: completes, is
# read back from the store database, survives a coordinator restart.
sw_script_test(NAME e2e_store_pg SCRIPT e2e_store_pg.sh TIMEOUT 300)
# Reconnects after the store's PostgreSQL restarts (a throwaway server of the test's own).
add_executable(store_pg_reconnect ${CMAKE_CURRENT_LIST_DIR}/store_pg_reconnect.c)
target_link_libraries(store_pg_reconnect PRIVATE sw_store sw_testsupport sw_engine ${CMOCKA_LIB})
target_include_directories(store_pg_reconnect PRIVATE ${CMAKE_SOURCE_DIR}/coordinator/store)
set_target_properties(store_pg_reconnect PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
sw_script_test(NAME store_pg_reconnect SCRIPT store_pg_reconnect.sh TIMEOUT 120)
