/*
 * The one place a wave changes: build the wave_view from the store, step the pure state
 * machine, persist the decision through store_apply_decision (events carry the actor),
 * log the transition, and only then act. Operator actions and scheduler ticks both
 * come through svc_step, and so do the agents' events (go-ahead, reports, expired leases,
 * svc_step_locked). Acting means waking agents for dispatched shards (LEASED shards that
 * agents pull), handing an HTTP gate to the scheduler, or opening a SQL gate as leases.
 */
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

#include "config/plan_file.h"
#include "service/svc_internal.h"
#include "service/svc_notify.h"
#include "sw/clock.h"
#include "sw/log.h"
#include "wave/wave_fsm.h"

/* One audit event (message borrowed). */
static void svc_event_fill(struct store_event *ev, const char *actor, int64_t now_ms,
                           const char *kind, const char *shard_id, const char *message)
{
    ev->at_ms = now_ms;
    snprintf(ev->actor, sizeof ev->actor, "%s", actor != NULL ? actor : "unknown");
    snprintf(ev->kind, sizeof ev->kind, "%s", kind);
    snprintf(ev->shard_id, sizeof ev->shard_id, "%s", shard_id != NULL ? shard_id : "");
    ev->message = (char *)message; /* borrowed from the decision or the caller */
}

/* The audit events of a decision, then the caller's extra events. */
static int svc_events(const struct svc_view *v, const struct wave_decision *d,
                      const struct wave_event *wev, const struct svc_step_opts *o, int64_t now_ms,
                      struct store_event **out, size_t *n, struct sw_err *err)
{
    size_t n_extra = o != NULL ? o->n_extra : 0;
    *n = 0;
    *out = calloc(d->n_records + n_extra + 1, sizeof **out);
    if (*out == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_extra; i++) {
        svc_event_fill(&(*out)[(*n)++], o->actor, now_ms, "shard", o->shard_id, o->extra[i]);
    }
    for (size_t i = 0; i < d->n_records; i++) {
        const struct wave_record *r = &d->records[i];
        struct store_event *ev = &(*out)[(*n)++];
        const char *shard = r->shard_idx >= 0 && (size_t)r->shard_idx < v->detail.n_shards
                                ? v->detail.shards[r->shard_idx].shard_id
                                : NULL;
        svc_event_fill(ev, wev->actor, now_ms, wave_record_kind_name(r->kind), shard, r->message);
        if (r->kind == WAVE_REC_TRANSITION) {
            snprintf(ev->from_state, sizeof ev->from_state, "%s", wave_state_name(r->from));
            snprintf(ev->to_state, sizeof ev->to_state, "%s", wave_state_name(r->to));
        }
    }
    return 0;
}

static bool svc_holds_lease(enum wave_shard_state s)
{
    return s == WSHARD_LEASED || s == WSHARD_RUNNING || s == WSHARD_RB_LEASED ||
           s == WSHARD_RB_RUNNING;
}

/* Waiting for an agent to run or claim it. */
static bool svc_is_unclaimed(enum wave_shard_state s)
{
    return s == WSHARD_PENDING || s == WSHARD_LEASED || s == WSHARD_RB_PENDING ||
           s == WSHARD_RB_LEASED;
}

static bool svc_is_finished(enum wave_shard_state s)
{
    return s == WSHARD_DONE || s == WSHARD_FAILED || s == WSHARD_ROLLED_BACK ||
           s == WSHARD_RB_FAILED;
}

/* The changed shard rows (copies of the stored rows with the new state): a shard that
 * holds no lease any more loses it, one that waits for an agent loses the agent; start,
 * finish, finishing order and error are recorded. */
static int svc_changed_shards(const struct svc_view *v, const struct wave_decision *d,
                              const struct wave_event *wev, int64_t now_ms,
                              struct store_wave_shard **out, struct sw_err *err)
{
    int64_t seq = v->max_finished_seq;
    *out = calloc(d->n_changes > 0 ? d->n_changes : 1, sizeof **out);
    if (*out == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < d->n_changes; i++) {
        const struct wave_shard_change *c = &d->changes[i];
        struct store_wave_shard *ws = &(*out)[i];
        *ws = v->detail.shards[c->shard_idx]; /* shallow: strings stay the detail's */
        ws->state = c->to;
        ws->failure = c->failure;
        if (!svc_holds_lease(c->to)) {
            ws->lease_id[0] = '\0';
            ws->lease_expires_ms = 0;
        }
        if (svc_is_unclaimed(c->to)) {
            ws->agent[0] = '\0'; /* finished shards keep the agent that ran them */
        }
        if (c->to == WSHARD_RUNNING || c->to == WSHARD_RB_RUNNING) {
            ws->started_ms = now_ms;
        }
        if (svc_is_finished(c->to)) {
            ws->finished_ms = now_ms;
        }
        if (c->to == WSHARD_DONE) {
            ws->finished_seq = ++seq;
        }
        if ((c->to == WSHARD_FAILED || c->to == WSHARD_RB_FAILED) && wev->detail != NULL) {
            ws->error = (char *)wev->detail; /* borrowed for the write */
        }
    }
    return 0;
}

/* Persists the decision: the wave row, changed shards, events and the report id in one
 * transaction. event_ids (NULL, or one slot per extra event and record) receives the
 * events' ids. */
static int svc_persist(struct store *st, struct svc_view *v, const struct wave_decision *d,
                       const struct wave_event *wev, const struct svc_step_opts *o, int64_t now_ms,
                       int64_t *event_ids, struct sw_err *err)
{
    struct store_event *events = NULL;
    struct store_wave_shard *shards = NULL;
    size_t n_events = 0;
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
    int rc = svc_events(v, d, wev, o, now_ms, &events, &n_events, err);
    if (rc == 0) {
        rc = svc_changed_shards(v, d, wev, now_ms, &shards, err);
    }
    if (rc == 0) {
        struct store_decision sd = {.wave_id = v->detail.wave.id,
                                    .expected_state = v->view.state,
                                    .expected_revision = v->detail.wave.revision,
                                    .wave = &row,
                                    .n_shards = d->n_changes,
                                    .shards = shards,
                                    .n_events = n_events,
                                    .events = events,
                                    .event_ids = event_ids,
                                    .report_id = o != NULL ? o->report_id : NULL};
        rc = store_apply_decision(st, &sd, NULL, err);
    }
    if (rc == 0) {
        svc_view_applied(v, &row, shards, d->n_changes);
    }
    free(events);
    free(shards);
    return rc;
}

/* Where the wave stood before a decision (the cached view is updated in place when the
 * decision is persisted, so the log line needs this copy). */
struct svc_before {
    enum wave_state state;
    uint32_t stage;
    enum wave_stage_phase phase;
};

/* Logs what an operator or the scheduler acts on (after it is persisted). */
static void svc_log_decision(const struct svc_view *v, const struct svc_before *before,
                             const struct wave_decision *d, const struct wave_event *ev)
{
    const char *id = v->detail.wave.id;
    const char *who = wave_event_is_operator(ev->kind) ? "operator " : "";
    if (d->state != before->state) {
        log_info("wave=%s %s -> %s (%s%s)%s%s", id, wave_state_name(before->state),
                 wave_state_name(d->state), who, ev->actor, d->reason != NULL ? ": " : "",
                 d->reason != NULL ? d->reason : "");
    }
    if (d->stage != before->stage || d->phase != before->phase) {
        log_info("wave=%s stage %u %s", id, d->stage + 1, wave_stage_phase_name(d->phase));
    }
    if (d->n_dispatch > 0) {
        log_debug("wave=%s dispatched %zu shard(s) to agents", id, d->n_dispatch);
    }
}

/* Acts on a persisted decision: wakes agents for dispatched shards, hands an HTTP gate
 * to the scheduler, opens a SQL gate as gate leases. *gate_passes: a SQL gate with no
 * shard to check passes at once. */
static int svc_act(struct svc *s, struct store *st, const struct svc_view *v,
                   const struct wave_decision *d, struct svc_tick_result *out, bool *gate_passes,
                   struct sw_err *err)
{
    *gate_passes = false;
    if (d->n_dispatch > 0) {
        svc_wake_agents(s);
    }
    if (!d->gate_check || d->stage >= v->plan.n_stages) {
        return 0;
    }
    const struct plan_stage *ps = &v->plan.stages[d->stage];
    if (ps->gate_kind == PLAN_GATE_SQL) {
        return svc_gate_open(s, st, &v->detail, ps, (int)d->stage, gate_passes, err);
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

/* A wave waiting at a SQL gate that this process does not run (after a restart): ask
 * the agents again. A halted or rolling-back wave keeps its gating phase but waits for no
 * answer: its gate is asked again only when it is resumed (the decision's gate_check). */
static int svc_gate_recover(struct svc *s, struct store *st, const struct svc_view *v,
                            bool *gate_passes, struct sw_err *err)
{
    *gate_passes = false;
    const struct store_wave *w = &v->detail.wave;
    if (!wave_fsm_awaits_gate(w->state, w->stage_phase) ||
        (size_t)w->current_stage >= v->plan.n_stages ||
        v->plan.stages[w->current_stage].gate_kind != PLAN_GATE_SQL ||
        svc_gate_find(s, w->id) != NULL) {
        return 0;
    }
    return svc_gate_open(s, st, &v->detail, &v->plan.stages[w->current_stage], w->current_stage,
                         gate_passes, err);
}

/* Whether a decision changes nothing (most ticks): then nothing is written. */
static bool svc_decision_is_noop(const struct wave_view *v, const struct wave_decision *d)
{
    return d->state == v->state && d->stage == v->stage && d->phase == v->phase &&
           d->phase_until_ms == v->phase_until_ms && d->n_changes == 0 && d->n_records == 0 &&
           !d->gate_check;
}

/* Resolves the event's shard; false (stale) when it no longer holds o->lease_id. */
static int svc_step_shard(const struct svc_view *v, const struct svc_step_opts *o,
                          struct wave_event *ev, bool *is_stale, struct svc_error *e)
{
    *is_stale = false;
    if (o == NULL || o->shard_id == NULL) {
        return 0;
    }
    long i = svc_view_find(v, o->shard_id);
    if (i >= 0) {
        const struct store_wave_shard *ws = &v->detail.shards[i];
        ev->shard_idx = (size_t)i;
        *is_stale = o->lease_id != NULL && strcmp(ws->lease_id, o->lease_id) != 0;
        return 0;
    }
    return svc_error_set(e, SVC_NOT_FOUND, "shard %s is not in wave %s", o->shard_id,
                         v->detail.wave.id);
}

/* A report about a shard being rolled back is a rollback result. */
static void svc_map_rollback(const struct svc_view *v, struct wave_event *ev)
{
    enum wave_shard_state st = v->view.shards[ev->shard_idx].state;
    bool is_rb = st == WSHARD_RB_LEASED || st == WSHARD_RB_RUNNING || st == WSHARD_RB_PENDING;
    if (is_rb && ev->kind == WAVE_EV_SHARD_SUCCEEDED) {
        ev->kind = WAVE_EV_RB_SUCCEEDED;
    } else if (is_rb && ev->kind == WAVE_EV_SHARD_FAILED) {
        ev->kind = WAVE_EV_RB_FAILED;
    }
}

/* A stale or record-only agent event: only its report id and events are recorded; the
 * wave row (state, revision) is left alone, so cached views stay current. */
static int svc_step_stale(struct store *st, struct svc_view *v, const struct svc_step_opts *o,
                          struct sw_err *err)
{
    struct wave_decision none = {0};
    struct wave_event ev = {.kind = WAVE_EV_TICK, .actor = o->actor};
    struct store_event *events = NULL;
    size_t n_events = 0;
    int rc = svc_events(v, &none, &ev, o, sw_clock_wall_ms(), &events, &n_events, err);
    if (rc == 0) {
        struct store_decision sd = {.wave_id = v->detail.wave.id,
                                    .n_events = n_events,
                                    .events = events,
                                    .report_id = o->report_id,
                                    .records_only = true};
        rc = store_apply_decision(st, &sd, NULL, err);
    }
    free(events);
    return rc;
}

static void svc_step_result(const struct svc_view *v, const struct wave_decision *d,
                            struct svc_step_result *r)
{
    if (r == NULL) {
        return;
    }
    r->refused = d->refused;
    r->state = d->state;
    snprintf(r->reason, sizeof r->reason, "%s", d->reason != NULL ? d->reason : "");
    (void)v;
}

static int svc_step_persist_act(struct svc *s, struct store *st, struct svc_view *v,
                                struct wave_decision *d, struct wave_event *ev,
                                const struct svc_step_opts *o, struct svc_tick_result *tick,
                                bool *gate_passes, struct svc_error *e)
{
    bool has_extra = o != NULL && (o->report_id != NULL || o->n_extra > 0);
    if (svc_decision_is_noop(&v->view, d) && !has_extra) {
        return svc_gate_recover(s, st, v, gate_passes, &e->err) != 0
                   ? svc_error_from(e, SVC_INTERNAL, &e->err)
                   : 0;
    }
    struct svc_before before = {v->view.state, v->view.stage, v->view.phase};
    size_t n_extra = o != NULL ? o->n_extra : 0;
    int64_t *ids = calloc(n_extra + d->n_records + 1, sizeof *ids); /* webhooks cite them */
    int rc = ids == NULL ? sw_err_set(&e->err, SW_ENOMEM, "out of memory")
                         : svc_persist(st, v, d, ev, o, v->view.now_ms, ids, &e->err);
    if (rc != 0) {
        free(ids);
        return svc_error_from(e, rc == SW_ECONFLICT ? SVC_CONFLICT : SVC_INTERNAL, &e->err);
    }
    svc_log_decision(v, &before, d, ev);
    /* after the commit: a webhook never tells what was not persisted */
    svc_notify_decision(s, v, before.state, d, ev, ids + n_extra, v->view.now_ms);
    free(ids);
    if (!wave_fsm_awaits_gate(d->state, d->phase)) {
        svc_gate_drop(s, v->detail.wave.id);
    }
    if (svc_act(s, st, v, d, tick, gate_passes, &e->err) != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    return 0;
}

int svc_step_locked(struct svc *s, struct store *st, const char *id, struct wave_event *ev,
                    const struct svc_step_opts *o, struct svc_step_result *r,
                    struct svc_tick_result *tick, struct svc_error *e)
{
    struct svc_view *v = NULL; /* borrowed from the cache */
    struct wave_decision d = {0};
    bool is_stale = false;
    bool gate_passes = false;
    int rc = svc_view_get(s, st, id, sw_clock_wall_ms(), &v, &e->err);
    if (rc != 0) {
        rc = svc_error_from(e, rc == SW_ENOTFOUND ? SVC_NOT_FOUND : SVC_INTERNAL, &e->err);
        goto out;
    }
    rc = svc_step_shard(v, o, ev, &is_stale, e);
    if (rc == 0 && o != NULL && o->maps_rollback) {
        svc_map_rollback(v, ev);
    }
    if (rc == 0 && (is_stale || (o != NULL && o->is_record_only))) {
        if (r != NULL) {
            r->is_stale = is_stale;
            r->state = v->view.state;
        }
        if (svc_step_stale(st, v, o, &e->err) != 0) {
            rc = svc_error_from(e, SVC_OK, &e->err);
        }
        goto out;
    }
    if (rc == 0 && wave_fsm_step(&v->view, ev, &d, &e->err) != 0) {
        /* a view the state machine calls invalid (a summary out of step with its shards:
         * a bug) is read again from the store by the next event, not kept */
        v->is_stale = v->is_stale || e->err.code == SW_EINVAL;
        sw_err_prefix(&e->err, "wave %s", id);
        rc = svc_error_from(e, e->err.code == SW_ECONFLICT ? SVC_ILLEGAL_TRANSITION : SVC_INTERNAL,
                            &e->err);
    }
    if (rc == 0) {
        rc = svc_step_persist_act(s, st, v, &d, ev, o, tick, &gate_passes, e);
        svc_step_result(v, &d, r);
    }
    if (rc == 0 && gate_passes) {
        struct wave_event gev = {.kind = WAVE_EV_GATE_PASSED,
                                 .actor = "gate",
                                 .detail = "SQL gate: no shard of the stage to check"};
        rc = svc_step_locked(s, st, id, &gev, NULL, NULL, NULL, e);
    }
out:
    wave_decision_cleanup(&d);
    return rc;
}

static int svc_step(struct svc *s, const char *id, struct wave_event *ev,
                    struct svc_tick_result *out, struct svc_error *e)
{
    struct store *st = NULL;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    pthread_mutex_lock(&s->wave_mu);
    rc = svc_step_locked(s, st, id, ev, NULL, NULL, out, e);
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

int svc_wave_resume(struct svc *s, const char *id, const char *actor, const char *reason,
                    bool retry_failed, struct store_wave_detail *out, struct svc_error *e)
{
    struct wave_event ev = {
        .kind = WAVE_EV_RESUME, .actor = actor, .detail = reason, .retry_failed = retry_failed};
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
    struct store_wave_ref *waves = NULL;
    *ids = NULL;
    *n = 0;
    int rc = svc_store_get(s, &st, err);
    if (rc == 0) {
        rc = store_wave_active(st, &waves, n, err);
    }
    if (rc == 0 && *n > 0) {
        *ids = calloc(*n, sizeof **ids);
        rc = *ids == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
        for (size_t i = 0; rc == 0 && i < *n; i++) {
            snprintf((*ids)[i], sizeof(*ids)[i], "%s", waves[i].id);
        }
    }
    free(waves);
    svc_store_put(s, st);
    return rc;
}
