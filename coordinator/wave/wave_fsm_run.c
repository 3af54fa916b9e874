/*
 * The moving parts of the wave state machine: a running wave's stage progression
 * (dispatch within the caps, bake, gate, next stage), the rollback's order (stage by
 * stage in reverse, newest-moved shard first) and what a resume re-queues. Pure; called
 * from wave_fsm.c.
 */
#include "wave/wave_fsm_impl.h"

#include <stdlib.h>

/* Loop bound of one progression: each stage passes each phase at most once. */
#define PROGRESS_STEPS(n_stages) (4 * (n_stages) + 4)

struct stage_counts {
    size_t total; /* shards of the stage, skipped ones included */
    size_t by[WSHARD_STATE_COUNT];
    size_t earlier_open; /* pending, leased or running shards of earlier stages */
};

static bool is_open(enum wave_shard_state s)
{
    return s == WSHARD_PENDING || s == WSHARD_LEASED || s == WSHARD_RUNNING;
}

/* The stage's shards by state; `earlier_open` counts shards of earlier stages still to
 * run (re-queued by a resume): the stage waits for them too. */
static void count_stage(const struct fsm_ctx *c, uint32_t stage, struct stage_counts *sc)
{
    *sc = (struct stage_counts){0};
    for (size_t i = 0; i < c->in->n_shards; i++) {
        if (c->in->shards[i].stage == stage) {
            sc->total++;
            sc->by[fsm_cur(c, i)]++;
        } else if (c->in->shards[i].stage < stage && is_open(fsm_cur(c, i))) {
            sc->earlier_open++;
        }
    }
}

/* In-flight shards per host key over the whole wave (all 0 without a per-host cap: no
 * pass); *out owned by the caller. */
static int host_load(const struct fsm_ctx *c, size_t **out)
{
    *out = calloc((size_t)c->in->n_hosts + 1, sizeof **out);
    if (*out == NULL) {
        return sw_err_set(c->err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; c->in->max_per_host > 0 && i < c->in->n_shards; i++) {
        uint32_t h = c->in->shards[i].host;
        if (h != WAVE_FSM_NO_HOST && fsm_in_flight(fsm_cur(c, i))) {
            (*out)[h]++;
        }
    }
    return 0;
}

static bool host_full(const struct fsm_ctx *c, const size_t *load, size_t idx)
{
    uint32_t h = c->in->shards[idx].host;
    return c->in->max_per_host > 0 && h != WAVE_FSM_NO_HOST &&
           load[h] >= (size_t)c->in->max_per_host;
}

/* Leases shard idx and counts it on its host (with a per-host cap). */
static int dispatch_one(struct fsm_ctx *c, size_t *load, size_t idx, enum wave_shard_state leased)
{
    if (c->in->max_per_host > 0 && c->in->shards[idx].host != WAVE_FSM_NO_HOST) {
        load[c->in->shards[idx].host]++;
    }
    return fsm_dispatch(c, idx, leased);
}

/* Leases `order[0..n)` (shards waiting as `waiting`) within the stage's max_parallel
 * (given the stage's `busy` in-flight shards) and the per-host cap. */
static int dispatch_list(struct fsm_ctx *c, const size_t *order, size_t n, size_t busy,
                         enum wave_shard_state leased)
{
    size_t *load = NULL;
    int rc = host_load(c, &load);
    size_t max_parallel = (size_t)c->in->stages[c->out->stage].max_parallel;
    for (size_t k = 0; rc == 0 && k < n && busy < max_parallel; k++) {
        if (!host_full(c, load, order[k])) {
            rc = dispatch_one(c, load, order[k], leased);
            busy++;
        }
    }
    free(load);
    return rc;
}

/* Whether shard i runs with the current stage: its own, or an earlier one's that a resume
 * re-queued. */
static bool runs_now(const struct fsm_ctx *c, size_t i)
{
    return c->in->shards[i].stage <= c->out->stage;
}

/* Whether the caller's summary (wave_view.in_flight_by_stage, pending_lo) stands in for
 * passes over the wave. */
static bool has_summary(const struct fsm_ctx *c)
{
    return c->in->in_flight_by_stage != NULL && c->in->max_per_host <= 0;
}

/* Forward shards in flight that run with the current stage: the summary's counts moved by
 * this decision's changes, or a pass over the wave. */
static size_t count_busy(const struct fsm_ctx *c)
{
    size_t busy = 0;
    if (!has_summary(c)) {
        for (size_t i = 0; i < c->in->n_shards; i++) {
            busy += runs_now(c, i) && wave_shard_is_busy(fsm_cur(c, i));
        }
        return busy;
    }
    for (uint32_t s = 0; s <= c->out->stage && s < c->in->n_stages; s++) {
        busy += c->in->in_flight_by_stage[s];
    }
    for (size_t k = 0; k < c->out->n_changes; k++) {
        const struct wave_shard_change *ch = &c->out->changes[k];
        if (runs_now(c, ch->shard_idx)) {
            busy = busy - wave_shard_is_busy(ch->from) + wave_shard_is_busy(ch->to);
        }
    }
    return busy;
}

/* Where a scan for pending shards may start: the summary's pending_lo, or before it when
 * this decision made a shard pending there. */
static size_t pending_start(const struct fsm_ctx *c)
{
    if (!has_summary(c)) {
        return 0;
    }
    size_t lo = c->in->pending_lo;
    return c->changed_hi > 0 && c->changed_lo < lo ? c->changed_lo : lo;
}

/* Leases the stage's pending shards in index order, within max_parallel and the per-host
 * cap: the busy ones are counted first, then (only when a slot is free) the pending ones
 * are leased. */
static int dispatch_forward(struct fsm_ctx *c)
{
    size_t busy = count_busy(c);
    size_t max_parallel = (size_t)c->in->stages[c->out->stage].max_parallel;
    if (busy >= max_parallel) {
        return 0;
    }
    size_t *load = NULL;
    int rc = host_load(c, &load);
    for (size_t i = pending_start(c); rc == 0 && i < c->in->n_shards && busy < max_parallel; i++) {
        if (!runs_now(c, i) || fsm_cur(c, i) != WSHARD_PENDING || host_full(c, load, i)) {
            continue;
        }
        rc = dispatch_one(c, load, i, WSHARD_LEASED);
        busy++;
    }
    free(load);
    return rc;
}

static int stage_settle(struct fsm_ctx *c, const struct wave_view_stage *vs,
                        const struct stage_counts *sc)
{
    c->out->phase = STAGE_BAKING;
    c->out->phase_until_ms = c->in->now_ms + vs->bake_ms;
    size_t moved = sc->total - sc->by[WSHARD_SKIPPED];
    return fsm_record(c, WAVE_REC_STAGE, -1,
                      "stage %s: all %zu shards finished (%zu failed); baking for %lld s", vs->name,
                      moved, sc->by[WSHARD_FAILED], (long long)(vs->bake_ms / 1000));
}

static int stage_baked(struct fsm_ctx *c, const struct wave_view_stage *vs)
{
    if (vs->has_gate) {
        c->out->phase = STAGE_GATING;
        c->out->phase_until_ms = c->in->now_ms + 2 * vs->gate_timeout_ms;
        c->out->gate_check = true;
        return fsm_record(c, WAVE_REC_GATE, -1, "stage %s: bake done; gate check requested",
                          vs->name);
    }
    c->out->phase = STAGE_PASSED;
    c->out->phase_until_ms = 0;
    return fsm_record(c, WAVE_REC_STAGE, -1, "stage %s: passed", vs->name);
}

/* One phase step; *wait is set when the stage must wait for time or reports. */
static int progress_once(struct fsm_ctx *c, bool *wait)
{
    const struct wave_view_stage *vs = &c->in->stages[c->out->stage];
    struct stage_counts sc;
    *wait = true;
    switch (c->out->phase) {
    case STAGE_DISPATCHING:
        count_stage(c, c->out->stage, &sc);
        if (sc.by[WSHARD_PENDING] + sc.by[WSHARD_LEASED] + sc.by[WSHARD_RUNNING] + sc.earlier_open >
            0) {
            return dispatch_forward(c);
        }
        *wait = false;
        return stage_settle(c, vs, &sc);
    case STAGE_BAKING:
        if (c->in->now_ms < c->out->phase_until_ms) {
            return 0;
        }
        *wait = vs->has_gate;
        return stage_baked(c, vs);
    case STAGE_GATING:
        return 0;
    case STAGE_PASSED:
        if (c->out->stage + 1 >= c->in->n_stages) {
            c->finished = true;
            return 0;
        }
        *wait = false;
        c->out->stage++;
        c->out->phase = STAGE_DISPATCHING;
        c->out->phase_until_ms = 0;
        return fsm_record(c, WAVE_REC_STAGE, -1, "stage %s: started",
                          c->in->stages[c->out->stage].name);
    case STAGE_PHASE_COUNT:
        break;
    }
    return sw_err_set(c->err, SW_EINVAL, "wave view: bad stage phase %d", (int)c->out->phase);
}

int fsm_progress(struct fsm_ctx *c)
{
    c->progressed = true;
    bool wait = false;
    int rc = 0;
    for (size_t k = 0; rc == 0 && !wait && k < PROGRESS_STEPS(c->in->n_stages); k++) {
        rc = progress_once(c, &wait);
    }
    return rc;
}

int fsm_dispatch_freed(struct fsm_ctx *c)
{
    if (c->in->state == WAVE_RUNNING && c->out->state == WAVE_RUNNING &&
        c->out->phase == STAGE_DISPATCHING) {
        return dispatch_forward(c);
    }
    if (c->in->state == WAVE_ROLLING_BACK && c->out->state == WAVE_ROLLING_BACK) {
        return fsm_rollback_dispatch(c);
    }
    return 0;
}

/* ---- rollback ----------------------------------------------------------------------- */

int fsm_rollback_begin(struct fsm_ctx *c)
{
    size_t n_failed = 0;
    long first_failed = -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < c->in->n_shards; i++) {
        switch (fsm_cur(c, i)) {
        case WSHARD_DONE:
        case WSHARD_RB_FAILED:
            rc = fsm_set_shard(c, i, WSHARD_RB_PENDING);
            break;
        case WSHARD_LEASED:
            rc = fsm_set_shard(c, i, WSHARD_PENDING); /* not started: the lease is void */
            break;
        case WSHARD_FAILED:
            first_failed = n_failed++ == 0 ? (long)i : first_failed;
            break;
        case WSHARD_PENDING:
        case WSHARD_RUNNING:
        case WSHARD_SKIPPED:
        case WSHARD_RB_PENDING:
        case WSHARD_RB_LEASED:
        case WSHARD_RB_RUNNING:
        case WSHARD_ROLLED_BACK:
        case WSHARD_STATE_COUNT:
            break;
        }
    }
    c->out->phase = STAGE_DISPATCHING;
    c->out->phase_until_ms = 0;
    if (rc == 0 && n_failed > 0) {
        rc = fsm_record(c, WAVE_REC_SHARD, n_failed == 1 ? first_failed : -1,
                        "%zu failed shard%s (first %s) may hold partial changes: not rolled back "
                        "automatically; inspect and repair %s",
                        n_failed, n_failed == 1 ? "" : "s", c->in->shards[first_failed].id,
                        n_failed == 1 ? "it" : "them");
    }
    return rc;
}

struct rb_item {
    int64_t seq;
    size_t idx;
};

/* Newest-moved first; ties by index, descending. */
static int cmp_rb_item(const void *a, const void *b)
{
    const struct rb_item *x = a;
    const struct rb_item *y = b;
    if (x->seq != y->seq) {
        return x->seq < y->seq ? 1 : -1;
    }
    return x->idx < y->idx ? 1 : (x->idx > y->idx ? -1 : 0);
}

/* The last stage that still has rollback work, or -1. */
static long rollback_stage(const struct fsm_ctx *c)
{
    long stage = -1;
    for (size_t i = 0; i < c->in->n_shards; i++) {
        if (fsm_rb_active(fsm_cur(c, i)) && (long)c->in->shards[i].stage > stage) {
            stage = (long)c->in->shards[i].stage;
        }
    }
    return stage;
}

int fsm_rollback_dispatch(struct fsm_ctx *c)
{
    long stage = rollback_stage(c);
    if (stage < 0) {
        return 0;
    }
    c->out->stage = (uint32_t)stage;
    struct rb_item *items = calloc(c->in->n_shards + 1, sizeof *items);
    size_t *order = calloc(c->in->n_shards + 1, sizeof *order);
    int rc = items == NULL || order == NULL ? sw_err_set(c->err, SW_ENOMEM, "out of memory") : 0;
    size_t n = 0;
    size_t busy = 0;
    for (size_t i = 0; rc == 0 && i < c->in->n_shards; i++) {
        if ((long)c->in->shards[i].stage != stage) {
            continue;
        }
        if (fsm_cur(c, i) == WSHARD_RB_PENDING) {
            items[n++] = (struct rb_item){c->in->shards[i].finished_seq, i};
        } else if (fsm_cur(c, i) == WSHARD_RB_LEASED || fsm_cur(c, i) == WSHARD_RB_RUNNING) {
            busy++;
        }
    }
    if (rc == 0) {
        qsort(items, n, sizeof *items, cmp_rb_item);
        for (size_t k = 0; k < n; k++) {
            order[k] = items[k].idx;
        }
        rc = dispatch_list(c, order, n, busy, WSHARD_RB_LEASED);
    }
    free(items);
    free(order);
    return rc;
}

/* ---- resume ---------------------------------------------------------------------------- */

/* Failed shards a resume leaves failed, by why. */
struct requeue_left {
    size_t dirty;
    size_t errors;
};

/* Whether a resume re-queues failed shard i: transient failures always, errors only on
 * request, dirty shards never; shards of later stages cannot have failed. */
static bool requeue_wanted(const struct fsm_ctx *c, size_t i, struct requeue_left *left)
{
    enum wave_failure f = c->in->shards[i].failure;
    if (fsm_cur(c, i) != WSHARD_FAILED || c->in->shards[i].stage > c->out->stage) {
        return false;
    }
    if (f == WFAIL_DIRTY) {
        left->dirty++;
        return false;
    }
    if (!wave_failure_is_transient(f) && !c->ev->retry_failed) {
        left->errors++;
        return false;
    }
    return true;
}

int fsm_requeue_failed(struct fsm_ctx *c, size_t *n_requeued)
{
    struct requeue_left left = {0};
    int rc = 0;
    *n_requeued = 0;
    for (size_t i = 0; rc == 0 && i < c->in->n_shards; i++) {
        if (!requeue_wanted(c, i, &left)) {
            continue;
        }
        const char *why = wave_failure_name(c->in->shards[i].failure);
        rc = fsm_set_shard(c, i, WSHARD_PENDING);
        if (rc == 0) {
            rc = fsm_record(c, WAVE_REC_SHARD, (long)i, "shard %s re-queued by %s (it failed: %s)",
                            c->in->shards[i].id, c->ev->actor != NULL ? c->ev->actor : "unknown",
                            why[0] != '\0' ? why : "error");
        }
        (*n_requeued)++;
    }
    if (rc == 0 && left.dirty + left.errors > 0) {
        rc = fsm_record(c, WAVE_REC_OPERATOR, -1,
                        "resume left %zu dirty shard(s) failed (repair them) and %zu shard(s) "
                        "that failed with an error (resume --retry-failed retries them)",
                        left.dirty, left.errors);
    }
    return rc;
}
