# Unit tests for proto/base/cfgtab.c and coordinator/config/ (one binary per module).
sw_unit_test(NAME test_cfgtab SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cfgtab.c LIBS sw_base)
foreach(t coord_config fleet_file plan_file tokens config_examples)
    sw_unit_test(NAME test_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c
        LIBS sw_coordconfig)
endforeach()
