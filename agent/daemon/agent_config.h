/*
 * shardwave-agent settings: one cfgtab table (libconfig file, SHARDWAVE_AGENT_* env
 * overrides, --help, the printed effective config). The shard DSN table is separate
 * (agent_dsn.h) because it is reloaded on SIGHUP.
 */
#ifndef SW_AGENT_DAEMON_AGENT_CONFIG_H
#define SW_AGENT_DAEMON_AGENT_CONFIG_H

#include <stdint.h>

#include "sw/cfgtab.h"
#include "sw/err.h"
#include "sw/strbuf.h"

struct agent_config {
    /* setting coordinator_url: one base URL, e.g. "http://127.0.0.1:7400", or several
     * coordinators sharing one store (a list, or "a, b"): the agent follows the leader */
    struct cfgtab_list coordinator_urls;
    char *token;      /* secret: the agent-role bearer token (env SHARDWAVE_AGENT_TOKEN) */
    char *token_file; /* or a file holding it */
    char *ca_file;    /* CA bundle for https; NULL = system default */
    char *agent_id;   /* default: the host name */
    struct cfgtab_list pools;
    int64_t workers;
    char *state_dir; /* the on-disk report queue */
    char *dsn_template;
    char *shards_file;
    char *password_file;
    int64_t connect_timeout_ms;    /* to the coordinator */
    int64_t request_timeout_ms;    /* a whole request, on top of a long-poll's wait */
    int64_t db_connect_timeout_ms; /* to a shard */
    int64_t retry_base_ms;
    int64_t retry_cap_ms;
    /* A shard's database unreachable: connect attempts per lease, their backoff (capped
     * exponential, full jitter) and the time the retries may take in all. */
    int64_t shard_connect_attempts;
    int64_t shard_connect_backoff_ms;
    int64_t shard_connect_backoff_cap_ms;
    int64_t shard_connect_budget_ms;
    char *log_level;
    char *log_format;     /* logfmt | json */
    char *metrics_listen; /* host:port of GET /metrics; NULL = off */
};

/* The table (for --help and printing). */
const struct cfgtab *agent_config_table(void);

/* Loads `path` (NULL = defaults and environment only) into a zeroed *cfg, fills the
 * agent id from the host name when unset and reads the token from token_file when the
 * token is not set directly. Errors cite file:line (see cfgtab_load), plus
 * "set token_file or SHARDWAVE_AGENT_TOKEN", "token_file /x: ...". */
int agent_config_load(const char *path, struct agent_config *cfg, struct sw_err *err);
void agent_config_cleanup(struct agent_config *cfg);

#endif
