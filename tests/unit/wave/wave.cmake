# Unit tests for coordinator/wave (pure: selector, planner, state machine).
foreach(t wave_types selector planner planner_contract wave_fsm wave_fsm_random)
    sw_unit_test(NAME test_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c LIBS sw_wave)
endforeach()
