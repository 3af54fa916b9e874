/*
 * The v1 API route table (docs/api.md): thin handlers that decode the request, call one
 * service function and encode the reply; the agent routes' handlers are in http_agent.h.
 */
#ifndef SW_COORDINATOR_HTTP_API_H
#define SW_COORDINATOR_HTTP_API_H

#include <stddef.h>

#include "http/http_server.h"
#include "service/service.h"
#include "service/svc_metrics.h"

/* What the handlers need; handler_ctx of the server. Borrowed for the server's life. */
struct http_api {
    struct svc *svc;
    struct http_server *server;  /* for /healthz (503 while stopping); set after start */
    struct svc_metrics *metrics; /* GET /metrics and agent counts; NULL = no metrics (404) */
};

/* The route table (static). */
const struct http_route *http_api_routes(size_t *n_routes);

#endif
