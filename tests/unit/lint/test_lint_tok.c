/*
 * Unit tests for proto/lint/lint_tok.c, the MySQL/SQLite recognisers' tokenizer: quotes
 * per engine, comments, MySQL executable comments read as code, parenthesis depth.
 * Tokens are written "<kind><depth>:<text>" (W word, I quoted identifier, S string,
 * P punctuation) joined by spaces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lint_tok.h"

struct tok_case {
    enum migset_engine engine;
    const char *sql;
    const char *expect;
};

static const struct tok_case tok_cases[] = {
    {MIGSET_ENGINE_MYSQL, "ALTER TABLE `my``t` ADD c INT",
     "W0:ALTER W0:TABLE I0:my``t W0:ADD W0:c W0:INT"},
    {MIGSET_ENGINE_MYSQL, "SELECT 'a\\'b', \"c\" # note\n, 1",
     "W0:SELECT S0:a\\'b P0:, S0:c P0:, W0:1"},
    {MIGSET_ENGINE_MYSQL, "a--b -- comment\nc", "W0:a P0:- P0:- W0:b W0:c"},
    {MIGSET_ENGINE_MYSQL, "/*!50100 DROP */ x /* skip */ y", "W0:DROP W0:x W0:y"},
    {MIGSET_ENGINE_MYSQL, "/*M!100100 RENAME */ z", "W0:RENAME W0:z"},
    {MIGSET_ENGINE_MYSQL, "f(a, (b), c) d",
     "W0:f P0:( W1:a P1:, P1:( W2:b P1:) P1:, W1:c P0:) W0:d"},
    {MIGSET_ENGINE_MYSQL, "db.t", "W0:db P0:. W0:t"},
    {MIGSET_ENGINE_SQLITE, "\"my t\" [x y] 'it''s' --c\nz", "I0:my t I0:x y S0:it''s W0:z"},
    {MIGSET_ENGINE_SQLITE, "a/*b*/c", "W0:a W0:c"},
    {MIGSET_ENGINE_MYSQL, "'unterminated", "S0:unterminated"},
    {MIGSET_ENGINE_MYSQL, ") ) x", "P0:) P0:) W0:x"},
};

static void render(const struct lint_toks *tk, char *buf, size_t cap)
{
    static const char kinds[] = {'W', 'I', 'S', 'P'};
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < tk->n && n < cap; i++) {
        const struct lint_tok *t = &tk->t[i];
        int w = snprintf(buf + n, cap - n, "%s%c%d:%.*s", i ? " " : "", kinds[t->kind], t->depth,
                         (int)t->len, t->s);
        n += w > 0 ? (size_t)w : 0;
    }
}

static void test_tokenize(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof tok_cases / sizeof tok_cases[0]; i++) {
        struct lint_toks tk = {0};
        struct sw_err err = {0};
        char got[512];
        const char *sql = tok_cases[i].sql;
        assert_int_equal(lint_tokenize(tok_cases[i].engine, sql, strlen(sql), &tk, &err), 0);
        render(&tk, got, sizeof got);
        if (strcmp(got, tok_cases[i].expect) != 0) {
            print_error("case %zu: %s\n", i, sql);
        }
        assert_string_equal(got, tok_cases[i].expect);
        lint_toks_cleanup(&tk);
    }
}

static void test_helpers(void **state)
{
    (void)state;
    struct lint_toks tk = {0};
    struct sw_err err = {0};
    const char *sql = "drop TABLE `db`.`users`, x";
    assert_int_equal(lint_tokenize(MIGSET_ENGINE_MYSQL, sql, strlen(sql), &tk, &err), 0);
    assert_true(lint_tok_is(&tk, 0, "DROP"));
    assert_false(lint_tok_is(&tk, 0, "DRO"));
    assert_false(lint_tok_is(&tk, 2, "db")); /* quoted: a name, not a keyword */
    assert_true(lint_tok_is_name(&tk, 2));
    size_t i = 2;
    char name[32];
    assert_true(lint_tok_qname(&tk, &i, name, sizeof name));
    assert_string_equal(name, "users");
    assert_int_equal(i, 5);
    assert_true(lint_tok_punct(&tk, 5, ','));
    assert_false(lint_tok_qname(&tk, &i, name, sizeof name));
    assert_false(lint_tok_is(&tk, 99, "x"));
    lint_tok_text(&tk, 99, name, sizeof name);
    assert_string_equal(name, "?");
    lint_toks_cleanup(&tk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
