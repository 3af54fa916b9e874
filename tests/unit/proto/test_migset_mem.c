/* Unit tests for migset_load_files: in-memory sets validate exactly like directories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/fsutil.h"
#include "sw/manifest.h"
#include "sw/migset.h"
#include "tmpdir.h"

#define MEM(n, c)                                                                                  \
    {                                                                                              \
        (n), (c), sizeof(c) - 1                                                                    \
    }

static const struct migset_mem_file good_files[] = {
    MEM("V1__create_users.sql", "CREATE TABLE users (id int);\r\n"),
    MEM("U1__create_users.sql", "DROP TABLE users;\n"),
    MEM("V1.1__add_status.sql", "ALTER TABLE users ADD status text;\n"),
    MEM("V1.1__add_status.pg.sql",
        "-- shardwave: lock-timeout 300\nALTER TABLE users ADD s text;\n"),
    MEM("V2__index_status.pg.sql", "-- shardwave: no-transaction\nCREATE INDEX i ON users (s);\n"),
    MEM("V10__later one.sql", "-- comment only\n"),
    MEM("README.md", "# migrations\n"),
};
#define N_GOOD (sizeof good_files / sizeof good_files[0])

static char *write_dir(const struct migset_mem_file *files, size_t n)
{
    char *dir = tmpdir_new();
    for (size_t i = 0; i < n; i++) {
        tmpdir_write_n(dir, files[i].name, files[i].content, files[i].len);
    }
    return dir;
}

static void test_same_as_directory(void **state)
{
    (void)state;
    char *dir = write_dir(good_files, N_GOOD);
    struct migset *from_dir = NULL;
    struct migset *from_mem = NULL;
    struct sw_err err = {0};
    assert_int_equal(migset_load(dir, NULL, &from_dir, &err), 0);
    if (migset_load_files(good_files, N_GOOD, NULL, &from_mem, &err) != 0) {
        fail_msg("unexpected error: %s", err.msg);
    }
    assert_string_equal(migset_digest(from_mem), migset_digest(from_dir));
    assert_int_equal(migset_count(from_mem), 4);
    assert_string_equal(migset_dir_path(from_mem), "(memory)");
    const struct migset_step *s1 = migset_step_at(from_mem, 0);
    assert_string_equal(s1->up_portable->sql, "CREATE TABLE users (id int);\n");
    assert_string_equal(s1->up_portable->checksum,
                        migset_step_at(from_dir, 0)->up_portable->checksum);
    assert_true(
        migset_step_at(from_mem, 2)->up_variant[MIGSET_ENGINE_PG]->directives.no_transaction);
    assert_false(migset_has_manifest(from_mem));
    migset_free(from_dir);
    migset_free(from_mem);
    tmpdir_remove(dir);
}

/* The directory's shardwave.sum, passed in memory, is checked like on disk. */
static void test_manifest(void **state)
{
    (void)state;
    char *dir = write_dir(good_files, N_GOOD);
    struct sw_err err = {0};
    assert_int_equal(manifest_write_for_dir(dir, &err), 0);
    char *path = tmpdir_path(dir, MANIFEST_FILE_NAME);
    char *sum = NULL;
    size_t sum_len = 0;
    assert_int_equal(sw_file_read(path, MANIFEST_MAX_BYTES, &sum, &sum_len, &err), 0);
    struct migset_mem_file files[N_GOOD + 1];
    memcpy(files, good_files, sizeof good_files);
    files[N_GOOD] = (struct migset_mem_file){MANIFEST_FILE_NAME, sum, sum_len};
    struct migset *set = NULL;
    struct migset_load_opts opts = {.origin = "upload"};
    assert_int_equal(migset_load_files(files, N_GOOD + 1, &opts, &set, &err), 0);
    assert_true(migset_has_manifest(set));
    assert_string_equal(migset_dir_path(set), "upload");
    migset_free(set);

    files[5] = (struct migset_mem_file)MEM("V10__later one.sql", "-- edited\n");
    assert_int_equal(migset_load_files(files, N_GOOD + 1, &opts, &set, &err), SW_ECHECKSUM);
    assert_null(set);
    assert_string_equal(err.msg, "V10__later one.sql: differs from shardwave.sum: never modify a "
                                 "committed migration");
    free(sum);
    free(path);
    tmpdir_remove(dir);
}

struct bad_case {
    struct migset_mem_file files[3];
    size_t n;
    int code;
    const char *error;
};

static const struct bad_case bad_cases[] = {
    {{MEM("V1__a.sql", ""), MEM("V1__a.sql", "x")}, 2, SW_EINVAL, "V1__a.sql: listed twice"},
    {{MEM("a/V1__x.sql", "")}, 1, SW_EINVAL, "a/V1__x.sql: not a plain file name"},
    {{MEM(".V1__x.sql", "")}, 1, SW_EINVAL, ".V1__x.sql: not a plain file name"},
    {{MEM("", "")}, 1, SW_EINVAL, ": not a plain file name"},
    {{MEM("V3x__add.sql", "")},
     1,
     SW_EINVAL,
     "V3x__add.sql: bad file name: version must be digits separated by '.' or '_'"},
    {{MEM("V1__a.sql", ""), MEM("V1__b.sql", "")},
     2,
     SW_EINVAL,
     "V1__a.sql and V1__b.sql: duplicate version 1"},
    {{MEM("U4__drop.sql", "")},
     1,
     SW_EINVAL,
     "U4__drop.sql: down migration without an up migration V4__*.sql"},
    {{MEM("V2__x.sql", "-- shardwave: foo\n")},
     1,
     SW_EINVAL,
     "V2__x.sql:1: unknown directive 'foo'"},
    {{MEM("V1__a.sql", ""), MEM("shardwave.sum", "garbage\n")}, 2, SW_EINVAL, NULL},
};

static void test_bad_sets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct migset *set = NULL;
        struct sw_err err = {0};
        int rc = migset_load_files(c->files, c->n, NULL, &set, &err);
        if (rc != c->code || (c->error != NULL && strcmp(err.msg, c->error) != 0)) {
            fail_msg("case %zu: got %d '%s', want %d '%s'", i, rc, err.msg, c->code,
                     c->error ? c->error : "(any)");
        }
        assert_null(set);
    }
}

static void test_too_big(void **state)
{
    (void)state;
    struct migset_mem_file f = {"V1__big.sql", "", MIGSET_MAX_FILE_BYTES + 1ull};
    struct migset *set = NULL;
    struct sw_err err = {0};
    f.content = calloc(1, f.len); /* never read beyond the size check */
    assert_non_null(f.content);
    assert_int_equal(migset_load_files(&f, 1, NULL, &set, &err), SW_ETOOBIG);
    assert_string_equal(err.msg,
                        "V1__big.sql: file is 16777217 bytes, the limit is 16777216 bytes");
    free((void *)f.content);
}

static void test_empty(void **state)
{
    (void)state;
    struct migset *set = NULL;
    assert_int_equal(migset_load_files(NULL, 0, NULL, &set, NULL), 0);
    assert_int_equal(migset_count(set), 0);
    migset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_directory),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_bad_sets),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
