/* Unit tests for agent/runner/plan.c: state derivation and planning from history rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/plan.h"
#include "sw/fsutil.h"

struct fixture {
    char dir[256];
    struct migset *set;
    struct history_row rows[32];
    size_t n_rows;
    struct runner_status st;
    struct plan plan;
};

static void put(const char *dir, const char *name, const char *text)
{
    char *path = sw_path_join(dir, name);
    struct sw_err err = {0};
    assert_int_equal(sw_file_write_atomic(path, text, strlen(text), &err), 0);
    free(path);
}

/* V1..V4 with downs for 1..3 (not 4); V5 exists only as a pg variant. */
static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sw_test_plan_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    put(f->dir, "V1__create_users.sql", "CREATE TABLE users (id int);\n");
    put(f->dir, "U1__create_users.sql", "DROP TABLE users;\n");
    put(f->dir, "V2__add_status.sql", "ALTER TABLE users ADD COLUMN status int;\n");
    put(f->dir, "U2__add_status.sql", "ALTER TABLE users DROP COLUMN status;\n");
    put(f->dir, "V3__index.sql", "CREATE INDEX users_status ON users (status);\n");
    put(f->dir, "U3__index.sql", "DROP INDEX users_status;\n");
    put(f->dir, "V4__no_down.sql", "CREATE TABLE t4 (id int);\n");
    put(f->dir, "V5__pg_only.pg.sql", "CREATE TABLE t5 (id int);\n");
    struct migset_load_opts opts = {.skip_manifest = true};
    struct sw_err err = {0};
    int rc = migset_load(f->dir, &opts, &f->set, &err);
    if (rc != 0) {
        fail_msg("migset_load: %s", err.msg);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    plan_cleanup(&f->plan);
    runner_status_cleanup(&f->st);
    migset_free(f->set);
    char cmd[512];
    const char *names[] = {"V1__create_users.sql", "U1__create_users.sql", "V2__add_status.sql",
                           "U2__add_status.sql",   "V3__index.sql",        "U3__index.sql",
                           "V4__no_down.sql",      "V5__pg_only.pg.sql"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s/%s", f->dir, names[i]);
        unlink(cmd);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Appends a history row for version `v` with the current file's checksum. */
static void row(struct fixture *f, const char *v, enum history_direction d, enum history_state s,
                int done, int total)
{
    struct history_row *r = &f->rows[f->n_rows];
    memset(r, 0, sizeof *r);
    r->id = (int64_t)++f->n_rows;
    struct sw_err err = {0};
    assert_int_equal(version_parse_str(v, &r->version, &err), 0);
    version_format(&r->version, r->version_text, sizeof r->version_text);
    r->direction = d;
    r->state = s;
    r->stmt_done = done;
    r->stmt_total = total;
    const struct migset_step *step = migset_find(f->set, &r->version);
    if (step != NULL && d != HISTORY_BASELINE) {
        const struct migset_file *file =
            migset_step_file(step, d == HISTORY_UP ? MIGSET_UP : MIGSET_DOWN, MIGSET_ENGINE_PG);
        snprintf(r->checksum, sizeof r->checksum, "%s", file->checksum);
        snprintf(r->script, sizeof r->script, "%s", file->name);
        snprintf(r->description, sizeof r->description, "%s", step->description);
    }
    snprintf(r->finished_at, sizeof r->finished_at, "2026-11-25 10:00:00.000");
}

static void status(struct fixture *f, enum migset_engine e)
{
    struct sw_err err = {0};
    runner_status_cleanup(&f->st);
    assert_int_equal(plan_status(f->set, e, f->rows, f->n_rows, &f->st, &err), 0);
}

static enum runner_state state_of(const struct fixture *f, const char *v)
{
    struct version want;
    version_parse_str(v, &want, NULL);
    for (size_t i = 0; i < f->st.n_items; i++) {
        if (version_cmp(&f->st.items[i].version, &want) == 0) {
            return f->st.items[i].state;
        }
    }
    fail_msg("version %s not in status", v);
    return RUNNER_STATE_COUNT;
}

static void test_empty_history_plans_everything(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    status(f, MIGSET_ENGINE_PG);
    assert_string_equal(f->st.current_text, "0");
    assert_false(f->st.is_dirty);
    assert_int_equal(f->st.n_items, 5);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, NULL, &f->plan, &err), 0);
    assert_int_equal(f->plan.n_steps, 5);
    assert_string_equal(f->plan.steps[0].file->name, "V1__create_users.sql");
    assert_string_equal(f->plan.steps[4].file->name, "V5__pg_only.pg.sql");
}

static void test_applied_then_target(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "2", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    status(f, MIGSET_ENGINE_PG);
    assert_string_equal(f->st.current_text, "2");
    assert_int_equal(state_of(f, "2"), RUNNER_STATE_APPLIED);
    struct version target;
    version_parse_str("3", &target, NULL);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, &target, &f->plan, &err), 0);
    assert_int_equal(f->plan.n_steps, 1);
    assert_string_equal(f->plan.steps[0].step->version_text, "3");
}

static void test_undone_version_is_pending(void **state)
{
    struct fixture *f = *state;
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "2", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "2", HISTORY_DOWN, HISTORY_APPLIED, 1, 1);
    status(f, MIGSET_ENGINE_PG);
    assert_string_equal(f->st.current_text, "1");
    assert_int_equal(state_of(f, "2"), RUNNER_STATE_PENDING);
}

static void test_dirty_refuses_with_repair_hint(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "2", HISTORY_UP, HISTORY_DIRTY, 1, 3);
    snprintf(f->rows[1].error, sizeof f->rows[1].error, "line 2: ERROR 1054: unknown column");
    status(f, MIGSET_ENGINE_MYSQL);
    assert_true(f->st.is_dirty);
    assert_int_equal(state_of(f, "2"), RUNNER_STATE_DIRTY);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_MYSQL, &f->st, NULL, &f->plan, &err),
                     SW_ECONFLICT);
    assert_string_equal(err.msg, "version 2 (V2__add_status.sql) is dirty: it stopped part-way "
                                 "(1 of 3 statements done): line 2: ERROR 1054: unknown column; "
                                 "nothing runs on this database until an operator repairs it");
    assert_non_null(strstr(err.hint, "shardwave repair"));
    assert_non_null(strstr(err.hint, "--retry-from 2"));
    /* Undo is refused as well. */
    struct version zero = {0};
    assert_int_equal(plan_down(f->set, MIGSET_ENGINE_MYSQL, &f->st, &zero, &f->plan, &err),
                     SW_ECONFLICT);
}

static void test_interrupted_running_row_is_dirty(void **state)
{
    struct fixture *f = *state;
    row(f, "1", HISTORY_UP, HISTORY_RUNNING, 0, 1);
    status(f, MIGSET_ENGINE_MYSQL);
    assert_true(f->st.is_dirty);
    assert_string_equal(f->st.current_text, "0");
}

static void test_resume_starts_at_statement(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "2", HISTORY_UP, HISTORY_DIRTY, 1, 3);
    row(f, "2", HISTORY_UP, HISTORY_RESUME, 1, 3);
    status(f, MIGSET_ENGINE_MYSQL);
    assert_false(f->st.is_dirty);
    assert_int_equal(state_of(f, "2"), RUNNER_STATE_PENDING);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, NULL, &f->plan, &err), 0);
    assert_string_equal(f->plan.steps[0].step->version_text, "2");
    assert_int_equal(f->plan.steps[0].start_stmt, 1);
    assert_int_equal(f->plan.steps[1].start_stmt, 0);
}

static void test_reverted_runs_in_full(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    row(f, "1", HISTORY_UP, HISTORY_DIRTY, 1, 3);
    row(f, "1", HISTORY_UP, HISTORY_REVERTED, 0, 3);
    status(f, MIGSET_ENGINE_MYSQL);
    assert_int_equal(state_of(f, "1"), RUNNER_STATE_PENDING);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_MYSQL, &f->st, NULL, &f->plan, &err), SW_EINVAL);
    /* V5 has only a pg variant: no file for mysql. */
    assert_string_equal(err.msg, "version 5 (pg only) has no file for engine mysql");
}

static void test_checksum_drift_refused(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    snprintf(f->rows[0].checksum, sizeof f->rows[0].checksum, "%064d", 7);
    status(f, MIGSET_ENGINE_PG);
    assert_int_equal(state_of(f, "1"), RUNNER_STATE_CHECKSUM_MISMATCH);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, NULL, &f->plan, &err), SW_ECHECKSUM);
    assert_non_null(strstr(err.msg, "V1__create_users.sql was modified after it was applied"));
    assert_non_null(strstr(err.msg, "never modify a committed migration"));
}

static void test_out_of_order_refused(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "3", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    status(f, MIGSET_ENGINE_PG);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, NULL, &f->plan, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "V2__add_status.sql (version 2) is pending but the database is "
                                 "already at version 3: out-of-order migrations are refused");
}

static void test_bad_targets(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    struct version v;
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "2", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    status(f, MIGSET_ENGINE_PG);
    version_parse_str("9", &v, NULL);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, &v, &f->plan, &err), SW_ENOTFOUND);
    assert_string_equal(err.msg, "target version 9 is not in the migration set (latest is 5)");
    version_parse_str("1", &v, NULL);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, &v, &f->plan, &err), SW_ECONFLICT);
    version_parse_str("3", &v, NULL);
    assert_int_equal(plan_down(f->set, MIGSET_ENGINE_PG, &f->st, &v, &f->plan, &err), SW_ECONFLICT);
    version_parse_str("2", &v, NULL);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, &v, &f->plan, &err), 0);
    assert_int_equal(f->plan.n_steps, 0);
}

static void test_down_newest_first_and_missing_down(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    struct version zero = {0};
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "2", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "3", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    status(f, MIGSET_ENGINE_PG);
    assert_int_equal(plan_down(f->set, MIGSET_ENGINE_PG, &f->st, &zero, &f->plan, &err), 0);
    assert_int_equal(f->plan.n_steps, 3);
    assert_string_equal(f->plan.steps[0].file->name, "U3__index.sql");
    assert_string_equal(f->plan.steps[2].file->name, "U1__create_users.sql");
    plan_cleanup(&f->plan);
    row(f, "4", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    status(f, MIGSET_ENGINE_PG);
    assert_int_equal(plan_down(f->set, MIGSET_ENGINE_PG, &f->st, &zero, &f->plan, &err),
                     SW_ECONFLICT);
    assert_string_equal(err.msg,
                        "version 4 (no down) has no down migration for pg: cannot undo past it");
}

static void test_baseline_counts_as_applied(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    struct version zero = {0};
    row(f, "2", HISTORY_BASELINE, HISTORY_APPLIED, 0, 0);
    status(f, MIGSET_ENGINE_PG);
    assert_string_equal(f->st.current_text, "2");
    assert_int_equal(state_of(f, "1"), RUNNER_STATE_BASELINE);
    assert_int_equal(state_of(f, "3"), RUNNER_STATE_PENDING);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, NULL, &f->plan, &err), 0);
    assert_string_equal(f->plan.steps[0].step->version_text, "3");
    plan_cleanup(&f->plan);
    assert_int_equal(plan_down(f->set, MIGSET_ENGINE_PG, &f->st, &zero, &f->plan, &err),
                     SW_ECONFLICT);
    assert_string_equal(err.msg, "version 2 is covered by the baseline: it cannot be undone");
}

static void test_history_only_version_is_missing(void **state)
{
    struct fixture *f = *state;
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "7", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    status(f, MIGSET_ENGINE_PG);
    assert_int_equal(state_of(f, "7"), RUNNER_STATE_MISSING);
    assert_string_equal(f->st.current_text, "7");
}

/* A set holding only the steps to undo (an agent's rollback lease) may undo to a version
 * the database applied even when the set has no file for it; other versions stay refused. */
static void test_undo_to_history_only_version(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    struct version v;
    row(f, "0.5", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "1", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    row(f, "2", HISTORY_UP, HISTORY_APPLIED, 1, 1);
    status(f, MIGSET_ENGINE_PG);
    version_parse_str("0.5", &v, NULL);
    assert_int_equal(plan_down(f->set, MIGSET_ENGINE_PG, &f->st, &v, &f->plan, &err), 0);
    assert_int_equal(f->plan.n_steps, 2);
    assert_string_equal(f->plan.steps[0].file->name, "U2__add_status.sql");
    assert_string_equal(f->plan.steps[1].file->name, "U1__create_users.sql");
    plan_cleanup(&f->plan);
    version_parse_str("0.7", &v, NULL);
    assert_int_equal(plan_down(f->set, MIGSET_ENGINE_PG, &f->st, &v, &f->plan, &err), SW_ENOTFOUND);
    assert_string_equal(err.msg, "undo target 0.7 is not a version of the migration set (use 0 "
                                 "to undo everything)");
}

static void test_clean_failure_is_retried(void **state)
{
    struct fixture *f = *state;
    struct sw_err err = {0};
    struct version v;
    row(f, "1", HISTORY_UP, HISTORY_FAILED, 0, 1);
    status(f, MIGSET_ENGINE_PG);
    assert_int_equal(state_of(f, "1"), RUNNER_STATE_FAILED);
    assert_false(f->st.is_dirty);
    version_parse_str("1", &v, NULL);
    assert_int_equal(plan_up(f->set, MIGSET_ENGINE_PG, &f->st, &v, &f->plan, &err), 0);
    assert_int_equal(f->plan.n_steps, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_history_plans_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_applied_then_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undone_version_is_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dirty_refuses_with_repair_hint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_running_row_is_dirty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_starts_at_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reverted_runs_in_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checksum_drift_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_targets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_newest_first_and_missing_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_baseline_counts_as_applied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history_only_version_is_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_undo_to_history_only_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clean_failure_is_retried, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
