# The generated 320-version set, up and back down, on each engine.
foreach(engine pg mysql sqlite)
    add_test(NAME integration/large_set_${engine}
        COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/large_set.sh ${engine})
    set_tests_properties(integration/large_set_${engine} PROPERTIES LABELS integration
        TIMEOUT 600 SKIP_RETURN_CODE 77 ENVIRONMENT "${SW_TEST_ENV}")
endforeach()
