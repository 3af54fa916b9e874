/*
 * Unit tests for proto/lint: every rule on every engine it applies to with a true
 * positive and the safe form, acknowledgements, down files, errors and the JSON shape.
 * Expected findings are written "line:rule:severity" joined by spaces, in report order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sw/lint.h"

#define PG     MIGSET_ENGINE_PG
#define MYSQL  MIGSET_ENGINE_MYSQL
#define SQLITE MIGSET_ENGINE_SQLITE

struct rule_case {
    enum migset_engine engine;
    const char *sql;
    const char *expect; /* "" for no finding */
};

static const struct rule_case rule_cases[] = {
    /* drop-table */
    {PG, "DROP TABLE users;", "1:drop-table:error"},
    {PG, "DROP TABLE IF EXISTS a, s.b;", "1:drop-table:error 1:drop-table:error"},
    {PG, "CREATE TABLE tmp (id int);\nDROP TABLE tmp;", ""},
    {MYSQL, "DROP TABLE IF EXISTS `users`;", "1:drop-table:error"},
    {MYSQL, "DROP TEMPORARY TABLE scratch;", ""},
    {SQLITE, "DROP TABLE users;", "1:drop-table:error"},
    {SQLITE, "CREATE TABLE tmp (id);\nDROP TABLE tmp;", ""},
    /* drop-column */
    {PG, "ALTER TABLE users DROP COLUMN email;", "1:drop-column:error"},
    {PG, "ALTER TABLE users DROP CONSTRAINT users_email_key;", ""},
    {MYSQL, "ALTER TABLE users DROP COLUMN email;", "1:drop-column:error"},
    {MYSQL, "ALTER TABLE users DROP email, ALGORITHM=INPLACE, LOCK=NONE;", "1:drop-column:error"},
    {MYSQL, "ALTER TABLE users DROP INDEX users_email, DROP FOREIGN KEY fk;", ""},
    {SQLITE, "ALTER TABLE users DROP COLUMN email;", "1:drop-column:error"},
    /* drop-schema */
    {PG, "DROP SCHEMA billing CASCADE;", "1:drop-schema:error"},
    {PG, "CREATE SCHEMA billing;", ""},
    {MYSQL, "DROP DATABASE IF EXISTS billing;", "1:drop-schema:error"},
    {MYSQL, "CREATE DATABASE billing;", ""},
    /* rename-table */
    {PG, "ALTER TABLE users RENAME TO accounts;", "1:rename-table:error"},
    {PG, "CREATE TABLE t (id int);\nALTER TABLE t RENAME TO u;", ""},
    {MYSQL, "RENAME TABLE users TO accounts, a TO b;", "1:rename-table:error 1:rename-table:error"},
    {MYSQL, "ALTER TABLE users RENAME TO accounts;", "1:rename-table:error"},
    {MYSQL, "ALTER TABLE users RENAME INDEX a TO b;", ""},
    {SQLITE, "ALTER TABLE users RENAME TO accounts;", "1:rename-table:error"},
    /* rename-column */
    {PG, "ALTER TABLE users RENAME COLUMN name TO full_name;", "1:rename-column:error"},
    {PG, "ALTER INDEX users_idx RENAME TO users_name_idx;", ""},
    {MYSQL, "ALTER TABLE users RENAME COLUMN name TO full_name;", "1:rename-column:error"},
    {MYSQL, "ALTER TABLE users CHANGE name full_name varchar(100), ALGORITHM=INSTANT;",
     "1:rename-column:error"},
    {SQLITE, "ALTER TABLE users RENAME COLUMN name TO full_name;", "1:rename-column:error"},
    {SQLITE, "ALTER TABLE users RENAME name TO full_name;", "1:rename-column:error"},
    /* change-column-type */
    {PG, "ALTER TABLE users ALTER COLUMN id TYPE bigint;", "1:change-column-type:error"},
    {PG, "ALTER TABLE users ALTER COLUMN n TYPE varchar(20) USING n::varchar;",
     "1:change-column-type:error"},
    {PG, "ALTER TABLE users ALTER COLUMN name TYPE text;", ""},
    {PG, "ALTER TABLE users ALTER COLUMN name TYPE varchar;", ""},
    {MYSQL, "ALTER TABLE users MODIFY id bigint;", "1:change-column-type:error"},
    {MYSQL, "ALTER TABLE users MODIFY name varchar(200), ALGORITHM=INPLACE, LOCK=NONE;", ""},
    /* set-not-null */
    {PG, "ALTER TABLE users ALTER COLUMN email SET NOT NULL;", "1:set-not-null:error"},
    {PG,
     "ALTER TABLE users VALIDATE CONSTRAINT email_nn;\n"
     "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
     ""},
    {MYSQL, "ALTER TABLE users MODIFY email varchar(200) NOT NULL;", "1:set-not-null:error"},
    {MYSQL, "ALTER TABLE users MODIFY email varchar(200) NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;",
     ""},
    /* add-not-null-column */
    {PG, "ALTER TABLE users ADD COLUMN status text NOT NULL;", "1:add-not-null-column:error"},
    {PG, "ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';", ""},
    {PG, "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN s text NOT NULL;", ""},
    {MYSQL, "ALTER TABLE users ADD COLUMN status varchar(20) NOT NULL;",
     "1:add-not-null-column:error"},
    {MYSQL, "ALTER TABLE users ADD COLUMN status varchar(20) NOT NULL DEFAULT 'active';", ""},
    {MYSQL, "ALTER TABLE users ADD (a int NOT NULL, b int);", "1:add-not-null-column:error"},
    {SQLITE, "ALTER TABLE users ADD COLUMN status text NOT NULL;", "1:add-not-null-column:error"},
    {SQLITE, "ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';", ""},
    /* add-column-volatile-default */
    {PG, "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
     "1:add-column-volatile-default:error"},
    {PG, "ALTER TABLE users ADD COLUMN r int DEFAULT (random() * 10)::int;",
     "1:add-column-volatile-default:error"},
    {PG, "ALTER TABLE users ADD COLUMN at timestamptz DEFAULT clock_timestamp();",
     "1:add-column-volatile-default:error"},
    {PG, "ALTER TABLE users ADD COLUMN id2 bigserial;", "1:add-column-volatile-default:error"},
    {PG, "ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS IDENTITY;",
     "1:add-column-volatile-default:error"},
    {PG, "ALTER TABLE users ADD COLUMN x int DEFAULT my_func();",
     "1:add-column-volatile-default:warning"},
    {PG, "ALTER TABLE users ADD COLUMN created timestamptz NOT NULL DEFAULT now();", ""},
    {PG, "ALTER TABLE users ADD COLUMN created timestamptz DEFAULT CURRENT_TIMESTAMP;", ""},
    {PG, "ALTER TABLE users ADD COLUMN token uuid;", ""},
    {MYSQL, "ALTER TABLE users ADD COLUMN token char(36) DEFAULT (UUID());",
     "1:add-column-volatile-default:error"},
    {MYSQL, "ALTER TABLE users ADD COLUMN created datetime DEFAULT CURRENT_TIMESTAMP;",
     "1:add-column-volatile-default:error"},
    {MYSQL,
     "ALTER TABLE users ADD COLUMN created datetime DEFAULT CURRENT_TIMESTAMP, "
     "ALGORITHM=INSTANT;",
     ""},
    {MYSQL, "ALTER TABLE users ADD COLUMN token char(36) DEFAULT 'none';", ""},
    {SQLITE, "ALTER TABLE users ADD COLUMN created text DEFAULT CURRENT_TIMESTAMP;",
     "1:add-column-volatile-default:error"},
    {SQLITE, "ALTER TABLE users ADD COLUMN n int DEFAULT (1 + 1);",
     "1:add-column-volatile-default:error"},
    {SQLITE, "ALTER TABLE users ADD COLUMN created text DEFAULT '1970-01-01';", ""},
    /* create-index-blocking */
    {PG, "CREATE INDEX users_email ON users (email);", "1:create-index-blocking:error"},
    {PG, "-- shardwave: no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);",
     ""},
    {PG, "CREATE TABLE t (id int, e text);\nCREATE INDEX t_e ON t (e);", ""},
    {MYSQL, "CREATE INDEX users_email ON users (email);", "1:create-index-blocking:error"},
    {MYSQL, "ALTER TABLE users ADD INDEX users_email (email);", "1:create-index-blocking:error"},
    {MYSQL, "ALTER TABLE users ADD FULLTEXT INDEX ft (bio), ALGORITHM=INPLACE, LOCK=NONE;",
     "1:create-index-blocking:error"},
    {MYSQL, "CREATE INDEX users_email ON users (email) ALGORITHM=INPLACE LOCK=NONE;", ""},
    {MYSQL, "ALTER TABLE users ADD INDEX users_email (email), ALGORITHM=INPLACE, LOCK=NONE;", ""},
    /* drop-index-blocking */
    {PG, "DROP INDEX users_email;", "1:drop-index-blocking:error"},
    {PG, "-- shardwave: no-transaction\nDROP INDEX CONCURRENTLY users_email;", ""},
    {MYSQL, "DROP INDEX users_email ON users;", ""},
    /* concurrently-in-transaction */
    {PG, "CREATE INDEX CONCURRENTLY users_email ON users (email);",
     "1:concurrently-in-transaction:error"},
    {PG, "DROP INDEX CONCURRENTLY users_email;", "1:concurrently-in-transaction:error"},
    {PG, "REINDEX INDEX CONCURRENTLY users_email;", "1:concurrently-in-transaction:error"},
    {PG, "-- shardwave: no-transaction\nREINDEX INDEX CONCURRENTLY users_email;", ""},
    /* add-foreign-key */
    {PG, "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);",
     "1:add-foreign-key:error"},
    {PG,
     "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id) NOT "
     "VALID;",
     ""},
    {PG,
     "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID;\n"
     "ALTER TABLE orders VALIDATE CONSTRAINT fk;",
     "2:add-foreign-key:error"},
    {PG,
     "-- shardwave: no-transaction\n"
     "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES users (id) NOT VALID;\n"
     "ALTER TABLE orders VALIDATE CONSTRAINT fk;",
     ""},
    {PG, "ALTER TABLE orders VALIDATE CONSTRAINT fk;", ""},
    {MYSQL, "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);",
     "1:add-foreign-key:error"},
    {MYSQL,
     "SET foreign_key_checks = 0;\nALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) "
     "REFERENCES users (id), ALGORITHM=INPLACE, LOCK=NONE;\nSET foreign_key_checks = 1;",
     ""},
    /* add-check-constraint */
    {PG, "ALTER TABLE orders ADD CONSTRAINT qty CHECK (qty > 0);", "1:add-check-constraint:error"},
    {PG, "ALTER TABLE orders ADD CONSTRAINT qty CHECK (qty > 0) NOT VALID;", ""},
    {MYSQL, "ALTER TABLE orders ADD CONSTRAINT qty CHECK (qty > 0);",
     "1:add-check-constraint:error"},
    {MYSQL, "ALTER TABLE orders ADD CONSTRAINT qty CHECK (qty > 0) NOT ENFORCED;", ""},
    /* add-unique-constraint */
    {PG, "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
     "1:add-unique-constraint:error"},
    {PG, "ALTER TABLE users ADD PRIMARY KEY (id);", "1:add-unique-constraint:error"},
    {PG, "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email;", ""},
    {PG, "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id;", ""},
    {MYSQL, "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
     "1:add-unique-constraint:error"},
    {MYSQL, "ALTER TABLE users ADD UNIQUE KEY users_email_key (email), LOCK=NONE;", ""},
    /* truncate */
    {PG, "TRUNCATE users;", "1:truncate:error"},
    {PG, "DELETE FROM sessions WHERE expires < now();", ""},
    {MYSQL, "TRUNCATE TABLE users;", "1:truncate:error"},
    {MYSQL, "DELETE FROM sessions WHERE expires < NOW();", ""},
    /* vacuum-full, cluster */
    {PG, "VACUUM FULL users;", "1:vacuum-full:error"},
    {PG, "VACUUM (FULL false) users;", ""},
    {PG, "VACUUM users;", ""},
    {SQLITE, "VACUUM;", "1:vacuum-full:error"},
    {PG, "CLUSTER users USING users_pkey;", "1:cluster:error"},
    {PG, "ANALYZE users;", ""},
    /* alter-table-copy (MySQL) */
    {MYSQL, "ALTER TABLE users CONVERT TO CHARACTER SET utf8mb4;", "1:alter-table-copy:error"},
    {MYSQL, "ALTER TABLE users ADD COLUMN nick varchar(20), ALGORITHM=COPY;",
     "1:alter-table-copy:error"},
    {MYSQL, "ALTER TABLE users ADD COLUMN nick varchar(20) AFTER name;",
     "1:alter-table-copy:warning"},
    {MYSQL, "ALTER TABLE users ENGINE=InnoDB;", "1:alter-table-copy:error"},
    {MYSQL, "ALTER TABLE users ENGINE=InnoDB, ALGORITHM=INPLACE, LOCK=NONE;", ""},
    {MYSQL, "ALTER TABLE users ADD COLUMN nick varchar(20);", ""},
    {MYSQL, "ALTER TABLE users ADD COLUMN nick varchar(20) AFTER name, ALGORITHM=INSTANT;", ""},
    {MYSQL, "ALTER TABLE users ALTER COLUMN status SET DEFAULT 'x';", ""},
    /* table-rebuild (SQLite) */
    {SQLITE,
     "CREATE TABLE users_new (id integer primary key, email text not null);\n"
     "INSERT INTO users_new SELECT id, email FROM users;\n"
     "DROP TABLE users;\n"
     "ALTER TABLE users_new RENAME TO users;",
     "3:table-rebuild:warning"},
    {SQLITE, "CREATE TABLE t (id);\nALTER TABLE t RENAME TO u;", ""},
    /* Things the recognisers must not trip on. */
    {MYSQL, "/*!40101 SET NAMES utf8 */;\nINSERT INTO t VALUES ('DROP TABLE x');", ""},
    {MYSQL, "/*!50100 ALTER TABLE t DROP COLUMN c */;", "1:drop-column:error"},
    {PG, "INSERT INTO t VALUES ('DROP TABLE x');\nCOMMENT ON TABLE t IS 'TRUNCATE';", ""},
    /* A CREATE TABLE the parser rejects still makes its table new for the rest of the file. */
    {PG,
     "CREATE TABLE \"T\" (id INTEGER PRIMARY KEY AUTOINCREMENT);\nCREATE INDEX i ON \"T\" (id);",
     "1:unparsed-statement:warning"},
    {PG,
     "CREATE FUNCTION f() RETURNS int AS $$ BEGIN DROP TABLE x; RETURN 1; END $$ LANGUAGE "
     "plpgsql;",
     ""},
};

static void format_findings(const struct lint_report *r, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_findings && n < cap; i++) {
        const struct lint_finding *f = &r->findings[i];
        int w = snprintf(buf + n, cap - n, "%s%d:%s:%s", i ? " " : "", f->line, f->rule_id,
                         lint_severity_name(f->severity));
        n += w > 0 ? (size_t)w : 0;
    }
}

static void test_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rule_cases / sizeof rule_cases[0]; i++) {
        const struct rule_case *c = &rule_cases[i];
        struct lint_report r;
        struct sw_err err = {0};
        char got[1024];
        lint_report_init(&r);
        int rc = lint_sql(c->engine, "V2__change.sql", c->sql, strlen(c->sql), &r, &err);
        if (rc != 0) {
            print_error("case %zu (%s): %s\n", i, migset_engine_name(c->engine), err.msg);
        }
        assert_int_equal(rc, 0);
        format_findings(&r, got, sizeof got);
        if (strcmp(got, c->expect) != 0) {
            print_error("case %zu (%s): %s\n", i, migset_engine_name(c->engine), c->sql);
        }
        assert_string_equal(got, c->expect);
        lint_report_cleanup(&r);
    }
}

/* Every rule in the catalogue has a true positive above (rule ids stay honest). */
static void test_every_rule_has_a_case(void **state)
{
    (void)state;
    for (size_t k = 0; k < lint_rule_count(); k++) {
        const char *id = lint_rule_at(k)->id;
        bool found = strcmp(id, "unparsed-statement") == 0; /* tested below */
        for (size_t i = 0; !found && i < sizeof rule_cases / sizeof rule_cases[0]; i++) {
            const char *p = strstr(rule_cases[i].expect, id);
            found = p != NULL && p[-1] == ':' && p[strlen(id)] == ':';
        }
        if (!found) {
            print_error("rule %s has no test case\n", id);
        }
        assert_true(found);
        assert_ptr_equal(lint_rule_find(id), lint_rule_at(k));
    }
    assert_null(lint_rule_find("drop-tabel"));
}

struct ack_case {
    enum migset_engine engine;
    const char *file;
    const char *sql;
    bool acknowledged;
    const char *directive;
    const char *reason;
    bool down;
};

static const struct ack_case ack_cases[] = {
    {PG, "V3__drop.sql",
     "-- shardwave: destructive-ok email moved to contacts\nALTER TABLE u DROP COLUMN email;", true,
     "destructive-ok", "email moved to contacts", false},
    {PG, "V3__drop.sql",
     "-- shardwave: allow drop-column unused since 2.3\nALTER TABLE u DROP email;", true, "allow",
     "unused since 2.3", false},
    /* destructive-ok does not cover a locking finding. */
    {PG, "V3__idx.sql", "-- shardwave: destructive-ok not this one\nCREATE INDEX i ON u (a);",
     false, "", "", false},
    {PG, "V3__idx.sql",
     "-- shardwave: allow create-index-blocking table has 10 rows\nCREATE INDEX i ON u (a);", true,
     "allow", "table has 10 rows", false},
    /* An allow of another rule acknowledges nothing here. */
    {PG, "V3__drop.sql", "-- shardwave: allow truncate no\nALTER TABLE u DROP email;", false, "",
     "", false},
    {PG, "U3__add.sql", "ALTER TABLE u DROP COLUMN email;", false, "", "", true},
    {MYSQL, "V3__drop.mysql.sql", "-- shardwave: destructive-ok gone since 2.0\nDROP TABLE old;",
     true, "destructive-ok", "gone since 2.0", false},
    {MYSQL, "V3__idx.mysql.sql",
     "-- shardwave: allow alter-table-copy tiny table\nALTER TABLE u CONVERT TO CHARACTER SET "
     "utf8mb4;",
     true, "allow", "tiny table", false},
    {MYSQL, "U3__add.mysql.sql", "ALTER TABLE u DROP COLUMN email;", false, "", "", true},
    {SQLITE, "V3__r.sqlite.sql",
     "-- shardwave: allow rename-column app 4 reads both\nALTER TABLE "
     "u RENAME COLUMN a TO b;",
     true, "allow", "app 4 reads both", false},
    {SQLITE, "U3__add.sqlite.sql", "ALTER TABLE u DROP COLUMN email;", false, "", "", true},
};

static void test_acknowledgements(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ack_cases / sizeof ack_cases[0]; i++) {
        const struct ack_case *c = &ack_cases[i];
        struct lint_report r;
        struct sw_err err = {0};
        lint_report_init(&r);
        assert_int_equal(lint_sql(c->engine, c->file, c->sql, strlen(c->sql), &r, &err), 0);
        assert_int_equal(r.n_findings, 1);
        const struct lint_finding *f = &r.findings[0];
        assert_int_equal(f->acknowledged, c->acknowledged);
        assert_string_equal(f->ack_directive, c->directive);
        assert_string_equal(f->ack_reason, c->reason);
        assert_int_equal(f->in_down_file, c->down);
        bool info = c->acknowledged || c->down;
        assert_int_equal(f->severity, info ? LINT_SEVERITY_INFO : LINT_SEVERITY_ERROR);
        assert_int_equal(lint_report_is_clean(&r), info);
        assert_int_equal(r.n_infos, info ? 1 : 0);
        assert_int_equal(r.n_errors, info ? 0 : 1);
        lint_report_cleanup(&r);
    }
}

struct err_case {
    enum migset_engine engine;
    const char *sql;
    const char *msg;
};

static const struct err_case err_cases[] = {
    {PG, "-- shardwave: allow drop-tabel reason\nDROP TABLE t;",
     "V5__x.sql:1: allow: unknown lint rule 'drop-tabel'"},
    {PG, "-- shardwave: destructive-ok\nDROP TABLE t;",
     "V5__x.sql:1: destructive-ok needs a reason"},
    {PG, "-- shardwave: allow drop-table\nDROP TABLE t;",
     "V5__x.sql:1: allow needs a rule id and a reason"},
    {MYSQL, "SELECT 'unterminated;\n", "V5__x.sql: line 1: unterminated string starting here"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof err_cases / sizeof err_cases[0]; i++) {
        struct lint_report r;
        struct sw_err err = {0};
        lint_report_init(&r);
        const char *sql = err_cases[i].sql;
        assert_int_equal(lint_sql(err_cases[i].engine, "V5__x.sql", sql, strlen(sql), &r, &err),
                         SW_EINVAL);
        assert_string_equal(err.msg, err_cases[i].msg);
        lint_report_cleanup(&r);
    }
}

static void test_unknown_rule_hint(void **state)
{
    (void)state;
    struct lint_report r;
    struct sw_err err = {0};
    const char *sql = "-- shardwave: allow nope because\nSELECT 1;";
    lint_report_init(&r);
    assert_int_equal(lint_sql(PG, "V1__a.sql", sql, strlen(sql), &r, &err), SW_EINVAL);
    assert_non_null(strstr(err.hint, "rules: drop-table, drop-column, "));
    assert_non_null(strstr(err.hint, "unparsed-statement"));
    lint_report_cleanup(&r);
}

/* The splitter accepts it (scanner fallback) but the PostgreSQL 15 parser does not. */
static void test_unparsed_statement(void **state)
{
    (void)state;
    struct lint_report r;
    struct sw_err err = {0};
    const char *sql = "SELECT 1;\nMERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE "
                      "RETURNING *;";
    lint_report_init(&r);
    assert_int_equal(lint_sql(PG, "V1__a.sql", sql, strlen(sql), &r, &err), 0);
    assert_int_equal(r.n_findings, 1);
    assert_string_equal(r.findings[0].rule_id, "unparsed-statement");
    assert_int_equal(r.findings[0].line, 2);
    assert_int_equal(r.findings[0].severity, LINT_SEVERITY_WARNING);
    assert_string_equal(r.findings[0].message, "the parser says: syntax error");
    lint_report_cleanup(&r);
}

static void test_finding_fields(void **state)
{
    (void)state;
    struct lint_report r;
    struct sw_err err = {0};
    const char *sql = "-- drop it\n\nALTER TABLE   users\n   DROP COLUMN email;\n";
    lint_report_init(&r);
    assert_int_equal(lint_sql(MYSQL, "V7__drop_email.mysql.sql", sql, strlen(sql), &r, &err), 0);
    assert_int_equal(r.n_findings, 1);
    const struct lint_finding *f = &r.findings[0];
    assert_string_equal(f->file, "V7__drop_email.mysql.sql");
    assert_int_equal(f->line, 3);
    assert_int_equal(f->engine, MYSQL);
    assert_int_equal(f->cls, LINT_CLASS_DESTRUCTIVE);
    assert_string_equal(f->statement, "ALTER TABLE users DROP COLUMN email");
    assert_string_equal(f->message, "drops column users.email");
    assert_string_equal(f->why, lint_rule_find("drop-column")->why[MYSQL]);
    assert_string_equal(f->safe, lint_rule_find("drop-column")->safe[MYSQL]);
    assert_string_equal(f->version_text, "");
    char head[256];
    assert_string_equal(lint_finding_headline(f, head, sizeof head),
                        "V7__drop_email.mysql.sql:3 drop-column destructive error (mysql)");
    assert_int_equal(r.n_files, 1);
    assert_int_equal(r.n_statements, 1);
    lint_report_cleanup(&r);
}

static void test_excerpt_is_bounded(void **state)
{
    (void)state;
    char sql[2000];
    int n = snprintf(sql, sizeof sql, "DROP TABLE t%0400d;", 7);
    struct lint_report r;
    struct sw_err err = {0};
    lint_report_init(&r);
    assert_int_equal(lint_sql(PG, "V1__a.sql", sql, (size_t)n, &r, &err), 0);
    assert_int_equal(r.n_findings, 1);
    assert_int_equal(strlen(r.findings[0].statement), LINT_EXCERPT_MAX + 3);
    assert_string_equal(r.findings[0].statement + LINT_EXCERPT_MAX, "...");
    lint_report_cleanup(&r);
}

static void test_json(void **state)
{
    (void)state;
    struct lint_report r;
    struct sw_err err = {0};
    const char *sql = "-- shardwave: allow truncate test fixture table\nTRUNCATE t;\nDROP TABLE u;";
    lint_report_init(&r);
    assert_int_equal(lint_sql(PG, "V2__x.sql", sql, strlen(sql), &r, &err), 0);
    json_t *j = lint_report_json(&r);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(
        text,
        "{\"ok\":false,\"files\":1,\"statements\":2,\"errors\":1,\"warnings\":0,\"infos\":1,"
        "\"findings\":[{\"rule\":\"truncate\",\"class\":\"destructive\",\"severity\":\"info\","
        "\"engine\":\"pg\",\"file\":\"V2__x.sql\",\"version\":null,\"line\":2,\"statement\":"
        "\"TRUNCATE t\",\"message\":\"empties table t\",\"why\":\"every row is gone, and TRUNCATE "
        "takes an ACCESS EXCLUSIVE lock\",\"safe\":\"delete the rows the change really needs "
        "gone, in batches, or acknowledge with '-- shardwave: destructive-ok <reason>'\","
        "\"acknowledged\":true,\"ack_directive\":\"allow\",\"ack_reason\":\"test fixture "
        "table\",\"down\":false},{\"rule\":\"drop-table\",\"class\":\"destructive\",\"severity\":"
        "\"error\",\"engine\":\"pg\",\"file\":\"V2__x.sql\",\"version\":null,\"line\":3,"
        "\"statement\":\"DROP TABLE u\",\"message\":\"drops table u\",\"why\":\"the data is gone "
        "and the application version still running during the wave fails on every query that "
        "names the table\",\"safe\":\"expand/contract: stop using it in the application and "
        "deploy that first; then drop it in a later migration acknowledged with '-- shardwave: "
        "destructive-ok <reason>'\",\"acknowledged\":false,\"ack_directive\":null,"
        "\"ack_reason\":null,\"down\":false}]}");
    free(text);
    json_decref(j);
    lint_report_cleanup(&r);
}

/* lint_set over an in-memory set: per engine, variants win, versions are carried. */
static void test_set(void **state)
{
    (void)state;
    static const char *const names[] = {"V1__init.sql", "U1__init.sql", "V2__idx.pg.sql",
                                        "V2__idx.mysql.sql", "V2__idx.sqlite.sql"};
    static const char *const texts[] = {
        "CREATE TABLE u (id int, e text);\nCREATE INDEX u_e ON u (e);\n", "DROP TABLE u;\n",
        "CREATE INDEX u_id ON u (id);\n",
        "CREATE INDEX u_id ON u (id) ALGORITHM=INPLACE LOCK=NONE;\n",
        "CREATE INDEX u_id ON u (id);\n"};
    struct migset_mem_file files[5];
    for (size_t i = 0; i < 5; i++) {
        files[i] = (struct migset_mem_file){names[i], texts[i], strlen(texts[i])};
    }
    struct migset *set = NULL;
    struct sw_err err = {0};
    assert_int_equal(migset_load_files(files, 5, NULL, &set, &err), 0);
    struct lint_report r;
    lint_report_init(&r);
    assert_int_equal(lint_set(set, LINT_ALL_ENGINES, &r, &err), 0);
    char got[512];
    format_findings(&r, got, sizeof got);
    assert_string_equal(got, "1:drop-table:info 1:drop-table:info 1:drop-table:info "
                             "1:create-index-blocking:error");
    assert_string_equal(r.findings[3].file, "V2__idx.pg.sql");
    assert_string_equal(r.findings[3].version_text, "2");
    assert_true(r.findings[0].in_down_file);
    assert_int_equal(r.n_files, 9);
    lint_report_cleanup(&r);
    lint_report_init(&r);
    assert_int_equal(lint_set(set, LINT_ENGINE_BIT(MYSQL), &r, &err), 0);
    assert_int_equal(r.n_findings, 1);
    assert_int_equal(r.findings[0].engine, MYSQL);
    lint_report_cleanup(&r);
    migset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_every_rule_has_a_case),
        cmocka_unit_test(test_acknowledgements),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unknown_rule_hint),
        cmocka_unit_test(test_unparsed_statement),
        cmocka_unit_test(test_finding_fields),
        cmocka_unit_test(test_excerpt_is_bounded),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
