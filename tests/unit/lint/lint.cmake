# Unit tests for proto/lint (the migration linter: every rule on every engine).
sw_unit_test(NAME test_lint SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_lint.c LIBS sw_lint)
# The MySQL/SQLite recognisers' tokenizer (private header in proto/lint).
sw_unit_test(NAME test_lint_tok SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_lint_tok.c LIBS sw_lint)
target_include_directories(test_lint_tok PRIVATE ${CMAKE_SOURCE_DIR}/proto/lint)
