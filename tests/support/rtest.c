/* Runner integration-test helpers. */
#include "rtest.h"

#include "sw/numparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, const struct sw_err *err)
{
    fprintf(stderr, "rtest: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

void rtest_setup(struct rtest *rt, enum migset_engine engine, const char *prefix)
{
    struct sw_err err = {0};
    memset(rt, 0, sizeof *rt);
    if (engine_global_init(&err) != 0) {
        die("engine_global_init", &err);
    }
    if (testdb_create(engine, prefix, &rt->db) != 0) {
        die("testdb_create", NULL);
    }
    rt->dir = testdb_mkdtemp(prefix);
    if (rt->dir == NULL) {
        die("mkdtemp", NULL);
    }
    if (engine_open(rt->db.dsn, 0, &rt->eng, &err) != 0) {
        die("engine_open", &err);
    }
}

void rtest_teardown(struct rtest *rt)
{
    engine_close(rt->eng);
    migset_free(rt->set);
    testdb_drop(&rt->db);
    if (rt->dir != NULL) {
        testdb_rmtree(rt->dir);
        free(rt->dir);
    }
    memset(rt, 0, sizeof *rt);
}

void rtest_write(struct rtest *rt, const char *name, const char *sql)
{
    if (testdb_write_file(rt->dir, name, sql) != 0) {
        die("write file", NULL);
    }
}

void rtest_load(struct rtest *rt)
{
    struct sw_err err = {0};
    struct migset_load_opts lo = {.skip_manifest = true};
    migset_free(rt->set);
    rt->set = NULL;
    if (migset_load(rt->dir, &lo, &rt->set, &err) != 0) {
        die("migset_load", &err);
    }
    runner_opts_init(&rt->opts, rt->set);
    rt->opts.agent = "rtest";
    rt->opts.lock_wait_ms = 20000;
    struct runner_lock_policy p = {
        .n_attempts = 3, .lock_timeout_ms = {200, 300, 400}, .pause_ms = {50, 50, 50}};
    rt->opts.lock_policy = p;
}

static int parse_or_zero(const char *text, struct version *v)
{
    memset(v, 0, sizeof *v);
    return text == NULL ? 0 : version_parse_str(text, v, NULL);
}

int rtest_migrate(struct rtest *rt, const char *target, struct sw_err *err)
{
    struct version v;
    struct runner_result res;
    if (parse_or_zero(target, &v) != 0) {
        die("bad target", NULL);
    }
    return runner_migrate(rt->eng, &rt->opts, target ? &v : NULL, &res, err);
}

int rtest_undo(struct rtest *rt, const char *to, struct sw_err *err)
{
    struct version v;
    struct runner_result res;
    if (parse_or_zero(to, &v) != 0) {
        die("bad target", NULL);
    }
    return runner_undo(rt->eng, &rt->opts, &v, &res, err);
}

const char *rtest_current(struct rtest *rt, char *buf, size_t cap)
{
    struct runner_status st;
    struct sw_err err = {0};
    if (runner_status(rt->eng, rt->set, &st, &err) != 0) {
        die("runner_status", &err);
    }
    snprintf(buf, cap, "%s", st.current_text);
    runner_status_cleanup(&st);
    return buf;
}

/* First cell of the first row as an integer, or -1. */
static long long first_int(struct engine_rows *r)
{
    int64_t v = -1;
    const char *cell = (r != NULL && r->n_rows > 0) ? engine_rows_get(r, 0, 0) : NULL;
    if (cell == NULL || sw_parse_int64(cell, INT64_MIN, INT64_MAX, "value", &v, NULL) != 0) {
        v = -1;
    }
    engine_rows_free(r);
    return v;
}

int rtest_history_count(struct rtest *rt, const char *version, const char *state)
{
    struct engine_rows *r = NULL;
    struct sw_err err = {0};
    const char *params[2] = {version, state};
    const char *sql = state ? "SELECT count(*) FROM shardwave_schema_history WHERE version = ? "
                              "AND state = ?"
                            : "SELECT count(*) FROM shardwave_schema_history WHERE version = ?";
    if (engine_query(rt->eng, sql, params, state ? 2 : 1, &r, &err) != 0) {
        die("history count", &err);
    }
    return (int)first_int(r);
}

bool rtest_sql_ok(struct rtest *rt, const char *sql)
{
    struct engine_rows *r = NULL;
    struct sw_err err = {0};
    int rc = engine_query(rt->eng, sql, NULL, 0, &r, &err);
    engine_rows_free(r);
    return rc == 0;
}

long long rtest_sql_int(struct rtest *rt, const char *sql)
{
    struct engine_rows *r = NULL;
    struct sw_err err = {0};
    if (engine_query(rt->eng, sql, NULL, 0, &r, &err) != 0) {
        return -1;
    }
    return first_int(r);
}

struct engine *rtest_connect(struct rtest *rt)
{
    struct engine *eng = NULL;
    struct sw_err err = {0};
    if (engine_open(rt->db.dsn, 0, &eng, &err) != 0) {
        die("engine_open (second connection)", &err);
    }
    return eng;
}

enum migset_engine rtest_engine_of(void **state)
{
    return *(const enum migset_engine *)*state;
}
