/* Unit tests for coordinator/config/tokens.c: roles, the sha256: form, comments, every
 * line error, the permission refusal and lookups of unknown tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config/tokens.h"
#include "../proto/tmpdir.h"

/* The agent's token is given only as its digest: sha256 of "agent-secret-0123456789". */
static const char good[] =
    "# shardwave tokens\n"
    "\n"
    "operator ops-oncall  op-secret-0123456789\n"
    "  read\tdashboard read-secret-0123456789\r\n"
    "agent agent-eu-1 sha256:067baa9328b089a367d154c530aedf7315dc8e04f6b34317f82d41b749df9c73\n";

static void test_roles_and_lookup(void **state)
{
    (void)state;
    struct tokens *t = NULL;
    struct sw_err err = {0};
    if (tokens_parse(good, "tokens", &t, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(tokens_count(t), 3);
    struct tokens_identity who = {0};
    const char *op = "op-secret-0123456789";
    assert_int_equal(tokens_lookup(t, op, strlen(op), &who, &err), 0);
    assert_string_equal(who.name, "ops-oncall");
    assert_int_equal(who.role, TOKENS_ROLE_OPERATOR);
    const char *rd = "read-secret-0123456789";
    assert_int_equal(tokens_lookup(t, rd, strlen(rd), &who, &err), 0);
    assert_string_equal(who.name, "dashboard");
    assert_int_equal(who.role, TOKENS_ROLE_READ);
    const char *ag = "agent-secret-0123456789";
    assert_int_equal(tokens_lookup(t, ag, strlen(ag), &who, &err), 0);
    assert_string_equal(who.name, "agent-eu-1");
    assert_int_equal(who.role, TOKENS_ROLE_AGENT);
    /* unknown, prefix, longer, empty */
    const char *bad[] = {"op-secret-012345678", "op-secret-01234567890", "", "nope"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tokens_lookup(t, bad[i], strlen(bad[i]), &who, &err), SW_ENOTFOUND);
        assert_string_equal(err.msg, "unknown token");
    }
    tokens_free(t);
    tokens_free(NULL);
}

static void test_sha256_form(void **state)
{
    (void)state;
    /* printf 'agent-token-abcdefgh' | sha256sum, upper-case hex is accepted too */
    const char *text =
        "agent a1 sha256:303FAB7544BE28EE5DA067B0135CFC38C2E2C87FC34AD7F0C2B47A81CF0AB078\n";
    struct tokens *t = NULL;
    struct sw_err err = {0};
    assert_int_equal(tokens_parse(text, "tokens", &t, &err), 0);
    struct tokens_identity who = {0};
    const char *tok = "agent-token-abcdefgh";
    assert_int_equal(tokens_lookup(t, tok, strlen(tok), &who, &err), 0);
    assert_string_equal(who.name, "a1");
    /* presenting the digest text is not presenting the token */
    const char *digest = "sha256:303FAB7544BE28EE5DA067B0135CFC38C2E2C87FC34AD7F0C2B47A81CF0AB078";
    assert_int_equal(tokens_lookup(t, digest, strlen(digest), &who, &err), SW_ENOTFOUND);
    tokens_free(t);
}

struct error_case {
    const char *text;
    const char *message;
};

static const struct error_case error_cases[] = {
    {"operator ops\n", "tokens:1: expected '<role> <name> <secret>'"},
    {"# c\noperator ops secret-0123456789 extra\n", "tokens:2: expected '<role> <name> <secret>'"},
    {"admin ops secret-0123456789\n",
     "tokens:1: unknown role 'admin' (expected read, operator or agent)"},
    {"secret-0123456789 operator ops\n",
     "tokens:1: unknown role '...' (expected read, operator or agent)"},
    {"read o/ps secret-0123456789\n", "tokens:1: name may only contain A-Z a-z 0-9 . _ : -"},
    {"read ops short\n", "tokens:1: token 'ops': token shorter than 16 characters"},
    {"read ops sha256:abcd\n", "tokens:1: token 'ops': sha256: needs 64 hex digits"},
    {"read ops sha256:zz64e1a0bbd7b8a7b19d0e2e1a2a1a11b0d1d0f6c0b2b0a2f0f6e4c4e4a5b6c7\n",
     "tokens:1: token 'ops': sha256: needs 64 hex digits"},
    {"read ci secret-0123456789\n\nagent ci secret-9876543210\n",
     "tokens:3: duplicate name 'ci' (first at line 1)"},
    {"read ci secret-0123456789\noperator ops secret-0123456789\n",
     "tokens:2: same token as 'ci' (line 1)"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        struct tokens *t = NULL;
        struct sw_err err = {0};
        int rc = tokens_parse(error_cases[i].text, "tokens", &t, &err);
        if (rc != SW_EINVAL || strcmp(err.msg, error_cases[i].message) != 0) {
            fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err.msg,
                     error_cases[i].message);
        }
        assert_null(t);
        assert_null(strstr(err.msg, "secret-"));
    }
}

static void test_file_permissions(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *path = tmpdir_path(dir, "tokens");
    tmpdir_write(dir, "tokens", "operator ops op-secret-0123456789\n");
    struct tokens *t = NULL;
    struct sw_err err = {0};
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(tokens_load(path, &t, &err), SW_EINVAL);
    char want[4300];
    snprintf(want, sizeof want, "tokens file %s is readable by every user (mode 0644)", path);
    assert_string_equal(err.msg, want);
    snprintf(want, sizeof want, "chmod 600 %s", path);
    assert_string_equal(err.hint, want);
    assert_null(t);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(tokens_load(path, &t, &err), 0);
    assert_int_equal(tokens_count(t), 1);
    tokens_free(t);
    tmpdir_unlink(dir, "tokens");
    assert_int_equal(tokens_load(path, &t, &err), SW_ENOTFOUND);
    free(path);
    tmpdir_remove(dir);
}

static void test_role_rules(void **state)
{
    (void)state;
    assert_true(tokens_role_allows(TOKENS_ROLE_OPERATOR, TOKENS_ROLE_READ));
    assert_true(tokens_role_allows(TOKENS_ROLE_OPERATOR, TOKENS_ROLE_OPERATOR));
    assert_false(tokens_role_allows(TOKENS_ROLE_OPERATOR, TOKENS_ROLE_AGENT));
    assert_true(tokens_role_allows(TOKENS_ROLE_READ, TOKENS_ROLE_READ));
    assert_false(tokens_role_allows(TOKENS_ROLE_READ, TOKENS_ROLE_OPERATOR));
    assert_false(tokens_role_allows(TOKENS_ROLE_AGENT, TOKENS_ROLE_READ));
    assert_true(tokens_role_allows(TOKENS_ROLE_AGENT, TOKENS_ROLE_AGENT));
    enum tokens_role r;
    assert_int_equal(tokens_role_parse("agent", &r), 0);
    assert_int_equal(r, TOKENS_ROLE_AGENT);
    assert_string_equal(tokens_role_name(TOKENS_ROLE_READ), "read");
    assert_int_equal(tokens_role_parse("root", &r), SW_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_and_lookup), cmocka_unit_test(test_sha256_form),
        cmocka_unit_test(test_errors),           cmocka_unit_test(test_file_permissions),
        cmocka_unit_test(test_role_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
