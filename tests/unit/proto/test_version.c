/* Unit tests for proto/src/version.c: parsing, canonical text, ordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "sw/version.h"

struct parse_case {
    const char *input;
    const char *canonical; /* NULL: an error is expected */
    const char *error;
};

static const struct parse_case parse_cases[] = {
    {"1", "1", NULL},
    {"1.2", "1.2", NULL},
    {"1_2", "1.2", NULL},
    {"1.2_3", "1.2.3", NULL},
    {"01.002", "1.2", NULL},
    {"007", "7", NULL},
    {"1.0", "1", NULL},
    {"1_0_0", "1", NULL},
    {"1.0.2", "1.0.2", NULL},
    {"0", "0", NULL},
    {"0.0", "0", NULL},
    {"20261123120000", "20261123120000", NULL},
    {"18446744073709551615", "18446744073709551615", NULL},
    {"1.2.3.4.5.6.7.8", "1.2.3.4.5.6.7.8", NULL},
    {"1.0.0.0.0.0.0.0", "1", NULL},
    {"", NULL, "version is empty"},
    {"1..2", NULL, "version '1..2': empty part"},
    {"1__2", NULL, "version '1__2': empty part"},
    {".1", NULL, "version '.1': empty part"},
    {"1.", NULL, "version '1.': empty part"},
    {"_", NULL, "version '_': empty part"},
    {"3x", NULL, "version '3x': must be digits separated by '.' or '_'"},
    {"-1", NULL, "version '-1': must be digits separated by '.' or '_'"},
    {" 1", NULL, "version ' 1': must be digits separated by '.' or '_'"},
    {"1-2", NULL, "version '1-2': must be digits separated by '.' or '_'"},
    {"18446744073709551616", NULL,
     "version '18446744073709551616': part '18446744073709551616' is larger than "
     "18446744073709551615"},
    {"1.99999999999999999999999", NULL,
     "version '1.99999999999999999999999': part '99999999999999999999999' is larger than "
     "18446744073709551615"},
    {"1.2.3.4.5.6.7.8.9", NULL, "version '1.2.3.4.5.6.7.8.9': more than 8 parts"},
    {"1.0.0.0.0.0.0.0.0", NULL, "version '1.0.0.0.0.0.0.0.0': more than 8 parts"},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        struct version v = {0};
        struct sw_err err = {0};
        int rc = version_parse_str(c->input, &v, &err);
        if (c->canonical != NULL) {
            if (rc != 0) {
                fail_msg("'%s': unexpected error: %s", c->input, err.msg);
            }
            char buf[VERSION_TEXT_MAX];
            assert_string_equal(version_format(&v, buf, sizeof buf), c->canonical);
        } else {
            assert_int_equal(rc, SW_EINVAL);
            assert_int_equal(err.code, SW_EINVAL);
            assert_string_equal(err.msg, c->error);
        }
    }
}

static void test_parse_uses_len_not_nul(void **state)
{
    (void)state;
    struct version v;
    char buf[VERSION_TEXT_MAX];
    assert_int_equal(version_parse("12__add", 2, &v, NULL), 0);
    assert_string_equal(version_format(&v, buf, sizeof buf), "12");
}

static void test_trailing_zeros_dropped(void **state)
{
    (void)state;
    struct version v;
    assert_int_equal(version_parse_str("3.0.0", &v, NULL), 0);
    assert_int_equal(v.n_parts, 1);
    assert_int_equal(v.parts[0], 3);
    assert_int_equal(version_parse_str("0.0", &v, NULL), 0);
    assert_int_equal(v.n_parts, 0);
    assert_true(version_is_zero(&v));
    assert_int_equal(version_parse_str("0.1", &v, NULL), 0);
    assert_false(version_is_zero(&v));
}

static void test_max_canonical_text_fits(void **state)
{
    (void)state;
    const char *max = "18446744073709551615.18446744073709551615.18446744073709551615."
                      "18446744073709551615.18446744073709551615.18446744073709551615."
                      "18446744073709551615.18446744073709551615";
    struct version v;
    char buf[VERSION_TEXT_MAX];
    assert_int_equal(version_parse_str(max, &v, NULL), 0);
    assert_string_equal(version_format(&v, buf, sizeof buf), max);
}

/* Each row is strictly less than the next. */
static const char *const ascending[] = {
    "0",
    "1",
    "1.1",
    "1.2",
    "1.2.1",
    "1.10",
    "2",
    "2.0.1",
    "10",
    "20261123120000",
    "18446744073709551615",
};

static int cmp_text(const char *a, const char *b)
{
    struct version va;
    struct version vb;
    assert_int_equal(version_parse_str(a, &va, NULL), 0);
    assert_int_equal(version_parse_str(b, &vb, NULL), 0);
    return version_cmp(&va, &vb);
}

static void test_compare_order(void **state)
{
    (void)state;
    size_t n = sizeof ascending / sizeof ascending[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int c = cmp_text(ascending[i], ascending[j]);
            if (i < j) {
                assert_true(c < 0);
            } else if (i > j) {
                assert_true(c > 0);
            } else {
                assert_int_equal(c, 0);
            }
        }
    }
}

static void test_compare_equal_spellings(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"1", "1.0"}, {"1", "1_0"}, {"01", "1"}, {"1.2", "1_2"}, {"1.2", "01.02.0"}, {"0", "0.0"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        assert_int_equal(cmp_text(pairs[i][0], pairs[i][1]), 0);
    }
}

static void test_format_zero(void **state)
{
    (void)state;
    struct version zero = {0};
    char buf[VERSION_TEXT_MAX];
    assert_string_equal(version_format(&zero, buf, sizeof buf), "0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_uses_len_not_nul),
        cmocka_unit_test(test_trailing_zeros_dropped),
        cmocka_unit_test(test_max_canonical_text_fits),
        cmocka_unit_test(test_compare_order),
        cmocka_unit_test(test_compare_equal_spellings),
        cmocka_unit_test(test_format_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
