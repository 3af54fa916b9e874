# sw_gen_migset DIR [N]: writes a realistic migration set of N versions (default 320) for
# all three engines. A helper for the integration tests, not a test itself; the
# gen_migset_clients test checks its SQL with the engines' own command-line clients.
add_executable(sw_gen_migset ${CMAKE_CURRENT_LIST_DIR}/../support/gen_migset.c)
target_link_libraries(sw_gen_migset PRIVATE sw_base)
set_target_properties(sw_gen_migset PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

add_test(NAME integration/gen_migset_clients
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../lib/check_migset.sh $<TARGET_FILE:sw_gen_migset>)
set_tests_properties(integration/gen_migset_clients PROPERTIES LABELS integration
    TIMEOUT 300 SKIP_RETURN_CODE 77 ENVIRONMENT "${SW_TEST_ENV}")
