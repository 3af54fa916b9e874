# Unit tests for proto/lint (the migration linter: every rule on every engine).
sw_unit_test(NAME test_lint SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_lint.c LIBS sw_lint)
