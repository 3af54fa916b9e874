# Unit tests for the coordinator's store selection (store_path: file or postgres:// URL).
sw_unit_test(NAME test_coord_config_store
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_coord_config_store.c LIBS sw_coordconfig)
