# Unit tests for proto/ (one binary per module).
foreach(t version checksum directive migset migset_mem manifest)
    sw_unit_test(NAME test_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c LIBS sw_proto)
endforeach()
