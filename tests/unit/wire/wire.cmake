# Unit tests for the wire protocol codecs (proto/src/wire_*.c), one binary per module.
foreach(t common agent lease report)
    sw_unit_test(NAME test_wire_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_wire_${t}.c
        LIBS sw_wire)
endforeach()
