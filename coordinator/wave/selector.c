/*
 * Label selectors (selector.h): a small recursive-descent parser over the expression
 * text, errors with 1-based columns, and a matcher over a shard's sorted labels.
 */
#include "wave/selector.h"

#include <stdlib.h>
#include <string.h>

struct sel_parser {
    const char *text;
    size_t pos;
    struct selector *out;
    struct sw_err *err;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Characters that may appear in a key or value token. */
static bool is_word_char(char c)
{
    unsigned char u = (unsigned char)c;
    if (u < 0x20 || u == 0x7f || is_space(c)) {
        return false;
    }
    return strchr(",()=!", c) == NULL;
}

static bool is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static void skip_space(struct sel_parser *p)
{
    while (is_space(p->text[p->pos])) {
        p->pos++;
    }
}

static int fail(struct sel_parser *p, size_t pos, const char *what)
{
    return sw_err_set(p->err, SW_EINVAL, "selector '%s': column %zu: %s", p->text, pos + 1, what);
}

/* Length of the word at the current position (0 when none). */
static size_t word_len(const struct sel_parser *p)
{
    size_t n = 0;
    while (is_word_char(p->text[p->pos + n])) {
        n++;
    }
    return n;
}

static bool word_is(const struct sel_parser *p, size_t len, const char *kw)
{
    return strlen(kw) == len && strncmp(p->text + p->pos, kw, len) == 0;
}

/* Whether the next non-space character after pos+len is '('. */
static bool paren_follows(const struct sel_parser *p, size_t len)
{
    size_t i = p->pos + len;
    while (is_space(p->text[i])) {
        i++;
    }
    return p->text[i] == '(';
}

static int dup_token(struct sel_parser *p, size_t len, char **out)
{
    *out = strndup(p->text + p->pos, len);
    if (*out == NULL) {
        return sw_err_set(p->err, SW_ENOMEM, "out of memory");
    }
    p->pos += len;
    return 0;
}

static int parse_key(struct sel_parser *p, const char *expected, char **out)
{
    skip_space(p);
    size_t len = word_len(p);
    if (len == 0) {
        return fail(p, p->pos, expected);
    }
    bool ok = len <= FLEET_LABEL_MAX;
    for (size_t i = 0; ok && i < len; i++) {
        ok = is_key_char(p->text[p->pos + i]);
    }
    if (!ok) {
        int shown = len > FLEET_LABEL_MAX ? FLEET_LABEL_MAX : (int)len;
        return sw_err_set(p->err, SW_EINVAL,
                          "selector '%s': column %zu: bad label key '%.*s' (use [a-z0-9_.-], "
                          "1..%d characters)",
                          p->text, p->pos + 1, shown, p->text + p->pos, FLEET_LABEL_MAX);
    }
    return dup_token(p, len, out);
}

static int add_value(struct sel_parser *p, struct selector_req *req)
{
    skip_space(p);
    size_t len = word_len(p);
    if (len == 0) {
        return fail(p, p->pos, "expected a value");
    }
    if (len > FLEET_LABEL_VAL_MAX) {
        return fail(p, p->pos, "value is longer than 128 characters");
    }
    if (req->n_values >= SELECTOR_MAX_VALUES) {
        return sw_err_set(p->err, SW_ETOOBIG, "selector '%s': column %zu: more than %d values",
                          p->text, p->pos + 1, SELECTOR_MAX_VALUES);
    }
    char **grown = realloc(req->values, (req->n_values + 1) * sizeof *grown);
    if (grown == NULL) {
        return sw_err_set(p->err, SW_ENOMEM, "out of memory");
    }
    req->values = grown;
    int rc = dup_token(p, len, &req->values[req->n_values]);
    if (rc == 0) {
        req->n_values++;
    }
    return rc;
}

static int expect_char(struct sel_parser *p, char c, const char *what)
{
    skip_space(p);
    if (p->text[p->pos] != c) {
        return fail(p, p->pos, what);
    }
    p->pos++;
    return 0;
}

/* "(" value ("," value)* ")" */
static int parse_list(struct sel_parser *p, struct selector_req *req)
{
    int rc = expect_char(p, '(', "expected '('");
    while (rc == 0) {
        rc = add_value(p, req);
        if (rc != 0) {
            break;
        }
        skip_space(p);
        if (p->text[p->pos] == ')') {
            p->pos++;
            break;
        }
        rc = expect_char(p, ',', "expected ',' or ')'");
    }
    return rc;
}

/* What follows a key: an operator, or nothing (existence). */
static int parse_operator(struct sel_parser *p, struct selector_req *req)
{
    skip_space(p);
    char c = p->text[p->pos];
    size_t len = word_len(p);
    if (c == '\0' || c == ',') {
        req->op = SELECTOR_EXISTS;
        return 0;
    }
    if (c == '=') {
        p->pos++;
        req->op = SELECTOR_EQ;
        return add_value(p, req);
    }
    if (c == '!' && p->text[p->pos + 1] == '=') {
        p->pos += 2;
        req->op = SELECTOR_NE;
        return add_value(p, req);
    }
    if (word_is(p, len, "in") || word_is(p, len, "notin")) {
        req->op = len == 2 ? SELECTOR_IN : SELECTOR_NOTIN;
        p->pos += len;
        return parse_list(p, req);
    }
    return fail(p, p->pos, "expected '=', '!=', 'in', 'notin', ',' or the end");
}

static int parse_req(struct sel_parser *p, struct selector_req *req, bool first)
{
    skip_space(p);
    if (p->text[p->pos] == '!') {
        p->pos++;
        req->op = SELECTOR_NOT_EXISTS;
        return parse_key(p, "expected a label key", &req->key);
    }
    size_t len = word_len(p);
    if (word_is(p, len, "has") && paren_follows(p, len)) {
        p->pos += len;
        req->op = SELECTOR_EXISTS;
        int rc = expect_char(p, '(', "expected '('");
        if (rc == 0) {
            rc = parse_key(p, "expected a label key", &req->key);
        }
        return rc != 0 ? rc : expect_char(p, ')', "expected ')'");
    }
    int rc =
        parse_key(p, first ? "expected a label key or '*'" : "expected a label key", &req->key);
    return rc != 0 ? rc : parse_operator(p, req);
}

static int add_req(struct sel_parser *p, struct selector_req **out)
{
    struct selector *s = p->out;
    if (s->n_reqs >= SELECTOR_MAX_REQS) {
        return sw_err_set(p->err, SW_ETOOBIG,
                          "selector '%s': column %zu: more than %d requirements", p->text,
                          p->pos + 1, SELECTOR_MAX_REQS);
    }
    struct selector_req *grown = realloc(s->reqs, (s->n_reqs + 1) * sizeof *grown);
    if (grown == NULL) {
        return sw_err_set(p->err, SW_ENOMEM, "out of memory");
    }
    s->reqs = grown;
    *out = &s->reqs[s->n_reqs++];
    memset(*out, 0, sizeof **out);
    return 0;
}

/* Whether the whole text is "*" (with optional white space). */
static bool is_star(const char *text)
{
    while (is_space(*text)) {
        text++;
    }
    if (*text != '*') {
        return false;
    }
    text++;
    while (is_space(*text)) {
        text++;
    }
    return *text == '\0';
}

static int parse_all(struct sel_parser *p)
{
    for (bool first = true;; first = false) {
        struct selector_req *req = NULL;
        int rc = add_req(p, &req);
        if (rc == 0) {
            rc = parse_req(p, req, first);
        }
        if (rc != 0) {
            return rc;
        }
        skip_space(p);
        if (p->text[p->pos] == '\0') {
            return 0;
        }
        if (p->text[p->pos] != ',') {
            return fail(p, p->pos, "expected ',' or the end");
        }
        p->pos++;
    }
}

int selector_parse(const char *text, struct selector *out, struct sw_err *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(text) > SELECTOR_TEXT_MAX) {
        return sw_err_set(err, SW_ETOOBIG, "selector is longer than %d bytes", SELECTOR_TEXT_MAX);
    }
    if (is_star(text)) {
        out->match_all = true;
        return 0;
    }
    struct sel_parser p = {.text = text, .out = out, .err = err};
    int rc = parse_all(&p);
    if (rc != 0) {
        selector_cleanup(out);
    }
    return rc;
}

void selector_cleanup(struct selector *sel)
{
    if (sel == NULL) {
        return;
    }
    for (size_t i = 0; i < sel->n_reqs; i++) {
        struct selector_req *r = &sel->reqs[i];
        for (size_t j = 0; j < r->n_values; j++) {
            free(r->values[j]);
        }
        free(r->values);
        free(r->key);
    }
    free(sel->reqs);
    memset(sel, 0, sizeof *sel);
}

static bool value_in(const struct selector_req *r, const char *value)
{
    for (size_t i = 0; i < r->n_values; i++) {
        if (strcmp(r->values[i], value) == 0) {
            return true;
        }
    }
    return false;
}

static bool req_match(const struct selector_req *r, const struct fleet_shard *shard)
{
    const char *v = fleet_shard_label(shard, r->key);
    switch (r->op) {
    case SELECTOR_EQ:
    case SELECTOR_IN:
        return v != NULL && value_in(r, v);
    case SELECTOR_NE:
    case SELECTOR_NOTIN:
        return v == NULL || !value_in(r, v);
    case SELECTOR_EXISTS:
        return v != NULL;
    case SELECTOR_NOT_EXISTS:
        return v == NULL;
    case SELECTOR_OP_COUNT:
        break;
    }
    return false;
}

bool selector_match(const struct selector *sel, const struct fleet_shard *shard)
{
    if (sel->match_all) {
        return true;
    }
    for (size_t i = 0; i < sel->n_reqs; i++) {
        if (!req_match(&sel->reqs[i], shard)) {
            return false;
        }
    }
    return true;
}

static int format_req(const struct selector_req *r, struct sw_strbuf *out, struct sw_err *err)
{
    switch (r->op) {
    case SELECTOR_EQ:
    case SELECTOR_NE:
        return sw_strbuf_printf(out, err, "%s%s%s", r->key, selector_op_name(r->op), r->values[0]);
    case SELECTOR_EXISTS:
        return sw_strbuf_printf(out, err, "has(%s)", r->key);
    case SELECTOR_NOT_EXISTS:
        return sw_strbuf_printf(out, err, "!%s", r->key);
    case SELECTOR_IN:
    case SELECTOR_NOTIN:
        break;
    case SELECTOR_OP_COUNT:
        return sw_err_set(err, SW_EINTERNAL, "selector: bad operator");
    }
    int rc = sw_strbuf_printf(out, err, "%s %s (", r->key, selector_op_name(r->op));
    for (size_t i = 0; rc == 0 && i < r->n_values; i++) {
        rc = sw_strbuf_printf(out, err, "%s%s", i > 0 ? "," : "", r->values[i]);
    }
    return rc != 0 ? rc : sw_strbuf_puts(out, ")", err);
}

int selector_format(const struct selector *sel, struct sw_strbuf *out, struct sw_err *err)
{
    if (sel->match_all) {
        return sw_strbuf_puts(out, "*", err);
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sel->n_reqs; i++) {
        if (i > 0) {
            rc = sw_strbuf_puts(out, ",", err);
        }
        if (rc == 0) {
            rc = format_req(&sel->reqs[i], out, err);
        }
    }
    return rc;
}

const char *selector_op_name(enum selector_op op)
{
    switch (op) {
    case SELECTOR_EQ:
        return "=";
    case SELECTOR_NE:
        return "!=";
    case SELECTOR_IN:
        return "in";
    case SELECTOR_NOTIN:
        return "notin";
    case SELECTOR_EXISTS:
        return "has";
    case SELECTOR_NOT_EXISTS:
        return "!";
    case SELECTOR_OP_COUNT:
        break;
    }
    return "?";
}
