/* Unit tests for coordinator/notify/notify_queue.c: drop-oldest, put back in front,
 * carry-over on reload, the retry verdicts and the backoff ceilings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify/notify_queue.h"

static struct notify_event ev_id(int64_t id)
{
    struct notify_event ev = {0};
    ev.event_id = id;
    return ev;
}

/* The queue's ids, oldest first, popped. */
static void expect_ids(struct notify_queue *q, const int64_t *ids, size_t n)
{
    struct notify_event ev;
    for (size_t i = 0; i < n; i++) {
        assert_true(notify_queue_pop(q, &ev));
        assert_int_equal(ev.event_id, ids[i]);
    }
    assert_false(notify_queue_pop(q, &ev));
}

static void test_drop_oldest(void **state)
{
    (void)state;
    struct notify_queue q;
    struct sw_err err = {0};
    assert_int_equal(notify_queue_init(&q, 0, &err), SW_EINVAL);
    assert_int_equal(notify_queue_init(&q, 3, &err), 0);
    int64_t dropped = 0;
    for (int64_t id = 1; id <= 3; id++) {
        struct notify_event ev = ev_id(id);
        assert_false(notify_queue_push(&q, &ev, &dropped));
        assert_int_equal(dropped, -1);
    }
    struct notify_event ev = ev_id(4);
    assert_true(notify_queue_push(&q, &ev, &dropped));
    assert_int_equal(dropped, 1);
    ev = ev_id(5);
    assert_true(notify_queue_push(&q, &ev, &dropped));
    assert_int_equal(dropped, 2);
    assert_int_equal(q.n, 3);
    expect_ids(&q, (const int64_t[]){3, 4, 5}, 3);
    notify_queue_cleanup(&q);
    notify_queue_cleanup(&q); /* twice is fine */
}

static void test_push_front(void **state)
{
    (void)state;
    struct notify_queue q;
    struct sw_err err = {0};
    assert_int_equal(notify_queue_init(&q, 3, &err), 0);
    struct notify_event ev = ev_id(2);
    notify_queue_push(&q, &ev, NULL);
    ev = ev_id(3);
    notify_queue_push(&q, &ev, NULL);
    ev = ev_id(1); /* the interrupted delivery goes back first */
    int64_t dropped = 0;
    assert_false(notify_queue_push_front(&q, &ev, &dropped));
    assert_int_equal(dropped, -1);
    ev = ev_id(0); /* full: the newest (3) goes */
    assert_true(notify_queue_push_front(&q, &ev, &dropped));
    assert_int_equal(dropped, 3);
    expect_ids(&q, (const int64_t[]){0, 1, 2}, 3);
    notify_queue_cleanup(&q);
}

static void test_prepend(void **state)
{
    (void)state;
    struct notify_queue from, to;
    struct sw_err err = {0};
    assert_int_equal(notify_queue_init(&from, 4, &err), 0);
    assert_int_equal(notify_queue_init(&to, 4, &err), 0);
    for (int64_t id = 1; id <= 3; id++) {
        struct notify_event ev = ev_id(id);
        notify_queue_push(&from, &ev, NULL);
    }
    struct notify_event ev = ev_id(10);
    notify_queue_push(&to, &ev, NULL);
    ev = ev_id(11);
    notify_queue_push(&to, &ev, NULL);
    /* room for 2 of the 3 older events: the oldest (1) is dropped */
    assert_int_equal(notify_queue_prepend(&to, &from), 1);
    assert_int_equal(from.n, 0);
    expect_ids(&to, (const int64_t[]){2, 3, 10, 11}, 4);
    notify_queue_cleanup(&from);
    notify_queue_cleanup(&to);
}

struct verdict_case {
    long status;
    int attempt;
    int max_attempts;
    enum notify_verdict want;
};

static void test_verdicts(void **state)
{
    (void)state;
    static const struct verdict_case cases[] = {
        {200, 1, 5, NOTIFY_DELIVERED}, {204, 5, 5, NOTIFY_DELIVERED}, {0, 1, 5, NOTIFY_RETRY},
        {0, 5, 5, NOTIFY_GIVE_UP},     {503, 4, 5, NOTIFY_RETRY},     {500, 1, 1, NOTIFY_GIVE_UP},
        {429, 2, 5, NOTIFY_RETRY},     {408, 2, 5, NOTIFY_RETRY},     {425, 2, 5, NOTIFY_RETRY},
        {404, 1, 5, NOTIFY_GIVE_UP},   {400, 1, 5, NOTIFY_GIVE_UP},   {401, 1, 5, NOTIFY_GIVE_UP},
        {301, 1, 5, NOTIFY_GIVE_UP},   {199, 1, 5, NOTIFY_GIVE_UP},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(notify_verdict(cases[i].status, cases[i].attempt, cases[i].max_attempts),
                         cases[i].want);
    }
}

/* Returns *(uint64_t *)ctx: the delay is that value when it is within the ceiling. */
static uint64_t fixed_rand(void *ctx)
{
    return *(const uint64_t *)ctx;
}

static void test_backoff(void **state)
{
    (void)state;
    struct sw_retry_policy p = {500, 4000};
    /* ceilings after attempts 1..5: 500, 1000, 2000, 4000, 4000 (doubling, capped) */
    static const int64_t ceiling[] = {500, 1000, 2000, 4000, 4000};
    for (int attempt = 1; attempt <= 5; attempt++) {
        uint64_t draw = (uint64_t)ceiling[attempt - 1];
        assert_int_equal(notify_backoff_ms(&p, attempt, fixed_rand, &draw), ceiling[attempt - 1]);
        draw++; /* one past the ceiling wraps to 0 */
        assert_int_equal(notify_backoff_ms(&p, attempt, fixed_rand, &draw), 0);
    }
    struct sw_retry_rng rng;
    sw_retry_rng_seed(&rng, 42);
    for (int i = 0; i < 100; i++) {
        int64_t d = notify_backoff_ms(&p, 3, sw_retry_rng_next, &rng);
        assert_true(d >= 0 && d <= 2000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_oldest), cmocka_unit_test(test_push_front),
        cmocka_unit_test(test_prepend),     cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
