/* The v1 API handlers: decode, call one service function, encode (docs/api.md). */
#include "http/http_api.h"

#include <stdlib.h>
#include <string.h>

#include "config/plan_file.h"
#include "http/http_dash.h"
#include "http/http_encode.h"
#include "http/http_metrics.h"
#include "http/http_policy.h"
#include "sw/build_info.h"
#include "sw/numparse.h"
#include "sw/strbuf.h"

#define API_MAX_UPLOAD_FILES 100000
#define API_DETAIL_MAX       (1024 * 1024)     /* an operator action's recorded reason */
#define API_WAVE_TEXT_MAX    ((size_t)1 << 30) /* a wave detail reply (~150 bytes a shard) */

static int api_health(void *ctx, const struct http_request *req, struct http_reply *out,
                      struct svc_error *e)
{
    struct http_api *api = ctx;
    struct http_leader l = {0};
    (void)req;
    (void)e;
    http_server_leader(api->server, &l);
    json_t *leader = l.leader_id[0] != '\0'
                         ? json_pack("{s:s, s:s, s:I}", "id", l.leader_id, "url", l.leader_url,
                                     "epoch", (json_int_t)l.leader_epoch)
                         : json_null();
    out->body = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:o}", "status", "ok", "version",
                          SW_VERSION_STRING, "protocol", SW_PROTOCOL_VERSION, "role",
                          l.is_leader ? "leader" : "follower", "ha", l.is_ha, "epoch",
                          (json_int_t)l.epoch, "leader", leader);
    return 0;
}

/* ---- fleet -------------------------------------------------------------------------- */

/* {"pending": [ids], "reference_set": digest | null} */
static json_t *api_inventory_json(const struct svc_inventory_state *inv)
{
    json_t *pending = json_array();
    for (size_t i = 0; i < inv->n_pending; i++) {
        json_array_append_new(pending, json_string(inv->pending[i]));
    }
    return json_pack("{s:o, s:o}", "pending", pending, "reference_set",
                     inv->reference_set[0] != '\0' ? json_string(inv->reference_set) : json_null());
}

/* ?shards=true|false (default true): false leaves the shard list out (n_shards instead),
 * for pollers that need only the histogram and the drift (the dashboard). */
static int api_fleet_want_shards(const struct http_request *req, bool *want, struct svc_error *e)
{
    const char *v = http_request_query(req, "shards");
    *want = v == NULL || strcmp(v, "true") == 0;
    if (v != NULL && !*want && strcmp(v, "false") != 0) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "query 'shards' must be true or false");
    }
    return 0;
}

static int api_fleet_list(void *ctx, const struct http_request *req, struct http_reply *out,
                          struct svc_error *e)
{
    struct http_api *api = ctx;
    struct store_fleet f = {0};
    struct svc_inventory_state inv = {0};
    bool want_shards = true;
    int rc = api_fleet_want_shards(req, &want_shards, e);
    if (rc == 0) {
        rc = svc_inventory_state_get(api->svc, &inv, e);
    }
    if (rc == 0) {
        rc = svc_fleet_list(api->svc, &f, e);
    }
    if (rc == 0) {
        out->body = http_encode_fleet(&f);
        json_object_set_new(out->body, "inventory", api_inventory_json(&inv));
    }
    if (rc == 0 && !want_shards) {
        json_object_del(out->body, "shards");
        json_object_set_new(out->body, "n_shards", json_integer((json_int_t)f.fleet.n_shards));
    }
    svc_inventory_state_cleanup(&inv);
    store_fleet_cleanup(&f);
    return rc;
}

static int api_fleet_reload(void *ctx, const struct http_request *req, struct http_reply *out,
                            struct svc_error *e)
{
    static const char *const fields[] = {NULL};
    struct http_api *api = ctx;
    struct store_sync_result r = {0};
    if (req->json != NULL && http_json_check_fields(req->json, fields, e) != 0) {
        return e->err.code;
    }
    int rc = svc_fleet_reload(api->svc, req->actor, &r, e);
    if (rc == 0) {
        out->body = http_encode_sync(&r);
    }
    store_sync_result_cleanup(&r);
    return rc;
}

/* Labels object -> the shard's label array (heap strings owned by the shard). */
static int api_decode_labels(const json_t *labels, struct fleet_shard *s, struct svc_error *e)
{
    if (labels == NULL) {
        return 0;
    }
    if (!json_is_object(labels) || json_object_size(labels) > FLEET_MAX_LABELS) {
        return svc_error_set(e, SVC_INVALID_REQUEST,
                             "field 'labels' must be an object of at most %d strings",
                             FLEET_MAX_LABELS);
    }
    s->labels = calloc(json_object_size(labels) + 1, sizeof *s->labels);
    if (s->labels == NULL) {
        return svc_error_set(e, SVC_INTERNAL, "out of memory");
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)labels, key, value)
    {
        if (!json_is_string(value)) {
            return svc_error_set(e, SVC_INVALID_REQUEST, "label '%s' must be a string", key);
        }
        struct fleet_label *l = &s->labels[s->n_labels++];
        l->key = strdup(key);
        l->value = strdup(json_string_value(value));
        if (l->key == NULL || l->value == NULL) {
            return svc_error_set(e, SVC_INTERNAL, "out of memory");
        }
    }
    return 0;
}

static int api_decode_shard(const struct http_request *req, struct fleet_shard *s,
                            struct svc_error *e)
{
    static const char *const fields[] = {"engine", "pool", "labels", NULL};
    const char *engine = NULL;
    const char *pool = NULL;
    if (req->json == NULL) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "a JSON body is required");
    }
    if (http_json_check_fields(req->json, fields, e) != 0 ||
        http_json_opt_string(req->json, "engine", &engine, e) != 0 ||
        http_json_opt_string(req->json, "pool", &pool, e) != 0) {
        return e->err.code;
    }
    if (engine == NULL || migset_engine_parse(engine, strlen(engine), &s->engine) != 0) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "field 'engine' must be pg, mysql or sqlite");
    }
    s->id = strdup(req->params[0]);
    s->pool = strdup(pool != NULL ? pool : "default");
    if (s->id == NULL || s->pool == NULL) {
        return svc_error_set(e, SVC_INTERNAL, "out of memory");
    }
    return api_decode_labels(json_object_get(req->json, "labels"), s, e);
}

static int api_shard_put(void *ctx, const struct http_request *req, struct http_reply *out,
                         struct svc_error *e)
{
    struct http_api *api = ctx;
    struct fleet_shard s = {0};
    bool created = false;
    int rc = api_decode_shard(req, &s, e);
    if (rc == 0) {
        rc = svc_fleet_register(api->svc, &s, req->actor, &created, e);
    }
    if (rc == 0) {
        out->status = created ? 201 : 200;
        out->body = http_encode_shard(&s);
    }
    fleet_shard_cleanup(&s);
    return rc;
}

static int api_fleet_inventory(void *ctx, const struct http_request *req, struct http_reply *out,
                               struct svc_error *e)
{
    static const char *const fields[] = {NULL};
    struct http_api *api = ctx;
    size_t n = 0;
    if (req->json != NULL && http_json_check_fields(req->json, fields, e) != 0) {
        return e->err.code;
    }
    struct svc_inventory_state inv = {0};
    int rc = svc_inventory_scan(api->svc, req->actor, &n, e);
    if (rc == 0) {
        rc = svc_inventory_state_get(api->svc, &inv, e);
    }
    if (rc == 0) {
        out->status = 202;
        out->body =
            json_pack("{s:I, s:o}", "queued", (json_int_t)n, "reference_set",
                      inv.reference_set[0] != '\0' ? json_string(inv.reference_set) : json_null());
    }
    svc_inventory_state_cleanup(&inv);
    return rc;
}

/* ---- migration sets ----------------------------------------------------------------- */

/* {"files": [{"name", "content"}]} -> borrowed in-memory files. */
static int api_decode_files(const json_t *body, struct migset_mem_file **out, size_t *n,
                            struct svc_error *e)
{
    static const char *const fields[] = {"files", NULL};
    static const char *const file_fields[] = {"name", "content", NULL};
    json_t *files = body != NULL ? json_object_get(body, "files") : NULL;
    if (body == NULL || http_json_check_fields(body, fields, e) != 0 || !json_is_array(files) ||
        json_array_size(files) > API_MAX_UPLOAD_FILES) {
        return e->code != SVC_OK ? e->err.code
                                 : svc_error_set(e, SVC_INVALID_REQUEST,
                                                 "field 'files' must be an array of "
                                                 "{\"name\", \"content\"} objects");
    }
    *n = json_array_size(files);
    *out = calloc(*n + 1, sizeof **out);
    for (size_t i = 0; *out != NULL && i < *n; i++) {
        json_t *f = json_array_get(files, i);
        json_t *name = json_object_get(f, "name");
        json_t *content = json_object_get(f, "content");
        if (!json_is_object(f) || http_json_check_fields(f, file_fields, e) != 0 ||
            !json_is_string(name) || !json_is_string(content)) {
            return e->code != SVC_OK ? e->err.code
                                     : svc_error_set(e, SVC_INVALID_REQUEST,
                                                     "files[%zu]: expected {\"name\": string, "
                                                     "\"content\": string}",
                                                     i);
        }
        (*out)[i] = (struct migset_mem_file){.name = json_string_value(name),
                                             .content = json_string_value(content),
                                             .len = json_string_length(content)};
    }
    return *out != NULL ? 0 : svc_error_set(e, SVC_INTERNAL, "out of memory");
}

static int api_migset_upload(void *ctx, const struct http_request *req, struct http_reply *out,
                             struct svc_error *e)
{
    struct http_api *api = ctx;
    struct migset_mem_file *files = NULL;
    size_t n = 0;
    struct store_migset_info info = {0};
    bool created = false;
    int rc = api_decode_files(req->json, &files, &n, e);
    if (rc == 0) {
        rc = svc_migset_upload(api->svc, files, n, &info, &created, e);
    }
    if (rc == 0) {
        out->status = created ? 201 : 200;
        out->body = http_encode_migset_info(&info);
    }
    free(files);
    return rc;
}

static int api_migset_get(void *ctx, const struct http_request *req, struct http_reply *out,
                          struct svc_error *e)
{
    struct http_api *api = ctx;
    struct migset *set = NULL;
    int rc = svc_migset_get(api->svc, req->params[0], &set, e);
    if (rc == 0) {
        out->body = http_encode_migset(set);
    }
    migset_free(set);
    return rc;
}

/* ---- plans and waves ---------------------------------------------------------------- */

/* {"migration_set", "plan", ["reason", "allow_unsafe"]}: the digest (borrowed), the wave
 * options (o NULL: a dry run, which takes neither) and the decoded plan. */
static int api_decode_plan_req(const json_t *body, struct svc_wave_opts *o, const char **digest,
                               struct wave_plan *plan, struct svc_error *e)
{
    static const char *const fields[] = {"migration_set", "plan", NULL};
    static const char *const wave_fields[] = {"migration_set", "plan", "reason", "allow_unsafe",
                                              NULL};
    if (body == NULL) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "a JSON body is required");
    }
    if (http_json_check_fields(body, o != NULL ? wave_fields : fields, e) != 0 ||
        http_json_opt_string(body, "migration_set", digest, e) != 0 ||
        (o != NULL && http_json_opt_string(body, "reason", &o->reason, e) != 0) ||
        (o != NULL && http_json_opt_bool(body, "allow_unsafe", false, &o->allow_unsafe, e) != 0)) {
        return e->err.code;
    }
    if (*digest == NULL) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "field 'migration_set' is required");
    }
    json_t *pj = json_object_get(body, "plan");
    if (pj == NULL) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "field 'plan' is required");
    }
    if (plan_file_from_json(pj, plan, &e->err) != 0) {
        return svc_error_from(e, SVC_INVALID_PLAN, &e->err);
    }
    return 0;
}

static int api_plan(void *ctx, const struct http_request *req, struct http_reply *out,
                    struct svc_error *e)
{
    struct http_api *api = ctx;
    struct wave_plan plan = {0};
    struct planner_result r = {0};
    struct migset *set = NULL;
    const char *digest = NULL;
    struct lint_report lint;
    lint_report_init(&lint);
    int rc = api_decode_plan_req(req->json, NULL, &digest, &plan, e);
    if (rc == 0) {
        rc = svc_plan(api->svc, digest, &plan, &set, &r, &lint, e);
    }
    if (rc == 0) {
        out->body = http_encode_plan(&plan, set, &r);
        json_object_set_new(out->body, "lint", http_policy_lint_json(&lint));
        json_object_set_new(out->body, "contracts", http_policy_contracts_json(&r));
    }
    lint_report_cleanup(&lint);
    planner_result_cleanup(&r);
    migset_free(set);
    wave_plan_cleanup(&plan);
    return rc;
}

/* The wave detail as the reply's text, encoded one shard at a time: a JSON tree of a
 * 10,000-shard wave is ~12 MB of small allocations. Same bytes as the server's JSON
 * replies (compact, a newline at the end). */
static int api_detail_text(const struct store_wave_detail *d, int status, struct http_reply *out,
                           struct sw_err *err)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, API_WAVE_TEXT_MAX);
    int rc = http_encode_wave_detail_text(d, &sb, err);
    if (rc == 0) {
        rc = sw_strbuf_puts(&sb, "\n", err);
    }
    if (rc != 0) {
        sw_strbuf_cleanup(&sb);
        return rc;
    }
    out->status = status;
    out->text_len = sb.len;
    out->text = sw_strbuf_take(&sb);
    out->content_type = "application/json";
    return 0;
}

/* svc_wave_opts.on_created: the 201 reply of a new wave. */
static int api_wave_created(void *ctx, const struct store_wave_detail *d, struct sw_err *err)
{
    return api_detail_text(d, 201, ctx, err);
}

static int api_wave_create(void *ctx, const struct http_request *req, struct http_reply *out,
                           struct svc_error *e)
{
    struct http_api *api = ctx;
    struct wave_plan plan = {0};
    struct svc_wave_opts o = {.on_created = api_wave_created, .on_created_ctx = out};
    const char *digest = NULL;
    int rc = api_decode_plan_req(req->json, &o, &digest, &plan, e);
    if (rc == 0) {
        rc = svc_wave_create(api->svc, digest, &plan, &o, req->actor, e);
    }
    wave_plan_cleanup(&plan);
    return rc;
}

static int api_wave_get(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e)
{
    struct http_api *api = ctx;
    struct store_wave_detail d = {0};
    int rc = svc_wave_get(api->svc, req->params[0], &d, e);
    if (rc == 0 && api_detail_text(&d, 200, out, &e->err) != 0) {
        rc = svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    store_wave_detail_cleanup(&d);
    return rc;
}

/* A summary with counts (the detail's fields before stages and plan). */
static json_t *api_summary(const struct store_wave_detail *d)
{
    size_t counts[WSHARD_STATE_COUNT] = {0};
    for (size_t i = 0; i < d->n_shards; i++) {
        counts[d->shards[i].state]++;
    }
    return http_encode_wave_summary(&d->wave, http_encode_state_counts(counts));
}

static int api_wave_list(void *ctx, const struct http_request *req, struct http_reply *out,
                         struct svc_error *e)
{
    struct http_api *api = ctx;
    struct store_wave_filter f = {0};
    struct store_wave *waves = NULL;
    size_t n = 0;
    const char *state = http_request_query(req, "state");
    if (state != NULL && wave_state_parse(state, &f.state) != 0) {
        return svc_error_set(e, SVC_INVALID_REQUEST, "unknown wave state '%s'", state);
    }
    f.by_state = state != NULL;
    int rc = svc_wave_list(api->svc, &f, &waves, &n, e);
    json_t *arr = json_array();
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t counts[WSHARD_STATE_COUNT]; /* from the index: no shard is read */
        rc = svc_wave_counts(api->svc, waves[i].id, counts, e);
        if (rc == 0) {
            json_array_append_new(
                arr, http_encode_wave_summary(&waves[i], http_encode_state_counts(counts)));
        }
    }
    store_waves_free(waves, n);
    if (rc != 0) {
        json_decref(arr);
        return rc;
    }
    out->body = json_pack("{s:o}", "waves", arr);
    return 0;
}

static int api_wave_events(void *ctx, const struct http_request *req, struct http_reply *out,
                           struct svc_error *e)
{
    struct http_api *api = ctx;
    struct store_event *ev = NULL;
    size_t n = 0;
    int64_t after = 0;
    const char *a = http_request_query(req, "after");
    if (a != NULL && sw_parse_int64(a, 0, INT64_MAX, "after", &after, &e->err) != 0) {
        return svc_error_from(e, SVC_INVALID_REQUEST, &e->err);
    }
    int rc = svc_wave_events(api->svc, req->params[0], after, &ev, &n, e);
    if (rc == 0) {
        out->body = http_encode_events(ev, n);
    }
    store_events_free(ev, n);
    return rc;
}

/* An abort with cancel_running or a resume with retry_failed: the operator event's detail
 * names the flag after the reason ("abort by NAME: JIRA-9 (cancel_running)", or
 * ": cancel_running" without one). */
static int api_flag_detail(const char *reason, const char *flag, struct sw_strbuf *sb,
                           struct svc_error *e)
{
    int rc = reason != NULL ? sw_strbuf_printf(sb, &e->err, "%s (%s)", reason, flag)
                            : sw_strbuf_puts(sb, flag, &e->err);
    return rc != 0 ? svc_error_from(e, SVC_INVALID_REQUEST, &e->err) : 0;
}

/* pause / resume / abort / rollback: body optional {"reason"} (abort: "cancel_running",
 * resume: "retry_failed"). */
static int api_wave_action(struct http_api *api, const struct http_request *req,
                           enum svc_action action, struct http_reply *out, struct svc_error *e)
{
    static const char *const fields[] = {"reason", NULL};
    static const char *const abort_fields[] = {"reason", "cancel_running", NULL};
    static const char *const resume_fields[] = {"reason", "retry_failed", NULL};
    const char *const *allowed = action == SVC_ACTION_ABORT    ? abort_fields
                                 : action == SVC_ACTION_RESUME ? resume_fields
                                                               : fields;
    const char *reason = NULL;
    bool cancel_running = false;
    bool retry_failed = false;
    struct store_wave_detail d = {0};
    struct sw_strbuf detail;
    sw_strbuf_init(&detail, API_DETAIL_MAX);
    if (req->json != NULL &&
        (http_json_check_fields(req->json, allowed, e) != 0 ||
         http_json_opt_string(req->json, "reason", &reason, e) != 0 ||
         http_json_opt_bool(req->json, "cancel_running", false, &cancel_running, e) != 0 ||
         http_json_opt_bool(req->json, "retry_failed", false, &retry_failed, e) != 0)) {
        return e->err.code;
    }
    const char *flag = cancel_running ? "cancel_running" : retry_failed ? "retry_failed" : NULL;
    int rc = flag != NULL ? api_flag_detail(reason, flag, &detail, e) : 0;
    reason = flag != NULL && rc == 0 ? sw_strbuf_str(&detail) : reason;
    if (rc == 0) {
        rc =
            action == SVC_ACTION_RESUME
                ? svc_wave_resume(api->svc, req->params[0], req->actor, reason, retry_failed, &d, e)
                : svc_wave_action(api->svc, req->params[0], action, req->actor, reason, &d, e);
    }
    if (rc == 0 && action == SVC_ACTION_ABORT && cancel_running) {
        svc_wave_cancel_running(api->svc, req->params[0]); /* heartbeats answer cancel */
    }
    if (rc == 0) {
        out->body = api_summary(&d);
    }
    sw_strbuf_cleanup(&detail);
    store_wave_detail_cleanup(&d);
    return rc;
}

static int api_pause(void *ctx, const struct http_request *req, struct http_reply *out,
                     struct svc_error *e)
{
    return api_wave_action(ctx, req, SVC_ACTION_PAUSE, out, e);
}

static int api_resume(void *ctx, const struct http_request *req, struct http_reply *out,
                      struct svc_error *e)
{
    return api_wave_action(ctx, req, SVC_ACTION_RESUME, out, e);
}

static int api_abort(void *ctx, const struct http_request *req, struct http_reply *out,
                     struct svc_error *e)
{
    return api_wave_action(ctx, req, SVC_ACTION_ABORT, out, e);
}

static int api_rollback(void *ctx, const struct http_request *req, struct http_reply *out,
                        struct svc_error *e)
{
    return api_wave_action(ctx, req, SVC_ACTION_ROLLBACK, out, e);
}

static const struct http_route api_routes[] = {
    {HTTP_GET, "/healthz", HTTP_ROLE_PUBLIC, false, false, api_health},
    {HTTP_GET, "/", HTTP_ROLE_PUBLIC, false, false, http_dash_index},
    {HTTP_GET, "/ui/{file}", HTTP_ROLE_PUBLIC, false, false, http_dash_asset},
    {HTTP_GET, "/metrics", HTTP_ROLE_READ, false, false, http_metrics_get},
    {HTTP_GET, "/v1/fleet", HTTP_ROLE_READ, false, false, api_fleet_list},
    {HTTP_POST, "/v1/fleet/reload", HTTP_ROLE_OPERATOR, false, true, api_fleet_reload},
    {HTTP_POST, "/v1/fleet/inventory", HTTP_ROLE_OPERATOR, false, true, api_fleet_inventory},
    {HTTP_PUT, "/v1/fleet/shards/{id}", HTTP_ROLE_OPERATOR, false, true, api_shard_put},
    {HTTP_POST, "/v1/migration-sets", HTTP_ROLE_OPERATOR, true, true, api_migset_upload},
    {HTTP_GET, "/v1/migration-sets/{digest}", HTTP_ROLE_READ, false, false, api_migset_get},
    {HTTP_POST, "/v1/plans", HTTP_ROLE_READ, false, true, api_plan},
    {HTTP_POST, "/v1/waves", HTTP_ROLE_OPERATOR, false, true, api_wave_create},
    {HTTP_GET, "/v1/waves", HTTP_ROLE_READ, false, false, api_wave_list},
    {HTTP_GET, "/v1/waves/{id}", HTTP_ROLE_READ, false, false, api_wave_get},
    {HTTP_GET, "/v1/waves/{id}/events", HTTP_ROLE_READ, false, false, api_wave_events},
    {HTTP_GET, "/v1/waves/{id}/grid", HTTP_ROLE_READ, false, false, http_dash_wave_grid},
    {HTTP_POST, "/v1/waves/{id}/pause", HTTP_ROLE_OPERATOR, false, true, api_pause},
    {HTTP_POST, "/v1/waves/{id}/resume", HTTP_ROLE_OPERATOR, false, true, api_resume},
    {HTTP_POST, "/v1/waves/{id}/abort", HTTP_ROLE_OPERATOR, false, true, api_abort},
    {HTTP_POST, "/v1/waves/{id}/rollback", HTTP_ROLE_OPERATOR, false, true, api_rollback},
    {HTTP_POST, "/v1/agents/register", HTTP_ROLE_AGENT, false, true, http_metrics_agent_register},
    {HTTP_POST, "/v1/leases", HTTP_ROLE_AGENT, false, true, http_metrics_agent_leases},
    {HTTP_POST, "/v1/leases/{lease}/start", HTTP_ROLE_AGENT, false, true, http_metrics_agent_start},
    {HTTP_POST, "/v1/heartbeat", HTTP_ROLE_AGENT, false, true, http_metrics_agent_heartbeat},
    {HTTP_POST, "/v1/reports", HTTP_ROLE_AGENT, false, true, http_metrics_agent_reports},
};

const struct http_route *http_api_routes(size_t *n_routes)
{
    *n_routes = sizeof api_routes / sizeof api_routes[0];
    return api_routes;
}
