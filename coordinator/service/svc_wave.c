/* Plans and waves: dry runs, creation (planner + refusal of busy shards + store), reads. */
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

#include "config/plan_file.h"
#include "service/svc_internal.h"
#include "service/svc_policy.h"
#include "sw/clock.h"
#include "sw/log.h"

/* The planner's busy input from the store's list (strings borrowed from `busy`). */
static int svc_busy_input(const struct store_busy_shard *busy, size_t n, struct planner_busy **out,
                          struct sw_err *err)
{
    *out = NULL;
    if (n == 0) {
        return 0;
    }
    *out = calloc(n, sizeof **out);
    if (*out == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        (*out)[i].shard_id = busy[i].shard_id;
        (*out)[i].wave_id = busy[i].wave_id;
    }
    return 0;
}

/* The first blocked contract step as error details: {"version", "contract_of",
 * "lagging": [{"id", "version", "health"}]}. */
static void svc_contract_details(const struct planner_result *r, struct svc_error *e)
{
    for (size_t i = 0; i < r->n_contracts; i++) {
        const struct planner_contract *c = &r->contracts[i];
        if (c->n_lagging == 0) {
            continue;
        }
        json_t *arr = json_array();
        for (size_t j = 0; j < c->n_lagging; j++) {
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "id", c->lagging[j].id,
                                                 "version", c->lagging[j].version, "health",
                                                 shard_health_name(c->lagging[j].health)));
        }
        svc_error_detail(e, "version", json_string(c->version));
        svc_error_detail(e, "contract_of", json_string(c->contract_of));
        svc_error_detail(e, "lagging", arr);
        return;
    }
}

/* Maps a planner refusal to the API: invalid_plan, shard_busy (with the shards),
 * contract_not_ready (with the lagging shards), conflict. */
static int svc_plan_refusal(const struct planner_result *r, struct svc_error *e)
{
    if (e->err.code == SW_EINVAL) {
        return svc_error_from(e, SVC_INVALID_PLAN, &e->err);
    }
    if (e->err.code == SW_ECONFLICT && r->n_busy == 0 && planner_contract_blocked(r)) {
        svc_contract_details(r, e);
        return svc_error_from(e, SVC_CONTRACT_NOT_READY, &e->err);
    }
    if (e->err.code == SW_ECONFLICT && r->n_busy > 0) {
        json_t *arr = json_array();
        for (size_t i = 0; i < r->n_busy; i++) {
            json_array_append_new(arr, json_pack("{s:s, s:s}", "id", r->busy[i].shard_id, "wave",
                                                 r->busy[i].wave_id));
        }
        svc_error_detail(e, "shards", arr);
        sw_err_hint(&e->err, "wait for those waves to finish, or abort them");
        return svc_error_from(e, SVC_SHARD_BUSY, &e->err);
    }
    return svc_error_from(e, SVC_OK, &e->err);
}

int svc_plan_with(struct svc *s, struct store *st, const char *digest, const struct wave_plan *plan,
                  struct migset **set, struct planner_result *out, struct svc_error *e)
{
    (void)s;
    struct store_fleet fleet = {0};
    struct store_busy_shard *busy = NULL;
    struct planner_busy *pbusy = NULL;
    size_t n_busy = 0;
    int rc = store_migset_load(st, digest, set, &e->err);
    if (rc != 0) {
        return svc_error_from(e, SVC_OK, &e->err);
    }
    if (planner_validate_plan(plan, &e->err) != 0) {
        return svc_error_from(e, SVC_INVALID_PLAN, &e->err);
    }
    rc = store_fleet_load(st, &fleet, &e->err);
    if (rc == 0) {
        rc = store_busy_shards(st, NULL, &busy, &n_busy, &e->err);
    }
    if (rc == 0) {
        rc = svc_busy_input(busy, n_busy, &pbusy, &e->err);
    }
    if (rc != 0) {
        rc = svc_error_from(e, SVC_INTERNAL, &e->err);
        goto out;
    }
    struct planner_input in = {.fleet = &fleet.fleet,
                               .status = fleet.status,
                               .plan = plan,
                               .set = *set,
                               .n_busy = n_busy,
                               .busy = pbusy};
    rc = planner_plan(&in, out, &e->err);
    if (rc != 0) {
        rc = svc_plan_refusal(out, e);
    }
out:
    /* out->busy borrows these strings: the refusal details above already copied them */
    free(pbusy);
    free(busy);
    store_fleet_cleanup(&fleet);
    return rc;
}

/* Lints the files the planned wave runs; a file the linter cannot read makes the set
 * unusable for waves (invalid_migration_set naming the file). */
static int svc_plan_lint(const struct migset *set, const struct planner_result *r,
                         struct lint_report *lint, struct svc_error *e)
{
    int rc = svc_policy_lint(set, r, lint, &e->err);
    if (rc == SW_EINVAL) {
        sw_err_prefix(&e->err, "lint");
        return svc_error_from(e, SVC_INVALID_MIGRATION_SET, &e->err);
    }
    return rc != 0 ? svc_error_from(e, SVC_OK, &e->err) : 0;
}

int svc_plan(struct svc *s, const char *digest, const struct wave_plan *plan, struct migset **set,
             struct planner_result *out, struct lint_report *lint, struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    rc = svc_plan_with(s, st, digest, plan, set, out, e);
    if (rc == 0) {
        rc = svc_plan_lint(*set, out, lint, e);
    }
    svc_store_put(s, st);
    return rc;
}

/* One stored wave shard from a planned shard. */
static int svc_wave_shard(const struct migset *set, const struct planner_result *r,
                          const struct planner_shard *ps, int stage_idx,
                          struct store_wave_shard *out, struct sw_err *err)
{
    snprintf(out->shard_id, sizeof out->shard_id, "%s", ps->id);
    out->stage_idx = stage_idx;
    out->state = WSHARD_PENDING;
    snprintf(out->from_version, sizeof out->from_version, "%s", ps->from);
    snprintf(out->to_version, sizeof out->to_version, "%s", ps->to);
    snprintf(out->host, sizeof out->host, "%s", ps->host != NULL ? ps->host : "");
    out->has_down = ps->has_down;
    out->steps = calloc(ps->n_steps, sizeof *out->steps);
    if (out->steps == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    out->n_steps = ps->n_steps;
    for (size_t k = 0; k < ps->n_steps; k++) {
        const struct migset_step *step = planner_shard_step(set, r, ps, k);
        snprintf(out->steps[k], sizeof out->steps[k], "%s", step->version_text);
    }
    return 0;
}

/* All planned shards as stored wave shards, stage by stage (by id within a stage: the
 * planner's order, which is the store's); "nothing to do" when there is none. */
static int svc_wave_shards(const struct migset *set, const struct planner_result *r,
                           struct store_wave_detail *d, struct svc_error *e)
{
    size_t total = 0;
    for (size_t i = 0; i < r->n_stages; i++) {
        total += r->stages[i].n_shards;
    }
    if (total == 0) {
        return svc_error_set(e, SVC_CONFLICT, "nothing to do: every shard in scope is at %s",
                             r->target);
    }
    d->shards = calloc(total, sizeof *d->shards);
    if (d->shards == NULL) {
        return svc_error_set(e, SVC_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < r->n_stages; i++) {
        for (size_t j = 0; j < r->stages[i].n_shards; j++) {
            int rc = svc_wave_shard(set, r, &r->stages[i].shards[j], (int)i,
                                    &d->shards[d->n_shards], &e->err);
            d->n_shards++;
            if (rc != 0) {
                return svc_error_from(e, SVC_INTERNAL, &e->err);
            }
        }
    }
    return 0;
}

/* The wave row for a new wave. */
static int svc_wave_row(const char *digest, const struct wave_plan *plan,
                        const struct planner_result *r, const char *reason, const char *actor,
                        struct store_wave *w, struct sw_err *err)
{
    json_t *pj = NULL;
    if (plan_file_to_json(plan, &pj, err) != 0) {
        return err->code;
    }
    w->plan_json = json_dumps(pj, JSON_COMPACT);
    json_decref(pj);
    w->reason = reason != NULL ? strdup(reason) : NULL;
    if (w->plan_json == NULL || (reason != NULL && w->reason == NULL)) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    snprintf(w->digest, sizeof w->digest, "%s", digest);
    snprintf(w->target, sizeof w->target, "%s", r->target);
    snprintf(w->created_by, sizeof w->created_by, "%s", actor);
    w->direction = r->direction;
    w->on_failure = plan->on_failure;
    w->state = WAVE_PENDING;
    w->stage_phase = STAGE_DISPATCHING;
    w->created_ms = sw_clock_wall_ms();
    w->updated_ms = w->created_ms;
    return 0;
}

/* The `operator` event of an allow_unsafe override (actor, findings, reason), right
 * after the `created` event. Caller holds wave_mu, so the wave is still pending. */
static int svc_wave_audit_unsafe(struct store *st, struct store_wave *w,
                                 const struct lint_report *lint, const char *reason,
                                 struct svc_error *e)
{
    char *msg = NULL;
    int rc = svc_policy_audit_text(lint, reason, &msg, &e->err);
    if (rc != 0) {
        return svc_error_from(e, SVC_OK, &e->err);
    }
    struct store_event ev = {.at_ms = w->created_ms, .message = msg};
    snprintf(ev.actor, sizeof ev.actor, "%s", w->created_by);
    snprintf(ev.kind, sizeof ev.kind, "operator");
    struct store_decision d = {.wave_id = w->id,
                               .expected_state = WAVE_PENDING,
                               .expected_revision = w->revision,
                               .n_events = 1,
                               .events = &ev};
    rc = store_apply_decision(st, &d, NULL, &e->err);
    free(msg);
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    w->revision++; /* as stored: store_apply_decision bumps it by one */
    return 0;
}

/* Persists the planned wave; a shard taken meanwhile is still shard_busy. */
static int svc_wave_persist(struct store *st, struct store_wave_detail *d, struct svc_error *e)
{
    int rc = store_wave_create(st, &d->wave, d->shards, d->n_shards, &e->err);
    if (rc == SW_ECONFLICT && strstr(e->err.msg, "active wave") != NULL) {
        return svc_error_from(e, SVC_SHARD_BUSY, &e->err);
    }
    return rc != 0 ? svc_error_from(e, SVC_OK, &e->err) : 0;
}

/* Hands the stored wave to the caller's on_created (without the step lists, which the
 * store needed and the caller does not), then frees its shards. Caller holds wave_mu. */
static int svc_wave_created(const struct svc_wave_opts *o, struct store_wave_detail *d,
                            struct svc_error *e)
{
    for (size_t i = 0; i < d->n_shards; i++) {
        free(d->shards[i].steps);
        d->shards[i].steps = NULL;
        d->shards[i].n_steps = 0;
    }
    int rc = o->on_created != NULL ? o->on_created(o->on_created_ctx, d, &e->err) : 0;
    for (size_t i = 0; i < d->n_shards; i++) {
        store_wave_shard_cleanup(&d->shards[i]);
    }
    free(d->shards);
    d->shards = NULL;
    d->n_shards = 0;
    return rc != 0 ? svc_error_from(e, SVC_INTERNAL, &e->err) : 0;
}

/* Stores the wave and, for an allow_unsafe override of unsafe findings, its audit
 * event, under wave_mu (the scheduler cannot start the wave in between), and hands it
 * to on_created before the scheduler can read it. *is_stored: the wave exists (also
 * when a later part failed). */
static int svc_wave_store(struct svc *s, struct store *st, const struct lint_report *lint,
                          const struct svc_wave_opts *o, struct store_wave_detail *d,
                          bool *is_stored, struct svc_error *e)
{
    size_t n_unsafe = svc_policy_n_unsafe(lint);
    pthread_mutex_lock(&s->wave_mu);
    int rc = svc_wave_persist(st, d, e);
    *is_stored = rc == 0;
    if (rc == 0 && n_unsafe > 0) {
        rc = svc_wave_audit_unsafe(st, &d->wave, lint, o->reason, e);
    }
    if (rc == 0) {
        rc = svc_wave_created(o, d, e);
    }
    pthread_mutex_unlock(&s->wave_mu);
    if (*is_stored && n_unsafe > 0) {
        log_warn("wave=%s: %s deploys %zu unacknowledged destructive or locking finding%s "
                 "(allow_unsafe, reason: %s)",
                 d->wave.id, d->wave.created_by, n_unsafe, n_unsafe == 1 ? "" : "s", o->reason);
    }
    return rc;
}

/* Refuses unsafe findings unless allowed with a reason. */
static int svc_wave_policy(const struct lint_report *lint, const struct svc_wave_opts *o,
                           struct svc_error *e)
{
    if (svc_policy_n_unsafe(lint) > 0 && !o->allow_unsafe) {
        return svc_policy_refuse(lint, e);
    }
    return 0;
}

/* Plans, lints and checks a new wave, and builds its row and shards into *d (the caller's:
 * store_wave_detail_cleanup). *r is the caller's too: it frees the planner's result
 * before the wave is stored. */
static int svc_wave_prepare(struct svc *s, struct store *st, const char *digest,
                            const struct wave_plan *plan, const struct svc_wave_opts *o,
                            const char *actor, struct planner_result *r, struct lint_report *lint,
                            struct store_wave_detail *d, struct svc_error *e)
{
    struct migset *set = NULL;
    int rc = svc_plan_with(s, st, digest, plan, &set, r, e);
    if (rc == 0) {
        rc = svc_plan_lint(set, r, lint, e);
    }
    if (rc == 0) {
        rc = svc_wave_policy(lint, o, e);
    }
    if (rc == 0 && svc_wave_row(digest, plan, r, o->reason, actor, &d->wave, &e->err) != 0) {
        rc = svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    if (rc == 0) {
        rc = svc_wave_shards(set, r, d, e);
    }
    migset_free(set);
    return rc;
}

int svc_wave_create(struct svc *s, const char *digest, const struct wave_plan *plan,
                    const struct svc_wave_opts *opts, const char *actor, struct svc_error *e)
{
    static const struct svc_wave_opts no_opts = {0};
    const struct svc_wave_opts *o = opts != NULL ? opts : &no_opts;
    struct planner_result r = {0};
    struct store_wave_detail d = {0};
    struct store *st = NULL;
    struct lint_report lint;
    lint_report_init(&lint);
    bool is_stored = false;
    int rc = 0;
    if (o->allow_unsafe && (o->reason == NULL || o->reason[0] == '\0')) {
        rc = svc_error_set(e, SVC_INVALID_REQUEST, "allow_unsafe needs a non-empty reason");
        goto out;
    }
    rc = svc_store_get(s, &st, &e->err);
    if (rc != 0) {
        rc = svc_error_from(e, SVC_INTERNAL, &e->err);
        goto out;
    }
    rc = svc_wave_prepare(s, st, digest, plan, o, actor, &r, &lint, &d, e);
    size_t n_stages = r.n_stages;
    /* gone before the wave is stored: with 10,000 shards the plan is megabytes, and
     * creating a wave sets the coordinator's peak RSS */
    planner_result_cleanup(&r);
    if (rc == 0) {
        rc = svc_wave_store(s, st, &lint, o, &d, &is_stored, e);
    }
    if (is_stored) {
        log_info("wave=%s created by %s: %zu stages, target %s %s, set %.12s", d.wave.id, actor,
                 n_stages, d.wave.target, plan_direction_name(d.wave.direction), digest);
        if (s->on_wave_created != NULL) {
            s->on_wave_created(s->on_wave_created_ctx);
        }
    }
out:
    lint_report_cleanup(&lint);
    store_wave_detail_cleanup(&d);
    planner_result_cleanup(&r);
    svc_store_put(s, st);
    return rc;
}

int svc_wave_get(struct svc *s, const char *id, struct store_wave_detail *out, struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_wave_get_no_steps(st, id, out, &e->err);
    }
    svc_store_put(s, st);
    return rc != 0 ? svc_error_from(e, SVC_OK, &e->err) : 0;
}

int svc_wave_list(struct svc *s, const struct store_wave_filter *filter, struct store_wave **out,
                  size_t *n, struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_wave_list(st, filter, out, n, &e->err);
    }
    svc_store_put(s, st);
    return rc != 0 ? svc_error_from(e, SVC_INTERNAL, &e->err) : 0;
}

int svc_wave_counts(struct svc *s, const char *id, size_t counts[WSHARD_STATE_COUNT],
                    struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_wave_counts(st, id, counts, &e->err);
    }
    svc_store_put(s, st);
    return rc != 0 ? svc_error_from(e, rc == SW_ENOTFOUND ? SVC_NOT_FOUND : SVC_INTERNAL, &e->err)
                   : 0;
}

int svc_wave_revision(struct svc *s, const char *id, int64_t *revision, struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_wave_revision(st, id, revision, &e->err);
    }
    svc_store_put(s, st);
    return rc != 0 ? svc_error_from(e, rc == SW_ENOTFOUND ? SVC_NOT_FOUND : SVC_INTERNAL, &e->err)
                   : 0;
}

int svc_wave_events(struct svc *s, const char *id, int64_t after_id, struct store_event **out,
                    size_t *n, struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_events_list(st, id, after_id, STORE_EVENTS_MAX_LIMIT, out, n, &e->err);
    }
    svc_store_put(s, st);
    return rc != 0 ? svc_error_from(e, SVC_OK, &e->err) : 0;
}
