/*
 * MySQL/MariaDB statement boundaries, found the way the mysql command-line
 * client finds them: the current delimiter outside '...', "..." and `...`
 * quotes and comments, plus the client-side DELIMITER command, which is only a
 * client convention (the server never sees it). Executable comments stay in
 * the statement text.
 */
#include <stdbool.h>
#include <string.h>

#include "sqlsplit_impl.h"

#define SPLIT_MYSQL_DELIM_MAX 16 /* the mysql client's limit */

struct split_mysql_scan {
    struct sqlsplit_builder *b;
    const char *s;
    size_t len;
    size_t pos;
    size_t stmt_start; /* raw start of the current statement */
    bool has_tokens;   /* the current statement has more than whitespace/comments */
    char delim[SPLIT_MYSQL_DELIM_MAX + 1];
    size_t delim_len;
};

static bool split_mysql_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static char split_mysql_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive (ASCII) match of word[0..n) at s[pos..end). */
static bool split_mysql_match(const char *s, size_t pos, size_t end, const char *word, size_t n)
{
    if (end - pos < n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (split_mysql_lower(s[pos + i]) != split_mysql_lower(word[i])) {
            return false;
        }
    }
    return true;
}

/* If a DELIMITER command starts at sc->pos (a line start, allowing indentation),
 * returns the offset of its argument, else 0. */
static size_t split_mysql_delimiter_cmd(const struct split_mysql_scan *sc)
{
    size_t p = sc->pos;
    while (p < sc->len && split_mysql_is_blank(sc->s[p])) {
        p++;
    }
    if (!split_mysql_match(sc->s, p, sc->len, "delimiter", 9)) {
        return 0;
    }
    p += 9;
    if (p < sc->len && !split_mysql_is_blank(sc->s[p]) && sc->s[p] != '\n') {
        return 0; /* e.g. "delimiters" */
    }
    return p;
}

/* Applies "DELIMITER <value>" whose argument starts at arg; the rest of the line
 * after the value is ignored, as the mysql client does. */
static int split_mysql_set_delimiter(struct split_mysql_scan *sc, size_t arg, struct sw_err *err)
{
    int line = sqlsplit_builder_line(sc->b, sc->pos);
    size_t eol = arg;
    while (eol < sc->len && sc->s[eol] != '\n') {
        eol++;
    }
    while (arg < eol && split_mysql_is_blank(sc->s[arg])) {
        arg++;
    }
    size_t n = 0;
    while (arg + n < eol && !split_mysql_is_blank(sc->s[arg + n])) {
        n++;
    }
    if (n == 0) {
        return sw_err_set(err, SW_EINVAL, "line %d: DELIMITER needs a value", line);
    }
    if (n > SPLIT_MYSQL_DELIM_MAX) {
        return sw_err_set(err, SW_EINVAL, "line %d: DELIMITER value is longer than %d bytes", line,
                          SPLIT_MYSQL_DELIM_MAX);
    }
    if (memchr(sc->s + arg, '\\', n) != NULL) {
        return sw_err_set(err, SW_EINVAL, "line %d: DELIMITER cannot contain a backslash", line);
    }
    memcpy(sc->delim, sc->s + arg, n);
    sc->delim[n] = '\0';
    sc->delim_len = n;
    sc->pos = eol;
    sc->stmt_start = eol;
    return 0;
}

/* sc->pos is at an opening quote; moves past the closing one. Backslash escapes
 * apply in '...' and "...", doubled quotes in all three kinds. */
static int split_mysql_skip_quoted(struct split_mysql_scan *sc, struct sw_err *err)
{
    size_t open = sc->pos;
    char q = sc->s[open];
    size_t p = open + 1;
    while (p < sc->len) {
        if (sc->s[p] == '\\' && q != '`') {
            p += 2;
        } else if (sc->s[p] == q && p + 1 < sc->len && sc->s[p + 1] == q) {
            p += 2;
        } else if (sc->s[p] == q) {
            sc->pos = p + 1;
            return 0;
        } else {
            p++;
        }
    }
    return sw_err_set(err, SW_EINVAL, "line %d: unterminated %s starting here",
                      sqlsplit_builder_line(sc->b, open),
                      q == '`' ? "quoted identifier" : "string");
}

/* sc->pos is at a comment opener that is not an executable comment. */
static int split_mysql_skip_comment(struct split_mysql_scan *sc, struct sw_err *err)
{
    if (sc->s[sc->pos] != '/') {
        const char *nl = memchr(sc->s + sc->pos, '\n', sc->len - sc->pos);
        sc->pos = nl == NULL ? sc->len : (size_t)(nl - sc->s);
        return 0;
    }
    const char *close = NULL;
    if (sc->pos + 2 < sc->len) {
        close = strstr(sc->s + sc->pos + 2, "*/");
    }
    if (close == NULL) {
        return sw_err_set(err, SW_EINVAL, "line %d: unterminated comment starting here",
                          sqlsplit_builder_line(sc->b, sc->pos));
    }
    sc->pos = (size_t)(close - sc->s) + 2;
    return 0;
}

static bool split_mysql_comment_at(const struct split_mysql_scan *sc)
{
    const char *s = sc->s;
    size_t p = sc->pos;
    if (s[p] == '#' || sqlsplit_mysql_dashdash_at(s, p, sc->len)) {
        return true;
    }
    return p + 1 < sc->len && s[p] == '/' && s[p + 1] == '*' &&
           !sqlsplit_mysql_exec_comment_at(s, p, sc->len);
}

/* The delimiter at sc->pos ends the current statement. */
static int split_mysql_end_stmt(struct split_mysql_scan *sc, struct sw_err *err)
{
    int rc = sqlsplit_builder_add(sc->b, sc->stmt_start, sc->pos, err);
    sc->pos += sc->delim_len;
    sc->stmt_start = sc->pos;
    sc->has_tokens = false;
    return rc;
}

/* Handles the construct at sc->pos and moves past it. */
static int split_mysql_step(struct split_mysql_scan *sc, struct sw_err *err)
{
    bool is_line_start = sc->pos == 0 || sc->s[sc->pos - 1] == '\n';
    if (is_line_start && !sc->has_tokens) {
        size_t arg = split_mysql_delimiter_cmd(sc);
        if (arg != 0) {
            return split_mysql_set_delimiter(sc, arg, err);
        }
    }
    char c = sc->s[sc->pos];
    if (split_mysql_match(sc->s, sc->pos, sc->len, sc->delim, sc->delim_len)) {
        return split_mysql_end_stmt(sc, err);
    }
    if (split_mysql_comment_at(sc)) {
        return split_mysql_skip_comment(sc, err);
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        sc->pos++;
        return 0;
    }
    sc->has_tokens = true;
    if (c == '\'' || c == '"' || c == '`') {
        return split_mysql_skip_quoted(sc, err);
    }
    sc->pos++;
    return 0;
}

int split_mysql(struct sqlsplit_builder *b, struct sw_err *err)
{
    struct split_mysql_scan sc = {
        .b = b, .s = b->script, .len = b->len, .delim = ";", .delim_len = 1};
    while (sc.pos < sc.len) {
        int rc = split_mysql_step(&sc, err);
        if (rc < 0) {
            return rc;
        }
    }
    if (!sc.has_tokens) {
        return 0;
    }
    return sqlsplit_builder_add(b, sc.stmt_start, sc.len, err);
}
