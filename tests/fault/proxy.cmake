# sw_faultproxy (tests/support/faultproxy.c): a fault-injecting TCP proxy on 127.0.0.1
# (per-chunk delay, dropped connections, resets mid-response; seeded, bounded lifetime)
# and the fault test that puts it between the agents and the coordinator.
add_executable(sw_faultproxy ${CMAKE_CURRENT_LIST_DIR}/../support/faultproxy.c)
target_link_libraries(sw_faultproxy PRIVATE sw_base)
set_target_properties(sw_faultproxy PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

sw_script_test(NAME fault_lossy_network SCRIPT fault_lossy_network.sh TIMEOUT 120)
set_property(TEST integration/fault_lossy_network APPEND PROPERTY ENVIRONMENT
    "SW_FAULTPROXY=$<TARGET_FILE:sw_faultproxy>")
