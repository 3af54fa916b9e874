/* shardwave-agent settings (see agent_config.h). */
#include "daemon/agent_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sw/fsutil.h"
#include "sw/log.h"

#define AGENT_TOKEN_FILE_MAX 4096

static int agent_config_check_level(const void *field, struct sw_err *err)
{
    const char *level = *(char *const *)field;
    enum log_level parsed;
    if (level != NULL && log_level_parse(level, &parsed) != 0) {
        return sw_err_set(err, SW_EINVAL, "'%s' is not one of error, warn, info, debug, trace",
                          level);
    }
    return 0;
}

static int agent_config_check_format(const void *field, struct sw_err *err)
{
    const char *format = *(char *const *)field;
    enum log_format parsed;
    if (format != NULL && log_format_parse(format, &parsed) != 0) {
        return sw_err_set(err, SW_EINVAL, "'%s' is not one of logfmt, json", format);
    }
    return 0;
}

static int agent_config_check_urls(const void *field, struct sw_err *err)
{
    const struct cfgtab_list *urls = field;
    for (size_t i = 0; i < urls->n_items; i++) {
        const char *u = urls->items[i];
        if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) {
            return sw_err_set(err, SW_EINVAL, "'%s' is not an http:// or https:// URL", u);
        }
        if (strlen(u) > 2000) {
            return sw_err_set(err, SW_EINVAL, "URL %zu is longer than 2000 bytes", i + 1);
        }
    }
    return 0;
}

#define F(x) offsetof(struct agent_config, x)
static const struct cfgtab_entry agent_config_entries[] = {
    {"coordinator_url", CFGTAB_LIST, F(coordinator_urls), NULL, 1, 16, 0,
     CFGTAB_REQUIRED | CFGTAB_LIST_TEXT,
     "coordinator base URL, e.g. https://coordinator:7400, or a list of every coordinator "
     "sharing one store (the agent follows the leader)",
     agent_config_check_urls},
    {"token", CFGTAB_STRING, F(token), NULL, 1, 4096, 0, CFGTAB_SECRET,
     "agent-role bearer token (prefer token_file or the environment)", NULL},
    {"token_file", CFGTAB_STRING, F(token_file), NULL, 1, 4096, 0, 0,
     "file holding the agent-role bearer token (first line)", NULL},
    {"ca_file", CFGTAB_STRING, F(ca_file), NULL, 1, 4096, 0, 0,
     "CA bundle to verify the coordinator's TLS certificate (default: system CAs)", NULL},
    {"agent_id", CFGTAB_STRING, F(agent_id), NULL, 1, 128, 0, 0,
     "this agent's id, [A-Za-z0-9._:-] (default: the host name)", NULL},
    {"pools", CFGTAB_LIST, F(pools), "default", 1, 64, 0, 0,
     "agent pools this agent serves (the fleet file's shard pools)", NULL},
    {"workers", CFGTAB_INT, F(workers), "4", 1, 1024, 0, 0,
     "worker threads: shards migrated at the same time", NULL},
    {"state_dir", CFGTAB_STRING, F(state_dir), "/var/lib/shardwave-agent", 1, 4096, 0, 0,
     "directory of the on-disk report queue (kept across restarts)", NULL},
    {"dsn_template", CFGTAB_STRING, F(dsn_template), NULL, 1, 4096, 0, CFGTAB_RELOADABLE,
     "DSN of a shard: {shard}, {password}, {env:NAME} are substituted", NULL},
    {"shards_file", CFGTAB_STRING, F(shards_file), NULL, 1, 4096, 0, CFGTAB_RELOADABLE,
     "libconfig file of per-shard DSNs: shards = ( { id; dsn or dsn_file } ... )", NULL},
    {"password_file", CFGTAB_STRING, F(password_file), NULL, 1, 4096, 0, CFGTAB_RELOADABLE,
     "file whose first line is {password} in DSNs", NULL},
    {"connect_timeout_ms", CFGTAB_DURATION_MS, F(connect_timeout_ms), "5s", 100, 600000, 1, 0,
     "connect timeout to the coordinator", NULL},
    {"request_timeout_ms", CFGTAB_DURATION_MS, F(request_timeout_ms), "30s", 1000, 3600000, 1, 0,
     "timeout of one coordinator request (long-polls add their wait)", NULL},
    {"db_connect_timeout_ms", CFGTAB_DURATION_MS, F(db_connect_timeout_ms), "10s", 100, 600000, 1,
     0, "connect timeout to a shard's database", NULL},
    {"retry_base_ms", CFGTAB_DURATION_MS, F(retry_base_ms), "200ms", 1, 600000, 1, 0,
     "first retry delay ceiling while the coordinator is unreachable", NULL},
    {"retry_cap_ms", CFGTAB_DURATION_MS, F(retry_cap_ms), "30s", 1, 3600000, 1, 0,
     "largest retry delay ceiling (full jitter below it)", NULL},
    {"shard_connect_attempts", CFGTAB_INT, F(shard_connect_attempts), "5", 1, 100, 1, 0,
     "connect attempts to an unreachable shard database per lease before it fails as "
     "unreachable (also for a connection lost before a step started)",
     NULL},
    {"shard_connect_backoff_ms", CFGTAB_DURATION_MS, F(shard_connect_backoff_ms), "1s", 1, 600000,
     1, 0, "first delay ceiling between shard connect attempts (doubles, full jitter)", NULL},
    {"shard_connect_backoff_cap_ms", CFGTAB_DURATION_MS, F(shard_connect_backoff_cap_ms), "10s", 1,
     3600000, 1, 0, "largest delay ceiling between shard connect attempts", NULL},
    {"shard_connect_budget_ms", CFGTAB_DURATION_MS, F(shard_connect_budget_ms), "60s", 0, 3600000,
     1, 0,
     "the most time one lease spends retrying its shard's connection (heartbeats keep the "
     "lease meanwhile); 0 = no retry",
     NULL},
    {"log_level", CFGTAB_STRING, F(log_level), "info", 1, 16, 0, 0,
     "error, warn, info, debug or trace", agent_config_check_level},
    {"log_format", CFGTAB_STRING, F(log_format), "logfmt", 1, 16, 0, 0,
     "log line format: logfmt, or json for log shippers", agent_config_check_format},
    {"metrics_listen", CFGTAB_STRING, F(metrics_listen), NULL, 1, 128, 0, 0,
     "serve Prometheus metrics on GET /metrics at host:port (no auth: keep it local); unset = off",
     NULL},
};
#undef F

static const struct cfgtab agent_config_tab = {
    .what = "agent",
    .env_prefix = "SHARDWAVE_AGENT_",
    .n_entries = sizeof agent_config_entries / sizeof agent_config_entries[0],
    .entries = agent_config_entries,
};

const struct cfgtab *agent_config_table(void)
{
    return &agent_config_tab;
}

static int agent_config_read_token(struct agent_config *cfg, struct sw_err *err)
{
    size_t len = 0;
    if (cfg->token != NULL) {
        return 0;
    }
    if (cfg->token_file == NULL) {
        sw_err_set(err, SW_EINVAL, "no coordinator token");
        sw_err_hint(err, "set token_file or SHARDWAVE_AGENT_TOKEN");
        return SW_EINVAL;
    }
    int rc = sw_file_read(cfg->token_file, AGENT_TOKEN_FILE_MAX, &cfg->token, &len, err);
    if (rc != 0) {
        sw_err_prefix(err, "token_file %s", cfg->token_file);
        return rc;
    }
    cfg->token[strcspn(cfg->token, "\r\n")] = '\0';
    if (cfg->token[0] == '\0') {
        return sw_err_set(err, SW_EINVAL, "token_file %s: empty token", cfg->token_file);
    }
    return 0;
}

static int agent_config_fill_id(struct agent_config *cfg, struct sw_err *err)
{
    char host[256] = "";
    if (cfg->agent_id != NULL) {
        return 0;
    }
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
        return sw_err_set(err, SW_EINVAL, "agent_id is not set and the host name is unknown");
    }
    cfg->agent_id = strdup(host);
    return cfg->agent_id == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
}

int agent_config_load(const char *path, struct agent_config *cfg, struct sw_err *err)
{
    struct cfgtab_source src = {.path = path};
    memset(cfg, 0, sizeof *cfg);
    int rc = cfgtab_load(&agent_config_tab, &src, cfg, err);
    if (rc != 0) {
        return rc;
    }
    rc = agent_config_fill_id(cfg, err);
    if (rc == 0) {
        rc = agent_config_read_token(cfg, err);
    }
    if (rc == 0 && cfg->retry_cap_ms < cfg->retry_base_ms) {
        rc = sw_err_set(err, SW_EINVAL, "retry_cap_ms (%lld) is below retry_base_ms (%lld)",
                        (long long)cfg->retry_cap_ms, (long long)cfg->retry_base_ms);
    }
    if (rc == 0 && cfg->shard_connect_backoff_cap_ms < cfg->shard_connect_backoff_ms) {
        rc = sw_err_set(err, SW_EINVAL,
                        "shard_connect_backoff_cap_ms (%lld) is below shard_connect_backoff_ms "
                        "(%lld)",
                        (long long)cfg->shard_connect_backoff_cap_ms,
                        (long long)cfg->shard_connect_backoff_ms);
    }
    if (rc == 0 && cfg->dsn_template == NULL && cfg->shards_file == NULL) {
        rc = sw_err_set(err, SW_EINVAL, "no shard DSNs: set dsn_template or shards_file");
    }
    if (rc != 0) {
        agent_config_cleanup(cfg);
    }
    return rc;
}

void agent_config_cleanup(struct agent_config *cfg)
{
    if (cfg->token != NULL) {
        memset(cfg->token, 0, strlen(cfg->token));
    }
    cfgtab_cleanup(&agent_config_tab, cfg);
}
