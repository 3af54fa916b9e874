/*
 * The coordinator's settings (shardwave-coordinator), defined once as a cfgtab table:
 * loading from a libconfig file plus SHARDWAVE_COORDINATOR_<NAME> environment overrides,
 * validation, --help, the printed effective config and reload rules.
 */
#ifndef SW_COORDINATOR_CONFIG_COORD_CONFIG_H
#define SW_COORDINATOR_CONFIG_COORD_CONFIG_H

#include <stdint.h>

#include "notify/notify_config.h"
#include "sw/cfgtab.h"
#include "sw/err.h"
#include "sw/log.h"
#include "sw/strbuf.h"

#define COORD_CONFIG_ENV_PREFIX "SHARDWAVE_COORDINATOR_"

/* Loaded config is immutable; reload builds a new one (coord_config_reload). */
struct coord_config {
    /* From the table (setting name = field name unless noted). */
    char *listen;        /* "host:port", default "127.0.0.1:7400"; "[::1]:7400" for IPv6 */
    char *store_path;    /* default /var/lib/shardwave/coordinator.db; or postgres://... */
    char *fleet_file;    /* NULL = no fleet file (shards registered through the API) */
    char *tokens_file;   /* required */
    char *tls_cert_file; /* both or neither of cert and key */
    char *tls_key_file;
    int64_t max_body_bytes;     /* default 32 MiB */
    int64_t max_connections;    /* default 256 */
    int64_t request_timeout_ms; /* setting request_timeout_s, default 30 s */
    int64_t tick_ms;            /* scheduler period, default 500 */
    int64_t lease_ttl_ms;       /* setting lease_ttl_s, default 30 s */
    int64_t long_poll_ms;       /* setting long_poll_s, default 20 s */
    char *log_level_name;       /* setting log_level: error|warn|info|debug|trace, default info */
    char *log_format_name;      /* setting log_format: logfmt|json, default logfmt */
    /* High availability (docs/ha.md): used when the store is shared (PostgreSQL). */
    char *coordinator_id;    /* NULL = default: see ha_id */
    char *advertise_url;     /* NULL = default: see ha_url */
    int64_t leader_lease_ms; /* default 10 s */

    /* Derived by coord_config_load (not settings). */
    struct notify_config webhooks; /* section `webhooks` (docs/notifications.md) */
    char *listen_host;             /* without brackets, e.g. "127.0.0.1" or "::1" */
    int listen_port;               /* 1..65535 */
    enum log_level log_level;
    enum log_format log_format;
    char *ha_id;  /* coordinator_id, or "<host name>:<port>" */
    char *ha_url; /* advertise_url, or http[s]://<listen host, or host name for 0.0.0.0>:<port> */
};

/* The settings table (static, borrowed). Used for --help, docs and the printed config. */
const struct cfgtab *coord_config_table(void);

/* Loads the coordinator config: defaults, then `path` (NULL = none), then the environment
 * (`env`: NULL-terminated "NAME=value" strings, NULL = the process environment). Checks
 * cross-setting rules ("tls_cert_file and tls_key_file must be set together", lease and
 * long-poll bounds) and fills the derived fields. Messages cite file:line. On failure
 * *out is cleaned up. SW_EINVAL for bad settings; SW_ENOTFOUND/SW_EIO for the file. */
int coord_config_load(const char *path, const char *const *env, struct coord_config *out,
                      struct sw_err *err);

/* Same, from libconfig text (`name` in messages), for tests and tools. */
int coord_config_load_text(const char *text, const char *name, const char *const *env,
                           struct coord_config *out, struct sw_err *err);

/* Reload: loads a new config like coord_config_load and compares it with `old`. Refuses
 * (SW_ECONFLICT, *out cleaned up) when a non-reloadable setting changed, naming them:
 * "cannot change listen on reload: restart the coordinator to apply it". Reloadable:
 * fleet_file, tokens_file, max_body_bytes, request_timeout_s, tick_ms, lease_ttl_s,
 * long_poll_s, log_level, webhooks. `changed` (may be NULL) receives the changed setting names. */
int coord_config_reload(const struct coord_config *old, const char *path, const char *const *env,
                        struct coord_config *out, struct sw_strbuf *changed, struct sw_err *err);

/* Frees everything; safe on a zeroed struct; leaves it zeroed. */
void coord_config_cleanup(struct coord_config *c);

/* Appends the effective config (libconfig syntax, secrets redacted) / the help text. */
int coord_config_print(const struct coord_config *c, struct sw_strbuf *out, struct sw_err *err);
int coord_config_help(struct sw_strbuf *out, struct sw_err *err);

#endif
