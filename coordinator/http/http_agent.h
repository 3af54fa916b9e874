/*
 * The agent-role handlers of the v1 API (docs/protocol.md): register, lease long-poll,
 * go-ahead, heartbeat and reports. Each decodes with sw_wire (a protocol major mismatch
 * is 409 protocol_mismatch), calls one service function and encodes with sw_wire.
 * ctx is the struct http_api of http_api.h. Listed in http_api.c's route table.
 */
#ifndef SW_COORDINATOR_HTTP_AGENT_H
#define SW_COORDINATOR_HTTP_AGENT_H

#include "http/http_server.h"

int http_agent_register(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e);
int http_agent_leases(void *ctx, const struct http_request *req, struct http_reply *out,
                      struct svc_error *e);
int http_agent_start(void *ctx, const struct http_request *req, struct http_reply *out,
                     struct svc_error *e);
int http_agent_heartbeat(void *ctx, const struct http_request *req, struct http_reply *out,
                         struct svc_error *e);
int http_agent_reports(void *ctx, const struct http_request *req, struct http_reply *out,
                       struct svc_error *e);

#endif
