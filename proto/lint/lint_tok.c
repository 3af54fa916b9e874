/* The MySQL/SQLite recognisers' tokenizer: quotes, comments and parenthesis depth. */
#include "lint_tok.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

struct lint_tok_scan {
    enum migset_engine engine;
    const char *s;
    size_t len;
    size_t pos;
    int depth;
    bool in_exec_comment; /* inside MySQL's executable comment */
    struct lint_toks *out;
    size_t cap;
};

static bool lint_tok_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

static bool lint_tok_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int lint_tok_push(struct lint_tok_scan *sc, enum lint_tok_kind kind, size_t from, size_t to,
                         struct sw_err *err)
{
    struct lint_toks *o = sc->out;
    if (o->n >= LINT_TOK_MAX) {
        return 0; /* enough for every rule; the rest is not read */
    }
    if (o->n == sc->cap) {
        size_t cap = sc->cap ? sc->cap * 2 : 64;
        struct lint_tok *nt = realloc(o->t, cap * sizeof *nt);
        if (nt == NULL) {
            return sw_err_set(err, SW_ENOMEM, "lint: out of memory");
        }
        o->t = nt;
        sc->cap = cap;
    }
    o->t[o->n++] =
        (struct lint_tok){.kind = kind, .s = sc->s + from, .len = to - from, .depth = sc->depth};
    return 0;
}

/* sc->pos is at an opening quote `open`; pushes the quoted text and moves past `close`. */
static int lint_tok_quoted(struct lint_tok_scan *sc, char close, enum lint_tok_kind kind,
                           struct sw_err *err)
{
    bool backslash = sc->engine == MIGSET_ENGINE_MYSQL && close != '`';
    size_t from = sc->pos + 1;
    size_t p = from;
    while (p < sc->len) {
        if (backslash && sc->s[p] == '\\') {
            p += 2;
        } else if (sc->s[p] == close && p + 1 < sc->len && sc->s[p + 1] == close) {
            p += 2;
        } else if (sc->s[p] == close) {
            break;
        } else {
            p++;
        }
    }
    size_t to = p < sc->len ? p : sc->len;
    sc->pos = p < sc->len ? p + 1 : sc->len;
    return lint_tok_push(sc, kind, from, to, err);
}

/* Skips a comment at sc->pos if there is one; true when it did. */
static bool lint_tok_comment(struct lint_tok_scan *sc)
{
    const char *s = sc->s;
    size_t p = sc->pos;
    bool mysql = sc->engine == MIGSET_ENGINE_MYSQL;
    bool dashdash = p + 1 < sc->len && s[p] == '-' && s[p + 1] == '-' &&
                    (!mysql || p + 2 >= sc->len || lint_tok_space(s[p + 2]));
    if (dashdash || (mysql && s[p] == '#')) {
        while (sc->pos < sc->len && s[sc->pos] != '\n') {
            sc->pos++;
        }
        return true;
    }
    if (p + 1 >= sc->len || s[p] != '/' || s[p + 1] != '*') {
        if (sc->in_exec_comment && p + 1 < sc->len && s[p] == '*' && s[p + 1] == '/') {
            sc->in_exec_comment = false;
            sc->pos += 2;
            return true;
        }
        return false;
    }
    if (mysql && p + 2 < sc->len && (s[p + 2] == '!' || s[p + 2] == 'M' || s[p + 2] == '+')) {
        /* Executable comment: its body is code ("/ *!50100 PARTITION ... * /"). */
        sc->pos = p + 3 + (s[p + 2] == 'M' && p + 3 < sc->len && s[p + 3] == '!');
        while (sc->pos < sc->len && s[sc->pos] >= '0' && s[sc->pos] <= '9') {
            sc->pos++;
        }
        sc->in_exec_comment = true;
        return true;
    }
    size_t q = p + 2;
    while (q + 1 < sc->len && !(s[q] == '*' && s[q + 1] == '/')) {
        q++;
    }
    sc->pos = q + 1 < sc->len ? q + 2 : sc->len;
    return true;
}

static int lint_tok_next(struct lint_tok_scan *sc, struct sw_err *err)
{
    char c = sc->s[sc->pos];
    if (lint_tok_space(c) || lint_tok_comment(sc)) {
        sc->pos += lint_tok_space(c) ? 1 : 0;
        return 0;
    }
    if (c == '\'') {
        return lint_tok_quoted(sc, '\'', LINT_TOK_STRING, err);
    }
    if (c == '`') {
        return lint_tok_quoted(sc, '`', LINT_TOK_IDENT, err);
    }
    if (c == '"') {
        bool mysql = sc->engine == MIGSET_ENGINE_MYSQL;
        return lint_tok_quoted(sc, '"', mysql ? LINT_TOK_STRING : LINT_TOK_IDENT, err);
    }
    if (c == '[' && sc->engine == MIGSET_ENGINE_SQLITE) {
        return lint_tok_quoted(sc, ']', LINT_TOK_IDENT, err);
    }
    size_t from = sc->pos;
    if (lint_tok_word_char(c)) {
        while (sc->pos < sc->len && lint_tok_word_char(sc->s[sc->pos])) {
            sc->pos++;
        }
        return lint_tok_push(sc, LINT_TOK_WORD, from, sc->pos, err);
    }
    sc->pos++;
    if (c == ')' && sc->depth > 0) {
        sc->depth--;
    }
    int rc = lint_tok_push(sc, LINT_TOK_PUNCT, from, sc->pos, err);
    if (c == '(') {
        sc->depth++;
    }
    return rc;
}

int lint_tokenize(enum migset_engine engine, const char *s, size_t len, struct lint_toks *out,
                  struct sw_err *err)
{
    struct lint_tok_scan sc = {.engine = engine, .s = s, .len = len, .out = out};
    out->t = NULL;
    out->n = 0;
    while (sc.pos < len) {
        int rc = lint_tok_next(&sc, err);
        if (rc != 0) {
            lint_toks_cleanup(out);
            return rc;
        }
    }
    return 0;
}

void lint_toks_cleanup(struct lint_toks *toks)
{
    free(toks->t);
    toks->t = NULL;
    toks->n = 0;
}

bool lint_tok_is(const struct lint_toks *toks, size_t i, const char *word)
{
    if (i >= toks->n || toks->t[i].kind != LINT_TOK_WORD) {
        return false;
    }
    const struct lint_tok *t = &toks->t[i];
    size_t n = 0;
    while (word[n] != '\0') {
        n++;
    }
    return t->len == n && strncasecmp(t->s, word, n) == 0;
}

bool lint_tok_punct(const struct lint_toks *toks, size_t i, char ch)
{
    return i < toks->n && toks->t[i].kind == LINT_TOK_PUNCT && toks->t[i].s[0] == ch;
}

bool lint_tok_is_name(const struct lint_toks *toks, size_t i)
{
    return i < toks->n && (toks->t[i].kind == LINT_TOK_WORD || toks->t[i].kind == LINT_TOK_IDENT);
}

void lint_tok_text(const struct lint_toks *toks, size_t i, char *buf, size_t cap)
{
    if (i >= toks->n) {
        snprintf(buf, cap, "?");
        return;
    }
    snprintf(buf, cap, "%.*s", (int)toks->t[i].len, toks->t[i].s);
}

bool lint_tok_qname(const struct lint_toks *toks, size_t *i, char *buf, size_t cap)
{
    if (!lint_tok_is_name(toks, *i)) {
        return false;
    }
    size_t j = *i;
    while (lint_tok_punct(toks, j + 1, '.') && lint_tok_is_name(toks, j + 2)) {
        j += 2;
    }
    lint_tok_text(toks, j, buf, cap);
    *i = j + 1;
    return true;
}
