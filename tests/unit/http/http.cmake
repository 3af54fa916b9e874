# coordinator/http: the server against a real socket and libcurl (routing, auth, limits, errors).
sw_unit_test(NAME test_http_server SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_http_server.c
    LIBS sw_coord_httpd PkgConfig::CURL)
