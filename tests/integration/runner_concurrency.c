/*
 * Concurrency scenarios for the runner on real servers: two migrators on one
 * database (also around CREATE INDEX CONCURRENTLY), a migrator killed with
 * SIGKILL while it holds the lock, and a lock timeout against a tenant
 * transaction that holds the table (retried on schedule; the tenant's own
 * queries keep flowing).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rtest.h"
#include "sw/clock.h"

static const enum migset_engine engines[] = {MIGSET_ENGINE_PG, MIGSET_ENGINE_MYSQL,
                                             MIGSET_ENGINE_SQLITE};

/* ---- two migrators ------------------------------------------------------------------ */

struct migrator {
    struct rtest *rt;
    struct engine *eng;
    struct runner_opts opts;
    int rc;
    struct sw_err err;
    pthread_mutex_t *mu;
    pthread_cond_t *cv;
    int *lock_taken;
};

static void on_migrator_event(void *ctx, const struct runner_event *ev)
{
    struct migrator *m = ctx;
    if (ev->kind == RUNNER_EV_LOCK_ACQUIRED && m->mu != NULL) {
        pthread_mutex_lock(m->mu);
        *m->lock_taken = 1;
        pthread_cond_broadcast(m->cv);
        pthread_mutex_unlock(m->mu);
    }
}

static void *migrator_main(void *arg)
{
    struct migrator *m = arg;
    struct runner_result res;
    m->rc = runner_migrate(m->eng, &m->opts, NULL, &res, &m->err);
    return NULL;
}

static void migrator_init(struct migrator *m, struct rtest *rt, const char *agent)
{
    memset(m, 0, sizeof *m);
    m->rt = rt;
    m->eng = rtest_connect(rt);
    m->opts = rt->opts;
    m->opts.agent = agent;
    m->opts.on_event = on_migrator_event;
    m->opts.ctx = m;
}

static void test_two_migrators_apply_each_step_once(void **state)
{
    enum migset_engine kind = rtest_engine_of(state);
    struct rtest rt;
    rtest_setup(&rt, kind, "rtwo");
    rtest_write(&rt, "V1__t.sql",
                "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);\n"
                "INSERT INTO t VALUES (1, 1), (2, 2), (3, 3);\n");
    /* A slow step keeps the first migrator busy while the second polls for the lock. */
    rtest_write(&rt, "V2__slow.pg.sql", "SELECT pg_sleep(0.5);\n");
    rtest_write(&rt, "V2__slow.mysql.sql", "SELECT SLEEP(0.5);\n");
    rtest_write(&rt, "V2__slow.sqlite.sql",
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < "
                "300000) SELECT count(*) FROM c;\n");
    /* Never wait for the migrator lock inside a transaction, or this deadlocks on pg. */
    rtest_write(&rt, "V3__index.sql", "CREATE INDEX t_v ON t (v);\n");
    rtest_write(&rt, "V3__index.pg.sql",
                "-- shardwave: no-transaction\nCREATE INDEX CONCURRENTLY t_v ON t (v);\n");
    rtest_write(&rt, "V4__more.sql", "ALTER TABLE t ADD COLUMN w INTEGER;\n");
    rtest_load(&rt);

    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    int lock_taken = 0;
    struct migrator a, b;
    migrator_init(&a, &rt, "migrator-a");
    migrator_init(&b, &rt, "migrator-b");
    a.mu = &mu;
    a.cv = &cv;
    a.lock_taken = &lock_taken;
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, migrator_main, &a), 0);
    pthread_mutex_lock(&mu);
    while (!lock_taken) {
        pthread_cond_wait(&cv, &mu);
    }
    pthread_mutex_unlock(&mu);
    assert_int_equal(pthread_create(&tb, NULL, migrator_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    if (a.rc != 0 || b.rc != 0) {
        fail_msg("a: %d %s / b: %d %s", a.rc, a.err.msg, b.rc, b.err.msg);
    }
    const char *versions[] = {"1", "2", "3", "4"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(rtest_history_count(&rt, versions[i], "applied"), 1);
        assert_int_equal(rtest_history_count(&rt, versions[i], NULL), 1);
    }
    /* The first migrator did all the work; the second found nothing left. */
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM shardwave_schema_history WHERE "
                                        "agent = 'migrator-a'"),
                     4);
    assert_true(rtest_sql_ok(&rt, "SELECT w FROM t"));
    engine_close(a.eng);
    engine_close(b.eng);
    rtest_teardown(&rt);
}

/* ---- SIGKILL while holding the lock ------------------------------------------------- */

static void child_migrate(struct rtest *rt)
{
    struct engine *eng = NULL;
    struct sw_err err = {0};
    struct runner_result res;
    if (engine_open(rt->db.dsn, 0, &eng, &err) != 0) {
        _exit(3);
    }
    struct runner_opts opts = rt->opts;
    opts.agent = "doomed";
    runner_migrate(eng, &opts, NULL, &res, &err);
    _exit(4); /* never reached in the test: the child is killed mid-step */
}

/* Waits until someone else holds the migrator lock (our try fails). */
static int wait_lock_taken_by_other(struct engine *probe, int64_t deadline_ms)
{
    struct sw_err err = {0};
    while (sw_clock_mono_ms() < deadline_ms) {
        int rc = engine_lock(probe, 50, &err);
        if (rc == SW_ELOCKED) {
            return 0;
        }
        if (rc == 0) {
            engine_unlock(probe, &err);
        }
        sw_clock_sleep_ms(20, NULL);
    }
    return -1;
}

static void test_sigkill_releases_lock(void **state)
{
    enum migset_engine kind = rtest_engine_of(state);
    struct rtest rt;
    struct sw_err err = {0};
    rtest_setup(&rt, kind, "rkill");
    rtest_write(&rt, "V1__t.sql", "CREATE TABLE t (id INTEGER);\n");
    rtest_write(&rt, "V2__long.pg.sql", "CREATE TABLE t2 (id INTEGER);\nSELECT pg_sleep(120);\n");
    rtest_write(&rt, "V2__long.mysql.sql", "CREATE TABLE t2 (id INTEGER);\nSELECT SLEEP(120);\n");
    rtest_write(&rt, "V2__long.sqlite.sql",
                "CREATE TABLE t2 (id INTEGER);\n"
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < "
                "2000000000) SELECT count(*) FROM c;\n");
    rtest_load(&rt);
    /* Apply V1 first so the child only has the long step to run. */
    assert_int_equal(rtest_migrate(&rt, "1", &err), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child_migrate(&rt);
    }
    struct engine *probe = rtest_connect(&rt);
    assert_int_equal(wait_lock_taken_by_other(probe, sw_clock_mono_ms() + 30000), 0);
    bool txn = (engine_caps(rt.eng) & ENGINE_CAP_TXN_DDL) != 0;
    if (!txn) {
        /* Wait until the child committed statement 1 and sits in the long statement. */
        int64_t deadline = sw_clock_mono_ms() + 30000;
        while (!rtest_sql_ok(&rt, "SELECT id FROM t2") && sw_clock_mono_ms() < deadline) {
            sw_clock_sleep_ms(20, NULL);
        }
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));

    /* The next migrator gets the lock at once: the server (or kernel) released it. */
    assert_int_equal(engine_lock(probe, 5000, &err), 0);
    assert_int_equal(engine_unlock(probe, &err), 0);
    struct runner_status st;
    assert_int_equal(runner_status(rt.eng, rt.set, &st, &err), 0);
    assert_string_equal(st.current_text, "1");
    if (txn) {
        /* Rolled back with the process: no table, no history row, still pending. */
        assert_false(st.is_dirty);
        assert_false(rtest_sql_ok(&rt, "SELECT id FROM t2"));
        assert_int_equal(rtest_history_count(&rt, "2", NULL), 0);
    } else {
        /* MySQL: statement 1 committed, the step was interrupted: dirty, never guessed. */
        assert_true(st.is_dirty);
        assert_true(rtest_sql_ok(&rt, "SELECT id FROM t2"));
        assert_int_equal(rtest_history_count(&rt, "2", "running"), 1);
        assert_int_equal(rtest_migrate(&rt, NULL, &err), SW_ECONFLICT);
    }
    runner_status_cleanup(&st);
    engine_close(probe);
    rtest_teardown(&rt);
}

/* ---- lock timeout against a tenant transaction ------------------------------------- */

struct reader {
    struct engine *eng;
    volatile int stop;
    int64_t max_latency_ms;
    long n_queries;
    int errors;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    while (!r->stop) {
        struct engine_rows *rows = NULL;
        struct sw_err err = {0};
        int64_t t0 = sw_clock_mono_ms();
        if (engine_query(r->eng, "SELECT count(*) FROM items", NULL, 0, &rows, &err) != 0) {
            r->errors++;
        }
        engine_rows_free(rows);
        int64_t dt = sw_clock_mono_ms() - t0;
        if (dt > r->max_latency_ms) {
            r->max_latency_ms = dt;
        }
        r->n_queries++;
        sw_clock_sleep_ms(5, NULL);
    }
    return NULL;
}

static void count_retries(void *ctx, const struct runner_event *ev)
{
    if (ev->kind == RUNNER_EV_LOCK_RETRY) {
        (*(int *)ctx)++;
    }
}

/* Opens a tenant transaction that holds a lock conflicting with ALTER TABLE items. */
static void tenant_hold(struct engine *tenant, enum migset_engine kind)
{
    struct sw_err err = {0};
    assert_int_equal(engine_begin(tenant, &err), 0);
    const char *sql = kind == MIGSET_ENGINE_SQLITE ? "INSERT INTO items VALUES (100)"
                                                   : "SELECT count(*) FROM items";
    struct engine_rows *rows = NULL;
    assert_int_equal(engine_query(tenant, sql, NULL, 0, &rows, &err), 0);
    engine_rows_free(rows);
}

static void test_lock_timeout_retries_and_never_blocks_tenant(void **state)
{
    enum migset_engine kind = rtest_engine_of(state);
    struct rtest rt;
    struct sw_err err = {0};
    rtest_setup(&rt, kind, "rlockto");
    rtest_write(&rt, "V1__items.sql",
                "CREATE TABLE items (id INTEGER);\n"
                "INSERT INTO items VALUES (1), (2);\n");
    rtest_write(&rt, "V2__alter.sql", "ALTER TABLE items ADD COLUMN qty INTEGER;\n");
    rtest_load(&rt);
    assert_int_equal(rtest_migrate(&rt, "1", &err), 0);
    if (kind == MIGSET_ENGINE_SQLITE) {
        assert_true(rtest_sql_ok(&rt, "PRAGMA journal_mode=WAL"));
    }

    struct engine *tenant = rtest_connect(&rt);
    tenant_hold(tenant, kind);
    struct reader rd = {.eng = rtest_connect(&rt)};
    pthread_t tr;
    assert_int_equal(pthread_create(&tr, NULL, reader_main, &rd), 0);

    int retries = 0;
    rt.opts.on_event = count_retries;
    rt.opts.ctx = &retries;
    int rc = rtest_migrate(&rt, NULL, &err);
    rd.stop = 1;
    pthread_join(tr, NULL);

    assert_int_equal(rc, SW_ELOCKED);
    assert_int_equal(retries, 2); /* 3 attempts on the schedule: 2 retries */
    assert_int_equal(rtest_history_count(&rt, "2", "applied"), 0);
    /* SQLite's tenant holds the whole database, so even the failure cannot be recorded. */
    assert_int_equal(rtest_history_count(&rt, "2", "failed"), kind == MIGSET_ENGINE_SQLITE ? 0 : 1);
    /* The tenant kept working: no query waited much longer than one lock timeout
     * (MySQL rounds lock waits up to whole seconds). Without lock timeouts the
     * readers would queue behind the ALTER until the tenant commits. */
    assert_int_equal(rd.errors, 0);
    assert_true(rd.n_queries > 3);
    if (rd.max_latency_ms > 2500) {
        fail_msg("a tenant query was blocked for %lld ms", (long long)rd.max_latency_ms);
    }

    assert_int_equal(engine_commit(tenant, &err), 0);
    assert_int_equal(rtest_migrate(&rt, NULL, &err), 0);
    assert_true(rtest_sql_ok(&rt, "SELECT qty FROM items"));
    engine_close(tenant);
    engine_close(rd.eng);
    rtest_teardown(&rt);
}

#define PER_ENGINE(fn)                                                                             \
    cmocka_unit_test_prestate(fn, (void *)&engines[0]),                                            \
        cmocka_unit_test_prestate(fn, (void *)&engines[1]),                                        \
        cmocka_unit_test_prestate(fn, (void *)&engines[2])

int main(void)
{
    testdb_require(MIGSET_ENGINE_PG);
    testdb_require(MIGSET_ENGINE_MYSQL);
    const struct CMUnitTest tests[] = {
        PER_ENGINE(test_two_migrators_apply_each_step_once),
        PER_ENGINE(test_sigkill_releases_lock),
        PER_ENGINE(test_lock_timeout_retries_and_never_blocks_tenant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
