# Unit tests for the expand/contract generator's pure part (coordinator/cli/generate.c and
# its templates): compiled in, like the other CLI modules; sqlsplit checks every rendered file.
sw_unit_test(NAME test_generate
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_generate.c
            ${CMAKE_CURRENT_LIST_DIR}/../../../coordinator/cli/generate.c
            ${CMAKE_CURRENT_LIST_DIR}/../../../coordinator/cli/generate_tpl.c
    LIBS sw_sqlsplit sw_proto sw_base)
target_include_directories(test_generate PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/../../../coordinator/cli)
