# The engine driver conformance suite (PostgreSQL, MariaDB, SQLite).
sw_integration_test(NAME engine_conformance SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine_conformance.c
    LIBS sw_engine)
target_link_libraries(engine_conformance PRIVATE Threads::Threads)
# The MariaDB driver's prepared-statement cache (reuse, bound, errors, DDL, forgotten
# statements, a killed connection).
sw_integration_test(NAME engine_mysql_cache
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/engine_mysql_cache.c LIBS sw_runner PkgConfig::MYSQL
    TIMEOUT 120)
