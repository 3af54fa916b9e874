/* Helpers shared by the wire codec tests (header-only, test code). */
#ifndef SW_TESTS_WIRE_TESTUTIL_H
#define SW_TESTS_WIRE_TESTUTIL_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON written with single quotes for readability: returns a static copy with ' -> ". */
static inline const char *q(const char *s)
{
    static char buf[65536];
    size_t n = strlen(s);
    if (n >= sizeof buf) {
        fail_msg("q(): test input too long");
    }
    for (size_t i = 0; i <= n; i++) {
        buf[i] = s[i] == '\'' ? '"' : s[i];
    }
    return buf;
}

/* Asserts that two JSON texts are the same document (member order ignored). */
static inline void assert_same_json(const char *actual, const char *expected)
{
    json_error_t e;
    json_t *a = json_loads(actual, 0, &e);
    json_t *b = json_loads(expected, 0, &e);
    if (a == NULL || b == NULL || !json_equal(a, b)) {
        print_error("actual:   %s\nexpected: %s\n", actual, expected);
        json_decref(a);
        json_decref(b);
        fail_msg("JSON documents differ");
    }
    json_decref(a);
    json_decref(b);
}

/* n copies of c, NUL-terminated (caller frees). */
static inline char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

#endif
