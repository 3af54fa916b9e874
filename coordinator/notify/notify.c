/*
 * Webhook sender threads: one per hook, each draining its own bounded queue in order,
 * one delivery at a time (a slow receiver delays only its own hook), with libcurl.
 */
#include "notify/notify.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "notify/notify_queue.h"
#include "sw/build_info.h"
#include "sw/clock.h"
#include "sw/log.h"

#define NOTIFY_WHY_MAX 256

struct notify_hook {
    struct notify_hook_config cfg;
    char *coordinator_url;
    struct sw_metrics *reg; /* borrowed, may be NULL */
    pthread_mutex_t mu;     /* queue, is_stopping, has_thread */
    pthread_cond_t cv;      /* an event was queued, or stop */
    struct notify_queue queue;
    bool is_stopping;
    atomic_bool stop_now; /* read by libcurl's progress callback: abort the request */
    bool has_thread;
    pthread_t thread;
    struct sw_retry_rng rng;
};

struct notify {
    struct sw_metrics *reg;
    pthread_mutex_t reload_mu; /* one reload or free at a time */
    pthread_mutex_t mu;        /* the hook list (senders read it, reload swaps it) */
    size_t n_hooks;
    struct notify_hook **hooks;
};

int notify_metrics_define(struct sw_metrics *reg, struct sw_err *err)
{
    static const struct sw_metric_def defs[] = {
        {NOTIFY_METRIC_DELIVERIES,
         SW_METRIC_COUNTER,
         "Webhook deliveries by hook and result: ok, retried (an attempt failed and is "
         "retried), failed (given up), dropped (queue full, or hook removed).",
         2,
         {"hook", "result"},
         0,
         {0}},
        {NOTIFY_METRIC_QUEUED,
         SW_METRIC_GAUGE,
         "Events waiting in each webhook's queue.",
         1,
         {"hook"},
         0,
         {0}},
    };
    return sw_metrics_define(reg, defs, sizeof defs / sizeof defs[0], err);
}

static void notify_count(struct notify_hook *h, const char *result, double n)
{
    if (h->reg != NULL) {
        const char *v[] = {h->cfg.name, result};
        sw_metrics_add(h->reg, NOTIFY_METRIC_DELIVERIES, v, n);
    }
}

/* Caller holds h->mu. */
static void notify_gauge(struct notify_hook *h)
{
    if (h->reg != NULL) {
        const char *v[] = {h->cfg.name};
        sw_metrics_set(h->reg, NOTIFY_METRIC_QUEUED, v, (double)h->queue.n);
    }
}

/* ---- one HTTP POST -------------------------------------------------------------------- */

static size_t notify_discard(char *data, size_t size, size_t n, void *ctx)
{
    (void)data;
    (void)ctx;
    return size * n;
}

static int notify_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                           curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const struct notify_hook *h = ctx;
    return atomic_load(&h->stop_now) ? 1 : 0;
}

/* The request's headers; NULL when out of memory. */
static struct curl_slist *notify_headers(const struct notify_hook *h, const struct notify_event *ev,
                                         int attempt, const char *signature)
{
    char line[160];
    struct curl_slist *l = curl_slist_append(NULL, "Content-Type: application/json");
    snprintf(line, sizeof line, "User-Agent: shardwave-coordinator/%s", SW_VERSION_STRING);
    l = l != NULL ? curl_slist_append(l, line) : NULL;
    snprintf(line, sizeof line, "X-Shardwave-Event: %s", notify_kind_name(ev->kind));
    l = l != NULL ? curl_slist_append(l, line) : NULL;
    snprintf(line, sizeof line, "X-Shardwave-Event-Id: %" PRId64, ev->event_id);
    l = l != NULL ? curl_slist_append(l, line) : NULL;
    snprintf(line, sizeof line, "X-Shardwave-Delivery-Attempt: %d", attempt);
    l = l != NULL ? curl_slist_append(l, line) : NULL;
    if (l != NULL && signature != NULL) {
        snprintf(line, sizeof line, "X-Shardwave-Signature: %s", signature);
        l = curl_slist_append(l, line);
    }
    for (size_t i = 0; l != NULL && i < h->cfg.n_headers; i++) {
        l = curl_slist_append(l, h->cfg.headers[i]);
    }
    l = l != NULL ? curl_slist_append(l, "Expect:") : NULL; /* no 100-continue round trip */
    return l;
}

/* libcurl's error text, unless it quotes the URL's path or query (a secret). */
static void notify_why(const struct notify_hook *h, CURLcode cc, const char *errbuf, char *why)
{
    const char *scheme_end = strstr(h->cfg.url, "://");
    const char *path = scheme_end != NULL ? strchr(scheme_end + 3, '/') : NULL;
    bool quotes_url = strstr(errbuf, h->cfg.url) != NULL ||
                      (path != NULL && path[1] != '\0' && strstr(errbuf, path) != NULL);
    snprintf(why, NOTIFY_WHY_MAX, "%s",
             errbuf[0] != '\0' && !quotes_url ? errbuf : curl_easy_strerror(cc));
}

static void notify_post(struct notify_hook *h, CURL *c, const struct sw_strbuf *body,
                        const char *signature, const struct notify_event *ev, int attempt,
                        long *status, char *why)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = notify_headers(h, ev, attempt, signature);
    *status = 0;
    if (headers == NULL) {
        snprintf(why, NOTIFY_WHY_MAX, "out of memory");
        return;
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, h->cfg.url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, sw_strbuf_str(body));
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->cfg.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)h->cfg.timeout_ms);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->cfg.ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, h->cfg.ca_file);
    }
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, notify_discard);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, notify_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode cc = curl_easy_perform(c);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        snprintf(why, NOTIFY_WHY_MAX, "HTTP %ld", *status);
    } else {
        notify_why(h, cc, errbuf, why);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
}

/* ---- one event ------------------------------------------------------------------------ */

/* The body (and its signature) for this hook's format. */
static int notify_body(const struct notify_hook *h, const struct notify_event *ev,
                       struct sw_strbuf *body, char signature[NOTIFY_SIGNATURE_MAX],
                       struct sw_err *err)
{
    int rc = h->cfg.format == NOTIFY_FORMAT_SLACK
                 ? notify_payload_slack(ev, h->coordinator_url, body, err)
                 : notify_payload_json(ev, h->coordinator_url, body, err);
    if (rc == 0 && h->cfg.secret != NULL) {
        rc = notify_signature(h->cfg.secret, h->cfg.secret_len, sw_strbuf_str(body), body->len,
                              signature, err);
    }
    return rc;
}

/* Waits delay_ms or until stopped; true when stopped. */
static bool notify_backoff_wait(struct notify_hook *h, int64_t delay_ms)
{
    struct timespec until;
    sw_clock_mono_in(delay_ms, &until);
    pthread_mutex_lock(&h->mu);
    int rc = 0;
    while (!h->is_stopping && rc == 0) {
        rc = pthread_cond_timedwait(&h->cv, &h->mu, &until);
    }
    bool stopped = h->is_stopping;
    pthread_mutex_unlock(&h->mu);
    return stopped;
}

/* Delivers ev with retries; false when stopped before it was delivered or given up. */
static bool notify_deliver(struct notify_hook *h, CURL *c, const struct notify_event *ev)
{
    struct sw_strbuf body;
    struct sw_err err = {0};
    char signature[NOTIFY_SIGNATURE_MAX] = "";
    sw_strbuf_init(&body, NOTIFY_BODY_MAX);
    bool is_done = true;
    if (notify_body(h, ev, &body, signature, &err) != 0) {
        log_error("wave=%s webhook %s: event %" PRId64 " not sent: %s", ev->wave_id, h->cfg.name,
                  ev->event_id, err.msg);
        notify_count(h, "failed", 1);
        goto out;
    }
    struct sw_retry_policy policy = {h->cfg.retry_base_ms, h->cfg.retry_cap_ms};
    for (int attempt = 1;; attempt++) {
        long status = 0;
        char why[NOTIFY_WHY_MAX];
        notify_post(h, c, &body, h->cfg.secret != NULL ? signature : NULL, ev, attempt, &status,
                    why);
        if (atomic_load(&h->stop_now) && status == 0) {
            is_done = false; /* interrupted: the event goes back to the queue */
            break;
        }
        enum notify_verdict v = notify_verdict(status, attempt, h->cfg.max_attempts);
        if (v == NOTIFY_DELIVERED) {
            notify_count(h, "ok", 1);
            log_debug("wave=%s webhook %s: event %" PRId64 " (%s) delivered, attempt %d",
                      ev->wave_id, h->cfg.name, ev->event_id, notify_kind_name(ev->kind), attempt);
            break;
        }
        if (v == NOTIFY_GIVE_UP) {
            notify_count(h, "failed", 1);
            log_warn("wave=%s webhook %s: event %" PRId64 " (%s) given up after %d attempt%s: %s",
                     ev->wave_id, h->cfg.name, ev->event_id, notify_kind_name(ev->kind), attempt,
                     attempt == 1 ? "" : "s", why);
            break;
        }
        int64_t delay_ms = notify_backoff_ms(&policy, attempt, sw_retry_rng_next, &h->rng);
        notify_count(h, "retried", 1);
        log_info("wave=%s webhook %s: event %" PRId64 " attempt %d failed (%s); retry in %" PRId64
                 " ms",
                 ev->wave_id, h->cfg.name, ev->event_id, attempt, why, delay_ms);
        if (notify_backoff_wait(h, delay_ms)) {
            is_done = false;
            break;
        }
    }
out:
    sw_strbuf_cleanup(&body);
    return is_done;
}

/* An interrupted delivery goes back in front of the queue. Caller holds h->mu. */
static void notify_put_back(struct notify_hook *h, const struct notify_event *ev)
{
    int64_t dropped = -1;
    if (notify_queue_push_front(&h->queue, ev, &dropped)) {
        notify_count(h, "dropped", 1);
        log_warn("webhook %s: queue full (%zu events): event %" PRId64 " dropped", h->cfg.name,
                 h->queue.cap, dropped);
    }
    notify_gauge(h);
}

static void *notify_hook_main(void *arg)
{
    struct notify_hook *h = arg;
    CURL *c = curl_easy_init();
    struct notify_event ev;
    pthread_mutex_lock(&h->mu);
    for (;;) {
        while (!h->is_stopping && h->queue.n == 0) {
            pthread_cond_wait(&h->cv, &h->mu);
        }
        if (h->is_stopping || !notify_queue_pop(&h->queue, &ev)) {
            break;
        }
        notify_gauge(h);
        pthread_mutex_unlock(&h->mu);
        bool is_done = c != NULL && notify_deliver(h, c, &ev);
        pthread_mutex_lock(&h->mu);
        if (c == NULL) {
            log_error("webhook %s: libcurl could not start: events stay queued", h->cfg.name);
        }
        if (!is_done) {
            notify_put_back(h, &ev);
            break;
        }
    }
    pthread_mutex_unlock(&h->mu);
    curl_easy_cleanup(c);
    return NULL;
}

/* ---- hooks ---------------------------------------------------------------------------- */

static void notify_hook_free(struct notify_hook *h)
{
    if (h == NULL) {
        return;
    }
    notify_queue_cleanup(&h->queue);
    notify_hook_config_cleanup(&h->cfg);
    free(h->coordinator_url);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

/* A hook, not started yet. */
static int notify_hook_new(const struct notify_hook_config *cfg, const char *url,
                           struct sw_metrics *reg, struct notify_hook **out, struct sw_err *err)
{
    struct notify_hook *h = calloc(1, sizeof *h);
    if (h == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&h->stop_now, false);
    h->reg = reg;
    sw_retry_rng_seed(&h->rng, (uint64_t)sw_clock_mono_ms() ^ (uint64_t)(uintptr_t)h);
    int rc = notify_hook_config_copy(cfg, &h->cfg, err);
    rc = rc != 0 ? rc : notify_queue_init(&h->queue, cfg->queue_max, err);
    if (rc == 0 && (h->coordinator_url = strdup(url)) == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    if (rc != 0) {
        notify_hook_free(h);
        return rc;
    }
    for (const char *const *r = (const char *const[]){"ok", "retried", "failed", "dropped", NULL};
         reg != NULL && *r != NULL; r++) {
        notify_count(h, *r, 0); /* every series shows, at 0 */
    }
    notify_gauge(h);
    *out = h;
    return 0;
}

static int notify_hook_start(struct notify_hook *h, struct sw_err *err)
{
    pthread_mutex_lock(&h->mu);
    int prc = pthread_create(&h->thread, NULL, notify_hook_main, h);
    h->has_thread = prc == 0;
    pthread_mutex_unlock(&h->mu);
    return prc == 0
               ? 0
               : sw_err_set(err, SW_EINTERNAL, "webhook %s: cannot start a thread", h->cfg.name);
}

/* Stops the thread (its event in flight goes back to the queue) and joins it. */
static void notify_hook_stop(struct notify_hook *h)
{
    pthread_mutex_lock(&h->mu);
    h->is_stopping = true;
    atomic_store(&h->stop_now, true);
    bool has_thread = h->has_thread;
    h->has_thread = false;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (has_thread) {
        pthread_join(h->thread, NULL);
    }
}

/* Stops and frees a hook whose events are not carried over. */
static void notify_hook_retire(struct notify_hook *h, const char *why)
{
    notify_hook_stop(h);
    if (h->queue.n > 0) {
        log_warn("webhook %s: %zu undelivered event%s dropped (%s)", h->cfg.name, h->queue.n,
                 h->queue.n == 1 ? "" : "s", why);
        notify_count(h, "dropped", (double)h->queue.n);
    }
    notify_hook_free(h);
}

/* ---- the sender ----------------------------------------------------------------------- */

static void notify_hooks_free(struct notify_hook **hooks, size_t n, const char *why)
{
    for (size_t i = 0; hooks != NULL && i < n; i++) {
        notify_hook_retire(hooks[i], why);
    }
    free(hooks);
}

int notify_new(const struct notify_config *cfg, const char *coordinator_url, struct sw_metrics *reg,
               struct notify **out, struct sw_err *err)
{
    struct notify *n = calloc(1, sizeof *n);
    if (n == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(n);
        return sw_err_set(err, SW_EINTERNAL, "webhooks: cannot initialise libcurl");
    }
    pthread_mutex_init(&n->reload_mu, NULL);
    pthread_mutex_init(&n->mu, NULL);
    n->reg = reg;
    n->hooks = calloc(cfg->n_hooks + 1, sizeof *n->hooks);
    int rc = n->hooks == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
    for (size_t i = 0; rc == 0 && i < cfg->n_hooks; i++) {
        rc = notify_hook_new(&cfg->hooks[i], coordinator_url, reg, &n->hooks[i], err);
        n->n_hooks += rc == 0 ? 1 : 0;
        rc = rc != 0 ? rc : notify_hook_start(n->hooks[i], err);
    }
    if (rc != 0) {
        notify_free(n);
        return rc;
    }
    *out = n;
    return 0;
}

void notify_send(struct notify *n, const struct notify_event *ev)
{
    if (n == NULL) {
        return;
    }
    pthread_mutex_lock(&n->mu);
    for (size_t i = 0; i < n->n_hooks; i++) {
        struct notify_hook *h = n->hooks[i];
        bool wants = false;
        for (int k = 0; !wants && k < NOTIFY_KIND_COUNT; k++) {
            wants = (h->cfg.events & (1u << k)) != 0 &&
                    notify_kind_matches((enum notify_kind)k, ev->kind);
        }
        if (!wants) {
            continue;
        }
        int64_t dropped = -1;
        pthread_mutex_lock(&h->mu);
        if (notify_queue_push(&h->queue, ev, &dropped)) {
            notify_count(h, "dropped", 1);
            log_warn("webhook %s: queue full (%zu events): event %" PRId64 " dropped", h->cfg.name,
                     h->queue.cap, dropped);
        }
        notify_gauge(h);
        pthread_cond_signal(&h->cv);
        pthread_mutex_unlock(&h->mu);
    }
    pthread_mutex_unlock(&n->mu);
}

void notify_free(struct notify *n)
{
    if (n == NULL) {
        return;
    }
    pthread_mutex_lock(&n->reload_mu);
    pthread_mutex_lock(&n->mu);
    struct notify_hook **hooks = n->hooks;
    size_t n_hooks = n->n_hooks;
    n->hooks = NULL;
    n->n_hooks = 0;
    pthread_mutex_unlock(&n->mu);
    notify_hooks_free(hooks, n_hooks, "shutdown");
    pthread_mutex_unlock(&n->reload_mu);
    pthread_mutex_destroy(&n->mu);
    pthread_mutex_destroy(&n->reload_mu);
    free(n);
}

/* ---- reload --------------------------------------------------------------------------- */

static struct notify_hook *notify_find(struct notify_hook **hooks, size_t n, const char *name,
                                       size_t *idx)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(hooks[i]->cfg.name, name) == 0) {
            *idx = i;
            return hooks[i];
        }
    }
    return NULL;
}

/* The new list: unchanged hooks are the old objects (kept[j] set), others new and not
 * started yet (is_new[i] set). */
static int notify_reload_build(struct notify *n, const struct notify_config *cfg, const char *url,
                               struct notify_hook **next, bool *is_new, bool *kept,
                               struct sw_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < cfg->n_hooks; i++) {
        size_t j = 0;
        struct notify_hook *old = notify_find(n->hooks, n->n_hooks, cfg->hooks[i].name, &j);
        if (old != NULL && notify_hook_config_equal(&old->cfg, &cfg->hooks[i]) &&
            strcmp(old->coordinator_url, url) == 0) {
            next[i] = old;
            kept[j] = true;
            continue;
        }
        rc = notify_hook_new(&cfg->hooks[i], url, n->reg, &next[i], err);
        is_new[i] = rc == 0;
    }
    return rc;
}

/* Stops the old hooks not kept; a changed hook's events move in front of its successor's. */
static void notify_reload_retire(struct notify_hook **old, size_t n_old, const bool *kept,
                                 struct notify_hook **next, size_t n_next)
{
    for (size_t j = 0; j < n_old; j++) {
        if (kept[j]) {
            continue;
        }
        size_t i = 0;
        struct notify_hook *succ = notify_find(next, n_next, old[j]->cfg.name, &i);
        notify_hook_stop(old[j]);
        if (succ != NULL) {
            pthread_mutex_lock(&succ->mu);
            size_t n_dropped = notify_queue_prepend(&succ->queue, &old[j]->queue);
            notify_gauge(succ);
            pthread_mutex_unlock(&succ->mu);
            if (n_dropped > 0) {
                notify_count(succ, "dropped", (double)n_dropped);
                log_warn("webhook %s: %zu undelivered events dropped on reload (queue_max %zu)",
                         succ->cfg.name, n_dropped, succ->queue.cap);
            }
        }
        notify_hook_retire(old[j], "webhook removed on reload");
    }
}

int notify_reload(struct notify *n, const struct notify_config *cfg, const char *coordinator_url,
                  size_t *n_changed, struct sw_err *err)
{
    pthread_mutex_lock(&n->reload_mu);
    struct notify_hook **next = calloc(cfg->n_hooks + 1, sizeof *next);
    bool *is_new = calloc(cfg->n_hooks + 1, sizeof *is_new);
    bool *kept = calloc(n->n_hooks + 1, sizeof *kept);
    int rc = (next == NULL || is_new == NULL || kept == NULL)
                 ? sw_err_set(err, SW_ENOMEM, "out of memory")
                 : notify_reload_build(n, cfg, coordinator_url, next, is_new, kept, err);
    if (rc != 0) {
        for (size_t i = 0; next != NULL && is_new != NULL && i < cfg->n_hooks; i++) {
            notify_hook_free(is_new[i] ? next[i] : NULL);
        }
        goto out;
    }
    *n_changed = 0;
    for (size_t i = 0; i < cfg->n_hooks; i++) {
        *n_changed += is_new[i] ? 1 : 0;
    }
    for (size_t j = 0; j < n->n_hooks; j++) {
        *n_changed +=
            !kept[j] && !notify_find(next, cfg->n_hooks, n->hooks[j]->cfg.name, &(size_t){0});
    }
    pthread_mutex_lock(&n->mu);
    struct notify_hook **old = n->hooks;
    size_t n_old = n->n_hooks;
    n->hooks = next;
    n->n_hooks = cfg->n_hooks;
    next = old;
    pthread_mutex_unlock(&n->mu);
    notify_reload_retire(old, n_old, kept, n->hooks, n->n_hooks);
    for (size_t i = 0; i < n->n_hooks; i++) {
        if (is_new[i] && notify_hook_start(n->hooks[i], err) != 0) {
            rc = SW_EINTERNAL; /* its events stay queued; reported once */
        }
    }
out:
    free(next);
    free(is_new);
    free(kept);
    pthread_mutex_unlock(&n->reload_mu);
    return rc;
}
