/* coordinator/ha/ha.c on a real store (a SQLite file; the lease table works there too):
 * the first coordinator leads with epoch 1 and is told so; a second one follows and knows
 * the leader; the leader's graceful stop releases the lease and the follower leads with
 * epoch 2; fencing with each process's epoch: the new leader writes, the old epoch is
 * refused with SW_EFENCED. Polls with deadlines; no timing assertions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ha/ha.h"
#include "sw/clock.h"

#define LEASE_MS    1000
#define DEADLINE_MS 15000

/* What on_role saw, per coordinator. */
struct roles {
    pthread_mutex_t mu;
    int n_promotions;
    int n_demotions;
    int64_t last_epoch;
};

static void on_role(void *ctx, enum ha_role role, int64_t epoch)
{
    struct roles *r = ctx;
    pthread_mutex_lock(&r->mu);
    if (role == HA_LEADER) {
        r->n_promotions++;
        r->last_epoch = epoch;
    } else {
        r->n_demotions++;
    }
    pthread_mutex_unlock(&r->mu);
}

static struct ha *new_ha(const char *path, const char *id, const char *url, struct roles *r)
{
    struct ha_config cfg = {.store_path = path,
                            .coordinator_id = id,
                            .advertise_url = url,
                            .lease_ms = LEASE_MS,
                            .on_role = on_role,
                            .ctx = r};
    struct ha *h = NULL;
    struct sw_err err = {0};
    assert_int_equal(ha_new(&cfg, &h, &err), 0);
    return h;
}

static void wait_leader(struct ha *h)
{
    int64_t deadline = sw_clock_mono_ms() + DEADLINE_MS;
    while (!ha_is_leader(h)) {
        assert_true(sw_clock_mono_ms() < deadline);
        sw_clock_sleep_ms(10, NULL);
    }
}

static void wait_following(struct ha *h, const char *leader)
{
    int64_t deadline = sw_clock_mono_ms() + DEADLINE_MS;
    for (;;) {
        struct ha_status st;
        ha_status_get(h, &st);
        if (st.role == HA_FOLLOWER && strcmp(st.leader_id, leader) == 0) {
            return;
        }
        assert_true(sw_clock_mono_ms() < deadline);
        sw_clock_sleep_ms(10, NULL);
    }
}

/* A store write through a handle fenced with *epoch: 0 or the error code. */
static int fenced_write(const char *path, const _Atomic int64_t *epoch, struct sw_err *err)
{
    struct store *st = NULL;
    int rc = store_open_secondary(path, NULL, &st, err);
    if (rc == 0) {
        store_set_fence(st, epoch);
        rc = store_meta_put(st, "ha_test", "x", err);
    }
    store_close(st);
    return rc;
}

static void test_takeover(void **state)
{
    (void)state;
    char dir[] = "/tmp/sw_ha_loop.XXXXXX";
    char path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/store.db", dir);
    struct store *primary = NULL;
    struct sw_err err = {0};
    assert_int_equal(store_open(path, NULL, &primary, &err), 0);
    struct roles ra = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct roles rb = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct ha *a = new_ha(path, "c-a", "http://127.0.0.1:1", &ra);
    struct ha *b = new_ha(path, "c-b", "http://127.0.0.1:2", &rb);
    assert_int_equal(*ha_epoch(a), 0); /* not started: a follower */
    assert_false(ha_is_leader(a));

    assert_int_equal(ha_start(a, &err), 0);
    wait_leader(a);
    assert_int_equal(*ha_epoch(a), 1);
    assert_int_equal(ra.n_promotions, 1);
    assert_int_equal(ra.last_epoch, 1);
    assert_int_equal(ha_start(b, &err), 0);
    wait_following(b, "c-a");
    struct ha_status st;
    ha_status_get(b, &st);
    assert_string_equal(st.leader_url, "http://127.0.0.1:1");
    assert_int_equal(st.leader_epoch, 1);
    assert_int_equal(st.epoch, 0);
    assert_false(ha_is_leader(b));
    assert_int_equal(*ha_epoch(b), 0);
    assert_int_equal(fenced_write(path, ha_epoch(a), &err), 0); /* the leader writes */
    assert_int_equal(fenced_write(path, ha_epoch(b), &err), SW_EFENCED);

    _Atomic int64_t old_epoch = 1;
    ha_free(a); /* graceful: steps down and releases the lease */
    assert_int_equal(ra.n_demotions, 1);
    wait_leader(b);
    assert_int_equal(*ha_epoch(b), 2);
    assert_int_equal(rb.n_promotions, 1);
    assert_int_equal(rb.last_epoch, 2);
    ha_status_get(b, &st);
    assert_int_equal(st.role, HA_LEADER);
    assert_string_equal(st.leader_id, "c-b");
    assert_int_equal(st.n_takeovers, 1);
    struct store_leader l = {0};
    assert_int_equal(store_leader_get(primary, &l, &err), 0);
    assert_string_equal(l.holder, "c-b");
    assert_int_equal(l.epoch, 2);
    assert_int_equal(fenced_write(path, ha_epoch(b), &err), 0);
    assert_int_equal(fenced_write(path, &old_epoch, &err), SW_EFENCED);
    assert_non_null(strstr(err.msg, "epoch 1 was superseded by 2"));

    ha_free(b);
    store_close(primary);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "%s/store.db", dir);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/store.db.lock", dir);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/store.db-wal", dir);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/store.db-shm", dir);
    unlink(cmd);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_takeover)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
