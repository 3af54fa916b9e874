/* Unit tests for proto/base/err.c: set, hint, prefix, and the code tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "sw/err.h"

static void test_set_and_hint(void **state)
{
    (void)state;
    struct sw_err err = {0};
    sw_err_hint(&err, "stale hint");
    assert_int_equal(sw_err_set(&err, SW_ECONFLICT, "shard %s is dirty", "eu-1"), SW_ECONFLICT);
    assert_int_equal(err.code, SW_ECONFLICT);
    assert_string_equal(err.msg, "shard eu-1 is dirty");
    assert_string_equal(err.hint, ""); /* set clears the old hint */
    sw_err_hint(&err, "run `shardwave repair`");
    assert_string_equal(err.hint, "run `shardwave repair`");
    sw_err_clear(&err);
    assert_int_equal(err.code, SW_OK);
    assert_string_equal(err.msg, "");
    assert_string_equal(err.hint, "");
}

static void test_null_err(void **state)
{
    (void)state;
    assert_int_equal(sw_err_set(NULL, SW_EIO, "x"), SW_EIO);
    sw_err_hint(NULL, "x");
    sw_err_prefix(NULL, "x");
    sw_err_clear(NULL);
}

static void test_prefix(void **state)
{
    (void)state;
    struct sw_err err = {0};
    sw_err_set(&err, SW_ELOCKED, "lock timeout after %d ms", 5000);
    sw_err_prefix(&err, "applying V%d", 7);
    sw_err_prefix(&err, "shard %s", "eu-12");
    assert_string_equal(err.msg, "shard eu-12: applying V7: lock timeout after 5000 ms");
    assert_int_equal(err.code, SW_ELOCKED);
}

static void test_prefix_long_message(void **state)
{
    (void)state;
    struct sw_err err = {0};
    char big[SW_ERR_MSG_MAX + 10];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    sw_err_set(&err, SW_EDB, "%s", big);
    assert_int_equal(strlen(err.msg), SW_ERR_MSG_MAX - 1);
    sw_err_prefix(&err, "ctx");
    assert_int_equal(strlen(err.msg), SW_ERR_MSG_MAX - 1); /* bounded, still terminated */
    assert_memory_equal(err.msg, "ctx: mmm", 8);
}

static void test_copy(void **state)
{
    (void)state;
    struct sw_err a = {0};
    struct sw_err b = {0};
    sw_err_set(&a, SW_EIO, "disk");
    sw_err_hint(&a, "check it");
    sw_err_copy(&b, &a);
    assert_int_equal(b.code, SW_EIO);
    assert_string_equal(b.msg, "disk");
    assert_string_equal(b.hint, "check it");
}

static void test_code_tables(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {SW_OK, "ok"},
        {SW_EINVAL, "invalid_input"},
        {SW_ECHECKSUM, "checksum_mismatch"},
        {SW_ELOCKED, "lock_timeout"},
        {SW_EINTERNAL, "internal_error"},
        {SW_EAUTH, "unauthorized"},
        {SW_EPROTO, "protocol_mismatch"},
        {SW_EFENCED, "not_leader"},
        {-99, "unknown_error"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_string_equal(sw_err_code_name(names[i].code), names[i].name);
    }
    /* Every code has its own name and a non-zero exit code. */
    for (int c = SW_ECODE_MIN; c < 0; c++) {
        assert_string_not_equal(sw_err_code_name(c), "unknown_error");
        assert_int_not_equal(sw_err_exit_code(c), 0);
        for (int d = SW_ECODE_MIN; d < c; d++) {
            assert_string_not_equal(sw_err_code_name(c), sw_err_code_name(d));
        }
    }
    assert_int_equal(sw_err_exit_code(SW_OK), 0);
    assert_int_equal(sw_err_exit_code(SW_EINVAL), 2);
    assert_int_equal(sw_err_exit_code(SW_EAUTH), 12);
    assert_int_equal(sw_err_exit_code(-99), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_hint), cmocka_unit_test(test_null_err),
        cmocka_unit_test(test_prefix),       cmocka_unit_test(test_prefix_long_message),
        cmocka_unit_test(test_copy),         cmocka_unit_test(test_code_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
