/*
 * The MariaDB driver's prepared-statement cache (agent/engine/drv_mysql.c), against a
 * fresh database per test: a statement with parameters is prepared once per connection
 * (the server's own Com_stmt_prepare counter says so), the cache is bounded (least
 * recently used closed), a failed statement is closed and prepared again with the same
 * error text as without the cache, a table altered or dropped under a cached statement
 * gives the server's answer, a statement the server forgot is prepared again without
 * running twice, and a connection killed from a second one fails every later call as a
 * lost connection (the cache emptied, the lock released, a new connection works). The
 * runner on top: steps after the server forgot its statements, and after its connection
 * was killed and opened again, each leave exactly one `applied` row. And the `running`
 * row that travels in its step's batch (engine_exec_script_after): its values as
 * literals under both quoting modes, committed before the step's first statement.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mysql.h>

#include "engine/engine.h"
#include "rtest.h"
#include "sw/clock.h"
#include "testdb.h"

/* drv_mysql.c's MY_STMT_CACHE_SLOTS */
#define MC_SLOTS 16

/* Statement handles the driver asks for tell the test which connection handle they
 * belong to (the driver's state is opaque): this wraps Connector/C's mysql_stmt_init. */
static MYSQL *mc_last_handle;

MYSQL_STMT *STDCALL mysql_stmt_init(MYSQL *mysql)
{
    static MYSQL_STMT *(*real_init)(MYSQL *);
    if (real_init == NULL) {
        *(void **)&real_init = dlsym(RTLD_NEXT, "mysql_stmt_init");
    }
    mc_last_handle = mysql;
    return real_init(mysql);
}

struct mc {
    struct testdb db;
    struct engine *a; /* the connection under test */
    struct engine *b; /* a second one: DDL and KILL behind a's back */
};

static struct engine *mc_open(const struct mc *m)
{
    struct sw_err err = {0};
    struct engine *eng = NULL;
    if (engine_open(m->db.dsn, 10000, &eng, &err) != 0) {
        fail_msg("engine_open: %s", err.msg);
    }
    return eng;
}

static int mc_setup(void **state)
{
    struct mc *m = calloc(1, sizeof *m);
    if (m == NULL || testdb_create(MIGSET_ENGINE_MYSQL, "mcache", &m->db) != 0) {
        free(m);
        return -1;
    }
    *state = m;
    m->a = mc_open(m);
    m->b = mc_open(m);
    return 0;
}

static int mc_teardown(void **state)
{
    struct mc *m = *state;
    engine_close(m->a);
    engine_close(m->b);
    testdb_drop(&m->db);
    free(m);
    return 0;
}

static void mc_exec(struct engine *eng, const char *sql)
{
    struct sw_err err = {0};
    if (engine_exec(eng, sql, &err) != 0) {
        fail_msg("%s: %s", sql, err.msg);
    }
}

/* The one cell of sql run with params; rc must be 0. */
static void mc_value(struct engine *eng, const char *sql, const char *const *params,
                     size_t n_params, char *out, size_t cap)
{
    struct sw_err err = {0};
    struct engine_rows *rows = NULL;
    if (engine_query(eng, sql, params, n_params, &rows, &err) != 0) {
        fail_msg("%s: %s", sql, err.msg);
    }
    assert_int_equal(rows->n_rows, 1);
    const char *v = engine_rows_get(rows, 0, 0);
    snprintf(out, cap, "%s", v != NULL ? v : "(null)");
    engine_rows_free(rows);
}

/* eng's session counter (e.g. COM_STMT_PREPARE), read with a cached statement, so a
 * read prepares nothing once the first one has. */
static long mc_status(struct engine *eng, const char *name)
{
    const char *params[] = {name};
    char v[32];
    mc_value(eng,
             "SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS "
             "WHERE VARIABLE_NAME = ?",
             params, 1, v, sizeof v);
    return strtol(v, NULL, 10);
}

/* "SELECT CAST(? AS SIGNED) + k" with param n: must answer n + k. */
static void mc_add(struct engine *eng, int k, int n)
{
    char sql[64], param[16], want[16], got[16];
    snprintf(sql, sizeof sql, "SELECT CAST(? AS SIGNED) + %d", k);
    snprintf(param, sizeof param, "%d", n);
    snprintf(want, sizeof want, "%d", n + k);
    const char *params[] = {param};
    mc_value(eng, sql, params, 1, got, sizeof got);
    assert_string_equal(got, want);
}

/* Five executions of one statement: one prepare (by the first). */
static void test_prepared_once(void **state)
{
    struct mc *m = *state;
    mc_status(m->a, "COM_STMT_PREPARE");
    long p0 = mc_status(m->a, "COM_STMT_PREPARE");
    for (int i = 0; i < 5; i++) {
        mc_add(m->a, 1, i * 7);
    }
    assert_int_equal(mc_status(m->a, "COM_STMT_PREPARE") - p0, 1);
    assert_int_equal(mc_status(m->a, "COM_STMT_CLOSE"), 0);
}

/* MC_SLOTS + 4 statements through a cache of MC_SLOTS: the least recently used are
 * closed and prepared again when they come back; the most recent stay. */
static void test_bounded_lru(void **state)
{
    struct mc *m = *state;
    mc_status(m->a, "COM_STMT_PREPARE");
    long p0 = mc_status(m->a, "COM_STMT_PREPARE");
    for (int k = 1; k <= MC_SLOTS + 4; k++) {
        mc_add(m->a, k, 100);
    }
    /* Closed to make room: the status reader (by k = MC_SLOTS), k = 1..4, and k = 5 for
     * the reader itself, prepared again to read the count. */
    assert_int_equal(mc_status(m->a, "COM_STMT_CLOSE"), 6);
    mc_add(m->a, 1, 5); /* closed: prepared again */
    long p1 = mc_status(m->a, "COM_STMT_PREPARE");
    assert_int_equal(p1 - p0, (MC_SLOTS + 4) + 2); /* + the reader and k = 1 again */
    mc_add(m->a, MC_SLOTS + 4, 6);                 /* recent: still prepared */
    assert_int_equal(mc_status(m->a, "COM_STMT_PREPARE") - p1, 0);
}

/* A failing statement: the same error as without a cache; it is closed and the next
 * execution prepares it again and succeeds. */
static void test_failed_statement(void **state)
{
    struct mc *m = *state;
    struct sw_err err = {0};
    const char *one[] = {"1"};
    const char *two[] = {"2"};
    const char *ins = "INSERT INTO t VALUES (?)";
    mc_exec(m->a, "CREATE TABLE t (id int PRIMARY KEY)");
    mc_status(m->a, "COM_STMT_PREPARE");
    long p0 = mc_status(m->a, "COM_STMT_PREPARE");
    assert_int_equal(engine_query(m->a, ins, one, 1, NULL, &err), 0);
    assert_int_equal(engine_query(m->a, ins, one, 1, NULL, &err), SW_EDB);
    assert_string_equal(err.msg, "ERROR 1062 (23000): Duplicate entry '1' for key 'PRIMARY'");
    assert_int_equal(engine_query(m->a, ins, two, 1, NULL, &err), 0);
    assert_int_equal(mc_status(m->a, "COM_STMT_PREPARE") - p0, 2);
    char v[16];
    mc_value(m->b, "SELECT GROUP_CONCAT(id ORDER BY id) FROM t", NULL, 0, v, sizeof v);
    assert_string_equal(v, "1,2");

    /* a statement that cannot be prepared (its first execution was to prepare it): the
     * server's error, and the connection stays usable */
    assert_int_equal(engine_query(m->a, "SELEC ?", one, 1, NULL, &err), SW_EDB);
    assert_memory_equal(err.msg, "ERROR 1064 (42000): You have an error in your SQL syntax", 56);
    assert_int_equal(engine_query(m->a, "SELECT id FROM nope", NULL, 0, NULL, &err), SW_EDB);
    assert_non_null(strstr(err.msg, "ERROR 1146 (42S02): Table '"));
    mc_add(m->a, 3, 4);
}

/* Another connection alters, drops and recreates the table of cached statements. */
static void test_table_changed_underneath(void **state)
{
    struct mc *m = *state;
    struct sw_err err = {0};
    struct sw_err fresh = {0};
    const char *ins = "INSERT INTO t (a, b) VALUES (?, ?)";
    const char *sel = "SELECT b FROM t WHERE a = ?";
    const char *row1[] = {"1", "x"}, *row2[] = {"2", "y"}, *row3[] = {"3", "z"};
    const char *row4[] = {"4", "w"}, *key2[] = {"2"}, *key4[] = {"4"};
    char v[16];
    mc_exec(m->a, "CREATE TABLE t (a int, b varchar(10))");
    assert_int_equal(engine_query(m->a, ins, row1, 2, NULL, &err), 0);
    mc_exec(m->b, "ALTER TABLE t ADD COLUMN c int FIRST, MODIFY b varchar(20)");
    assert_int_equal(engine_query(m->a, ins, row2, 2, NULL, &err), 0);
    mc_value(m->a, sel, key2, 1, v, sizeof v);
    assert_string_equal(v, "y");

    mc_exec(m->b, "DROP TABLE t");
    assert_int_equal(engine_query(m->a, ins, row3, 2, NULL, &err), SW_EDB);
    struct engine *fresh_eng = mc_open(m); /* never prepared it: the error without a cache */
    assert_int_equal(engine_query(fresh_eng, ins, row3, 2, NULL, &fresh), SW_EDB);
    engine_close(fresh_eng);
    assert_string_equal(err.msg, fresh.msg);
    assert_non_null(strstr(err.msg, "ERROR 1146 (42S02): Table '"));

    mc_exec(m->b, "CREATE TABLE t (b varchar(10), a int)");
    assert_int_equal(engine_query(m->a, ins, row4, 2, NULL, &err), 0);
    mc_value(m->a, sel, key4, 1, v, sizeof v);
    assert_string_equal(v, "w");
    mc_value(m->b, "SELECT COUNT(*) FROM t", NULL, 0, v, sizeof v);
    assert_string_equal(v, "1");
}

/* Makes the server forget every prepared statement of the connection handle `my`,
 * behind the driver's back: COM_STMT_CLOSE for the id of each statement handle the
 * library holds on it (ids are the server's; a reused server thread goes on counting),
 * sent through a throwaway handle, so the driver's handles still look prepared. */
static void mc_forget_statements(MYSQL *my)
{
    unsigned long ids[64];
    size_t n = 0;
    for (LIST *li = my->stmts; li != NULL && n < 64; li = li->next) {
        const MYSQL_STMT *st = li->data;
        ids[n++] = st->stmt_id;
    }
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        MYSQL_STMT *st = mysql_stmt_init(my);
        assert_non_null(st);
        st->stmt_id = ids[i];
        st->state = MYSQL_STMT_PREPARED;
        mysql_stmt_close(st);
    }
}

/* The handle of eng's connection: the one its next statement is created on. */
static MYSQL *mc_handle_of(struct engine *eng)
{
    char v[16];
    mc_value(eng, "SELECT 1", NULL, 0, v, sizeof v);
    return mc_last_handle;
}

/* A cached INSERT the server forgot: prepared again and run exactly once. */
static void test_server_forgot_statement(void **state)
{
    struct mc *m = *state;
    struct sw_err err = {0};
    const char *ins = "INSERT INTO t VALUES (?)";
    const char *one[] = {"1"}, *two[] = {"2"};
    mc_exec(m->a, "CREATE TABLE t (id int)");
    assert_int_equal(engine_query(m->a, ins, one, 1, NULL, &err), 0);
    mc_status(m->a, "COM_STMT_PREPARE");
    long p0 = mc_status(m->a, "COM_STMT_PREPARE");

    mc_forget_statements(mc_handle_of(m->a));
    assert_int_equal(engine_query(m->a, ins, two, 1, NULL, &err), 0);
    mc_add(m->a, 1, 41);
    /* the INSERT, the SELECT, the status reader and mc_handle_of's query: each prepared once */
    assert_int_equal(mc_status(m->a, "COM_STMT_PREPARE") - p0, 4);
    char v[16];
    mc_value(m->b, "SELECT GROUP_CONCAT(id ORDER BY id) FROM t", NULL, 0, v, sizeof v);
    assert_string_equal(v, "1,2");
}

/* Waits (up to 10 s) until the server has ended connection `id`. */
static void mc_wait_gone(struct engine *observer, const char *id)
{
    const char *params[] = {id};
    char v[16] = "1";
    int64_t deadline = sw_clock_mono_ms() + 10000;
    while (strcmp(v, "0") != 0 && sw_clock_mono_ms() < deadline) {
        mc_value(observer, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?",
                 params, 1, v, sizeof v);
        if (strcmp(v, "0") != 0) {
            sw_clock_sleep_ms(20, NULL);
        }
    }
    assert_string_equal(v, "0");
}

/* A connection killed from another one: every later call fails as a lost connection
 * (cached or not), closing it is clean, the server released its lock, and a new
 * connection prepares and runs the same statements. */
static void test_killed_connection(void **state)
{
    struct mc *m = *state;
    struct sw_err err = {0};
    const char *two[] = {"2"};
    char id[32], kill[64], v[16];
    assert_int_equal(engine_lock(m->a, 1000, &err), 0);
    mc_add(m->a, 1, 1);
    mc_value(m->a, "SELECT CONNECTION_ID()", NULL, 0, id, sizeof id);
    snprintf(kill, sizeof kill, "KILL %s", id);
    mc_exec(m->b, kill);
    mc_wait_gone(m->b, id);

    assert_int_equal(engine_query(m->a, "SELECT CAST(? AS SIGNED) + 1", two, 1, NULL, &err),
                     SW_ECONNECT);
    assert_int_equal(engine_query(m->a, "SELECT CAST(? AS SIGNED) + 1", two, 1, NULL, &err),
                     SW_ECONNECT);
    assert_int_equal(engine_query(m->a, "SELECT 1", NULL, 0, NULL, &err), SW_ECONNECT);
    assert_int_equal(engine_unlock(m->a, &err), 0); /* lost with the connection: a no-op */
    engine_close(m->a);
    m->a = NULL;

    char lock[128];
    const char *lock_param[] = {lock};
    snprintf(lock, sizeof lock, "shardwave.%s", m->db.name);
    mc_value(m->b, "SELECT IS_FREE_LOCK(?)", lock_param, 1, v, sizeof v);
    assert_string_equal(v, "1");
    m->a = mc_open(m);
    assert_int_equal(engine_lock(m->a, 1000, &err), 0);
    mc_add(m->a, 1, 2);
    assert_int_equal(engine_unlock(m->a, &err), 0);
}

/* "SELECT COUNT(*) FROM shardwave_schema_history WHERE ..." on another connection. */
static long long mc_history_rows(struct rtest *rt, const char *where)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM shardwave_schema_history WHERE %s", where);
    return rtest_sql_int(rt, sql);
}

static void test_runner_forgotten_and_killed(void **state)
{
    (void)state;
    struct rtest rt;
    struct sw_err err = {0};
    char cur[VERSION_TEXT_MAX], id[32], kill[64];
    rtest_setup(&rt, MIGSET_ENGINE_MYSQL, "mcrun");
    rtest_write(&rt, "V1__a.sql", "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n");
    rtest_write(&rt, "V2__b.sql", "CREATE TABLE b (id int);\n");
    rtest_write(&rt, "V3__c.sql", "ALTER TABLE b ADD COLUMN c int;\n");
    rtest_load(&rt);
    assert_int_equal(rtest_migrate(&rt, "1", &err), 0);

    mc_forget_statements(mc_handle_of(rt.eng)); /* history writes, lock, table check */
    assert_int_equal(rtest_migrate(&rt, "2", &err), 0);
    assert_int_equal(rtest_history_count(&rt, "2", NULL), 1);
    assert_int_equal(rtest_history_count(&rt, "2", "applied"), 1);

    mc_value(rt.eng, "SELECT CONNECTION_ID()", NULL, 0, id, sizeof id);
    struct engine *other = rtest_connect(&rt);
    snprintf(kill, sizeof kill, "KILL %s", id);
    mc_exec(other, kill);
    mc_wait_gone(other, id);
    engine_close(other);
    assert_int_equal(rtest_migrate(&rt, NULL, &err), SW_ECONNECT);
    engine_close(rt.eng);
    rt.eng = rtest_connect(&rt);
    assert_int_equal(rtest_migrate(&rt, NULL, &err), 0);
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "3");
    assert_int_equal(rtest_history_count(&rt, "3", NULL), 1);
    assert_int_equal(mc_history_rows(&rt, "state <> 'applied'"), 0);
    assert_int_equal(mc_history_rows(&rt, "state = 'applied'"), 3);
    assert_true(rtest_sql_ok(&rt, "SELECT c FROM b"));
    rtest_teardown(&rt);
}

/* A prelude's values as literals: the same value back with backslash escapes, under
 * NO_BACKSLASH_ESCAPES, and after a migration switched the session to GBK (where an
 * escaped quote after some UTF-8 bytes would end the string). */
static void test_prelude_literals(void **state)
{
    struct mc *m = *state;
    struct sw_err err = {0};
    struct engine_script_result res;
    const char *odd = "o'brien \\' \\\\ \"x\" ? ; -- /* */ \\0 \xf0\x9f\x8c\x8a";
    const char *script = "SELECT 1;\n";
    char v[128];
    mc_exec(m->a, "CREATE TABLE p (k int, v varchar(100)) DEFAULT CHARSET=utf8mb4");
    for (int k = 1; k <= 3; k++) {
        if (k == 2) {
            mc_exec(m->a, "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')");
        }
        if (k == 3) {
            mc_exec(m->a, "SET NAMES gbk");
            odd = "\xe4\xbf\xbf' OR 1=1 -- \xe4\xbf\xbf\\'";
        }
        char key[4];
        snprintf(key, sizeof key, "%d", k);
        const char *params[] = {key, odd};
        struct engine_prelude pre = {
            .sql = "INSERT INTO p (k, v) VALUES (?, ?)", .params = params, .n_params = 2};
        assert_int_equal(
            engine_exec_script_after(m->a, &pre, script, strlen(script), 0, &res, &err), 0);
        assert_non_null(pre.rows);
        assert_int_equal(pre.rows->n_cols, 0);
        engine_rows_free(pre.rows);
        const char *kp[] = {key};
        mc_value(m->b, "SELECT v FROM p WHERE k = ?", kp, 1, v, sizeof v);
        assert_string_equal(v, odd);
    }
}

/* The dirty rule with the `running` row in the step's own batch: a step whose second
 * statement kills its connection leaves the row committed and `running` (the shard is
 * dirty and migrate refuses it), its first statement applied and its third not run. */
static void test_runner_running_row_committed_first(void **state)
{
    (void)state;
    struct rtest rt;
    struct sw_err err = {0};
    rtest_setup(&rt, MIGSET_ENGINE_MYSQL, "mcdirty");
    rtest_write(&rt, "V1__dies.sql",
                "CREATE TABLE x1 (id int);\nKILL CONNECTION_ID();\nCREATE TABLE x2 (id int);\n");
    rtest_load(&rt);
    assert_int_equal(rtest_migrate(&rt, NULL, &err), SW_ECONNECT);
    engine_close(rt.eng);
    rt.eng = rtest_connect(&rt);
    assert_int_equal(rtest_history_count(&rt, "1", NULL), 1);
    assert_int_equal(rtest_history_count(&rt, "1", "running"), 1);
    assert_int_equal(mc_history_rows(&rt, "stmt_done = 0 AND stmt_total = 3"), 1);
    assert_true(rtest_sql_ok(&rt, "SELECT id FROM x1"));
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM x2"));
    assert_int_not_equal(rtest_migrate(&rt, NULL, &err), 0);
    assert_non_null(strstr(err.msg, "dirty"));
    rtest_teardown(&rt);
}

/* FLOAT and DOUBLE results read as the text protocol prints them (they read "" once). */
static void test_float_results(void **state)
{
    struct mc *m = *state;
    const char *half[] = {"0.75"};
    char v[64];
    mc_value(m->a, "SELECT CAST(? AS DOUBLE) * 2", half, 1, v, sizeof v);
    assert_string_equal(v, "1.5");
    mc_value(m->a, "SELECT 0.1e0 + 0.2e0", NULL, 0, v, sizeof v);
    assert_string_equal(v, "0.30000000000000004");
    mc_value(m->a, "SELECT -2.5e-7", NULL, 0, v, sizeof v);
    assert_string_equal(v, "-0.00000025");
    mc_exec(m->a, "CREATE TABLE f (x float, d double)");
    mc_exec(m->a, "INSERT INTO f VALUES (1.5, 1e300), (NULL, 0)");
    mc_value(m->a, "SELECT CONCAT_WS('|', MIN(x), MAX(d)) FROM f", NULL, 0, v, sizeof v);
    assert_string_equal(v, "1.5|1e300");
    mc_value(m->a, "SELECT x FROM f WHERE d > 0", NULL, 0, v, sizeof v);
    assert_string_equal(v, "1.5");
    mc_value(m->a, "SELECT d FROM f WHERE x IS NULL", NULL, 0, v, sizeof v);
    assert_string_equal(v, "0");
}

int main(void)
{
    testdb_require(MIGSET_ENGINE_MYSQL);
    struct sw_err err = {0};
    if (engine_global_init(&err) != 0) {
        fprintf(stderr, "engine_global_init: %s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prepared_once, mc_setup, mc_teardown),
        cmocka_unit_test_setup_teardown(test_bounded_lru, mc_setup, mc_teardown),
        cmocka_unit_test_setup_teardown(test_failed_statement, mc_setup, mc_teardown),
        cmocka_unit_test_setup_teardown(test_table_changed_underneath, mc_setup, mc_teardown),
        cmocka_unit_test_setup_teardown(test_server_forgot_statement, mc_setup, mc_teardown),
        cmocka_unit_test_setup_teardown(test_killed_connection, mc_setup, mc_teardown),
        cmocka_unit_test(test_runner_forgotten_and_killed),
        cmocka_unit_test_setup_teardown(test_prelude_literals, mc_setup, mc_teardown),
        cmocka_unit_test(test_runner_running_row_committed_first),
        cmocka_unit_test_setup_teardown(test_float_results, mc_setup, mc_teardown),
    };
    int rc = cmocka_run_group_tests_name("engine_mysql_cache", tests, NULL, NULL);
    engine_global_cleanup();
    return rc;
}
