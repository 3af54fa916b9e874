/* libcurl JSON POSTs to the coordinator (see agent_http.h). */
#include "daemon/agent_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sw/strbuf.h"

struct agent_http {
    CURL *curl;
    struct curl_slist *headers;
    char *base_url;
    char *ca_file;
    int64_t connect_timeout_ms;
    int64_t request_timeout_ms;
    const volatile sig_atomic_t *abort_flag;
};

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
    h->base_url = strdup(opts->base_url);
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
    } else if (h->curl == NULL || h->base_url == NULL || h->headers == NULL ||
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
    free(h->base_url);
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

int agent_http_post(struct agent_http *h, const char *path, const char *body, int64_t extra_wait_ms,
                    struct agent_http_resp *resp, struct sw_err *err)
{
    struct agent_http_sink sink = {0};
    struct sw_strbuf url;
    int rc = 0;
    memset(resp, 0, sizeof *resp);
    sw_strbuf_init(&sink.sb, AGENT_HTTP_MAX_BODY_BYTES);
    sw_strbuf_init(&url, 4096);
    if (sw_strbuf_printf(&url, err, "%s%s", h->base_url, path) != 0) {
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
        rc = sw_err_set(err, SW_ECONNECT, "coordinator %s unreachable: %s", h->base_url,
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
