/*
 * One conformance suite for the three engine drivers, run against a fresh
 * PostgreSQL database, a fresh MariaDB database and a fresh SQLite file per
 * test: queries and NULLs, transactions, the history DDL, the migrator lock,
 * lock and statement timeouts, script failures and resumption, cancel, and DSN
 * handling (redaction, unknown schemes).
 */
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "sw/clock.h"
#include "testdb.h"

/* The history table name is a contract (DESIGN.md). */
#define CONF_HISTORY "shardwave_schema_history"

struct conf {
    enum migset_engine kind;
    struct testdb db;
    struct engine *a; /* the connection most tests use */
    struct engine *b; /* a second connection, opened on demand */
};

static const enum migset_engine conf_kinds[] = {MIGSET_ENGINE_PG, MIGSET_ENGINE_MYSQL,
                                                MIGSET_ENGINE_SQLITE};

/* What differs per engine, indexed by enum migset_engine. */
struct conf_spec {
    const char *name;
    unsigned caps;
    bool db_is_path;            /* engine_database() is the file path */
    const char *bad_dsn;        /* cannot connect (wrong password / no such directory) */
    const char *bad_dsn_shown;  /* how the error shows it */
    const char *hold_sql[4];    /* connection A holds a lock on t in an open transaction */
    const char *missing_msg;    /* error for the missing table; "{db}" = database name */
    const char *slow_sql;       /* runs for many seconds */
    const char *running_probe;  /* count of sessions running slow_sql (NULL: no server) */
    const char *many_rows_sql;  /* ENGINE_ROWS_MAX + 1 rows */
    const char *big_text_sql;   /* 65 rows of 1 MiB */
    const char *routine_script; /* NULL, or routines whose calls return result sets; its
                                   statement 4 (line 7) fails */
};

static const struct conf_spec conf_specs[MIGSET_ENGINE_COUNT] = {
    [MIGSET_ENGINE_PG] =
        {
            .name = "pg",
            .caps = ENGINE_CAP_TXN_DDL | ENGINE_CAP_ADVISORY_LOCK | ENGINE_CAP_CANCEL,
            .bad_dsn = "postgres://sw:wrongpw77@127.0.0.1:1/x",
            .bad_dsn_shown = "postgres://sw:***@127.0.0.1:1/x",
            .hold_sql = {"BEGIN", "LOCK TABLE t IN SHARE MODE"},
            .missing_msg = "line 3: ERROR 42P01: relation \"missing_table\" does not exist",
            .slow_sql = "SELECT pg_sleep(20);\n",
            .running_probe = "SELECT count(*) FROM pg_stat_activity "
                             "WHERE query LIKE 'SELECT pg\\_sleep(20)%'",
            .many_rows_sql = "SELECT g FROM generate_series(1, 1000001) g",
            .big_text_sql = "SELECT repeat('x', 1048576) FROM generate_series(1, 65)",
        },
    [MIGSET_ENGINE_MYSQL] =
        {
            .name = "mysql",
            .caps = ENGINE_CAP_ADVISORY_LOCK | ENGINE_CAP_CANCEL,
            .bad_dsn = "mysql://sw:wrongpw77@127.0.0.1:1/x",
            .bad_dsn_shown = "mysql://sw:***@127.0.0.1:1/x",
            /* a read in an open transaction holds the table's metadata lock */
            .hold_sql = {"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ", "BEGIN",
                         "SELECT * FROM t"},
            .missing_msg = "line 3: ERROR 1146 (42S02): Table '{db}.missing_table' doesn't exist",
            .slow_sql = "SELECT SLEEP(20);\n",
            .running_probe = "SELECT count(*) FROM information_schema.processlist "
                             "WHERE info LIKE 'SELECT SLEEP(20)%'",
            .many_rows_sql = "SELECT seq FROM seq_1_to_1000001",
            .big_text_sql = "SELECT REPEAT('x', 1048576) FROM seq_1_to_65",
            .routine_script = "DELIMITER //\n"
                              "CREATE PROCEDURE two_results() BEGIN SELECT 1; SELECT 2; END//\n"
                              "DELIMITER ;\n"
                              "CALL two_results();\n"
                              "call two_results ();\n"
                              "-- fails:\n"
                              "INSERT INTO missing_table VALUES (1);\n"
                              "CREATE TABLE after_failure (id int);\n",
        },
    [MIGSET_ENGINE_SQLITE] =
        {
            .name = "sqlite",
            .caps = ENGINE_CAP_TXN_DDL | ENGINE_CAP_CANCEL,
            .db_is_path = true,
            .bad_dsn = "sqlite:///nonexistent-dir-sw/sub/x.db",
            .bad_dsn_shown = "sqlite:///nonexistent-dir-sw/sub/x.db",
            .hold_sql = {"BEGIN IMMEDIATE", "INSERT INTO t VALUES (2)"},
            .missing_msg = "line 3: ERROR 1 (SQL logic error): no such table: missing_table",
            .slow_sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                        "WHERE x < 100000000000) SELECT count(*) FROM n;\n",
            .many_rows_sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                             "WHERE x < 1000001) SELECT x FROM n",
            .big_text_sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n "
                            "WHERE x < 65) SELECT printf('%.*c', 1048576, 'x') FROM n",
        },
};

static const struct conf_spec *conf_spec_of(const struct conf *c)
{
    return &conf_specs[c->kind];
}

static int conf_setup(void **state)
{
    struct conf *c = calloc(1, sizeof *c);
    struct sw_err err = {0};
    if (c == NULL) {
        return -1;
    }
    c->kind = *(const enum migset_engine *)*state;
    *state = c;
    if (testdb_create(c->kind, "conf", &c->db) != 0) {
        return -1;
    }
    if (engine_open(c->db.dsn, 10000, &c->a, &err) != 0) {
        fprintf(stderr, "engine_open: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int conf_teardown(void **state)
{
    struct conf *c = *state;
    engine_close(c->a);
    engine_close(c->b);
    testdb_drop(&c->db);
    free(c);
    return 0;
}

static struct engine *conf_open_b(struct conf *c)
{
    struct sw_err err = {0};
    if (engine_open(c->db.dsn, 10000, &c->b, &err) != 0) {
        fail_msg("engine_open B: %s", err.msg);
    }
    return c->b;
}

static void conf_exec(struct engine *eng, const char *sql)
{
    struct sw_err err = {0};
    if (engine_exec(eng, sql, &err) != 0) {
        fail_msg("%s: %s", sql, err.msg);
    }
}

/* The single value of a one-row, one-column query ("(null)" for NULL). */
static void conf_value(struct engine *eng, const char *sql, char *out, size_t cap)
{
    struct sw_err err = {0};
    struct engine_rows *rows = NULL;
    if (engine_query(eng, sql, NULL, 0, &rows, &err) != 0) {
        fail_msg("%s: %s", sql, err.msg);
    }
    assert_int_equal(rows->n_rows, 1);
    assert_int_equal(rows->n_cols, 1);
    const char *v = engine_rows_get(rows, 0, 0);
    snprintf(out, cap, "%s", v != NULL ? v : "(null)");
    engine_rows_free(rows);
}

static bool conf_table_exists(struct engine *eng, const char *table)
{
    struct sw_err err = {0};
    bool exists = false;
    if (engine_table_exists(eng, table, &exists, &err) != 0) {
        fail_msg("table_exists %s: %s", table, err.msg);
    }
    return exists;
}

static void test_open_close(void **state)
{
    struct conf *c = *state;
    const struct conf_spec *spec = conf_spec_of(c);
    assert_int_equal(engine_kind(c->a), c->kind);
    assert_string_equal(engine_name(c->a), spec->name);
    assert_int_equal(engine_caps(c->a), spec->caps);
    assert_true(strlen(engine_server_version(c->a)) > 0);
    assert_string_equal(engine_database(c->a), spec->db_is_path ? c->db.path : c->db.name);
    char v[64];
    conf_value(c->a, "SELECT 1", v, sizeof v);
    assert_string_equal(v, "1");
    engine_close(c->a);
    c->a = NULL;
    engine_close(NULL);
}

/* A wrong password: SW_ECONNECT, the server's reason, and no password in the text. */
static void test_open_failure(void **state)
{
    struct conf *c = *state;
    const struct conf_spec *spec = conf_spec_of(c);
    struct sw_err err = {0};
    struct engine *eng = NULL;
    assert_int_equal(engine_open(spec->bad_dsn, 2000, &eng, &err), SW_ECONNECT);
    assert_null(eng);
    assert_null(strstr(err.msg, "wrongpw77"));
    char want[128];
    snprintf(want, sizeof want, "cannot connect to %s: ", spec->bad_dsn_shown);
    assert_memory_equal(err.msg, want, strlen(want));
    assert_true(strlen(err.msg) > strlen(want)); /* the reason follows */
}

static void test_query_params_and_null(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    struct engine_rows *rows = NULL;
    conf_exec(c->a, "CREATE TABLE t (id int, name varchar(50))");
    const char *const p1[] = {"1", "a'b;c?"};
    const char *const p2[] = {"2", NULL};
    assert_int_equal(engine_query(c->a, "INSERT INTO t VALUES (?, ?)", p1, 2, NULL, &err), 0);
    assert_int_equal(engine_query(c->a, "INSERT INTO t VALUES (?, ?)", p2, 2, NULL, &err), 0);
    const char *const q[] = {"1"};
    assert_int_equal(
        engine_query(c->a, "SELECT id, name FROM t WHERE id >= ? ORDER BY id", q, 1, &rows, &err),
        0);
    assert_int_equal(rows->n_rows, 2);
    assert_int_equal(rows->n_cols, 2);
    assert_string_equal(engine_rows_get(rows, 0, 0), "1");
    assert_string_equal(engine_rows_get(rows, 0, 1), "a'b;c?");
    assert_string_equal(engine_rows_get(rows, 1, 0), "2");
    assert_null(engine_rows_get(rows, 1, 1));
    engine_rows_free(rows);
    rows = NULL;

    /* an empty result still has its columns */
    const char *const none[] = {"99"};
    assert_int_equal(
        engine_query(c->a, "SELECT id, name FROM t WHERE id = ?", none, 1, &rows, &err), 0);
    assert_int_equal(rows->n_rows, 0);
    assert_int_equal(rows->n_cols, 2);
    engine_rows_free(rows);

    assert_int_equal(engine_query(c->a, "SELECT ? FROM t", NULL, 0, NULL, &err), SW_EINTERNAL);
    assert_string_equal(err.msg, "engine_query: 1 placeholders but 0 params");
    assert_int_equal(engine_exec(c->a, "SELECT nope FROM missing_table", &err), SW_EDB);
    assert_non_null(strstr(err.msg, "missing_table"));
}

/* Results are bounded; the connection stays usable after a refused result. */
static void test_rows_limits(void **state)
{
    struct conf *c = *state;
    const struct conf_spec *spec = conf_spec_of(c);
    struct sw_err err = {0};
    struct engine_rows *rows = NULL;
    assert_int_equal(engine_query(c->a, spec->many_rows_sql, NULL, 0, &rows, &err), SW_ETOOBIG);
    assert_null(rows);
    assert_string_equal(err.msg, "query result exceeds 1000000 rows");
    assert_int_equal(engine_query(c->a, spec->big_text_sql, NULL, 0, &rows, &err), SW_ETOOBIG);
    assert_null(rows);
    assert_string_equal(err.msg, "query result exceeds 64 MiB of text");
    char v[64];
    conf_value(c->a, "SELECT 9", v, sizeof v);
    assert_string_equal(v, "9");
}

static void test_txn_rollback(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    char v[64];
    conf_exec(c->a, "CREATE TABLE t (id int)");
    assert_int_equal(engine_begin(c->a, &err), 0);
    conf_exec(c->a, "INSERT INTO t VALUES (1)");
    assert_int_equal(engine_lock(c->a, 100, &err), SW_EINTERNAL);
    assert_non_null(strstr(err.msg, "engine_lock inside a transaction"));
    assert_int_equal(engine_rollback(c->a, &err), 0);
    conf_value(c->a, "SELECT count(*) FROM t", v, sizeof v);
    assert_string_equal(v, "0");

    assert_int_equal(engine_begin(c->a, &err), 0);
    conf_exec(c->a, "INSERT INTO t VALUES (2)");
    assert_int_equal(engine_commit(c->a, &err), 0);
    conf_value(c->a, "SELECT count(*) FROM t", v, sizeof v);
    assert_string_equal(v, "1");

    if (engine_caps(c->a) & ENGINE_CAP_TXN_DDL) {
        assert_int_equal(engine_begin(c->a, &err), 0);
        conf_exec(c->a, "CREATE TABLE t2 (id int)");
        assert_true(conf_table_exists(c->a, "t2"));
        assert_int_equal(engine_rollback(c->a, &err), 0);
        assert_false(conf_table_exists(c->a, "t2"));
    }
}

static void test_history_ddl(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    struct engine_script_result res;
    const char *ddl = engine_history_ddl(c->a);
    assert_false(conf_table_exists(c->a, CONF_HISTORY));
    for (int i = 0; i < 2; i++) { /* idempotent */
        if (engine_exec_script(c->a, ddl, strlen(ddl), 0, &res, &err) != 0) {
            fail_msg("history ddl run %d: %s", i + 1, err.msg);
        }
    }
    assert_true(conf_table_exists(c->a, CONF_HISTORY));
    assert_false(conf_table_exists(c->a, "no_such_table"));
    const char *const p[] = {"1.2",
                             "add status",
                             "up",
                             "V1_2__add_status.sql",
                             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                             "applied",
                             NULL,
                             "cli@host",
                             "2024-05-01 10:11:12.345",
                             "2024-05-01 10:11:13.456",
                             "1111",
                             "3",
                             "3",
                             NULL};
    assert_int_equal(engine_query(c->a,
                                  "INSERT INTO " CONF_HISTORY
                                  " (version, description, direction, script, checksum, state,"
                                  " wave, agent, started_at, finished_at, duration_ms, stmt_done,"
                                  " stmt_total, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                                  " ?, ?, ?)",
                                  p, 14, NULL, &err),
                     0);
    char v[64];
    conf_value(c->a, "SELECT finished_at FROM " CONF_HISTORY " WHERE version = '1.2'", v, sizeof v);
    assert_string_equal(v, "2024-05-01 10:11:13.456");
    conf_value(c->a, "SELECT id FROM " CONF_HISTORY, v, sizeof v);
    assert_string_equal(v, "1");
}

static void test_lock_exclusive(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    struct engine *b = conf_open_b(c);
    assert_int_equal(engine_lock(c->a, 1000, &err), 0);
    assert_int_equal(engine_lock(b, 300, &err), SW_ELOCKED);
    char want[600];
    snprintf(want, sizeof want, "another migrator holds the lock on %s (waited ",
             engine_database(b));
    assert_memory_equal(err.msg, want, strlen(want));

    assert_int_equal(engine_unlock(c->a, &err), 0);
    assert_int_equal(engine_lock(b, 1000, &err), 0);
    assert_int_equal(engine_lock(c->a, 0, &err), SW_ELOCKED);
    assert_int_equal(engine_unlock(b, &err), 0);

    /* closing the holder's connection releases its lock */
    assert_int_equal(engine_lock(c->a, 1000, &err), 0);
    assert_int_equal(engine_lock(b, 0, &err), SW_ELOCKED);
    engine_close(c->a);
    c->a = NULL;
    assert_int_equal(engine_lock(b, 5000, &err), 0);
    assert_int_equal(engine_unlock(b, &err), 0);
}

/* Locks are per database, also for names too long to use verbatim in a lock name
 * (MySQL GET_LOCK names are at most 64 characters: the driver hashes them). */
static void test_lock_long_database_name(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    static const char prefix[] = "a_rather_long_tenant_database_name_xxxx";
    struct testdb long1;
    struct testdb long2;
    struct engine *e[3] = {NULL, NULL, NULL};
    assert_int_equal(testdb_create(c->kind, prefix, &long1), 0);
    assert_int_equal(testdb_create(c->kind, prefix, &long2), 0);
    assert_true(strlen(long1.name) > 54);
    int rc = engine_open(long1.dsn, 10000, &e[0], &err);
    rc = rc != 0 ? rc : engine_open(long1.dsn, 10000, &e[1], &err);
    rc = rc != 0 ? rc : engine_open(long2.dsn, 10000, &e[2], &err);
    if (rc == 0) {
        assert_int_equal(engine_lock(e[0], 1000, &err), 0);
        assert_int_equal(engine_lock(e[1], 0, &err), SW_ELOCKED); /* same database */
        assert_int_equal(engine_lock(e[2], 1000, &err), 0);       /* another database */
    }
    for (size_t i = 0; i < 3; i++) {
        engine_close(e[i]);
    }
    testdb_drop(&long1);
    testdb_drop(&long2);
    assert_int_equal(rc, 0);
}

/* Child process: takes the migrator lock, then runs the slow statement until it
 * is killed. */
static void conf_lock_holder_child(const struct conf *c)
{
    struct sw_err err = {0};
    struct engine *eng = NULL;
    struct engine_script_result res;
    const char *slow = conf_spec_of(c)->slow_sql;
    if (engine_open(c->db.dsn, 10000, &eng, &err) != 0 || engine_lock(eng, 5000, &err) != 0) {
        _exit(3);
    }
    engine_exec_script(eng, slow, strlen(slow), 0, &res, &err);
    _exit(4);
}

/* Polls until another session holds the migrator lock and, where the server can
 * tell, runs the slow statement. */
static bool conf_wait_holder_busy(struct conf *c, struct engine *probe)
{
    const char *sql = conf_spec_of(c)->running_probe;
    int64_t deadline = sw_clock_mono_ms() + 20000;
    bool locked_out = false;
    while (sw_clock_mono_ms() < deadline) {
        struct sw_err err = {0};
        if (!locked_out) {
            int rc = engine_lock(probe, 0, &err);
            assert_true(rc == 0 || rc == SW_ELOCKED);
            locked_out = rc == SW_ELOCKED;
            if (rc == 0) {
                assert_int_equal(engine_unlock(probe, &err), 0);
            }
        }
        char v[32] = "1";
        if (locked_out && sql != NULL) {
            conf_value(probe, sql, v, sizeof v);
        }
        if (locked_out && strcmp(v, "0") != 0) {
            return true;
        }
        sw_clock_sleep_ms(20, NULL);
    }
    return false;
}

/* The lock is a session lock: a migrator killed in the middle of a long statement
 * releases it at once (the server notices the dead client; SQLite: the kernel). */
static void test_lock_released_on_kill(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        conf_lock_holder_child(c);
    }
    struct engine *b = conf_open_b(c);
    bool busy = conf_wait_holder_busy(c, b);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(busy);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(engine_lock(b, 5000, &err), 0);
    assert_int_equal(engine_unlock(b, &err), 0);
}

/* Connection A holds a lock on t in an open transaction; B's ALTER must give up
 * after B's lock timeout instead of queueing behind A. */
static void conf_hold_table(struct conf *c)
{
    const struct conf_spec *spec = conf_spec_of(c);
    for (size_t i = 0; i < 4 && spec->hold_sql[i] != NULL; i++) {
        conf_exec(c->a, spec->hold_sql[i]);
    }
}

static void test_lock_timeout(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    struct engine_script_result res;
    conf_exec(c->a, "CREATE TABLE t (id int)");
    conf_exec(c->a, "INSERT INTO t VALUES (1)");
    struct engine *b = conf_open_b(c);
    conf_hold_table(c);
    assert_int_equal(engine_set_timeouts(b, 300, 0, &err), 0);
    const char *alter = "ALTER TABLE t ADD COLUMN c int;\n";
    assert_int_equal(engine_exec_script(b, alter, strlen(alter), 0, &res, &err), SW_ELOCKED);
    assert_true(res.lock_timeout);
    assert_int_equal(res.failed_idx, 0);
    assert_int_equal(res.n_done, 0);
    assert_int_equal(res.failed_line, 1);
    assert_string_equal(res.failed_excerpt, "ALTER TABLE t ADD COLUMN c int");
    assert_memory_equal(err.msg, "line 1: ", 8);

    assert_int_equal(engine_rollback(c->a, &err), 0);
    assert_int_equal(engine_exec_script(b, alter, strlen(alter), 0, &res, &err), 0);
    assert_false(res.lock_timeout);
    conf_exec(b, "SELECT c FROM t");
}

static const char conf_failing_script[] = "CREATE TABLE s1 (id int);\n"
                                          "-- the second statement fails\n"
                                          "INSERT INTO missing_table\n"
                                          "    VALUES (1);\n"
                                          "CREATE TABLE s3 (id int);\n";

/* Copies text into out with "{db}" replaced by db. */
static void conf_expand_db(const char *text, const char *db, char *out, size_t cap)
{
    const char *at = strstr(text, "{db}");
    if (at == NULL) {
        snprintf(out, cap, "%s", text);
    } else {
        snprintf(out, cap, "%.*s%s%s", (int)(at - text), text, db, at + 4);
    }
}

static void test_script_failure_and_resume(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    struct engine_script_result res;
    const size_t len = strlen(conf_failing_script);
    assert_int_equal(engine_exec_script(c->a, conf_failing_script, len, 0, &res, &err), SW_EDB);
    assert_int_equal(res.n_total, 3);
    assert_int_equal(res.n_done, 1);
    assert_int_equal(res.failed_idx, 1);
    assert_int_equal(res.failed_line, 3);
    assert_string_equal(res.failed_excerpt, "INSERT INTO missing_table VALUES (1)");
    assert_false(res.lock_timeout);
    char want[256];
    conf_expand_db(conf_spec_of(c)->missing_msg, c->db.name, want, sizeof want);
    assert_string_equal(err.msg, want);
    assert_true(conf_table_exists(c->a, "s1"));
    assert_false(conf_table_exists(c->a, "s3"));

    /* the operator fixes the cause; the script resumes at the failed statement */
    conf_exec(c->a, "CREATE TABLE missing_table (id int)");
    assert_int_equal(engine_exec_script(c->a, conf_failing_script, len, 1, &res, &err), 0);
    assert_int_equal(res.n_done, 3);
    assert_true(conf_table_exists(c->a, "s3"));
    char v[64];
    conf_value(c->a, "SELECT count(*) FROM missing_table", v, sizeof v);
    assert_string_equal(v, "1");
}

/* The prelude's one row, read back on connection b ("(null)" for NULL). */
static void conf_prelude_row(struct conf *c, int k, char *out, size_t cap)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT v FROM p WHERE k = %d", k);
    conf_value(conf_open_b(c), sql, out, cap);
    engine_close(c->b);
    c->b = NULL;
}

/* engine_exec_script_after: the prelude (with awkward values) commits and returns its
 * rows, then the script runs; a failing prelude runs nothing of the script (and its
 * error has no statement line); a failing script keeps the prelude's row; nothing left
 * to run runs the prelude alone. */
static void test_script_after_prelude(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    struct engine_script_result res;
    char v[256];
    const char *ins = "INSERT INTO p (k, v) VALUES (?, ?) RETURNING k";
    const char *odd = "it's a \\ back'slash ? and ; -- \"q\" \xc3\xbc\n/* x */";
    const char *p1[] = {"1", odd}, *p2[] = {"2", NULL}, *p3[] = {"3", "c"}, *p4[] = {"4", "d"};
    conf_exec(c->a, "CREATE TABLE p (k int, v varchar(200))");
    const char *script = "CREATE TABLE q1 (id int);\nINSERT INTO q1 VALUES (1);\n";
    struct engine_prelude pre = {.sql = ins, .params = p1, .n_params = 2};
    assert_int_equal(engine_exec_script_after(c->a, &pre, script, strlen(script), 0, &res, &err),
                     0);
    assert_int_equal(res.n_total, 2);
    assert_int_equal(res.n_done, 2);
    assert_non_null(pre.rows);
    assert_string_equal(engine_rows_get(pre.rows, 0, 0), "1");
    engine_rows_free(pre.rows);
    conf_prelude_row(c, 1, v, sizeof v);
    assert_string_equal(v, odd);
    conf_value(c->a, "SELECT count(*) FROM q1", v, sizeof v);
    assert_string_equal(v, "1");

    struct engine_prelude bad = {
        .sql = "INSERT INTO missing_table (k) VALUES (?)", .params = p2, .n_params = 1};
    const char *never = "CREATE TABLE q2 (id int);\n";
    assert_int_equal(engine_exec_script_after(c->a, &bad, never, strlen(never), 0, &res, &err),
                     SW_EDB);
    assert_null(bad.rows);
    assert_null(strstr(err.msg, "line "));
    assert_non_null(strstr(err.msg, "missing_table"));
    assert_int_equal(res.n_done, 0);
    assert_false(res.lock_timeout);
    assert_false(conf_table_exists(c->a, "q2"));

    pre = (struct engine_prelude){.sql = ins, .params = p2, .n_params = 2};
    const size_t len = strlen(conf_failing_script);
    assert_int_equal(engine_exec_script_after(c->a, &pre, conf_failing_script, len, 0, &res, &err),
                     SW_EDB);
    assert_non_null(pre.rows);
    engine_rows_free(pre.rows);
    assert_int_equal(res.failed_idx, 1);
    assert_int_equal(res.n_done, 1);
    assert_int_equal(res.failed_line, 3);
    char want[256];
    conf_expand_db(conf_spec_of(c)->missing_msg, c->db.name, want, sizeof want);
    assert_string_equal(err.msg, want);
    conf_prelude_row(c, 2, v, sizeof v);
    assert_string_equal(v, "(null)");

    pre = (struct engine_prelude){.sql = ins, .params = p3, .n_params = 2};
    assert_int_equal(engine_exec_script_after(c->a, &pre, conf_failing_script, len, 3, &res, &err),
                     0);
    assert_non_null(pre.rows);
    engine_rows_free(pre.rows);
    conf_prelude_row(c, 3, v, sizeof v);
    assert_string_equal(v, "c");

    pre = (struct engine_prelude){.sql = ins, .params = p4, .n_params = 1};
    assert_int_equal(engine_exec_script_after(c->a, &pre, never, strlen(never), 0, &res, &err),
                     SW_EINTERNAL);
    assert_string_equal(err.msg, "engine_exec_script_after: 2 placeholders but 1 params");
    assert_false(conf_table_exists(c->a, "q2"));
}

/* A CALL whose procedure returns result sets still counts as one statement. */
static void test_routine_results(void **state)
{
    struct conf *c = *state;
    const char *script = conf_spec_of(c)->routine_script;
    struct sw_err err = {0};
    struct engine_script_result res;
    if (script == NULL) {
        skip();
    }
    assert_int_equal(engine_exec_script(c->a, script, strlen(script), 0, &res, &err), SW_EDB);
    assert_int_equal(res.n_total, 5);
    assert_int_equal(res.failed_idx, 3);
    assert_int_equal(res.n_done, 3);
    assert_int_equal(res.failed_line, 7);
    assert_string_equal(res.failed_excerpt, "INSERT INTO missing_table VALUES (1)");
    assert_false(conf_table_exists(c->a, "after_failure"));
}

static void test_start_idx(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    struct engine_script_result res;
    const char *script = "CREATE TABLE k1 (id int);\nCREATE TABLE k2 (id int);\n"
                         "CREATE TABLE k3 (id int);\n";
    assert_int_equal(engine_exec_script(c->a, script, strlen(script), 4, &res, &err), SW_EINVAL);
    assert_string_equal(err.msg, "cannot resume at statement 5: the script has 3");
    assert_int_equal(engine_exec_script(c->a, script, strlen(script), 3, &res, &err), 0);
    assert_int_equal(res.n_done, 3);
    assert_false(conf_table_exists(c->a, "k3"));
    assert_int_equal(engine_exec_script(c->a, script, strlen(script), 1, &res, &err), 0);
    assert_int_equal(res.n_total, 3);
    assert_int_equal(res.n_done, 3);
    assert_false(conf_table_exists(c->a, "k1"));
    assert_true(conf_table_exists(c->a, "k2"));
    assert_true(conf_table_exists(c->a, "k3"));

    /* comment-only scripts are valid no-ops */
    const char *empty = "-- nothing here\n";
    assert_int_equal(engine_exec_script(c->a, empty, strlen(empty), 0, &res, &err), 0);
    assert_int_equal(res.n_total, 0);
    assert_int_equal(res.n_done, 0);
}

static void test_statement_timeout(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    struct engine_script_result res;
    const char *slow = conf_spec_of(c)->slow_sql;
    assert_int_equal(engine_set_timeouts(c->a, 1000, 200, &err), 0);
    assert_int_equal(engine_exec_script(c->a, slow, strlen(slow), 0, &res, &err), SW_ETIMEOUT);
    assert_int_equal(res.failed_idx, 0);
    assert_false(res.lock_timeout);
    assert_memory_equal(err.msg, "line 1: ", 8);
    /* the connection stays usable once the timeout is lifted */
    assert_int_equal(engine_set_timeouts(c->a, 1000, 0, &err), 0);
    char v[64];
    conf_value(c->a, "SELECT 7", v, sizeof v);
    assert_string_equal(v, "7");
}

struct conf_canceller {
    struct engine *eng;
    atomic_int done;
    int n_sent;
};

/* Keeps asking until the statement has stopped: a cancel that arrives before the
 * statement starts has no effect, so one request alone would race. */
static void *conf_cancel_thread(void *arg)
{
    struct conf_canceller *k = arg;
    int64_t deadline = sw_clock_mono_ms() + 15000;
    while (!atomic_load(&k->done) && sw_clock_mono_ms() < deadline) {
        struct sw_err err = {0};
        if (engine_cancel(k->eng, &err) == 0) {
            k->n_sent++;
        }
        sw_clock_sleep_ms(20, NULL);
    }
    return NULL;
}

static void test_cancel(void **state)
{
    struct conf *c = *state;
    struct sw_err err = {0};
    struct engine_script_result res;
    struct conf_canceller k = {.eng = c->a};
    atomic_init(&k.done, 0);
    pthread_t th;
    const char *slow = conf_spec_of(c)->slow_sql;
    assert_int_equal(pthread_create(&th, NULL, conf_cancel_thread, &k), 0);
    int rc = engine_exec_script(c->a, slow, strlen(slow), 0, &res, &err);
    atomic_store(&k.done, 1);
    pthread_join(th, NULL);
    assert_int_equal(rc, SW_ETIMEOUT);
    assert_true(k.n_sent > 0);
    char v[64];
    conf_value(c->a, "SELECT 8", v, sizeof v);
    assert_string_equal(v, "8");
}

/* ---- schema fingerprint ---------------------------------------------------------------- */

/* The same schema on every engine: tables, defaults, NOT NULL, primary, unique, foreign
 * key and check constraints, an index, a view, a trigger. */
struct conf_fp_spec {
    const char *schema;
    const char *seed_sql;   /* data only: must not change the fingerprint */
    const char *drop_index; /* undoes "CREATE INDEX fp_extra_idx ON users (created_at)" */
};

static const struct conf_fp_spec conf_fp_specs[MIGSET_ENGINE_COUNT] = {
    [MIGSET_ENGINE_PG] =
        {
            .schema =
                "CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE,\n"
                "    plan varchar(16) NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro')));\n"
                "CREATE TABLE users (id bigserial PRIMARY KEY,\n"
                "    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,\n"
                "    email text NOT NULL, created_at timestamp NOT NULL DEFAULT now());\n"
                "CREATE INDEX users_email_idx ON users (lower(email));\n"
                "CREATE VIEW pro_accounts AS SELECT id, name FROM accounts WHERE plan = 'pro';\n"
                "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                "BEGIN NEW.created_at := now(); RETURN NEW; END $$;\n"
                "CREATE TRIGGER users_touch BEFORE INSERT ON users\n"
                "    FOR EACH ROW EXECUTE FUNCTION touch();\n",
            .seed_sql = "INSERT INTO accounts (name) VALUES ('a'), ('b')",
            .drop_index = "DROP INDEX fp_extra_idx",
        },
    [MIGSET_ENGINE_MYSQL] =
        {
            .schema =
                "CREATE TABLE accounts (id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
                "    name varchar(100) NOT NULL UNIQUE,\n"
                "    plan varchar(16) NOT NULL DEFAULT 'free',\n"
                "    CONSTRAINT plan_ok CHECK (plan IN ('free', 'pro'))) ENGINE=InnoDB;\n"
                "CREATE TABLE users (id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
                "    account_id bigint NOT NULL, email varchar(200) NOT NULL,\n"
                "    created_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),\n"
                "    CONSTRAINT users_account_fk FOREIGN KEY (account_id)\n"
                "        REFERENCES accounts (id) ON DELETE CASCADE) ENGINE=InnoDB;\n"
                "CREATE INDEX users_email_idx ON users (email);\n"
                "CREATE VIEW pro_accounts AS SELECT id, name FROM accounts WHERE plan = 'pro';\n"
                "CREATE TRIGGER users_touch BEFORE INSERT ON users\n"
                "    FOR EACH ROW SET NEW.created_at = NOW(3);\n",
            .seed_sql = "INSERT INTO accounts (name) VALUES ('a'), ('b')",
            .drop_index = "DROP INDEX fp_extra_idx ON users",
        },
    [MIGSET_ENGINE_SQLITE] =
        {
            .schema =
                "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,\n"
                "    plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro')));\n"
                "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
                "    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,\n"
                "    email TEXT NOT NULL, created_at TEXT);\n"
                "CREATE INDEX users_email_idx ON users (lower(email));\n"
                "CREATE VIEW pro_accounts AS SELECT id, name FROM accounts WHERE plan = 'pro';\n"
                "CREATE TRIGGER users_touch AFTER INSERT ON users BEGIN\n"
                "    UPDATE users SET created_at = datetime('now') WHERE id = NEW.id;\n"
                "END;\n",
            .seed_sql = "INSERT INTO accounts (name) VALUES ('a'), ('b')",
            .drop_index = "DROP INDEX fp_extra_idx",
        },
};

static void conf_fingerprint(struct engine *eng, char out[ENGINE_FINGERPRINT_HEX_LEN + 1])
{
    struct sw_err err = {0};
    if (engine_schema_fingerprint(eng, out, &err) != 0) {
        fail_msg("engine_schema_fingerprint: %s", err.msg);
    }
    assert_int_equal(strlen(out), ENGINE_FINGERPRINT_HEX_LEN);
    assert_int_equal(strspn(out, "0123456789abcdef"), ENGINE_FINGERPRINT_HEX_LEN);
}

static void conf_run_script(struct engine *eng, const char *script)
{
    struct sw_err err = {0};
    struct engine_script_result res;
    if (engine_exec_script(eng, script, strlen(script), 0, &res, &err) != 0) {
        fail_msg("schema script: %s", err.msg);
    }
}

/* Same DDL on two databases (different names; one with data and the history table) ->
 * same fingerprint; an index, a view or a column more -> a different one; undoing the
 * index and the view gives the original back. */
static void test_schema_fingerprint(void **state)
{
    struct conf *c = *state;
    const struct conf_fp_spec *fp = &conf_fp_specs[c->kind];
    struct testdb other = {0};
    struct engine *b = NULL;
    struct sw_err err = {0};
    char empty[ENGINE_FINGERPRINT_HEX_LEN + 1];
    char fa[ENGINE_FINGERPRINT_HEX_LEN + 1];
    char fb[ENGINE_FINGERPRINT_HEX_LEN + 1];
    assert_int_equal(testdb_create(c->kind, "conffp", &other), 0);
    if (engine_open(other.dsn, 10000, &b, &err) != 0) {
        fail_msg("engine_open: %s", err.msg);
    }
    conf_fingerprint(c->a, empty);
    conf_run_script(c->a, fp->schema);
    conf_run_script(c->a, engine_history_ddl(c->a));
    conf_exec(c->a, "INSERT INTO " CONF_HISTORY " (version, description, direction, state) "
                    "VALUES ('1', 'init', 'up', 'applied')");
    conf_exec(c->a, fp->seed_sql);
    conf_run_script(b, fp->schema);
    conf_fingerprint(c->a, fa);
    conf_fingerprint(b, fb);
    assert_string_not_equal(fa, empty);
    assert_string_equal(fa, fb);

    conf_exec(b, "CREATE INDEX fp_extra_idx ON users (created_at)");
    conf_fingerprint(b, fb);
    assert_string_not_equal(fa, fb);
    conf_exec(b, fp->drop_index);
    conf_fingerprint(b, fb);
    assert_string_equal(fa, fb);

    conf_exec(b, "CREATE VIEW fp_extra_view AS SELECT id FROM users");
    conf_fingerprint(b, fb);
    assert_string_not_equal(fa, fb);
    conf_exec(b, "DROP VIEW fp_extra_view");
    conf_fingerprint(b, fb);
    assert_string_equal(fa, fb);

    conf_exec(b, "ALTER TABLE users ADD COLUMN nickname varchar(40)");
    conf_fingerprint(b, fb);
    assert_string_not_equal(fa, fb);
    engine_close(b);
    testdb_drop(&other);
}

#define CONF_TEST(f, kind)                                                                         \
    cmocka_unit_test_prestate_setup_teardown(f, conf_setup, conf_teardown, kind)

static int conf_run_engine(const enum migset_engine *kind)
{
    void *k = (void *)kind;
    const struct CMUnitTest tests[] = {
        CONF_TEST(test_open_close, k),
        CONF_TEST(test_open_failure, k),
        CONF_TEST(test_query_params_and_null, k),
        CONF_TEST(test_rows_limits, k),
        CONF_TEST(test_txn_rollback, k),
        CONF_TEST(test_history_ddl, k),
        CONF_TEST(test_lock_exclusive, k),
        CONF_TEST(test_lock_released_on_kill, k),
        CONF_TEST(test_lock_long_database_name, k),
        CONF_TEST(test_lock_timeout, k),
        CONF_TEST(test_script_failure_and_resume, k),
        CONF_TEST(test_script_after_prelude, k),
        CONF_TEST(test_start_idx, k),
        CONF_TEST(test_routine_results, k),
        CONF_TEST(test_statement_timeout, k),
        CONF_TEST(test_cancel, k),
        CONF_TEST(test_schema_fingerprint, k),
    };
    char name[64];
    snprintf(name, sizeof name, "engine_conformance/%s", conf_specs[*kind].name);
    return _cmocka_run_group_tests(name, tests, sizeof tests / sizeof tests[0], NULL, NULL);
}

static void test_dsn_redact(void **state)
{
    (void)state;
    static const struct {
        const char *dsn;
        const char *want;
    } cases[] = {
        {"postgres://sw:secret@db.example:5432/app?sslmode=require",
         "postgres://sw:***@db.example:5432/app?sslmode=require"},
        {"postgresql://sw:secret@h/app?password=secret&sslmode=disable",
         "postgresql://sw:***@h/app?password=***&sslmode=disable"},
        {"mysql://root:p%40ss%3Asecret@127.0.0.1:3306/shop",
         "mysql://root:***@127.0.0.1:3306/shop"},
        {"mariadb://root@127.0.0.1/shop?socket=/run/m.sock",
         "mariadb://root@127.0.0.1/shop?socket=/run/m.sock"},
        {"host=db port=5432 dbname=app user=sw password=secret",
         "user=sw password=*** dbname=app host=db port=5432"},
        {"host=db password='it\\'s secret' dbname='my app'",
         "password=*** dbname='my app' host=db"},
        {"host=db password=", "password=*** host=db"},
        {"sqlite:///var/lib/tenants/a.db", "sqlite:///var/lib/tenants/a.db"},
        {"mysql://u:secret@[bad", "mysql://***"},
        {"host='unterminated password=secret", "(unparsable conninfo)"},
    };
    char buf[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(engine_dsn_redact(cases[i].dsn, buf, sizeof buf), cases[i].want);
        assert_null(strstr(buf, "secret"));
    }
    /* a short buffer truncates rather than overflows */
    char small[8];
    assert_string_equal(engine_dsn_redact(cases[0].dsn, small, sizeof small), "postgre");
}

static void test_dsn_kind(void **state)
{
    (void)state;
    static const struct {
        const char *dsn;
        int rc;
        enum migset_engine kind;
        const char *msg;
    } cases[] = {
        {"postgres://h/db", 0, MIGSET_ENGINE_PG, NULL},
        {"POSTGRESQL://h/db", 0, MIGSET_ENGINE_PG, NULL},
        {"host=h dbname=db", 0, MIGSET_ENGINE_PG, NULL},
        {"mysql://u@h/db", 0, MIGSET_ENGINE_MYSQL, NULL},
        {"mariadb://u@h/db", 0, MIGSET_ENGINE_MYSQL, NULL},
        {"sqlite:///tmp/a.db", 0, MIGSET_ENGINE_SQLITE, NULL},
        {"oracle://scott:tiger@h/db", SW_EINVAL, MIGSET_ENGINE_PG,
         "unknown DSN scheme 'oracle://': use postgres://, mysql:// or sqlite:///path"},
        {"tenant.db", SW_EINVAL, MIGSET_ENGINE_PG,
         "DSN has no scheme: use postgres://, mysql:// or sqlite:///path"},
        {"", SW_EINVAL, MIGSET_ENGINE_PG, "empty DSN: use postgres://, mysql:// or sqlite:///path"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sw_err err = {0};
        enum migset_engine kind = MIGSET_ENGINE_COUNT;
        assert_int_equal(engine_kind_of_dsn(cases[i].dsn, &kind, &err), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(kind, cases[i].kind);
        } else {
            assert_string_equal(err.msg, cases[i].msg);
        }
    }
    struct sw_err err = {0};
    struct engine *eng = NULL;
    assert_int_equal(engine_open("oracle://scott:tiger@h/db", 0, &eng, &err), SW_EINVAL);
    assert_null(eng);
    assert_string_equal(
        err.msg, "unknown DSN scheme 'oracle://': use postgres://, mysql:// or sqlite:///path");
    assert_int_equal(engine_open("mysql://u@h/db?sslmode=x", 0, &eng, &err), SW_EINVAL);
    assert_string_equal(err.msg, "cannot connect to mysql://u@h/db?sslmode=x: mysql DSN: unknown "
                                 "option 'sslmode' (known: socket)");
}

int main(void)
{
    struct sw_err err = {0};
    if (engine_global_init(&err) != 0) {
        fprintf(stderr, "engine_global_init: %s\n", err.msg);
        return 1;
    }
    const struct CMUnitTest dsn_tests[] = {
        cmocka_unit_test(test_dsn_redact),
        cmocka_unit_test(test_dsn_kind),
    };
    int failed = cmocka_run_group_tests_name("engine_conformance/dsn", dsn_tests, NULL, NULL);
    bool missing = false;
    for (size_t i = 0; i < sizeof conf_kinds / sizeof conf_kinds[0]; i++) {
        if (!testdb_available(conf_kinds[i])) {
            missing = true;
            continue;
        }
        failed += conf_run_engine(&conf_kinds[i]);
    }
    engine_global_cleanup();
    if (failed == 0 && missing) {
        /* exits 77 (skipped), or 1 when SW_TEST_REQUIRE_SERVERS=1 */
        testdb_require(MIGSET_ENGINE_PG);
        testdb_require(MIGSET_ENGINE_MYSQL);
    }
    return failed == 0 ? 0 : 1;
}
