/* The service context: configuration, the store handle pool, fleet and migration sets. */
#include "service/service.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/fleet_file.h"
#include "service/svc_internal.h"
#include "sw/clock.h"
#include "sw/log.h"

#define SVC_MAX_PROBLEMS 1000

int svc_new(const struct svc_config *cfg, struct svc **out, struct sw_err *err)
{
    struct svc *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    s->store_path = strdup(cfg->store_path);
    s->fleet_file = cfg->fleet_file != NULL ? strdup(cfg->fleet_file) : NULL;
    s->lease_ttl_ms = cfg->lease_ttl_ms > 0 ? cfg->lease_ttl_ms : 30000;
    s->long_poll_ms = cfg->long_poll_ms;
    s->fence = cfg->fence;
    s->store_idle_txn_ms = cfg->store_idle_txn_ms;
    s->on_wave_created = cfg->on_wave_created;
    s->on_wave_created_ctx = cfg->on_wave_created_ctx;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->wave_mu, NULL);
    pthread_mutex_init(&s->agent_mu, NULL);
    svc_stats_init(&s->stats);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->agent_cv, &ca);
    pthread_condattr_destroy(&ca);
    if (s->store_path == NULL || (cfg->fleet_file != NULL && s->fleet_file == NULL)) {
        svc_free(s);
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    *out = s;
    return 0;
}

void svc_free(struct svc *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t i = 0; i < s->n_pool; i++) {
        store_close(s->pool[i]);
    }
    svc_gates_free(s);
    svc_inventory_free(s);
    svc_views_free(s);
    free(s->agents);
    free(s->cancel);
    pthread_cond_destroy(&s->agent_cv);
    pthread_mutex_destroy(&s->agent_mu);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->wave_mu);
    svc_stats_cleanup(&s->stats);
    free(s->store_path);
    free(s->fleet_file);
    free(s);
}

int svc_set_fleet_file(struct svc *s, const char *path, struct sw_err *err)
{
    char *copy = NULL;
    if (path != NULL && (copy = strdup(path)) == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&s->mu);
    free(s->fleet_file);
    s->fleet_file = copy;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int svc_store_get(struct svc *s, struct store **out, struct sw_err *err)
{
    pthread_mutex_lock(&s->mu);
    *out = s->n_pool > 0 ? s->pool[--s->n_pool] : NULL;
    pthread_mutex_unlock(&s->mu);
    if (*out != NULL) {
        return 0;
    }
    /* up to SVC_POOL_MAX handles stay open: each with a small SQLite page cache */
    struct store_open_opts opts = {.idle_txn_timeout_ms = s->store_idle_txn_ms,
                                   .is_small_cache = true};
    int rc = store_open_secondary(s->store_path, &opts, out, err);
    if (rc == 0 && s->fence != NULL) {
        store_set_fence(*out, s->fence);
    }
    return rc;
}

void svc_store_put(struct svc *s, struct store *st)
{
    if (st == NULL) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (s->n_pool < SVC_POOL_MAX) {
        s->pool[s->n_pool++] = st;
        st = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    store_close(st);
}

void svc_set_leader(struct svc *s, bool is_leader)
{
    pthread_mutex_lock(&s->wave_mu);
    svc_views_free(s);
    svc_gates_free(s);
    svc_inventory_free(s);
    pthread_mutex_unlock(&s->wave_mu);
    pthread_mutex_lock(&s->agent_mu);
    free(s->cancel);
    s->cancel = NULL;
    s->n_cancel = 0;
    s->is_stopping = !is_leader; /* a follower's long-polls answer at once */
    pthread_cond_broadcast(&s->agent_cv);
    pthread_mutex_unlock(&s->agent_mu);
}

/* ---- fleet ------------------------------------------------------------------------- */

int svc_fleet_list(struct svc *s, struct store_fleet *out, struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_fleet_load(st, out, &e->err);
    }
    svc_store_put(s, st);
    return rc != 0 ? svc_error_from(e, SVC_INTERNAL, &e->err) : 0;
}

/* A copy of the fleet file path (NULL when none); caller frees. */
static char *svc_fleet_path(struct svc *s)
{
    pthread_mutex_lock(&s->mu);
    char *p = s->fleet_file != NULL ? strdup(s->fleet_file) : NULL;
    pthread_mutex_unlock(&s->mu);
    return p;
}

int svc_fleet_reload(struct svc *s, const char *actor, struct store_sync_result *out,
                     struct svc_error *e)
{
    struct fleet file = {0};
    struct store *st = NULL;
    int rc = 0;
    char *path = svc_fleet_path(s);
    if (path == NULL) {
        rc = svc_error_set(e, SVC_CONFLICT, "no fleet file is configured");
        sw_err_hint(&e->err, "set fleet_file in the config, or register shards with PUT "
                             "/v1/fleet/shards/{id}");
        goto out;
    }
    rc = fleet_file_load(path, &file, &e->err);
    if (rc != 0) {
        rc = svc_error_from(e, SVC_INVALID_REQUEST, &e->err);
        goto out;
    }
    rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_fleet_sync(st, &file, sw_clock_wall_ms(), out, &e->err);
    }
    svc_views_fleet_changed(s); /* pools and engines are read again */
    if (rc != 0) {
        rc = svc_error_from(e, SVC_INTERNAL, &e->err);
        goto out;
    }
    log_info("fleet reloaded by %s from %s: %zu shards, %zu added, %zu removed (%zu still in "
             "active waves)",
             actor, path, out->n_shards, out->n_added, out->n_removed, out->n_removed_active);
out:
    svc_store_put(s, st);
    fleet_cleanup(&file);
    free(path);
    return rc;
}

int svc_fleet_register(struct svc *s, struct fleet_shard *shard, const char *actor, bool *created,
                       struct svc_error *e)
{
    struct store *st = NULL;
    if (fleet_file_sort_labels(shard, &e->err) != 0 ||
        fleet_file_check_shard(shard, &e->err) != 0) {
        return svc_error_from(e, SVC_INVALID_REQUEST, &e->err);
    }
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_shard_put(st, shard, actor, sw_clock_wall_ms(), created, &e->err);
    }
    svc_store_put(s, st);
    svc_views_fleet_changed(s);
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    log_info("shard %s %s by %s", shard->id, *created ? "registered" : "updated", actor);
    return 0;
}

/* ---- migration sets ---------------------------------------------------------------- */

/* Collects every problem of an upload as a JSON array of messages. */
static void svc_on_problem(void *ctx, const struct sw_err *problem)
{
    json_t *arr = ctx;
    if (json_array_size(arr) >= SVC_MAX_PROBLEMS) {
        return;
    }
    json_array_append_new(arr, json_string(problem->msg));
}

int svc_migset_upload(struct svc *s, const struct migset_mem_file *files, size_t n_files,
                      struct store_migset_info *out, bool *created, struct svc_error *e)
{
    struct migset *set = NULL;
    struct store *st = NULL;
    json_t *problems = json_array();
    struct migset_load_opts opts = {
        .on_problem = svc_on_problem, .ctx = problems, .origin = "upload"};
    int rc = migset_load_files(files, n_files, &opts, &set, &e->err);
    if (rc != 0 || json_array_size(problems) > 0) {
        rc = svc_error_set(e, SVC_INVALID_MIGRATION_SET, "the migration set has %zu problem(s)",
                           json_array_size(problems));
        sw_err_hint(&e->err, "run 'shardwave validate' on the directory and fix every problem");
        svc_error_detail(e, "problems", json_incref(problems));
        goto out;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->digest, sizeof out->digest, "%s", migset_digest(set));
    struct version latest = migset_latest(set);
    version_format(&latest, out->latest, sizeof out->latest);
    out->n_steps = migset_count(set);
    out->created_ms = sw_clock_wall_ms();
    rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_migset_put(st, out, files, n_files, created, &e->err);
    }
    if (rc != 0) {
        rc = svc_error_from(e, SVC_INTERNAL, &e->err);
        goto out;
    }
    log_info("migration set %s %s: %zu steps, latest %s", out->digest,
             *created ? "stored" : "already known", out->n_steps, out->latest);
out:
    json_decref(problems);
    svc_store_put(s, st);
    migset_free(set);
    return rc;
}

int svc_migset_get(struct svc *s, const char *digest, struct migset **out, struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_migset_load(st, digest, out, &e->err);
    }
    svc_store_put(s, st);
    return rc != 0 ? svc_error_from(e, SVC_OK, &e->err) : 0;
}

void svc_stats_log(struct svc *s)
{
    char buf[SVC_STATS_TEXT_MAX];
    svc_stats_format(&s->stats, buf);
    log_info("stats: %s", buf);
}
