/* coordinator/service/svc_stats.c: bucket bounds, quantiles and the `stats:` text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "service/svc_stats.h"

struct quantile_case {
    const char *name;
    const int64_t *samples;
    size_t n;
    double q;
    int64_t want_us;
};

static const int64_t one_to_hundred[] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60,
    61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80,
    81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100};
static const int64_t spread[] = {1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 250000};
static const int64_t negative[] = {-5};
static const int64_t huge[] = {INT64_C(1) << 40};

static const struct quantile_case quantile_cases[] = {
    {"empty", NULL, 0, 0.5, 0},
    {"below 8 us exact", one_to_hundred, 7, 0.5, 4},
    /* 50 lies in [48, 51] (8 sub-buckets of 32..63 are 4 wide) */
    {"median of 1..100", one_to_hundred, 100, 0.5, 51},
    /* 99 lies in [96, 103]; capped by the largest sample */
    {"p99 of 1..100", one_to_hundred, 100, 0.99, 100},
    {"p100 is the max", one_to_hundred, 100, 1.0, 100},
    /* 1000 lies in [960, 1023] */
    {"p50 of a spread", spread, 10, 0.5, 1023},
    {"p99 of a spread", spread, 10, 0.99, 250000},
    {"negative counts as 0", negative, 1, 0.5, 0},
    {"beyond the last bucket", huge, 1, 0.5, INT64_C(1) << 40},
};

static void test_quantiles(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof quantile_cases / sizeof quantile_cases[0]; i++) {
        const struct quantile_case *c = &quantile_cases[i];
        struct svc_hist h;
        memset(&h, 0, sizeof h);
        for (size_t k = 0; k < c->n; k++) {
            svc_hist_add(&h, c->samples[k]);
        }
        int64_t got = svc_hist_quantile_us(&h, c->q);
        if (got != c->want_us) {
            fail_msg("%s: got %lld us, want %lld", c->name, (long long)got, (long long)c->want_us);
        }
    }
}

/* Every value lands in a bucket whose upper bound is >= it and within 1/8 of it. */
static void test_bucket_bounds(void **state)
{
    (void)state;
    for (int64_t v = 0; v < 200000; v += (v < 1000 ? 1 : 997)) {
        struct svc_hist h;
        memset(&h, 0, sizeof h);
        svc_hist_add(&h, v);
        h.max_us = INT64_MAX; /* the bucket bound itself, not the cap */
        int64_t up = svc_hist_quantile_us(&h, 0.5);
        if (up < v || (double)up > (double)v * 1.125 + 1) {
            fail_msg("value %lld: bucket upper bound %lld", (long long)v, (long long)up);
        }
    }
}

static void test_format(void **state)
{
    (void)state;
    struct svc_stats st;
    char buf[SVC_STATS_TEXT_MAX];
    svc_stats_init(&st);
    svc_stats_add(&st, SVC_STAT_LEASE, 1000);
    svc_stats_add(&st, SVC_STAT_LEASE, 3000);
    svc_stats_add(&st, SVC_STAT_REPORT, 250);
    svc_stats_format(&st, buf);
    assert_string_equal(buf, "lease n=2 p50_ms=1.023 p99_ms=3.000 max_ms=3.000; "
                             "go n=0 p50_ms=0.000 p99_ms=0.000 max_ms=0.000; "
                             "report n=1 p50_ms=0.250 p99_ms=0.250 max_ms=0.250");
    svc_stats_cleanup(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_bucket_bounds),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
