/*
 * The dashboard's static files, compiled into the coordinator at build time by
 * embed_dash.cmake from coordinator/http/dashboard/ (no run-time file access).
 */
#ifndef SW_COORDINATOR_HTTP_DASH_ASSETS_H
#define SW_COORDINATOR_HTTP_DASH_ASSETS_H

#include <stddef.h>

struct http_dash_asset {
    const char *name;         /* file name, e.g. "app.js" */
    const char *content_type; /* e.g. "text/javascript; charset=utf-8" */
    const char *etag;         /* quoted: "\"<32 hex of its SHA-256>\"" */
    const unsigned char *bytes;
    size_t len;
};

extern const struct http_dash_asset http_dash_assets[];
extern const size_t http_dash_n_assets;

#endif
