# libFuzzer targets for the wire decoders (tests/fuzz/README.md). Built only with
# -DSW_FUZZ=ON and clang; not registered with ctest. The codec sources are compiled again
# with coverage instrumentation so the fuzzer sees inside them.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SW_FUZZ=ON needs clang (e.g. CC=clang cmake -DSW_FUZZ=ON ...)")
endif()

set(SW_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
file(GLOB SW_FUZZ_WIRE_SOURCES ${CMAKE_SOURCE_DIR}/proto/src/wire_*.c)
add_library(sw_wire_fuzz STATIC ${SW_FUZZ_WIRE_SOURCES})
target_compile_options(sw_wire_fuzz PRIVATE ${SW_FUZZ_FLAGS})
target_link_libraries(sw_wire_fuzz PUBLIC sw_proto PkgConfig::JANSSON)

foreach(m register_req register_resp start_req start_resp heartbeat_req heartbeat_resp
        lease_req lease_resp report_req report_resp error)
    add_executable(fuzz_wire_${m} ${CMAKE_CURRENT_LIST_DIR}/fuzz_wire.c)
    target_compile_definitions(fuzz_wire_${m} PRIVATE FUZZ_MESSAGE=${m})
    target_compile_options(fuzz_wire_${m} PRIVATE ${SW_FUZZ_FLAGS})
    target_link_options(fuzz_wire_${m} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_wire_${m} PRIVATE sw_wire_fuzz)
    set_target_properties(fuzz_wire_${m} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
        ${CMAKE_BINARY_DIR}/fuzz)
endforeach()
