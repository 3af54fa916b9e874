# Unit tests for coordinator/store/, registered twice: on temporary SQLite files
# (unit/test_store) and on fresh PostgreSQL databases on SW_TEST_PG_DSN
# (unit/test_store_pg; skipped without a server unless SW_TEST_REQUIRE_SERVERS=1).
foreach(t test_store test_store_leader)
    sw_unit_test(NAME ${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/${t}.c
        LIBS sw_store sw_testsupport sw_engine Threads::Threads)
    add_test(NAME unit/${t}_pg COMMAND ${t})
    set_tests_properties(unit/${t}_pg PROPERTIES LABELS unit SKIP_RETURN_CODE 77
        ENVIRONMENT "${SW_TEST_ENV};SW_STORE_TEST_BACKEND=pg")
endforeach()
# The fencing test holds a write transaction open through the store's private helpers.
target_include_directories(test_store_leader PRIVATE ${CMAKE_SOURCE_DIR}/coordinator/store)
