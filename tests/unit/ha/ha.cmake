# coordinator/ha: the pure leadership decision (table-driven) and the loop on a store.
sw_unit_test(NAME test_ha_decide SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ha_decide.c
    LIBS sw_coord_ha_decide)
