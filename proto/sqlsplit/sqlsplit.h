/*
 * Statement boundaries of a migration script, found with each engine's own
 * rules: PostgreSQL with libpg_query's scanner (dollar quotes, nested comments,
 * E'' strings), SQLite with sqlite3_complete() (triggers' BEGIN ... END), MySQL
 * the way the mysql client does it (quotes, backticks, `#`/`--`/`/ * * /` comments
 * and the client-side DELIMITER command). Pure: no database connection.
 */
#ifndef SW_AGENT_SQLSPLIT_H
#define SW_AGENT_SQLSPLIT_H

#include <stddef.h>

#include "sw/err.h"
#include "sw/migset.h"

#define SQLSPLIT_MAX_STMTS 100000

struct sqlsplit_stmt {
    size_t offset; /* byte offset of the statement's first token in the script */
    size_t len;    /* bytes of statement text, without the trailing delimiter */
    int line;      /* 1-based line of offset */
};

struct sqlsplit_result {
    struct sqlsplit_stmt *stmts; /* heap array; NULL when n_stmts == 0 */
    size_t n_stmts;              /* 0 for an empty or comment-only script */
};

/* Splits script[0..len) (NUL-terminated at len) for `engine`. Statements that
 * contain only comments/whitespace are dropped. Errors (SW_EINVAL) give the line:
 * "line 12: unterminated dollar-quoted string", "line 4: DELIMITER needs a value".
 * *out is caller-embedded; free with sqlsplit_result_cleanup. Thread-safe. */
int sqlsplit_split(enum migset_engine engine, const char *script, size_t len,
                   struct sqlsplit_result *out, struct sw_err *err);
void sqlsplit_result_cleanup(struct sqlsplit_result *r);

/* 1-based line number of byte `offset` in script. */
int sqlsplit_line_of(const char *script, size_t offset);

#endif
