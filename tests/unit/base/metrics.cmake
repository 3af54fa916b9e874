# proto/base: the metrics registry (exposition format) and the logger's line formats.
foreach(t metrics log)
    sw_unit_test(NAME test_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c LIBS sw_base)
endforeach()
