# Unit tests for coordinator/notify/ (webhooks): payloads, the `webhooks` setting, the
# queue and retry rule.
foreach(t notify_event notify_config notify_queue)
    sw_unit_test(NAME test_${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${t}.c LIBS sw_notify_core)
endforeach()
