sw_unit_test(NAME test_snapshot_diff SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_snapshot_diff.c
    LIBS sw_snapshot_diff)
