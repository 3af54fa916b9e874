/*
 * The runner's one transaction per shard (runner_opts.one_transaction) against real
 * PostgreSQL and SQLite databases, and its refusal on MariaDB: all steps commit
 * together and report after the commit; a failing third step leaves versions 1 and 2
 * unapplied (history and schema read directly); a stop request rolls everything back
 * without a failure row; a lock timeout retries the whole transaction; no-transaction
 * steps are refused before anything changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rtest.h"
#include "runner/history.h"

static const enum migset_engine txn_engines[] = {MIGSET_ENGINE_PG, MIGSET_ENGINE_SQLITE};

/* What the runner told us, in order: "S1 S2 S3 D1 D2 D3" (start, done, failed F, retry R). */
struct ev_log {
    char text[512];
    volatile int stop;
    const char *stop_at_start; /* version whose STEP_START requests a stop */
    struct engine *locker;     /* at the first STEP_START: takes a lock, becomes holder */
    struct engine *holder;     /* committed (lock released) at the first LOCK_RETRY */
    int n_retries;
};

/* Another session's open transaction with a row in `busy`: PostgreSQL's row lock
 * conflicts with ALTER TABLE busy; on SQLite it is the database's write lock. */
static void take_lock(struct engine *eng)
{
    struct sw_err err = {0};
    if (engine_begin(eng, &err) != 0 ||
        engine_exec(eng, "INSERT INTO busy (id) VALUES (1)", &err) != 0) {
        fail_msg("locker: %s", err.msg);
    }
}

static void on_event(void *ctx, const struct runner_event *ev)
{
    struct ev_log *log = ctx;
    char tag = 0;
    switch (ev->kind) {
    case RUNNER_EV_STEP_START:
        tag = 'S';
        if (log->stop_at_start != NULL && strcmp(ev->version_text, log->stop_at_start) == 0) {
            log->stop = 1;
        }
        if (log->locker != NULL) {
            take_lock(log->locker);
            log->holder = log->locker;
            log->locker = NULL;
        }
        break;
    case RUNNER_EV_STEP_DONE:
        tag = 'D';
        assert_true(ev->started_ms > 0);
        break;
    case RUNNER_EV_STEP_FAILED:
        tag = 'F';
        break;
    case RUNNER_EV_LOCK_RETRY:
        tag = 'R';
        log->n_retries++;
        if (log->holder != NULL) {
            struct sw_err err = {0};
            assert_int_equal(engine_commit(log->holder, &err), 0);
            log->holder = NULL;
        }
        break;
    case RUNNER_EV_LOCK_ACQUIRED:
    case RUNNER_EV_STEP_PLANNED:
        return;
    }
    size_t len = strlen(log->text);
    snprintf(log->text + len, sizeof log->text - len, "%s%c%s", len > 0 ? " " : "", tag,
             ev->version_text);
}

static void write_three_steps(struct rtest *rt, const char *third)
{
    rtest_write(rt, "V1__create_accounts.sql",
                "CREATE TABLE accounts (id INTEGER PRIMARY KEY, name VARCHAR(50));\n"
                "INSERT INTO accounts (id, name) VALUES (1, 'a'), (2, 'b');\n");
    rtest_write(rt, "V2__add_status.sql",
                "ALTER TABLE accounts ADD COLUMN status VARCHAR(20) DEFAULT 'new';\n");
    rtest_write(rt, "V3__third.sql", third);
    rtest_load(rt);
}

static void use_log(struct rtest *rt, struct ev_log *log)
{
    memset(log, 0, sizeof *log);
    rt->opts.one_transaction = true;
    rt->opts.on_event = on_event;
    rt->opts.ctx = log;
    rt->opts.stop = &log->stop;
}

static void test_all_steps_commit_together(void **state)
{
    struct rtest rt;
    struct ev_log log;
    struct sw_err err = {0};
    char cur[VERSION_TEXT_MAX];
    rtest_setup(&rt, rtest_engine_of(state), "rtxn_ok");
    write_three_steps(&rt, "CREATE INDEX accounts_status ON accounts (status);\n");
    use_log(&rt, &log);
    struct runner_result res;
    assert_int_equal(runner_migrate(rt.eng, &rt.opts, NULL, &res, &err), 0);
    assert_int_equal(res.n_steps, 3);
    assert_string_equal(res.to_text, "3");
    /* every step started before any reported: the reports wait for the commit */
    assert_string_equal(log.text, "S1 S2 S3 D1 D2 D3");
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "3");
    for (int v = 1; v <= 3; v++) {
        char version[8];
        snprintf(version, sizeof version, "%d", v);
        assert_int_equal(rtest_history_count(&rt, version, "applied"), 1);
    }
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM accounts WHERE status = 'new'"), 2);
    /* a second run is a no-op */
    log.text[0] = '\0';
    assert_int_equal(runner_migrate(rt.eng, &rt.opts, NULL, &res, &err), 0);
    assert_int_equal(res.n_steps, 0);
    assert_string_equal(log.text, "");
    rtest_teardown(&rt);
}

static void test_third_step_fails_nothing_applied(void **state)
{
    struct rtest rt;
    struct ev_log log;
    struct sw_err err = {0};
    char cur[VERSION_TEXT_MAX];
    rtest_setup(&rt, rtest_engine_of(state), "rtxn_fail");
    write_three_steps(&rt, "CREATE TABLE audit (id INTEGER);\n"
                           "INSERT INTO no_such_table (id) VALUES (1);\n");
    use_log(&rt, &log);
    struct runner_result res;
    assert_int_equal(runner_migrate(rt.eng, &rt.opts, NULL, &res, &err), SW_EDB);
    assert_non_null(strstr(err.msg, "applying V3__third.sql: "));
    assert_non_null(strstr(err.msg, "(statement 2 of 2: INSERT INTO no_such_table"));
    assert_non_null(strstr(
        err.msg, "; the shard's one transaction was rolled back with the 2 steps before it"));
    assert_string_equal(log.text, "S1 S2 S3 F3");
    /* the history, read directly: no applied row at all, one failed row for V3 */
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "0");
    assert_int_equal(rtest_history_count(&rt, "1", NULL), 0);
    assert_int_equal(rtest_history_count(&rt, "2", NULL), 0);
    assert_int_equal(rtest_history_count(&rt, "3", "failed"), 1);
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM shardwave_schema_history"), 1);
    /* the schema, read directly: nothing of V1..V3 exists */
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM accounts"));
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM audit"));
    /* fixed, the next run applies all three */
    rtest_write(&rt, "V3__third.sql", "CREATE TABLE audit (id INTEGER);\n");
    rtest_load(&rt);
    use_log(&rt, &log);
    assert_int_equal(runner_migrate(rt.eng, &rt.opts, NULL, &res, &err), 0);
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "3");
    assert_int_equal(rtest_history_count(&rt, "3", "applied"), 1);
    rtest_teardown(&rt);
}

static void test_stop_rolls_back(void **state)
{
    struct rtest rt;
    struct ev_log log;
    struct sw_err err = {0};
    char cur[VERSION_TEXT_MAX];
    rtest_setup(&rt, rtest_engine_of(state), "rtxn_stop");
    write_three_steps(&rt, "CREATE TABLE audit (id INTEGER);\n");
    use_log(&rt, &log);
    log.stop_at_start = "2"; /* the heartbeat lost the lease while V2 runs */
    struct runner_result res;
    assert_int_equal(runner_migrate(rt.eng, &rt.opts, NULL, &res, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "stopped before version 3: shutdown requested (the shard's "
                                 "transaction was rolled back)");
    assert_string_equal(log.text, "S1 S2");
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "0");
    /* the history table the transaction was to create went with it */
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM shardwave_schema_history"));
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM accounts"));
    rtest_teardown(&rt);
}

/* Another session takes a lock a step needs as the transaction starts; the attempt times
 * out, the lock is released at the retry, and the whole transaction runs again. */
static void test_lock_timeout_retries_whole_transaction(void **state)
{
    struct rtest rt;
    struct ev_log log;
    struct sw_err err = {0};
    char cur[VERSION_TEXT_MAX];
    enum migset_engine engine = rtest_engine_of(state);
    rtest_setup(&rt, engine, "rtxn_lock");
    write_three_steps(&rt, "CREATE TABLE audit (id INTEGER);\n");
    assert_int_equal(engine_exec(rt.eng, "CREATE TABLE busy (id INTEGER)", &err), 0);
    /* an existing history table: the transaction writes nothing before its first step
     * (else, on SQLite, creating the table would take the write lock first) */
    assert_int_equal(history_ensure(rt.eng, &err), 0);
    rtest_write(&rt, "V2__add_status.sql", "ALTER TABLE busy ADD COLUMN status VARCHAR(20);\n");
    rtest_load(&rt);
    use_log(&rt, &log);
    struct engine *other = rtest_connect(&rt);
    log.locker = other;
    struct runner_result res;
    assert_int_equal(runner_migrate(rt.eng, &rt.opts, NULL, &res, &err), 0);
    assert_int_equal(log.n_retries, 1);
    assert_null(log.holder);
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "3");
    assert_int_equal(rtest_history_count(&rt, "1", "applied"), 1); /* once, not twice */
    assert_int_equal(rtest_history_count(&rt, "2", "applied"), 1);
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM shardwave_schema_history"), 3);
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM accounts"), 2);
    engine_close(other);
    rtest_teardown(&rt);
}

static void test_no_transaction_step_refused(void **state)
{
    struct rtest rt;
    struct ev_log log;
    struct sw_err err = {0};
    rtest_setup(&rt, rtest_engine_of(state), "rtxn_notx");
    write_three_steps(&rt, "-- shardwave: no-transaction\n"
                           "CREATE INDEX accounts_name ON accounts (name);\n");
    use_log(&rt, &log);
    struct runner_result res;
    assert_int_equal(runner_migrate(rt.eng, &rt.opts, NULL, &res, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "V3__third.sql is no-transaction: it cannot run inside the "
                                 "shard's one transaction");
    assert_string_equal(err.hint, "run this shard with transaction = \"step\"");
    assert_string_equal(log.text, "");
    /* the history table the transaction was to create went with it */
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM shardwave_schema_history"));
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM accounts"));
    rtest_teardown(&rt);
}

static const char *show_lock_timeout(struct engine *eng, char *buf, size_t cap)
{
    struct engine_rows *rows = NULL;
    struct sw_err err = {0};
    assert_int_equal(engine_query(eng, "SHOW lock_timeout", NULL, 0, &rows, &err), 0);
    snprintf(buf, cap, "%s", engine_rows_get(rows, 0, 0));
    engine_rows_free(rows);
    return buf;
}

/* engine_set_timeouts skips a SET that changes nothing, but a rollback (which undoes a
 * SET made inside the transaction on PostgreSQL) makes it set again. */
static void test_timeouts_after_rollback(void **state)
{
    (void)state;
    struct rtest rt;
    struct sw_err err = {0};
    char buf[32];
    rtest_setup(&rt, MIGSET_ENGINE_PG, "rtxn_set");
    assert_int_equal(engine_set_timeouts(rt.eng, 1234, 0, &err), 0);
    assert_int_equal(engine_begin(rt.eng, &err), 0);
    assert_int_equal(engine_set_timeouts(rt.eng, 555, 0, &err), 0);
    assert_string_equal(show_lock_timeout(rt.eng, buf, sizeof buf), "555ms");
    assert_int_equal(engine_rollback(rt.eng, &err), 0);
    assert_string_equal(show_lock_timeout(rt.eng, buf, sizeof buf), "1234ms");
    assert_int_equal(engine_set_timeouts(rt.eng, 555, 0, &err), 0);
    assert_string_equal(show_lock_timeout(rt.eng, buf, sizeof buf), "555ms");
    rtest_teardown(&rt);
}

/* MariaDB commits each DDL statement: refused before anything runs. */
static void test_mysql_refused(void **state)
{
    (void)state;
    struct rtest rt;
    struct ev_log log;
    struct sw_err err = {0};
    rtest_setup(&rt, MIGSET_ENGINE_MYSQL, "rtxn_my");
    write_three_steps(&rt, "CREATE TABLE audit (id INTEGER);\n");
    use_log(&rt, &log);
    struct runner_result res;
    assert_int_equal(runner_migrate(rt.eng, &rt.opts, NULL, &res, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "one transaction per shard needs transactional DDL; mysql "
                                 "commits each DDL statement on its own");
    assert_string_equal(log.text, "");
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM shardwave_schema_history"), 0);
    /* the history table's version index, declared inside its CREATE TABLE on MariaDB */
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM information_schema.statistics "
                                        "WHERE table_schema = DATABASE() AND table_name = "
                                        "'shardwave_schema_history' AND index_name = "
                                        "'shardwave_schema_history_version_idx'"),
                     1);
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM accounts"));
    rtest_teardown(&rt);
}

#define PER_TXN_ENGINE(fn)                                                                         \
    cmocka_unit_test_prestate(fn, (void *)&txn_engines[0]),                                        \
        cmocka_unit_test_prestate(fn, (void *)&txn_engines[1])

int main(void)
{
    testdb_require(MIGSET_ENGINE_PG);
    testdb_require(MIGSET_ENGINE_MYSQL);
    const struct CMUnitTest tests[] = {
        PER_TXN_ENGINE(test_all_steps_commit_together),
        PER_TXN_ENGINE(test_third_step_fails_nothing_applied),
        PER_TXN_ENGINE(test_stop_rolls_back),
        PER_TXN_ENGINE(test_lock_timeout_retries_whole_transaction),
        PER_TXN_ENGINE(test_no_transaction_step_refused),
        cmocka_unit_test(test_mysql_refused),
        cmocka_unit_test(test_timeouts_after_rollback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
