/* Unit tests for the coordinator's store selection in coordinator/config/coord_config.c:
 * store_path takes a SQLite file path or a postgres:// URL, never one carrying a password
 * (store_path is printed and logged; libpq reads the password from a pgpass file or
 * PGPASSWORD). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/coord_config.h"

static const char *const no_env[] = {NULL};

struct store_case {
    const char *store_path;
    const char *error; /* NULL = accepted */
};

static const struct store_case store_cases[] = {
    {"/var/lib/shardwave/coordinator.db", NULL},
    {"relative/store.db", NULL},
    {"postgres://shardwave@db-1.internal:5432/shardwave?sslmode=verify-full", NULL},
    {"postgresql://db-1/shardwave", NULL},
    {"POSTGRES://sw@db/x", NULL},
    {"postgres://sw:s3cret@db-1/shardwave", "store_path: the store URL must not carry a password"},
    {"postgresql://db-1/shardwave?sslmode=require&password=s3cret",
     "store_path: the store URL must not carry a password"},
    {"postgres://db-1/shardwave?password=x", "store_path: the store URL must not carry a password"},
    /* a ':' after the '@' is the port, not a password */
    {"postgres://sw@[::1]:5432/shardwave", NULL},
};

static void test_store_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof store_cases / sizeof store_cases[0]; i++) {
        const struct store_case *tc = &store_cases[i];
        char text[512];
        struct coord_config c;
        struct sw_err err = {0};
        snprintf(text, sizeof text, "tokens_file = \"t\"; store_path = \"%s\";", tc->store_path);
        int rc = coord_config_load_text(text, "c.conf", no_env, &c, &err);
        if (tc->error == NULL) {
            if (rc != 0) {
                fail_msg("%s: %s", tc->store_path, err.msg);
            }
            assert_string_equal(c.store_path, tc->store_path);
            coord_config_cleanup(&c);
            continue;
        }
        assert_int_equal(rc, SW_EINVAL);
        assert_non_null(strstr(err.msg, tc->error));
        assert_string_equal(
            err.hint, "give it to libpq: a pgpass file (PGPASSFILE, ~/.pgpass) or PGPASSWORD");
    }
}

/* The environment override works for the URL as for a path (containers). */
static void test_store_path_env(void **state)
{
    (void)state;
    struct coord_config c;
    struct sw_err err = {0};
    const char *const env[] = {"SHARDWAVE_COORDINATOR_TOKENS_FILE=t",
                               "SHARDWAVE_COORDINATOR_STORE_PATH=postgres://sw@db/shardwave", NULL};
    assert_int_equal(coord_config_load(NULL, env, &c, &err), 0);
    assert_string_equal(c.store_path, "postgres://sw@db/shardwave");
    coord_config_cleanup(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_path),
        cmocka_unit_test(test_store_path_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
