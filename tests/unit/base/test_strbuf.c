/* Unit tests for proto/base/strbuf.c: growth, the hard limit, take/reset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw/strbuf.h"

static void test_empty(void **state)
{
    (void)state;
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, 16);
    assert_string_equal(sw_strbuf_str(&sb), "");
    char *p = sw_strbuf_take(&sb);
    assert_non_null(p);
    assert_string_equal(p, "");
    free(p);
    sw_strbuf_cleanup(&sb);
}

static void test_append_grows(void **state)
{
    (void)state;
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, 100000);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(sw_strbuf_printf(&sb, NULL, "%03d,", i), 0);
    }
    assert_int_equal(sb.len, 4000);
    assert_int_equal(strlen(sw_strbuf_str(&sb)), 4000);
    assert_memory_equal(sw_strbuf_str(&sb) + 3996, "999,", 4);
    sw_strbuf_cleanup(&sb);
}

struct limit_case {
    size_t max_bytes;
    const char *first;
    const char *second;
    int rc;
    const char *content; /* after both appends */
};

static const struct limit_case limit_cases[] = {
    {8, "abcd", "efgh", 0, "abcdefgh"},       /* exactly at the limit */
    {8, "abcd", "efghi", SW_ETOOBIG, "abcd"}, /* one over: refused, nothing appended */
    {0, "", "", 0, ""},
    {0, "", "x", SW_ETOOBIG, ""},
    {3, "abcd", "", SW_ETOOBIG, ""},
};

static void test_limit_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof limit_cases / sizeof limit_cases[0]; i++) {
        const struct limit_case *c = &limit_cases[i];
        struct sw_strbuf sb;
        struct sw_err err = {0};
        sw_strbuf_init(&sb, c->max_bytes);
        int rc1 = sw_strbuf_puts(&sb, c->first, &err);
        int rc2 = sw_strbuf_puts(&sb, c->second, &err);
        assert_int_equal(rc1 != 0 ? rc1 : rc2, c->rc);
        assert_string_equal(sw_strbuf_str(&sb), c->content);
        if (c->rc == SW_ETOOBIG) {
            char msg[64];
            snprintf(msg, sizeof msg, "buffer limit of %zu bytes exceeded", c->max_bytes);
            assert_string_equal(err.msg, msg);
        }
        sw_strbuf_cleanup(&sb);
    }
}

static void test_printf_limit(void **state)
{
    (void)state;
    struct sw_strbuf sb;
    struct sw_err err = {0};
    sw_strbuf_init(&sb, 5);
    assert_int_equal(sw_strbuf_printf(&sb, &err, "%d", 12345), 0);
    assert_int_equal(sw_strbuf_printf(&sb, &err, "%d", 6), SW_ETOOBIG);
    assert_string_equal(sw_strbuf_str(&sb), "12345");
    assert_string_equal(err.msg, "buffer limit of 5 bytes exceeded");
    sw_strbuf_cleanup(&sb);
}

static void test_reset_take(void **state)
{
    (void)state;
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, 64);
    assert_int_equal(sw_strbuf_puts(&sb, "hello", NULL), 0);
    sw_strbuf_reset(&sb);
    assert_string_equal(sw_strbuf_str(&sb), "");
    assert_int_equal(sw_strbuf_append(&sb, "a\0b", 3, NULL), 0);
    assert_int_equal(sb.len, 3);
    char *p = sw_strbuf_take(&sb);
    assert_memory_equal(p, "a\0b", 4);
    assert_null(sb.buf);
    assert_int_equal(sb.len, 0);
    free(p);
    sw_strbuf_cleanup(&sb);
    sw_strbuf_cleanup(&sb); /* twice is fine */
}

/* Reserving allocates once for what is asked (capped by the maximum); appends up to
 * that size keep the same buffer. */
static void test_reserve(void **state)
{
    (void)state;
    static const struct {
        size_t max_bytes;
        const char *before;
        size_t n;
        size_t want_cap;
    } cases[] = {
        {1000, "", 100, 101},    /* empty: exactly n + NUL */
        {1000, "abc", 100, 104}, /* after what is there */
        {10, "", 100, 11},       /* capped by the maximum */
        {1000, "abc", 0, 64},    /* nothing more: the first append's 64 stay */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sw_strbuf sb;
        struct sw_err err = {0};
        sw_strbuf_init(&sb, cases[i].max_bytes);
        if (cases[i].before[0] != '\0') {
            assert_int_equal(sw_strbuf_puts(&sb, cases[i].before, &err), 0);
        }
        assert_int_equal(sw_strbuf_reserve(&sb, cases[i].n, &err), 0);
        assert_int_equal(sb.cap, cases[i].want_cap);
        assert_string_equal(sw_strbuf_str(&sb), cases[i].before);
        const char *buf = sb.buf;
        size_t room = sb.cap - sb.len - 1;
        for (size_t k = 0; k < room; k++) {
            assert_int_equal(sw_strbuf_append(&sb, "x", 1, &err), 0);
        }
        assert_ptr_equal(sb.buf, buf);
        sw_strbuf_cleanup(&sb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),       cmocka_unit_test(test_append_grows),
        cmocka_unit_test(test_limit_table), cmocka_unit_test(test_printf_limit),
        cmocka_unit_test(test_reset_take),  cmocka_unit_test(test_reserve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
