/*
 * Private to proto/sqlsplit: the statement list builder shared by the three
 * engine splitters, and the per-engine comment rules used to find a statement's
 * first token.
 */
#ifndef SW_AGENT_SQLSPLIT_IMPL_H
#define SW_AGENT_SQLSPLIT_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "sqlsplit.h"
#include "sw/err.h"
#include "sw/migset.h"

/* Collects statements into a struct sqlsplit_result. Statements must be added in
 * script order, which lets line numbers be counted incrementally. */
struct sqlsplit_builder {
    enum migset_engine engine;
    const char *script;
    size_t len;
    struct sqlsplit_result *out;
    size_t cap;         /* allocated entries in out->stmts */
    size_t line_offset; /* line_no is the line of this offset */
    int line_no;
};

/* Offset of the first byte in script[pos..end) that is neither whitespace nor
 * part of a comment in `engine`'s dialect; `end` if there is none. MySQL
 * executable comments (slash-star-bang, slash-star-plus) count as text. */
size_t sqlsplit_skip_blank(enum migset_engine engine, const char *script, size_t pos, size_t end);

/* MySQL: whether a "-- " line comment starts at pos ("--" then a space or control
 * character), and whether an executable comment (slash-star followed by
 * "!", "M!" or "+") does. */
bool sqlsplit_mysql_dashdash_at(const char *s, size_t pos, size_t end);
bool sqlsplit_mysql_exec_comment_at(const char *s, size_t pos, size_t end);

/* Adds the statement in script[begin..end): leading whitespace/comments and
 * trailing whitespace are trimmed; nothing is added when nothing is left.
 * SW_ETOOBIG beyond SQLSPLIT_MAX_STMTS, SW_ENOMEM. */
int sqlsplit_builder_add(struct sqlsplit_builder *b, size_t begin, size_t end, struct sw_err *err);

/* Line of `offset` (1-based); fast when offsets grow. */
int sqlsplit_builder_line(struct sqlsplit_builder *b, size_t offset);

/* The engine splitters. script is NUL-terminated at len and holds no other NUL. */
int split_pg(struct sqlsplit_builder *b, struct sw_err *err);
int split_mysql(struct sqlsplit_builder *b, struct sw_err *err);
int split_sqlite(struct sqlsplit_builder *b, struct sw_err *err);

#endif
