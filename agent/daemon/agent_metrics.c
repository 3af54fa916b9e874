/* The agent's metrics registry and its small libmicrohttpd server (GET /metrics only). */
#include "daemon/agent_metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sw/build_info.h"
#include "sw/numparse.h"
#include "sw/strbuf.h"

#define AGENT_METRICS_MAX_BYTES (4u * 1024u * 1024u)

struct agent_metrics_server {
    struct MHD_Daemon *mhd;
    struct sw_metrics *m;
    agent_metrics_collect_fn collect;
    void *ctx;
    uint16_t port;
};

static const struct sw_metric_def agent_metric_defs[] = {
    {"shardwave_agent_build_info",
     SW_METRIC_GAUGE,
     "The agent's version (always 1).",
     1,
     {"version"},
     0,
     {0}},
    {"shardwave_agent_steps_applied_total",
     SW_METRIC_COUNTER,
     "Migration steps this agent applied, by engine.",
     1,
     {"engine"},
     0,
     {0}},
    {"shardwave_agent_steps_failed_total",
     SW_METRIC_COUNTER,
     "Migration steps that failed or left the shard dirty, by engine.",
     1,
     {"engine"},
     0,
     {0}},
    {"shardwave_agent_step_duration_seconds",
     SW_METRIC_HISTOGRAM,
     "Duration of applied and failed steps, by engine.",
     1,
     {"engine"},
     12,
     {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600}},
    {"shardwave_agent_leases_held",
     SW_METRIC_GAUGE,
     "Leases this agent holds (queued for a worker or running).",
     0,
     {NULL},
     0,
     {0}},
    {"shardwave_agent_reports_queued",
     SW_METRIC_GAUGE,
     "Reports queued on disk, not yet accepted by the coordinator.",
     0,
     {NULL},
     0,
     {0}},
};

int agent_metrics_new(struct sw_metrics **out, struct sw_err *err)
{
    struct sw_metrics *m = NULL;
    int rc = sw_metrics_new(&m, err);
    if (rc == 0) {
        rc = sw_metrics_define(m, agent_metric_defs,
                               sizeof agent_metric_defs / sizeof agent_metric_defs[0], err);
    }
    if (rc != 0) {
        sw_metrics_free(m);
        return rc;
    }
    const char *version[] = {SW_VERSION_STRING};
    sw_metrics_set(m, "shardwave_agent_build_info", version, 1);
    for (int i = 0; i < MIGSET_ENGINE_COUNT; i++) { /* every engine shows, at 0 */
        const char *v[] = {migset_engine_name((enum migset_engine)i)};
        sw_metrics_add(m, "shardwave_agent_steps_applied_total", v, 0);
        sw_metrics_add(m, "shardwave_agent_steps_failed_total", v, 0);
    }
    *out = m;
    return 0;
}

void agent_metrics_step(struct sw_metrics *m, enum migset_engine engine, enum wire_outcome outcome,
                        int64_t duration_ms)
{
    bool is_failed = outcome == WIRE_OUT_FAILED || outcome == WIRE_OUT_DIRTY;
    if (m == NULL || (!is_failed && outcome != WIRE_OUT_APPLIED)) {
        return;
    }
    const char *v[] = {migset_engine_name(engine)};
    sw_metrics_add(
        m, is_failed ? "shardwave_agent_steps_failed_total" : "shardwave_agent_steps_applied_total",
        v, 1);
    sw_metrics_observe(m, "shardwave_agent_step_duration_seconds", v,
                       (double)(duration_ms < 0 ? 0 : duration_ms) / 1000.0);
}

static enum MHD_Result agent_metrics_reply(struct MHD_Connection *conn, unsigned status, char *text,
                                           size_t len, const char *type)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result agent_metrics_access(void *cls, struct MHD_Connection *conn, const char *url,
                                            const char *method, const char *version,
                                            const char *upload_data, size_t *upload_data_size,
                                            void **con_cls)
{
    (void)version;
    (void)upload_data;
    struct agent_metrics_server *s = cls;
    if (*con_cls == NULL) { /* first call: headers only */
        *con_cls = s;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        *upload_data_size = 0; /* bodies are ignored */
        return MHD_YES;
    }
    if (strcmp(url, "/metrics") != 0 || strcmp(method, "GET") != 0) {
        char *msg = strdup("only GET /metrics is served here\n");
        return msg == NULL
                   ? MHD_NO
                   : agent_metrics_reply(conn, 404, msg, strlen(msg), "text/plain; charset=utf-8");
    }
    if (s->collect != NULL) {
        s->collect(s->ctx, s->m);
    }
    struct sw_strbuf sb;
    struct sw_err err = {0};
    sw_strbuf_init(&sb, AGENT_METRICS_MAX_BYTES);
    if (sw_metrics_render(s->m, &sb, &err) != 0 || sb.len == 0) {
        sw_strbuf_cleanup(&sb);
        return MHD_NO;
    }
    size_t len = sb.len;
    return agent_metrics_reply(conn, 200, sw_strbuf_take(&sb), len, SW_METRICS_CONTENT_TYPE);
}

/* "host:port" with a numeric IPv4 host (or [IPv6]) into ss. */
static int agent_metrics_addr(const char *listen, struct sockaddr_storage *ss, bool *is_v6,
                              struct sw_err *err)
{
    const char *colon = strrchr(listen, ':');
    char host[64];
    int port = 0;
    size_t hlen = colon != NULL ? (size_t)(colon - listen) : 0;
    if (colon == NULL || hlen == 0 || hlen >= sizeof host ||
        sw_parse_int(colon + 1, 0, 65535, "port", &port, err) != 0) {
        return sw_err_set(err, SW_EINVAL, "metrics_listen '%s' is not host:port", listen);
    }
    bool bracketed = listen[0] == '[' && hlen >= 2 && listen[hlen - 1] == ']';
    snprintf(host, sizeof host, "%.*s", (int)(bracketed ? hlen - 2 : hlen),
             bracketed ? listen + 1 : listen);
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    *is_v6 = inet_pton(AF_INET, host, &v4->sin_addr) != 1;
    if (!*is_v6) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1) {
        return sw_err_set(err, SW_EINVAL, "metrics_listen '%s': '%s' is not a numeric address",
                          listen, host);
    }
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return 0;
}

int agent_metrics_start(const char *listen, struct sw_metrics *m, agent_metrics_collect_fn collect,
                        void *ctx, struct agent_metrics_server **out, struct sw_err *err)
{
    struct sockaddr_storage ss;
    bool is_v6 = false;
    int rc = agent_metrics_addr(listen, &ss, &is_v6, err);
    if (rc != 0) {
        return rc;
    }
    struct agent_metrics_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    *s = (struct agent_metrics_server){.m = m, .collect = collect, .ctx = ctx};
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | (is_v6 ? MHD_USE_IPv6 : 0);
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, agent_metrics_access, s, MHD_OPTION_SOCK_ADDR,
                              (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 16u,
                              MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (s->mhd == NULL) {
        free(s);
        return sw_err_set(err, SW_EIO, "metrics_listen %s: cannot listen (in use?)", listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : 0;
    *out = s;
    return 0;
}

uint16_t agent_metrics_port(const struct agent_metrics_server *s)
{
    return s->port;
}

void agent_metrics_stop(struct agent_metrics_server *s)
{
    if (s == NULL) {
        return;
    }
    MHD_stop_daemon(s->mhd);
    free(s);
}
