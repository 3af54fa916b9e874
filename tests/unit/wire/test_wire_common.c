/* Unit tests for proto/src/wire_common.c: names, id checks, times, sanitising, error docs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/wire.h"
#include "wire_testutil.h"

static void test_names(void **state)
{
    (void)state;
    for (int k = 0; k < WIRE_LEASE_KIND_COUNT; k++) {
        enum wire_lease_kind back;
        assert_int_equal(wire_lease_kind_parse(wire_lease_kind_name(k), &back), 0);
        assert_int_equal(back, k);
    }
    for (int k = 0; k < WIRE_REPORT_KIND_COUNT; k++) {
        enum wire_report_kind back;
        assert_int_equal(wire_report_kind_parse(wire_report_kind_name(k), &back), 0);
        assert_int_equal(back, k);
    }
    for (int o = 0; o < WIRE_OUTCOME_COUNT; o++) {
        enum wire_outcome back;
        assert_int_equal(wire_outcome_parse(wire_outcome_name(o), &back), 0);
        assert_int_equal(back, o);
    }
    for (int h = 0; h < WIRE_HEALTH_COUNT; h++) {
        enum wire_health back;
        assert_int_equal(wire_health_parse(wire_health_name(h), &back), 0);
        assert_int_equal(back, h);
    }
    enum migset_dir d;
    assert_int_equal(wire_direction_parse("down", &d), 0);
    assert_int_equal(d, MIGSET_DOWN);
    assert_string_equal(wire_direction_name(MIGSET_UP), "up");
    assert_string_equal(wire_outcome_name(WIRE_OUT_GATE_PASSED), "gate_passed");
    assert_string_equal(wire_health_name(WIRE_HEALTH_CHECKSUM_MISMATCH), "checksum_mismatch");
    assert_int_equal(wire_outcome_parse("Applied", &(enum wire_outcome){0}), -1);
    assert_int_equal(wire_lease_kind_parse(NULL, &(enum wire_lease_kind){0}), -1);
}

struct id_case {
    int (*check)(const char *, const char *, struct sw_err *);
    const char *input;
    const char *error; /* NULL: valid */
};

static void test_id_checks(void **state)
{
    (void)state;
    const struct id_case cases[] = {
        {wire_check_id, "agent-eu-1", NULL},
        {wire_check_id, "A.b_c:d-9", NULL},
        {wire_check_id, "", "shard: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
        {wire_check_id, "t/001", "shard: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
        {wire_check_id, "t 001", "shard: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
        {wire_check_id, "caf\xc3\xa9",
         "shard: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
        {wire_check_id, NULL, "shard: required"},
        {wire_check_lease_id, "l-0", NULL},
        {wire_check_lease_id, "l-9a0c", NULL},
        {wire_check_lease_id, "L-9a0c",
         "shard: expected l-<hex> (at most 64 characters, lowercase hex)"},
        {wire_check_lease_id, "l-9a0g",
         "shard: expected l-<hex> (at most 64 characters, lowercase hex)"},
        {wire_check_lease_id, "l-",
         "shard: expected l-<hex> (at most 64 characters, lowercase hex)"},
        {wire_check_wave_id, "w-3f2a91c0", NULL},
        {wire_check_wave_id, "w-0123456789012345678901234567890123456789",
         "shard: expected 1 to 40 characters of A-Z a-z 0-9 . _ : -"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sw_err err = {0};
        int rc = cases[i].check(cases[i].input, "shard", &err);
        if (cases[i].error == NULL) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, SW_EINVAL);
            assert_string_equal(err.msg, cases[i].error);
        }
    }
    char *max = repeat('l', WIRE_LEASE_ID_MAX);
    max[1] = '-';
    memset(max + 2, 'f', WIRE_LEASE_ID_MAX - 2);
    assert_int_equal(wire_check_lease_id(max, "lease", NULL), 0);
    free(max);
}

struct time_case {
    const char *text;
    int64_t ms; /* -1: invalid */
};

static void test_times(void **state)
{
    (void)state;
    const struct time_case cases[] = {
        {"1970-01-01T00:00:00.000Z", 0},
        {"2025-11-25T09:12:33.123Z", INT64_C(1764061953123)},
        {"2024-02-29T23:59:59.999Z", INT64_C(1709251199999)},
        {"2000-03-01T00:00:00.000Z", INT64_C(951868800000)},
        {"9999-12-31T23:59:59.999Z", INT64_C(253402300799999)},
        {"2023-02-29T00:00:00.000Z", -1},
        {"2026-13-01T00:00:00.000Z", -1},
        {"2026-00-01T00:00:00.000Z", -1},
        {"2026-01-01T24:00:00.000Z", -1},
        {"2026-01-01T00:60:00.000Z", -1},
        {"2026-01-01T00:00:60.000Z", -1},
        {"1969-12-31T23:59:59.999Z", -1},
        {"2026-01-01T00:00:00Z", -1},
        {"2026-01-01T00:00:00.000+00:00", -1},
        {"2026-01-01 00:00:00.000Z", -1},
        {"2026-01-01T00:00:00.000z", -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sw_err err = {0};
        int64_t ms = -5;
        int rc = wire_time_parse(cases[i].text, "started_at", &ms, &err);
        if (cases[i].ms < 0) {
            assert_int_equal(rc, SW_EINVAL);
            assert_string_equal(err.msg, "started_at: expected an RFC 3339 UTC time like "
                                         "2026-11-25T09:12:33.123Z");
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(ms, cases[i].ms);
        char buf[WIRE_TIME_LEN + 1];
        wire_time_format(ms, buf);
        assert_string_equal(buf, cases[i].text);
    }
}

struct sanitize_case {
    const char *in;
    size_t len;
    size_t max;
    const char *out;
};

static void test_sanitize(void **state)
{
    (void)state;
    const struct sanitize_case cases[] = {
        {"plain", 5, 100, "plain"},
        {"caf\xc3\xa9", 5, 100, "caf\xc3\xa9"},
        {"caf\xe9 au lait", 12, 100, "caf? au lait"},
        {"a\0b", 3, 100, "a b"},
        {"tab\tnew\nline\r\x1b", 14, 100, "tab\tnew\nline  "},
        {"\xed\xa0\x80", 3, 100, "???"},      /* a surrogate */
        {"\xc0\xaf", 2, 100, "??"},           /* an overlong '/' */
        {"abcdefghij", 10, 10, "abcdefghij"}, /* exactly the limit */
        {"abcdefghijk", 11, 10, "abcdefg..."},
        {"abcdef\xc3\xa9xyz", 11, 10, "abcdef..."}, /* never cuts a character in two */
        {"abcde\xc3\xa9xyz", 10, 9, "abcde..."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = wire_text_sanitize(cases[i].in, cases[i].len, cases[i].max);
        assert_non_null(out);
        assert_string_equal(out, cases[i].out);
        assert_true(strlen(out) <= cases[i].max);
        free(out);
    }
}

struct error_case {
    const char *json;
    const char *code; /* NULL: an error is expected */
    const char *hint;
    const char *error;
};

static void test_error_doc(void **state)
{
    (void)state;
    const struct error_case cases[] = {
        {"{'error': {'code': 'protocol_mismatch', 'message': 'protocol 2.0'}}", "protocol_mismatch",
         NULL, NULL},
        {"{'error': {'code': 'invalid_migration_set', 'message': 'bad', 'hint': 'fix it', "
         "'problems': ['a']}}",
         "invalid_migration_set", "fix it", NULL},
        {"{'error': {'code': 'lease_lost'}}", NULL, NULL, "error.message: required field missing"},
        {"{'error': {'code': 'Lease Lost', 'message': 'x'}}", NULL, NULL,
         "error.code: expected 1 to 64 characters of a-z _"},
        {"{'error': 'lease_lost'}", NULL, NULL, "error: expected an object"},
        {"{'status': 'ok'}", NULL, NULL, "error: required field missing"},
        {"[]", NULL, NULL, "expected a JSON object"},
        {"<html>", NULL, NULL, "invalid JSON at line 1, column 1: '[' or '{' expected near '<'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct wire_error e;
        struct sw_err err = {0};
        const char *text = q(cases[i].json);
        int rc = wire_error_decode(text, strlen(text), &e, &err);
        if (cases[i].code != NULL) {
            assert_int_equal(rc, 0);
            assert_string_equal(e.code, cases[i].code);
            if (cases[i].hint != NULL) {
                assert_string_equal(e.hint, cases[i].hint);
            } else {
                assert_null(e.hint);
            }
        } else {
            assert_int_equal(rc, SW_EINVAL);
            assert_string_equal(err.msg, cases[i].error);
            assert_null(e.code);
        }
        wire_error_cleanup(&e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),     cmocka_unit_test(test_id_checks),
        cmocka_unit_test(test_times),     cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_error_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
