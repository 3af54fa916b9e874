/*
 * Unit tests for proto/sqlsplit: table-driven, one table per engine. Each case
 * gives a script and either the exact statements (text and line) or the exact
 * error message.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sqlsplit/sqlsplit.h"

#define MAX_EXPECTED 6

struct expect_stmt {
    const char *text;
    int line;
};

struct split_case {
    const char *name;
    const char *script;
    int code;          /* 0, or the expected SW_E* code */
    const char *error; /* exact message when code != 0 */
    size_t n_stmts;
    struct expect_stmt stmts[MAX_EXPECTED];
};

/* ---- PostgreSQL ---------------------------------------------------------------- */

static const struct split_case pg_cases[] = {
    {"empty", "", 0, NULL, 0, {{0}}},
    {"whitespace only", "  \n\t\n   ", 0, NULL, 0, {{0}}},
    {"comment only",
     "-- shardwave: no-transaction\n/* block; with ; */\n/* nested /* ; */ ; */\n-- end;\n",
     0,
     NULL,
     0,
     {{0}}},
    {"several statements",
     "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n\nINSERT INTO a VALUES (1);\n",
     0,
     NULL,
     3,
     {{"CREATE TABLE a (id int)", 1},
      {"CREATE TABLE b (id int)", 2},
      {"INSERT INTO a VALUES (1)", 4}}},
    {"comments with semicolons",
     "-- first; not a statement\nSELECT 1; /* c; d */ SELECT 2;\n"
     "/* nested /* ; */ still; comment */\nSELECT 3;",
     0,
     NULL,
     3,
     {{"SELECT 1", 2}, {"SELECT 2", 2}, {"SELECT 3", 4}}},
    {"strings with semicolons and escaped quotes",
     "INSERT INTO t VALUES ('a;b', 'it''s; ok');\nSELECT E'x\\';y';\nSELECT \"col;name\" FROM t;\n",
     0,
     NULL,
     3,
     {{"INSERT INTO t VALUES ('a;b', 'it''s; ok')", 1},
      {"SELECT E'x\\';y'", 2},
      {"SELECT \"col;name\" FROM t", 3}}},
    {"dollar-quoted function bodies",
     "CREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.at := now();\n  RETURN NEW;\n"
     "END;\n$$ LANGUAGE plpgsql;\n"
     "CREATE FUNCTION one() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n",
     0,
     NULL,
     2,
     {{"CREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.at := now();\n  RETURN NEW;\n"
       "END;\n$$ LANGUAGE plpgsql",
       1},
      {"CREATE FUNCTION one() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql", 7}}},
    {"DO block",
     "SET lock_timeout = '5s';\nDO $do$\nBEGIN\n  PERFORM 1;\n  RAISE NOTICE 'x;y';\nEND\n$do$;\n",
     0,
     NULL,
     2,
     {{"SET lock_timeout = '5s'", 1},
      {"DO $do$\nBEGIN\n  PERFORM 1;\n  RAISE NOTICE 'x;y';\nEND\n$do$", 2}}},
    {"CREATE RULE with several actions",
     "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES "
     "(2));\nSELECT 1;",
     0,
     NULL,
     2,
     {{"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES "
       "(2))",
       1},
      {"SELECT 1", 2}}},
    {"BEGIN ATOMIC function body",
     "CREATE FUNCTION two() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\n"
     "END;\nSELECT two();\n",
     0,
     NULL,
     2,
     {{"CREATE FUNCTION two() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\n"
       "END",
       1},
      {"SELECT two()", 6}}},
    {"missing final semicolon",
     "SELECT 1;\nSELECT 2",
     0,
     NULL,
     2,
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"trailing spaces",
     "SELECT 1;   \n  SELECT 2  ;  \n\t\n",
     0,
     NULL,
     2,
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"leading comments move the line",
     "\n\n-- why\n  /* c */ ALTER TABLE t ADD COLUMN x int;",
     0,
     NULL,
     1,
     {{"ALTER TABLE t ADD COLUMN x int", 4}}},
    {"empty statements", ";;;\nSELECT 1;;\n;", 0, NULL, 1, {{"SELECT 1", 2}}},
    {"comment before the semicolon stays",
     "SELECT 1 -- why\n;",
     0,
     NULL,
     1,
     {{"SELECT 1 -- why", 1}}},
    {"syntax error still splits",
     "CREATE TABLE t (id int);\nALTER TABLEX t ADD x int;\nSELECT 1;",
     0,
     NULL,
     3,
     {{"CREATE TABLE t (id int)", 1}, {"ALTER TABLEX t ADD x int", 2}, {"SELECT 1", 3}}},
    {"unterminated dollar quote",
     "SELECT 1;\nSELECT $$abc;\n",
     SW_EINVAL,
     "line 2: unterminated dollar-quoted string",
     0,
     {{0}}},
    {"unterminated string",
     "SELECT 1;\n\nSELECT 'abc;\n",
     SW_EINVAL,
     "line 3: unterminated quoted string",
     0,
     {{0}}},
    {"unterminated comment",
     "SELECT 1;\n/* abc;\n",
     SW_EINVAL,
     "line 2: unterminated /* comment",
     0,
     {{0}}},
    {"statement without keyword is not dropped",
     "SELECT 1;\nSELEC 2;\nSELECT 3;",
     SW_EINVAL,
     "line 2: syntax error at or near \"SELEC\"",
     0,
     {{0}}},
    {"UTF-8 byte order mark",
     "\xEF\xBB\xBFSELECT 1;\nSELECT 2;",
     0,
     NULL,
     2,
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"psql meta-command",
     "\\echo hi\nSELECT 1;",
     SW_EINVAL,
     "line 1: psql meta-command \\echo is not SQL",
     0,
     {{0}}},
    {"psql meta-command without keyword",
     "SELECT 1;\n\\set x 1;\nSELECT 2;",
     SW_EINVAL,
     "line 2: psql meta-command \\set is not SQL",
     0,
     {{0}}},
    {"trailing garbage is not dropped",
     "SELECT 1;\n-- c\n  foo",
     SW_EINVAL,
     "line 3: syntax error at or near \"foo\"",
     0,
     {{0}}},
};

/* ---- SQLite -------------------------------------------------------------------- */

static const struct split_case sqlite_cases[] = {
    {"empty", "", 0, NULL, 0, {{0}}},
    {"comment only", "-- nothing; here\n/* block; */\n\n", 0, NULL, 0, {{0}}},
    {"several statements",
     "CREATE TABLE a (id INTEGER);\nCREATE INDEX a_id ON a (id);\n\nINSERT INTO a VALUES (1);",
     0,
     NULL,
     3,
     {{"CREATE TABLE a (id INTEGER)", 1},
      {"CREATE INDEX a_id ON a (id)", 2},
      {"INSERT INTO a VALUES (1)", 4}}},
    {"comments with semicolons",
     "-- a;\nSELECT 1; /* b; */ SELECT 2;\n-- c;\nSELECT 3 -- d;\n;",
     0,
     NULL,
     3,
     {{"SELECT 1", 2}, {"SELECT 2", 2}, {"SELECT 3 -- d;", 4}}},
    {"strings with semicolons and escaped quotes",
     "INSERT INTO t VALUES ('a;b', 'it''s; ok');\nSELECT \"x;y\", [z;w] FROM t;\n",
     0,
     NULL,
     2,
     {{"INSERT INTO t VALUES ('a;b', 'it''s; ok')", 1}, {"SELECT \"x;y\", [z;w] FROM t", 2}}},
    {"every SQLite quote style",
     "SELECT `a;b`, \"c\"\"d;\", 'e''f;', [g;h] FROM t;SELECT 2",
     0,
     NULL,
     2,
     {{"SELECT `a;b`, \"c\"\"d;\", 'e''f;', [g;h] FROM t", 1}, {"SELECT 2", 1}}},
    {"trigger with BEGIN END",
     "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);\n"
     "CREATE TRIGGER t_ai AFTER INSERT ON t\nBEGIN\n  UPDATE t SET n = n + 1 WHERE id = NEW.id;\n"
     "  INSERT INTO log VALUES ('x;y');\nEND;\nSELECT 1;\n",
     0,
     NULL,
     3,
     {{"CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)", 1},
      {"CREATE TRIGGER t_ai AFTER INSERT ON t\nBEGIN\n  UPDATE t SET n = n + 1 WHERE id = "
       "NEW.id;\n  INSERT INTO log VALUES ('x;y');\nEND",
       2},
      {"SELECT 1", 7}}},
    {"missing final semicolon",
     "SELECT 1;\nSELECT 2\n",
     0,
     NULL,
     2,
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"trigger without final semicolon",
     "CREATE TRIGGER tr AFTER DELETE ON t BEGIN DELETE FROM u; END",
     0,
     NULL,
     1,
     {{"CREATE TRIGGER tr AFTER DELETE ON t BEGIN DELETE FROM u; END", 1}}},
    {"final statement followed by a comment",
     "SELECT 1;\nSELECT 2 -- no semicolon",
     0,
     NULL,
     2,
     {{"SELECT 1", 1}, {"SELECT 2 -- no semicolon", 2}}},
    {"trailing spaces",
     "SELECT 1;   \n  SELECT 2  ;  \n",
     0,
     NULL,
     2,
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"empty statements", ";;\nSELECT 1;;", 0, NULL, 1, {{"SELECT 1", 2}}},
    {"unterminated string",
     "SELECT 1;\nSELECT 'abc;\n",
     SW_EINVAL,
     "line 2: statement never ends: unterminated string, comment or BEGIN ... END block "
     "starting here",
     0,
     {{0}}},
    {"UTF-8 byte order mark", "\xEF\xBB\xBF-- c\nSELECT 1;", 0, NULL, 1, {{"SELECT 1", 2}}},
    {"unterminated trigger",
     "SELECT 1;\n\nCREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1;\n",
     SW_EINVAL,
     "line 3: statement never ends: unterminated string, comment or BEGIN ... END block "
     "starting here",
     0,
     {{0}}},
};

/* ---- MySQL / MariaDB ------------------------------------------------------------ */

static const struct split_case mysql_cases[] = {
    {"empty", "", 0, NULL, 0, {{0}}},
    {"comment only", "-- c;\n# hash ;\n/* block ; */\n--\n", 0, NULL, 0, {{0}}},
    {"several statements",
     "CREATE TABLE a (id INT);\nCREATE TABLE b (id INT);\n\nINSERT INTO a VALUES (1);\n",
     0,
     NULL,
     3,
     {{"CREATE TABLE a (id INT)", 1},
      {"CREATE TABLE b (id INT)", 2},
      {"INSERT INTO a VALUES (1)", 4}}},
    {"comments with semicolons",
     "# a;\nSELECT 1; -- b;\n/* c; */ SELECT 2 # d;\n;\nSELECT 3--3;\n",
     0,
     NULL,
     3,
     {{"SELECT 1", 2}, {"SELECT 2 # d;", 3}, {"SELECT 3--3", 5}}},
    {"strings with semicolons and escaped quotes",
     "INSERT INTO t VALUES ('a;b', 'it''s; ok', 'back\\'slash;', \"dq;\\\"x\");\n"
     "SELECT `we;ird``name` FROM t;",
     0,
     NULL,
     2,
     {{"INSERT INTO t VALUES ('a;b', 'it''s; ok', 'back\\'slash;', \"dq;\\\"x\")", 1},
      {"SELECT `we;ird``name` FROM t", 2}}},
    {"executable comments are statement text",
     "/*!40101 SET NAMES utf8mb4 */;\n/* plain; */ SELECT /*+ NO_ICP(t) */ 1;",
     0,
     NULL,
     2,
     {{"/*!40101 SET NAMES utf8mb4 */", 1}, {"SELECT /*+ NO_ICP(t) */ 1", 2}}},
    {"DELIMITER $$ with a procedure and a trigger",
     "-- routines\nDELIMITER $$\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 'a;b';\n"
     "END$$\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  SET NEW.n = 1;\nEND $$\n"
     "DELIMITER ;\nSELECT 2;\n",
     0,
     NULL,
     3,
     {{"CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 'a;b';\nEND", 3},
      {"CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  SET NEW.n = 1;\nEND", 8},
      {"SELECT 2", 13}}},
    {"delimiter // in lower case",
     "delimiter //\nCREATE FUNCTION f() RETURNS INT DETERMINISTIC\nBEGIN\n  RETURN 1;\nEND //\n"
     "  Delimiter ;\nDROP TABLE x;",
     0,
     NULL,
     2,
     {{"CREATE FUNCTION f() RETURNS INT DETERMINISTIC\nBEGIN\n  RETURN 1;\nEND", 2},
      {"DROP TABLE x", 7}}},
    {"file ends while DELIMITER $$ is active",
     "DELIMITER $$\nCREATE PROCEDURE q() BEGIN SELECT 1; END$$\nCREATE PROCEDURE r() BEGIN "
     "SELECT 2; END\n",
     0,
     NULL,
     2,
     {{"CREATE PROCEDURE q() BEGIN SELECT 1; END", 2},
      {"CREATE PROCEDURE r() BEGIN SELECT 2; END", 3}}},
    {"DELIMITER only after a complete statement",
     "SELECT 1,\ndelimiter FROM t;\n",
     0,
     NULL,
     1,
     {{"SELECT 1,\ndelimiter FROM t", 1}}},
    {"missing final semicolon",
     "SELECT 1;\nSELECT 2",
     0,
     NULL,
     2,
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"trailing spaces",
     "SELECT 1 ;   \n  SELECT 2  ;  \n",
     0,
     NULL,
     2,
     {{"SELECT 1", 1}, {"SELECT 2", 2}}},
    {"empty statements", ";;\nSELECT 1;;", 0, NULL, 1, {{"SELECT 1", 2}}},
    {"UTF-8 byte order mark",
     "\xEF\xBB\xBF"
     "DELIMITER $$\nSELECT 1$$",
     0,
     NULL,
     1,
     {{"SELECT 1", 2}}},
    {"DELIMITER without a value",
     "SELECT 1;\nDELIMITER   \nSELECT 2;",
     SW_EINVAL,
     "line 2: DELIMITER needs a value",
     0,
     {{0}}},
    {"DELIMITER at end of file",
     "DELIMITER",
     SW_EINVAL,
     "line 1: DELIMITER needs a value",
     0,
     {{0}}},
    {"DELIMITER with a backslash",
     "DELIMITER \\\\\n",
     SW_EINVAL,
     "line 1: DELIMITER cannot contain a backslash",
     0,
     {{0}}},
    {"DELIMITER too long",
     "DELIMITER 12345678901234567\n",
     SW_EINVAL,
     "line 1: DELIMITER value is longer than 16 bytes",
     0,
     {{0}}},
    {"unterminated string",
     "SELECT 1;\nSELECT 'abc;\n",
     SW_EINVAL,
     "line 2: unterminated string starting here",
     0,
     {{0}}},
    {"string ending in a backslash",
     "SELECT 'abc\\';",
     SW_EINVAL,
     "line 1: unterminated string starting here",
     0,
     {{0}}},
    {"unterminated quoted identifier",
     "\nSELECT `abc;\n",
     SW_EINVAL,
     "line 2: unterminated quoted identifier starting here",
     0,
     {{0}}},
    {"unterminated comment",
     "SELECT 1;\n\n /* abc;",
     SW_EINVAL,
     "line 3: unterminated comment starting here",
     0,
     {{0}}},
};

static void check_case(enum migset_engine engine, const struct split_case *c)
{
    struct sqlsplit_result res = {0};
    struct sw_err err = {0};
    int rc = sqlsplit_split(engine, c->script, strlen(c->script), &res, &err);
    if (rc != c->code) {
        fail_msg("case '%s': rc %d, want %d (%s)", c->name, rc, c->code, err.msg);
    }
    if (c->code != 0) {
        if (strcmp(err.msg, c->error) != 0) {
            fail_msg("case '%s': error\n  got:  %s\n  want: %s", c->name, err.msg, c->error);
        }
        assert_null(res.stmts);
        assert_int_equal(res.n_stmts, 0);
        return;
    }
    if (res.n_stmts != c->n_stmts) {
        fail_msg("case '%s': %zu statements, want %zu", c->name, res.n_stmts, c->n_stmts);
    }
    for (size_t i = 0; i < res.n_stmts; i++) {
        const struct sqlsplit_stmt *st = &res.stmts[i];
        const struct expect_stmt *want = &c->stmts[i];
        if (st->len != strlen(want->text) || memcmp(c->script + st->offset, want->text, st->len)) {
            fail_msg("case '%s': statement %zu\n  got:  [%.*s]\n  want: [%s]", c->name, i,
                     (int)st->len, c->script + st->offset, want->text);
        }
        if (st->line != want->line) {
            fail_msg("case '%s': statement %zu on line %d, want %d", c->name, i, st->line,
                     want->line);
        }
        assert_int_equal(st->line, sqlsplit_line_of(c->script, st->offset));
    }
    sqlsplit_result_cleanup(&res);
}

static void test_pg_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pg_cases / sizeof pg_cases[0]; i++) {
        check_case(MIGSET_ENGINE_PG, &pg_cases[i]);
    }
}

static void test_sqlite_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sqlite_cases / sizeof sqlite_cases[0]; i++) {
        check_case(MIGSET_ENGINE_SQLITE, &sqlite_cases[i]);
    }
}

static void test_mysql_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof mysql_cases / sizeof mysql_cases[0]; i++) {
        check_case(MIGSET_ENGINE_MYSQL, &mysql_cases[i]);
    }
}

/* ---- Generated scripts -------------------------------------------------------------
 * Random sequences of tricky statements ("atoms") joined by delimiters, empty
 * statements, comments and whitespace (and, for MySQL, DELIMITER switches): the
 * splitter must give back exactly the atoms, at their offsets and lines. */

#define GEN_MAX_ATOMS 12
#define GEN_ROUNDS    1500

struct gen_spec {
    enum migset_engine engine;
    const char *const *atoms; /* statements valid with ";" */
    size_t n_atoms;
    const char *const *seps; /* NULL entry = an empty statement (the current delimiter) */
    size_t n_seps;
    const char *const *block_atoms; /* MySQL: statements valid only with DELIMITER $$ */
    size_t n_block_atoms;
};

struct gen {
    uint64_t seed;
    char buf[8192];
    size_t len;
    const char *delim;
    size_t n_atoms;
    size_t offsets[GEN_MAX_ATOMS];
    const char *atoms[GEN_MAX_ATOMS];
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const pg_atoms[] = {
    "SELECT 1",
    "SELECT 'a;b', 'it''s;'",
    "SELECT E'x\\';y'",
    "SELECT \"c;d\" FROM t",
    "DO $$ BEGIN PERFORM 1; END $$",
    "CREATE FUNCTION f() RETURNS int AS $f$ SELECT 1; $f$ LANGUAGE sql",
    "SELECT 1 /* in; /* nested; */ side */ + 2",
    "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)",
    "CREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
};
static const char *const pg_seps[] = {
    " ", "\n", "\n\n", "-- c;\n", "/* c; */", "/* a /* b; */ c */", "\t", NULL,
};
static const char *const sqlite_atoms[] = {
    "SELECT 1",
    "SELECT 'a;b', 'it''s;'",
    "SELECT \"c;d\", [e;f] FROM t",
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; SELECT 'x;y'; END",
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET n = CASE WHEN 1 THEN 2 END; END",
    "SELECT 1 /* in; side */ + 2",
};
static const char *const sqlite_seps[] = {" ", "\n", "-- c;\n", "/* c; */", "\t", NULL};
static const char *const mysql_atoms[] = {
    "SELECT 1",
    "SELECT 'a;b', 'it''s;', 'b\\'s;'",
    "SELECT `c;d`, \"e;\\\"f\" FROM t",
    "/*!40101 SET x = 1 */",
    "SELECT 1 /* in; side */ + 2",
    "SELECT 3--3",
};
static const char *const mysql_seps[] = {" ", "\n", "-- c;\n", "# h;\n", "/* c; */", "\t", NULL};
static const char *const mysql_block_atoms[] = {
    "CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 'a;b';\nEND",
    "CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.n = 1; END",
};

static unsigned gen_rand(struct gen *g, unsigned n)
{
    g->seed = g->seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((g->seed >> 33) % n);
}

static void gen_put(struct gen *g, const char *s)
{
    size_t n = strlen(s);
    assert_true(g->len + n < sizeof g->buf);
    memcpy(g->buf + g->len, s, n);
    g->len += n;
    g->buf[g->len] = '\0';
}

static void gen_seps(struct gen *g, const struct gen_spec *spec)
{
    for (unsigned k = gen_rand(g, 3); k > 0; k--) {
        const char *sep = spec->seps[gen_rand(g, (unsigned)spec->n_seps)];
        gen_put(g, sep != NULL ? sep : g->delim);
    }
}

static const char *gen_atom(struct gen *g, const struct gen_spec *spec)
{
    if (spec->n_block_atoms > 0 && gen_rand(g, 5) == 0) {
        gen_put(g, strcmp(g->delim, ";") == 0 ? "\nDELIMITER $$\n" : "\nDELIMITER ;\n");
        g->delim = strcmp(g->delim, ";") == 0 ? "$$" : ";";
    }
    if (strcmp(g->delim, "$$") == 0 && gen_rand(g, 2) == 0) {
        return spec->block_atoms[gen_rand(g, (unsigned)spec->n_block_atoms)];
    }
    return spec->atoms[gen_rand(g, (unsigned)spec->n_atoms)];
}

static void gen_script(struct gen *g, const struct gen_spec *spec)
{
    g->len = 0;
    g->buf[0] = '\0';
    g->delim = ";";
    g->n_atoms = 1 + gen_rand(g, GEN_MAX_ATOMS);
    gen_seps(g, spec);
    for (size_t i = 0; i < g->n_atoms; i++) {
        const char *atom = gen_atom(g, spec);
        g->atoms[i] = atom;
        g->offsets[i] = g->len;
        gen_put(g, atom);
        if (i + 1 == g->n_atoms && gen_rand(g, 3) == 0) {
            gen_put(g, gen_rand(g, 2) == 0 ? "\n" : "  "); /* no final delimiter */
            return;
        }
        gen_put(g, g->delim);
        gen_seps(g, spec);
    }
}

static void check_generated(const struct gen_spec *spec, uint64_t seed)
{
    struct gen g = {.seed = seed};
    for (int round = 0; round < GEN_ROUNDS; round++) {
        gen_script(&g, spec);
        struct sqlsplit_result res = {0};
        struct sw_err err = {0};
        int rc = sqlsplit_split(spec->engine, g.buf, g.len, &res, &err);
        if (rc != 0 || res.n_stmts != g.n_atoms) {
            fail_msg("round %d: rc %d (%s), %zu statements, want %zu, script:\n%s", round, rc,
                     err.msg, res.n_stmts, g.n_atoms, g.buf);
        }
        for (size_t i = 0; i < g.n_atoms; i++) {
            int line = 1;
            for (size_t k = 0; k < g.offsets[i]; k++) {
                line += g.buf[k] == '\n';
            }
            if (res.stmts[i].offset != g.offsets[i] || res.stmts[i].len != strlen(g.atoms[i]) ||
                res.stmts[i].line != line) {
                fail_msg("round %d: statement %zu is [%.*s] at %zu line %d, want [%s] at %zu "
                         "line %d, script:\n%s",
                         round, i, (int)res.stmts[i].len, g.buf + res.stmts[i].offset,
                         res.stmts[i].offset, res.stmts[i].line, g.atoms[i], g.offsets[i], line,
                         g.buf);
            }
        }
        sqlsplit_result_cleanup(&res);
    }
}

static void test_generated_scripts(void **state)
{
    (void)state;
    static const struct gen_spec specs[] = {
        {MIGSET_ENGINE_PG, pg_atoms, N_OF(pg_atoms), pg_seps, N_OF(pg_seps), NULL, 0},
        {MIGSET_ENGINE_SQLITE, sqlite_atoms, N_OF(sqlite_atoms), sqlite_seps, N_OF(sqlite_seps),
         NULL, 0},
        {MIGSET_ENGINE_MYSQL, mysql_atoms, N_OF(mysql_atoms), mysql_seps, N_OF(mysql_seps),
         mysql_block_atoms, N_OF(mysql_block_atoms)},
    };
    for (size_t i = 0; i < N_OF(specs); i++) {
        check_generated(&specs[i], 0x5eed0000u + i);
    }
}

/* The agent splits in every worker thread at once (libpg_query keeps per-thread
 * memory contexts): concurrent splits give the same statements as a serial one. */
#define THREAD_COUNT  4
#define THREAD_ROUNDS 200

static void *split_in_thread(void *arg)
{
    (void)arg;
    size_t bad = 0;
    for (int round = 0; round < THREAD_ROUNDS; round++) {
        for (size_t i = 0; i < N_OF(pg_cases); i++) {
            const struct split_case *c = &pg_cases[i];
            struct sqlsplit_result res = {0};
            struct sw_err err = {0};
            int rc = sqlsplit_split(MIGSET_ENGINE_PG, c->script, strlen(c->script), &res, &err);
            if (rc != c->code || res.n_stmts != c->n_stmts ||
                (c->code != 0 && strcmp(err.msg, c->error) != 0)) {
                bad++;
            }
            for (size_t k = 0; k < res.n_stmts && k < c->n_stmts; k++) {
                bad += res.stmts[k].len != strlen(c->stmts[k].text) ||
                       res.stmts[k].line != c->stmts[k].line;
            }
            sqlsplit_result_cleanup(&res);
        }
    }
    return (void *)(uintptr_t)bad;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t threads[THREAD_COUNT];
    for (int i = 0; i < THREAD_COUNT; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, split_in_thread, NULL), 0);
    }
    for (int i = 0; i < THREAD_COUNT; i++) {
        void *bad = NULL;
        assert_int_equal(pthread_join(threads[i], &bad), 0);
        assert_int_equal((uintptr_t)bad, 0);
    }
}

static void test_line_of(void **state)
{
    (void)state;
    static const struct {
        const char *script;
        size_t offset;
        int line;
    } cases[] = {
        {"", 0, 1},       {"abc", 2, 1},    {"a\nb", 1, 1},      {"a\nb", 2, 2},
        {"a\n\nb", 3, 3}, {"\n\n\n", 3, 4}, {"a\nb\nc\n", 4, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(sqlsplit_line_of(cases[i].script, cases[i].offset), cases[i].line);
    }
}

/* SQLSPLIT_MAX_STMTS statements split; one more is SW_ETOOBIG on every engine. */
static void test_too_many_statements(void **state)
{
    (void)state;
    static const char stmt[] = "SELECT 1;\n";
    size_t n = (size_t)SQLSPLIT_MAX_STMTS + 1;
    size_t len = n * (sizeof stmt - 1);
    char *script = malloc(len + 1);
    assert_non_null(script);
    for (size_t i = 0; i < n; i++) {
        memcpy(script + i * (sizeof stmt - 1), stmt, sizeof stmt - 1);
    }
    script[len] = '\0';
    char want[128];
    snprintf(want, sizeof want, "line %d: more than %d statements in one script",
             SQLSPLIT_MAX_STMTS + 1, SQLSPLIT_MAX_STMTS);
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        struct sqlsplit_result res = {0};
        struct sw_err err = {0};
        /* Exactly the maximum is fine. */
        size_t max_len = len - (sizeof stmt - 1);
        script[max_len] = '\0';
        assert_int_equal(sqlsplit_split((enum migset_engine)e, script, max_len, &res, &err), 0);
        script[max_len] = stmt[0];
        assert_int_equal(res.n_stmts, SQLSPLIT_MAX_STMTS);
        sqlsplit_result_cleanup(&res);
        assert_int_equal(sqlsplit_split((enum migset_engine)e, script, len, &res, &err),
                         SW_ETOOBIG);
        assert_string_equal(err.msg, want);
        assert_null(res.stmts);
        assert_int_equal(res.n_stmts, 0);
    }
    free(script);
}

/* A data backfill: one INSERT whose string values hold many ';' is one
 * statement on every engine (and splits without re-scanning per ';'). */
static void test_many_semicolons_in_strings(void **state)
{
    (void)state;
    static const char head[] = "INSERT INTO t VALUES ('a;b')";
    static const char more[] = ",('a;b')";
    static const char tail[] = ";\nSELECT 1;\n";
    size_t n_more = 20000;
    size_t insert_len = sizeof head - 1 + n_more * (sizeof more - 1);
    char *script = malloc(insert_len + sizeof tail);
    assert_non_null(script);
    memcpy(script, head, sizeof head - 1);
    for (size_t i = 0; i < n_more; i++) {
        memcpy(script + sizeof head - 1 + i * (sizeof more - 1), more, sizeof more - 1);
    }
    memcpy(script + insert_len, tail, sizeof tail);
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        struct sqlsplit_result res = {0};
        struct sw_err err = {0};
        assert_int_equal(sqlsplit_split((enum migset_engine)e, script, strlen(script), &res, &err),
                         0);
        assert_int_equal(res.n_stmts, 2);
        assert_int_equal(res.stmts[0].offset, 0);
        assert_int_equal(res.stmts[0].len, insert_len);
        assert_int_equal(res.stmts[1].offset, insert_len + 2);
        assert_int_equal(res.stmts[1].line, 2);
        sqlsplit_result_cleanup(&res);
    }
    free(script);
}

static void test_nul_byte(void **state)
{
    (void)state;
    static const char script[] = "SELECT 1;\nSELECT\0 2;";
    for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
        struct sqlsplit_result res = {0};
        struct sw_err err = {0};
        assert_int_equal(
            sqlsplit_split((enum migset_engine)e, script, sizeof script - 1, &res, &err),
            SW_EINVAL);
        assert_string_equal(err.msg, "line 2: NUL byte in SQL text (is this a binary file?)");
        assert_null(res.stmts);
    }
}

/* Cleanup is a no-op on NULL and on a zeroed result, and may be repeated. */
static void test_cleanup(void **state)
{
    (void)state;
    struct sqlsplit_result res = {0};
    struct sw_err err = {0};
    sqlsplit_result_cleanup(NULL);
    sqlsplit_result_cleanup(&res);
    assert_int_equal(sqlsplit_split(MIGSET_ENGINE_PG, "SELECT 1", 8, &res, &err), 0);
    assert_int_equal(res.n_stmts, 1);
    sqlsplit_result_cleanup(&res);
    assert_null(res.stmts);
    assert_int_equal(res.n_stmts, 0);
    sqlsplit_result_cleanup(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pg_cases),
        cmocka_unit_test(test_sqlite_cases),
        cmocka_unit_test(test_mysql_cases),
        cmocka_unit_test(test_generated_scripts),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_line_of),
        cmocka_unit_test(test_too_many_statements),
        cmocka_unit_test(test_many_semicolons_in_strings),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_cleanup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
