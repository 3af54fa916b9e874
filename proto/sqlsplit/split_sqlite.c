/*
 * SQLite statement boundaries from sqlite3_complete(), SQLite's own tokenizer:
 * a ';' ends a statement only when the text since the statement's start is
 * complete, so ';' in strings, comments and CREATE TRIGGER ... BEGIN ... END
 * bodies stays inside the statement. No database connection is needed.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "sqlsplit_impl.h"

/* Whether text[start..semi] (semi is a ';') is a complete statement. text is a
 * private copy: the byte after the ';' is cut off with a NUL for the test. */
static bool split_sqlite_complete_at(char *text, size_t start, size_t semi)
{
    char saved = text[semi + 1];
    text[semi + 1] = '\0';
    bool is_complete = sqlite3_complete(text + start) != 0;
    text[semi + 1] = saved;
    return is_complete;
}

/* The text after the last ';' is a final statement when it has tokens; it must
 * be complete once a ';' is added, else a string, comment or trigger is open. */
static int split_sqlite_tail(struct sqlsplit_builder *b, size_t start, struct sw_err *err)
{
    int rc = 0;
    char *probe = NULL;
    size_t begin = sqlsplit_skip_blank(MIGSET_ENGINE_SQLITE, b->script, start, b->len);
    if (begin == b->len) {
        goto out;
    }
    size_t n = b->len - begin;
    probe = malloc(n + 3);
    if (probe == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory splitting a script into statements");
        goto out;
    }
    memcpy(probe, b->script + begin, n);
    memcpy(probe + n, "\n;", 3);
    if (!sqlite3_complete(probe)) {
        rc = sw_err_set(err, SW_EINVAL,
                        "line %d: statement never ends: unterminated string, comment or "
                        "BEGIN ... END block starting here",
                        sqlsplit_builder_line(b, begin));
        goto out;
    }
    rc = sqlsplit_builder_add(b, begin, b->len, err);
out:
    free(probe);
    return rc;
}

/* Offset just past the string, quoted identifier or comment starting at pos; pos
 * when none starts there; end when it never ends. This mirrors the tokenizer of
 * SQLite's sqlite3_complete(), so a ';' skipped here is one it would not count:
 * asking it only at the other ';' keeps a script with thousands of ';' inside
 * string literals (data backfills) linear instead of quadratic. */
static size_t split_sqlite_skip_quoted(const char *s, size_t pos, size_t end)
{
    char close = s[pos];
    switch (s[pos]) {
    case '\'':
    case '"':
    case '`':
        break;
    case '[':
        close = ']';
        break;
    case '-':
        if (pos + 1 < end && s[pos + 1] == '-') {
            const char *nl = memchr(s + pos, '\n', end - pos);
            return nl == NULL ? end : (size_t)(nl - s);
        }
        return pos;
    case '/':
        if (pos + 1 < end && s[pos + 1] == '*') {
            const char *stop = pos + 2 < end ? strstr(s + pos + 2, "*/") : NULL;
            return stop == NULL ? end : (size_t)(stop - s) + 2;
        }
        return pos;
    default:
        return pos;
    }
    const char *q = memchr(s + pos + 1, close, end - pos - 1);
    return q == NULL ? end : (size_t)(q - s) + 1;
}

int split_sqlite(struct sqlsplit_builder *b, struct sw_err *err)
{
    int rc = 0;
    char *text = malloc(b->len + 1);
    if (text == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory splitting a script into statements");
        goto out;
    }
    memcpy(text, b->script, b->len + 1);
    size_t start = 0;
    size_t pos = 0;
    while (pos < b->len) {
        size_t next = split_sqlite_skip_quoted(b->script, pos, b->len);
        if (next > pos) {
            pos = next;
            continue;
        }
        if (b->script[pos] == ';' && split_sqlite_complete_at(text, start, pos)) {
            rc = sqlsplit_builder_add(b, start, pos, err);
            if (rc < 0) {
                goto out;
            }
            start = pos + 1;
        }
        pos++;
    }
    rc = split_sqlite_tail(b, start, err);
out:
    free(text);
    return rc;
}
