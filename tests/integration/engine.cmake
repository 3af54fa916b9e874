# The engine driver conformance suite (PostgreSQL, MariaDB, SQLite).
sw_integration_test(NAME engine_conformance SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine_conformance.c
    LIBS sw_engine)
target_link_libraries(engine_conformance PRIVATE Threads::Threads)
