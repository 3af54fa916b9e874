/* coordinator/sched: HTTP gates (GET, {wave} substituted, 2xx passes, other statuses and
 * unreachable servers fail with a message), against a real local server. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "http/http_server.h"
#include "sched/sched.h"

/* GET /gate/{wave}: 200 for w-ok, 409 otherwise. */
static int gate_handler(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e)
{
    (void)ctx;
    if (strcmp(req->params[0], "w-ok") == 0) {
        out->body = json_object();
        return 0;
    }
    return svc_error_set(e, SVC_CONFLICT, "metrics are red for %s", req->params[0]);
}

static const struct http_route routes[] = {
    {HTTP_GET, "/gate/{wave}", HTTP_ROLE_PUBLIC, false, false, gate_handler},
};

static void test_gates(void **state)
{
    (void)state;
    struct http_server_config cfg = {.listen_addr = "127.0.0.1", .routes = routes, .n_routes = 1};
    struct http_server *srv = NULL;
    struct sw_err err = {0};
    assert_int_equal(http_server_start(&cfg, &srv, &err), 0);
    char url[128];
    char other[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/gate/{wave}", (unsigned)http_server_port(srv));
    snprintf(other, sizeof other, "http://127.0.0.1:%u/nothing", (unsigned)http_server_port(srv));
    struct {
        const char *url;
        const char *wave;
        int rc;
        const char *msg;
    } cases[] = {
        {url, "w-ok", 0, ""},
        {url, "w-red", SW_ECONFLICT, "answered 409"},
        {other, "w-ok", SW_ECONFLICT, "answered 404"},
        {"ftp://127.0.0.1/x", "w-ok", SW_ECONNECT, "HTTP gate ftp://127.0.0.1/x: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sw_err gerr = {0};
        int rc = sched_http_gate(cases[i].url, cases[i].wave, 5000, &gerr);
        if (rc != cases[i].rc || strstr(gerr.msg, cases[i].msg) == NULL) {
            fail_msg("case %zu: rc %d, message '%s'", i, rc, gerr.msg);
        }
    }
    http_server_free(srv);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_gates)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
