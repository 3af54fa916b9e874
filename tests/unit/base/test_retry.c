/* Unit tests for proto/base/retry.c: policy checks, the capped ceiling, full jitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/retry.h"

struct policy_case {
    int64_t base_ms;
    int64_t cap_ms;
    const char *error; /* exact message, or NULL when valid */
};

static const struct policy_case policy_cases[] = {
    {100, 30000, NULL},
    {1, 1, NULL},
    {0, 1000, "retry policy: base 0 ms must be > 0"},
    {-5, 1000, "retry policy: base -5 ms must be > 0"},
    {100, 50, "retry policy: cap 50 ms is below base 100 ms"},
};

static void test_policy_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof policy_cases / sizeof policy_cases[0]; i++) {
        const struct policy_case *c = &policy_cases[i];
        struct sw_retry_policy p = {.base_ms = c->base_ms, .cap_ms = c->cap_ms};
        struct sw_err err = {0};
        int rc = sw_retry_policy_check(&p, &err);
        if (c->error == NULL) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, SW_EINVAL);
            assert_string_equal(err.msg, c->error);
        }
    }
}

struct ceiling_case {
    int64_t base_ms;
    int64_t cap_ms;
    unsigned attempt;
    int64_t ceiling_ms;
};

static const struct ceiling_case ceiling_cases[] = {
    {100, 30000, 0, 100},
    {100, 30000, 1, 200},
    {100, 30000, 2, 400},
    {100, 30000, 8, 25600},
    {100, 30000, 9, 30000}, /* 51200 capped */
    {100, 30000, 63, 30000},
    {100, 30000, 64, 30000}, /* past the width of a shift: no overflow */
    {100, 30000, 4000000000u, 30000},
    {250, 250, 0, 250},
    {250, 250, 5, 250},
    {INT64_MAX / 2, INT64_MAX, 3, INT64_MAX},
    {3, 10, 1, 6},
    {3, 10, 2, 10}, /* 12 capped */
};

static void test_ceiling_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ceiling_cases / sizeof ceiling_cases[0]; i++) {
        const struct ceiling_case *c = &ceiling_cases[i];
        struct sw_retry_policy p = {.base_ms = c->base_ms, .cap_ms = c->cap_ms};
        int64_t got = sw_retry_ceiling_ms(&p, c->attempt);
        if (got != c->ceiling_ms) {
            fail_msg("case %zu: base %lld cap %lld attempt %u: ceiling %lld, want %lld", i,
                     (long long)c->base_ms, (long long)c->cap_ms, c->attempt, (long long)got,
                     (long long)c->ceiling_ms);
        }
    }
}

/* A scripted random source: returns the values in order. */
struct scripted {
    const uint64_t *values;
    size_t n;
    size_t next;
};

static uint64_t scripted_next(void *ctx)
{
    struct scripted *s = ctx;
    assert_true(s->next < s->n);
    return s->values[s->next++];
}

struct jitter_case {
    unsigned attempt;
    uint64_t random;
    int64_t delay_ms;
};

/* base 100, cap 1000: ceilings 100, 200, 400, 800, 1000, ... */
static const struct jitter_case jitter_cases[] = {
    {0, 0, 0},     /* the lowest value waits not at all */
    {0, 100, 100}, /* the ceiling itself is reachable (inclusive) */
    {0, 101, 0},   /* wraps: value mod (ceiling + 1) */
    {1, 150, 150},
    {2, 401, 0},
    {2, 400, 400},
    {3, 799, 799},
    {4, 1000, 1000},
    {7, 1001, 0},
    {7, UINT64_MAX, (int64_t)(UINT64_MAX % 1001)},
};

static void test_delay_full_jitter(void **state)
{
    (void)state;
    struct sw_retry_policy p = {.base_ms = 100, .cap_ms = 1000};
    for (size_t i = 0; i < sizeof jitter_cases / sizeof jitter_cases[0]; i++) {
        const struct jitter_case *c = &jitter_cases[i];
        struct scripted src = {.values = &c->random, .n = 1};
        int64_t got = sw_retry_delay_ms(&p, c->attempt, scripted_next, &src);
        if (got != c->delay_ms) {
            fail_msg("case %zu: attempt %u random %llu: delay %lld, want %lld", i, c->attempt,
                     (unsigned long long)c->random, (long long)got, (long long)c->delay_ms);
        }
        assert_int_equal(src.next, 1); /* exactly one draw per delay */
    }
}

/* With the built-in generator every delay stays within its ceiling, and over many draws
 * both halves of the range are used (jitter, not a fixed fraction). */
static void test_delay_bounds_with_rng(void **state)
{
    (void)state;
    struct sw_retry_policy p = {.base_ms = 50, .cap_ms = 5000};
    struct sw_retry_rng rng;
    sw_retry_rng_seed(&rng, 42);
    for (unsigned attempt = 0; attempt < 20; attempt++) {
        int64_t ceiling = sw_retry_ceiling_ms(&p, attempt);
        int n_low = 0;
        int n_high = 0;
        for (int i = 0; i < 2000; i++) {
            int64_t d = sw_retry_delay_ms(&p, attempt, sw_retry_rng_next, &rng);
            assert_true(d >= 0 && d <= ceiling);
            if (d <= ceiling / 2) {
                n_low++;
            } else {
                n_high++;
            }
        }
        assert_true(n_low > 0 && n_high > 0);
    }
}

static void test_rng_deterministic(void **state)
{
    (void)state;
    struct sw_retry_rng a;
    struct sw_retry_rng b;
    struct sw_retry_rng zero;
    sw_retry_rng_seed(&a, 7);
    sw_retry_rng_seed(&b, 7);
    sw_retry_rng_seed(&zero, 0);
    assert_int_not_equal(zero.state, 0); /* xorshift would be stuck at 0 */
    for (int i = 0; i < 100; i++) {
        uint64_t x = sw_retry_rng_next(&a);
        assert_true(x == sw_retry_rng_next(&b));
    }
    assert_true(sw_retry_rng_next(&zero) != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_check),      cmocka_unit_test(test_ceiling_table),
        cmocka_unit_test(test_delay_full_jitter), cmocka_unit_test(test_delay_bounds_with_rng),
        cmocka_unit_test(test_rng_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
