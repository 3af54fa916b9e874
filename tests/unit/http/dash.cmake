# coordinator/http/http_dash.c: the embedded dashboard files over a real socket (headers,
# ETag and 304, 404s) and the server's reply extras (static text, extra headers, ETag).
sw_unit_test(NAME test_http_dash SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_http_dash.c
    LIBS sw_coord_http PkgConfig::CURL)
