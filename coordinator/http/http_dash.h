/*
 * The operator dashboard: the single page at `/` and its static files under `/ui/`
 * (compiled into the binary, public, with ETag/Cache-Control and a strict
 * Content-Security-Policy), and the compact wave grid it polls,
 * GET /v1/waves/{id}/grid (docs/api.md, docs/dashboard.md). Handlers for the route
 * table in http_api.c; ctx is the struct http_api.
 */
#ifndef SW_COORDINATOR_HTTP_DASH_H
#define SW_COORDINATOR_HTTP_DASH_H

#include "http/http_server.h"

/* GET / : index.html. 304 when If-None-Match names its ETag. */
int http_dash_index(void *ctx, const struct http_request *req, struct http_reply *out,
                    struct svc_error *e);
/* GET /ui/{file}: one embedded file (404 not_found for any other name). */
int http_dash_asset(void *ctx, const struct http_request *req, struct http_reply *out,
                    struct svc_error *e);
/* GET /v1/waves/{id}/grid (read): the wave summary plus every shard as a compact row,
 * with ETag "<id>.<revision>"; 304 without reading the shards when If-None-Match names
 * the current revision. SVC_NOT_FOUND for an unknown wave. */
int http_dash_wave_grid(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e);

#endif
