/* coordinator/http/http_server.c: a real server on 127.0.0.1 (any free port) with a small
 * route table, driven by libcurl: routing, auth, limits, JSON errors. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_server.h"
#include "sw/strbuf.h"

static int echo_handler(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e)
{
    (void)ctx;
    (void)e;
    out->body = json_pack("{s:s, s:s, s:s}", "actor", req->actor, "param",
                          req->n_params > 0 ? req->params[0] : "", "q",
                          http_request_query(req, "q") != NULL ? http_request_query(req, "q") : "");
    if (req->json != NULL) {
        json_object_set(out->body, "body", req->json);
    }
    return 0;
}

static int fail_handler(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e)
{
    (void)ctx;
    (void)req;
    (void)out;
    int rc = svc_error_set(e, SVC_SHARD_BUSY, "shard t-1 is in active wave w-1");
    sw_err_hint(&e->err, "wait");
    svc_error_detail(e, "shards", json_pack("[s]", "t-1"));
    return rc;
}

static const struct http_route routes[] = {
    {HTTP_GET, "/healthz", HTTP_ROLE_PUBLIC, false, false, echo_handler},
    {HTTP_GET, "/v1/things/{id}", HTTP_ROLE_READ, false, false, echo_handler},
    {HTTP_POST, "/v1/things/{id}", HTTP_ROLE_OPERATOR, false, true, echo_handler},
    {HTTP_POST, "/v1/upload", HTTP_ROLE_OPERATOR, true, true, echo_handler},
    {HTTP_POST, "/v1/busy", HTTP_ROLE_OPERATOR, false, true, fail_handler},
    {HTTP_POST, "/v1/agent", HTTP_ROLE_AGENT, false, true, echo_handler},
};

static int test_auth(void *ctx, const char *token, char *name, size_t cap, enum http_role *role)
{
    (void)ctx;
    static const struct {
        const char *token;
        const char *name;
        enum http_role role;
    } known[] = {{"op", "ops-oncall", HTTP_ROLE_OPERATOR},
                 {"rd", "viewer", HTTP_ROLE_READ},
                 {"ag", "agent-1", HTTP_ROLE_AGENT}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strcmp(token, known[i].token) == 0) {
            snprintf(name, cap, "%s", known[i].name);
            *role = known[i].role;
            return 0;
        }
    }
    return -1;
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ctx)
{
    sw_strbuf_append(ctx, ptr, size * nmemb, NULL);
    return size * nmemb;
}

struct call {
    const char *method;
    const char *path;
    const char *token; /* NULL = none */
    const char *body;  /* NULL = none */
    size_t body_bytes; /* > 0: a body of that many spaces instead */
    long status;
    const char *expect; /* exact reply body (without the trailing newline) */
};

static const struct call calls[] = {
    {"GET", "/healthz", NULL, NULL, 0, 200, "{\"actor\":\"\",\"param\":\"\",\"q\":\"\"}"},
    {"GET", "/v1/things/a1?q=x", "rd", NULL, 0, 200,
     "{\"actor\":\"viewer\",\"param\":\"a1\",\"q\":\"x\"}"},
    {"GET", "/v1/things/a1", NULL, NULL, 0, 401,
     "{\"error\":{\"code\":\"unauthorized\",\"message\":\"missing bearer token\"}}"},
    {"GET", "/v1/things/a1", "nope", NULL, 0, 401,
     "{\"error\":{\"code\":\"unauthorized\",\"message\":\"unknown token\"}}"},
    {"GET", "/v1/nothing", NULL, NULL, 0, 401,
     "{\"error\":{\"code\":\"unauthorized\",\"message\":\"missing bearer token\"}}"},
    {"POST", "/v1/things/a1", "rd", "{}", 0, 403,
     "{\"error\":{\"code\":\"forbidden\",\"message\":\"token 'viewer' (role read) may not POST "
     "/v1/things/{id}\"}}"},
    {"GET", "/v1/things/a1", "ag", NULL, 0, 403,
     "{\"error\":{\"code\":\"forbidden\",\"message\":\"token 'agent-1' (role agent) may not GET "
     "/v1/things/{id}\"}}"},
    {"POST", "/v1/agent", "op", "{}", 0, 403,
     "{\"error\":{\"code\":\"forbidden\",\"message\":\"token 'ops-oncall' (role operator) may "
     "not POST /v1/agent\"}}"},
    {"POST", "/v1/things/b2", "op", "{\"k\": [1, 2]}", 0, 200,
     "{\"actor\":\"ops-oncall\",\"param\":\"b2\",\"q\":\"\",\"body\":{\"k\":[1,2]}}"},
    {"GET", "/v1/nothing", "rd", NULL, 0, 404,
     "{\"error\":{\"code\":\"not_found\",\"message\":\"no such endpoint: GET /v1/nothing\"}}"},
    {"GET", "/v1/things/a/b", "rd", NULL, 0, 404,
     "{\"error\":{\"code\":\"not_found\",\"message\":\"no such endpoint: GET /v1/things/a/b\"}}"},
    {"DELETE", "/v1/things/a1", "op", NULL, 0, 405,
     "{\"error\":{\"code\":\"method_not_allowed\",\"message\":\"method DELETE not allowed on "
     "/v1/things/a1\"}}"},
    {"POST", "/v1/things/a1", "op", "{\"a\": ", 0, 400,
     "{\"error\":{\"code\":\"invalid_json\",\"message\":\"malformed JSON at line 1 column 6: "
     "unexpected token near end of file\"}}"},
    {"POST", "/v1/things/a1", "op", "[1]", 0, 400,
     "{\"error\":{\"code\":\"invalid_request\",\"message\":\"the request body must be a JSON "
     "object\"}}"},
    {"POST", "/v1/things/a1", "op", "{\"a\": 1, \"a\": 2}", 0, 400, NULL},
    {"POST", "/v1/things/a1", "op", NULL, 2000, 413,
     "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"request body over 1024 bytes\","
     "\"hint\":\"the limit is 1024 bytes\"}}"},
    {"POST", "/v1/upload", "op", NULL, 3000, 200, NULL},
    {"POST", "/v1/upload", "op", NULL, 5000, 413, NULL},
    {"POST", "/v1/busy", "op", NULL, 0, 409,
     "{\"error\":{\"code\":\"shard_busy\",\"message\":\"shard t-1 is in active wave w-1\","
     "\"hint\":\"wait\",\"shards\":[\"t-1\"]}}"},
};

static void run_call(uint16_t port, const struct call *c)
{
    CURL *h = curl_easy_init();
    assert_non_null(h);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", (unsigned)port, c->path);
    struct sw_strbuf reply;
    sw_strbuf_init(&reply, 1 << 20);
    struct curl_slist *hdrs = NULL;
    char auth[64];
    if (c->token != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    char *big = NULL;
    if (c->body_bytes > 0) {
        big = malloc(c->body_bytes + 1);
        memset(big, ' ', c->body_bytes);
        big[0] = '{';
        big[c->body_bytes - 1] = '}';
        big[c->body_bytes] = '\0';
    }
    const char *body = big != NULL ? big : c->body;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
    assert_int_equal(curl_easy_perform(h), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != c->status) {
        fail_msg("%s %s: status %ld, expected %ld: %s", c->method, c->path, status, c->status,
                 sw_strbuf_str(&reply));
    }
    if (c->expect != NULL) {
        char want[1024];
        snprintf(want, sizeof want, "%s\n", c->expect);
        assert_string_equal(sw_strbuf_str(&reply), want);
    }
    free(big);
    curl_slist_free_all(hdrs);
    sw_strbuf_cleanup(&reply);
    curl_easy_cleanup(h);
}

static void test_routes(void **state)
{
    (void)state;
    struct http_server_config cfg = {
        .listen_addr = "127.0.0.1",
        .port = 0,
        .max_body_bytes = 1024,
        .max_upload_bytes = 4096,
        .routes = routes,
        .n_routes = sizeof routes / sizeof routes[0],
        .auth = test_auth,
    };
    struct http_server *srv = NULL;
    struct sw_err err = {0};
    assert_int_equal(http_server_start(&cfg, &srv, &err), 0);
    assert_true(http_server_port(srv) > 0);
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        run_call(http_server_port(srv), &calls[i]);
    }
    http_server_stop(srv, 1000);
    assert_true(http_server_is_stopping(srv));
    http_server_free(srv);
}

static void test_bad_listen(void **state)
{
    (void)state;
    struct http_server_config cfg = {.listen_addr = "localhost", .routes = routes, .n_routes = 1};
    struct http_server *srv = NULL;
    struct sw_err err = {0};
    assert_int_equal(http_server_start(&cfg, &srv, &err), SW_EINVAL);
    assert_string_equal(err.msg,
                        "listen address 'localhost' is not a numeric IPv4 or IPv6 address");
    cfg.listen_addr = "127.0.0.1";
    cfg.tls_cert_file = "/nonexistent/cert.pem";
    assert_int_equal(http_server_start(&cfg, &srv, &err), SW_EINVAL);
    assert_string_equal(err.msg, "TLS needs both a certificate and a key file");
}

static void test_status_table(void **state)
{
    (void)state;
    static const struct {
        enum svc_code code;
        int status;
        const char *name;
    } rows[] = {
        {SVC_INVALID_JSON, 400, "invalid_json"},
        {SVC_INVALID_REQUEST, 400, "invalid_request"},
        {SVC_INVALID_PLAN, 400, "invalid_plan"},
        {SVC_INVALID_MIGRATION_SET, 400, "invalid_migration_set"},
        {SVC_UNAUTHORIZED, 401, "unauthorized"},
        {SVC_FORBIDDEN, 403, "forbidden"},
        {SVC_NOT_FOUND, 404, "not_found"},
        {SVC_METHOD_NOT_ALLOWED, 405, "method_not_allowed"},
        {SVC_ILLEGAL_TRANSITION, 409, "illegal_transition"},
        {SVC_SHARD_BUSY, 409, "shard_busy"},
        {SVC_CONFLICT, 409, "conflict"},
        {SVC_PAYLOAD_TOO_LARGE, 413, "payload_too_large"},
        {SVC_INTERNAL, 500, "internal_error"},
        {SVC_UNAVAILABLE, 503, "unavailable"},
        {SVC_NOT_LEADER, 503, "not_leader"}, /* 307 when the leader is known */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(http_status_for(rows[i].code), rows[i].status);
        assert_string_equal(svc_code_name(rows[i].code), rows[i].name);
    }
    assert_int_equal(svc_code_from_sw(SW_ENOTFOUND), SVC_NOT_FOUND);
    assert_int_equal(svc_code_from_sw(SW_EIO), SVC_INTERNAL);
    assert_int_equal(svc_code_from_sw(SW_EFENCED), SVC_NOT_LEADER);
    assert_int_equal(svc_code_from_sw(SW_ECONNECT), SVC_UNAVAILABLE);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_bad_listen),
        cmocka_unit_test(test_status_table),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
