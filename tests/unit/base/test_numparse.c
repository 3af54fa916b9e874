/* Unit tests for proto/base/numparse.c: ranges and garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/numparse.h"

struct case64 {
    const char *input;
    int64_t min;
    int64_t max;
    int64_t value;     /* when error is NULL */
    const char *error; /* exact message, or NULL */
};

static const struct case64 cases[] = {
    {"0", 0, 10, 0, NULL},
    {"10", 0, 10, 10, NULL},
    {"-5", -10, 10, -5, NULL},
    {"007", 0, 10, 7, NULL},
    {"9223372036854775807", INT64_MIN, INT64_MAX, INT64_MAX, NULL},
    {"-9223372036854775808", INT64_MIN, INT64_MAX, INT64_MIN, NULL},
    {"", 0, 10, 0, "--n: expected a number, got an empty value"},
    {"11", 0, 10, 0, "--n: 11 is out of range [0, 10]"},
    {"-1", 0, 10, 0, "--n: -1 is out of range [0, 10]"},
    {"4x", 0, 10, 0, "--n: '4x' is not a whole number"},
    {"x4", 0, 10, 0, "--n: 'x4' is not a whole number"},
    {" 4", 0, 10, 0, "--n: ' 4' is not a whole number"},
    {"4 ", 0, 10, 0, "--n: '4 ' is not a whole number"},
    {"+4", 0, 10, 0, "--n: '+4' is not a whole number"},
    {"-", 0, 10, 0, "--n: '-' is not a whole number"},
    {"1.5", 0, 10, 0, "--n: '1.5' is not a whole number"},
    {"9223372036854775808", INT64_MIN, INT64_MAX, 0,
     "--n: 9223372036854775808 is out of range [-9223372036854775808, 9223372036854775807]"},
};

static void test_int64_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct case64 *c = &cases[i];
        int64_t v = 12345;
        struct sw_err err = {0};
        int rc = sw_parse_int64(c->input, c->min, c->max, "--n", &v, &err);
        if (c->error == NULL) {
            if (rc != 0) {
                fail_msg("'%s': unexpected error %s", c->input, err.msg);
            }
            assert_int_equal(v, c->value);
        } else {
            assert_int_equal(rc, SW_EINVAL);
            assert_string_equal(err.msg, c->error);
            assert_int_equal(v, 12345); /* untouched on error */
        }
    }
}

static void test_int(void **state)
{
    (void)state;
    int v = 0;
    struct sw_err err = {0};
    assert_int_equal(sw_parse_int("2147483647", 0, 2147483647, "x", &v, &err), 0);
    assert_int_equal(v, 2147483647);
    assert_int_equal(sw_parse_int("2147483648", 0, 2147483647, "x", &v, &err), SW_EINVAL);
    assert_string_equal(err.msg, "x: 2147483648 is out of range [0, 2147483647]");
    assert_int_equal(sw_parse_int(NULL, 0, 1, "x", &v, &err), SW_EINVAL);
    assert_string_equal(err.msg, "x: expected a number, got an empty value");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int64_table),
        cmocka_unit_test(test_int),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
