# coordinator/http/http_encode.c: the fleet document's drift list and the wave detail as text
# (pure encoding, no server).
sw_unit_test(NAME test_http_encode SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_http_encode.c
    LIBS sw_coord_http)
