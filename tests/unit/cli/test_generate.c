/* Unit tests for coordinator/cli/generate.c (+ generate_tpl.c): option arguments, input
 * checks with their exact messages, derived object names, and rendered recipes that load as
 * a valid migration set (names, directives, contract-of) and split on every engine.
 * Table-driven; no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"
#include "sqlsplit/sqlsplit.h"
#include "sw/migset.h"

static void test_parse_spec(void **state)
{
    (void)state;
    static const struct {
        enum generate_recipe recipe;
        const char *arg;
        const char *msg; /* NULL = ok */
        const char *table, *column, *new_name;
    } cases[] = {
        {GENERATE_RENAME_COLUMN, "users.name:full_name", NULL, "users", "name", "full_name"},
        {GENERATE_RENAME_COLUMN, "Users._x1:y", NULL, "Users", "_x1", "y"},
        {GENERATE_RENAME_TABLE, "customer:customers", NULL, "customer", "", "customers"},
        {GENERATE_ADD_NOT_NULL_COLUMN, "users.status", NULL, "users", "status", ""},
        {GENERATE_RENAME_COLUMN, "users.name",
         "new: --rename-column: expected TABLE.OLD:NEW, got "
         "'users.name'",
         NULL, NULL, NULL},
        {GENERATE_RENAME_COLUMN, "users:a.b",
         "new: --rename-column: expected TABLE.OLD:NEW, got "
         "'users:a.b'",
         NULL, NULL, NULL},
        {GENERATE_RENAME_COLUMN, "s.users.name:x",
         "new: --rename-column: expected "
         "TABLE.OLD:NEW, got 's.users.name:x'",
         NULL, NULL, NULL},
        {GENERATE_RENAME_TABLE, "a.b:c", "new: --rename-table: expected OLD:NEW, got 'a.b:c'", NULL,
         NULL, NULL},
        {GENERATE_RENAME_TABLE, "a:b:c", "new: --rename-table: expected OLD:NEW, got 'a:b:c'", NULL,
         NULL, NULL},
        {GENERATE_ADD_NOT_NULL_COLUMN, "users.status:x",
         "new: --add-not-null-column: expected TABLE.COLUMN, got 'users.status:x'", NULL, NULL,
         NULL},
        {GENERATE_RENAME_COLUMN, "users.name-x:y",
         "new: --rename-column: 'name-x' is not a plain identifier", NULL, NULL, NULL},
        {GENERATE_RENAME_COLUMN, "users.1name:y",
         "new: --rename-column: '1name' is not a plain identifier", NULL, NULL, NULL},
        {GENERATE_RENAME_COLUMN,
         "users.name:", "new: --rename-column: '' is not a plain identifier", NULL, NULL, NULL},
        {GENERATE_RENAME_TABLE, "\"a\":b", "new: --rename-table: '\"a\"' is not a plain identifier",
         NULL, NULL, NULL},
        {GENERATE_RENAME_TABLE,
         "a:b234567890123456789012345678901234567890123456789012345678901234",
         "new: --rename-table: 'b234567890123456789012345678901234567890123456789012345678901234' "
         "is not a plain identifier",
         NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct generate_params p = {0};
        struct sw_err err = {0};
        int rc = generate_parse_spec(cases[i].recipe, cases[i].arg, &p, &err);
        if (cases[i].msg == NULL) {
            assert_int_equal(rc, 0);
            assert_string_equal(p.table, cases[i].table);
            assert_string_equal(p.column, cases[i].column);
            assert_string_equal(p.new_name, cases[i].new_name);
        } else {
            assert_int_equal(rc, SW_EINVAL);
            assert_string_equal(err.msg, cases[i].msg);
            assert_true(err.hint[0] != '\0');
        }
    }
}

static struct generate_params params(enum generate_recipe r, const char *type, const char *def)
{
    struct generate_params p = {.recipe = r, .batch_size = GENERATE_BATCH_DEFAULT};
    snprintf(p.table, sizeof p.table, "users");
    snprintf(p.column, sizeof p.column, "name");
    snprintf(p.new_name, sizeof p.new_name, "full_name");
    snprintf(p.type, sizeof p.type, "%s", type);
    snprintf(p.default_sql, sizeof p.default_sql, "%s", def);
    snprintf(p.key, sizeof p.key, "id");
    return p;
}

static void test_params_check(void **state)
{
    (void)state;
    static const struct {
        enum generate_recipe recipe;
        const char *type, *def;
        const char *msg; /* NULL = ok */
    } cases[] = {
        {GENERATE_RENAME_COLUMN, "text", "", NULL},
        {GENERATE_RENAME_COLUMN, "numeric(10, 2)", "", NULL},
        {GENERATE_RENAME_COLUMN, "timestamp with time zone", "", NULL},
        {GENERATE_RENAME_TABLE, "", "", NULL},
        {GENERATE_ADD_NOT_NULL_COLUMN, "varchar(20)", "'active'", NULL},
        {GENERATE_ADD_NOT_NULL_COLUMN, "text", "'it''s'", NULL},
        {GENERATE_ADD_NOT_NULL_COLUMN, "int", "-42", NULL},
        {GENERATE_ADD_NOT_NULL_COLUMN, "numeric", "3.5", NULL},
        {GENERATE_ADD_NOT_NULL_COLUMN, "boolean", "FALSE", NULL},
        {GENERATE_RENAME_COLUMN, "", "", "new: --rename-column: type '' is not a plain SQL type"},
        {GENERATE_RENAME_COLUMN, "text; drop table x", "",
         "new: --rename-column: type 'text; drop table x' is not a plain SQL type"},
        {GENERATE_RENAME_COLUMN, "varchar(10", "",
         "new: --rename-column: type 'varchar(10' is not a plain SQL type"},
        {GENERATE_RENAME_COLUMN, "a)(", "",
         "new: --rename-column: type 'a)(' is not a plain SQL type"},
        {GENERATE_RENAME_COLUMN, "text -- x", "",
         "new: --rename-column: type 'text -- x' is not a plain SQL type"},
        {GENERATE_ADD_NOT_NULL_COLUMN, "text", "now()",
         "new: --add-not-null-column: default 'now()' is not a literal"},
        {GENERATE_ADD_NOT_NULL_COLUMN, "text", "'a\\'",
         "new: --add-not-null-column: default ''a\\'' is not a literal"},
        {GENERATE_ADD_NOT_NULL_COLUMN, "text", "'a'b'",
         "new: --add-not-null-column: default ''a'b'' is not a literal"},
        {GENERATE_ADD_NOT_NULL_COLUMN, "text", "'a'); drop table x; --'",
         "new: --add-not-null-column: default ''a'); drop table x; --'' is not a literal"},
        {GENERATE_ADD_NOT_NULL_COLUMN, "int", "1.", NULL},
        {GENERATE_ADD_NOT_NULL_COLUMN, "int", "-",
         "new: --add-not-null-column: default '-' is not a literal"},
        {GENERATE_ADD_NOT_NULL_COLUMN, "int", "null",
         "new: --add-not-null-column: the default must not be NULL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct generate_params p = params(cases[i].recipe, cases[i].type, cases[i].def);
        struct sw_err err = {0};
        int rc = generate_params_check(&p, &err);
        if (cases[i].msg == NULL) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, SW_EINVAL);
            assert_string_equal(err.msg, cases[i].msg);
        }
    }
}

static void test_params_check_names(void **state)
{
    (void)state;
    struct sw_err err = {0};
    struct generate_params p = params(GENERATE_RENAME_COLUMN, "text", "");
    snprintf(p.new_name, sizeof p.new_name, "name");
    assert_int_equal(generate_params_check(&p, &err), SW_EINVAL);
    assert_string_equal(err.msg, "new: --rename-column: the new name 'name' is the old one");
    p = params(GENERATE_RENAME_TABLE, "", "");
    snprintf(p.new_name, sizeof p.new_name, "users");
    assert_int_equal(generate_params_check(&p, &err), SW_EINVAL);
    assert_string_equal(err.msg, "new: --rename-table: the new name 'users' is the old one");
    p = params(GENERATE_RENAME_COLUMN, "text", "");
    snprintf(p.key, sizeof p.key, "id;");
    assert_int_equal(generate_params_check(&p, &err), SW_EINVAL);
    assert_string_equal(err.msg, "new: --key: 'id;' is not a plain identifier");
    p = params(GENERATE_RENAME_COLUMN, "text", "");
    p.batch_size = 0;
    assert_int_equal(generate_params_check(&p, &err), SW_EINVAL);
    assert_string_equal(err.msg, "new: --batch-size must be between 1 and 1000000");
}

static void test_object_name(void **state)
{
    (void)state;
    char out[GENERATE_IDENT_MAX + 1], again[GENERATE_IDENT_MAX + 1], other[GENERATE_IDENT_MAX + 1];
    struct sw_err err = {0};
    const char *const shortp[] = {"sw_sync", "users", "name", "full_name"};
    assert_int_equal(generate_object_name(shortp, 4, out, &err), 0);
    assert_string_equal(out, "sw_sync_users_name_full_name");
    /* exactly 63 characters stay as they are */
    const char *const exact[] = {"a234567890123456789012345678901234567890123456789012345678901",
                                 "b"};
    assert_int_equal(generate_object_name(exact, 2, out, &err), 0);
    assert_int_equal(strlen(out), 63);
    assert_string_equal(out, "a234567890123456789012345678901234567890123456789012345678901_b");
    const char *const longp[] = {"sw_sync", "t_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                 "c_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "n"};
    const char *const longq[] = {"sw_sync", "t_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                 "c_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "m"};
    assert_int_equal(generate_object_name(longp, 4, out, &err), 0);
    assert_int_equal(generate_object_name(longp, 4, again, &err), 0);
    assert_int_equal(generate_object_name(longq, 4, other, &err), 0);
    assert_int_equal(strlen(out), 63);
    assert_string_equal(out, again);
    assert_memory_equal(out, "sw_sync_t_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_c_b_", 55);
    assert_memory_equal(out, other, 55);
    assert_string_not_equal(out, other);
}

/* Renders and loads the result as a migration set; checks every file splits. */
static struct migset *render_and_load(const struct generate_params *p, unsigned mask,
                                      struct generate_output *out)
{
    static const char *const versions[] = {"7", "8", "9"};
    struct sw_err err = {0};
    int rc = generate_render(p, mask, versions, out, &err);
    if (rc != 0) {
        fail_msg("render: %s", err.msg);
    }
    struct migset_mem_file files[GENERATE_MAX_FILES];
    for (size_t i = 0; i < out->n_files; i++) {
        files[i] =
            (struct migset_mem_file){out->files[i].name, out->files[i].text, out->files[i].len};
        assert_null(strchr(out->files[i].text, '{'));
    }
    struct migset *set = NULL;
    rc = migset_load_files(files, out->n_files, NULL, &set, &err);
    if (rc != 0) {
        fail_msg("load: %s", err.msg);
    }
    for (size_t s = 0; s < migset_count(set); s++) {
        const struct migset_step *step = migset_step_at(set, s);
        for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
            for (int d = 0; d < 2; d++) {
                const struct migset_file *f =
                    migset_step_file(step, d == 0 ? MIGSET_UP : MIGSET_DOWN, (enum migset_engine)e);
                struct sqlsplit_result r = {0};
                if (f != NULL &&
                    sqlsplit_split((enum migset_engine)e, f->sql, f->sql_len, &r, &err) != 0) {
                    fail_msg("%s: %s", f->name, err.msg);
                }
                sqlsplit_result_cleanup(&r);
            }
        }
    }
    return set;
}

static size_t n_statements(const struct migset *set, size_t step, enum migset_dir dir,
                           enum migset_engine e)
{
    const struct migset_file *f = migset_step_file(migset_step_at(set, step), dir, e);
    struct sqlsplit_result r = {0};
    struct sw_err err = {0};
    assert_int_equal(sqlsplit_split(e, f->sql, f->sql_len, &r, &err), 0);
    size_t n = r.n_stmts;
    sqlsplit_result_cleanup(&r);
    return n;
}

static void test_render_rename_column(void **state)
{
    (void)state;
    struct generate_params p = params(GENERATE_RENAME_COLUMN, "varchar(100)", "");
    struct generate_output out = {0};
    struct migset *set = render_and_load(&p, (1u << MIGSET_ENGINE_COUNT) - 1u, &out);
    assert_int_equal(out.n_files, 18);
    assert_string_equal(out.files[0].name, "V7__expand_rename_users_name_to_full_name.pg.sql");
    assert_string_equal(out.files[1].name, "U7__expand_rename_users_name_to_full_name.pg.sql");
    assert_string_equal(out.files[6].name, "V8__backfill_users_full_name.pg.sql");
    assert_string_equal(out.files[17].name,
                        "U9__contract_rename_users_name_to_full_name.sqlite.sql");
    assert_int_equal(migset_count(set), 3);
    static const size_t stmts[3][MIGSET_ENGINE_COUNT] = {
        /* pg: column, function, trigger; mysql: column, 2 triggers; sqlite: column, 3 */
        {3, 3, 4},
        /* pg: DO; mysql: drop proc, create, call, drop; sqlite: UPDATE */
        {1, 4, 1},
        /* drop trigger(s), (function), column */
        {3, 3, 4},
    };
    for (size_t s = 0; s < 3; s++) {
        const struct migset_step *step = migset_step_at(set, s);
        for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
            assert_int_equal(n_statements(set, s, MIGSET_UP, (enum migset_engine)e), stmts[s][e]);
            const struct migset_file *up = migset_step_file(step, MIGSET_UP, (enum migset_engine)e);
            assert_int_equal(up->directives.has_contract_of, s == 2);
            assert_int_equal(up->directives.destructive_ok, s == 2);
            assert_true(strstr(up->sql, "APPLICATION DEPLOY: once V8 is on every shard") != NULL);
        }
    }
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        /* the backfill's down is a comment-only no-op */
        assert_int_equal(n_statements(set, 1, MIGSET_DOWN, (enum migset_engine)e), 0);
    }
    const struct migset_file *contract =
        migset_step_file(migset_step_at(set, 2), MIGSET_UP, MIGSET_ENGINE_PG);
    assert_int_equal(contract->directives.contract_of.n_parts, 1);
    assert_int_equal(contract->directives.contract_of.parts[0], 8);
    assert_string_equal(contract->directives.destructive_reason,
                        "drops users.name, renamed to full_name; no application version uses it");
    const struct migset_file *backfill =
        migset_step_file(migset_step_at(set, 1), MIGSET_UP, MIGSET_ENGINE_PG);
    assert_true(backfill->directives.no_transaction);
    assert_int_equal(backfill->directives.statement_timeout_ms, 0);
    assert_true(strstr(backfill->sql, "WHERE id >= lo AND id < lo + 1000") != NULL);
    migset_free(set);
    generate_output_cleanup(&out);
}

static void test_render_other_recipes(void **state)
{
    (void)state;
    struct generate_params p = params(GENERATE_RENAME_TABLE, "", "");
    snprintf(p.new_name, sizeof p.new_name, "people");
    struct generate_output out = {0};
    struct migset *set = render_and_load(&p, 1u << MIGSET_ENGINE_MYSQL, &out);
    assert_int_equal(out.n_files, 4);
    assert_string_equal(out.files[2].name, "V8__contract_rename_table_users_to_people.mysql.sql");
    assert_true(strstr(out.files[2].text,
                       "RENAME TABLE people TO sw_retired_people, users TO people;\n") != NULL);
    assert_true(migset_step_file(migset_step_at(set, 1), MIGSET_UP, MIGSET_ENGINE_MYSQL)
                    ->directives.has_contract_of);
    migset_free(set);
    generate_output_cleanup(&out);

    p = params(GENERATE_ADD_NOT_NULL_COLUMN, "varchar(20)", "'active'");
    snprintf(p.column, sizeof p.column, "status");
    p.batch_size = 500;
    set = render_and_load(&p, (1u << MIGSET_ENGINE_COUNT) - 1u, &out);
    assert_int_equal(out.n_files, 18);
    assert_string_equal(out.files[12].name, "V9__set_not_null_users_status.pg.sql");
    assert_true(strstr(out.files[0].text,
                       "ALTER TABLE users ADD CONSTRAINT users_status_not_null CHECK (status IS "
                       "NOT NULL) NOT VALID;\n") != NULL);
    assert_true(strstr(out.files[0].text, "--add-not-null-column users.status \"varchar(20)\" "
                                          "\"'active'\" --key id --batch-size 500") != NULL);
    /* MySQL and SQLite do it all in V7: V8 and V9 are comment-only there */
    assert_int_equal(n_statements(set, 0, MIGSET_UP, MIGSET_ENGINE_MYSQL), 1);
    assert_int_equal(n_statements(set, 1, MIGSET_UP, MIGSET_ENGINE_MYSQL), 0);
    assert_int_equal(n_statements(set, 2, MIGSET_UP, MIGSET_ENGINE_SQLITE), 0);
    assert_int_equal(n_statements(set, 2, MIGSET_UP, MIGSET_ENGINE_PG), 3);
    migset_free(set);
    generate_output_cleanup(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_spec),           cmocka_unit_test(test_params_check),
        cmocka_unit_test(test_params_check_names),   cmocka_unit_test(test_object_name),
        cmocka_unit_test(test_render_rename_column), cmocka_unit_test(test_render_other_recipes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
