/* The scheduler thread: expire leases, tick every active wave, run the HTTP gates ticks
 * ask for. */
#include "sched/sched.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sw/clock.h"
#include "sw/log.h"
#include "sw/strbuf.h"

#define SCHED_URL_MAX 8192

/* Lock order: mu only (never held while calling the service). */
struct sched {
    struct svc *svc;
    sched_active_fn is_active;
    void *active_ctx;
    pthread_t thread;
    bool is_started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int64_t tick_ms;
    bool is_stopping;
    bool is_kicked;
};

static size_t sched_discard(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    (void)ptr;
    (void)ctx;
    return size * nmemb;
}

/* The gate URL with every "{wave}" replaced by the wave id. */
static int sched_gate_url(const char *url, const char *wave_id, struct sw_strbuf *out,
                          struct sw_err *err)
{
    const char *p = url;
    const char *hit;
    while ((hit = strstr(p, "{wave}")) != NULL) {
        if (sw_strbuf_append(out, p, (size_t)(hit - p), err) != 0 ||
            sw_strbuf_puts(out, wave_id, err) != 0) {
            return err->code;
        }
        p = hit + strlen("{wave}");
    }
    return sw_strbuf_puts(out, p, err);
}

int sched_http_gate(const char *url, const char *wave_id, int64_t timeout_ms, struct sw_err *err)
{
    struct sw_strbuf u;
    sw_strbuf_init(&u, SCHED_URL_MAX);
    CURL *c = NULL;
    int rc = sched_gate_url(url, wave_id, &u, err);
    if (rc != 0 || (c = curl_easy_init()) == NULL) {
        rc = rc != 0 ? rc : sw_err_set(err, SW_ENOMEM, "cannot create an HTTP client");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, sw_strbuf_str(&u));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sched_discard);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        rc = sw_err_set(err, SW_ETIMEOUT, "HTTP gate %s: no answer within %lld ms", url,
                        (long long)timeout_ms);
    } else if (cc != CURLE_OK) {
        rc = sw_err_set(err, SW_ECONNECT, "HTTP gate %s: %s", url, curl_easy_strerror(cc));
    } else if (status < 200 || status > 299) {
        rc = sw_err_set(err, SW_ECONFLICT, "HTTP gate %s answered %ld", url, status);
    }
out:
    curl_easy_cleanup(c);
    sw_strbuf_cleanup(&u);
    return rc;
}

/* Runs the gate a tick asked for and feeds its outcome back to the wave. */
static void sched_run_gate(struct sched *s, const char *id, const struct svc_tick_result *t)
{
    struct sw_err gerr = {0};
    struct sw_err err = {0};
    int rc = sched_http_gate(t->gate_url, id, t->gate_timeout_ms, &gerr);
    const char *msg = rc == 0 ? "HTTP gate answered 2xx" : gerr.msg;
    if (svc_wave_gate_result(s->svc, id, t->stage_idx, rc == 0, msg, &err) != 0) {
        log_warn("wave=%s gate result not recorded: %s", id, err.msg);
    }
}

/* Ticks in a row a wave may get while each tick changes it (pending -> running, then its
 * first dispatch; a stage passed, then the next one's), so a transition does not wait a
 * whole tick_ms for the decision that follows from it. */
#define SCHED_SETTLE_TICKS 4

static bool sched_revision(struct sched *s, const char *id, int64_t *revision)
{
    struct svc_error e = {0};
    bool ok = svc_wave_revision(s->svc, id, revision, &e) == 0;
    svc_error_cleanup(&e);
    return ok;
}

/* Ticks one wave, again while a tick changed its stored revision (bounded). */
static void sched_tick_wave(struct sched *s, const char *id)
{
    int64_t before = 0;
    bool has_before = sched_revision(s, id, &before);
    for (int n = 0; n < SCHED_SETTLE_TICKS; n++) {
        struct svc_tick_result t = {0};
        struct sw_err err = {0};
        int rc = svc_wave_tick(s->svc, id, sw_clock_wall_ms(), &t, &err);
        if (rc != 0) {
            log_warn("wave=%s tick failed: %s", id, err.msg);
        } else if (t.wants_http_gate) {
            sched_run_gate(s, id, &t);
        }
        bool is_gate = t.wants_http_gate;
        svc_tick_result_cleanup(&t);
        int64_t after = 0;
        if (rc != 0 || is_gate || !has_before || !sched_revision(s, id, &after) ||
            after == before || (s->is_active != NULL && !s->is_active(s->active_ctx))) {
            return;
        }
        before = after;
    }
}

/* One pass: expired leases back to pending, then every active wave ticks. */
static void sched_tick_all(struct sched *s)
{
    char(*ids)[WAVE_ID_MAX + 1] = NULL;
    size_t n = 0;
    struct sw_err err = {0};
    if (s->is_active != NULL && !s->is_active(s->active_ctx)) {
        return;
    }
    if (svc_leases_expire(s->svc, sw_clock_wall_ms(), &err) != 0) {
        log_warn("scheduler: expiring leases: %s", err.msg);
    }
    if (svc_active_waves(s->svc, &ids, &n, &err) != 0) {
        log_warn("scheduler: cannot list active waves: %s", err.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (s->is_active != NULL && !s->is_active(s->active_ctx)) {
            break; /* lost the lead mid-pass: the new leader ticks the rest */
        }
        sched_tick_wave(s, ids[i]);
    }
    free(ids);
}

/* Waits up to tick_ms or until kicked/stopped; returns false when stopping. */
static bool sched_wait(struct sched *s)
{
    pthread_mutex_lock(&s->mu);
    struct timespec ts;
    sw_clock_mono_in(s->tick_ms, &ts);
    while (!s->is_stopping && !s->is_kicked) {
        if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) != 0) {
            break;
        }
    }
    s->is_kicked = false;
    bool go_on = !s->is_stopping;
    pthread_mutex_unlock(&s->mu);
    return go_on;
}

static void *sched_main(void *arg)
{
    struct sched *s = arg;
    log_debug("scheduler started");
    do {
        sched_tick_all(s);
    } while (sched_wait(s));
    log_debug("scheduler stopped");
    return NULL;
}

int sched_start(const struct sched_config *cfg, struct sched **out, struct sw_err *err)
{
    struct sched *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    s->svc = cfg->svc;
    s->is_active = cfg->is_active;
    s->active_ctx = cfg->active_ctx;
    s->tick_ms = cfg->tick_ms >= 10 ? cfg->tick_ms : 10;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&s->thread, NULL, sched_main, s) != 0) {
        sched_free(s);
        return sw_err_set(err, SW_EINTERNAL, "cannot start the scheduler thread");
    }
    s->is_started = true;
    *out = s;
    return 0;
}

void sched_set_tick(struct sched *s, int64_t tick_ms)
{
    pthread_mutex_lock(&s->mu);
    s->tick_ms = tick_ms >= 10 ? tick_ms : 10;
    pthread_mutex_unlock(&s->mu);
}

void sched_kick(struct sched *s)
{
    pthread_mutex_lock(&s->mu);
    s->is_kicked = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

void sched_stop(struct sched *s)
{
    if (s == NULL || !s->is_started) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->is_stopping = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    s->is_started = false;
}

void sched_free(struct sched *s)
{
    if (s == NULL) {
        return;
    }
    sched_stop(s);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
