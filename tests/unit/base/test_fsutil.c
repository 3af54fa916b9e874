/* Unit tests for proto/base/fsutil.c: bounded reads, atomic replace, exclusive create. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sw/fsutil.h"

struct fixture {
    char dir[4096];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    const char *base = getenv("TMPDIR");
    if (fx == NULL) {
        return -1;
    }
    snprintf(fx->dir, sizeof fx->dir, "%s/sw-fsutil-XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

/* Removes the files the tests create (one level, plus the "sub" directory). */
static int teardown(void **state)
{
    struct fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        char *p = sw_path_join(fx->dir, de->d_name);
        if (de->d_name[0] != '.' && unlink(p) != 0) {
            rmdir(p);
        }
        free(p);
    }
    if (d != NULL) {
        closedir(d);
    }
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static size_t count_entries(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        n += de->d_name[0] != '.';
    }
    if (d != NULL) {
        closedir(d);
    }
    return n;
}

static void test_atomic_write_and_read(void **state)
{
    struct fixture *fx = *state;
    char *path = sw_path_join(fx->dir, "shardwave.sum");
    struct sw_err err = {0};
    assert_int_equal(sw_file_write_atomic(path, "first", 5, &err), 0);
    assert_int_equal(sw_file_write_atomic(path, "second\0x", 8, &err), 0);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(sw_file_read(path, 100, &data, &len, &err), 0);
    assert_int_equal(len, 8);
    assert_memory_equal(data, "second\0x", 9);   /* NUL-terminated too */
    assert_int_equal(count_entries(fx->dir), 1); /* no temp file left */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    free(data);
    free(path);
}

static void test_atomic_write_failure_keeps_nothing(void **state)
{
    struct fixture *fx = *state;
    char *path = sw_path_join(fx->dir, "missing/x.sum");
    struct sw_err err = {0};
    assert_int_equal(sw_file_write_atomic(path, "x", 1, &err), SW_EIO);
    assert_non_null(strstr(err.msg, "cannot create"));
    assert_int_equal(count_entries(fx->dir), 0);
    free(path);
}

static void test_read_limits(void **state)
{
    struct fixture *fx = *state;
    char *path = sw_path_join(fx->dir, "f.sql");
    struct sw_err err = {0};
    assert_int_equal(sw_file_write_atomic(path, "0123456789", 10, &err), 0);
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(sw_file_read(path, 10, &data, &len, &err), 0);
    free(data);
    data = NULL;
    assert_int_equal(sw_file_read(path, 9, &data, &len, &err), SW_ETOOBIG);
    char expected[4200];
    snprintf(expected, sizeof expected, "%s: file is 10 bytes, the limit is 9", path);
    assert_string_equal(err.msg, expected);
    assert_null(data);
    free(path);
}

static void test_read_errors(void **state)
{
    struct fixture *fx = *state;
    char *missing = sw_path_join(fx->dir, "nope");
    char *data = NULL;
    struct sw_err err = {0};
    assert_int_equal(sw_file_read(missing, 10, &data, NULL, &err), SW_ENOTFOUND);
    char expected[4200];
    snprintf(expected, sizeof expected, "%s: cannot open: No such file or directory", missing);
    assert_string_equal(err.msg, expected);
    assert_int_equal(sw_file_read(fx->dir, 10, &data, NULL, &err), SW_EIO);
    snprintf(expected, sizeof expected, "%s: not a regular file", fx->dir);
    assert_string_equal(err.msg, expected);
    assert_null(data);
    char *fifo = sw_path_join(fx->dir, "pipe");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(sw_file_read(fifo, 10, &data, NULL, &err), SW_EIO); /* no hang */
    snprintf(expected, sizeof expected, "%s: not a regular file", fifo);
    assert_string_equal(err.msg, expected);
    free(fifo);
    free(missing);
}

static void test_create_excl(void **state)
{
    struct fixture *fx = *state;
    char *path = sw_path_join(fx->dir, "V1__a.sql");
    struct sw_err err = {0};
    assert_int_equal(sw_file_create_excl(path, "one", 3, &err), 0);
    assert_int_equal(sw_file_create_excl(path, "two", 3, &err), SW_ECONFLICT);
    char *data = NULL;
    assert_int_equal(sw_file_read(path, 10, &data, NULL, &err), 0);
    assert_string_equal(data, "one"); /* not overwritten */
    free(data);
    free(path);
}

static void test_path_join(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"dir", "f", "dir/f"}, {"dir/", "f", "dir/f"},        {"dir///", "f", "dir/f"},
        {"/", "f", "//f"},     {"a/b", "c.sql", "a/b/c.sql"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = sw_path_join(cases[i][0], cases[i][1]);
        assert_string_equal(p, cases[i][2]);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_atomic_write_and_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_failure_keeps_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_excl, setup, teardown),
        cmocka_unit_test(test_path_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
