/*
 * PostgreSQL statement boundaries from libpg_query, the real PostgreSQL parser.
 * The parser's split is exact, including SQL-standard "BEGIN ATOMIC ... END"
 * bodies; a script it cannot parse (a typo, or syntax newer than its grammar)
 * is split by its scanner instead, and the server reports the error in place.
 */
#include <stdbool.h>
#include <string.h>

#include <pg_query.h>

#include "sqlsplit_impl.h"

#define SPLIT_PG_TOKEN_MAX 40

static int split_pg_error(const struct sqlsplit_builder *b, const PgQueryError *e,
                          struct sw_err *err)
{
    size_t offset = e->cursorpos > 0 ? (size_t)e->cursorpos - 1 : 0; /* cursorpos is 1-based */
    if (offset > b->len) {
        offset = b->len;
    }
    const char *msg = e->message != NULL ? e->message : "syntax error";
    /* Lexical errors quote the rest of the script "at or near"; the line says where. */
    const char *near = strstr(msg, " at or near ");
    int msg_len = near != NULL ? (int)(near - msg) : (int)strlen(msg);
    return sw_err_set(err, SW_EINVAL, "line %d: %.*s", sqlsplit_line_of(b->script, offset), msg_len,
                      msg);
}

static bool split_pg_is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

/* No SQL statement starts with a backslash: this is a psql meta-command, which
 * only psql understands; the server would report a confusing syntax error. */
static int split_pg_check_meta_command(const struct sqlsplit_builder *b, size_t begin,
                                       struct sw_err *err)
{
    begin = sqlsplit_skip_blank(MIGSET_ENGINE_PG, b->script, begin, b->len);
    if (begin >= b->len || b->script[begin] != '\\') {
        return 0;
    }
    size_t n = 1;
    while (begin + n < b->len && n < SPLIT_PG_TOKEN_MAX &&
           split_pg_is_word_char(b->script[begin + n])) {
        n++;
    }
    sw_err_set(err, SW_EINVAL, "line %d: psql meta-command %.*s is not SQL",
               sqlsplit_line_of(b->script, begin), (int)n, b->script + begin);
    sw_err_hint(err, "migrations run on the server, not in psql: use plain SQL statements");
    return SW_EINVAL;
}

/* The scanner silently drops a statement without any keyword token ("SELEC 1;"),
 * so check that only whitespace, comments and ';' lie between the statements. */
static int split_pg_check_gap(const struct sqlsplit_builder *b, size_t from, size_t to,
                              struct sw_err *err)
{
    for (;;) {
        from = sqlsplit_skip_blank(MIGSET_ENGINE_PG, b->script, from, to);
        if (from >= to || b->script[from] != ';') {
            break;
        }
        from++;
    }
    if (from >= to) {
        return 0;
    }
    if (b->script[from] == '\\') {
        return split_pg_check_meta_command(b, from, err);
    }
    size_t n = 1;
    while (from + n < to && n < SPLIT_PG_TOKEN_MAX && split_pg_is_word_char(b->script[from]) &&
           split_pg_is_word_char(b->script[from + n])) {
        n++;
    }
    return sw_err_set(err, SW_EINVAL, "line %d: syntax error at or near \"%.*s\"",
                      sqlsplit_line_of(b->script, from), (int)n, b->script + from);
}

static int split_pg_collect(struct sqlsplit_builder *b, const PgQuerySplitResult *r,
                            struct sw_err *err)
{
    size_t prev_end = 0;
    for (int i = 0; i < r->n_stmts; i++) {
        const PgQuerySplitStmt *st = r->stmts[i];
        if (st->stmt_location < 0 || st->stmt_len < 0 || (size_t)st->stmt_location < prev_end ||
            (size_t)st->stmt_location + (size_t)st->stmt_len > b->len) {
            return sw_err_set(err, SW_EINTERNAL,
                              "libpg_query returned statement %d outside the script (%d+%d)", i,
                              st->stmt_location, st->stmt_len);
        }
        size_t begin = (size_t)st->stmt_location;
        int rc = split_pg_check_gap(b, prev_end, begin, err);
        if (rc < 0) {
            return rc;
        }
        rc = split_pg_check_meta_command(b, begin, err);
        if (rc < 0) {
            return rc;
        }
        prev_end = begin + (size_t)st->stmt_len;
        rc = sqlsplit_builder_add(b, begin, prev_end, err);
        if (rc < 0) {
            return rc;
        }
    }
    return split_pg_check_gap(b, prev_end, b->len, err);
}

int split_pg(struct sqlsplit_builder *b, struct sw_err *err)
{
    int rc = 0;
    PgQuerySplitResult r = pg_query_split_with_parser(b->script);
    if (r.error != NULL) {
        pg_query_free_split_result(r);
        r = pg_query_split_with_scanner(b->script);
    }
    if (r.error != NULL) {
        rc = split_pg_error(b, r.error, err);
        goto out;
    }
    rc = split_pg_collect(b, &r, err);
out:
    pg_query_free_split_result(r);
    return rc;
}
