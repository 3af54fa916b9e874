# Replays of the fuzz targets (tests/fuzz/) without libFuzzer: each seed corpus and each
# saved crash under tests/fuzz/regressions/<target>/ runs through the target's checks in
# the ordinary (sanitizer) build, so a fixed crash stays tested.
set(SW_FUZZ_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz)

# sw_fuzz_replay(TARGET CORPUS SOURCE LIB [DEFS ...])
function(sw_fuzz_replay target corpus source lib)
    sw_unit_test(NAME fuzz_replay_${target}
        SOURCES ${SW_FUZZ_DIR}/${source} ${SW_FUZZ_DIR}/replay_main.c LIBS ${lib})
    # Without arguments the binary replays these two directories (regressions may be absent).
    target_compile_definitions(fuzz_replay_${target} PRIVATE ${ARGN}
        REPLAY_CORPUS="${SW_FUZZ_DIR}/corpus/${corpus}"
        REPLAY_REGRESSIONS="${SW_FUZZ_DIR}/regressions/${target}")
    # Third-party leaks the fuzzers found (tests/fuzz/lsan.supp).
    set_property(TEST unit/fuzz_replay_${target} APPEND PROPERTY ENVIRONMENT
        "LSAN_OPTIONS=suppressions=${SW_FUZZ_DIR}/lsan.supp")
endfunction()

foreach(m register_req register_resp start_req start_resp heartbeat_req heartbeat_resp
        lease_req lease_resp report_req report_resp error)
    sw_fuzz_replay(wire_${m} ${m} fuzz_wire.c sw_wire FUZZ_MESSAGE=${m})
endforeach()
foreach(t migset directive version manifest)
    sw_fuzz_replay(${t} ${t} fuzz_proto.c sw_proto FUZZ_TARGET=${t})
endforeach()
sw_fuzz_replay(sqlsplit sqlsplit fuzz_sqlsplit.c "sw_sqlsplit;sw_proto")
sw_fuzz_replay(plan_json plan_json fuzz_plan.c sw_coordconfig FUZZ_TARGET=plan_json)
sw_fuzz_replay(plan_conf plan_conf fuzz_plan.c sw_coordconfig FUZZ_TARGET=plan_conf)
