/*
 * Private to proto/lint: a small SQL tokenizer for the MySQL/MariaDB and SQLite
 * recognisers. It knows quotes, comments (MySQL executable comments are read as
 * code) and nesting depth; it does not know the grammar.
 */
#ifndef SW_PROTO_LINT_TOK_H
#define SW_PROTO_LINT_TOK_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"
#include "sw/migset.h"

/* Tokens per statement; a longer statement is read up to here (a finding needs far less). */
#define LINT_TOK_MAX 20000

enum lint_tok_kind {
    LINT_TOK_WORD,   /* keyword or bare identifier or number */
    LINT_TOK_IDENT,  /* quoted identifier: `x`, "x" (SQLite), [x] (SQLite) */
    LINT_TOK_STRING, /* '...' (and "..." on MySQL) */
    LINT_TOK_PUNCT   /* one character: ( ) , ; = . and the rest */
};

struct lint_tok {
    enum lint_tok_kind kind;
    const char *s; /* the token's text; for quoted ones without the quotes */
    size_t len;
    int depth; /* parenthesis depth before the token ('(' has the outer depth) */
};

struct lint_toks {
    struct lint_tok *t;
    size_t n;
};

/* Tokenizes s[0..len) with `engine`'s quoting. SW_ENOMEM only: unterminated quotes
 * end at len (the splitter has already refused them). */
int lint_tokenize(enum migset_engine engine, const char *s, size_t len, struct lint_toks *out,
                  struct sw_err *err);
void lint_toks_cleanup(struct lint_toks *toks);

/* Token i is the bare word `word` (case-insensitive); false past the end. */
bool lint_tok_is(const struct lint_toks *toks, size_t i, const char *word);
/* Token i is the punctuation character ch; false past the end. */
bool lint_tok_punct(const struct lint_toks *toks, size_t i, char ch);
/* Token i is a name (a bare word or a quoted identifier). */
bool lint_tok_is_name(const struct lint_toks *toks, size_t i);
/* Copies token i's text into buf (truncated, NUL-terminated); "?" past the end. */
void lint_tok_text(const struct lint_toks *toks, size_t i, char *buf, size_t cap);

/* Reads a possibly qualified name ("db.t", `db`.`t`) at *i: copies its last part into buf
 * and moves *i past it. False (and *i unchanged) when token *i is not a name. */
bool lint_tok_qname(const struct lint_toks *toks, size_t *i, char *buf, size_t cap);

#endif
