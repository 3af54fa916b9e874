sw_unit_test(NAME test_plan SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_plan.c LIBS sw_plan)
