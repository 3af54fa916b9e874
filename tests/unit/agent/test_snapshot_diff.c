/* Unit tests for agent/runner/snapshot_diff.c: added and removed catalog lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runner/snapshot_diff.h"

#define MAX_LINES 4

struct diff_case {
    const char *name;
    const char *before;
    const char *after;
    const char *added[MAX_LINES]; /* expected, in order, NULL-terminated */
    const char *removed[MAX_LINES];
};

#define HEAD "shardwave schema fingerprint 1 sqlite\n"

static const struct diff_case diff_cases[] = {
    {"both empty", "", "", {NULL}, {NULL}},
    {"same text", HEAD "column\tusers\tid\n" HEAD, HEAD "column\tusers\tid\n" HEAD, {NULL}, {NULL}},
    {"order does not count", "b\na\n", "a\nb\n", {NULL}, {NULL}},
    {"empty lines do not count", "a\n\n\nb\n", "a\nb", {NULL}, {NULL}},
    {"index left behind by the down",
     HEAD "column\tusers\tid\n",
     HEAD "column\tusers\tid\nindex\tusers\tusers_email\t0\n",
     {"index\tusers\tusers_email\t0", NULL},
     {NULL}},
    {"wrong column dropped",
     HEAD "column\tusers\temail\n"
          "column\tusers\tid\n",
     HEAD "column\tusers\tid\n"
          "column\tusers\tstatus\n",
     {"column\tusers\tstatus", NULL},
     {"column\tusers\temail", NULL}},
    {"from nothing", "", "x\ny\n", {"x", "y", NULL}, {NULL}},
    {"to nothing", "y\nx", "", {NULL}, {"x", "y", NULL}},
    {"duplicates count as a multiset", "a\n", "a\na\n", {"a", NULL}, {NULL}},
    {"lost duplicate", "a\na\nb\n", "a\nb\n", {NULL}, {"a", NULL}},
    {"changed default",
     "column\tt\tc\t\\N\n",
     "column\tt\tc\t0\n",
     {"column\tt\tc\t0", NULL},
     {"column\tt\tc\t\\N", NULL}},
};

static void check_lines(const char *name, const char *what, char **got, size_t n_got,
                        const char *const *want)
{
    size_t n_want = 0;
    while (n_want < MAX_LINES && want[n_want] != NULL) {
        n_want++;
    }
    if (n_got != n_want) {
        fail_msg("%s: %zu %s lines, want %zu", name, n_got, what, n_want);
    }
    for (size_t i = 0; i < n_want; i++) {
        if (strcmp(got[i], want[i]) != 0) {
            fail_msg("%s: %s line %zu is '%s', want '%s'", name, what, i, got[i], want[i]);
        }
    }
}

static void test_diff_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof diff_cases / sizeof diff_cases[0]; i++) {
        const struct diff_case *c = &diff_cases[i];
        struct snapshot_diff d;
        struct sw_err err = {0};
        if (snapshot_diff_compute(c->before, c->after, &d, &err) != 0) {
            fail_msg("%s: %s", c->name, err.msg);
        }
        check_lines(c->name, "added", d.added, d.n_added, c->added);
        check_lines(c->name, "removed", d.removed, d.n_removed, c->removed);
        assert_int_equal(snapshot_diff_is_empty(&d), c->added[0] == NULL && c->removed[0] == NULL);
        snapshot_diff_cleanup(&d);
    }
}

static void test_diff_null_text(void **state)
{
    (void)state;
    struct snapshot_diff d;
    struct sw_err err = {0};
    assert_int_equal(snapshot_diff_compute(NULL, "a\n", &d, &err), SW_EINTERNAL);
    assert_string_equal(err.msg, "snapshot_diff_compute called with a NULL text");
    assert_true(snapshot_diff_is_empty(&d));
    snapshot_diff_cleanup(&d);
}

static void test_cleanup_zeroed(void **state)
{
    (void)state;
    struct snapshot_diff d = {0};
    snapshot_diff_cleanup(&d);
    snapshot_diff_cleanup(&d);
    assert_null(d.added);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diff_cases),
        cmocka_unit_test(test_diff_null_text),
        cmocka_unit_test(test_cleanup_zeroed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
