/* GET /metrics and the metric-counting wrappers around the agent handlers. */
#include "http/http_metrics.h"

#include <string.h>

#include "http/http_agent.h"
#include "http/http_api.h"
#include "sw/clock.h"

int http_metrics_get(void *ctx, const struct http_request *req, struct http_reply *out,
                     struct svc_error *e)
{
    (void)req;
    struct http_api *api = ctx;
    struct sw_strbuf sb;
    if (api->metrics == NULL) {
        return svc_error_set(e, SVC_NOT_FOUND, "metrics are not enabled on this coordinator");
    }
    sw_strbuf_init(&sb, HTTP_METRICS_MAX_BYTES);
    int rc = svc_metrics_render(api->metrics, api->svc, sw_clock_wall_ms(), &sb, e);
    if (rc == 0) {
        out->text_len = sb.len;
        out->text = sw_strbuf_take(&sb);
        out->content_type = SW_METRICS_CONTENT_TYPE;
    }
    sw_strbuf_cleanup(&sb);
    return rc;
}

/* After a successful agent call: the body's "agent" member talked to us. */
static void http_metrics_seen(struct http_api *api, const struct http_request *req)
{
    const json_t *agent = req->json != NULL ? json_object_get(req->json, "agent") : NULL;
    if (api->metrics != NULL && json_is_string(agent)) {
        svc_metrics_agent_seen(api->metrics, json_string_value(agent), sw_clock_wall_ms());
    }
}

int http_metrics_agent_register(void *ctx, const struct http_request *req, struct http_reply *out,
                                struct svc_error *e)
{
    int rc = http_agent_register(ctx, req, out, e);
    if (rc == 0) {
        http_metrics_seen(ctx, req);
    }
    return rc;
}

int http_metrics_agent_leases(void *ctx, const struct http_request *req, struct http_reply *out,
                              struct svc_error *e)
{
    int rc = http_agent_leases(ctx, req, out, e);
    if (rc == 0) {
        http_metrics_seen(ctx, req);
    }
    return rc;
}

int http_metrics_agent_start(void *ctx, const struct http_request *req, struct http_reply *out,
                             struct svc_error *e)
{
    int rc = http_agent_start(ctx, req, out, e);
    if (rc == 0) {
        http_metrics_seen(ctx, req);
    }
    return rc;
}

int http_metrics_agent_heartbeat(void *ctx, const struct http_request *req, struct http_reply *out,
                                 struct svc_error *e)
{
    int rc = http_agent_heartbeat(ctx, req, out, e);
    if (rc == 0) {
        http_metrics_seen(ctx, req);
    }
    return rc;
}

/* Counts the accepted step reports: the request and the reply are decoded again (the
 * handler keeps its own), which costs little beside the store writes of the batch. */
int http_metrics_agent_reports(void *ctx, const struct http_request *req, struct http_reply *out,
                               struct svc_error *e)
{
    struct http_api *api = ctx;
    int rc = http_agent_reports(ctx, req, out, e);
    if (rc != 0 || api->metrics == NULL) {
        return rc;
    }
    struct wire_report_req m = {0};
    struct wire_report_resp r = {0};
    struct sw_err err = {0};
    if (wire_report_req_from_json(req->json, &m, &err) == 0 &&
        wire_report_resp_from_json(out->body, &r, &err) == 0) {
        svc_metrics_reports(api->metrics, api->svc, &m, &r);
    }
    wire_report_resp_cleanup(&r);
    wire_report_req_cleanup(&m);
    return 0;
}
