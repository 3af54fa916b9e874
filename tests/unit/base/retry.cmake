# Unit tests for proto/base/retry.c (backoff schedule).
sw_unit_test(NAME test_retry SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_retry.c LIBS sw_base)
