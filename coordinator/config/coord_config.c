/*
 * The coordinator's settings table and the rules that span settings (TLS pair, timeouts),
 * plus derived values (listen host and port, log level).
 */
#include "config/coord_config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sw/numparse.h"

#define R              CFGTAB_RELOADABLE
#define PATH_MAX_BYTES 4096

static int check_listen(const void *field, struct sw_err *err);
static int check_log_level(const void *field, struct sw_err *err);
static int check_log_format(const void *field, struct sw_err *err);
static int check_coordinator_id(const void *field, struct sw_err *err);
static int check_advertise_url(const void *field, struct sw_err *err);
static int check_store_path(const void *field, struct sw_err *err);

#define F(name) offsetof(struct coord_config, name)
static const struct cfgtab_entry coord_entries[] = {
    {"listen", CFGTAB_STRING, F(listen), "127.0.0.1:7400", 3, 300, 0, 0,
     "address of the HTTP API, host:port ([::1]:7400 for IPv6)", check_listen},
    {"store_path", CFGTAB_STRING, F(store_path), "/var/lib/shardwave/coordinator.db", 1,
     PATH_MAX_BYTES, 0, 0,
     "the store of waves, events and shards: a SQLite file path (the default), or a "
     "postgres:// URL for coordinators sharing one PostgreSQL store (no password in it)",
     check_store_path},
    {"fleet_file", CFGTAB_STRING, F(fleet_file), NULL, 1, PATH_MAX_BYTES, 0, R,
     "fleet file (libconfig) listing the shards; re-read on SIGHUP and POST /v1/fleet/reload",
     NULL},
    {"tokens_file", CFGTAB_STRING, F(tokens_file), NULL, 1, PATH_MAX_BYTES, 0, CFGTAB_REQUIRED | R,
     "bearer tokens file (<role> <name> <secret> per line, mode 0600)", NULL},
    {"tls_cert_file", CFGTAB_STRING, F(tls_cert_file), NULL, 1, PATH_MAX_BYTES, 0, 0,
     "PEM certificate chain for HTTPS (set with tls_key_file; neither = plain HTTP)", NULL},
    {"tls_key_file", CFGTAB_STRING, F(tls_key_file), NULL, 1, PATH_MAX_BYTES, 0, 0,
     "PEM private key for HTTPS", NULL},
    {"max_body_bytes", CFGTAB_INT, F(max_body_bytes), "33554432", 1024, 1073741824, 0, R,
     "largest request body accepted (migration-set uploads); larger is 413", NULL},
    {"max_connections", CFGTAB_INT, F(max_connections), "256", 1, 100000, 0, 0,
     "most concurrent HTTP connections (agents long-polling count)", NULL},
    {"request_timeout_s", CFGTAB_DURATION_MS, F(request_timeout_ms), "30", 1000, 3600000, 1000, R,
     "idle time after which an HTTP connection is closed", NULL},
    {"tick_ms", CFGTAB_DURATION_MS, F(tick_ms), "500", 10, 60000, 1, R,
     "scheduler period: how often waves are advanced and leases expired", NULL},
    {"lease_ttl_s", CFGTAB_DURATION_MS, F(lease_ttl_ms), "30", 5000, 3600000, 1000, R,
     "lease lifetime; an agent that does not heartbeat within it loses its shards", NULL},
    {"long_poll_s", CFGTAB_DURATION_MS, F(long_poll_ms), "20", 0, 300000, 1000, R,
     "longest an agent's lease request waits for work (0 = answer at once)", NULL},
    {"log_level", CFGTAB_STRING, F(log_level_name), "info", 1, 16, 0, R,
     "error, warn, info, debug or trace", check_log_level},
    {"log_format", CFGTAB_STRING, F(log_format_name), "logfmt", 1, 16, 0, 0,
     "log line format: logfmt, or json for log shippers", check_log_format},
    {"coordinator_id", CFGTAB_STRING, F(coordinator_id), NULL, 1, 128, 0, 0,
     "this coordinator's name in the leader lease (default: host name:port); HA only",
     check_coordinator_id},
    {"advertise_url", CFGTAB_STRING, F(advertise_url), NULL, 8, 512, 0, 0,
     "base URL other coordinators redirect writes and agents to while this one leads "
     "(default: http[s]://listen host, or the host name for 0.0.0.0/::, :port); HA only",
     check_advertise_url},
    {"leader_lease_ms", CFGTAB_DURATION_MS, F(leader_lease_ms), "10s", 1000, 600000, 1, 0,
     "leader lease lifetime on a shared PostgreSQL store: renewed every third of it; a "
     "follower takes over within about one lease after the leader is lost",
     NULL},
    {"webhooks", CFGTAB_SECTION, 0, NULL, 0, 0, 0, R,
     "list of webhooks POSTed on wave state changes, halts, passed stages and failed shards: "
     "( { name = \"ops\"; url_file = \"...\"; format = \"json\"|\"slack\"; events = [...]; "
     "... } ); see docs/notifications.md",
     NULL},
};
#undef F

static const struct cfgtab coord_table = {"coordinator", COORD_CONFIG_ENV_PREFIX,
                                          sizeof coord_entries / sizeof coord_entries[0],
                                          coord_entries};

const struct cfgtab *coord_config_table(void)
{
    return &coord_table;
}

/* "host:port" or "[v6]:port" -> host (heap, may be NULL to only check) and port. */
static int split_listen(const char *s, char **host, int *port, struct sw_err *err)
{
    const char *colon = strrchr(s, ':');
    const char *h = s;
    size_t hlen = colon != NULL ? (size_t)(colon - s) : 0;
    if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
        h = s + 1;
        hlen -= 2;
    } else if (colon != NULL && memchr(s, ':', hlen) != NULL) {
        hlen = 0; /* a bare IPv6 address: require brackets */
    }
    if (colon == NULL || hlen == 0) {
        sw_err_set(err, SW_EINVAL, "'%s' is not host:port", s);
        sw_err_hint(err, "e.g. 127.0.0.1:7400, 0.0.0.0:7400 or [::1]:7400");
        return SW_EINVAL;
    }
    if (sw_parse_int(colon + 1, 1, 65535, "port", port, err) != 0) {
        return SW_EINVAL;
    }
    if (host != NULL && (*host = strndup(h, hlen)) == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    return 0;
}

static int check_listen(const void *field, struct sw_err *err)
{
    int port = 0;
    return split_listen(*(char *const *)field, NULL, &port, err);
}

static int check_log_level(const void *field, struct sw_err *err)
{
    enum log_level level;
    const char *s = *(char *const *)field;
    if (log_level_parse(s, &level) != 0) {
        return sw_err_set(err, SW_EINVAL,
                          "unknown level '%s' (expected error, warn, info, debug or trace)", s);
    }
    return 0;
}

static int check_log_format(const void *field, struct sw_err *err)
{
    enum log_format format;
    const char *s = *(char *const *)field;
    if (log_format_parse(s, &format) != 0) {
        return sw_err_set(err, SW_EINVAL, "unknown log format '%s' (expected logfmt or json)", s);
    }
    return 0;
}

static int check_coordinator_id(const void *field, struct sw_err *err)
{
    const char *s = *(char *const *)field;
    if (s == NULL) {
        return 0; /* derived from the host name and port */
    }
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");
    if (s[n] != '\0') {
        return sw_err_set(err, SW_EINVAL, "'%s' may hold only [A-Za-z0-9._:-]", s);
    }
    return 0;
}

static int check_advertise_url(const void *field, struct sw_err *err)
{
    const char *s = *(char *const *)field;
    if (s == NULL) {
        return 0; /* derived from listen */
    }
    bool is_http = strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
    if (!is_http || s[strlen(s) - 1] == '/' || strchr(s, '?') != NULL) {
        sw_err_set(err, SW_EINVAL, "'%s' is not an http:// or https:// base URL", s);
        sw_err_hint(err, "e.g. https://coord-1.internal:7400 (no trailing slash or path)");
        return SW_EINVAL;
    }
    return 0;
}

/* ha_id and ha_url: coordinator_id (default host:port) and advertise_url (default
 * scheme://host:port). */
static int fill_identity(struct coord_config *c, struct sw_err *err)
{
    char host[256] = "";
    char buf[600];
    c->ha_id = c->coordinator_id != NULL ? strdup(c->coordinator_id) : NULL;
    c->ha_url = c->advertise_url != NULL ? strdup(c->advertise_url) : NULL;
    if ((c->coordinator_id != NULL && c->ha_id == NULL) ||
        (c->advertise_url != NULL && c->ha_url == NULL)) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    bool is_any = strcmp(c->listen_host, "0.0.0.0") == 0 || strcmp(c->listen_host, "::") == 0;
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
        snprintf(host, sizeof host, "localhost");
    }
    if (c->ha_id == NULL) {
        snprintf(buf, sizeof buf, "%.120s:%d", host, c->listen_port);
        if ((c->ha_id = strdup(buf)) == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
    }
    if (c->ha_url == NULL) {
        const char *h = is_any ? host : c->listen_host;
        bool is_v6 = strchr(h, ':') != NULL;
        snprintf(buf, sizeof buf, "%s://%s%.300s%s:%d", c->tls_cert_file != NULL ? "https" : "http",
                 is_v6 ? "[" : "", h, is_v6 ? "]" : "", c->listen_port);
        if ((c->ha_url = strdup(buf)) == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
    }
    return 0;
}

/* Whether a store_path names a PostgreSQL store. */
static bool is_pg_url(const char *s)
{
    return strncasecmp(s, "postgres://", 11) == 0 || strncasecmp(s, "postgresql://", 13) == 0;
}

/* A postgres:// store_path must not carry a password: the effective config and the
 * logs print store_path. Flags "user:secret@" in the authority and a password=
 * parameter; the URL itself is parsed by libpq when the store opens. */
static int check_store_path(const void *field, struct sw_err *err)
{
    const char *s = *(char *const *)field;
    if (!is_pg_url(s)) {
        return 0;
    }
    const char *auth = strstr(s, "://") + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', auth_len);
    bool has_pw = at != NULL && memchr(auth, ':', (size_t)(at - auth)) != NULL;
    for (const char *p = strchr(s, '?'); p != NULL && !has_pw; p = strchr(p + 1, '&')) {
        has_pw = strncasecmp(p + 1, "password=", 9) == 0;
    }
    if (has_pw) {
        sw_err_set(err, SW_EINVAL, "the store URL must not carry a password");
        sw_err_hint(err, "give it to libpq: a pgpass file (PGPASSFILE, ~/.pgpass) or PGPASSWORD");
        return SW_EINVAL;
    }
    return 0;
}

static int check_rules(const struct coord_config *c, struct sw_err *err)
{
    if ((c->tls_cert_file == NULL) != (c->tls_key_file == NULL)) {
        sw_err_set(err, SW_EINVAL, "tls_cert_file and tls_key_file must be set together");
        sw_err_hint(err, "set both for HTTPS, or neither for plain HTTP");
        return SW_EINVAL;
    }
    if (c->long_poll_ms >= c->request_timeout_ms) {
        return sw_err_set(err, SW_EINVAL,
                          "long_poll_s (%" PRId64 "s) must be shorter than request_timeout_s "
                          "(%" PRId64 "s)",
                          c->long_poll_ms / 1000, c->request_timeout_ms / 1000);
    }
    if (c->tick_ms >= c->lease_ttl_ms) {
        return sw_err_set(err, SW_EINVAL,
                          "tick_ms (%" PRId64 ") must be shorter than lease_ttl_s (%" PRId64 "s)",
                          c->tick_ms, c->lease_ttl_ms / 1000);
    }
    return 0;
}

static int finish(struct coord_config *c, struct sw_err *err)
{
    int rc = check_rules(c, err);
    if (rc == 0) {
        rc = split_listen(c->listen, &c->listen_host, &c->listen_port, err);
    }
    if (rc == 0) {
        rc = fill_identity(c, err);
    }
    if (rc == 0 && log_level_parse(c->log_level_name, &c->log_level) != 0) {
        rc = sw_err_set(err, SW_EINTERNAL, "log_level: checked but not parsed");
    }
    if (rc == 0 && log_format_parse(c->log_format_name, &c->log_format) != 0) {
        rc = sw_err_set(err, SW_EINTERNAL, "log_format: checked but not parsed");
    }
    if (rc != 0) {
        coord_config_cleanup(c);
    }
    return rc;
}

static int load_source(const struct cfgtab_source *src, struct coord_config *out,
                       struct sw_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = cfgtab_load(&coord_table, src, out, err);
    rc = rc != 0 ? rc : finish(out, err);
    if (rc == 0 && (src->path != NULL || src->text != NULL)) {
        rc = notify_config_load(src->path, src->text, src->name, &out->webhooks, err);
        if (rc != 0) {
            coord_config_cleanup(out);
        }
    }
    return rc;
}

int coord_config_load(const char *path, const char *const *env, struct coord_config *out,
                      struct sw_err *err)
{
    struct cfgtab_source src = {.path = path, .env = env};
    return load_source(&src, out, err);
}

int coord_config_load_text(const char *text, const char *name, const char *const *env,
                           struct coord_config *out, struct sw_err *err)
{
    struct cfgtab_source src = {.text = text, .name = name, .env = env};
    return load_source(&src, out, err);
}

int coord_config_reload(const struct coord_config *old, const char *path, const char *const *env,
                        struct coord_config *out, struct sw_strbuf *changed, struct sw_err *err)
{
    int rc = coord_config_load(path, env, out, err);
    if (rc != 0) {
        return rc;
    }
    rc = cfgtab_check_reload(&coord_table, old, out, changed, err);
    if (rc == 0 && changed != NULL && !notify_config_equal(&old->webhooks, &out->webhooks)) {
        rc = sw_strbuf_printf(changed, err, "%swebhooks", changed->len > 0 ? ", " : "");
    }
    if (rc != 0) {
        coord_config_cleanup(out);
    }
    return rc;
}

void coord_config_cleanup(struct coord_config *c)
{
    cfgtab_cleanup(&coord_table, c);
    notify_config_cleanup(&c->webhooks);
    free(c->listen_host);
    free(c->ha_id);
    free(c->ha_url);
    memset(c, 0, sizeof *c);
}

int coord_config_print(const struct coord_config *c, struct sw_strbuf *out, struct sw_err *err)
{
    int rc = cfgtab_print(&coord_table, c, out, err);
    return rc != 0 ? rc : notify_config_print(&c->webhooks, out, err);
}

int coord_config_help(struct sw_strbuf *out, struct sw_err *err)
{
    return cfgtab_help(&coord_table, out, err);
}
