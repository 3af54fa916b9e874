/* The metrics registry: exact text exposition, label escaping, histogram buckets, the
 * series limit, and definition errors (table-driven). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sw/metrics.h"

static const struct sw_metric_def defs[] = {
    {"t_requests_total", SW_METRIC_COUNTER, "Requests.", 2, {"route", "status"}, 0, {0}},
    {"t_up", SW_METRIC_GAUGE, "Up \\ or\ndown.", 0, {NULL}, 0, {0}},
    {"t_seconds", SW_METRIC_HISTOGRAM, "Durations.", 1, {"engine"}, 3, {0.1, 1, 10}},
};

static char *render(struct sw_metrics *m, struct sw_strbuf *sb)
{
    struct sw_err err = {0};
    sw_strbuf_init(sb, 1 << 20);
    assert_int_equal(sw_metrics_render(m, sb, &err), 0);
    return (char *)sw_strbuf_str(sb);
}

static void test_exposition(void **state)
{
    (void)state;
    struct sw_metrics *m = NULL;
    struct sw_err err = {0};
    struct sw_strbuf sb;
    assert_int_equal(sw_metrics_new(&m, &err), 0);
    assert_int_equal(sw_metrics_define(m, defs, 3, &err), 0);
    const char *b[] = {"/v1/b", "200"};
    const char *a[] = {"/v1/a\"x\\\n", "404"};
    sw_metrics_add(m, "t_requests_total", b, 1);
    sw_metrics_add(m, "t_requests_total", a, 2);
    sw_metrics_add(m, "t_requests_total", b, 1);
    sw_metrics_set(m, "t_up", NULL, 0.1);
    const char *e[] = {"pg"};
    sw_metrics_observe(m, "t_seconds", e, 0.05);
    sw_metrics_observe(m, "t_seconds", e, 1);
    sw_metrics_observe(m, "t_seconds", e, 99);
    assert_string_equal(render(m, &sb),
                        "# HELP t_requests_total Requests.\n"
                        "# TYPE t_requests_total counter\n"
                        "t_requests_total{route=\"/v1/a\\\"x\\\\\\n\",status=\"404\"} 2\n"
                        "t_requests_total{route=\"/v1/b\",status=\"200\"} 2\n"
                        "# HELP t_up Up \\\\ or\\ndown.\n"
                        "# TYPE t_up gauge\n"
                        "t_up 0.1\n"
                        "# HELP t_seconds Durations.\n"
                        "# TYPE t_seconds histogram\n"
                        "t_seconds_bucket{engine=\"pg\",le=\"0.1\"} 1\n"
                        "t_seconds_bucket{engine=\"pg\",le=\"1\"} 2\n"
                        "t_seconds_bucket{engine=\"pg\",le=\"10\"} 2\n"
                        "t_seconds_bucket{engine=\"pg\",le=\"+Inf\"} 3\n"
                        "t_seconds_sum{engine=\"pg\"} 100.05\n"
                        "t_seconds_count{engine=\"pg\"} 3\n"
                        "# HELP shardwave_metrics_series_dropped_total Metric updates not "
                        "recorded: a family reached its series limit.\n"
                        "# TYPE shardwave_metrics_series_dropped_total counter\n"
                        "shardwave_metrics_series_dropped_total 0\n");
    sw_strbuf_cleanup(&sb);
    sw_metrics_clear(m, "t_requests_total");
    char *text = render(m, &sb);
    assert_null(strstr(text, "t_requests_total{"));
    assert_non_null(strstr(text, "# TYPE t_requests_total counter\n# HELP t_up"));
    sw_strbuf_cleanup(&sb);
    sw_metrics_free(m);
}

static void test_series_limit(void **state)
{
    (void)state;
    struct sw_metrics *m = NULL;
    struct sw_err err = {0};
    struct sw_strbuf sb;
    assert_int_equal(sw_metrics_new(&m, &err), 0);
    assert_int_equal(sw_metrics_define(m, defs, 1, &err), 0);
    for (int i = 0; i < SW_METRICS_MAX_SERIES + 5; i++) {
        char route[32];
        snprintf(route, sizeof route, "/r%05d", i);
        const char *v[] = {route, "200"};
        sw_metrics_add(m, "t_requests_total", v, 1);
    }
    char *text = render(m, &sb);
    assert_non_null(strstr(text, "shardwave_metrics_series_dropped_total 5\n"));
    assert_non_null(strstr(text, "route=\"/r04095\""));
    assert_null(strstr(text, "route=\"/r04096\""));
    sw_strbuf_cleanup(&sb);
    sw_metrics_free(m);
}

static const struct {
    struct sw_metric_def def;
    const char *message;
} bad_defs[] = {
    {{"1bad", SW_METRIC_GAUGE, "h", 0, {NULL}, 0, {0}}, "metric name '1bad' is not valid"},
    {{"a-b", SW_METRIC_GAUGE, "h", 0, {NULL}, 0, {0}}, "metric name 'a-b' is not valid"},
    {{"t_up", SW_METRIC_GAUGE, "h", 0, {NULL}, 0, {0}}, "metric t_up is declared twice"},
    {{"t_x", SW_METRIC_GAUGE, NULL, 0, {NULL}, 0, {0}},
     "metric t_x: no help, or too many labels or buckets"},
    {{"t_x", SW_METRIC_GAUGE, "h", 1, {"__x"}, 0, {0}},
     "metric t_x: label name '__x' is not valid"},
    {{"t_x", SW_METRIC_HISTOGRAM, "h", 1, {"le"}, 0, {0}},
     "metric t_x: label name 'le' is not valid"},
    {{"t_x", SW_METRIC_HISTOGRAM, "h", 0, {NULL}, 2, {1, 1}}, "metric t_x: buckets must increase"},
    {{"shardwave_metrics_series_dropped_total", SW_METRIC_COUNTER, "h", 0, {NULL}, 0, {0}},
     "metric name 'shardwave_metrics_series_dropped_total' is not valid"},
};

static void test_bad_defs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_defs / sizeof bad_defs[0]; i++) {
        struct sw_metrics *m = NULL;
        struct sw_err err = {0};
        assert_int_equal(sw_metrics_new(&m, &err), 0);
        assert_int_equal(sw_metrics_define(m, &defs[1], 1, &err), 0);
        int rc = sw_metrics_define(m, &bad_defs[i].def, 1, &err);
        if (rc != SW_EINVAL || strcmp(err.msg, bad_defs[i].message) != 0) {
            fail_msg("case %zu: rc %d, '%s', want '%s'", i, rc, err.msg, bad_defs[i].message);
        }
        sw_metrics_free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exposition),
        cmocka_unit_test(test_series_limit),
        cmocka_unit_test(test_bad_defs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
