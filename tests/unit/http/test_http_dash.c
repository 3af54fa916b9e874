/* coordinator/http/http_dash.c and the server's reply extras it relies on (static text,
 * extra headers, ETag, 304 on If-None-Match): a real server on 127.0.0.1 with the
 * dashboard's routes and a dynamic-ETag route, driven by libcurl. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_dash.h"
#include "http/http_dash_assets.h"
#include "http/http_server.h"
#include "sw/strbuf.h"

#define DASH_CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src "        \
    "'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* Heap text with an ETag "v1", 304 when the client has it. */
static int tagged_handler(void *ctx, const struct http_request *req, struct http_reply *out,
                          struct svc_error *e)
{
    (void)ctx;
    (void)e;
    snprintf(out->etag, sizeof out->etag, "\"v1\"");
    const char *inm = http_request_header(req, "If-None-Match");
    if (inm != NULL && strcmp(inm, out->etag) == 0) {
        out->status = 304;
        out->text = strdup("never sent");
        out->text_len = strlen("never sent");
        return 0;
    }
    out->text = strdup("{\"v\":1}");
    out->text_len = strlen(out->text);
    out->content_type = "application/json";
    return 0;
}

static const struct http_route routes[] = {
    {HTTP_GET, "/", HTTP_ROLE_PUBLIC, false, false, http_dash_index},
    {HTTP_GET, "/ui/{file}", HTTP_ROLE_PUBLIC, false, false, http_dash_asset},
    {HTTP_GET, "/tagged", HTTP_ROLE_PUBLIC, false, false, tagged_handler},
};

struct reply {
    long status;
    struct sw_strbuf body;
    char content_type[128];
    char etag[128];
    char csp[256];
    char nosniff[32];
    char cache[32];
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    sw_strbuf_append(ctx, ptr, size * nmemb, NULL);
    return size * nmemb;
}

/* Copies the value of header `name` (case-insensitive) into buf when the line is it. */
static void take_header(const char *line, size_t len, const char *name, char *buf, size_t cap)
{
    size_t n = strlen(name);
    if (len <= n + 1 || strncasecmp(line, name, n) != 0 || line[n] != ':') {
        return;
    }
    const char *v = line + n + 1;
    size_t vlen = len - n - 1;
    while (vlen > 0 && (*v == ' ')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n')) {
        vlen--;
    }
    snprintf(buf, cap, "%.*s", (int)vlen, v);
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ctx)
{
    struct reply *r = ctx;
    size_t len = size * nmemb;
    take_header(line, len, "Content-Type", r->content_type, sizeof r->content_type);
    take_header(line, len, "ETag", r->etag, sizeof r->etag);
    take_header(line, len, "Content-Security-Policy", r->csp, sizeof r->csp);
    take_header(line, len, "X-Content-Type-Options", r->nosniff, sizeof r->nosniff);
    take_header(line, len, "Cache-Control", r->cache, sizeof r->cache);
    return len;
}

static void get(uint16_t port, const char *path, const char *if_none_match, struct reply *r)
{
    CURL *h = curl_easy_init();
    assert_non_null(h);
    char url[256];
    char inm[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, path);
    memset(r, 0, sizeof *r);
    sw_strbuf_init(&r->body, 1 << 20);
    struct curl_slist *hdrs = NULL;
    if (if_none_match != NULL) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", if_none_match);
        hdrs = curl_slist_append(hdrs, inm);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
}

static const struct http_dash_asset *asset(const char *name)
{
    for (size_t i = 0; i < http_dash_n_assets; i++) {
        if (strcmp(http_dash_assets[i].name, name) == 0) {
            return &http_dash_assets[i];
        }
    }
    fail_msg("no embedded asset %s", name);
    return NULL;
}

static void test_assets(void **state)
{
    uint16_t port = *(uint16_t *)*state;
    static const struct {
        const char *path;
        const char *file;
        const char *content_type;
    } rows[] = {
        {"/", "index.html", "text/html; charset=utf-8"},
        {"/ui/app.js", "app.js", "text/javascript; charset=utf-8"},
        {"/ui/app.css", "app.css", "text/css; charset=utf-8"},
        {"/ui/favicon.svg", "favicon.svg", "image/svg+xml"},
    };
    assert_int_equal(http_dash_n_assets, sizeof rows / sizeof rows[0]);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct http_dash_asset *a = asset(rows[i].file);
        struct reply r;
        get(port, rows[i].path, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.content_type, rows[i].content_type);
        assert_string_equal(r.etag, a->etag);
        assert_string_equal(r.csp, DASH_CSP);
        assert_string_equal(r.nosniff, "nosniff");
        assert_string_equal(r.cache, "no-cache");
        assert_int_equal(r.body.len, a->len);
        assert_memory_equal(r.body.buf, a->bytes, a->len);
        sw_strbuf_cleanup(&r.body);

        get(port, rows[i].path, a->etag, &r); /* the browser has it: 304, no body */
        assert_int_equal(r.status, 304);
        assert_int_equal(r.body.len, 0);
        assert_string_equal(r.etag, a->etag);
        sw_strbuf_cleanup(&r.body);

        get(port, rows[i].path, "\"stale\", W/\"other\"", &r);
        assert_int_equal(r.status, 200);
        sw_strbuf_cleanup(&r.body);
    }
}

static void test_not_found(void **state)
{
    uint16_t port = *(uint16_t *)*state;
    static const struct {
        const char *path;
        const char *body;
    } rows[] = {
        {"/ui/nope.js",
         "{\"error\":{\"code\":\"not_found\",\"message\":\"no such dashboard file: nope.js\"}}\n"},
        {"/ui/index.html", "{\"error\":{\"code\":\"not_found\",\"message\":\"no such dashboard "
                           "file: index.html\"}}\n"},
        /* a decoded '/' makes another path: no route matches */
        {"/ui/..%2Fapp.js", "{\"error\":{\"code\":\"not_found\",\"message\":\"no such "
                            "endpoint: GET /ui/../app.js\"}}\n"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct reply r;
        get(port, rows[i].path, NULL, &r);
        assert_int_equal(r.status, 404);
        assert_string_equal(sw_strbuf_str(&r.body), rows[i].body);
        sw_strbuf_cleanup(&r.body);
    }
}

/* A handler's heap text with an ETag: 200 with it, 304 (no body, text freed) when matched. */
static void test_dynamic_etag(void **state)
{
    uint16_t port = *(uint16_t *)*state;
    struct reply r;
    get(port, "/tagged", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(sw_strbuf_str(&r.body), "{\"v\":1}");
    assert_string_equal(r.etag, "\"v1\"");
    assert_string_equal(r.content_type, "application/json");
    sw_strbuf_cleanup(&r.body);
    get(port, "/tagged", "\"v1\"", &r);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.body.len, 0);
    assert_string_equal(r.etag, "\"v1\"");
    sw_strbuf_cleanup(&r.body);
}

static struct http_server *g_srv;

static int start(void **state)
{
    static uint16_t port;
    struct http_server_config cfg = {
        .listen_addr = "127.0.0.1",
        .routes = routes,
        .n_routes = sizeof routes / sizeof routes[0],
    };
    struct sw_err err = {0};
    if (http_server_start(&cfg, &g_srv, &err) != 0) {
        return -1;
    }
    port = http_server_port(g_srv);
    *state = &port;
    return 0;
}

static int stop(void **state)
{
    (void)state;
    http_server_free(g_srv);
    return 0;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assets),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_dynamic_etag),
    };
    int rc = cmocka_run_group_tests(tests, start, stop);
    curl_global_cleanup();
    return rc;
}
