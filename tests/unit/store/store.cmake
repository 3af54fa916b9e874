# Unit tests for coordinator/store/ on temporary SQLite files.
sw_unit_test(NAME test_store SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_store.c
    LIBS sw_store PkgConfig::SQLITE Threads::Threads)
