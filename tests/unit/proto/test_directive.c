/* Unit tests for proto/src/directive.c: every directive, and every error with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "sw/directive.h"

struct ok_case {
    const char *sql;
    bool no_transaction;
    const char *destructive_reason; /* NULL: destructive_ok false */
    const char *allow_rule;         /* first allow, NULL: none */
    const char *allow_reason;
    int allow_line;
    const char *contract_of; /* canonical, NULL: none */
    int lock_timeout_ms;
    int statement_timeout_ms;
};

static const struct ok_case ok_cases[] = {
    {"", false, NULL, NULL, NULL, 0, NULL, -1, -1},
    {"-- just a comment\n", false, NULL, NULL, NULL, 0, NULL, -1, -1},
    {"CREATE TABLE t (id int);\n", false, NULL, NULL, NULL, 0, NULL, -1, -1},
    {"-- shardwave: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n", true, NULL, NULL,
     NULL, 0, NULL, -1, -1},
    {"--shardwave:no-transaction\n", true, NULL, NULL, NULL, 0, NULL, -1, -1},
    {"\xEF\xBB\xBF-- shardwave: no-transaction\r\nSELECT 1;\r\n", true, NULL, NULL, NULL, 0, NULL,
     -1, -1},
    {"  \t-- SHARDWAVE: no-transaction  \n", true, NULL, NULL, NULL, 0, NULL, -1, -1},
    {"-- shardwave: destructive-ok   column unused since 2024-01  \nALTER TABLE t DROP c;", false,
     "column unused since 2024-01", NULL, NULL, 0, NULL, -1, -1},
    {"/* header\n   block */\n\n-- shardwave: allow add-column-not-null backfilled in V3\n", false,
     NULL, "add-column-not-null", "backfilled in V3", 4, NULL, -1, -1},
    {"-- shardwave: contract-of 3.01\n", false, NULL, NULL, NULL, 0, "3.1", -1, -1},
    {"-- shardwave: lock-timeout 250\n-- shardwave: statement-timeout 0\n", false, NULL, NULL, NULL,
     0, NULL, 250, 0},
    {"-- shardwave: statement-timeout 60000\n", false, NULL, NULL, NULL, 0, NULL, -1, 60000},
    /* Directive-looking text inside a block comment or a string is not a directive. */
    {"/* -- shardwave: bogus */\nSELECT 1;\n", false, NULL, NULL, NULL, 0, NULL, -1, -1},
    {"SELECT '-- shardwave: bogus';\n", false, NULL, NULL, NULL, 0, NULL, -1, -1},
    {"SELECT 1; -- shardwave: no-transaction\n", false, NULL, NULL, NULL, 0, NULL, -1, -1},
    {"-- shardwave is great\n", false, NULL, NULL, NULL, 0, NULL, -1, -1},
};

static void check_ok(const struct ok_case *c, const struct directive_set *d)
{
    assert_int_equal(d->no_transaction, c->no_transaction);
    assert_int_equal(d->destructive_ok, c->destructive_reason != NULL);
    if (c->destructive_reason != NULL) {
        assert_string_equal(d->destructive_reason, c->destructive_reason);
    }
    assert_int_equal(d->n_allows, c->allow_rule != NULL ? 1 : 0);
    if (c->allow_rule != NULL) {
        assert_string_equal(d->allows[0].rule_id, c->allow_rule);
        assert_string_equal(d->allows[0].reason, c->allow_reason);
        assert_int_equal(d->allows[0].line, c->allow_line);
    }
    assert_int_equal(d->has_contract_of, c->contract_of != NULL);
    if (c->contract_of != NULL) {
        char buf[VERSION_TEXT_MAX];
        assert_string_equal(version_format(&d->contract_of, buf, sizeof buf), c->contract_of);
    }
    assert_int_equal(d->lock_timeout_ms, c->lock_timeout_ms);
    assert_int_equal(d->statement_timeout_ms, c->statement_timeout_ms);
}

static void test_ok_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
        struct directive_set d;
        struct sw_err err = {0};
        const char *sql = ok_cases[i].sql;
        if (directive_parse(sql, strlen(sql), &d, &err) != 0) {
            fail_msg("case %zu: unexpected error: %s", i, err.msg);
        }
        check_ok(&ok_cases[i], &d);
    }
}

struct err_case {
    const char *sql;
    const char *error;
};

static const struct err_case err_cases[] = {
    {"-- shardwave: foo\n", "line 1: unknown directive 'foo'"},
    {"\n\n-- shardwave: no-transactions\n", "line 3: unknown directive 'no-transactions'"},
    {"-- shardwave:\n", "line 1: missing directive after 'shardwave:'"},
    {"-- shardwave: no-transaction please\n", "line 1: no-transaction takes no arguments"},
    {"-- shardwave: no-transaction\n-- shardwave: no-transaction\n",
     "line 2: duplicate directive 'no-transaction'"},
    {"-- c\n-- shardwave: destructive-ok\n", "line 2: destructive-ok needs a reason"},
    {"-- shardwave: destructive-ok   \n", "line 1: destructive-ok needs a reason"},
    {"-- shardwave: allow\n", "line 1: allow needs a rule id and a reason"},
    {"-- shardwave: allow some-rule\n", "line 1: allow needs a rule id and a reason"},
    {"-- shardwave: contract-of\n", "line 1: contract-of needs a version"},
    {"-- shardwave: contract-of 3x\n",
     "line 1: contract-of: version '3x': must be digits separated by '.' or '_'"},
    {"-- shardwave: contract-of 0\n", "line 1: contract-of: version 0 is not a migration"},
    {"-- shardwave: lock-timeout\n", "line 1: lock-timeout needs a value in milliseconds"},
    {"-- shardwave: lock-timeout 5s\n", "line 1: lock-timeout: '5s' is not a whole number"},
    {"-- shardwave: lock-timeout 0\n", "line 1: lock-timeout: 0 is out of range [1, 2147483647]"},
    {"-- shardwave: statement-timeout -1\n",
     "line 1: statement-timeout: -1 is out of range [0, 2147483647]"},
    {"-- shardwave: lock-timeout 1\n-- shardwave: lock-timeout 2\n",
     "line 2: duplicate directive 'lock-timeout'"},
    {"CREATE TABLE t (id int);\n-- shardwave: no-transaction\n",
     "line 2: directives must come before the first statement"},
    {"/* a\n b\n c */ SELECT 1;\n\n   -- shardwave: no-transaction\n",
     "line 5: directives must come before the first statement"},
    {"/* a\n b */\n-- shardwave: nope\n", "line 3: unknown directive 'nope'"},
    {"/*!40101 SET NAMES utf8 */;\n-- shardwave: no-transaction\n",
     "line 2: directives must come before the first statement"},
};

static void test_error_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        struct directive_set d;
        struct sw_err err = {0};
        const char *sql = err_cases[i].sql;
        int rc = directive_parse(sql, strlen(sql), &d, &err);
        if (rc != SW_EINVAL) {
            fail_msg("case %zu: expected '%s', got rc %d", i, err_cases[i].error, rc);
        }
        assert_string_equal(err.msg, err_cases[i].error);
    }
}

static void test_unknown_hint_lists_known(void **state)
{
    (void)state;
    struct directive_set d;
    struct sw_err err = {0};
    const char *sql = "-- shardwave: foo\n";
    assert_int_equal(directive_parse(sql, strlen(sql), &d, &err), SW_EINVAL);
    assert_string_equal(err.hint,
                        "known directives: no-transaction, destructive-ok <reason>, allow "
                        "<rule-id> <reason>, contract-of <version>, lock-timeout <ms>, "
                        "statement-timeout <ms>");
}

static void test_named_errors(void **state)
{
    (void)state;
    struct directive_set d;
    struct sw_err err = {0};
    const char *sql = "-- a\n\n-- shardwave: foo\n";
    assert_int_equal(directive_parse_named("V2__x.sql", sql, strlen(sql), &d, &err), SW_EINVAL);
    assert_string_equal(err.msg, "V2__x.sql:3: unknown directive 'foo'");
}

static void test_several_allows(void **state)
{
    (void)state;
    struct directive_set d;
    struct sw_err err = {0};
    const char *sql = "-- shardwave: allow r1 first reason\n"
                      "-- shardwave: allow r2 second reason\n"
                      "-- shardwave: destructive-ok dropping the old index\n"
                      "DROP INDEX i;\n";
    assert_int_equal(directive_parse(sql, strlen(sql), &d, &err), 0);
    assert_int_equal(d.n_allows, 2);
    assert_string_equal(d.allows[1].rule_id, "r2");
    assert_string_equal(d.allows[1].reason, "second reason");
    assert_int_equal(d.allows[1].line, 2);
    assert_true(d.destructive_ok);
}

static void test_limits(void **state)
{
    (void)state;
    struct directive_set d;
    struct sw_err err = {0};
    char sql[8192];
    size_t pos = 0;
    for (int i = 0; i <= DIRECTIVE_MAX_ALLOWS; i++) {
        pos += (size_t)snprintf(sql + pos, sizeof sql - pos, "-- shardwave: allow r%d why\n", i);
    }
    assert_int_equal(directive_parse(sql, pos, &d, &err), SW_EINVAL);
    assert_string_equal(err.msg, "line 17: more than 16 allow directives");

    char reason[DIRECTIVE_REASON_MAX + 1];
    memset(reason, 'x', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    snprintf(sql, sizeof sql, "-- shardwave: destructive-ok %s\n", reason);
    assert_int_equal(directive_parse(sql, strlen(sql), &d, &err), SW_EINVAL);
    assert_string_equal(err.msg, "line 1: destructive-ok: reason is longer than 255 characters");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_table),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_unknown_hint_lists_known),
        cmocka_unit_test(test_named_errors),
        cmocka_unit_test(test_several_allows),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
