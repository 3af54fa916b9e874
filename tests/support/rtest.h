/*
 * Helpers for runner integration tests: a fresh database + a migration directory
 * + an open engine, and small accessors for asserting outcomes. Setup only; the
 * assertions stay in the tests.
 */
#ifndef SW_TESTS_RTEST_H
#define SW_TESTS_RTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "runner/runner.h"
#include "testdb.h"

struct rtest {
    struct testdb db;
    char *dir;
    struct migset *set;
    struct engine *eng;
    struct runner_opts opts;
};

/* Creates the database and an empty migration directory, opens the engine.
 * Aborts the test process on failure. */
void rtest_setup(struct rtest *rt, enum migset_engine engine, const char *prefix);
void rtest_teardown(struct rtest *rt);
/* Writes dir/name. */
void rtest_write(struct rtest *rt, const char *name, const char *sql);
/* (Re)loads the set (no manifest check) and resets rt->opts with fast lock retries. */
void rtest_load(struct rtest *rt);
/* migrate/undo with rt->opts; target NULL = latest. Returns the runner's rc. */
int rtest_migrate(struct rtest *rt, const char *target, struct sw_err *err);
int rtest_undo(struct rtest *rt, const char *to, struct sw_err *err);
/* The current version as text ("0" when nothing is applied). */
const char *rtest_current(struct rtest *rt, char *buf, size_t cap);
/* Rows in the history table with that version and state (state NULL = any). */
int rtest_history_count(struct rtest *rt, const char *version, const char *state);
/* Whether `sql` runs without error on the database (e.g. a SELECT of a column). */
bool rtest_sql_ok(struct rtest *rt, const char *sql);
/* The first column of the first row of `sql` as an integer (-1 on error). */
long long rtest_sql_int(struct rtest *rt, const char *sql);
/* Opens another connection to the same database. */
struct engine *rtest_connect(struct rtest *rt);
/* The engine for a cmocka prestate (points to an enum migset_engine). */
enum migset_engine rtest_engine_of(void **state);

#endif
