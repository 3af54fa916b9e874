/* The PostgreSQL store across server restarts (issue 10), driven by store_pg_reconnect.sh
 * on a throwaway server of its own (never the shared one): SW_TEST_PG_DSN is its admin
 * DSN, SW_STORE_TEST_PG_CTL a command taking restart | stop | start. A handle whose
 * server restarted while it was idle reconnects on its next call (statements prepared
 * again); a write transaction cut by a restart fails with SW_ECONNECT and leaves nothing
 * behind; while the server is down calls fail with SW_ECONNECT (password redacted), and
 * work again once it is back; the leader lease renews across a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "engine/engine.h"
#include "store/store.h"
#include "store_impl.h" /* a write transaction held open across the restart */
#include "testdb.h"

extern char **environ;

struct fixture {
    struct testdb db;
    struct store *st;
};

static void expect_ok(int rc, const struct sw_err *err)
{
    if (rc != 0) {
        fail_msg("unexpected error %d: %s", rc, err->msg);
    }
}

/* Runs "$SW_STORE_TEST_PG_CTL <action>" and waits for it (pg_ctl -w: the server is
 * down, or accepting connections, when it returns). */
static void pg_ctl(const char *action)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s", getenv("SW_STORE_TEST_PG_CTL"), action);
    char *argv[] = {"sh", "-c", cmd, NULL};
    pid_t pid = 0;
    int status = 0;
    assert_int_equal(posix_spawnp(&pid, "sh", NULL, NULL, argv, environ), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("%s failed", cmd);
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct sw_err err = {0};
    assert_int_equal(testdb_create(MIGSET_ENGINE_PG, "store_reconnect", &f->db), 0);
    expect_ok(store_open(f->db.dsn, NULL, &f->st, &err), &err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->st);
    testdb_drop(&f->db);
    free(f);
    return 0;
}

static void expect_meta(struct store *st, const char *key, const char *want)
{
    char *v = NULL;
    struct sw_err err = {0};
    expect_ok(store_meta_get(st, key, &v, &err), &err);
    if (want == NULL) {
        assert_null(v);
    } else {
        assert_non_null(v);
        assert_string_equal(v, want);
    }
    free(v);
}

/* Idle while the server restarts: the next call reconnects by itself. */
static void test_idle_restart(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    expect_ok(store_meta_put(f->st, "k", "before", &err), &err);
    expect_meta(f->st, "k", "before"); /* prepared on the first connection */
    pg_ctl("restart");
    expect_meta(f->st, "k", "before");
    expect_ok(store_meta_put(f->st, "k", "after", &err), &err);
    expect_meta(f->st, "k", "after");
}

/* A write transaction cut by a restart: SW_ECONNECT, nothing half-written. */
static void test_restart_mid_transaction(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    expect_ok(store_begin(f->st, &err), &err);
    expect_ok(
        store_run(f->st, &err, "INSERT INTO meta (key, value) VALUES (?, ?)", "ss", "half", "1"),
        &err);
    pg_ctl("restart");
    int rc =
        store_run(f->st, &err, "INSERT INTO meta (key, value) VALUES (?, ?)", "ss", "other", "2");
    assert_int_equal(rc, SW_ECONNECT);
    store_rollback(f->st);
    expect_meta(f->st, "half", NULL);
    expect_meta(f->st, "other", NULL);
    expect_ok(store_meta_put(f->st, "k", "next", &err), &err);
    expect_meta(f->st, "k", "next");
}

/* Server down: calls fail with SW_ECONNECT (the password never shows); back: they work. */
static void test_server_down(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    char redacted[1024];
    char want[1200];
    pg_ctl("stop");
    assert_int_equal(store_meta_put(f->st, "k", "down", &err), SW_ECONNECT);
    snprintf(want, sizeof want,
             "store %s: ", engine_dsn_redact(f->db.dsn, redacted, sizeof redacted));
    assert_memory_equal(err.msg, want, strlen(want));
    const char *pw = strstr(f->db.dsn, ":");
    pw = pw != NULL ? strstr(pw + 3, ":") : NULL; /* user:password@ */
    if (pw != NULL) {
        char secret[256];
        snprintf(secret, sizeof secret, "%.*s", (int)strcspn(pw + 1, "@"), pw + 1);
        assert_null(strstr(err.msg, secret));
    }
    assert_int_equal(store_meta_put(f->st, "k", "down", &err), SW_ECONNECT);
    pg_ctl("start");
    expect_ok(store_meta_put(f->st, "k", "up", &err), &err);
    expect_meta(f->st, "k", "up");
}

/* The leader renews across a restart; its fenced writes go on. */
static void test_lease_across_restart(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    struct store_leader l = {0};
    _Atomic int64_t epoch = 0;
    expect_ok(store_leader_claim(f->st, "coord-a", "http://a:7000", 60000, &l, &err), &err);
    epoch = l.epoch;
    store_set_fence(f->st, &epoch);
    pg_ctl("restart");
    expect_ok(store_leader_claim(f->st, "coord-a", "http://a:7000", 60000, &l, &err), &err);
    assert_int_equal(l.epoch, epoch);
    expect_ok(store_meta_put(f->st, "k", "leader", &err), &err);
    expect_meta(f->st, "k", "leader");
}

int main(void)
{
    if (getenv("SW_STORE_TEST_PG_CTL") == NULL) {
        fprintf(stderr, "store_pg_reconnect: run it through store_pg_reconnect.sh\n");
        return 77;
    }
    testdb_require(MIGSET_ENGINE_PG);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_mid_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lease_across_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
