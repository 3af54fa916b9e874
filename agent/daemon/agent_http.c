/* libcurl JSON POSTs to the coordinator (see agent_http.h). */
#include "daemon/agent_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sw/clock.h"
#include "sw/log.h"
#include "sw/redirect.h"
#include "sw/strbuf.h"

#define AGENT_HTTP_URL_MAX          2048
#define AGENT_HTTP_ELECTION_WAIT_MS 1000

struct agent_http {
    CURL *curl;
    struct curl_slist *headers;
    char **urls; /* without a trailing '/' */
    size_t n_urls;
    atomic_size_t own_idx;
    atomic_size_t *idx;               /* shared_idx or &own_idx */
    char learned[AGENT_HTTP_URL_MAX]; /* a followed redirect off the list; "" = none */
    char leader[AGENT_HTTP_URL_MAX];  /* the last leader a redirect named (logged once) */
    char *ca_file;
    int64_t connect_timeout_ms;
    int64_t request_timeout_ms;
    const volatile sig_atomic_t *abort_flag;
};

/* Copies the URLs without trailing '/'; false on ENOMEM. */
static bool agent_http_copy_urls(struct agent_http *h, const struct agent_http_opts *opts)
{
    h->urls = calloc(opts->n_urls + 1, sizeof *h->urls);
    if (h->urls == NULL) {
        return false;
    }
    for (size_t i = 0; i < opts->n_urls; i++) {
        size_t len = strlen(opts->urls[i]);
        while (len > 0 && opts->urls[i][len - 1] == '/') {
            len--;
        }
        if ((h->urls[i] = strndup(opts->urls[i], len)) == NULL) {
            return false;
        }
        h->n_urls++;
    }
    return true;
}

int agent_http_new(const struct agent_http_opts *opts, struct agent_http **out, struct sw_err *err)
{
    struct agent_http *h = calloc(1, sizeof *h);
    char auth[4200];
    int rc = 0;
    *out = NULL;
    if (h == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int n = snprintf(auth, sizeof auth, "Authorization: Bearer %s", opts->token);
    h->curl = curl_easy_init();
    atomic_init(&h->own_idx, 0);
    h->idx = opts->shared_idx != NULL ? opts->shared_idx : &h->own_idx;
    bool has_urls = opts->n_urls > 0 && agent_http_copy_urls(h, opts);
    h->ca_file = opts->ca_file != NULL ? strdup(opts->ca_file) : NULL;
    h->headers = curl_slist_append(NULL, "Content-Type: application/json");
    h->headers = h->headers != NULL ? curl_slist_append(h->headers, "Expect:") : NULL;
    h->headers = h->headers != NULL ? curl_slist_append(h->headers, auth) : NULL;
    h->connect_timeout_ms = opts->connect_timeout_ms;
    h->request_timeout_ms = opts->request_timeout_ms;
    h->abort_flag = opts->abort_flag;
    memset(auth, 0, sizeof auth);
    if (n < 0 || (size_t)n >= sizeof auth) {
        rc = sw_err_set(err, SW_EINVAL, "coordinator token is too long");
    } else if (h->curl == NULL || !has_urls || h->headers == NULL ||
               (opts->ca_file != NULL && h->ca_file == NULL)) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory creating the HTTP client");
    }
    if (rc != 0) {
        agent_http_free(h);
        return rc;
    }
    *out = h;
    return 0;
}

void agent_http_free(struct agent_http *h)
{
    if (h == NULL) {
        return;
    }
    curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->headers); /* holds the token: curl copies, we free */
    for (size_t i = 0; h->urls != NULL && i < h->n_urls; i++) {
        free(h->urls[i]);
    }
    free(h->urls);
    free(h->ca_file);
    free(h);
}

void agent_http_resp_cleanup(struct agent_http_resp *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
}

struct agent_http_sink {
    struct sw_strbuf sb;
    bool too_big;
};

static size_t agent_http_write(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct agent_http_sink *s = ctx;
    size_t n = size * nmemb;
    if (sw_strbuf_append(&s->sb, data, n, NULL) != 0) {
        s->too_big = true;
        return 0; /* aborts the transfer */
    }
    return n;
}

static int agent_http_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                               curl_off_t ulnow)
{
    const struct agent_http *h = ctx;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return h->abort_flag != NULL && *h->abort_flag != 0;
}

static void agent_http_setup(struct agent_http *h, const char *url, const char *body,
                             int64_t extra_wait_ms, struct agent_http_sink *sink)
{
    CURL *c = h->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)h->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(h->request_timeout_ms + extra_wait_ms));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, agent_http_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (h->ca_file != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
    }
    if (h->abort_flag != NULL) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, agent_http_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
}

const char *agent_http_base(const struct agent_http *h)
{
    if (h->learned[0] != '\0') {
        return h->learned;
    }
    return h->urls[atomic_load(h->idx) % h->n_urls];
}

/* Moves on to the next URL after `base` failed (unless another thread already did). */
static void agent_http_next(struct agent_http *h)
{
    if (h->learned[0] != '\0') {
        h->learned[0] = '\0';
        return;
    }
    size_t cur = atomic_load(h->idx);
    atomic_compare_exchange_strong(h->idx, &cur, (cur + 1) % h->n_urls);
}

/* A 307/308: go where it points, if allowed. */
static int agent_http_follow(struct agent_http *h, const char *path, struct sw_err *err)
{
    char *location = NULL;
    char base[AGENT_HTTP_URL_MAX];
    size_t idx = 0;
    bool is_listed = false;
    curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &location);
    if (location == NULL) {
        return sw_err_set(err, SW_EPROTO, "coordinator %s answered a redirect without Location",
                          agent_http_base(h));
    }
    int rc = sw_redirect_base(location, path, (const char *const *)h->urls, h->n_urls, base,
                              sizeof base, &idx, &is_listed, err);
    if (rc != 0) {
        sw_err_hint(err, "list every coordinator's advertise_url in the agent's coordinator_url");
        return rc;
    }
    if (strcmp(base, h->leader) != 0) {
        log_info("coordinator %s is a follower: following the leader at %s", agent_http_base(h),
                 base);
        snprintf(h->leader, sizeof h->leader, "%s", base);
    }
    if (is_listed) {
        h->learned[0] = '\0';
        atomic_store(h->idx, idx);
    } else {
        snprintf(h->learned, sizeof h->learned, "%s", base);
    }
    return 0;
}

/* One POST to base + path. */
static int agent_http_once(struct agent_http *h, const char *base, const char *path,
                           const char *body, int64_t extra_wait_ms, struct agent_http_resp *resp,
                           struct sw_err *err)
{
    struct agent_http_sink sink = {0};
    struct sw_strbuf url;
    int rc = 0;
    memset(resp, 0, sizeof *resp);
    sw_strbuf_init(&sink.sb, AGENT_HTTP_MAX_BODY_BYTES);
    sw_strbuf_init(&url, 4096);
    if (sw_strbuf_printf(&url, err, "%s%s", base, path) != 0) {
        rc = SW_EINVAL;
        goto out;
    }
    agent_http_setup(h, sw_strbuf_str(&url), body, extra_wait_ms, &sink);
    CURLcode cc = curl_easy_perform(h->curl);
    if (sink.too_big) {
        rc = sw_err_set(err, SW_ETOOBIG, "coordinator response to %s exceeds %u MiB", path,
                        AGENT_HTTP_MAX_BODY_BYTES / (1024u * 1024u));
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = sw_err_set(err, SW_ECONNECT, "coordinator %s unreachable: %s", base,
                        curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
    resp->len = sink.sb.len;
    resp->body = sink.sb.len > 0 ? sw_strbuf_take(&sink.sb) : strdup("");
    if (resp->body == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
    }
out:
    sw_strbuf_cleanup(&sink.sb);
    sw_strbuf_cleanup(&url);
    return rc;
}

/* Every coordinator answered 503 not_leader (an election in progress: the leader's lease
 * is lapsing): waits a second here, rather than failing into the caller's growing backoff,
 * while the request's time allows. False: give the 503 to the caller. */
static bool agent_http_wait_election(const struct agent_http *h, const struct agent_http_resp *r,
                                     int64_t deadline_ms)
{
    if (r->status != 503 || strstr(r->body, "\"not_leader\"") == NULL) {
        return false;
    }
    for (int i = 0; i < AGENT_HTTP_ELECTION_WAIT_MS / 50; i++) {
        if (sw_clock_mono_ms() + 50 > deadline_ms || (h->abort_flag != NULL && *h->abort_flag)) {
            return false;
        }
        sw_clock_sleep_ms(50, NULL);
    }
    return true;
}

int agent_http_post(struct agent_http *h, const char *path, const char *body, int64_t extra_wait_ms,
                    struct agent_http_resp *resp, struct sw_err *err)
{
    int64_t deadline_ms = sw_clock_mono_ms() + h->request_timeout_ms;
    size_t n_failed = 0;
    size_t n_tries = h->n_urls + (h->learned[0] != '\0'); /* each coordinator once */
    int n_redirects = 0;
    for (;;) {
        int rc = agent_http_once(h, agent_http_base(h), path, body, extra_wait_ms, resp, err);
        bool is_retryable = rc == SW_ECONNECT || (rc == 0 && resp->status == 503);
        if (is_retryable) {
            agent_http_next(h); /* the next request starts elsewhere too */
            if (++n_failed >= n_tries && rc == 0 &&
                agent_http_wait_election(h, resp, deadline_ms)) {
                n_failed = 0;
            } else if (n_failed >= n_tries) {
                return rc;
            }
            agent_http_resp_cleanup(resp);
            continue;
        }
        if (rc != 0 || (resp->status != 307 && resp->status != 308)) {
            return rc;
        }
        rc = ++n_redirects > AGENT_HTTP_MAX_REDIRECTS
                 ? sw_err_set(err, SW_EPROTO, "coordinator %s: more than %d redirects for %s",
                              agent_http_base(h), AGENT_HTTP_MAX_REDIRECTS, path)
                 : agent_http_follow(h, path, err);
        agent_http_resp_cleanup(resp);
        if (rc != 0) {
            return rc;
        }
    }
}
