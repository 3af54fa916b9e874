# coordinator/ha: the pure leadership decision (table-driven) and the loop on a store.
sw_unit_test(NAME test_ha_decide SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ha_decide.c
    LIBS sw_coord_ha_decide)
# Followers answer writes 307 (http_server), agents follow it (agent_http): real servers.
sw_unit_test(NAME test_ha_redirect SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ha_redirect.c
    LIBS sw_agentd sw_coord_httpd PkgConfig::CURL)
# The lease loop on a real (SQLite) store: lead, follow, graceful takeover, fencing.
sw_unit_test(NAME test_ha_loop SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ha_loop.c LIBS sw_coord_ha)
