/* Unit tests for proto/src/checksum.c: known SHA-256 vectors and CRLF folding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "sw/checksum.h"

#define SHA_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct fold_case {
    const char *crlf;
    const char *lf; /* same checksum expected */
};

static const struct fold_case fold_cases[] = {
    {"a\r\nb\r\n", "a\nb\n"},
    {"\r\n", "\n"},
    {"SELECT 1;\r\nSELECT 2;", "SELECT 1;\nSELECT 2;"},
    {"x\r\r\n", "x\r\n"}, /* only the '\r' right before '\n' goes */
    {"a\r", "a\r"},       /* a lone CR stays */
    {"\r\n\r\n\r\n", "\n\n\n"},
};

static void test_known_vectors(void **state)
{
    (void)state;
    char hex[CHECKSUM_HEX_LEN + 1];
    assert_int_equal(checksum_sha256_hex("abc", 3, hex, NULL), 0);
    assert_string_equal(hex, SHA_ABC);
    assert_int_equal(checksum_sha256_hex_raw("abc", 3, hex, NULL), 0);
    assert_string_equal(hex, SHA_ABC);
    assert_int_equal(checksum_sha256_hex("", 0, hex, NULL), 0);
    assert_string_equal(hex, SHA_EMPTY);
}

static void test_crlf_folded(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fold_cases / sizeof fold_cases[0]; i++) {
        char a[CHECKSUM_HEX_LEN + 1];
        char b[CHECKSUM_HEX_LEN + 1];
        const struct fold_case *c = &fold_cases[i];
        assert_int_equal(checksum_sha256_hex(c->crlf, strlen(c->crlf), a, NULL), 0);
        assert_int_equal(checksum_sha256_hex_raw(c->lf, strlen(c->lf), b, NULL), 0);
        assert_string_equal(a, b);
    }
}

static void test_raw_does_not_fold(void **state)
{
    (void)state;
    char folded[CHECKSUM_HEX_LEN + 1];
    char raw[CHECKSUM_HEX_LEN + 1];
    assert_int_equal(checksum_sha256_hex("a\r\nb", 4, folded, NULL), 0);
    assert_int_equal(checksum_sha256_hex_raw("a\r\nb", 4, raw, NULL), 0);
    assert_string_not_equal(folded, raw);
}

static void test_binary_data(void **state)
{
    (void)state;
    static const char data[] = {'a', '\0', 'b'};
    char with_nul[CHECKSUM_HEX_LEN + 1];
    char without[CHECKSUM_HEX_LEN + 1];
    assert_int_equal(checksum_sha256_hex(data, sizeof data, with_nul, NULL), 0);
    assert_int_equal(checksum_sha256_hex("ab", 2, without, NULL), 0);
    assert_string_not_equal(with_nul, without);
    assert_int_equal(strlen(with_nul), CHECKSUM_HEX_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_crlf_folded),
        cmocka_unit_test(test_raw_does_not_fold),
        cmocka_unit_test(test_binary_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
