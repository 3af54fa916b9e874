# Unit tests for the wire protocol codecs (proto/src/wire_*.c), one binary per module.
foreach(t common agent lease report compat)
    sw_unit_test(NAME test_wire_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_wire_${t}.c
        LIBS sw_wire)
endforeach()

# Fuzz targets for the decoders (tests/fuzz/README.md): clang only, never run by ctest.
option(SW_FUZZ "Build libFuzzer targets for the wire decoders (clang)" OFF)
if(SW_FUZZ)
    include(${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz.cmake)
endif()
