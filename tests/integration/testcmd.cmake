# `shardwave test` (down migrations restore the schema) on each engine, and the generated
# 300-version set on SQLite.
foreach(mode pg mysql sqlite large)
    add_test(NAME integration/cli_test_cmd_${mode}
        COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/cli_test_cmd.sh ${mode})
    set_tests_properties(integration/cli_test_cmd_${mode} PROPERTIES LABELS integration
        TIMEOUT 600 SKIP_RETURN_CODE 77 ENVIRONMENT "${SW_TEST_ENV}")
endforeach()
