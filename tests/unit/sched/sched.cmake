# coordinator/sched: HTTP gates against a real local server.
sw_unit_test(NAME test_sched_gate SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sched_gate.c
    LIBS sw_coord_sched sw_coord_httpd)
