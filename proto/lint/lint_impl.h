/*
 * Private to proto/lint: the per-file context the engine recognisers share, the
 * finding emitter (acknowledgements, severities, excerpts) and a small name set.
 */
#ifndef SW_PROTO_LINT_IMPL_H
#define SW_PROTO_LINT_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/directive.h"
#include "sw/err.h"
#include "sw/lint.h"
#include "sw/migset.h"
#include "sw/version.h"
#include "sqlsplit/sqlsplit.h"

/* Severity "as the rule says" for lint_emit_as. */
#define LINT_SEVERITY_RULE LINT_SEVERITY_COUNT
#define LINT_NAME_MAX      128

/* A set of short names (tables created in this file, constraints added NOT VALID). */
struct lint_names {
    char **items;
    size_t n;
    size_t cap;
};

bool lint_names_has(const struct lint_names *s, const char *name);
/* Adds a copy of name[0..len) (truncated to LINT_NAME_MAX - 1); SW_ENOMEM. */
int lint_names_add(struct lint_names *s, const char *name, size_t len, struct sw_err *err);
void lint_names_cleanup(struct lint_names *s);

/* Everything a recogniser knows about the file it reads. */
struct lint_ctx {
    enum migset_engine engine;
    const char *file_name;
    const char *sql; /* the whole file */
    const struct directive_set *directives;
    bool is_down;
    const struct version *version; /* NULL for lint_sql */
    struct lint_report *out;
    /* The file's statements and the one being read. */
    const struct sqlsplit_stmt *stmts;
    size_t n_stmts;
    size_t stmt_idx;
    size_t stmt_offset;
    size_t stmt_len;
    int stmt_line;
    /* File state: names compared case-insensitively (PostgreSQL folds them already). */
    struct lint_names new_tables;     /* created in this file: empty, nobody uses them */
    struct lint_names validated;      /* tables with a VALIDATE CONSTRAINT in this file */
    struct lint_names not_valid;      /* constraints added NOT VALID in this file */
    struct lint_names dropped_tables; /* SQLite rebuilds: dropped earlier in this file */
    bool fk_checks_off;               /* MySQL: SET foreign_key_checks = 0 seen */
};

/* Appends a finding of rule_id for the current statement; message is printf-style.
 * Applies the file's acknowledgements and the down-file rule. SW_ETOOBIG, SW_ENOMEM. */
int lint_emit(struct lint_ctx *c, const char *rule_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same with an explicit severity for when it counts (LINT_SEVERITY_RULE: the rule's). */
int lint_emit_as(struct lint_ctx *c, const char *rule_id, enum lint_severity severity,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Per-engine statement recognisers: read ctx->sql at the current statement. */
int lint_pg_stmt(struct lint_ctx *c, struct sw_err *err);
int lint_mysql_stmt(struct lint_ctx *c, struct sw_err *err);
int lint_sqlite_stmt(struct lint_ctx *c, struct sw_err *err);

#endif
