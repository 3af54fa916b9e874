/*
 * `-- shardwave: <directive> [args]` lines in a migration's leading comment block
 * (before its first statement). Known directives:
 *   no-transaction                 run outside a transaction (CREATE INDEX CONCURRENTLY)
 *   destructive-ok <reason>        the destructive change is acknowledged (reason required)
 *   allow <rule-id> <reason>       acknowledge one lint rule (reason required)
 *   contract-of <version>          destructive half of an expand/contract pair
 *   lock-timeout <ms>              override the lock timeout for this step
 *   statement-timeout <ms>         override the statement timeout for this step (0 = none)
 * Anything else after "shardwave:" is an error naming the line.
 */
#ifndef SW_PROTO_DIRECTIVE_H
#define SW_PROTO_DIRECTIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"
#include "sw/version.h"

#define DIRECTIVE_MAX_ALLOWS  16
#define DIRECTIVE_REASON_MAX  256
#define DIRECTIVE_RULE_ID_MAX 64

struct directive_allow {
    char rule_id[DIRECTIVE_RULE_ID_MAX];
    char reason[DIRECTIVE_REASON_MAX];
    int line;
};

struct directive_set {
    bool no_transaction;
    bool destructive_ok;
    char destructive_reason[DIRECTIVE_REASON_MAX];
    size_t n_allows;
    struct directive_allow allows[DIRECTIVE_MAX_ALLOWS];
    bool has_contract_of;
    struct version contract_of;
    int lock_timeout_ms;      /* -1 = not set */
    int statement_timeout_ms; /* -1 = not set; 0 = no limit */
};

/* Scans the leading comment block of sql[0..len) (blank lines, `--` lines and
 * `/ * * /` blocks before the first statement). Errors name the 1-based line:
 * "line 3: unknown directive 'no-transactions'" with a hint listing the known
 * ones; "line 2: destructive-ok needs a reason". A `-- shardwave:` line after the
 * first statement is an error ("directives must come before the first statement").
 * The caller prefixes the file name. */
int directive_parse(const char *sql, size_t len, struct directive_set *out, struct sw_err *err);
/* Same, but errors cite "<file_name>:<line>: ..." ("V2__x.sql:3: unknown directive 'foo'"),
 * the wording migset_load uses. */
int directive_parse_named(const char *file_name, const char *sql, size_t len,
                          struct directive_set *out, struct sw_err *err);

#endif
