# Unit tests for the `shardwave` coordinator-command plumbing (coordinator/cli): option
# hoisting, HTTP error mapping, tables. The CLI has no library; the modules are compiled in.
set(SW_CLI_DIR ${CMAKE_CURRENT_LIST_DIR}/../../../coordinator/cli)
sw_unit_test(NAME test_cli_remote
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli_remote.c ${SW_CLI_DIR}/cli_remote.c
            ${SW_CLI_DIR}/cli_urls.c ${SW_CLI_DIR}/cli_table.c
    LIBS sw_redirect sw_proto sw_base PkgConfig::CURL PkgConfig::JANSSON)
target_include_directories(test_cli_remote PRIVATE ${SW_CLI_DIR})
