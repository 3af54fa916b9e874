# libFuzzer targets (tests/fuzz/README.md). Built only with -DSW_FUZZ=ON and clang; the
# seed corpus and saved crashes are replayed under ctest by tests/unit/fuzz/fuzz.cmake
# (without libFuzzer). The parser sources are compiled again with coverage
# instrumentation so the fuzzer sees inside them.
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SW_FUZZ=ON needs clang (e.g. CC=clang cmake -DSW_FUZZ=ON ...)")
endif()

set(SW_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
set(SW_FUZZ_SRC ${CMAKE_SOURCE_DIR}/proto)

# Instrumented copies of the code under test. Each fuzz binary links one of them and the
# plain libraries it needs (never an instrumented and a plain copy of the same file).
file(GLOB SW_FUZZ_WIRE_SOURCES ${SW_FUZZ_SRC}/src/wire_*.c)
add_library(sw_wire_fuzz STATIC ${SW_FUZZ_WIRE_SOURCES})
target_link_libraries(sw_wire_fuzz PUBLIC sw_proto PkgConfig::JANSSON)

add_library(sw_proto_fuzz STATIC ${SW_FUZZ_SRC}/src/version.c ${SW_FUZZ_SRC}/src/checksum.c
    ${SW_FUZZ_SRC}/src/directive.c ${SW_FUZZ_SRC}/src/migset.c
    ${SW_FUZZ_SRC}/src/migset_name.c ${SW_FUZZ_SRC}/src/manifest.c)
target_link_libraries(sw_proto_fuzz PUBLIC sw_base PRIVATE PkgConfig::CRYPTO)

file(GLOB SW_FUZZ_SPLIT_SOURCES ${SW_FUZZ_SRC}/sqlsplit/*.c)
add_library(sw_sqlsplit_fuzz STATIC ${SW_FUZZ_SPLIT_SOURCES})
target_include_directories(sw_sqlsplit_fuzz PUBLIC ${SW_FUZZ_SRC})
target_link_libraries(sw_sqlsplit_fuzz PUBLIC sw_proto PRIVATE pg_query_ext PkgConfig::SQLITE)

add_library(sw_plan_fuzz STATIC ${CMAKE_SOURCE_DIR}/coordinator/config/plan_file.c
    ${CMAKE_SOURCE_DIR}/coordinator/config/fleet_file.c)
target_include_directories(sw_plan_fuzz PUBLIC ${CMAKE_SOURCE_DIR}/coordinator)
target_link_libraries(sw_plan_fuzz PUBLIC sw_wave sw_proto sw_base PkgConfig::LIBCONFIG
    PkgConfig::JANSSON PRIVATE PkgConfig::CRYPTO)

foreach(lib sw_wire_fuzz sw_proto_fuzz sw_sqlsplit_fuzz sw_plan_fuzz)
    target_compile_options(${lib} PRIVATE ${SW_FUZZ_FLAGS})
endforeach()

# sw_fuzz_target(NAME SOURCE LIB [DEFS ...]): the binary build-fuzz/fuzz/fuzz_<NAME>.
function(sw_fuzz_target name source lib)
    add_executable(fuzz_${name} ${CMAKE_CURRENT_LIST_DIR}/${source})
    target_compile_definitions(fuzz_${name} PRIVATE ${ARGN})
    target_compile_options(fuzz_${name} PRIVATE ${SW_FUZZ_FLAGS})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(fuzz_${name} PRIVATE ${lib})
    set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
        ${CMAKE_BINARY_DIR}/fuzz)
endfunction()

set(SW_FUZZ_TARGETS)
foreach(m register_req register_resp start_req start_resp heartbeat_req heartbeat_resp
        lease_req lease_resp report_req report_resp error)
    sw_fuzz_target(wire_${m} fuzz_wire.c sw_wire_fuzz FUZZ_MESSAGE=${m})
    list(APPEND SW_FUZZ_TARGETS fuzz_wire_${m})
endforeach()
foreach(t migset directive version manifest)
    sw_fuzz_target(${t} fuzz_proto.c sw_proto_fuzz FUZZ_TARGET=${t})
    list(APPEND SW_FUZZ_TARGETS fuzz_${t})
endforeach()
sw_fuzz_target(sqlsplit fuzz_sqlsplit.c sw_sqlsplit_fuzz)
sw_fuzz_target(plan_json fuzz_plan.c sw_plan_fuzz FUZZ_TARGET=plan_json)
sw_fuzz_target(plan_conf fuzz_plan.c sw_plan_fuzz FUZZ_TARGET=plan_conf)
list(APPEND SW_FUZZ_TARGETS fuzz_sqlsplit fuzz_plan_json fuzz_plan_conf)
# `cmake --build build-fuzz --target fuzz_all` builds every fuzz binary (tests/fuzz/run.sh).
add_custom_target(fuzz_all DEPENDS ${SW_FUZZ_TARGETS})
