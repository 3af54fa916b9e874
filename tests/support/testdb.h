/*
 * Per-test databases on the real servers that tests/run.sh starts. Each test
 * creates its own database (random name) and drops it at the end, so tests run
 * alone, in any order, or in parallel.
 *
 * Environment: SW_TEST_PG_DSN    admin DSN, e.g. postgres://sw:sw@127.0.0.1:54321/postgres
 *              SW_TEST_MYSQL_DSN admin DSN, e.g. mysql://sw:sw@127.0.0.1:33061/
 *              SW_TEST_REQUIRE_SERVERS=1 makes a missing server a failure instead of a skip.
 *              SW_TEST_TMPDIR    where SQLite files go (default: $TMPDIR or /tmp)
 */
#ifndef SW_TESTS_TESTDB_H
#define SW_TESTS_TESTDB_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/migset.h"

#define TESTDB_DSN_MAX 1024

struct testdb {
    enum migset_engine engine;
    char name[64];             /* database name, or file base name for SQLite */
    char dsn[TESTDB_DSN_MAX];  /* DSN of the fresh database, for engine_open / the CLI */
    char path[TESTDB_DSN_MAX]; /* SQLite: the file path; else empty */
};

/* Whether the server for `engine` is configured (SQLite: always). */
bool testdb_available(enum migset_engine engine);
/* Exits the process with 77 (ctest "skipped") when the server is not configured,
 * or fails (exit 1) when SW_TEST_REQUIRE_SERVERS=1. */
void testdb_require(enum migset_engine engine);
/* Creates a fresh empty database named sw_<prefix>_<random>; fills *db. Returns 0
 * or -1 (message printed on stderr). */
int testdb_create(enum migset_engine engine, const char *prefix, struct testdb *db);
/* Drops it (SQLite: removes the file and its lock/wal files). */
void testdb_drop(struct testdb *db);
/* Makes a temporary directory under SW_TEST_TMPDIR; heap path, caller frees (and
 * removes it with testdb_rmtree). */
char *testdb_mkdtemp(const char *prefix);
void testdb_rmtree(const char *path);
/* Writes a file dir/name with the given text (test fixtures). Returns 0 or -1. */
int testdb_write_file(const char *dir, const char *name, const char *text);

#endif
