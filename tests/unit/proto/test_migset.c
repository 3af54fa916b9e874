/* Unit tests for proto/src/migset.c on temporary directories: names, grouping, problems. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/migset.h"
#include "tmpdir.h"

#define MAX_FILES 6

struct file_spec {
    const char *name;
    const char *content;
};

struct bad_case {
    struct file_spec files[MAX_FILES];
    int code;
    const char *error;
    const char *hint; /* NULL: not checked */
};

static const struct bad_case bad_cases[] = {
    {{{"V3x__add.sql", ""}},
     SW_EINVAL,
     "V3x__add.sql: bad file name: version must be digits separated by '.' or '_'",
     "rename it, e.g. V3__add.sql"},
    {{{"V1..2__a.sql", ""}},
     SW_EINVAL,
     "V1..2__a.sql: bad file name: version '1..2': empty part",
     "rename it, e.g. V1.2__a.sql"},
    {{{"V1.2.3.4.5.6.7.8.9__a.sql", ""}},
     SW_EINVAL,
     "V1.2.3.4.5.6.7.8.9__a.sql: bad file name: version '1.2.3.4.5.6.7.8.9': more than 8 parts",
     "rename it, e.g. V1.2.3.4.5.6.7.8__a.sql"},
    {{{"V18446744073709551616__a.sql", ""}},
     SW_EINVAL,
     "V18446744073709551616__a.sql: bad file name: version '18446744073709551616': part "
     "'18446744073709551616' is larger than 18446744073709551615",
     NULL},
    {{{"v1__a.sql", ""}},
     SW_EINVAL,
     "v1__a.sql: bad file name: expected V<version>__<description>.sql (up) or "
     "U<version>__<description>.sql (down)",
     "rename it, e.g. V1__a.sql"},
    {{{"add_users.sql", ""}},
     SW_EINVAL,
     "add_users.sql: bad file name: expected V<version>__<description>.sql (up) or "
     "U<version>__<description>.sql (down)",
     "rename it, e.g. V1__add_users.sql"},
    {{{"V1_add.sql", ""}},
     SW_EINVAL,
     "V1_add.sql: bad file name: expected '__' between the version and the description",
     "rename it, e.g. V1__add.sql"},
    {{{"V__add.sql", ""}},
     SW_EINVAL,
     "V__add.sql: bad file name: missing version",
     "rename it, e.g. V1__add.sql"},
    {{{"V0__init.sql", ""}},
     SW_EINVAL,
     "V0__init.sql: bad file name: version 0 is reserved (it means nothing applied)",
     "rename it, e.g. V1__init.sql"},
    {{{"V1__.sql", ""}},
     SW_EINVAL,
     "V1__.sql: bad file name: description is empty",
     "rename it, e.g. V1__description.sql"},
    {{{"V1__add.col.pg.sql", ""}},
     SW_EINVAL,
     "V1__add.col.pg.sql: bad file name: description must not contain '.' (it would be read as "
     "an engine)",
     "rename it, e.g. V1__add_col.pg.sql"},
    {{{"V1__add$col.sql", ""}},
     SW_EINVAL,
     "V1__add$col.sql: bad file name: description may contain only letters, digits, '_', ' ' "
     "and '-', not '$'",
     "rename it, e.g. V1__add_col.sql"},
    {{{"V1__caf\xc3\xa9.sql", ""}},
     SW_EINVAL,
     "V1__caf\xc3\xa9.sql: bad file name: description may contain only letters, digits, '_', ' "
     "' and '-', not byte 0xc3",
     "rename it, e.g. V1__caf__.sql"},
    {{{"V1__x.SQL", ""}},
     SW_EINVAL,
     "V1__x.SQL: bad file name: the extension must be '.sql' (lowercase)",
     "rename it, e.g. V1__x.sql"},
    {{{"V5__x.oracle.sql", ""}},
     SW_EINVAL,
     "V5__x.oracle.sql: unknown engine 'oracle' (expected pg, mysql or sqlite)",
     "name an engine variant like V5__x.pg.sql; a description cannot contain '.' "
     "(V5__x_oracle.sql)"},
    {{{"V3__a.sql", ""}, {"V3__b.sql", ""}},
     SW_EINVAL,
     "V3__a.sql and V3__b.sql: duplicate version 3",
     "every migration needs its own version: renumber one of them (`shardwave new` picks the "
     "next free version)"},
    {{{"V3__a.sql", ""}, {"V3.0__a.sql", ""}},
     SW_EINVAL,
     "V3.0__a.sql and V3__a.sql: duplicate version 3",
     NULL},
    {{{"V3__a.sql", ""}, {"V3__b.pg.sql", ""}},
     SW_EINVAL,
     "V3__a.sql and V3__b.pg.sql: duplicate version 3",
     NULL},
    {{{"V3__a.pg.sql", ""}, {"V03__a.pg.sql", ""}},
     SW_EINVAL,
     "V03__a.pg.sql and V3__a.pg.sql: duplicate version 3",
     NULL},
    {{{"U3__a.sql", ""}, {"U3__b.sql", ""}, {"V3__a.sql", ""}},
     SW_EINVAL,
     "U3__a.sql and U3__b.sql: duplicate version 3",
     NULL},
    {{{"V3__a.sql", ""}, {"U3__b.sql", ""}},
     SW_EINVAL,
     "V3__a.sql and U3__b.sql: description 'b' differs from 'a' (the V, U and variant files of a "
     "version share its version and description)",
     "rename it to U3__a.sql"},
    {{{"V3__a.sql", ""}, {"U3.0__a.mysql.sql", ""}},
     SW_EINVAL,
     "V3__a.sql and U3.0__a.mysql.sql: version '3.0' differs from '3' (the V, U and variant "
     "files of a version share its version and description)",
     "rename it to U3__a.mysql.sql"},
    {{{"V1__x.sql", ""}, {"U4__drop.sql", ""}},
     SW_EINVAL,
     "U4__drop.sql: down migration without an up migration V4__*.sql",
     "add V4__drop.sql, or remove U4__drop.sql"},
    {{{"U5__x.pg.sql", ""}},
     SW_EINVAL,
     "U5__x.pg.sql: down migration without an up migration V5__*.sql",
     NULL},
    {{{"V2__x.sql", "-- a\n\n-- shardwave: foo\nSELECT 1;\n"}},
     SW_EINVAL,
     "V2__x.sql:3: unknown directive 'foo'",
     NULL},
    {{{"V2__x.sql", "-- shardwave: destructive-ok\r\nDROP TABLE t;\r\n"}},
     SW_EINVAL,
     "V2__x.sql:1: destructive-ok needs a reason",
     NULL},
    {{{"V2__x.sql", "SELECT 1;\n-- shardwave: no-transaction\n"}},
     SW_EINVAL,
     "V2__x.sql:2: directives must come before the first statement",
     NULL},
};

static void write_specs(const char *dir, const struct file_spec *files)
{
    for (size_t i = 0; i < MAX_FILES && files[i].name != NULL; i++) {
        tmpdir_write(dir, files[i].name, files[i].content);
    }
}

static void test_bad_inputs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        char *dir = tmpdir_new();
        write_specs(dir, c->files);
        struct migset *set = (struct migset *)&set; /* must be reset to NULL */
        struct sw_err err = {0};
        int rc = migset_load(dir, NULL, &set, &err);
        if (rc != c->code || strcmp(err.msg, c->error) != 0) {
            fail_msg("case %zu: expected %d '%s', got %d '%s'", i, c->code, c->error, rc, err.msg);
        }
        assert_null(set);
        if (c->hint != NULL) {
            assert_string_equal(err.hint, c->hint);
        }
        tmpdir_remove(dir);
    }
}

static void test_description_too_long(void **state)
{
    (void)state;
    char name[300];
    char expected[600];
    memset(name, 'd', sizeof name);
    name[0] = 'V';
    name[1] = '1';
    name[2] = '_';
    name[3] = '_';
    memcpy(name + 4 + MIGSET_DESCRIPTION_MAX + 1, ".sql", 5); /* 201 characters */
    snprintf(expected, sizeof expected,
             "%s: bad file name: description is 201 characters, the limit is 200", name);
    char *dir = tmpdir_new();
    tmpdir_write(dir, name, "");
    struct migset *set = NULL;
    struct sw_err err = {0};
    assert_int_equal(migset_load(dir, NULL, &set, &err), SW_EINVAL);
    assert_string_equal(err.msg, expected);

    tmpdir_remove(dir);
    dir = tmpdir_new();
    memcpy(name + 4 + MIGSET_DESCRIPTION_MAX, ".sql", 5); /* exactly 200: fine */
    tmpdir_write(dir, name, "");
    assert_int_equal(migset_load(dir, NULL, &set, &err), 0);
    assert_int_equal(migset_count(set), 1);
    migset_free(set);
    tmpdir_remove(dir);
}

static void test_file_too_big(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    tmpdir_write(dir, "V1__big.sql", "");
    char *path = tmpdir_path(dir, "V1__big.sql");
    assert_int_equal(truncate(path, (off_t)MIGSET_MAX_FILE_BYTES + 1), 0);
    struct migset *set = NULL;
    struct sw_err err = {0};
    assert_int_equal(migset_load(dir, NULL, &set, &err), SW_ETOOBIG);
    assert_string_equal(err.msg,
                        "V1__big.sql: file is 16777217 bytes, the limit is 16777216 bytes");
    assert_null(set);
    free(path);
    tmpdir_remove(dir);
}

static void test_special_files(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *fifo = tmpdir_path(dir, "V1__pipe.sql");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    char *other = tmpdir_path(dir, "notes.fifo");
    assert_int_equal(mkfifo(other, 0644), 0); /* not .sql: ignored */
    struct migset *set = NULL;
    struct sw_err err = {0};
    assert_int_equal(migset_load(dir, NULL, &set, &err), SW_EINVAL);
    assert_string_equal(err.msg, "V1__pipe.sql: not a regular file");
    unlink(fifo);
    char *link = tmpdir_path(dir, "V2__gone.sql");
    assert_int_equal(symlink("/nonexistent/sw-unit-target", link), 0);
    assert_int_equal(migset_load(dir, NULL, &set, &err), SW_EIO);
    assert_string_equal(err.msg, "V2__gone.sql: cannot stat: No such file or directory");
    free(link);
    free(other);
    free(fifo);
    tmpdir_remove(dir);
}

static void test_missing_dir(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *missing = tmpdir_path(dir, "nope");
    struct migset *set = NULL;
    struct sw_err err = {0};
    assert_int_equal(migset_load(missing, NULL, &set, &err), SW_ENOTFOUND);
    char expected[4200];
    snprintf(expected, sizeof expected,
             "%s: cannot open migration directory: No such file or directory", missing);
    assert_string_equal(err.msg, expected);
    free(missing);
    tmpdir_remove(dir);
}

/* A realistic good set: portable files, variants, a variant-only step, down files,
 * ignored files and a subdirectory. */
static char *make_good_set(void)
{
    char *dir = tmpdir_new();
    tmpdir_write(dir, "V1__create_users.sql", "CREATE TABLE users (id int);\r\n");
    tmpdir_write(dir, "U1__create_users.sql", "DROP TABLE users;\n");
    tmpdir_write(dir, "V1.1__add_status.sql", "ALTER TABLE users ADD status text;\n");
    tmpdir_write(dir, "V1.1__add_status.pg.sql",
                 "-- shardwave: lock-timeout 300\nALTER TABLE users ADD status text;\n");
    tmpdir_write(dir, "V1.1__add_status.mysql.sql", "ALTER TABLE users ADD status TEXT;\n");
    tmpdir_write(dir, "U1.1__add_status.pg.sql", "ALTER TABLE users DROP status;\n");
    tmpdir_write(dir, "V2__index_status.pg.sql",
                 "-- shardwave: no-transaction\nCREATE INDEX CONCURRENTLY i ON users (status);\n");
    tmpdir_write(dir, "V2_5__mid-step.sql", "");
    tmpdir_write(dir, "V10__later one.sql", "-- comment only\n");
    tmpdir_write(dir, "README.md", "# migrations\n");
    tmpdir_write(dir, ".V99__hidden.sql", "garbage");
    tmpdir_mkdir(dir, "archive");
    tmpdir_write(dir, "archive/V1__old.sql", "garbage");
    tmpdir_write(dir, "archive/bad name.sql", "garbage");
    return dir;
}

static const struct migset_step *step_by_text(const struct migset *set, const char *text)
{
    struct version v;
    assert_int_equal(version_parse_str(text, &v, NULL), 0);
    return migset_find(set, &v);
}

static void test_good_set_steps(void **state)
{
    (void)state;
    char *dir = make_good_set();
    struct migset *set = NULL;
    struct sw_err err = {0};
    if (migset_load(dir, NULL, &set, &err) != 0) {
        fail_msg("unexpected error: %s", err.msg);
    }
    static const char *const versions[] = {"1", "1.1", "2", "2.5", "10"};
    static const char *const descs[] = {"create users", "add status", "index status", "mid-step",
                                        "later one"};
    assert_int_equal(migset_count(set), 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(migset_step_at(set, i)->version_text, versions[i]);
        assert_string_equal(migset_step_at(set, i)->description, descs[i]);
    }
    assert_null(migset_step_at(set, 5));
    char buf[VERSION_TEXT_MAX];
    struct version latest = migset_latest(set);
    assert_string_equal(version_format(&latest, buf, sizeof buf), "10");
    assert_string_equal(migset_dir_path(set), dir);
    assert_false(migset_has_manifest(set));
    assert_null(step_by_text(set, "3"));
    assert_ptr_equal(step_by_text(set, "1.1.0"), migset_step_at(set, 1));
    migset_free(set);
    tmpdir_remove(dir);
}

static void test_good_set_files(void **state)
{
    (void)state;
    char *dir = make_good_set();
    struct migset *set = NULL;
    assert_int_equal(migset_load(dir, NULL, &set, NULL), 0);
    const struct migset_step *s11 = step_by_text(set, "1.1");
    assert_string_equal(migset_step_file(s11, MIGSET_UP, MIGSET_ENGINE_PG)->name,
                        "V1.1__add_status.pg.sql");
    assert_string_equal(migset_step_file(s11, MIGSET_UP, MIGSET_ENGINE_MYSQL)->name,
                        "V1.1__add_status.mysql.sql");
    assert_string_equal(migset_step_file(s11, MIGSET_UP, MIGSET_ENGINE_SQLITE)->name,
                        "V1.1__add_status.sql");
    assert_string_equal(migset_step_file(s11, MIGSET_DOWN, MIGSET_ENGINE_PG)->name,
                        "U1.1__add_status.pg.sql");
    assert_null(migset_step_file(s11, MIGSET_DOWN, MIGSET_ENGINE_MYSQL));
    const struct migset_file *pg = migset_step_file(s11, MIGSET_UP, MIGSET_ENGINE_PG);
    assert_true(pg->is_variant);
    assert_int_equal(pg->engine, MIGSET_ENGINE_PG);
    assert_int_equal(pg->dir, MIGSET_UP);
    assert_int_equal(pg->directives.lock_timeout_ms, 300);

    const struct migset_step *s2 = step_by_text(set, "2");
    assert_null(s2->up_portable);
    assert_null(migset_step_file(s2, MIGSET_UP, MIGSET_ENGINE_MYSQL));
    assert_true(migset_step_file(s2, MIGSET_UP, MIGSET_ENGINE_PG)->directives.no_transaction);

    const struct migset_step *s1 = step_by_text(set, "1");
    const struct migset_file *up = s1->up_portable;
    assert_false(up->is_variant);
    assert_string_equal(up->sql, "CREATE TABLE users (id int);\n"); /* CRLF folded */
    assert_int_equal(up->sql_len, strlen(up->sql));
    char lf_sum[CHECKSUM_HEX_LEN + 1];
    assert_int_equal(checksum_sha256_hex_raw(up->sql, up->sql_len, lf_sum, NULL), 0);
    assert_string_equal(up->checksum, lf_sum);
    assert_string_equal(s1->down_portable->name, "U1__create_users.sql");
    assert_int_equal(s1->down_portable->dir, MIGSET_DOWN);
    assert_int_equal(step_by_text(set, "2.5")->up_portable->sql_len, 0);
    migset_free(set);
    tmpdir_remove(dir);
}

static void test_digest_stable(void **state)
{
    (void)state;
    char *a = make_good_set();
    char *b = make_good_set();
    struct migset *sa = NULL;
    struct migset *sb = NULL;
    assert_int_equal(migset_load(a, NULL, &sa, NULL), 0);
    assert_int_equal(migset_load(b, NULL, &sb, NULL), 0);
    assert_int_equal(strlen(migset_digest(sa)), CHECKSUM_HEX_LEN);
    assert_string_equal(migset_digest(sa), migset_digest(sb));
    migset_free(sb);
    tmpdir_write(b, "V10__later one.sql", "-- changed\n");
    assert_int_equal(migset_load(b, NULL, &sb, NULL), 0);
    assert_string_not_equal(migset_digest(sa), migset_digest(sb));
    migset_free(sa);
    migset_free(sb);
    tmpdir_remove(a);
    tmpdir_remove(b);
}

static void test_empty_dir(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    struct migset *set = NULL;
    assert_int_equal(migset_load(dir, NULL, &set, NULL), 0);
    assert_int_equal(migset_count(set), 0);
    struct version latest = migset_latest(set);
    assert_true(version_is_zero(&latest));
    assert_int_equal(strlen(migset_digest(set)), CHECKSUM_HEX_LEN);
    migset_free(set);
    tmpdir_remove(dir);
}

struct problems {
    size_t n;
    char msgs[8][SW_ERR_MSG_MAX];
};

static void collect(void *ctx, const struct sw_err *problem)
{
    struct problems *p = ctx;
    if (p->n < 8) {
        snprintf(p->msgs[p->n], sizeof p->msgs[p->n], "%s", problem->msg);
    }
    p->n++;
}

static void test_all_problems_reported(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    tmpdir_write(dir, "V1__ok.sql", "");
    tmpdir_write(dir, "V2x__bad.sql", "");
    tmpdir_write(dir, "V3__a.sql", "");
    tmpdir_write(dir, "V3__b.sql", "");
    tmpdir_write(dir, "U4__orphan.sql", "");
    tmpdir_write(dir, "V5__d.sql", "-- shardwave: bogus\n");
    struct problems p = {0};
    struct migset_load_opts opts = {.on_problem = collect, .ctx = &p};
    struct migset *set = NULL;
    struct sw_err err = {0};
    assert_int_equal(migset_load(dir, &opts, &set, &err), SW_EINVAL);
    assert_null(set);
    assert_int_equal(p.n, 4);
    assert_string_equal(p.msgs[0], "V2x__bad.sql: bad file name: version must be digits "
                                   "separated by '.' or '_'");
    assert_string_equal(p.msgs[1], "V5__d.sql:1: unknown directive 'bogus'");
    assert_string_equal(p.msgs[2], "V3__a.sql and V3__b.sql: duplicate version 3");
    assert_string_equal(p.msgs[3],
                        "U4__orphan.sql: down migration without an up migration V4__*.sql");
    assert_string_equal(err.msg, p.msgs[0]);
    tmpdir_remove(dir);
}

static void test_engine_names(void **state)
{
    (void)state;
    enum migset_engine e;
    for (int i = 0; i < MIGSET_ENGINE_COUNT; i++) {
        const char *name = migset_engine_name((enum migset_engine)i);
        assert_int_equal(migset_engine_parse(name, strlen(name), &e), 0);
        assert_int_equal(e, i);
    }
    assert_string_equal(migset_engine_name(MIGSET_ENGINE_PG), "pg");
    assert_string_equal(migset_engine_name(MIGSET_ENGINE_MYSQL), "mysql");
    assert_string_equal(migset_engine_name(MIGSET_ENGINE_SQLITE), "sqlite");
    assert_int_equal(migset_engine_parse("oracle", 6, &e), -1);
    assert_int_equal(migset_engine_parse("pgx", 2, &e), 0); /* length-bounded */
    assert_int_equal(migset_engine_parse("pg", 1, &e), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_inputs),     cmocka_unit_test(test_description_too_long),
        cmocka_unit_test(test_file_too_big),   cmocka_unit_test(test_special_files),
        cmocka_unit_test(test_missing_dir),    cmocka_unit_test(test_good_set_steps),
        cmocka_unit_test(test_good_set_files), cmocka_unit_test(test_digest_stable),
        cmocka_unit_test(test_empty_dir),      cmocka_unit_test(test_all_problems_reported),
        cmocka_unit_test(test_engine_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
