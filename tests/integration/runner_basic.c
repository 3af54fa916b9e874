/*
 * The runner against real PostgreSQL, MariaDB and SQLite databases: up to latest
 * and to a target, undo to 0 and back, idempotent re-runs, checksum drift, failing
 * migrations (transactional: unchanged; MySQL: dirty -> refused -> repaired ->
 * continued), routines/triggers files and engine-specific variants.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rtest.h"

static const enum migset_engine engines[] = {MIGSET_ENGINE_PG, MIGSET_ENGINE_MYSQL,
                                             MIGSET_ENGINE_SQLITE};

/* A small realistic set: portable files plus variants where SQL differs. */
static void write_base_set(struct rtest *rt)
{
    rtest_write(rt, "V1__create_users.sql",
                "-- users of the tenant\n"
                "CREATE TABLE users (\n"
                "    id INTEGER PRIMARY KEY,\n"
                "    name VARCHAR(100) NOT NULL -- 'a;b' in a comment\n"
                ");\n"
                "INSERT INTO users (id, name) VALUES (1, 'semi;colon'), (2, 'it''s');\n");
    rtest_write(rt, "U1__create_users.sql", "DROP TABLE users;\n");
    rtest_write(rt, "V2__add_status.sql",
                "ALTER TABLE users ADD COLUMN status VARCHAR(20) DEFAULT 'active';\n");
    rtest_write(rt, "U2__add_status.sql", "ALTER TABLE users DROP COLUMN status;\n");
    rtest_write(rt, "V3__index_status.sql", "CREATE INDEX users_status ON users (status);\n");
    rtest_write(rt, "U3__index_status.sql", "DROP INDEX users_status;\n");
    rtest_write(rt, "U3__index_status.mysql.sql", "DROP INDEX users_status ON users;\n");
    rtest_write(rt, "V4__comment_only.sql", "-- nothing to do in this step\n/* really */\n");
    rtest_write(rt, "U4__comment_only.sql", "");
    rtest_write(rt, "V5__engine_marker.sql", "CREATE TABLE marker_portable (id INTEGER);\n");
    rtest_write(rt, "V5__engine_marker.pg.sql", "CREATE TABLE marker_pg (id INTEGER);\n");
    rtest_write(rt, "U5__engine_marker.sql", "DROP TABLE marker_portable;\n");
    rtest_write(rt, "U5__engine_marker.pg.sql", "DROP TABLE marker_pg;\n");
    rtest_load(rt);
}

static void test_up_target_undo_and_back(void **state)
{
    struct rtest rt;
    struct sw_err err = {0};
    char cur[VERSION_TEXT_MAX];
    rtest_setup(&rt, rtest_engine_of(state), "rbasic");
    write_base_set(&rt);

    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "0");
    assert_int_equal(rtest_migrate(&rt, "2", &err), 0);
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "2");
    assert_true(rtest_sql_ok(&rt, "SELECT status FROM users"));
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM marker_portable"));
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM users WHERE status = 'active'"), 2);

    assert_int_equal(rtest_migrate(&rt, NULL, &err), 0);
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "5");
    assert_int_equal(rtest_history_count(&rt, "4", "applied"), 1);
    /* Engine variants: pg runs its own file, the others the portable one. */
    bool is_pg = rtest_engine_of(state) == MIGSET_ENGINE_PG;
    assert_true(
        rtest_sql_ok(&rt, is_pg ? "SELECT id FROM marker_pg" : "SELECT id FROM marker_portable"));
    assert_false(
        rtest_sql_ok(&rt, is_pg ? "SELECT id FROM marker_portable" : "SELECT id FROM marker_pg"));

    /* Idempotent: a second run applies nothing and writes no history. */
    long long rows = rtest_sql_int(&rt, "SELECT count(*) FROM shardwave_schema_history");
    struct runner_result res;
    assert_int_equal(runner_migrate(rt.eng, &rt.opts, NULL, &res, &err), 0);
    assert_int_equal(res.n_steps, 0);
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM shardwave_schema_history"), rows);

    assert_int_equal(rtest_undo(&rt, "0", &err), 0);
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "0");
    assert_false(rtest_sql_ok(&rt, "SELECT id FROM users"));
    assert_int_equal(rtest_history_count(&rt, "1", "applied"), 2); /* up + down */

    assert_int_equal(rtest_migrate(&rt, NULL, &err), 0);
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "5");
    assert_true(rtest_sql_ok(&rt, "SELECT status FROM users"));
    rtest_teardown(&rt);
}

static void test_checksum_drift_refused(void **state)
{
    struct rtest rt;
    struct sw_err err = {0};
    char cur[VERSION_TEXT_MAX];
    rtest_setup(&rt, rtest_engine_of(state), "rdrift");
    write_base_set(&rt);
    assert_int_equal(rtest_migrate(&rt, "2", &err), 0);
    rtest_write(&rt, "V2__add_status.sql",
                "ALTER TABLE users ADD COLUMN status VARCHAR(40) DEFAULT 'active';\n");
    rtest_load(&rt);
    assert_int_equal(rtest_migrate(&rt, NULL, &err), SW_ECHECKSUM);
    assert_non_null(strstr(err.msg, "V2__add_status.sql was modified after it was applied"));
    /* Nothing ran: still at 2, V3's index does not exist. */
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "2");
    assert_int_equal(rtest_history_count(&rt, "3", NULL), 0);
    rtest_teardown(&rt);
}

static void test_failing_migration(void **state)
{
    struct rtest rt;
    struct sw_err err = {0};
    char cur[VERSION_TEXT_MAX];
    rtest_setup(&rt, rtest_engine_of(state), "rfail");
    write_base_set(&rt);
    rtest_write(&rt, "V6__three_statements.sql",
                "CREATE TABLE fail_a (id INTEGER);\n"
                "INSERT INTO fail_missing (id) VALUES (1);\n"
                "CREATE TABLE fail_b (id INTEGER);\n");
    rtest_load(&rt);
    int rc = rtest_migrate(&rt, NULL, &err);
    assert_int_equal(rc, SW_EDB);
    assert_non_null(strstr(err.msg, "V6__three_statements.sql"));
    assert_non_null(strstr(err.msg, "line 2"));
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "5");

    if (engine_caps(rt.eng) & ENGINE_CAP_TXN_DDL) {
        /* Transactional: the database is unchanged, a clean `failed` row is recorded. */
        assert_false(rtest_sql_ok(&rt, "SELECT id FROM fail_a"));
        assert_int_equal(rtest_history_count(&rt, "6", "failed"), 1);
        assert_int_equal(rtest_history_count(&rt, "6", "applied"), 0);
        rtest_teardown(&rt);
        return;
    }
    /* Implicit commits: statement 1 stayed; the shard is dirty and refuses work. */
    assert_true(rtest_sql_ok(&rt, "SELECT id FROM fail_a"));
    assert_int_equal(rtest_history_count(&rt, "6", "dirty"), 1);
    assert_int_equal(rtest_sql_int(&rt, "SELECT stmt_done FROM shardwave_schema_history "
                                        "WHERE version = '6'"),
                     1);
    assert_int_equal(rtest_migrate(&rt, NULL, &err), SW_ECONFLICT);
    assert_non_null(strstr(err.msg, "is dirty"));
    assert_non_null(strstr(err.hint, "shardwave repair"));
    assert_int_equal(rtest_undo(&rt, "4", &err), SW_ECONFLICT);

    /* The operator fixes the cause and asks to resume at statement 2. */
    struct runner_repair_result rep;
    assert_int_equal(runner_repair(rt.eng, &rt.opts, RUNNER_REPAIR_AUTO, 0, &rep, &err),
                     SW_ECONFLICT);
    assert_non_null(strstr(err.hint, "--retry-from 2"));
    assert_true(rtest_sql_ok(&rt, "CREATE TABLE fail_missing (id INTEGER)"));
    assert_int_equal(runner_repair(rt.eng, &rt.opts, RUNNER_REPAIR_RETRY_FROM, 2, &rep, &err), 0);
    assert_non_null(strstr(rep.message, "resume at statement 2 of 3"));
    assert_int_equal(rtest_migrate(&rt, NULL, &err), 0);
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "6");
    assert_true(rtest_sql_ok(&rt, "SELECT id FROM fail_b"));
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM fail_missing"), 1);
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM fail_a"), 0);
    rtest_teardown(&rt);
}

static void test_mark_reverted_runs_again(void **state)
{
    struct rtest rt;
    struct sw_err err = {0};
    char cur[VERSION_TEXT_MAX];
    rtest_setup(&rt, rtest_engine_of(state), "rrevert");
    rtest_write(&rt, "V1__two.sql",
                "CREATE TABLE rv_a (id INTEGER);\nINSERT INTO rv_missing VALUES (1);\n");
    rtest_load(&rt);
    assert_int_equal(rtest_migrate(&rt, NULL, &err), SW_EDB);
    struct runner_repair_result rep;
    if (engine_caps(rt.eng) & ENGINE_CAP_TXN_DDL) {
        /* Nothing dirty: repair says so and changes nothing. */
        assert_int_equal(runner_repair(rt.eng, &rt.opts, RUNNER_REPAIR_AUTO, 0, &rep, &err), 0);
        assert_int_equal(rep.n_changed, 0);
        assert_non_null(strstr(rep.message, "failed cleanly"));
        rtest_teardown(&rt);
        return;
    }
    assert_true(rtest_sql_ok(&rt, "DROP TABLE rv_a"));
    assert_true(rtest_sql_ok(&rt, "CREATE TABLE rv_missing (id INTEGER)"));
    assert_int_equal(runner_repair(rt.eng, &rt.opts, RUNNER_REPAIR_MARK_REVERTED, 0, &rep, &err),
                     0);
    assert_int_equal(rtest_migrate(&rt, NULL, &err), 0);
    assert_string_equal(rtest_current(&rt, cur, sizeof cur), "1");
    assert_true(rtest_sql_ok(&rt, "SELECT id FROM rv_a"));
    rtest_teardown(&rt);
}

/* Routines with inner semicolons: dollar quotes, DELIMITER blocks, trigger bodies. */
static void test_routines_and_triggers(void **state)
{
    struct rtest rt;
    struct sw_err err = {0};
    rtest_setup(&rt, rtest_engine_of(state), "rroutine");
    rtest_write(&rt, "V1__tables.sql",
                "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER NOT NULL);\n"
                "CREATE TABLE audit (item_id INTEGER, note VARCHAR(50));\n");
    rtest_write(&rt, "V2__audit_trigger.pg.sql",
                "CREATE FUNCTION audit_item() RETURNS trigger LANGUAGE plpgsql AS $body$\n"
                "BEGIN\n"
                "    INSERT INTO audit VALUES (NEW.id, 'added; logged');\n"
                "    RETURN NEW;\n"
                "END;\n"
                "$body$;\n"
                "CREATE TRIGGER items_audit AFTER INSERT ON items\n"
                "    FOR EACH ROW EXECUTE FUNCTION audit_item();\n"
                "DO $$ BEGIN PERFORM 1; END $$;\n");
    rtest_write(&rt, "V2__audit_trigger.mysql.sql",
                "DELIMITER $$\n"
                "CREATE PROCEDURE add_item(IN p_id INT)\n"
                "BEGIN\n"
                "    INSERT INTO items VALUES (p_id, 1);\n"
                "END$$\n"
                "CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW\n"
                "BEGIN\n"
                "    INSERT INTO audit VALUES (NEW.id, 'added; logged');\n"
                "END$$\n"
                "DELIMITER ;\n"
                "SELECT 1;\n");
    rtest_write(&rt, "V2__audit_trigger.sqlite.sql",
                "CREATE TRIGGER items_audit AFTER INSERT ON items\n"
                "BEGIN\n"
                "    INSERT INTO audit VALUES (NEW.id, 'added; logged');\n"
                "END;\n");
    rtest_load(&rt);
    assert_int_equal(rtest_migrate(&rt, NULL, &err), 0);
    assert_true(rtest_sql_ok(&rt, "INSERT INTO items VALUES (7, 3)"));
    assert_int_equal(rtest_sql_int(&rt, "SELECT count(*) FROM audit WHERE item_id = 7 AND "
                                        "note = 'added; logged'"),
                     1);
    rtest_teardown(&rt);
}

#define PER_ENGINE(fn)                                                                             \
    cmocka_unit_test_prestate(fn, (void *)&engines[0]),                                            \
        cmocka_unit_test_prestate(fn, (void *)&engines[1]),                                        \
        cmocka_unit_test_prestate(fn, (void *)&engines[2])

int main(void)
{
    testdb_require(MIGSET_ENGINE_PG);
    testdb_require(MIGSET_ENGINE_MYSQL);
    const struct CMUnitTest tests[] = {
        PER_ENGINE(test_up_target_undo_and_back), PER_ENGINE(test_checksum_drift_refused),
        PER_ENGINE(test_failing_migration),       PER_ENGINE(test_mark_reverted_runs_again),
        PER_ENGINE(test_routines_and_triggers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
