/* Unit tests for the store's leader lease and write fencing (coordinator/store/
 * store_leader.c, store_db.c), on both backends (store_backend.h): claim, renewal,
 * takeover after expiry on the store's clock, epochs, release, SW_EFENCED writes that
 * change nothing, and (PostgreSQL) a takeover waiting for an in-flight fenced write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "store_backend.h"
#include "store_impl.h" /* an in-flight write transaction, held open by the test */

#define DEADLINE_MS 20000

struct fixture {
    struct store_backend b;
    struct store *st;  /* coordinator A's handle */
    struct store *st2; /* coordinator B's handle */
};

static void expect_ok(int rc, const struct sw_err *err)
{
    if (rc != 0) {
        fail_msg("unexpected error %d: %s", rc, err->msg);
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct sw_err err = {0};
    assert_int_equal(store_backend_create(&f->b), 0);
    expect_ok(store_open(f->b.path, NULL, &f->st, &err), &err);
    expect_ok(store_open_secondary(f->b.path, NULL, &f->st2, &err), &err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->st2);
    store_close(f->st);
    store_backend_drop(&f->b);
    free(f);
    return 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls the store's clock until it passes the lease's expiry. */
static void wait_expired(struct store *st)
{
    struct store_leader l = {0};
    struct sw_err err = {0};
    int64_t deadline = mono_ms() + DEADLINE_MS;
    do {
        expect_ok(store_leader_get(st, &l, &err), &err);
        if (l.now_ms > l.expires_ms) {
            return;
        }
    } while (mono_ms() < deadline);
    fail_msg("lease of %s did not expire within %d ms", l.holder, DEADLINE_MS);
}

static void test_claim_renew_takeover_release(void **state)
{
    struct fixture *f = *state;
    struct store_leader l = {0};
    struct sw_err err = {0};
    assert_int_equal(store_leader_get(f->st, &l, &err), SW_ENOTFOUND);

    expect_ok(store_leader_claim(f->st, "coord-a", "http://a:7000", 60000, &l, &err), &err);
    assert_string_equal(l.holder, "coord-a");
    assert_string_equal(l.url, "http://a:7000");
    assert_int_equal(l.epoch, 1);
    assert_int_equal(l.expires_ms, l.now_ms + 60000);
    int64_t first_expiry = l.expires_ms;

    /* renewal keeps the epoch and moves the expiry on */
    expect_ok(store_leader_claim(f->st, "coord-a", "http://a:7000", 60000, &l, &err), &err);
    assert_int_equal(l.epoch, 1);
    assert_true(l.expires_ms >= first_expiry);

    /* another coordinator is refused while the lease is live, and learns who leads */
    assert_int_equal(store_leader_claim(f->st2, "coord-b", "http://b:7000", 60000, &l, &err),
                     SW_ECONFLICT);
    assert_string_equal(l.holder, "coord-a");
    assert_string_equal(l.url, "http://a:7000");
    assert_int_equal(l.epoch, 1);
    assert_non_null(strstr(err.msg, "the leader lease is held by coord-a (http://a:7000) for "));
    assert_non_null(strstr(err.msg, " ms more, epoch 1"));

    /* a lapsed lease is taken over: the epoch moves on */
    expect_ok(store_leader_claim(f->st, "coord-a", "http://a:7000", 1, &l, &err), &err);
    wait_expired(f->st2);
    expect_ok(store_leader_claim(f->st2, "coord-b", "http://b:7000", 60000, &l, &err), &err);
    assert_string_equal(l.holder, "coord-b");
    assert_int_equal(l.epoch, 2);

    /* a release by a superseded epoch or another holder changes nothing */
    expect_ok(store_leader_release(f->st, "coord-a", 1, &err), &err);
    expect_ok(store_leader_release(f->st, "coord-a", 2, &err), &err);
    expect_ok(store_leader_get(f->st, &l, &err), &err);
    assert_string_equal(l.holder, "coord-b");
    assert_true(l.expires_ms > l.now_ms);

    /* a graceful step-down frees the lease at once; the next claim moves the epoch on,
     * even by the same coordinator */
    expect_ok(store_leader_release(f->st2, "coord-b", 2, &err), &err);
    expect_ok(store_leader_get(f->st, &l, &err), &err);
    assert_string_equal(l.holder, "");
    assert_int_equal(l.epoch, 2);
    assert_true(l.expires_ms <= l.now_ms);
    expect_ok(store_leader_claim(f->st2, "coord-b", "http://b:7000", 60000, &l, &err), &err);
    assert_int_equal(l.epoch, 3);
}

static void test_claim_bad_args(void **state)
{
    struct fixture *f = *state;
    struct store_leader l = {0};
    struct sw_err err = {0};
    assert_int_equal(store_leader_claim(f->st, "", "http://a", 1000, &l, &err), SW_EINVAL);
    assert_string_equal(err.msg, "leader id must be 1..128 bytes");
    assert_int_equal(store_leader_claim(f->st, "a", "http://a", 0, &l, &err), SW_EINVAL);
    assert_string_equal(err.msg, "leader lease ttl must be > 0 ms, got 0");
    assert_int_equal(store_leader_get(f->st, &l, &err), SW_ENOTFOUND);
}

static void test_fenced_writes(void **state)
{
    struct fixture *f = *state;
    struct store_leader l = {0};
    struct sw_err err = {0};
    _Atomic int64_t epoch_a = 0;
    char *v = NULL;
    store_set_fence(f->st, &epoch_a);

    /* not (yet) the leader: refused */
    assert_int_equal(store_meta_put(f->st, "k", "a0", &err), SW_EFENCED);
    assert_string_equal(err.msg,
                        "store: not the leader: epoch 0 was superseded by 0 (leader none at -)");

    expect_ok(store_leader_claim(f->st, "coord-a", "http://a:7000", 1, &l, &err), &err);
    atomic_store(&epoch_a, l.epoch);
    expect_ok(store_meta_put(f->st, "k", "a1", &err), &err);

    /* coord-b takes over the lapsed lease; coord-a's writes are refused, change nothing */
    wait_expired(f->st2);
    expect_ok(store_leader_claim(f->st2, "coord-b", "http://b:7000", 60000, &l, &err), &err);
    assert_int_equal(store_meta_put(f->st, "k", "a2", &err), SW_EFENCED);
    assert_string_equal(err.msg, "store: not the leader: epoch 1 was superseded by 2 (leader "
                                 "coord-b at http://b:7000)");
    assert_string_equal(err.hint, "retry at the leader");
    struct store_agent a = {.id = "agent-1", .version = "1", .pools = "eu", .last_seen_ms = 1};
    assert_int_equal(store_agent_put(f->st, &a, &err), SW_EFENCED);
    expect_ok(store_meta_get(f->st, "k", &v, &err), &err); /* reads are not fenced */
    assert_string_equal(v, "a1");
    free(v);
    struct store_agent *agents = NULL;
    size_t n = 0;
    expect_ok(store_agents_list(f->st2, &agents, &n, &err), &err);
    assert_int_equal(n, 0);
    free(agents);

    /* the new leader's fenced handle writes */
    _Atomic int64_t epoch_b = 2;
    store_set_fence(f->st2, &epoch_b);
    expect_ok(store_meta_put(f->st2, "k", "b", &err), &err);
    /* fencing off again: the default for a single coordinator */
    store_set_fence(f->st, NULL);
    expect_ok(store_meta_put(f->st, "k", "unfenced", &err), &err);
}

/* An in-flight fenced write of coord-a; the claim of coord-b in a thread. */
struct claimer {
    struct store *st;
    struct store_leader l;
    int rc;
    _Atomic int done;
};

static void *claim_thread(void *arg)
{
    struct claimer *c = arg;
    struct sw_err err = {0};
    c->rc = store_leader_claim(c->st, "coord-b", "http://b:7000", 60000, &c->l, &err);
    atomic_store(&c->done, 1);
    return NULL;
}

/* Polls until a session of the store's database waits for a lock. */
static void wait_lock_waiter(const struct fixture *f)
{
    int64_t deadline = mono_ms() + DEADLINE_MS;
    while (store_backend_int(&f->b, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                    "current_database() AND wait_event_type = 'Lock'") < 1) {
        if (mono_ms() > deadline) {
            fail_msg("no session waited for the lease row within %d ms", DEADLINE_MS);
        }
    }
}

static void test_takeover_waits_for_write(void **state)
{
    struct fixture *f = *state;
    struct store_leader l = {0};
    struct sw_err err = {0};
    _Atomic int64_t epoch_a = 0;
    if (!f->b.is_pg) {
        skip(); /* SQLite: one writer at a time (BEGIN IMMEDIATE) */
    }
    expect_ok(store_leader_claim(f->st, "coord-a", "http://a:7000", 1, &l, &err), &err);
    atomic_store(&epoch_a, l.epoch);
    store_set_fence(f->st, &epoch_a);
    wait_expired(f->st2);

    /* coord-a's write transaction passed the fence (FOR SHARE on the lease row) */
    expect_ok(store_begin(f->st, &err), &err);
    struct claimer c = {.st = f->st2};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, claim_thread, &c), 0);
    wait_lock_waiter(f);
    assert_int_equal(atomic_load(&c.done), 0);
    expect_ok(store_run(f->st, &err, "INSERT INTO meta (key, value) VALUES ('k', 'in-flight')", ""),
              &err);
    expect_ok(store_commit(f->st, &err), &err);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(c.rc, 0);
    assert_int_equal(c.l.epoch, 2);

    /* the write before the takeover stands; the next one is refused */
    char *v = NULL;
    expect_ok(store_meta_get(f->st2, "k", &v, &err), &err);
    assert_string_equal(v, "in-flight");
    free(v);
    assert_int_equal(store_meta_put(f->st, "k", "late", &err), SW_EFENCED);
}

/* The session's idle_in_transaction_session_timeout, as PostgreSQL shows it ("1s"). */
static void expect_idle_timeout(struct store *st, const char *want)
{
    struct store_q *q = NULL;
    struct sw_err err = {0};
    expect_ok(store_stmt(st, &q, &err, "SHOW idle_in_transaction_session_timeout", ""), &err);
    assert_int_equal(store_step(st, q, "show", &err), 1);
    assert_string_equal(store_col_text(st, q, 0), want);
    store_stmt_done(st, q);
}

/* A leader stopped inside a fenced write transaction (FOR SHARE on the lease row):
 * PostgreSQL ends its session after store_open_opts.idle_txn_timeout_ms, so the next
 * leader's claim, waiting for the row, goes through well within its lock timeout (5 s;
 * with the default 10 s it fails), and nothing of the stopped leader's transaction is
 * written. */
static void test_stopped_holder_session_ends(void **state)
{
    struct fixture *f = *state;
    struct store *a = NULL;
    struct store_leader l = {0};
    struct sw_err err = {0};
    _Atomic int64_t epoch_a = 0;
    char *v = NULL;
    if (!f->b.is_pg) {
        skip(); /* SQLite: no sessions */
    }
    struct store_open_opts o = {.idle_txn_timeout_ms = 1000};
    expect_ok(store_open_secondary(f->b.path, &o, &a, &err), &err);
    expect_idle_timeout(a, "1s");
    expect_idle_timeout(f->st, "10s"); /* opened without options: the default */
    expect_ok(store_leader_claim(a, "coord-a", "http://a:7000", 1, &l, &err), &err);
    atomic_store(&epoch_a, l.epoch);
    store_set_fence(a, &epoch_a);
    wait_expired(f->st2);

    expect_ok(store_begin(a, &err), &err);
    expect_ok(store_run(a, &err, "INSERT INTO meta (key, value) VALUES ('k', 'stopped')", ""),
              &err);
    expect_ok(store_leader_claim(f->st2, "coord-b", "http://b:7000", 60000, &l, &err), &err);
    assert_int_equal(l.epoch, 2);
    assert_int_equal(store_commit(a, &err), SW_ECONNECT);
    expect_ok(store_meta_get(f->st2, "k", &v, &err), &err);
    assert_null(v);
    store_close(a);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_claim_renew_takeover_release),
        T(test_claim_bad_args),
        T(test_fenced_writes),
        T(test_takeover_waits_for_write),
        T(test_stopped_holder_session_ends),
    };
#undef T
    store_backend_require();
    return cmocka_run_group_tests_name(
        store_backend_is_pg() ? "leader on PostgreSQL" : "leader on SQLite", tests, NULL, NULL);
}
