/*
 * The `webhooks` setting: each hook's group read with libconfig (file:line in every
 * message), its URL checked with libcurl's URL parser, its secret files read at load.
 */
#include "notify/notify_config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libconfig.h>

#include "sw/cfgtab.h"
#include "sw/fsutil.h"

#define NOTIFY_WHERE_MAX 512
#define NOTIFY_PATH_MAX  4096

/* Where a setting of hook `idx` is: "coordinator.conf:12: webhooks[1].format". */
struct notify_where {
    const char *file;
    size_t idx;
    char buf[NOTIFY_WHERE_MAX];
};

static const char *notify_at(struct notify_where *w, const config_setting_t *s, const char *key)
{
    snprintf(w->buf, sizeof w->buf, "%s:%d: %s[%zu]%s%s", w->file, config_setting_source_line(s),
             NOTIFY_CONFIG_SETTING, w->idx + 1, key != NULL ? "." : "", key != NULL ? key : "");
    return w->buf;
}

/* ---- one value ------------------------------------------------------------------------ */

/* A string member (NULL when absent); SW_EINVAL when not a string or too long. */
static int notify_get_str(const config_setting_t *g, const char *key, size_t max,
                          struct notify_where *w, char **out, struct sw_err *err)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    *out = NULL;
    if (s == NULL) {
        return 0;
    }
    const char *v = config_setting_get_string(s);
    if (v == NULL) {
        return sw_err_set(err, SW_EINVAL, "%s: expected a string", notify_at(w, s, key));
    }
    if (v[0] == '\0' || strlen(v) > max) {
        return sw_err_set(err, SW_EINVAL, "%s: must be 1 to %zu bytes", notify_at(w, s, key), max);
    }
    *out = strdup(v);
    return *out != NULL ? 0 : sw_err_set(err, SW_ENOMEM, "out of memory");
}

/* A duration member (integer in unit_ms, or "30s"), default def_ms, within [lo, hi]. */
static int notify_get_ms(const config_setting_t *g, const char *key, int64_t unit_ms,
                         const int64_t range[3], struct notify_where *w, int64_t *out,
                         struct sw_err *err)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    *out = range[0];
    if (s == NULL) {
        return 0;
    }
    int type = config_setting_type(s);
    if (type == CONFIG_TYPE_STRING) {
        if (cfgtab_parse_duration(config_setting_get_string(s), unit_ms, out, err) != 0) {
            sw_err_prefix(err, "%s", notify_at(w, s, key));
            return SW_EINVAL;
        }
    } else if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
        int64_t v = config_setting_get_int64(s);
        *out = (v >= 0 && v <= INT64_MAX / unit_ms) ? v * unit_ms : -1;
    } else {
        return sw_err_set(err, SW_EINVAL, "%s: expected an integer or a duration string",
                          notify_at(w, s, key));
    }
    if (*out < range[1] || *out > range[2]) {
        return sw_err_set(err, SW_EINVAL, "%s: out of range [%" PRId64 ", %" PRId64 "] (%s)",
                          notify_at(w, s, key), range[1] / unit_ms, range[2] / unit_ms,
                          unit_ms == 1 ? "ms" : "s");
    }
    return 0;
}

/* An integer member, default range[0], within [range[1], range[2]]. */
static int notify_get_int(const config_setting_t *g, const char *key, const int64_t range[3],
                          struct notify_where *w, int64_t *out, struct sw_err *err)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    *out = range[0];
    if (s == NULL) {
        return 0;
    }
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
        return sw_err_set(err, SW_EINVAL, "%s: expected an integer", notify_at(w, s, key));
    }
    *out = config_setting_get_int64(s);
    if (*out < range[1] || *out > range[2]) {
        return sw_err_set(err, SW_EINVAL,
                          "%s: %" PRId64 " is out of range [%" PRId64 ", %" PRId64 "]",
                          notify_at(w, s, key), *out, range[1], range[2]);
    }
    return 0;
}

/* ---- the hook's parts ----------------------------------------------------------------- */

static bool notify_name_ok(const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-') {
            return false;
        }
    }
    return s[0] != '\0';
}

/* Reads a secret file: whole, trailing whitespace dropped, not empty. */
static int notify_read_secret(const char *path, const char *where, char **out, size_t *len,
                              struct sw_err *err)
{
    int rc = sw_file_read(path, NOTIFY_SECRET_MAX, out, len, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s", where);
        return rc;
    }
    while (*len > 0 && isspace((unsigned char)(*out)[*len - 1])) {
        (*out)[--*len] = '\0';
    }
    if (*len == 0) {
        return sw_err_set(err, SW_EINVAL, "%s: %s is empty", where, path);
    }
    return 0;
}

/* http:// or https:// with a host (libcurl's parser); the URL itself is never echoed. */
static int notify_check_url(const char *url, const char *where, struct sw_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    char *host = NULL;
    int rc = 0;
    if (u == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        rc = sw_err_set(err, SW_EINVAL, "%s: not an http:// or https:// URL", where);
        sw_err_hint(err, "the URL is not shown: it is a secret");
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

static int notify_hook_url(const config_setting_t *g, struct notify_where *w,
                           struct notify_hook_config *h, struct sw_err *err)
{
    int rc = notify_get_str(g, "url", NOTIFY_SECRET_MAX, w, &h->url, err);
    rc = rc != 0 ? rc : notify_get_str(g, "url_file", NOTIFY_PATH_MAX, w, &h->url_file, err);
    if (rc != 0) {
        return rc;
    }
    if ((h->url == NULL) == (h->url_file == NULL)) {
        return sw_err_set(err, SW_EINVAL, "%s: set exactly one of url and url_file",
                          notify_at(w, g, NULL));
    }
    const char *key = h->url != NULL ? "url" : "url_file";
    const config_setting_t *s = config_setting_get_member(g, key);
    size_t len = 0;
    if (h->url_file != NULL &&
        (rc = notify_read_secret(h->url_file, notify_at(w, s, key), &h->url, &len, err)) != 0) {
        return rc;
    }
    return notify_check_url(h->url, notify_at(w, s, key), err);
}

static int notify_hook_format(const config_setting_t *g, struct notify_where *w,
                              struct notify_hook_config *h, struct sw_err *err)
{
    char *f = NULL;
    int rc = notify_get_str(g, "format", 16, w, &f, err);
    if (rc == 0 && f != NULL && strcmp(f, "slack") == 0) {
        h->format = NOTIFY_FORMAT_SLACK;
    } else if (rc == 0 && f != NULL && strcmp(f, "json") != 0) {
        rc = sw_err_set(err, SW_EINVAL, "%s: '%s' is not json or slack",
                        notify_at(w, config_setting_get_member(g, "format"), "format"), f);
    }
    free(f);
    return rc;
}

static int notify_hook_events(const config_setting_t *g, struct notify_where *w,
                              struct notify_hook_config *h, struct sw_err *err)
{
    const config_setting_t *s = config_setting_get_member(g, "events");
    h->events = 1u << NOTIFY_WAVE_STATE;
    if (s == NULL) {
        return 0;
    }
    int type = config_setting_type(s);
    int n = config_setting_length(s);
    if ((type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) || n == 0) {
        return sw_err_set(err, SW_EINVAL, "%s: expected a non-empty list of event names",
                          notify_at(w, s, "events"));
    }
    h->events = 0;
    for (int i = 0; i < n; i++) {
        const char *v = config_setting_get_string_elem(s, i);
        enum notify_kind k;
        if (v == NULL || notify_kind_parse(v, &k) != 0) {
            sw_err_set(err, SW_EINVAL, "%s: '%s' is not an event", notify_at(w, s, "events"),
                       v != NULL ? v : "?");
            sw_err_hint(err, "events: wave_state, wave_halted, stage_completed, shard_failed");
            return SW_EINVAL;
        }
        h->events |= 1u << k;
    }
    return 0;
}

/* "Name: value": a token name, no CR or LF anywhere (header injection). */
static bool notify_header_ok(const char *s)
{
    size_t name_len = strcspn(s, ":");
    if (name_len == 0 || s[name_len] != ':' || strpbrk(s, "\r\n") != NULL) {
        return false;
    }
    for (size_t i = 0; i < name_len; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_') {
            return false;
        }
    }
    return true;
}

static int notify_hook_headers(const config_setting_t *g, struct notify_where *w,
                               struct notify_hook_config *h, struct sw_err *err)
{
    const config_setting_t *s = config_setting_get_member(g, "headers");
    if (s == NULL) {
        return 0;
    }
    int type = config_setting_type(s);
    int n = config_setting_length(s);
    if ((type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) || n > NOTIFY_HEADERS_MAX) {
        return sw_err_set(err, SW_EINVAL,
                          "%s: expected a list of at most %d \"Name: value\" strings",
                          notify_at(w, s, "headers"), NOTIFY_HEADERS_MAX);
    }
    h->headers = calloc((size_t)n + 1, sizeof *h->headers);
    if (h->headers == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        const char *v = config_setting_get_string_elem(s, i);
        if (v == NULL || strlen(v) > NOTIFY_SECRET_MAX || !notify_header_ok(v)) {
            return sw_err_set(err, SW_EINVAL, "%s: item %d is not \"Name: value\"",
                              notify_at(w, s, "headers"), i + 1);
        }
        if ((h->headers[h->n_headers++] = strdup(v)) == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
    }
    return 0;
}

static int notify_hook_secret(const config_setting_t *g, struct notify_where *w,
                              struct notify_hook_config *h, struct sw_err *err)
{
    int rc = notify_get_str(g, "secret_file", NOTIFY_PATH_MAX, w, &h->secret_file, err);
    if (rc == 0 && h->secret_file != NULL) {
        const config_setting_t *s = config_setting_get_member(g, "secret_file");
        rc = notify_read_secret(h->secret_file, notify_at(w, s, "secret_file"), &h->secret,
                                &h->secret_len, err);
    }
    rc = rc != 0 ? rc : notify_get_str(g, "ca_file", NOTIFY_PATH_MAX, w, &h->ca_file, err);
    return rc;
}

static int notify_hook_limits(const config_setting_t *g, struct notify_where *w,
                              struct notify_hook_config *h, struct sw_err *err)
{
    static const int64_t connect[3] = {5000, 1000, 300000};
    static const int64_t total[3] = {10000, 1000, 600000};
    static const int64_t base[3] = {500, 10, 600000};
    static const int64_t cap[3] = {60000, 1000, 3600000};
    static const int64_t attempts[3] = {5, 1, 100};
    static const int64_t queue[3] = {1000, 1, 100000};
    int64_t n_attempts = 0, n_queue = 0;
    int rc = notify_get_ms(g, "connect_timeout_s", 1000, connect, w, &h->connect_timeout_ms, err);
    rc = rc != 0 ? rc : notify_get_ms(g, "timeout_s", 1000, total, w, &h->timeout_ms, err);
    rc = rc != 0 ? rc : notify_get_ms(g, "retry_base_ms", 1, base, w, &h->retry_base_ms, err);
    rc = rc != 0 ? rc : notify_get_ms(g, "retry_max_s", 1000, cap, w, &h->retry_cap_ms, err);
    rc = rc != 0 ? rc : notify_get_int(g, "max_attempts", attempts, w, &n_attempts, err);
    rc = rc != 0 ? rc : notify_get_int(g, "queue_max", queue, w, &n_queue, err);
    h->max_attempts = (int)n_attempts;
    h->queue_max = (size_t)n_queue;
    if (rc == 0 && h->retry_cap_ms < h->retry_base_ms) {
        rc = sw_err_set(err, SW_EINVAL, "%s: retry_max_s must not be below retry_base_ms",
                        notify_at(w, g, NULL));
    }
    return rc;
}

/* Rejects members no hook has (typos would silently do nothing). */
static int notify_hook_keys(const config_setting_t *g, struct notify_where *w, struct sw_err *err)
{
    static const char *const known[] = {"name",        "url",          "url_file",
                                        "format",      "events",       "headers",
                                        "secret_file", "ca_file",      "connect_timeout_s",
                                        "timeout_s",   "max_attempts", "retry_base_ms",
                                        "retry_max_s", "queue_max"};
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *key = config_setting_name(s);
        bool found = false;
        for (size_t k = 0; !found && k < sizeof known / sizeof known[0]; k++) {
            found = key != NULL && strcmp(key, known[k]) == 0;
        }
        if (!found) {
            sw_err_set(err, SW_EINVAL, "%s: unknown setting", notify_at(w, s, key));
            sw_err_hint(err, "a hook takes name, url or url_file, format, events, headers, "
                             "secret_file, ca_file, connect_timeout_s, timeout_s, max_attempts, "
                             "retry_base_ms, retry_max_s, queue_max");
            return SW_EINVAL;
        }
    }
    return 0;
}

static int notify_hook_parse(const config_setting_t *g, struct notify_where *w,
                             struct notify_hook_config *h, struct sw_err *err)
{
    if (!config_setting_is_group(g)) {
        return sw_err_set(err, SW_EINVAL, "%s: expected a group { name = ...; url = ...; }",
                          notify_at(w, g, NULL));
    }
    int rc = notify_hook_keys(g, w, err);
    rc = rc != 0 ? rc : notify_get_str(g, "name", NOTIFY_HOOK_NAME_MAX, w, &h->name, err);
    if (rc == 0 && (h->name == NULL || !notify_name_ok(h->name))) {
        rc = sw_err_set(err, SW_EINVAL, "%s: needs a name of letters, digits, '.', '_' or '-'",
                        notify_at(w, g, "name"));
    }
    rc = rc != 0 ? rc : notify_hook_url(g, w, h, err);
    rc = rc != 0 ? rc : notify_hook_format(g, w, h, err);
    rc = rc != 0 ? rc : notify_hook_events(g, w, h, err);
    rc = rc != 0 ? rc : notify_hook_headers(g, w, h, err);
    rc = rc != 0 ? rc : notify_hook_secret(g, w, h, err);
    rc = rc != 0 ? rc : notify_hook_limits(g, w, h, err);
    return rc;
}

/* ---- the list ------------------------------------------------------------------------- */

static int notify_parse_list(const config_setting_t *list, const char *file,
                             struct notify_config *out, struct sw_err *err)
{
    int n = config_setting_length(list);
    if (config_setting_type(list) != CONFIG_TYPE_LIST || n > NOTIFY_HOOKS_MAX) {
        return sw_err_set(
            err, SW_EINVAL, "%s:%d: %s: expected a list of at most %d groups: ( { ... }, { ... } )",
            file, config_setting_source_line(list), NOTIFY_CONFIG_SETTING, NOTIFY_HOOKS_MAX);
    }
    out->hooks = calloc((size_t)n + 1, sizeof *out->hooks);
    if (out->hooks == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        struct notify_where w = {.file = file, .idx = (size_t)i};
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        rc = notify_hook_parse(g, &w, &out->hooks[out->n_hooks++], err);
        for (size_t j = 0; rc == 0 && j + 1 < out->n_hooks; j++) {
            if (strcmp(out->hooks[j].name, out->hooks[i].name) == 0) {
                rc = sw_err_set(err, SW_EINVAL, "%s: name '%s' is used by webhooks[%zu] too",
                                notify_at(&w, g, "name"), out->hooks[i].name, j + 1);
            }
        }
    }
    return rc;
}

int notify_config_load(const char *path, const char *text, const char *name,
                       struct notify_config *out, struct sw_err *err)
{
    config_t cf;
    memset(out, 0, sizeof *out);
    config_init(&cf);
    const char *file = path != NULL ? path : (name != NULL ? name : "<config>");
    int ok = path != NULL ? config_read_file(&cf, path) : config_read_string(&cf, text);
    int rc = 0;
    if (ok != CONFIG_TRUE) {
        /* cfgtab read the same file a moment ago; report it the same way */
        rc = config_error_type(&cf) == CONFIG_ERR_FILE_IO
                 ? sw_err_set(err, SW_EIO, "%s: cannot read the config file", file)
                 : sw_err_set(err, SW_EINVAL, "%s:%d: %s", file, config_error_line(&cf),
                              config_error_text(&cf));
    }
    const config_setting_t *list = rc == 0 ? config_lookup(&cf, NOTIFY_CONFIG_SETTING) : NULL;
    if (list != NULL) {
        rc = notify_parse_list(list, file, out, err);
    }
    config_destroy(&cf);
    if (rc != 0) {
        notify_config_cleanup(out);
    }
    return rc;
}

/* ---- comparing, copying, printing ------------------------------------------------------ */

static bool notify_str_eq(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

bool notify_hook_config_equal(const struct notify_hook_config *a,
                              const struct notify_hook_config *b)
{
    bool same = notify_str_eq(a->name, b->name) && notify_str_eq(a->url, b->url) &&
                notify_str_eq(a->url_file, b->url_file) && a->format == b->format &&
                a->events == b->events && a->n_headers == b->n_headers &&
                a->secret_len == b->secret_len && notify_str_eq(a->secret_file, b->secret_file) &&
                notify_str_eq(a->ca_file, b->ca_file) &&
                a->connect_timeout_ms == b->connect_timeout_ms && a->timeout_ms == b->timeout_ms &&
                a->max_attempts == b->max_attempts && a->retry_base_ms == b->retry_base_ms &&
                a->retry_cap_ms == b->retry_cap_ms && a->queue_max == b->queue_max;
    same = same && (a->secret_len == 0 || memcmp(a->secret, b->secret, a->secret_len) == 0);
    for (size_t i = 0; same && i < a->n_headers; i++) {
        same = strcmp(a->headers[i], b->headers[i]) == 0;
    }
    return same;
}

bool notify_config_equal(const struct notify_config *a, const struct notify_config *b)
{
    bool same = a->n_hooks == b->n_hooks;
    for (size_t i = 0; same && i < a->n_hooks; i++) {
        same = notify_hook_config_equal(&a->hooks[i], &b->hooks[i]);
    }
    return same;
}

static int notify_dup(const char *s, char **out)
{
    *out = s != NULL ? strdup(s) : NULL;
    return (s != NULL && *out == NULL) ? -1 : 0;
}

int notify_hook_config_copy(const struct notify_hook_config *src, struct notify_hook_config *out,
                            struct sw_err *err)
{
    *out = *src;
    out->name = out->url = out->url_file = out->secret = out->secret_file = out->ca_file = NULL;
    out->headers = NULL;
    out->n_headers = 0;
    int bad = notify_dup(src->name, &out->name) | notify_dup(src->url, &out->url) |
              notify_dup(src->url_file, &out->url_file) |
              notify_dup(src->secret_file, &out->secret_file) |
              notify_dup(src->ca_file, &out->ca_file);
    if (src->secret != NULL && (out->secret = malloc(src->secret_len + 1)) != NULL) {
        memcpy(out->secret, src->secret, src->secret_len + 1);
    }
    bad |= (src->secret != NULL && out->secret == NULL) ? -1 : 0;
    out->headers = calloc(src->n_headers + 1, sizeof *out->headers);
    bad |= out->headers == NULL ? -1 : 0;
    for (size_t i = 0; bad == 0 && i < src->n_headers; i++) {
        bad |= notify_dup(src->headers[i], &out->headers[out->n_headers++]);
    }
    if (bad != 0) {
        notify_hook_config_cleanup(out);
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    return 0;
}

void notify_url_redacted(const char *url, char *buf, size_t cap)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        (void)curl_url_get(u, CURLUPART_PORT, &port, 0);
        snprintf(buf, cap, "%s://%s%s%s/<redacted>", scheme, host, port != NULL ? ":" : "",
                 port != NULL ? port : "");
    } else {
        snprintf(buf, cap, "<redacted>");
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

static int notify_print_hook(const struct notify_hook_config *h, struct sw_strbuf *out,
                             struct sw_err *err)
{
    char url[512];
    notify_url_redacted(h->url, url, sizeof url);
    int rc = sw_strbuf_printf(out, err, "  {\n    name = \"%s\";\n", h->name);
    if (rc == 0 && h->url_file != NULL) {
        rc = sw_strbuf_printf(out, err, "    url_file = \"%s\";\n", h->url_file);
    } else if (rc == 0) {
        rc = sw_strbuf_printf(out, err, "    url = \"%s\";\n", url);
    }
    rc = rc != 0 ? rc
                 : sw_strbuf_printf(out, err, "    format = \"%s\";\n    events = [",
                                    h->format == NOTIFY_FORMAT_SLACK ? "slack" : "json");
    for (int k = 0, n = 0; rc == 0 && k < NOTIFY_KIND_COUNT; k++) {
        if ((h->events & (1u << k)) != 0) {
            rc = sw_strbuf_printf(out, err, "%s\"%s\"", n++ > 0 ? ", " : "",
                                  notify_kind_name((enum notify_kind)k));
        }
    }
    rc = rc != 0 ? rc : sw_strbuf_puts(out, "];\n", err);
    for (size_t i = 0; rc == 0 && i < h->n_headers; i++) {
        rc = sw_strbuf_printf(out, err, "%s\"%.*s: <redacted>\"%s",
                              i == 0 ? "    headers = [" : ", ", (int)strcspn(h->headers[i], ":"),
                              h->headers[i], i + 1 == h->n_headers ? "];\n" : "");
    }
    if (rc == 0 && h->secret_file != NULL) {
        rc = sw_strbuf_printf(out, err, "    secret_file = \"%s\";\n", h->secret_file);
    }
    if (rc == 0 && h->ca_file != NULL) {
        rc = sw_strbuf_printf(out, err, "    ca_file = \"%s\";\n", h->ca_file);
    }
    return rc != 0 ? rc
                   : sw_strbuf_printf(out, err,
                                      "    connect_timeout_s = \"%" PRId64 "ms\";\n"
                                      "    timeout_s = \"%" PRId64 "ms\";\n"
                                      "    max_attempts = %d;\n    retry_base_ms = %" PRId64 ";\n"
                                      "    retry_max_s = \"%" PRId64 "ms\";\n"
                                      "    queue_max = %zu;\n  }",
                                      h->connect_timeout_ms, h->timeout_ms, h->max_attempts,
                                      h->retry_base_ms, h->retry_cap_ms, h->queue_max);
}

int notify_config_print(const struct notify_config *c, struct sw_strbuf *out, struct sw_err *err)
{
    if (c->n_hooks == 0) {
        return 0;
    }
    int rc = sw_strbuf_printf(out, err, "%s = (\n", NOTIFY_CONFIG_SETTING);
    for (size_t i = 0; rc == 0 && i < c->n_hooks; i++) {
        rc = notify_print_hook(&c->hooks[i], out, err);
        rc = rc != 0 ? rc : sw_strbuf_puts(out, i + 1 < c->n_hooks ? ",\n" : "\n", err);
    }
    return rc != 0 ? rc : sw_strbuf_puts(out, ");\n", err);
}

void notify_hook_config_cleanup(struct notify_hook_config *h)
{
    free(h->name);
    free(h->url);
    free(h->url_file);
    for (size_t i = 0; i < h->n_headers; i++) {
        free(h->headers[i]);
    }
    free(h->headers);
    free(h->secret);
    free(h->secret_file);
    free(h->ca_file);
    memset(h, 0, sizeof *h);
}

void notify_config_cleanup(struct notify_config *c)
{
    for (size_t i = 0; i < c->n_hooks; i++) {
        notify_hook_config_cleanup(&c->hooks[i]);
    }
    free(c->hooks);
    memset(c, 0, sizeof *c);
}
