/*
 * The dashboard's HTTP side: embedded static files served with caching and security
 * headers, and the compact grid document of one wave (one row per shard) with an ETag
 * from the wave's revision, so that polling an unchanged wave costs one indexed read.
 */
#include "http/http_dash.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_api.h"
#include "http/http_dash_assets.h"
#include "http/http_encode.h"

/* The page loads only its own files and talks only to this origin; nothing inline. */
#define DASH_CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                    \
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const char *const dash_headers[] = {"Cache-Control",
                                           "no-cache", /* revalidate: 304 while the ETag matches */
                                           "Content-Security-Policy",
                                           DASH_CSP,
                                           "X-Content-Type-Options",
                                           "nosniff",
                                           "X-Frame-Options",
                                           "DENY",
                                           "Referrer-Policy",
                                           "no-referrer",
                                           NULL};

static const char *const grid_headers[] = {"Cache-Control", "no-cache", "X-Content-Type-Options",
                                           "nosniff", NULL};

/* Whether an If-None-Match header value names etag (or is "*"). */
static bool dash_etag_matches(const char *if_none_match, const char *etag)
{
    if (if_none_match == NULL) {
        return false;
    }
    return strcmp(if_none_match, "*") == 0 || strstr(if_none_match, etag) != NULL;
}

static int dash_send(const struct http_request *req, const char *name, struct http_reply *out,
                     struct svc_error *e)
{
    for (size_t i = 0; i < http_dash_n_assets; i++) {
        const struct http_dash_asset *a = &http_dash_assets[i];
        if (strcmp(a->name, name) != 0) {
            continue;
        }
        snprintf(out->etag, sizeof out->etag, "%s", a->etag);
        out->headers = dash_headers;
        if (dash_etag_matches(http_request_header(req, "If-None-Match"), a->etag)) {
            out->status = 304;
            return 0;
        }
        out->text = (char *)a->bytes; /* static: sent as it is, never freed */
        out->text_len = a->len;
        out->is_text_static = true;
        out->content_type = a->content_type;
        return 0;
    }
    return svc_error_set(e, SVC_NOT_FOUND, "no such dashboard file: %s", name);
}

int http_dash_index(void *ctx, const struct http_request *req, struct http_reply *out,
                    struct svc_error *e)
{
    (void)ctx;
    return dash_send(req, "index.html", out, e);
}

int http_dash_asset(void *ctx, const struct http_request *req, struct http_reply *out,
                    struct svc_error *e)
{
    (void)ctx;
    if (strcmp(req->params[0], "index.html") == 0) {
        return svc_error_set(e, SVC_NOT_FOUND, "no such dashboard file: %s", req->params[0]);
    }
    return dash_send(req, req->params[0], out, e);
}

/* ---- the wave grid ------------------------------------------------------------------ */

/* "<id>.<revision>", or "" (no ETag) for an id too long to quote in one. */
static void grid_etag(const char *id, int64_t revision, char etag[HTTP_ETAG_MAX])
{
    int n = snprintf(etag, HTTP_ETAG_MAX, "\"%s.%" PRId64 "\"", id, revision);
    if (n < 0 || n >= HTTP_ETAG_MAX) {
        etag[0] = '\0';
    }
}

/* {"index", "name", "counts"} of every stage of the plan. */
static json_t *grid_stages(const struct store_wave_detail *d)
{
    json_error_t jerr;
    json_t *plan =
        json_loads(d->wave.plan_json != NULL ? d->wave.plan_json : "null", JSON_DECODE_ANY, &jerr);
    json_t *pstages = json_object_get(plan, "stages");
    json_t *stages = json_array();
    for (size_t i = 0; i < json_array_size(pstages); i++) {
        size_t counts[WSHARD_STATE_COUNT] = {0};
        for (size_t j = 0; j < d->n_shards; j++) {
            if (d->shards[j].stage_idx == (int)i) {
                counts[d->shards[j].state]++;
            }
        }
        json_array_append_new(stages, json_pack("{s:I, s:O, s:o}", "index", (json_int_t)i, "name",
                                                json_object_get(json_array_get(pstages, i), "name"),
                                                "counts", http_encode_state_counts(counts)));
    }
    json_decref(plan);
    return stages;
}

/* The summary plus "revision", "states" (the names the rows index), "stages", "shards"
 * ([id, stage index, state index, from, to] per shard) and "errors" ([id, text] per shard
 * with an error). */
static json_t *grid_json(const struct store_wave_detail *d)
{
    size_t counts[WSHARD_STATE_COUNT] = {0};
    json_t *states = json_array();
    json_t *shards = json_array();
    json_t *errors = json_array();
    for (int s = 0; s < WSHARD_STATE_COUNT; s++) {
        json_array_append_new(states, json_string(wave_shard_state_name((enum wave_shard_state)s)));
    }
    for (size_t i = 0; i < d->n_shards; i++) {
        const struct store_wave_shard *s = &d->shards[i];
        counts[s->state]++;
        json_array_append_new(shards, json_pack("[s, i, i, s, s]", s->shard_id, s->stage_idx,
                                                (int)s->state, s->from_version, s->to_version));
        if (s->error != NULL) {
            json_array_append_new(errors, json_pack("[s, s]", s->shard_id, s->error));
        }
    }
    json_t *o = http_encode_wave_summary(&d->wave, http_encode_state_counts(counts));
    json_object_set_new(o, "revision", json_integer((json_int_t)d->wave.revision));
    json_object_set_new(o, "states", states);
    json_object_set_new(o, "stages", grid_stages(d));
    json_object_set_new(o, "shards", shards);
    json_object_set_new(o, "errors", errors);
    return o;
}

/* 304 when the client's ETag names the current revision (no shard is read). */
static int grid_unchanged(struct http_api *api, const struct http_request *req, bool *unchanged,
                          struct http_reply *out, struct svc_error *e)
{
    const char *inm = http_request_header(req, "If-None-Match");
    int64_t revision = 0;
    *unchanged = false;
    if (inm == NULL) {
        return 0;
    }
    int rc = svc_wave_revision(api->svc, req->params[0], &revision, e);
    if (rc != 0) {
        return rc;
    }
    grid_etag(req->params[0], revision, out->etag);
    *unchanged = out->etag[0] != '\0' && dash_etag_matches(inm, out->etag);
    return 0;
}

int http_dash_wave_grid(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e)
{
    struct http_api *api = ctx;
    struct store_wave_detail d = {0};
    bool unchanged = false;
    out->headers = grid_headers;
    int rc = grid_unchanged(api, req, &unchanged, out, e);
    if (rc != 0 || unchanged) {
        out->status = unchanged ? 304 : 0;
        goto out;
    }
    rc = svc_wave_get(api->svc, req->params[0], &d, e);
    if (rc != 0) {
        goto out;
    }
    grid_etag(d.wave.id, d.wave.revision, out->etag);
    json_t *doc = grid_json(&d);
    out->text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (out->text == NULL) {
        rc = svc_error_set(e, SVC_INTERNAL, "out of memory encoding wave %s", req->params[0]);
        goto out;
    }
    out->text_len = strlen(out->text);
    out->content_type = "application/json";
out:
    store_wave_detail_cleanup(&d);
    return rc;
}
