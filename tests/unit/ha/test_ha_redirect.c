/* Followers redirect, agents follow (issue 10): the HTTP server answers a follower's
 * agent and operator routes 307 to the leader (or 503 while none is known) and serves
 * read routes itself; the agent's client follows the 307 itself to another port, re-sends
 * body and token, skips unreachable coordinators and refuses redirects off its list.
 * Real libmicrohttpd servers on 127.0.0.1 and a real libcurl client. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "daemon/agent_http.h"
#include "http/http_server.h"
#include "sw/clock.h"
#include "sw/redirect.h"

/* One fake coordinator: its role as the leader callback reports it. */
struct fake {
    const char *name;
    bool is_leader;
    pthread_mutex_t mu;   /* guards leader_url once the server runs */
    char leader_url[128]; /* "" = no leader known */
    struct http_server *srv;
    char url[64];
};

static void fake_leader(void *ctx, struct http_leader *out)
{
    struct fake *f = ctx;
    memset(out, 0, sizeof *out);
    out->is_ha = true;
    out->is_leader = f->is_leader;
    snprintf(out->self_id, sizeof out->self_id, "%s", f->name);
    pthread_mutex_lock(&f->mu);
    if (f->leader_url[0] != '\0') {
        snprintf(out->leader_id, sizeof out->leader_id, "leader");
        snprintf(out->leader_url, sizeof out->leader_url, "%s", f->leader_url);
        out->leader_epoch = 7;
    }
    pthread_mutex_unlock(&f->mu);
}

static int fake_auth(void *ctx, const char *token, char *name, size_t cap, enum http_role *role)
{
    (void)ctx;
    if (strcmp(token, "agent-secret") != 0) {
        return -1;
    }
    snprintf(name, cap, "agent-1");
    *role = HTTP_ROLE_AGENT;
    return 0;
}

/* Answers who served the request, the token's name and the body it got. */
static int fake_reports(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e)
{
    const struct fake *f = ctx;
    (void)e;
    out->body = json_pack("{s:s, s:s, s:s}", "served_by", f->name, "actor", req->actor, "body",
                          req->body != NULL ? req->body : "");
    return 0;
}

static const struct http_route routes[] = {
    {HTTP_POST, "/v1/reports", HTTP_ROLE_AGENT, false, false, fake_reports},
    {HTTP_GET, "/v1/waves", HTTP_ROLE_PUBLIC, false, false, fake_reports},
};

static void fake_start(struct fake *f)
{
    pthread_mutex_init(&f->mu, NULL);
    struct http_server_config cfg = {.listen_addr = "127.0.0.1",
                                     .routes = routes,
                                     .n_routes = 2,
                                     .handler_ctx = f,
                                     .auth = fake_auth,
                                     .leader = fake_leader,
                                     .leader_ctx = f};
    struct sw_err err = {0};
    assert_int_equal(http_server_start(&cfg, &f->srv, &err), 0);
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", (unsigned)http_server_port(f->srv));
}

/* POST /v1/reports through the agent's client with urls; returns rc, fills served/status. */
static int post(const char *const *urls, size_t n, long *status, char *served, size_t cap,
                struct sw_err *err)
{
    struct agent_http_opts o = {.urls = urls,
                                .n_urls = n,
                                .token = "agent-secret",
                                .connect_timeout_ms = 2000,
                                .request_timeout_ms = 1500};
    struct agent_http *h = NULL;
    struct agent_http_resp resp = {0};
    assert_int_equal(agent_http_new(&o, &h, err), 0);
    int rc = agent_http_post(h, "/v1/reports", "{\"reports\": []}", 0, &resp, err);
    served[0] = '\0';
    *status = resp.status;
    json_t *j = rc == 0 ? json_loads(resp.body, 0, NULL) : NULL;
    if (j != NULL && json_is_string(json_object_get(j, "served_by"))) {
        assert_string_equal(json_string_value(json_object_get(j, "actor")), "agent-1");
        assert_string_equal(json_string_value(json_object_get(j, "body")), "{\"reports\": []}");
        snprintf(served, cap, "%s", json_string_value(json_object_get(j, "served_by")));
    }
    json_decref(j);
    agent_http_resp_cleanup(&resp);
    agent_http_free(h);
    return rc;
}

static void test_follow(void **state)
{
    (void)state;
    struct fake leader = {.name = "leader", .is_leader = true};
    struct fake follower = {.name = "follower"};
    struct fake lost = {.name = "lost"};   /* a follower that knows no leader yet */
    struct fake stray = {.name = "stray"}; /* redirects to a host not in the list */
    fake_start(&leader);
    fake_start(&follower);
    fake_start(&lost);
    fake_start(&stray);
    snprintf(follower.leader_url, sizeof follower.leader_url, "%s", leader.url);
    snprintf(stray.leader_url, sizeof stray.leader_url, "http://localhost:%u",
             (unsigned)http_server_port(leader.srv));
    const char *dead = "http://127.0.0.1:1";
    struct {
        const char *name;
        const char *urls[3];
        size_t n;
        int rc;
        long status;
        const char *served;
    } cases[] = {
        {"the leader answers", {leader.url}, 1, 0, 200, "leader"},
        {"a follower redirects to another port: followed with the token",
         {follower.url, leader.url},
         2,
         0,
         200,
         "leader"},
        {"an unreachable coordinator is skipped",
         {dead, follower.url, leader.url},
         3,
         0,
         200,
         "leader"},
        {"no leader known anywhere: the last 503", {lost.url}, 1, 0, 503, ""},
        {"no leader known here, the next is the leader",
         {lost.url, leader.url},
         2,
         0,
         200,
         "leader"},
        {"all unreachable", {dead}, 1, SW_ECONNECT, 0, ""},
        {"a redirect to another host is refused", {stray.url}, 1, SW_EPROTO, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char served[32];
        long status = 0;
        struct sw_err err = {0};
        print_message("case: %s\n", cases[i].name);
        int rc = post(cases[i].urls, cases[i].n, &status, served, sizeof served, &err);
        if (rc == SW_EPROTO) {
            assert_non_null(strstr(err.msg, "which is not one of the configured coordinators"));
        }
        if (rc != cases[i].rc || (rc == 0 && status != cases[i].status)) {
            fail_msg("case %zu: rc %d status %ld (%s)", i, rc, status, err.msg);
        }
        assert_string_equal(served, cases[i].served);
    }
    http_server_free(leader.srv);
    http_server_free(follower.srv);
    http_server_free(lost.srv);
    http_server_free(stray.srv);
}

struct elect {
    struct fake *f;
    const char *leader_url;
};

/* Ends the election 300 ms in: the follower learns who leads. */
static void *elect_later(void *arg)
{
    struct elect *el = arg;
    sw_clock_sleep_ms(300, NULL);
    pthread_mutex_lock(&el->f->mu);
    snprintf(el->f->leader_url, sizeof el->f->leader_url, "%s", el->leader_url);
    pthread_mutex_unlock(&el->f->mu);
    return NULL;
}

/* Every coordinator answers 503 not_leader: the client waits for the election (instead of
 * failing into the caller's backoff) and reaches the leader once it is known. */
static void test_wait_election(void **state)
{
    (void)state;
    struct fake leader = {.name = "leader", .is_leader = true};
    struct fake voter = {.name = "voter"};
    fake_start(&leader);
    fake_start(&voter);
    struct elect el = {&voter, leader.url};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, elect_later, &el), 0);
    const char *urls[] = {voter.url};
    char served[32];
    long status = 0;
    struct sw_err err = {0};
    assert_int_equal(post(urls, 1, &status, served, sizeof served, &err), 0);
    assert_int_equal(status, 200);
    assert_string_equal(served, "leader");
    pthread_join(t, NULL);
    http_server_free(leader.srv);
    http_server_free(voter.srv);
}

/* Reads are served by a follower; the 307 names the leader in Location and in the body. */
static void test_follower_answers(void **state)
{
    (void)state;
    struct fake follower = {.name = "follower"};
    snprintf(follower.leader_url, sizeof follower.leader_url, "http://127.0.0.1:9");
    fake_start(&follower);
    CURL *c = curl_easy_init();
    char url[128];
    long status = 0;
    char *location = NULL;
    snprintf(url, sizeof url, "%s/v1/waves", follower.url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, NULL);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200); /* a read, served here */
    snprintf(url, sizeof url, "%s/v1/reports", follower.url);
    struct curl_slist *hdr = curl_slist_append(NULL, "Authorization: Bearer agent-secret");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &location);
    assert_int_equal(status, 307);
    assert_string_equal(location, "http://127.0.0.1:9/v1/reports");
    fclose(sink);
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    http_server_free(follower.srv);
}

static void test_redirect_base(void **state)
{
    (void)state;
    const char *const urls[] = {"http://c1:7400", "https://c2.internal:7400/"};
    struct {
        const char *location;
        int rc;
        const char *base;
        size_t idx;
        bool is_listed;
    } cases[] = {
        {"http://c1:7400/v1/leases", 0, "http://c1:7400", 0, true},
        {"https://c2.internal:7400/v1/leases", 0, "https://c2.internal:7400", 1, true},
        {"http://c1:7401/v1/leases", 0, "http://c1:7401", 0, false},
        {"http://C1:7999/v1/leases", 0, "http://C1:7999", 0, false},
        {"https://c1:7400/v1/leases", SW_EPROTO, "", 0, false},
        {"http://evil:7400/v1/leases", SW_EPROTO, "", 0, false},
        {"http://c1:7400/v1/other", SW_EPROTO, "", 0, false},
        {"/v1/leases", SW_EPROTO, "", 0, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char base[256] = "";
        size_t idx = 99;
        bool is_listed = false;
        struct sw_err err = {0};
        int rc = sw_redirect_base(cases[i].location, "/v1/leases", urls, 2, base, sizeof base, &idx,
                                  &is_listed, &err);
        if (rc != cases[i].rc) {
            fail_msg("case %zu: rc %d (%s)", i, rc, err.msg);
        }
        if (rc == 0) {
            assert_string_equal(base, cases[i].base);
            assert_int_equal(is_listed, cases[i].is_listed);
            if (is_listed) {
                assert_int_equal(idx, cases[i].idx);
            }
        }
    }
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redirect_base),
        cmocka_unit_test(test_follower_answers),
        cmocka_unit_test(test_follow),
        cmocka_unit_test(test_wait_election),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
