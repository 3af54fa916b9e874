/*
 * How the agent reaches each shard: a DSN template ("postgres://migrator:{password}@db-1/
 * {shard}") and/or a shards file of per-shard overrides ({ id; dsn or dsn_file }). Secrets
 * come from a password file or environment variables ({env:NAME}) and are substituted
 * only when a DSN is resolved for a connection: they are never logged, never sent to the
 * coordinator (print DSNs through engine_dsn_redact only).
 *
 * Placeholders (in the template and in per-shard dsn / dsn_file texts):
 *   {shard}     the shard id ([A-Za-z0-9._:-], inserted as is)
 *   {password}  the first line of password_file
 *   {env:NAME}  the value of environment variable NAME
 * In URL DSNs ("scheme://...") {password} and {env:...} values are percent-encoded; in
 * libpq conninfo DSNs ("host=... password='{password}'") quotes and backslashes are
 * escaped with a backslash.
 */
#ifndef SW_AGENT_DAEMON_AGENT_DSN_H
#define SW_AGENT_DAEMON_AGENT_DSN_H

#include <stddef.h>

#include "sw/err.h"

#define AGENT_DSN_MAX          4096 /* an expanded DSN */
#define AGENT_DSN_MAX_SHARDS   100000
#define AGENT_DSN_FILE_MAX     4096 /* a dsn_file or password_file */
#define AGENT_DSN_SHARDS_BYTES (64u * 1024u * 1024u)

/* Environment lookup: returns the value or NULL. */
typedef const char *(*agent_dsn_env_fn)(void *ctx, const char *name);

/* What placeholders may draw on. All borrowed. */
struct agent_dsn_vars {
    const char *shard;
    const char *password;       /* NULL when no password_file is configured */
    agent_dsn_env_fn getenv_fn; /* NULL = no environment */
    void *env_ctx;
};

/* Expands `tmpl` for vars->shard into a heap string (caller frees). SW_EINVAL, naming
 * `what` (e.g. "dsn_template", "shard t-001 dsn_file"), never a secret value:
 *   "dsn_template: unknown placeholder '{host}' (known: {shard}, {password}, {env:NAME})"
 *   "dsn_template: unterminated placeholder at offset 12"
 *   "dsn_template: environment variable PGPASSWORD is not set"
 *   "dsn_template: {password} is used but password_file is not set"
 *   "dsn_template: expanded DSN exceeds 4096 bytes" (SW_ETOOBIG). */
int agent_dsn_expand(const char *tmpl, const char *what, const struct agent_dsn_vars *vars,
                     char **out, struct sw_err *err);

/* One per-shard override from the shards file. */
struct agent_dsn_shard {
    char *id;
    char *dsn;      /* inline DSN (may hold placeholders), or NULL */
    char *dsn_file; /* file holding the DSN (read at each resolve), or NULL */
};

/* The shard DSN table: immutable after load; reload builds a new one. */
struct agent_dsn_table {
    char *dsn_template; /* NULL = shards must be listed */
    char *password;     /* first line of password_file, or NULL */
    size_t n_shards;
    struct agent_dsn_shard *shards; /* sorted by id */
};

/* Parses a shards file text (libconfig):
 *   shards = ( { id = "t-001"; dsn = "postgres://..."; },
 *              { id = "t-002"; dsn_file = "/etc/shardwave/t-002.dsn"; } );
 * into t->shards. `name` names the text in messages ("shards.conf:3: ..."). SW_EINVAL:
 *   "<name>:<line>: <libconfig message>"
 *   "<name>:<line>: shards[1]: id: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"
 *   "<name>:<line>: shards[1]: set exactly one of dsn and dsn_file"
 *   "<name>:<line>: shards[1]: unknown setting 'dsm'"
 *   "<name>:<line>: shards[2]: duplicate shard id t-001"
 *   "<name>: expected a list 'shards = ( {...}, ... )'". */
int agent_dsn_table_parse(struct agent_dsn_table *t, const char *text, const char *name,
                          struct sw_err *err);

/* Builds a table: the template (may be NULL), the password file's first line (path may
 * be NULL) and the shards file (path may be NULL). At least one of template and shards
 * file is required. On failure t is cleaned up. */
int agent_dsn_table_load(struct agent_dsn_table *t, const char *dsn_template,
                         const char *password_file, const char *shards_file, struct sw_err *err);
void agent_dsn_table_cleanup(struct agent_dsn_table *t);

/* The DSN of `shard`: its override (dsn, or dsn_file's first line), else the template,
 * expanded. Heap string, caller frees (and should clear it: it may hold a password).
 * SW_ENOTFOUND "shard t-9: no DSN (not in the shards file and no dsn_template)";
 * SW_EINVAL for a bad shard id or a failed expansion. Thread-safe (t is read-only). */
int agent_dsn_resolve(const struct agent_dsn_table *t, const char *shard,
                      agent_dsn_env_fn getenv_fn, void *env_ctx, char **out, struct sw_err *err);

/* An agent_dsn_env_fn over the process environment (getenv). */
const char *agent_dsn_process_env(void *ctx, const char *name);

#endif
