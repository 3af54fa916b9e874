/*
 * The coordinator's HTTP server: libmicrohttpd behind a route table (method, path
 * pattern, required role, handler). It authenticates bearer tokens (401 unknown, 403
 * wrong role), reads bounded bodies (413), parses JSON bodies (400 with line/column),
 * answers unknown paths 404 and wrong methods 405, and renders every failure in the one
 * JSON error shape of docs/api.md. Handlers decode, call one service function, encode.
 */
#ifndef SW_COORDINATOR_HTTP_SERVER_H
#define SW_COORDINATOR_HTTP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/svc_error.h"
#include "sw/err.h"
#include "sw/metrics.h"

enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_METHOD_COUNT };

/* What a route requires. READ routes admit read and operator tokens; OPERATOR routes
 * operator tokens; AGENT routes agent tokens; PUBLIC routes need no token. */
enum http_role { HTTP_ROLE_PUBLIC, HTTP_ROLE_READ, HTTP_ROLE_OPERATOR, HTTP_ROLE_AGENT };

const char *http_method_name(enum http_method m);
const char *http_role_name(enum http_role r);

#define HTTP_MAX_PARAMS     4
#define HTTP_PARAM_MAX      256
#define HTTP_ACTOR_MAX      128
#define HTTP_SMALL_BODY_MAX (1024u * 1024u)

struct http_request {
    enum http_method method;
    const char *path;                             /* borrowed */
    char params[HTTP_MAX_PARAMS][HTTP_PARAM_MAX]; /* the pattern's {name} segments, in order */
    size_t n_params;
    char actor[HTTP_ACTOR_MAX]; /* the token's name; "" on public routes */
    enum http_role role;        /* the token's role */
    const char *body;           /* NUL-terminated, borrowed; NULL when empty */
    size_t body_len;
    json_t *json; /* the parsed body (an object) on JSON routes; NULL when empty; borrowed */
    void *conn;   /* the libmicrohttpd connection, for http_request_query */
};

/* Borrowed query argument value (e.g. ?state=running) or NULL. */
const char *http_request_query(const struct http_request *req, const char *key);
/* Borrowed request header value (e.g. "If-None-Match") or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);

#define HTTP_ETAG_MAX 96

struct http_reply {
    int status;   /* 200 when left 0 */
    json_t *body; /* the reply document; the server sends and frees it */
    /* A non-JSON reply instead (e.g. /metrics): heap text the server sends and frees,
     * with content_type (a literal); body must stay NULL then. */
    char *text;
    size_t text_len;
    const char *content_type;
    bool is_text_static; /* text is static storage: sent as it is, never freed */
    /* Optional extra headers: a NULL-terminated list of name, value pairs (static). */
    const char *const *headers;
    char etag[HTTP_ETAG_MAX]; /* sent as ETag unless ""; status 304 sends no body */
};

/* A handler fills out (status, body) and returns 0, or returns a negative code with e set.
 * ctx is http_server_config.handler_ctx. */
typedef int (*http_handler_fn)(void *ctx, const struct http_request *req, struct http_reply *out,
                               struct svc_error *e);

struct http_route {
    enum http_method method;
    const char *pattern; /* "/v1/waves/{id}/pause": {x} matches one non-empty segment */
    enum http_role role;
    bool is_upload;  /* body limit max_upload_bytes instead of max_body_bytes */
    bool takes_json; /* parse a non-empty body as a JSON object */
    http_handler_fn handler;
};

/* Looks a bearer token up. Returns 0 with its name and role, or -1 when unknown. Must be
 * thread-safe (called from the server's threads); compare in constant time. */
typedef int (*http_auth_fn)(void *ctx, const char *token, char *name, size_t name_cap,
                            enum http_role *role);

/* Where this coordinator stands among coordinators sharing one store (docs/ha.md). */
#define HTTP_LEADER_ID_MAX  128
#define HTTP_LEADER_URL_MAX 512
struct http_leader {
    bool is_ha;     /* several coordinators share the store (false: always the leader) */
    bool is_leader; /* may act as leader now */
    int64_t epoch;  /* our fencing epoch while leader, else 0 */
    char self_id[HTTP_LEADER_ID_MAX + 1];
    char leader_id[HTTP_LEADER_ID_MAX + 1]; /* "" when no leader is known */
    char leader_url[HTTP_LEADER_URL_MAX + 1];
    int64_t leader_epoch;
};

/* Fills *out. Must be thread-safe and quick (called for every write request). */
typedef void (*http_leader_fn)(void *ctx, struct http_leader *out);

struct http_server_config {
    const char *listen_addr;   /* numeric IPv4 or IPv6 address, e.g. "127.0.0.1" */
    uint16_t port;             /* 0 = any free port (see http_server_port) */
    const char *tls_cert_file; /* PEM; with tls_key_file enables TLS; NULL = plain HTTP */
    const char *tls_key_file;
    unsigned max_connections;        /* 0 = 256 */
    unsigned timeout_seconds;        /* idle connection timeout; 0 = 30 */
    unsigned n_threads;              /* worker threads; 0 = 4 (ignored per connection) */
    bool is_thread_per_connection;   /* one thread per connection (long-polls block only
                                        their own), bounded by max_connections */
    size_t max_body_bytes;           /* 0 = HTTP_SMALL_BODY_MAX */
    size_t max_upload_bytes;         /* 0 = 32 MiB */
    const struct http_route *routes; /* borrowed, must outlive the server */
    size_t n_routes;
    void *handler_ctx;
    http_auth_fn auth;
    void *auth_ctx;
    /* Optional (NULL = none): counts every answered request in
     * shardwave_http_requests_total{method, route, status} (route: the matched pattern,
     * "unmatched" otherwise). The family is declared by http_server_metrics_define. */
    struct sw_metrics *metrics;
    /* Optional (NULL = this process is always the leader): on a follower, requests of
     * OPERATOR and AGENT routes (writes and agent calls) are not run but answered 307
     * with Location: <leader URL><same path> and the not_leader error (details
     * "leader": {id, url, epoch}), or 503 not_leader with Retry-After while no leader
     * is known. A handler failing with SVC_NOT_LEADER is answered the same way. */
    http_leader_fn leader;
    void *leader_ctx;
};

/* Declares shardwave_http_requests_total in m (before the server starts). */
int http_server_metrics_define(struct sw_metrics *m, struct sw_err *err);

struct http_server;

/* Starts listening with the configured threads. On success *out is owned by the caller
 * (http_server_free). Errors: SW_EINVAL (bad address, TLS files), SW_EIO (bind failed). */
int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct sw_err *err);
/* The bound TCP port (useful with port 0). */
uint16_t http_server_port(const struct http_server *s);
/* Graceful stop: stop accepting, answer new requests on open connections 503, wait up to
 * wait_ms for requests in flight to complete, then close everything. Idempotent. */
void http_server_stop(struct http_server *s, int64_t wait_ms);
/* Stops (if needed, waiting up to 5 s) and frees. NULL is a no-op. */
void http_server_free(struct http_server *s);
/* Whether the server is stopping (for /healthz). Thread-safe. */
bool http_server_is_stopping(const struct http_server *s);
/* The leadership as the config's leader callback tells it (without one: a leader, not
 * HA). Thread-safe. */
void http_server_leader(const struct http_server *s, struct http_leader *out);

/* The HTTP status of an API code (docs/api.md). */
int http_status_for(enum svc_code c);
/* Builds the error document {"error": {"code", "message", "hint"?, ...details}}. */
json_t *http_error_json(const struct svc_error *e);

/* Helpers for handlers: 0 or SVC_INVALID_REQUEST naming the member. */
/* Rejects members of obj not in allowed (NULL-terminated list). */
int http_json_check_fields(const json_t *obj, const char *const *allowed, struct svc_error *e);
/* Optional string member: *out borrowed or NULL when absent; wrong type is an error. */
int http_json_opt_string(const json_t *obj, const char *key, const char **out, struct svc_error *e);
/* Optional boolean member (default when absent). */
int http_json_opt_bool(const json_t *obj, const char *key, bool dflt, bool *out,
                       struct svc_error *e);

#endif
