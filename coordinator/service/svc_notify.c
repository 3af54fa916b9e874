/*
 * Webhook events from a committed wave decision: each transition (a halt is its own
 * type), each stage that passed and each failed shard becomes a notify_event carrying
 * the id the store gave its audit event, handed to the sink the daemon set.
 */
#include "service/svc_notify.h"

#include <string.h>

#include "service/svc_internal.h"

void svc_set_notify(struct svc *s, svc_notify_fn fn, void *ctx)
{
    pthread_mutex_lock(&s->wave_mu);
    s->notify.fn = fn;
    s->notify.ctx = ctx;
    pthread_mutex_unlock(&s->wave_mu);
}

uint64_t svc_leases_expired_total(struct svc *s)
{
    return (uint64_t)atomic_load(&s->notify.n_leases_expired);
}

/* The stage's budget as text: "0", "2", "10%". */
static void svc_notify_budget(const struct wave_view_stage *vs, char *buf, size_t cap)
{
    if (vs->max_failures >= 0) {
        snprintf(buf, cap, "%d", vs->max_failures);
    } else if (vs->max_failure_percent >= 0) {
        snprintf(buf, cap, "%g%%", vs->max_failure_percent);
    } else {
        snprintf(buf, cap, "0");
    }
}

/* Stage `idx` (0-based) into ev: name, number, its shards and failures now. */
static void svc_notify_stage(const struct svc_view *v, size_t idx, struct notify_event *ev)
{
    if (idx >= v->view.n_stages) {
        return;
    }
    const struct wave_view_stage *vs = &v->view.stages[idx];
    notify_event_copy(ev->stage, sizeof ev->stage, vs->name);
    ev->stage_number = (uint32_t)idx + 1;
    svc_notify_budget(vs, ev->budget, sizeof ev->budget);
    ev->stage_failed = 0;
    ev->stage_shards = 0;
    for (size_t i = 0; i < v->detail.n_shards; i++) {
        if ((size_t)v->detail.shards[i].stage_idx == idx) {
            ev->stage_shards++;
            ev->stage_failed += v->detail.shards[i].state == WSHARD_FAILED ? 1 : 0;
        }
    }
}

/* What every event of this decision shares: wave, actor, time, counts, current stage. */
static void svc_notify_base(const struct svc_view *v, const struct wave_event *wev, int64_t at_ms,
                            struct notify_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->at_ms = at_ms;
    notify_event_copy(ev->wave_id, sizeof ev->wave_id, v->detail.wave.id);
    notify_event_copy(ev->actor, sizeof ev->actor, wev->actor != NULL ? wev->actor : "unknown");
    ev->n_stages = (uint32_t)v->view.n_stages;
    ev->n_shards = v->detail.n_shards;
    for (size_t i = 0; i < v->detail.n_shards; i++) {
        ev->counts[v->detail.shards[i].state]++;
    }
    svc_notify_stage(v, (size_t)v->detail.wave.current_stage, ev);
}

/* The failed shard of a failure event (its stage, id and error), if the event is one. */
static bool svc_notify_failed_shard(const struct svc_view *v, const struct wave_event *wev,
                                    struct notify_event *ev)
{
    bool is_failure = wev->kind == WAVE_EV_SHARD_FAILED || wev->kind == WAVE_EV_RB_FAILED;
    if (!is_failure || wev->shard_idx >= v->detail.n_shards) {
        return false;
    }
    const struct store_wave_shard *ws = &v->detail.shards[wev->shard_idx];
    svc_notify_stage(v, (size_t)ws->stage_idx, ev);
    notify_event_copy(ev->shard_id, sizeof ev->shard_id, ws->shard_id);
    notify_event_copy(ev->shard_error, sizeof ev->shard_error, wev->detail);
    return true;
}

/* The index of the stage a record says passed, or -1: "stage <name>: passed" (a stage
 * record: bake done, no gate) or "stage <name>: gate passed[: detail]" (a gate record). */
static long svc_notify_passed_stage(const struct svc_view *v, const struct wave_record *r)
{
    static const char prefix[] = "stage ";
    static const char gate[] = ": gate passed";
    const char *m = r->message != NULL ? r->message : "";
    if (strncmp(m, prefix, sizeof prefix - 1) != 0) {
        return -1;
    }
    m += sizeof prefix - 1;
    for (size_t i = 0; i < v->view.n_stages; i++) {
        const char *name = v->view.stages[i].name;
        size_t n = strlen(name);
        const char *rest = strncmp(m, name, n) == 0 ? m + n : NULL;
        bool is_pass = rest != NULL && r->kind == WAVE_REC_STAGE && strcmp(rest, ": passed") == 0;
        bool is_gate = rest != NULL && r->kind == WAVE_REC_GATE &&
                       strncmp(rest, gate, sizeof gate - 1) == 0 &&
                       (rest[sizeof gate - 1] == '\0' || rest[sizeof gate - 1] == ':');
        if (is_pass || is_gate) {
            return (long)i;
        }
    }
    return -1;
}

/* Fills ev for record r; false when the record is not a webhook event. */
static bool svc_notify_record(const struct svc_view *v, const struct wave_decision *d,
                              const struct wave_event *wev, const struct wave_record *r,
                              bool *shard_told, struct notify_event *ev)
{
    switch (r->kind) {
    case WAVE_REC_TRANSITION:
        ev->kind = r->to == WAVE_HALTED ? NOTIFY_WAVE_HALTED : NOTIFY_WAVE_STATE;
        ev->from = r->from;
        ev->to = r->to;
        notify_event_copy(ev->reason, sizeof ev->reason,
                          d->reason != NULL ? d->reason : (wev->detail != NULL ? wev->detail : ""));
        (void)svc_notify_failed_shard(v, wev, ev);
        return true;
    case WAVE_REC_STAGE:
    case WAVE_REC_GATE: {
        long idx = v->detail.wave.state == WAVE_ROLLING_BACK ? -1 : svc_notify_passed_stage(v, r);
        if (idx >= 0) {
            ev->kind = NOTIFY_STAGE_COMPLETED;
            svc_notify_stage(v, (size_t)idx, ev);
        }
        return idx >= 0;
    }
    case WAVE_REC_SHARD:
        if (*shard_told || r->shard_idx < 0 || (size_t)r->shard_idx != wev->shard_idx ||
            !svc_notify_failed_shard(v, wev, ev)) {
            return false;
        }
        *shard_told = true; /* the first record about the failed shard */
        ev->kind = NOTIFY_SHARD_FAILED;
        notify_event_copy(ev->reason, sizeof ev->reason, r->message);
        return true;
    case WAVE_REC_OPERATOR:
    case WAVE_REC_KIND_COUNT:
        break;
    }
    return false;
}

/* Whether a record can be a webhook event (cheap: before the shard counts are built). */
static bool svc_notify_may_tell(const struct wave_event *wev, const struct wave_record *r)
{
    bool is_failure = wev->kind == WAVE_EV_SHARD_FAILED || wev->kind == WAVE_EV_RB_FAILED;
    return r->kind == WAVE_REC_TRANSITION || r->kind == WAVE_REC_STAGE ||
           r->kind == WAVE_REC_GATE ||
           (r->kind == WAVE_REC_SHARD && is_failure && r->shard_idx >= 0 &&
            (size_t)r->shard_idx == wev->shard_idx);
}

void svc_notify_decision(struct svc *s, const struct svc_view *v, enum wave_state before,
                         const struct wave_decision *d, const struct wave_event *wev,
                         const int64_t *record_ids, int64_t at_ms)
{
    if (wev->kind == WAVE_EV_LEASE_EXPIRED && d->n_changes > 0) {
        atomic_fetch_add(&s->notify.n_leases_expired, 1);
    }
    if (s->notify.fn == NULL) {
        return;
    }
    struct notify_event base;
    struct notify_event ev;
    bool has_base = false;
    bool shard_told = false;
    enum wave_state state = before; /* as of each record: transitions move it */
    for (size_t i = 0; i < d->n_records; i++) {
        const struct wave_record *r = &d->records[i];
        enum wave_state at = state;
        state = r->kind == WAVE_REC_TRANSITION ? r->to : state;
        if (!svc_notify_may_tell(wev, r)) {
            continue;
        }
        if (!has_base) { /* counts over every shard: only for decisions worth telling */
            svc_notify_base(v, wev, at_ms, &base);
            has_base = true;
        }
        ev = base;
        ev.from = ev.to = at;
        if (svc_notify_record(v, d, wev, r, &shard_told, &ev)) {
            ev.event_id = record_ids[i];
            s->notify.fn(s->notify.ctx, &ev);
        }
    }
}
