/* Unit tests for agent/daemon/agent_dsn.c: template expansion (placeholders, secret
 * encoding, errors that never show secrets), the shards file, and resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/agent_dsn.h"

/* A fixed environment: NAME=value pairs. */
static const char *const test_env[][2] = {
    {"PGPASSWORD", "s3cr:t@/x"},
    {"PLAIN", "hunter2"},
    {"QUOTED", "it's\\me"},
    {"EMPTY", ""},
};

static const char *test_getenv(void *ctx, const char *name)
{
    (void)ctx;
    for (size_t i = 0; i < sizeof test_env / sizeof test_env[0]; i++) {
        if (strcmp(test_env[i][0], name) == 0) {
            return test_env[i][1];
        }
    }
    return NULL;
}

struct expand_case {
    const char *tmpl;
    const char *password; /* NULL = no password_file */
    const char *want;     /* expanded DSN, or NULL when an error is expected */
    int code;
    const char *error;
};

static const struct expand_case expand_cases[] = {
    {"postgres://migrator@db-1/{shard}", NULL, "postgres://migrator@db-1/t-001", 0, NULL},
    {"sqlite:///var/lib/tenants/{shard}.db", NULL, "sqlite:///var/lib/tenants/t-001.db", 0, NULL},
    {"mysql://m:{env:PLAIN}@h:3306/{shard}", NULL, "mysql://m:hunter2@h:3306/t-001", 0, NULL},
    /* secrets are percent-encoded in URLs so '@', ':' and '/' cannot change the host */
    {"postgres://m:{env:PGPASSWORD}@h/{shard}", NULL, "postgres://m:s3cr%3At%40%2Fx@h/t-001", 0,
     NULL},
    {"postgres://m:{password}@h/{shard}", "p@ss word", "postgres://m:p%40ss%20word@h/t-001", 0,
     NULL},
    /* conninfo: quotes and backslashes escaped inside the user's quotes */
    {"host=h dbname={shard} password='{env:QUOTED}'", NULL,
     "host=h dbname=t-001 password='it\\'s\\\\me'", 0, NULL},
    {"host=h dbname={shard} password='{password}'", "pw", "host=h dbname=t-001 password='pw'", 0,
     NULL},
    {"postgres://m:{env:EMPTY}@h/{shard}", NULL, "postgres://m:@h/t-001", 0, NULL},
    {"{shard}{shard}", NULL, "t-001t-001", 0, NULL},
    {"no placeholders", NULL, "no placeholders", 0, NULL},
    {"", NULL, "", 0, NULL},
    {"postgres://h/{host}", NULL, NULL, SW_EINVAL,
     "dsn_template: unknown placeholder '{host}' (known: {shard}, {password}, {env:NAME})"},
    {"postgres://h/{env:}", NULL, NULL, SW_EINVAL,
     "dsn_template: unknown placeholder '{env:}' (known: {shard}, {password}, {env:NAME})"},
    {"postgres://h/{shard", NULL, NULL, SW_EINVAL,
     "dsn_template: unterminated placeholder at offset 13"},
    {"postgres://m:{env:NOPE}@h/x", NULL, NULL, SW_EINVAL,
     "dsn_template: environment variable NOPE is not set"},
    {"postgres://m:{password}@h/x", NULL, NULL, SW_EINVAL,
     "dsn_template: {password} is used but password_file is not set"},
};

static void test_expand_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof expand_cases / sizeof expand_cases[0]; i++) {
        const struct expand_case *c = &expand_cases[i];
        struct agent_dsn_vars vars = {
            .shard = "t-001", .password = c->password, .getenv_fn = test_getenv};
        struct sw_err err = {0};
        char *out = NULL;
        int rc = agent_dsn_expand(c->tmpl, "dsn_template", &vars, &out, &err);
        if (c->want != NULL) {
            if (rc != 0) {
                fail_msg("case %zu '%s': unexpected error %s", i, c->tmpl, err.msg);
            }
            assert_string_equal(out, c->want);
        } else {
            assert_int_equal(rc, c->code);
            assert_null(out);
            assert_string_equal(err.msg, c->error);
        }
        free(out);
    }
}

static void test_expand_too_long(void **state)
{
    (void)state;
    char tmpl[AGENT_DSN_MAX + 16];
    memset(tmpl, 'a', sizeof tmpl - 1);
    tmpl[sizeof tmpl - 1] = '\0';
    memcpy(tmpl, "{shard}", 7);
    struct agent_dsn_vars vars = {.shard = "t-1"};
    struct sw_err err = {0};
    char *out = NULL;
    assert_int_equal(agent_dsn_expand(tmpl, "dsn_template", &vars, &out, &err), SW_ETOOBIG);
    assert_string_equal(err.msg, "dsn_template: expanded DSN exceeds 4096 bytes");
    assert_null(out);
}

struct parse_case {
    const char *text;
    size_t n_shards; /* when error is NULL */
    const char *error;
};

static const struct parse_case parse_cases[] = {
    {"shards = ( { id = \"t-002\"; dsn = \"postgres://h/b\"; },\n"
     "           { id = \"t-001\"; dsn_file = \"/etc/t1.dsn\"; } );\n",
     2, NULL},
    {"shards = ();\n", 0, NULL},
    {"shards = ( { id = \"t-001\"; dsn = \"x\" } \n", 0, "shards.conf:2: syntax error"},
    {"shards = ( { id = \"t 1\"; dsn = \"x\"; } );\n", 0,
     "shards.conf:1: shards[0]: id: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
    {"shards = ( { dsn = \"x\"; } );\n", 0,
     "shards.conf:1: shards[0]: id: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
    {"shards = ( { id = \"a\"; dsn = \"x\"; },\n { id = \"b\"; } );\n", 0,
     "shards.conf:2: shards[1]: set exactly one of dsn and dsn_file"},
    {"shards = ( { id = \"a\"; dsn = \"x\"; dsn_file = \"/f\"; } );\n", 0,
     "shards.conf:1: shards[0]: set exactly one of dsn and dsn_file"},
    {"shards = ( { id = \"a\"; dsm = \"x\"; } );\n", 0,
     "shards.conf:1: shards[0]: unknown setting 'dsm'"},
    {"shards = ( { id = \"a\"; dsn = \"x\"; },\n { id = \"a\"; dsn = \"y\"; } );\n", 0,
     "shards.conf: duplicate shard id a"},
    {"shards = ( \"t-001\" );\n", 0,
     "shards.conf:1: shards[0]: expected a group { id = \"...\"; dsn = \"...\"; }"},
    {"shard = ();\n", 0, "shards.conf:1: unknown setting 'shard' (expected shards)"},
    {"", 0, "shards.conf: expected a list 'shards = ( {...}, ... )'"},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        struct agent_dsn_table t = {0};
        struct sw_err err = {0};
        int rc = agent_dsn_table_parse(&t, c->text, "shards.conf", &err);
        if (c->error == NULL) {
            if (rc != 0) {
                fail_msg("case %zu: unexpected error %s", i, err.msg);
            }
            assert_int_equal(t.n_shards, c->n_shards);
        } else {
            assert_int_equal(rc, SW_EINVAL);
            assert_string_equal(err.msg, c->error);
        }
        agent_dsn_table_cleanup(&t);
    }
}

/* Writes text into a fresh temp file; returns its heap path. */
static char *write_temp(const char *text)
{
    char path[] = "/tmp/sw_test_dsn_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return strdup(path);
}

static void test_resolve(void **state)
{
    (void)state;
    char *pw = write_temp("pa:ss\nsecond line ignored\n");
    char *dsn_file = write_temp("mysql://m:{password}@db-9/{shard}\n");
    char shards[512];
    snprintf(shards, sizeof shards,
             "shards = ( { id = \"t-001\"; dsn = \"postgres://m:{env:PLAIN}@db-1/tenant1\"; },\n"
             "           { id = \"t-002\"; dsn_file = \"%s\"; },\n"
             "           { id = \"t-003\"; dsn_file = \"/nonexistent/t3.dsn\"; } );\n",
             dsn_file);
    char *shards_file = write_temp(shards);
    struct agent_dsn_table t = {0};
    struct sw_err err = {0};
    char *out = NULL;
    assert_int_equal(
        agent_dsn_table_load(&t, "postgres://m:{password}@db-{shard}/x", pw, shards_file, &err), 0);
    assert_int_equal(agent_dsn_resolve(&t, "t-001", test_getenv, NULL, &out, &err), 0);
    assert_string_equal(out, "postgres://m:hunter2@db-1/tenant1");
    free(out);
    assert_int_equal(agent_dsn_resolve(&t, "t-002", test_getenv, NULL, &out, &err), 0);
    assert_string_equal(out, "mysql://m:pa%3Ass@db-9/t-002");
    free(out);
    assert_int_equal(agent_dsn_resolve(&t, "t-777", test_getenv, NULL, &out, &err), 0);
    assert_string_equal(out, "postgres://m:pa%3Ass@db-t-777/x"); /* the template */
    free(out);
    assert_int_equal(agent_dsn_resolve(&t, "t-003", test_getenv, NULL, &out, &err), SW_ENOTFOUND);
    assert_non_null(strstr(err.msg, "shard t-003 dsn_file /nonexistent/t3.dsn: "));
    assert_null(out);
    assert_int_equal(agent_dsn_resolve(&t, "../etc", test_getenv, NULL, &out, &err), SW_EINVAL);
    assert_string_equal(err.msg,
                        "shard id '../etc': expected 1 to 128 characters of A-Z a-z 0-9 . _ : -");
    agent_dsn_table_cleanup(&t);

    /* without a template, unlisted shards have no DSN */
    assert_int_equal(agent_dsn_table_load(&t, NULL, NULL, shards_file, &err), 0);
    assert_int_equal(agent_dsn_resolve(&t, "t-777", test_getenv, NULL, &out, &err), SW_ENOTFOUND);
    assert_string_equal(err.msg,
                        "shard t-777: no DSN (not in the shards file and no dsn_template)");
    /* t-002's file uses {password}: the table has none now */
    assert_int_equal(agent_dsn_resolve(&t, "t-002", test_getenv, NULL, &out, &err), SW_EINVAL);
    assert_non_null(strstr(err.msg, ": {password} is used but password_file is not set"));
    agent_dsn_table_cleanup(&t);

    assert_int_equal(agent_dsn_table_load(&t, NULL, NULL, NULL, &err), SW_EINVAL);
    assert_string_equal(err.msg, "no shard DSNs: set dsn_template or shards_file");
    unlink(pw);
    unlink(dsn_file);
    unlink(shards_file);
    free(pw);
    free(dsn_file);
    free(shards_file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_table),
        cmocka_unit_test(test_expand_too_long),
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
