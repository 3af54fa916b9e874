# Unit tests for proto/base (one binary per module).
foreach(t strbuf numparse err fsutil)
    sw_unit_test(NAME test_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c LIBS sw_base)
endforeach()
