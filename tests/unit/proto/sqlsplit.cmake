# Unit tests for proto/sqlsplit (statement splitters of all three engines).
sw_unit_test(NAME test_sqlsplit SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sqlsplit.c
    LIBS sw_sqlsplit Threads::Threads)
