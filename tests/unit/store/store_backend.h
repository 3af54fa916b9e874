/*
 * The store tests run against both backends: SQLite files by default, PostgreSQL when
 * SW_STORE_TEST_BACKEND=pg (ctest registers each store test binary twice). Each test
 * gets a fresh store: a temporary file, or a fresh schema in the test binary's own
 * database on SW_TEST_PG_DSN (dropped at exit); a PostgreSQL run without a server skips (exit 77)
 * unless SW_TEST_REQUIRE_SERVERS=1. Raw SQL checks go through the engine library, beside the
 * store's own connection.
 */
#ifndef SW_TESTS_UNIT_STORE_BACKEND_H
#define SW_TESTS_UNIT_STORE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "store/store.h"
#include "testdb.h"

struct store_backend {
    bool is_pg;
    struct testdb db; /* PostgreSQL: db.dsn names the store's schema */
    char schema[16];  /* PostgreSQL: the store's own schema */
    char *dir;        /* SQLite: the temporary directory */
    const char *path; /* what store_open takes: the file path or the URL */
};

static inline bool store_backend_is_pg(void)
{
    const char *b = getenv("SW_STORE_TEST_BACKEND");
    return b != NULL && strcmp(b, "pg") == 0;
}

/* Exits 77 (skipped) before any test runs when the backend's server is missing. */
static inline void store_backend_require(void)
{
    if (store_backend_is_pg()) {
        testdb_require(MIGSET_ENGINE_PG);
    }
}

/* PostgreSQL: one database per test binary (created on first use, dropped at exit);
 * each store gets a schema of its own in it (search_path through the URL's options),
 * which is as fresh as a new database and far cheaper to make. */
static struct testdb store_backend_pg_db;
static unsigned store_backend_n_schemas;

static inline void store_backend_pg_drop_db(void)
{
    testdb_drop(&store_backend_pg_db);
}

static inline int store_backend_sql(const char *dsn, const char *sql)
{
    struct engine *eng = NULL;
    struct sw_err err = {0};
    int rc = engine_open(dsn, 0, &eng, &err);
    if (rc == 0) {
        rc = engine_query(eng, sql, NULL, 0, NULL, &err);
    }
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", sql, err.msg);
    }
    engine_close(eng);
    return rc;
}

static inline int store_backend_create_pg(struct store_backend *b)
{
    char sql[128];
    if (store_backend_pg_db.name[0] == '\0') {
        if (testdb_create(MIGSET_ENGINE_PG, "store", &store_backend_pg_db) != 0) {
            return -1;
        }
        atexit(store_backend_pg_drop_db);
    }
    b->db = store_backend_pg_db;
    snprintf(b->schema, sizeof b->schema, "s%u", ++store_backend_n_schemas);
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", b->schema);
    if (store_backend_sql(store_backend_pg_db.dsn, sql) != 0 ||
        snprintf(b->db.dsn, sizeof b->db.dsn, "%s%coptions=-csearch_path%%3D%s",
                 store_backend_pg_db.dsn, strchr(store_backend_pg_db.dsn, '?') ? '&' : '?',
                 b->schema) >= (int)sizeof b->db.dsn) {
        return -1;
    }
    b->path = b->db.dsn;
    return 0;
}

/* A fresh, empty store location; 0 or -1. */
static inline int store_backend_create(struct store_backend *b)
{
    memset(b, 0, sizeof *b);
    b->is_pg = store_backend_is_pg();
    if (b->is_pg) {
        return store_backend_create_pg(b);
    }
    b->dir = testdb_mkdtemp("store");
    if (b->dir == NULL ||
        snprintf(b->db.path, sizeof b->db.path, "%s/store.db", b->dir) >= (int)sizeof b->db.path ||
        snprintf(b->db.dsn, sizeof b->db.dsn, "sqlite://%s", b->db.path) >= (int)sizeof b->db.dsn) {
        return -1;
    }
    b->path = b->db.path;
    return 0;
}

static inline void store_backend_drop(struct store_backend *b)
{
    char sql[128];
    if (b->is_pg && b->schema[0] != '\0') {
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", b->schema);
        store_backend_sql(store_backend_pg_db.dsn, sql);
    } else if (b->dir != NULL) {
        testdb_rmtree(b->dir);
        free(b->dir);
    }
    memset(b, 0, sizeof *b);
}

/* Runs raw SQL on the store through its own connection; 0 or the engine's error. */
static inline int store_backend_exec(const struct store_backend *b, const char *sql,
                                     struct sw_err *err)
{
    struct engine *eng = NULL;
    int rc = engine_open(b->db.dsn, 0, &eng, err);
    if (rc == 0) {
        rc = engine_query(eng, sql, NULL, 0, NULL, err);
    }
    engine_close(eng);
    return rc;
}

/* One integer from raw SQL (fails the test on error). */
static inline int64_t store_backend_int(const struct store_backend *b, const char *sql)
{
    struct engine *eng = NULL;
    struct engine_rows *rows = NULL;
    struct sw_err err = {0};
    int64_t v = -1;
    if (engine_open(b->db.dsn, 0, &eng, &err) != 0 ||
        engine_query(eng, sql, NULL, 0, &rows, &err) != 0 || rows->n_rows != 1 ||
        engine_rows_get(rows, 0, 0) == NULL) {
        fprintf(stderr, "%s: %s\n", sql, err.msg);
    } else {
        v = strtoll(engine_rows_get(rows, 0, 0), NULL, 10);
    }
    engine_rows_free(rows);
    engine_close(eng);
    return v;
}

#endif
