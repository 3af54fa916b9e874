# coordinator/service: the latency histograms behind the `stats:` line (bench/scale.sh).
sw_unit_test(NAME test_svc_stats SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_svc_stats.c
    LIBS sw_coord_service)
