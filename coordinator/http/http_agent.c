/* Agent-role handlers: decode with sw_wire, call one service function, encode. */
#include "http/http_agent.h"

#include "http/http_api.h"
#include "sw/wire.h"
#include "sw/wire_agent.h"
#include "sw/wire_lease.h"
#include "sw/wire_report.h"

/* A decoder's failure as an API error: another major is protocol_mismatch. */
static int agent_decode_error(struct svc_error *e)
{
    if (e->err.code == SW_EPROTO) {
        sw_err_hint(&e->err,
                    "run an agent of the same major protocol version as the "
                    "coordinator (%s)",
                    WIRE_PROTOCOL);
        return svc_error_from(e, SVC_PROTOCOL_MISMATCH, &e->err);
    }
    return svc_error_from(e, e->err.code == SW_ENOMEM ? SVC_INTERNAL : SVC_INVALID_REQUEST,
                          &e->err);
}

static int agent_need_body(const struct http_request *req, struct svc_error *e)
{
    return req->json != NULL
               ? 0
               : svc_error_set(e, SVC_INVALID_REQUEST, "a JSON body is required (protocol %s)",
                               WIRE_PROTOCOL);
}

/* An encoder's outcome: its document becomes the reply. */
static int agent_reply(int rc, json_t **doc, struct http_reply *out, struct svc_error *e)
{
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    out->body = *doc;
    return 0;
}

int http_agent_register(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e)
{
    struct http_api *api = ctx;
    struct wire_register_req m = {0};
    struct wire_register_resp r = {0};
    json_t *doc = NULL;
    int rc = agent_need_body(req, e);
    if (rc == 0 && wire_register_req_from_json(req->json, &m, &e->err) != 0) {
        rc = agent_decode_error(e);
    }
    if (rc == 0) {
        rc = svc_agent_register(api->svc, &m, &r, e);
    }
    if (rc == 0) {
        rc = wire_register_resp_to_json(&r, &doc, &e->err);
        rc = agent_reply(rc, &doc, out, e);
    }
    wire_register_req_cleanup(&m);
    return rc;
}

int http_agent_leases(void *ctx, const struct http_request *req, struct http_reply *out,
                      struct svc_error *e)
{
    struct http_api *api = ctx;
    struct wire_lease_req m = {0};
    struct wire_lease_resp r = {0};
    json_t *doc = NULL;
    int rc = agent_need_body(req, e);
    if (rc == 0 && wire_lease_req_from_json(req->json, &m, &e->err) != 0) {
        rc = agent_decode_error(e);
    }
    if (rc == 0) {
        rc = svc_lease_request(api->svc, &m, &r, e);
    }
    if (rc == 0) {
        rc = wire_lease_resp_to_json(&r, &doc, &e->err);
        rc = agent_reply(rc, &doc, out, e);
    }
    wire_lease_resp_cleanup(&r);
    wire_lease_req_cleanup(&m);
    return rc;
}

int http_agent_start(void *ctx, const struct http_request *req, struct http_reply *out,
                     struct svc_error *e)
{
    struct http_api *api = ctx;
    struct wire_start_req m = {0};
    struct wire_start_resp r = {.go = true};
    json_t *doc = NULL;
    int rc = agent_need_body(req, e);
    if (rc == 0 && wire_check_lease_id(req->params[0], "lease", &e->err) != 0) {
        rc = svc_error_from(e, SVC_INVALID_REQUEST, &e->err);
    }
    if (rc == 0 && wire_start_req_from_json(req->json, &m, &e->err) != 0) {
        rc = agent_decode_error(e);
    }
    if (rc == 0) {
        rc = svc_lease_start(api->svc, req->params[0], &m, e);
    }
    if (rc == 0) {
        rc = wire_start_resp_to_json(&r, &doc, &e->err);
        rc = agent_reply(rc, &doc, out, e);
    }
    wire_start_req_cleanup(&m);
    return rc;
}

int http_agent_heartbeat(void *ctx, const struct http_request *req, struct http_reply *out,
                         struct svc_error *e)
{
    struct http_api *api = ctx;
    struct wire_heartbeat_req m = {0};
    struct wire_heartbeat_resp r = {0};
    json_t *doc = NULL;
    int rc = agent_need_body(req, e);
    if (rc == 0 && wire_heartbeat_req_from_json(req->json, &m, &e->err) != 0) {
        rc = agent_decode_error(e);
    }
    if (rc == 0) {
        rc = svc_heartbeat(api->svc, &m, &r, e);
    }
    if (rc == 0) {
        rc = wire_heartbeat_resp_to_json(&r, &doc, &e->err);
        rc = agent_reply(rc, &doc, out, e);
    }
    wire_heartbeat_resp_cleanup(&r);
    wire_heartbeat_req_cleanup(&m);
    return rc;
}

int http_agent_reports(void *ctx, const struct http_request *req, struct http_reply *out,
                       struct svc_error *e)
{
    struct http_api *api = ctx;
    struct wire_report_req m = {0};
    struct wire_report_resp r = {0};
    json_t *doc = NULL;
    int rc = agent_need_body(req, e);
    if (rc == 0 && wire_report_req_from_json(req->json, &m, &e->err) != 0) {
        rc = agent_decode_error(e);
    }
    if (rc == 0) {
        rc = svc_reports(api->svc, &m, &r, e);
    }
    if (rc == 0) {
        rc = wire_report_resp_to_json(&r, &doc, &e->err);
        rc = agent_reply(rc, &doc, out, e);
    }
    wire_report_resp_cleanup(&r);
    wire_report_req_cleanup(&m);
    return rc;
}
