/*
 * Statement splitting: the public entry point, the statement list builder and
 * the comment rules of each dialect. The engine-specific scanners live in
 * split_pg.c, split_mysql.c and split_sqlite.c.
 */
#include "sqlsplit.h"

#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sqlsplit_impl.h"

#define SQLSPLIT_INITIAL_CAP 16

static bool sqlsplit_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Position of the '\n' ending the line that contains pos, or end. */
static size_t sqlsplit_skip_line(const char *s, size_t pos, size_t end)
{
    const char *nl = memchr(s + pos, '\n', end - pos);
    return nl == NULL ? end : (size_t)(nl - s);
}

/* pos is at a comment opener; returns the offset after its closer, or end when
 * it is unterminated. PostgreSQL block comments nest, SQLite/MySQL ones do not. */
static size_t sqlsplit_skip_block(const char *s, size_t pos, size_t end, bool is_nested)
{
    int depth = 0;
    while (pos + 1 < end) {
        if (s[pos] == '/' && s[pos + 1] == '*' && (depth == 0 || is_nested)) {
            depth++;
            pos += 2;
        } else if (s[pos] == '*' && s[pos + 1] == '/') {
            pos += 2;
            if (--depth == 0) {
                return pos;
            }
        } else {
            pos++;
        }
    }
    return end;
}

bool sqlsplit_mysql_dashdash_at(const char *s, size_t pos, size_t end)
{
    if (pos + 1 >= end || s[pos] != '-' || s[pos + 1] != '-') {
        return false;
    }
    /* MySQL: "--" starts a comment only when followed by a space or control char. */
    return pos + 2 == end || (unsigned char)s[pos + 2] <= ' ' || s[pos + 2] == 0x7f;
}

bool sqlsplit_mysql_exec_comment_at(const char *s, size_t pos, size_t end)
{
    if (pos + 2 >= end || s[pos] != '/' || s[pos + 1] != '*') {
        return false;
    }
    if (s[pos + 2] == '!' || s[pos + 2] == '+') {
        return true;
    }
    return pos + 3 < end && s[pos + 2] == 'M' && s[pos + 3] == '!';
}

/* Length of the comment at pos in `engine`'s dialect (through its end), 0 if none. */
static size_t sqlsplit_comment_len(enum migset_engine engine, const char *s, size_t pos, size_t end)
{
    bool is_block = pos + 1 < end && s[pos] == '/' && s[pos + 1] == '*';
    bool is_dashdash = pos + 1 < end && s[pos] == '-' && s[pos + 1] == '-';
    switch (engine) {
    case MIGSET_ENGINE_PG:
    case MIGSET_ENGINE_SQLITE:
        if (is_dashdash) {
            return sqlsplit_skip_line(s, pos, end) - pos;
        }
        if (is_block) {
            return sqlsplit_skip_block(s, pos, end, engine == MIGSET_ENGINE_PG) - pos;
        }
        return 0;
    case MIGSET_ENGINE_MYSQL:
        if (s[pos] == '#' || sqlsplit_mysql_dashdash_at(s, pos, end)) {
            return sqlsplit_skip_line(s, pos, end) - pos;
        }
        if (is_block && !sqlsplit_mysql_exec_comment_at(s, pos, end)) {
            return sqlsplit_skip_block(s, pos, end, false) - pos;
        }
        return 0;
    case MIGSET_ENGINE_COUNT:
        break;
    }
    assert(!"unknown engine");
    return 0;
}

size_t sqlsplit_skip_blank(enum migset_engine engine, const char *script, size_t pos, size_t end)
{
    while (pos < end) {
        if (sqlsplit_is_space(script[pos])) {
            pos++;
            continue;
        }
        size_t n = sqlsplit_comment_len(engine, script, pos, end);
        if (n == 0) {
            break;
        }
        pos += n;
    }
    return pos;
}

int sqlsplit_builder_line(struct sqlsplit_builder *b, size_t offset)
{
    if (offset < b->line_offset) {
        b->line_offset = 0;
        b->line_no = 1;
    }
    for (size_t i = b->line_offset; i < offset && i < b->len; i++) {
        if (b->script[i] == '\n') {
            b->line_no++;
        }
    }
    b->line_offset = offset;
    return b->line_no;
}

static int sqlsplit_builder_grow(struct sqlsplit_builder *b, struct sw_err *err)
{
    size_t cap = b->cap == 0 ? SQLSPLIT_INITIAL_CAP : b->cap * 2;
    if (cap > SQLSPLIT_MAX_STMTS) {
        cap = SQLSPLIT_MAX_STMTS;
    }
    struct sqlsplit_stmt *stmts = realloc(b->out->stmts, cap * sizeof *stmts);
    if (stmts == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory splitting a script into statements");
    }
    b->out->stmts = stmts;
    b->cap = cap;
    return 0;
}

int sqlsplit_builder_add(struct sqlsplit_builder *b, size_t begin, size_t end, struct sw_err *err)
{
    assert(begin <= end && end <= b->len);
    begin = sqlsplit_skip_blank(b->engine, b->script, begin, end);
    while (end > begin && sqlsplit_is_space(b->script[end - 1])) {
        end--;
    }
    if (begin == end) {
        return 0;
    }
    int line = sqlsplit_builder_line(b, begin);
    if (b->out->n_stmts == SQLSPLIT_MAX_STMTS) {
        return sw_err_set(err, SW_ETOOBIG, "line %d: more than %d statements in one script", line,
                          SQLSPLIT_MAX_STMTS);
    }
    if (b->out->n_stmts == b->cap) {
        int rc = sqlsplit_builder_grow(b, err);
        if (rc < 0) {
            return rc;
        }
    }
    b->out->stmts[b->out->n_stmts++] =
        (struct sqlsplit_stmt){.offset = begin, .len = end - begin, .line = line};
    return 0;
}

static int sqlsplit_dispatch(struct sqlsplit_builder *b, struct sw_err *err)
{
    switch (b->engine) {
    case MIGSET_ENGINE_PG:
        return split_pg(b, err);
    case MIGSET_ENGINE_MYSQL:
        return split_mysql(b, err);
    case MIGSET_ENGINE_SQLITE:
        return split_sqlite(b, err);
    case MIGSET_ENGINE_COUNT:
        break;
    }
    return sw_err_set(err, SW_EINTERNAL, "cannot split statements: unknown engine %d",
                      (int)b->engine);
}

/* Editors on Windows start files with a UTF-8 byte order mark; no server accepts
 * it as SQL, so it is not part of the first statement. */
static size_t sqlsplit_bom_len(const char *script, size_t len)
{
    return len >= 3 && memcmp(script, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

int sqlsplit_split(enum migset_engine engine, const char *script, size_t len,
                   struct sqlsplit_result *out, struct sw_err *err)
{
    assert(out != NULL && (script != NULL || len == 0));
    *out = (struct sqlsplit_result){0};
    if (len == 0) {
        return 0;
    }
    const char *nul = memchr(script, '\0', len);
    if (nul != NULL) {
        return sw_err_set(err, SW_EINVAL, "line %d: NUL byte in SQL text (is this a binary file?)",
                          sqlsplit_line_of(script, (size_t)(nul - script)));
    }
    size_t bom = sqlsplit_bom_len(script, len);
    struct sqlsplit_builder b = {
        .engine = engine, .script = script + bom, .len = len - bom, .out = out, .line_no = 1};
    int rc = sqlsplit_dispatch(&b, err);
    if (rc < 0) {
        sqlsplit_result_cleanup(out);
        return rc;
    }
    for (size_t i = 0; i < out->n_stmts; i++) {
        out->stmts[i].offset += bom;
    }
    return 0;
}

void sqlsplit_result_cleanup(struct sqlsplit_result *r)
{
    if (r == NULL) {
        return;
    }
    free(r->stmts);
    r->stmts = NULL;
    r->n_stmts = 0;
}

int sqlsplit_line_of(const char *script, size_t offset)
{
    int line = 1;
    for (size_t i = 0; i < offset && script[i] != '\0'; i++) {
        if (script[i] == '\n') {
            line++;
        }
    }
    return line;
}
