/*
 * GET /metrics (Prometheus text format, read role: docs/metrics.md) and the wrappers the
 * route table uses around the agent handlers of http_agent.h, so the metrics see agents'
 * contacts and accepted step reports without the handlers knowing about metrics.
 * ctx is the struct http_api of http_api.h; with api->metrics NULL the wrappers only
 * call through and /metrics answers 404.
 */
#ifndef SW_COORDINATOR_HTTP_METRICS_H
#define SW_COORDINATOR_HTTP_METRICS_H

#include "http/http_server.h"

/* The exposition is at most this big (413-like SVC_PAYLOAD_TOO_LARGE beyond). */
#define HTTP_METRICS_MAX_BYTES (16u * 1024u * 1024u)

int http_metrics_get(void *ctx, const struct http_request *req, struct http_reply *out,
                     struct svc_error *e);

/* http_agent_* with metrics: the agent is seen (after a successful call); reports also
 * count their accepted step outcomes. */
int http_metrics_agent_register(void *ctx, const struct http_request *req, struct http_reply *out,
                                struct svc_error *e);
int http_metrics_agent_leases(void *ctx, const struct http_request *req, struct http_reply *out,
                              struct svc_error *e);
int http_metrics_agent_start(void *ctx, const struct http_request *req, struct http_reply *out,
                             struct svc_error *e);
int http_metrics_agent_heartbeat(void *ctx, const struct http_request *req, struct http_reply *out,
                                 struct svc_error *e);
int http_metrics_agent_reports(void *ctx, const struct http_request *req, struct http_reply *out,
                               struct svc_error *e);

#endif
