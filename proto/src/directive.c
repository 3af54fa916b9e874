/*
 * `-- shardwave:` directives in a migration's leading comment block. Only the
 * comments before the first statement count; a directive line further down is
 * an error so a misplaced `no-transaction` never silently does nothing.
 */
#include "sw/directive.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sw/numparse.h"

#define DIRECTIVE_PREFIX "shardwave:"
#define DIRECTIVE_KNOWN                                                                            \
    "known directives: no-transaction, destructive-ok <reason>, allow <rule-id> <reason>, "        \
    "contract-of <version>, lock-timeout <ms>, statement-timeout <ms>"

struct directive_scan {
    const char *file; /* NULL: errors say "line N" */
    int line;
    struct directive_set *out;
    struct sw_err *err;
};

/* One directive: its name and the trimmed rest of the line. */
struct directive_line {
    const char *name;
    size_t name_len;
    const char *args;
    size_t args_len;
};

__attribute__((format(printf, 3, 4))) static int directive_fail(struct directive_scan *sc, int code,
                                                                const char *fmt, ...)
{
    char msg[SW_ERR_MSG_MAX - 300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sc->file != NULL) {
        return sw_err_set(sc->err, code, "%s:%d: %s", sc->file, sc->line, msg);
    }
    return sw_err_set(sc->err, code, "line %d: %s", sc->line, msg);
}

static bool directive_is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void directive_trim(const char **s, size_t *len)
{
    while (*len > 0 && directive_is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && directive_is_blank((*s)[*len - 1])) {
        (*len)--;
    }
}

/* Splits "word rest" into the first word and the trimmed rest. */
static void directive_split(const char *s, size_t len, const char **word, size_t *word_len,
                            const char **rest, size_t *rest_len)
{
    directive_trim(&s, &len);
    size_t i = 0;
    while (i < len && !directive_is_blank(s[i])) {
        i++;
    }
    *word = s;
    *word_len = i;
    *rest = s + i;
    *rest_len = len - i;
    directive_trim(rest, rest_len);
}

static bool directive_is(const struct directive_line *d, const char *name)
{
    return d->name_len == strlen(name) && memcmp(d->name, name, d->name_len) == 0;
}

static int directive_copy_reason(struct directive_scan *sc, const struct directive_line *d,
                                 const char *what, char *dst, size_t cap)
{
    if (d->args_len == 0) {
        return directive_fail(sc, SW_EINVAL, "%s needs a reason", what);
    }
    if (d->args_len >= cap) {
        return directive_fail(sc, SW_EINVAL, "%s: reason is longer than %zu characters", what,
                              cap - 1);
    }
    memcpy(dst, d->args, d->args_len);
    dst[d->args_len] = '\0';
    return 0;
}

static int directive_timeout(struct directive_scan *sc, const struct directive_line *d, int min,
                             int *dst)
{
    char what[64];
    char value[32];
    snprintf(what, sizeof what, "%.*s", (int)d->name_len, d->name);
    if (*dst != -1) {
        return directive_fail(sc, SW_EINVAL, "duplicate directive '%s'", what);
    }
    if (d->args_len == 0) {
        return directive_fail(sc, SW_EINVAL, "%s needs a value in milliseconds", what);
    }
    if (d->args_len >= sizeof value) {
        return directive_fail(sc, SW_EINVAL, "%s: '%.*s' is not a whole number", what,
                              (int)d->args_len, d->args);
    }
    memcpy(value, d->args, d->args_len);
    value[d->args_len] = '\0';
    struct sw_err perr = {0};
    if (sw_parse_int(value, min, INT_MAX, what, dst, &perr) != 0) {
        *dst = -1;
        return directive_fail(sc, SW_EINVAL, "%s", perr.msg);
    }
    return 0;
}

static int directive_allow(struct directive_scan *sc, const struct directive_line *d)
{
    struct directive_set *out = sc->out;
    const char *id = NULL;
    const char *reason = NULL;
    size_t id_len = 0;
    size_t reason_len = 0;
    directive_split(d->args, d->args_len, &id, &id_len, &reason, &reason_len);
    if (id_len == 0 || reason_len == 0) {
        return directive_fail(sc, SW_EINVAL, "allow needs a rule id and a reason");
    }
    if (id_len >= DIRECTIVE_RULE_ID_MAX) {
        return directive_fail(sc, SW_EINVAL, "allow: rule id is longer than %d characters",
                              DIRECTIVE_RULE_ID_MAX - 1);
    }
    if (out->n_allows == DIRECTIVE_MAX_ALLOWS) {
        return directive_fail(sc, SW_EINVAL, "more than %d allow directives", DIRECTIVE_MAX_ALLOWS);
    }
    struct directive_allow *a = &out->allows[out->n_allows];
    memcpy(a->rule_id, id, id_len);
    a->rule_id[id_len] = '\0';
    struct directive_line r = {.args = reason, .args_len = reason_len};
    int rc = directive_copy_reason(sc, &r, "allow", a->reason, sizeof a->reason);
    if (rc != 0) {
        return rc;
    }
    a->line = sc->line;
    out->n_allows++;
    return 0;
}

static int directive_contract_of(struct directive_scan *sc, const struct directive_line *d)
{
    struct sw_err verr = {0};
    if (sc->out->has_contract_of) {
        return directive_fail(sc, SW_EINVAL, "duplicate directive 'contract-of'");
    }
    if (d->args_len == 0) {
        return directive_fail(sc, SW_EINVAL, "contract-of needs a version");
    }
    if (version_parse(d->args, d->args_len, &sc->out->contract_of, &verr) != 0) {
        return directive_fail(sc, SW_EINVAL, "contract-of: %s", verr.msg);
    }
    if (version_is_zero(&sc->out->contract_of)) {
        return directive_fail(sc, SW_EINVAL, "contract-of: version 0 is not a migration");
    }
    sc->out->has_contract_of = true;
    return 0;
}

static int directive_flag(struct directive_scan *sc, const struct directive_line *d, bool *flag)
{
    if (*flag) {
        return directive_fail(sc, SW_EINVAL, "duplicate directive '%.*s'", (int)d->name_len,
                              d->name);
    }
    *flag = true;
    return 0;
}

static int directive_apply(struct directive_scan *sc, const struct directive_line *d)
{
    struct directive_set *out = sc->out;
    if (d->name_len == 0) {
        int rc = directive_fail(sc, SW_EINVAL, "missing directive after '" DIRECTIVE_PREFIX "'");
        sw_err_hint(sc->err, DIRECTIVE_KNOWN);
        return rc;
    }
    if (directive_is(d, "no-transaction")) {
        if (d->args_len > 0) {
            return directive_fail(sc, SW_EINVAL, "no-transaction takes no arguments");
        }
        return directive_flag(sc, d, &out->no_transaction);
    }
    if (directive_is(d, "destructive-ok")) {
        int rc = directive_flag(sc, d, &out->destructive_ok);
        if (rc != 0) {
            return rc;
        }
        return directive_copy_reason(sc, d, "destructive-ok", out->destructive_reason,
                                     sizeof out->destructive_reason);
    }
    if (directive_is(d, "allow")) {
        return directive_allow(sc, d);
    }
    if (directive_is(d, "contract-of")) {
        return directive_contract_of(sc, d);
    }
    if (directive_is(d, "lock-timeout")) {
        return directive_timeout(sc, d, 1, &out->lock_timeout_ms);
    }
    if (directive_is(d, "statement-timeout")) {
        return directive_timeout(sc, d, 0, &out->statement_timeout_ms);
    }
    int rc = directive_fail(sc, SW_EINVAL, "unknown directive '%.*s'", (int)d->name_len, d->name);
    sw_err_hint(sc->err, DIRECTIVE_KNOWN);
    return rc;
}

/* If the `--` comment body (text after "--") is a directive, sets *d and returns true. */
static bool directive_match(const char *body, size_t len, struct directive_line *d)
{
    directive_trim(&body, &len);
    size_t plen = strlen(DIRECTIVE_PREFIX);
    if (len < plen || strncasecmp(body, DIRECTIVE_PREFIX, plen) != 0) {
        return false;
    }
    directive_split(body + plen, len - plen, &d->name, &d->name_len, &d->args, &d->args_len);
    return true;
}

static size_t directive_line_end(const char *s, size_t len, size_t pos)
{
    const char *nl = memchr(s + pos, '\n', len - pos);
    return nl != NULL ? (size_t)(nl - s) : len;
}

/* After the first statement: any line that starts with a directive comment is an error. */
static int directive_check_rest(struct directive_scan *sc, const char *s, size_t len, size_t pos)
{
    while (pos < len) {
        size_t end = directive_line_end(s, len, pos);
        size_t i = pos;
        while (i < end && directive_is_blank(s[i])) {
            i++;
        }
        struct directive_line d;
        if (end - i >= 2 && s[i] == '-' && s[i + 1] == '-' &&
            directive_match(s + i + 2, end - i - 2, &d)) {
            int rc =
                directive_fail(sc, SW_EINVAL, "directives must come before the first statement");
            sw_err_hint(sc->err, "move the '-- shardwave:' line to the top of the file");
            return rc;
        }
        pos = end + 1;
        sc->line++;
    }
    return 0;
}

/* Skips a block comment starting at pos ("/" "*"), counting lines; returns the position after. */
static size_t directive_skip_block(struct directive_scan *sc, const char *s, size_t len, size_t pos)
{
    for (size_t i = pos + 2; i < len; i++) {
        if (s[i] == '\n') {
            sc->line++;
        } else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
            return i + 2;
        }
    }
    return len;
}

static int directive_scan_all(struct directive_scan *sc, const char *s, size_t len)
{
    size_t pos = (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    while (pos < len) {
        char c = s[pos];
        if (c == '\n') {
            sc->line++;
            pos++;
        } else if (directive_is_blank(c)) {
            pos++;
        } else if (c == '-' && pos + 1 < len && s[pos + 1] == '-') {
            size_t end = directive_line_end(s, len, pos);
            struct directive_line d;
            if (directive_match(s + pos + 2, end - pos - 2, &d)) {
                int rc = directive_apply(sc, &d);
                if (rc != 0) {
                    return rc;
                }
            }
            pos = end;
        } else if (c == '/' && pos + 2 < len && s[pos + 1] == '*' && s[pos + 2] != '!') {
            pos = directive_skip_block(sc, s, len, pos);
        } else {
            /* First statement (MySQL's executable "/ *!" comments count as one). */
            size_t end = directive_line_end(s, len, pos);
            sc->line++;
            return directive_check_rest(sc, s, len, end + 1);
        }
    }
    return 0;
}

static int directive_parse_impl(const char *file, const char *sql, size_t len,
                                struct directive_set *out, struct sw_err *err)
{
    struct directive_set set = {0};
    set.lock_timeout_ms = -1;
    set.statement_timeout_ms = -1;
    struct directive_scan sc = {.file = file, .line = 1, .out = &set, .err = err};
    int rc = directive_scan_all(&sc, sql, len);
    if (rc != 0) {
        return rc;
    }
    *out = set;
    return 0;
}

int directive_parse(const char *sql, size_t len, struct directive_set *out, struct sw_err *err)
{
    return directive_parse_impl(NULL, sql, len, out, err);
}

int directive_parse_named(const char *file_name, const char *sql, size_t len,
                          struct directive_set *out, struct sw_err *err)
{
    return directive_parse_impl(file_name, sql, len, out, err);
}
