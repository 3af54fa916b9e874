/*
 * The one place a wave changes: build the wave_view from the store, step the pure state
 * machine, persist the decision through store_apply_decision (events carry the actor),
 * log the transition, and only then act. Operator actions and scheduler ticks both
 * come through svc_step. Acting today means handing an HTTP gate to the scheduler; the
 * decision's dispatch list is persisted as LEASED shards that agents pull (issue 4).
 */
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

#include "config/plan_file.h"
#include "service/svc_internal.h"
#include "sw/clock.h"
#include "sw/log.h"
#include "wave/wave_fsm.h"

/* A wave_view and the storage it borrows. */
struct svc_view {
    struct store_wave_detail detail;
    struct wave_plan plan;
    struct wave_view view;
    struct wave_view_stage *stages;
    struct wave_view_shard *shards;
};

static void svc_view_cleanup(struct svc_view *v)
{
    free(v->stages);
    free(v->shards);
    wave_plan_cleanup(&v->plan);
    store_wave_detail_cleanup(&v->detail);
}

static void svc_view_stages(struct svc_view *v)
{
    for (size_t i = 0; i < v->plan.n_stages; i++) {
        const struct plan_stage *ps = &v->plan.stages[i];
        struct wave_view_stage *vs = &v->stages[i];
        vs->name = ps->name;
        vs->max_parallel = ps->max_parallel;
        vs->max_failures = ps->max_failures;
        vs->max_failure_percent = ps->max_failure_percent;
        vs->bake_ms = ps->bake_seconds * 1000;
        vs->has_gate = ps->gate_kind != PLAN_GATE_NONE;
        vs->gate_timeout_ms = ps->gate_timeout_seconds * 1000;
    }
}

/* Host keys: shards with the same host label value share a number (first-seen order). */
static uint32_t svc_view_hosts(struct svc_view *v)
{
    uint32_t n_hosts = 0;
    for (size_t i = 0; i < v->detail.n_shards; i++) {
        const char *host = v->detail.shards[i].host;
        v->shards[i].host = WAVE_FSM_NO_HOST;
        if (host[0] == '\0') {
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(v->detail.shards[j].host, host) == 0) {
                v->shards[i].host = v->shards[j].host;
                break;
            }
        }
        if (v->shards[i].host == WAVE_FSM_NO_HOST) {
            v->shards[i].host = n_hosts++;
        }
    }
    return n_hosts;
}

/* Loads the wave and builds its view at now_ms. */
static int svc_view_load(struct store *st, const char *id, int64_t now_ms, struct svc_view *v,
                         struct sw_err *err)
{
    int rc = store_wave_get(st, id, &v->detail, err);
    if (rc != 0) {
        return rc;
    }
    const char *pj = v->detail.wave.plan_json;
    rc = plan_file_from_json_text(pj, strlen(pj), &v->plan, err);
    if (rc != 0) {
        sw_err_prefix(err, "wave %s: stored plan", id);
        return SW_EINTERNAL;
    }
    v->stages = calloc(v->plan.n_stages, sizeof *v->stages);
    v->shards = calloc(v->detail.n_shards > 0 ? v->detail.n_shards : 1, sizeof *v->shards);
    if (v->stages == NULL || v->shards == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    svc_view_stages(v);
    for (size_t i = 0; i < v->detail.n_shards; i++) {
        const struct store_wave_shard *ws = &v->detail.shards[i];
        v->shards[i] = (struct wave_view_shard){.id = ws->shard_id,
                                                .stage = (uint32_t)ws->stage_idx,
                                                .state = ws->state,
                                                .has_down = ws->has_down,
                                                .finished_seq = ws->finished_seq};
    }
    const struct store_wave *w = &v->detail.wave;
    v->view = (struct wave_view){.now_ms = now_ms,
                                 .state = w->state,
                                 .on_failure = w->on_failure,
                                 .max_per_host = v->plan.max_per_host,
                                 .n_hosts = svc_view_hosts(v),
                                 .n_stages = v->plan.n_stages,
                                 .stages = v->stages,
                                 .stage = (uint32_t)w->current_stage,
                                 .phase = w->stage_phase,
                                 .phase_until_ms = w->phase_until_ms,
                                 .n_shards = v->detail.n_shards,
                                 .shards = v->shards};
    return 0;
}

/* The audit events of a decision. */
static int svc_events(const struct svc_view *v, const struct wave_decision *d, const char *actor,
                      int64_t now_ms, struct store_event **out, struct sw_err *err)
{
    *out = calloc(d->n_records > 0 ? d->n_records : 1, sizeof **out);
    if (*out == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < d->n_records; i++) {
        const struct wave_record *r = &d->records[i];
        struct store_event *ev = &(*out)[i];
        ev->at_ms = now_ms;
        snprintf(ev->actor, sizeof ev->actor, "%s", actor);
        snprintf(ev->kind, sizeof ev->kind, "%s", wave_record_kind_name(r->kind));
        if (r->kind == WAVE_REC_TRANSITION) {
            snprintf(ev->from_state, sizeof ev->from_state, "%s", wave_state_name(r->from));
            snprintf(ev->to_state, sizeof ev->to_state, "%s", wave_state_name(r->to));
        }
        if (r->shard_idx >= 0 && (size_t)r->shard_idx < v->detail.n_shards) {
            snprintf(ev->shard_id, sizeof ev->shard_id, "%s",
                     v->detail.shards[r->shard_idx].shard_id);
        }
        ev->message = r->message; /* borrowed from the decision */
    }
    return 0;
}

/* The changed shard rows (copies of the stored rows with the new state). */
static int svc_changed_shards(const struct svc_view *v, const struct wave_decision *d,
                              int64_t now_ms, struct store_wave_shard **out, struct sw_err *err)
{
    *out = calloc(d->n_changes > 0 ? d->n_changes : 1, sizeof **out);
    if (*out == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < d->n_changes; i++) {
        const struct wave_shard_change *c = &d->changes[i];
        struct store_wave_shard *ws = &(*out)[i];
        *ws = v->detail.shards[c->shard_idx]; /* shallow: strings stay the detail's */
        ws->state = c->to;
        if (c->to == WSHARD_PENDING || c->to == WSHARD_RB_PENDING) {
            ws->agent[0] = '\0';
            ws->lease_id[0] = '\0';
            ws->lease_expires_ms = 0;
        }
        if (c->to == WSHARD_DONE || c->to == WSHARD_FAILED || c->to == WSHARD_ROLLED_BACK ||
            c->to == WSHARD_RB_FAILED) {
            ws->finished_ms = now_ms;
        }
    }
    return 0;
}

/* Persists the decision: the wave row, changed shards and events in one transaction. */
static int svc_persist(struct store *st, const struct svc_view *v, const struct wave_decision *d,
                       const char *actor, int64_t now_ms, struct sw_err *err)
{
    struct store_event *events = NULL;
    struct store_wave_shard *shards = NULL;
    struct store_wave row = v->detail.wave; /* shallow copy; only scalars change */
    row.state = d->state;
    row.current_stage = (int)d->stage;
    row.stage_phase = d->phase;
    row.phase_until_ms = d->phase_until_ms;
    row.updated_ms = now_ms;
    if (d->state == WAVE_HALTED && d->reason != NULL) {
        row.halt_reason = d->reason;
    } else if (d->state != WAVE_HALTED) {
        row.halt_reason = NULL; /* resumed, or moved on: the halt is history (events) */
    }
    int rc = svc_events(v, d, actor, now_ms, &events, err);
    if (rc == 0) {
        rc = svc_changed_shards(v, d, now_ms, &shards, err);
    }
    if (rc == 0) {
        struct store_decision sd = {.wave_id = v->detail.wave.id,
                                    .expected_state = v->view.state,
                                    .expected_revision = v->detail.wave.revision,
                                    .wave = &row,
                                    .n_shards = d->n_changes,
                                    .shards = shards,
                                    .n_events = d->n_records,
                                    .events = events};
        rc = store_apply_decision(st, &sd, NULL, err);
    }
    free(events);
    free(shards);
    return rc;
}

/* Logs what an operator or the scheduler acts on (after it is persisted). */
static void svc_log_decision(const struct svc_view *v, const struct wave_decision *d,
                             const struct wave_event *ev)
{
    const char *id = v->detail.wave.id;
    const char *who = wave_event_is_operator(ev->kind) ? "operator " : "";
    if (d->state != v->view.state) {
        log_info("wave=%s %s -> %s (%s%s)%s%s", id, wave_state_name(v->view.state),
                 wave_state_name(d->state), who, ev->actor, d->reason != NULL ? ": " : "",
                 d->reason != NULL ? d->reason : "");
    }
    if (d->stage != v->view.stage || d->phase != v->view.phase) {
        log_info("wave=%s stage %u %s", id, d->stage + 1, wave_stage_phase_name(d->phase));
    }
    if (d->n_dispatch > 0) {
        log_info("wave=%s dispatched %zu shard(s) to agents (leases wait for an agent to "
                 "pull them)",
                 id, d->n_dispatch);
    }
}

/* Acts on a persisted decision: hands an HTTP gate to the scheduler; notes SQL gates. */
static int svc_act(const struct svc_view *v, const struct wave_decision *d,
                   struct svc_tick_result *out, struct sw_err *err)
{
    if (!d->gate_check || d->stage >= v->plan.n_stages) {
        return 0;
    }
    const struct plan_stage *ps = &v->plan.stages[d->stage];
    if (ps->gate_kind == PLAN_GATE_SQL) {
        log_info("wave=%s stage %s: SQL gate requested; SQL gates run on agents (issue 4), "
                 "the gate stays pending",
                 v->detail.wave.id, ps->name);
        return 0;
    }
    if (ps->gate_kind != PLAN_GATE_HTTP || out == NULL) {
        return 0;
    }
    out->wants_http_gate = true;
    out->gate_url = strdup(ps->gate);
    out->gate_timeout_ms = ps->gate_timeout_seconds * 1000;
    out->stage_idx = (int)d->stage;
    return out->gate_url != NULL ? 0 : sw_err_set(err, SW_ENOMEM, "out of memory");
}

/* Whether a decision changes nothing (most ticks): then nothing is written. */
static bool svc_decision_is_noop(const struct wave_view *v, const struct wave_decision *d)
{
    return d->state == v->state && d->stage == v->stage && d->phase == v->phase &&
           d->phase_until_ms == v->phase_until_ms && d->n_changes == 0 && d->n_records == 0 &&
           !d->gate_check;
}

/* View, step, persist, log, act, for one event. Caller holds s->wave_mu. */
static int svc_step_locked(struct store *st, const char *id, const struct wave_event *ev,
                           struct svc_tick_result *out, struct svc_error *e)
{
    struct svc_view v = {0};
    struct wave_decision d = {0};
    int64_t now_ms = sw_clock_wall_ms();
    int rc = svc_view_load(st, id, now_ms, &v, &e->err);
    if (rc != 0) {
        rc = svc_error_from(e, rc == SW_ENOTFOUND ? SVC_NOT_FOUND : SVC_INTERNAL, &e->err);
        goto out;
    }
    rc = wave_fsm_step(&v.view, ev, &d, &e->err);
    if (rc != 0) {
        sw_err_prefix(&e->err, "wave %s", id);
        rc = svc_error_from(e, rc == SW_ECONFLICT ? SVC_ILLEGAL_TRANSITION : SVC_INTERNAL, &e->err);
        goto out;
    }
    if (svc_decision_is_noop(&v.view, &d)) {
        goto out;
    }
    rc = svc_persist(st, &v, &d, ev->actor, now_ms, &e->err);
    if (rc != 0) {
        rc = svc_error_from(e, rc == SW_ECONFLICT ? SVC_CONFLICT : SVC_INTERNAL, &e->err);
        goto out;
    }
    svc_log_decision(&v, &d, ev);
    if (svc_act(&v, &d, out, &e->err) != 0) {
        rc = svc_error_from(e, SVC_INTERNAL, &e->err);
    }
out:
    wave_decision_cleanup(&d);
    svc_view_cleanup(&v);
    return rc;
}

static int svc_step(struct svc *s, const char *id, const struct wave_event *ev,
                    struct svc_tick_result *out, struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    pthread_mutex_lock(&s->wave_mu);
    rc = svc_step_locked(st, id, ev, out, e);
    pthread_mutex_unlock(&s->wave_mu);
    svc_store_put(s, st);
    return rc;
}

const char *svc_action_name(enum svc_action a)
{
    switch (a) {
    case SVC_ACTION_PAUSE:
        return "pause";
    case SVC_ACTION_RESUME:
        return "resume";
    case SVC_ACTION_ABORT:
        return "abort";
    case SVC_ACTION_ROLLBACK:
        return "rollback";
    }
    return "?";
}

static enum wave_event_kind svc_action_event(enum svc_action a)
{
    switch (a) {
    case SVC_ACTION_PAUSE:
        return WAVE_EV_PAUSE;
    case SVC_ACTION_RESUME:
        return WAVE_EV_RESUME;
    case SVC_ACTION_ABORT:
        return WAVE_EV_ABORT;
    case SVC_ACTION_ROLLBACK:
        return WAVE_EV_ROLLBACK;
    }
    return WAVE_EV_PAUSE;
}

int svc_wave_action(struct svc *s, const char *id, enum svc_action action, const char *actor,
                    const char *reason, struct store_wave_detail *out, struct svc_error *e)
{
    struct wave_event ev = {.kind = svc_action_event(action), .actor = actor, .detail = reason};
    int rc = svc_step(s, id, &ev, NULL, e);
    if (rc == 0 && out != NULL) {
        rc = svc_wave_get(s, id, out, e);
    }
    return rc;
}

void svc_tick_result_cleanup(struct svc_tick_result *r)
{
    if (r == NULL) {
        return;
    }
    free(r->gate_url);
    memset(r, 0, sizeof *r);
}

int svc_wave_tick(struct svc *s, const char *id, int64_t now_ms, struct svc_tick_result *out,
                  struct sw_err *err)
{
    (void)now_ms; /* the step reads the wall clock once, under the wave lock */
    struct svc_error e = {0};
    struct wave_event ev = {.kind = WAVE_EV_TICK, .actor = "scheduler"};
    int rc = svc_step(s, id, &ev, out, &e);
    if (rc != 0) {
        sw_err_copy(err, &e.err);
    }
    svc_error_cleanup(&e);
    return rc;
}

int svc_wave_gate_result(struct svc *s, const char *id, int stage_idx, bool passed,
                         const char *message, struct sw_err *err)
{
    (void)stage_idx; /* the state machine checks the wave still waits at the gate */
    struct svc_error e = {0};
    struct wave_event ev = {.kind = passed ? WAVE_EV_GATE_PASSED : WAVE_EV_GATE_FAILED,
                            .actor = "gate",
                            .detail = message};
    int rc = svc_step(s, id, &ev, NULL, &e);
    if (rc != 0) {
        sw_err_copy(err, &e.err);
    }
    svc_error_cleanup(&e);
    return rc;
}

int svc_active_waves(struct svc *s, char (**ids)[WAVE_ID_MAX + 1], size_t *n, struct sw_err *err)
{
    struct store *st = NULL;
    struct store_wave *waves = NULL;
    struct store_wave_filter f = {.active_only = true};
    *ids = NULL;
    *n = 0;
    int rc = svc_store_get(s, &st, err);
    if (rc == 0) {
        rc = store_wave_list(st, &f, &waves, n, err);
    }
    if (rc == 0 && *n > 0) {
        *ids = calloc(*n, sizeof **ids);
        rc = *ids == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
        for (size_t i = 0; rc == 0 && i < *n; i++) {
            snprintf((*ids)[i], sizeof(*ids)[i], "%s", waves[i].id);
        }
    }
    store_waves_free(waves, *n);
    svc_store_put(s, st);
    return rc;
}
