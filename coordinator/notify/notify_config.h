/*
 * The coordinator's `webhooks` setting: a list of hooks, each a group of settings
 * (docs/notifications.md), read from the coordinator config with libconfig, checked with
 * file:line, and the secrets it names (url_file, secret_file) read at load time. The
 * URL, the headers and the secret are secrets: printing redacts them.
 */
#ifndef SW_COORDINATOR_NOTIFY_NOTIFY_CONFIG_H
#define SW_COORDINATOR_NOTIFY_NOTIFY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify/notify_event.h"
#include "sw/err.h"
#include "sw/strbuf.h"

#define NOTIFY_HOOKS_MAX      32
#define NOTIFY_HOOK_NAME_MAX  64
#define NOTIFY_HEADERS_MAX    16
#define NOTIFY_SECRET_MAX     4096 /* bytes of a secret or URL file */
#define NOTIFY_CONFIG_SETTING "webhooks"

enum notify_format { NOTIFY_FORMAT_JSON, NOTIFY_FORMAT_SLACK };

/* One hook. Loaded config is immutable (reload builds a new one). */
struct notify_hook_config {
    char *name;     /* [A-Za-z0-9._-]{1,64}, unique: logs and metrics name the hook by it */
    char *url;      /* http:// or https:// (secret: never logged) */
    char *url_file; /* where url came from; NULL when set inline */
    enum notify_format format;
    unsigned events; /* bit (1u << enum notify_kind) per subscribed kind */
    size_t n_headers;
    char **headers; /* "Name: value" (values are secret) */
    char *secret;   /* HMAC-SHA256 key (secret_file's bytes, trailing newline dropped) */
    size_t secret_len;
    char *secret_file; /* NULL = no signature header */
    char *ca_file;     /* PEM CA bundle for https; NULL = the system's */
    int64_t connect_timeout_ms;
    int64_t timeout_ms;
    int max_attempts;      /* deliveries tried at most this often, then given up */
    int64_t retry_base_ms; /* backoff ceiling of the first retry */
    int64_t retry_cap_ms;  /* largest backoff ceiling */
    size_t queue_max;      /* undelivered events kept; beyond, the oldest is dropped */
};

struct notify_config {
    size_t n_hooks;
    struct notify_hook_config *hooks;
};

/* Parses the `webhooks` setting of the libconfig file at `path` (or of `text`, named
 * `name` in messages, when path is NULL) into *out (zeroed first). No such setting: no
 * hooks. Messages cite file:line: "coordinator.conf:12: webhooks[1].format: 'xml' is
 * not json or slack". SW_EINVAL for bad settings, SW_ENOTFOUND/SW_EIO for a file that
 * cannot be read (the config file, url_file or secret_file). On failure *out is empty. */
int notify_config_load(const char *path, const char *text, const char *name,
                       struct notify_config *out, struct sw_err *err);

/* Whether two hooks / configs are identical (secrets and file contents included). */
bool notify_hook_config_equal(const struct notify_hook_config *a,
                              const struct notify_hook_config *b);
bool notify_config_equal(const struct notify_config *a, const struct notify_config *b);

/* Deep copy of a hook into *out (zeroed first). SW_ENOMEM. */
int notify_hook_config_copy(const struct notify_hook_config *src, struct notify_hook_config *out,
                            struct sw_err *err);

/* Appends the setting in libconfig syntax with the URL reduced to scheme://host[:port]/...
 * and header values and secrets as "<redacted>"; nothing when there are no hooks. */
int notify_config_print(const struct notify_config *c, struct sw_strbuf *out, struct sw_err *err);

/* The URL without path, query or credentials ("https://hooks.slack.com/<redacted>"), for
 * messages. Never fails: "<redacted>" when it cannot be parsed. */
void notify_url_redacted(const char *url, char *buf, size_t cap);

void notify_hook_config_cleanup(struct notify_hook_config *h);
void notify_config_cleanup(struct notify_config *c);

#endif
