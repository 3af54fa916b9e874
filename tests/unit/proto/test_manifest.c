/* Unit tests for proto/src/manifest.c and the shardwave.sum checks in migset_load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/fsutil.h"
#include "sw/manifest.h"
#include "sw/migset.h"
#include "tmpdir.h"

#define SUM_A "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define SUM_B "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
#define HEADER                                                                                     \
    "# shardwave.sum v1: SHA-256 of each migration (CRLF folded). Written by shardwave; do "       \
    "not edit.\n"

static void test_parse_ok(void **state)
{
    (void)state;
    const char *text = HEADER "\n" SUM_B "  V2__b.sql\r\n"
                              "# a comment\n" SUM_A "\tV1__a b.sql  \n";
    struct manifest m = {0};
    struct sw_err err = {0};
    assert_int_equal(manifest_parse(text, strlen(text), &m, &err), 0);
    assert_int_equal(m.n_entries, 2);
    const struct manifest_entry *e = manifest_find(&m, "V1__a b.sql");
    assert_non_null(e);
    assert_string_equal(e->checksum, SUM_A);
    e = manifest_find(&m, "V2__b.sql");
    assert_non_null(e);
    assert_string_equal(e->checksum, SUM_B);
    assert_null(manifest_find(&m, "V3__c.sql"));
    manifest_cleanup(&m);
    manifest_cleanup(&m); /* idempotent */
}

struct parse_err_case {
    const char *text;
    const char *error;
};

static const struct parse_err_case parse_err_cases[] = {
    {HEADER "garbage\n", "shardwave.sum:2: expected '<sha256>  <file>'"},
    {SUM_A "\n", "shardwave.sum:1: expected '<sha256>  <file>'"},
    {SUM_A "V1__a.sql\n", "shardwave.sum:1: expected '<sha256>  <file>'"},
    {"CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB  V1__a.sql\n",
     "shardwave.sum:1: expected '<sha256>  <file>'"},
    {"ca97  V1__a.sql\n", "shardwave.sum:1: expected '<sha256>  <file>'"},
    {SUM_A "  sub/V1__a.sql\n", "shardwave.sum:1: expected '<sha256>  <file>'"},
    {SUM_A "  V1__a.sql\n\n" SUM_B "  V1__a.sql\n",
     "shardwave.sum:3: duplicate entry for V1__a.sql"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_err_cases / sizeof parse_err_cases[0]; i++) {
        struct manifest m = {0};
        struct sw_err err = {0};
        const char *text = parse_err_cases[i].text;
        int rc = manifest_parse(text, strlen(text), &m, &err);
        if (rc != SW_EINVAL) {
            fail_msg("case %zu: expected an error, got %d", i, rc);
        }
        assert_string_equal(err.msg, parse_err_cases[i].error);
        assert_int_equal(m.n_entries, 0);
        manifest_cleanup(&m);
    }
}

static char *make_set(void)
{
    char *dir = tmpdir_new();
    tmpdir_write(dir, "V1__a.sql", "a");
    tmpdir_write(dir, "U1__a.sql", "b");
    tmpdir_write(dir, "V1__a.sqlite.sql", "a");
    tmpdir_write(dir, "V1__a.mysql.sql", "a");
    tmpdir_write(dir, "V1__a.pg.sql", "a");
    tmpdir_write(dir, "V2__b.pg.sql", "b");
    tmpdir_write(dir, "U2__b.pg.sql", "a");
    tmpdir_write(dir, "U2__b.sql", "b");
    return dir;
}

static void test_render_order(void **state)
{
    (void)state;
    char *dir = make_set();
    struct migset *set = NULL;
    char *text = NULL;
    assert_int_equal(migset_load(dir, NULL, &set, NULL), 0);
    assert_int_equal(manifest_render(set, &text, NULL), 0);
    assert_string_equal(text, HEADER SUM_A "  V1__a.sql\n" SUM_A "  V1__a.mysql.sql\n" SUM_A
                                           "  V1__a.pg.sql\n" SUM_A "  V1__a.sqlite.sql\n" SUM_B
                                           "  U1__a.sql\n" SUM_B "  V2__b.pg.sql\n" SUM_B
                                           "  U2__b.sql\n" SUM_A "  U2__b.pg.sql\n");
    char digest[CHECKSUM_HEX_LEN + 1];
    assert_int_equal(checksum_sha256_hex_raw(text, strlen(text), digest, NULL), 0);
    assert_string_equal(migset_digest(set), digest);

    /* Round trip: the rendered text parses back to the files' checksums. */
    struct manifest m = {0};
    assert_int_equal(manifest_parse(text, strlen(text), &m, NULL), 0);
    assert_int_equal(m.n_entries, 8);
    assert_string_equal(manifest_find(&m, "U2__b.pg.sql")->checksum, SUM_A);
    assert_string_equal(manifest_find(&m, "V2__b.pg.sql")->checksum, SUM_B);
    manifest_cleanup(&m);
    free(text);
    migset_free(set);
    tmpdir_remove(dir);
}

static char *read_sum(const char *dir)
{
    char *path = tmpdir_path(dir, MANIFEST_FILE_NAME);
    char *text = NULL;
    assert_int_equal(sw_file_read(path, MANIFEST_MAX_BYTES, &text, NULL, NULL), 0);
    free(path);
    return text;
}

static void test_write_then_load(void **state)
{
    (void)state;
    char *dir = make_set();
    struct sw_err err = {0};
    assert_int_equal(manifest_write_for_dir(dir, &err), 0);
    char *text = read_sum(dir);
    assert_non_null(strstr(text, SUM_B "  U2__b.sql\n"));
    struct migset *set = NULL;
    assert_int_equal(migset_load(dir, NULL, &set, &err), 0);
    assert_true(migset_has_manifest(set));
    migset_free(set);

    /* A checkout with CRLF line endings still matches. */
    tmpdir_write(dir, "V3__c.sql", "SELECT 1;\n");
    assert_int_equal(manifest_write_for_dir(dir, &err), 0);
    tmpdir_write(dir, "V3__c.sql", "SELECT 1;\r\n");
    assert_int_equal(migset_load(dir, NULL, &set, &err), 0);
    migset_free(set);
    free(text);
    tmpdir_remove(dir);
}

struct mismatch_case {
    const char *action; /* "modify", "add", "remove" */
    int code;
    const char *error;
    const char *hint_prefix; /* the hint is this, the directory, then "`" */
};

static const struct mismatch_case mismatch_cases[] = {
    {"modify", SW_ECHECKSUM,
     "V2__b.pg.sql: differs from shardwave.sum: never modify a committed migration",
     "create a new migration instead; if this file was never applied anywhere, run `shardwave "
     "sum "},
    {"add", SW_EINVAL, "V3__c.sql: not listed in shardwave.sum",
     "`shardwave new` writes it; after adding a file by hand run `shardwave sum "},
    {"remove", SW_EINVAL, "U2__b.sql: listed in shardwave.sum but the file is missing",
     "restore it from version control; if it was removed on purpose (never applied anywhere), "
     "run `shardwave sum "},
};

static void apply_action(const char *dir, const char *action)
{
    if (strcmp(action, "modify") == 0) {
        tmpdir_write(dir, "V2__b.pg.sql", "b -- edited");
    } else if (strcmp(action, "add") == 0) {
        tmpdir_write(dir, "V3__c.sql", "");
    } else {
        tmpdir_unlink(dir, "U2__b.sql");
    }
}

static void test_mismatches(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof mismatch_cases / sizeof mismatch_cases[0]; i++) {
        const struct mismatch_case *c = &mismatch_cases[i];
        char *dir = make_set();
        assert_int_equal(manifest_write_for_dir(dir, NULL), 0);
        apply_action(dir, c->action);
        struct migset *set = NULL;
        struct sw_err err = {0};
        int rc = migset_load(dir, NULL, &set, &err);
        if (rc != c->code) {
            fail_msg("case %s: expected %d, got %d '%s'", c->action, c->code, rc, err.msg);
        }
        assert_null(set);
        assert_string_equal(err.msg, c->error);
        char hint[SW_ERR_HINT_MAX];
        snprintf(hint, sizeof hint, "%s%s`", c->hint_prefix, dir);
        assert_string_equal(err.hint, hint);

        struct migset_load_opts skip = {.skip_manifest = true};
        assert_int_equal(migset_load(dir, &skip, &set, NULL), 0);
        assert_false(migset_has_manifest(set));
        migset_free(set);
        tmpdir_remove(dir);
    }
}

static void test_bad_manifest_file(void **state)
{
    (void)state;
    char *dir = make_set();
    tmpdir_write(dir, MANIFEST_FILE_NAME, HEADER "not a line\n");
    struct migset *set = NULL;
    struct sw_err err = {0};
    assert_int_equal(migset_load(dir, NULL, &set, &err), SW_EINVAL);
    assert_string_equal(err.msg, "shardwave.sum:2: expected '<sha256>  <file>'");
    assert_int_equal(manifest_write_for_dir(dir, &err), 0); /* rewriting repairs it */
    assert_int_equal(migset_load(dir, NULL, &set, &err), 0);
    migset_free(set);
    tmpdir_remove(dir);
}

static void test_write_refuses_bad_set(void **state)
{
    (void)state;
    char *dir = make_set();
    tmpdir_write(dir, "V2__other.sql", "");
    struct sw_err err = {0};
    assert_int_equal(manifest_write_for_dir(dir, &err), SW_EINVAL);
    assert_string_equal(err.msg, "V2__b.pg.sql and V2__other.sql: duplicate version 2");
    char *path = tmpdir_path(dir, MANIFEST_FILE_NAME);
    assert_int_equal(access(path, F_OK), -1);
    free(path);
    tmpdir_remove(dir);
}

struct problems {
    size_t n;
    int codes[8];
    char msgs[8][SW_ERR_MSG_MAX];
};

static void collect(void *ctx, const struct sw_err *problem)
{
    struct problems *p = ctx;
    if (p->n < 8) {
        p->codes[p->n] = problem->code;
        snprintf(p->msgs[p->n], sizeof p->msgs[p->n], "%s", problem->msg);
    }
    p->n++;
}

static void test_all_mismatches_reported(void **state)
{
    (void)state;
    char *dir = make_set();
    assert_int_equal(manifest_write_for_dir(dir, NULL), 0);
    apply_action(dir, "modify");
    apply_action(dir, "add");
    apply_action(dir, "remove");
    struct problems p = {0};
    struct migset_load_opts opts = {.on_problem = collect, .ctx = &p};
    struct migset *set = NULL;
    struct sw_err err = {0};
    assert_int_equal(migset_load(dir, &opts, &set, &err), SW_ECHECKSUM);
    assert_null(set);
    assert_int_equal(p.n, 3);
    assert_int_equal(p.codes[0], SW_ECHECKSUM);
    assert_string_equal(p.msgs[0],
                        "V2__b.pg.sql: differs from shardwave.sum: never modify a committed "
                        "migration");
    assert_int_equal(p.codes[1], SW_EINVAL);
    assert_string_equal(p.msgs[1], "V3__c.sql: not listed in shardwave.sum");
    assert_int_equal(p.codes[2], SW_EINVAL);
    assert_string_equal(p.msgs[2], "U2__b.sql: listed in shardwave.sum but the file is missing");
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_render_order),
        cmocka_unit_test(test_write_then_load),
        cmocka_unit_test(test_mismatches),
        cmocka_unit_test(test_bad_manifest_file),
        cmocka_unit_test(test_write_refuses_bad_set),
        cmocka_unit_test(test_all_mismatches_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
