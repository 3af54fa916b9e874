/*
 * libmicrohttpd glue: per-request state (route, auth, bounded body) is built across the
 * access-handler calls, the reply is sent once the body is in, and the state is freed in
 * the request-completed callback. Threads: libmicrohttpd's pool, or one thread per
 * connection (long-polls); the server's own fields are atomics or fixed after start.
 */
#include "http/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sw/clock.h"
#include "sw/fsutil.h"
#include "sw/log.h"
#include "sw/strbuf.h"

#define HTTP_DEFAULT_UPLOAD_MAX (32u * 1024u * 1024u)
#define HTTP_TLS_FILE_MAX       (1024u * 1024u)

struct http_server {
    struct http_server_config cfg;
    struct MHD_Daemon *mhd;
    char *tls_cert; /* PEM text, kept for the daemon's lifetime */
    char *tls_key;
    uint16_t port;
    atomic_bool is_stopping;
    atomic_long n_in_flight;
};

/* One request, from the first access-handler call to the completed callback. */
struct http_req_state {
    const struct http_server *srv;
    const struct http_route *route;
    enum svc_code early; /* an error decided before the body (reply once it is in) */
    char early_msg[256];
    bool is_counted; /* counted in n_in_flight */
    bool is_too_large;
    size_t limit;
    struct http_request req;
    struct sw_strbuf body;
    char allow[64]; /* Allow header for 405 */
    int status;     /* the status queued, for the request metric; 0 = none */
};

static const char *const method_names[HTTP_METHOD_COUNT] = {"GET", "POST", "PUT", "DELETE"};

const char *http_method_name(enum http_method m)
{
    return method_names[m];
}

const char *http_role_name(enum http_role r)
{
    switch (r) {
    case HTTP_ROLE_PUBLIC:
        return "public";
    case HTTP_ROLE_READ:
        return "read";
    case HTTP_ROLE_OPERATOR:
        return "operator";
    case HTTP_ROLE_AGENT:
        return "agent";
    }
    return "?";
}

int http_status_for(enum svc_code c)
{
    static const int status[SVC_CODE_COUNT] = {
        [SVC_OK] = 200,
        [SVC_INVALID_JSON] = 400,
        [SVC_INVALID_REQUEST] = 400,
        [SVC_INVALID_PLAN] = 400,
        [SVC_INVALID_MIGRATION_SET] = 400,
        [SVC_UNAUTHORIZED] = 401,
        [SVC_FORBIDDEN] = 403,
        [SVC_NOT_FOUND] = 404,
        [SVC_METHOD_NOT_ALLOWED] = 405,
        [SVC_ILLEGAL_TRANSITION] = 409,
        [SVC_SHARD_BUSY] = 409,
        [SVC_CONFLICT] = 409,
        [SVC_PAYLOAD_TOO_LARGE] = 413,
        [SVC_INTERNAL] = 500,
        [SVC_UNAVAILABLE] = 503,
        [SVC_PROTOCOL_MISMATCH] = 409,
        [SVC_UNKNOWN_AGENT] = 409,
        [SVC_LEASE_LOST] = 409,
        [SVC_WAVE_NOT_RUNNING] = 409,
        [SVC_UNSAFE_MIGRATION] = 409,
        [SVC_CONTRACT_NOT_READY] = 409,
        [SVC_NOT_LEADER] = 503, /* 307 when the leader is known (send_not_leader) */
    };
    return status[c];
}

/* Error texts may quote request bytes (a URL, an id) that are not UTF-8, which jansson
 * refuses: those texts keep their ASCII and show every other byte as '?'. */
static json_t *http_error_text(const char *text)
{
    json_t *j = json_string(text);
    if (j != NULL) {
        return j;
    }
    char safe[SW_ERR_MSG_MAX > SW_ERR_HINT_MAX ? SW_ERR_MSG_MAX : SW_ERR_HINT_MAX];
    size_t n = 0;
    for (; text[n] != '\0' && n + 1 < sizeof safe; n++) {
        safe[n] = (unsigned char)text[n] < 0x80 ? text[n] : '?';
    }
    safe[n] = '\0';
    return json_string(safe);
}

json_t *http_error_json(const struct svc_error *e)
{
    json_t *inner = json_object();
    json_object_set_new(inner, "code", json_string(svc_code_name(svc_error_code(e))));
    json_object_set_new(inner, "message", http_error_text(e->err.msg));
    if (e->err.hint[0] != '\0') {
        json_object_set_new(inner, "hint", http_error_text(e->err.hint));
    }
    if (e->details != NULL) {
        json_object_update(inner, e->details);
    }
    json_t *doc = json_object();
    json_object_set_new(doc, "error", inner);
    return doc;
}

const char *http_request_query(const struct http_request *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_request_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

int http_server_metrics_define(struct sw_metrics *m, struct sw_err *err)
{
    static const struct sw_metric_def def = {
        "shardwave_http_requests_total",
        SW_METRIC_COUNTER,
        "HTTP requests answered, by method, route pattern and status.",
        3,
        {"method", "route", "status"},
        0,
        {0}};
    return sw_metrics_define(m, &def, 1, err);
}

/* ---- routing ------------------------------------------------------------------------ */

/* Matches path against pattern; fills params. Query strings are not part of `path`. */
static bool route_match(const char *pattern, const char *path, struct http_request *req)
{
    size_t n = 0;
    const char *p = pattern;
    const char *s = path;
    while (*p != '\0') {
        if (*p == '{') {
            const char *pend = strchr(p, '}');
            size_t len = strcspn(s, "/");
            if (pend == NULL || len == 0 || len >= HTTP_PARAM_MAX || n >= HTTP_MAX_PARAMS) {
                return false;
            }
            if (req != NULL) {
                memcpy(req->params[n], s, len);
                req->params[n][len] = '\0';
            }
            n++;
            s += len;
            p = pend + 1;
            continue;
        }
        if (*p != *s) {
            return false;
        }
        p++;
        s++;
    }
    if (*s != '\0') {
        return false;
    }
    if (req != NULL) {
        req->n_params = n;
    }
    return true;
}

static int method_parse(const char *m, enum http_method *out)
{
    for (int i = 0; i < HTTP_METHOD_COUNT; i++) {
        if (strcmp(m, method_names[i]) == 0) {
            *out = (enum http_method)i;
            return 0;
        }
    }
    return -1;
}

/* Finds the route; on a path match with another method sets early 405 (with Allow). */
static void route_find(const struct http_server *srv, const char *method, const char *url,
                       struct http_req_state *st)
{
    enum http_method m = HTTP_GET;
    bool has_method = method_parse(method, &m) == 0;
    bool path_known = false;
    size_t allow_len = 0;
    for (size_t i = 0; i < srv->cfg.n_routes; i++) {
        const struct http_route *r = &srv->cfg.routes[i];
        if (!route_match(r->pattern, url, NULL)) {
            continue;
        }
        if (has_method && r->method == m) {
            st->route = r;
            st->req.method = m;
            route_match(r->pattern, url, &st->req);
            return;
        }
        path_known = true;
        int w = snprintf(st->allow + allow_len, sizeof st->allow - allow_len, "%s%s",
                         allow_len > 0 ? ", " : "", method_names[r->method]);
        if (w > 0 && (size_t)w < sizeof st->allow - allow_len) {
            allow_len += (size_t)w;
        }
    }
    st->early = path_known ? SVC_METHOD_NOT_ALLOWED : SVC_NOT_FOUND;
    snprintf(st->early_msg, sizeof st->early_msg,
             path_known ? "method %s not allowed on %s" : "no such endpoint: %s %s", method, url);
}

/* ---- auth --------------------------------------------------------------------------- */

static bool role_allows(enum http_role need, enum http_role have)
{
    switch (need) {
    case HTTP_ROLE_PUBLIC:
        return true;
    case HTTP_ROLE_READ:
        return have == HTTP_ROLE_READ || have == HTTP_ROLE_OPERATOR;
    case HTTP_ROLE_OPERATOR:
        return have == HTTP_ROLE_OPERATOR;
    case HTTP_ROLE_AGENT:
        return have == HTTP_ROLE_AGENT;
    }
    return false;
}

/* Authenticates a non-public request; sets early 401/403 on refusal. */
static void auth_check(const struct http_server *srv, struct MHD_Connection *conn,
                       struct http_req_state *st)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
        st->early = SVC_UNAUTHORIZED;
        snprintf(st->early_msg, sizeof st->early_msg, "missing bearer token");
        return;
    }
    if (srv->cfg.auth == NULL || srv->cfg.auth(srv->cfg.auth_ctx, h + 7, st->req.actor,
                                               sizeof st->req.actor, &st->req.role) != 0) {
        st->early = SVC_UNAUTHORIZED;
        snprintf(st->early_msg, sizeof st->early_msg, "unknown token");
        return;
    }
    if (st->route != NULL && !role_allows(st->route->role, st->req.role)) {
        st->early = SVC_FORBIDDEN;
        snprintf(st->early_msg, sizeof st->early_msg, "token '%s' (role %s) may not %s %s",
                 st->req.actor, http_role_name(st->req.role), method_names[st->req.method],
                 st->route->pattern);
    }
}

/* ---- replies ------------------------------------------------------------------------ */

/* Sends doc with an optional extra header (hname NULL = none). */
static enum MHD_Result send_json(struct MHD_Connection *conn, int status, json_t *doc,
                                 const char *hname, const char *hvalue, bool is_auth_failure)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (text == NULL) {
        return MHD_NO;
    }
    size_t len = strlen(text);
    /* a trailing newline keeps curl output readable */
    char *buf = realloc(text, len + 2);
    if (buf == NULL) {
        free(text);
        return MHD_NO;
    }
    buf[len] = '\n';
    buf[len + 1] = '\0';
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len + 1, buf, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (hname != NULL && hvalue != NULL && hvalue[0] != '\0') {
        MHD_add_response_header(resp, hname, hvalue);
    }
    if (is_auth_failure) {
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    }
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Where a write must go instead: 307 to the leader (Location: its URL + this path), or
 * 503 with Retry-After while no leader is known. */
static enum MHD_Result send_not_leader(struct MHD_Connection *conn, struct http_req_state *st,
                                       struct svc_error *e)
{
    struct http_leader l = {0};
    char location[HTTP_LEADER_URL_MAX + 1024] = "";
    http_server_leader(st->srv, &l);
    bool is_known =
        l.leader_id[0] != '\0' && l.leader_url[0] != '\0' && strcmp(l.leader_id, l.self_id) != 0;
    int n = snprintf(location, sizeof location, "%s%s", l.leader_url,
                     st->req.path != NULL ? st->req.path : "/");
    is_known = is_known && n > 0 && (size_t)n < sizeof location;
    if (is_known) {
        svc_error_set(e, SVC_NOT_LEADER, "coordinator %s is not the leader; the leader is %s at %s",
                      l.self_id, l.leader_id, l.leader_url);
        sw_err_hint(&e->err, "send writes and agent calls to the leader (follow the redirect)");
        svc_error_detail(e, "leader",
                         json_pack("{s:s, s:s, s:I}", "id", l.leader_id, "url", l.leader_url,
                                   "epoch", (json_int_t)l.leader_epoch));
    } else {
        svc_error_set(e, SVC_NOT_LEADER,
                      "coordinator %s is not the leader and no leader is known yet", l.self_id);
        sw_err_hint(&e->err, "an election is in progress: retry in a moment");
        svc_error_detail(e, "leader", json_null());
    }
    st->status = is_known ? 307 : 503;
    log_debug("http %s: %d not_leader: %s", st->req.path != NULL ? st->req.path : "-", st->status,
              e->err.msg);
    return send_json(conn, st->status, http_error_json(e), is_known ? "Location" : "Retry-After",
                     is_known ? location : "1", false);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, struct http_req_state *st,
                                  struct svc_error *e)
{
    enum svc_code c = svc_error_code(e);
    if (c == SVC_NOT_LEADER) {
        return send_not_leader(conn, st, e);
    }
    int status = http_status_for(c);
    st->status = status;
    if (status >= 500) {
        log_error("http %s %s: %s", st->route != NULL ? method_names[st->req.method] : "-",
                  st->req.path != NULL ? st->req.path : "-", e->err.msg);
    } else {
        log_debug("http %s: %d %s: %s", st->req.path != NULL ? st->req.path : "-", status,
                  svc_code_name(c), e->err.msg);
    }
    json_t *doc = http_error_json(e);
    return send_json(conn, status, doc, "Allow", c == SVC_METHOD_NOT_ALLOWED ? st->allow : NULL,
                     c == SVC_UNAUTHORIZED);
}

static enum MHD_Result send_early(struct MHD_Connection *conn, struct http_req_state *st)
{
    struct svc_error e = {0};
    svc_error_set(&e, st->early, "%s", st->early_msg);
    if (st->early == SVC_PAYLOAD_TOO_LARGE) {
        sw_err_hint(&e.err, "the limit is %zu bytes", st->limit);
    }
    enum MHD_Result r = send_error(conn, st, &e);
    svc_error_cleanup(&e);
    return r;
}

/* Sends a handler's text reply (the server frees the text unless it is static) or, with
 * status 304, no body; adds the reply's ETag and extra headers. */
static enum MHD_Result send_text(struct MHD_Connection *conn, int status, struct http_reply *reply)
{
    bool is_empty = status == 304 || reply->text == NULL;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        is_empty ? 0 : reply->text_len, is_empty ? NULL : reply->text,
        reply->is_text_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        return MHD_NO;
    }
    if (!is_empty && !reply->is_text_static) {
        reply->text = NULL; /* the response frees it */
    }
    if (!is_empty) {
        MHD_add_response_header(resp, "Content-Type",
                                reply->content_type != NULL ? reply->content_type
                                                            : "text/plain; charset=utf-8");
    }
    if (reply->etag[0] != '\0') {
        MHD_add_response_header(resp, "ETag", reply->etag);
    }
    for (size_t i = 0; reply->headers != NULL && reply->headers[i] != NULL; i += 2) {
        MHD_add_response_header(resp, reply->headers[i], reply->headers[i + 1]);
    }
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Parses the body as a JSON object for takes_json routes; 0 or an error in e. */
static int parse_body(struct http_req_state *st, struct svc_error *e)
{
    st->req.body = st->body.len > 0 ? sw_strbuf_str(&st->body) : NULL;
    st->req.body_len = st->body.len;
    if (!st->route->takes_json || st->body.len == 0) {
        return 0;
    }
    json_error_t jerr;
    st->req.json = json_loadb(st->body.buf, st->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (st->req.json == NULL) {
        return svc_error_set(e, SVC_INVALID_JSON, "malformed JSON at line %d column %d: %s",
                             jerr.line, jerr.column, jerr.text);
    }
    if (!json_is_object(st->req.json)) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "the request body must be a JSON object");
    }
    return 0;
}

static enum MHD_Result run_handler(struct http_server *srv, struct MHD_Connection *conn,
                                   struct http_req_state *st)
{
    struct svc_error e = {0};
    struct http_reply reply = {0};
    enum MHD_Result r;
    if (parse_body(st, &e) != 0 ||
        st->route->handler(srv->cfg.handler_ctx, &st->req, &reply, &e) != 0) {
        json_decref(reply.body);
        if (!reply.is_text_static) {
            free(reply.text);
        }
        r = send_error(conn, st, &e);
        goto out;
    }
    st->status = reply.status != 0 ? reply.status : 200;
    if (reply.text != NULL || st->status == 304) {
        json_decref(reply.body);
        r = send_text(conn, st->status, &reply);
        if (!reply.is_text_static) {
            free(reply.text); /* a 304's text, unsent */
        }
        goto out;
    }
    if (reply.body == NULL) {
        reply.body = json_object();
    }
    r = send_json(conn, reply.status != 0 ? reply.status : 200, reply.body, NULL, NULL, false);
out:
    svc_error_cleanup(&e);
    return r;
}

/* ---- the access handler ------------------------------------------------------------- */

/* Writes and agent calls on a follower go to the leader (send_not_leader). */
static void req_check_leader(const struct http_server *srv, struct http_req_state *st)
{
    if (st->early != SVC_OK || st->route == NULL || srv->cfg.leader == NULL ||
        (st->route->role != HTTP_ROLE_OPERATOR && st->route->role != HTTP_ROLE_AGENT)) {
        return;
    }
    struct http_leader l = {0};
    srv->cfg.leader(srv->cfg.leader_ctx, &l);
    if (!l.is_leader) {
        st->early = SVC_NOT_LEADER;
        snprintf(st->early_msg, sizeof st->early_msg, "this coordinator is not the leader");
    }
}

/* First call of a request: route, auth, body limit from Content-Length. */
static struct http_req_state *req_begin(struct http_server *srv, struct MHD_Connection *conn,
                                        const char *url, const char *method)
{
    struct http_req_state *st = calloc(1, sizeof *st);
    if (st == NULL) {
        return NULL;
    }
    st->srv = srv;
    st->req.path = url;
    st->req.conn = conn;
    atomic_fetch_add(&srv->n_in_flight, 1);
    st->is_counted = true;
    bool is_upload = false;
    if (atomic_load(&srv->is_stopping)) {
        st->early = SVC_UNAVAILABLE;
        snprintf(st->early_msg, sizeof st->early_msg, "the coordinator is shutting down");
    } else {
        route_find(srv, method, url, st);
        is_upload = st->route != NULL && st->route->is_upload;
        bool is_public = st->route != NULL && st->route->role == HTTP_ROLE_PUBLIC;
        bool is_health = strcmp(url, "/healthz") == 0;
        if (!is_public && !is_health && (st->early == SVC_OK || strncmp(url, "/v1", 3) == 0)) {
            enum svc_code before = st->early;
            st->early = SVC_OK;
            auth_check(srv, conn, st);
            if (st->early == SVC_OK) {
                st->early = before; /* 404/405 once authenticated */
            }
        }
        req_check_leader(srv, st);
    }
    st->limit = is_upload ? srv->cfg.max_upload_bytes : srv->cfg.max_body_bytes;
    sw_strbuf_init(&st->body, st->limit);
    return st;
}

/* Appends a body chunk; past the limit the rest is drained and counted, not kept. */
static void req_body_chunk(struct http_req_state *st, const char *data, size_t size)
{
    if (st->early != SVC_OK || st->is_too_large) {
        return;
    }
    if (sw_strbuf_append(&st->body, data, size, NULL) != 0) {
        st->is_too_large = true;
        st->early = SVC_PAYLOAD_TOO_LARGE;
        snprintf(st->early_msg, sizeof st->early_msg, "request body over %zu bytes", st->limit);
        sw_strbuf_cleanup(&st->body);
    }
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct http_req_state *st = *con_cls;
    if (st == NULL) {
        st = req_begin(srv, conn, url, method);
        if (st == NULL) {
            return MHD_NO;
        }
        *con_cls = st;
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > st->limit && st->early == SVC_OK) {
            st->early = SVC_PAYLOAD_TOO_LARGE;
            snprintf(st->early_msg, sizeof st->early_msg, "request body over %zu bytes", st->limit);
            return send_early(conn, st); /* before 100-continue: the body is never sent */
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        req_body_chunk(st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->early != SVC_OK) {
        return send_early(conn, st);
    }
    return run_handler(srv, conn, st);
}

static void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    (void)toe;
    struct http_server *srv = cls;
    struct http_req_state *st = *con_cls;
    if (st == NULL) {
        return;
    }
    if (srv->cfg.metrics != NULL && st->status != 0) {
        char status[8];
        snprintf(status, sizeof status, "%d", st->status);
        const char *v[] = {st->route != NULL ? method_names[st->req.method] : "other",
                           st->route != NULL ? st->route->pattern : "unmatched", status};
        sw_metrics_add(srv->cfg.metrics, "shardwave_http_requests_total", v, 1);
    }
    json_decref(st->req.json);
    sw_strbuf_cleanup(&st->body);
    if (st->is_counted) {
        atomic_fetch_sub(&srv->n_in_flight, 1);
    }
    free(st);
    *con_cls = NULL;
}

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    log_warn("http: %s", msg);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

static int load_tls(struct http_server *srv, struct sw_err *err)
{
    const struct http_server_config *c = &srv->cfg;
    if (c->tls_cert_file == NULL && c->tls_key_file == NULL) {
        return 0;
    }
    if (c->tls_cert_file == NULL || c->tls_key_file == NULL) {
        return sw_err_set(err, SW_EINVAL, "TLS needs both a certificate and a key file");
    }
    size_t n = 0;
    int rc = sw_file_read(c->tls_cert_file, HTTP_TLS_FILE_MAX, &srv->tls_cert, &n, err);
    if (rc == 0) {
        rc = sw_file_read(c->tls_key_file, HTTP_TLS_FILE_MAX, &srv->tls_key, &n, err);
    }
    if (rc != 0) {
        sw_err_prefix(err, "TLS");
    }
    return rc;
}

/* Parses the listen address into storage (IPv4 or IPv6). */
static int listen_addr(const struct http_server_config *c, struct sockaddr_storage *ss, bool *is_v6,
                       struct sw_err *err)
{
    memset(ss, 0, sizeof *ss);
    const char *a = c->listen_addr != NULL ? c->listen_addr : "127.0.0.1";
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, a, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(c->port);
        *is_v6 = false;
        return 0;
    }
    if (inet_pton(AF_INET6, a, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(c->port);
        *is_v6 = true;
        return 0;
    }
    return sw_err_set(err, SW_EINVAL, "listen address '%s' is not a numeric IPv4 or IPv6 address",
                      a);
}

static void apply_defaults(struct http_server_config *c)
{
    if (c->max_connections == 0) {
        c->max_connections = 256;
    }
    if (c->timeout_seconds == 0) {
        c->timeout_seconds = 30;
    }
    if (c->n_threads == 0) {
        c->n_threads = 4;
    }
    if (c->max_body_bytes == 0) {
        c->max_body_bytes = HTTP_SMALL_BODY_MAX;
    }
    if (c->max_upload_bytes == 0) {
        c->max_upload_bytes = HTTP_DEFAULT_UPLOAD_MAX;
    }
}

static int http_hex_val(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
        return (c | 0x20) - 'a' + 10;
    }
    return -1;
}

/* MHD's %XX decoding of paths and query values, except that %00 stays as it is: a NUL
 * would cut a value short (PUT /v1/fleet/shards/x%00y registered shard "x"); left
 * encoded, it is refused like any other '%' in an id. */
static size_t http_unescape(void *cls, struct MHD_Connection *conn, char *uri)
{
    (void)cls;
    (void)conn;
    size_t in = 0, out = 0;
    while (uri[in] != '\0') {
        int hi = uri[in] == '%' ? http_hex_val(uri[in + 1]) : -1;
        int lo = hi >= 0 ? http_hex_val(uri[in + 2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            uri[out++] = (char)(hi * 16 + lo);
            in += 3;
        } else {
            uri[out++] = uri[in++];
        }
    }
    uri[out] = '\0';
    return out;
}

static int start_mhd(struct http_server *srv, struct sw_err *err)
{
    struct sockaddr_storage ss;
    bool is_v6 = false;
    if (listen_addr(&srv->cfg, &ss, &is_v6, err) != 0) {
        return err->code;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     MHD_USE_AUTO | (is_v6 ? MHD_USE_IPv6 : 0) |
                     (srv->tls_cert != NULL ? MHD_USE_TLS : 0) |
                     (srv->cfg.is_thread_per_connection ? MHD_USE_THREAD_PER_CONNECTION : 0);
    /* TLS and the pool size go in an option array: either may be left out (a thread per
     * connection takes no pool size) */
    struct MHD_OptionItem opts[4] = {{MHD_OPTION_END, 0, NULL}};
    size_t n_opts = 0;
    if (srv->tls_cert != NULL) {
        opts[n_opts++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert};
        opts[n_opts++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key};
    }
    if (!srv->cfg.is_thread_per_connection) {
        opts[n_opts++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                                 (intptr_t)srv->cfg.n_threads, NULL};
    }
    opts[n_opts] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, http_access, srv, MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
        srv->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.timeout_seconds,
        MHD_OPTION_NOTIFY_COMPLETED, http_completed, srv, MHD_OPTION_UNESCAPE_CALLBACK,
        http_unescape, NULL, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (srv->mhd == NULL) {
        return sw_err_set(err, SW_EIO, "cannot listen on %s port %u (in use, or bad TLS files?)",
                          srv->cfg.listen_addr != NULL ? srv->cfg.listen_addr : "127.0.0.1",
                          (unsigned)srv->cfg.port);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info != NULL ? info->port : srv->cfg.port;
    return 0;
}

int http_server_start(const struct http_server_config *cfg, struct http_server **out,
                      struct sw_err *err)
{
    int rc = 0;
    struct http_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    srv->cfg = *cfg;
    apply_defaults(&srv->cfg);
    atomic_init(&srv->is_stopping, false);
    atomic_init(&srv->n_in_flight, 0);
    rc = load_tls(srv, err);
    if (rc != 0) {
        goto out;
    }
    rc = start_mhd(srv, err);
out:
    if (rc != 0) {
        http_server_free(srv);
        return rc;
    }
    *out = srv;
    return 0;
}

uint16_t http_server_port(const struct http_server *s)
{
    return s->port;
}

bool http_server_is_stopping(const struct http_server *s)
{
    return atomic_load(&s->is_stopping);
}

void http_server_leader(const struct http_server *s, struct http_leader *out)
{
    memset(out, 0, sizeof *out);
    if (s == NULL || s->cfg.leader == NULL) {
        out->is_leader = true;
        return;
    }
    s->cfg.leader(s->cfg.leader_ctx, out);
}

void http_server_stop(struct http_server *s, int64_t wait_ms)
{
    if (s == NULL || s->mhd == NULL) {
        return;
    }
    atomic_store(&s->is_stopping, true);
    MHD_socket fd = MHD_quiesce_daemon(s->mhd);
    if (fd != MHD_INVALID_SOCKET) {
        close(fd);
    }
    int64_t deadline = sw_clock_mono_ms() + wait_ms;
    while (atomic_load(&s->n_in_flight) > 0 && sw_clock_mono_ms() < deadline) {
        sw_clock_sleep_ms(10, NULL);
    }
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
}

void http_server_free(struct http_server *s)
{
    if (s == NULL) {
        return;
    }
    http_server_stop(s, 5000);
    free(s->tls_cert);
    free(s->tls_key);
    free(s);
}

/* ---- JSON helpers for handlers ------------------------------------------------------ */

int http_json_check_fields(const json_t *obj, const char *const *allowed, struct svc_error *e)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        (void)value;
        bool ok = false;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++) {
            ok = strcmp(allowed[i], key) == 0;
        }
        if (!ok) {
            return svc_error_set(e, SVC_INVALID_REQUEST, "unknown field '%s'", key);
        }
    }
    return 0;
}

int http_json_opt_string(const json_t *obj, const char *key, const char **out, struct svc_error *e)
{
    *out = NULL;
    json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "field '%s' must be a string", key);
    }
    *out = json_string_value(v);
    return 0;
}

int http_json_opt_bool(const json_t *obj, const char *key, bool dflt, bool *out,
                       struct svc_error *e)
{
    *out = dflt;
    json_t *v = obj != NULL ? json_object_get(obj, key) : NULL;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_boolean(v)) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "field '%s' must be true or false", key);
    }
    *out = json_is_true(v);
    return 0;
}
