/*
 * The wave views the service steps (svc_step.c) and claims from (svc_lease.c), kept in
 * memory between calls: building one reads every shard of the wave from the store and
 * the fleet, which at 10,000 shards costs milliseconds; an agent's event needs it once
 * per go-ahead and report. A cached view is used while the stored revision is the one it
 * was read at (one indexed point query) and no fleet change happened since; a decision
 * persisted through the service is applied to it in place (svc_view_applied), so the
 * per-event cost does not grow with the wave. Shard ids and host labels are hashed.
 * Callers hold s->wave_mu.
 */
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

#include "config/plan_file.h"
#include "service/svc_internal.h"

/* FNV-1a. */
static uint64_t svc_hash(const char *str)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)str; *p != '\0'; p++) {
        h = (h ^ *p) * 1099511628211ull;
    }
    return h;
}

/* A power of two at least twice n. */
static size_t svc_slots_for(size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n) {
        cap *= 2;
    }
    return cap;
}

static void svc_view_free(struct svc_view *v)
{
    if (v == NULL) {
        return;
    }
    free(v->stages);
    free(v->in_flight);
    free(v->shards);
    free(v->fleet);
    free(v->slots);
    migset_free(v->set);
    wave_plan_cleanup(&v->plan);
    store_wave_detail_cleanup(&v->detail);
    free(v);
}

long svc_view_find(const struct svc_view *v, const char *shard_id)
{
    size_t mask = v->n_slots - 1;
    for (size_t k = svc_hash(shard_id) & mask;; k = (k + 1) & mask) {
        size_t slot = v->slots[k];
        if (slot == 0) {
            return -1;
        }
        if (strcmp(v->detail.shards[slot - 1].shard_id, shard_id) == 0) {
            return (long)(slot - 1);
        }
    }
}

/* Shard id -> index (slots hold index + 1; 0 = empty). */
static void svc_view_index(struct svc_view *v)
{
    size_t mask = v->n_slots - 1;
    for (size_t i = 0; i < v->detail.n_shards; i++) {
        size_t k = svc_hash(v->detail.shards[i].shard_id) & mask;
        while (v->slots[k] != 0) {
            k = (k + 1) & mask;
        }
        v->slots[k] = i + 1;
    }
}

/* Host keys: shards with the same host label value share a number (first-seen order),
 * through a hash of the values (slots hold the first shard of a host + 1). */
static uint32_t svc_view_hosts(struct svc_view *v, size_t *slots)
{
    uint32_t n_hosts = 0;
    size_t mask = v->n_slots - 1;
    for (size_t i = 0; i < v->detail.n_shards; i++) {
        const char *host = v->detail.shards[i].host;
        v->shards[i].host = WAVE_FSM_NO_HOST;
        if (host[0] == '\0') {
            continue;
        }
        size_t k = svc_hash(host) & mask;
        while (slots[k] != 0 && strcmp(v->detail.shards[slots[k] - 1].host, host) != 0) {
            k = (k + 1) & mask;
        }
        if (slots[k] == 0) {
            slots[k] = i + 1;
            v->shards[i].host = n_hosts++;
        } else {
            v->shards[i].host = v->shards[slots[k] - 1].host;
        }
    }
    return n_hosts;
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

/* The wave's header fields of the view, from the detail's wave row. */
static void svc_view_header(struct svc_view *v)
{
    const struct store_wave *w = &v->detail.wave;
    v->view.state = w->state;
    v->view.on_failure = w->on_failure;
    v->view.stage = (uint32_t)w->current_stage;
    v->view.phase = w->stage_phase;
    v->view.phase_until_ms = w->phase_until_ms;
}

/* The shard's entry in pools (sorted by id), or NULL. */
static const struct store_shard_pool *svc_view_pool(const struct store_shard_pool *pools, size_t n,
                                                    const char *id)
{
    size_t lo = 0;
    size_t hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(pools[mid].id, id);
        if (c == 0) {
            return &pools[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

/* Pool and engine of every shard (claims), from the store's shard list (not the whole
 * fleet with statuses and labels: megabytes at 10,000 shards, on every view build). */
static int svc_view_fleet(struct store *st, struct svc_view *v, struct sw_err *err)
{
    struct store_shard_pool *pools = NULL;
    size_t n = 0;
    int rc = store_shard_pools(st, &pools, &n, err);
    for (size_t i = 0; rc == 0 && i < v->detail.n_shards; i++) {
        const struct store_shard_pool *p = svc_view_pool(pools, n, v->detail.shards[i].shard_id);
        if (p != NULL) {
            v->fleet[i].in_fleet = true;
            v->fleet[i].engine = p->engine;
            snprintf(v->fleet[i].pool, sizeof v->fleet[i].pool, "%s", p->pool);
        }
    }
    free(pools);
    return rc;
}

/* The state machine's summary from the shards: in flight per stage, the first pending. */
static void svc_view_summary(struct svc_view *v)
{
    size_t n = v->detail.n_shards;
    size_t lo = n;
    for (size_t i = 0; i < n; i++) {
        if (wave_shard_is_busy(v->shards[i].state) && v->shards[i].stage < v->plan.n_stages) {
            v->in_flight[v->shards[i].stage]++;
        }
        lo = lo == n && v->shards[i].state == WSHARD_PENDING ? i : lo;
    }
    v->view.pending_lo = lo;
}

/* Keeps the summary as shard i moves from `from` to its current state: counts, and the
 * first pending shard (back to i, or on past i to the next pending one). */
static void svc_view_summary_move(struct svc_view *v, size_t i, enum wave_shard_state from)
{
    const struct wave_view_shard *sh = &v->shards[i];
    if (sh->stage < v->plan.n_stages) {
        v->in_flight[sh->stage] =
            v->in_flight[sh->stage] - wave_shard_is_busy(from) + wave_shard_is_busy(sh->state);
    }
    size_t *lo = &v->view.pending_lo;
    if (sh->state == WSHARD_PENDING && i < *lo) {
        *lo = i;
    }
    while (*lo < v->detail.n_shards && v->shards[*lo].state != WSHARD_PENDING) {
        (*lo)++;
    }
}

/* Reads the wave and builds its view. */
static int svc_view_build(struct store *st, const char *id, struct svc_view *v, struct sw_err *err)
{
    /* the view keeps the detail for as long as the wave runs: without the step lists no
     * caller of a view reads (10,000 shards: 20,000 allocations, ~1.7 MB), in an array
     * the store sized exactly */
    int rc = store_wave_get_no_steps(st, id, &v->detail, err);
    if (rc != 0) {
        return rc;
    }
    const char *pj = v->detail.wave.plan_json;
    if (plan_file_from_json_text(pj, strlen(pj), &v->plan, err) != 0) {
        sw_err_prefix(err, "wave %s: stored plan", id);
        return SW_EINTERNAL;
    }
    size_t n = v->detail.n_shards;
    v->n_slots = svc_slots_for(n);
    v->stages = calloc(v->plan.n_stages + 1, sizeof *v->stages);
    v->in_flight = calloc(v->plan.n_stages + 1, sizeof *v->in_flight);
    v->shards = calloc(n + 1, sizeof *v->shards);
    v->fleet = calloc(n + 1, sizeof *v->fleet);
    v->slots = calloc(v->n_slots, sizeof *v->slots);
    size_t *host_slots = calloc(v->n_slots, sizeof *host_slots);
    if (v->stages == NULL || v->in_flight == NULL || v->shards == NULL || v->fleet == NULL ||
        v->slots == NULL || host_slots == NULL) {
        free(host_slots);
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    svc_view_stages(v);
    for (size_t i = 0; i < n; i++) {
        const struct store_wave_shard *ws = &v->detail.shards[i];
        v->shards[i] = (struct wave_view_shard){.id = ws->shard_id,
                                                .stage = (uint32_t)ws->stage_idx,
                                                .state = ws->state,
                                                .has_down = ws->has_down,
                                                .finished_seq = ws->finished_seq,
                                                .failure = ws->failure};
        v->max_finished_seq =
            ws->finished_seq > v->max_finished_seq ? ws->finished_seq : v->max_finished_seq;
    }
    svc_view_index(v);
    v->view = (struct wave_view){.max_per_host = v->plan.max_per_host,
                                 .n_hosts = svc_view_hosts(v, host_slots),
                                 .n_stages = v->plan.n_stages,
                                 .stages = v->stages,
                                 .n_shards = n,
                                 .shards = v->shards,
                                 .in_flight_by_stage = v->in_flight};
    svc_view_summary(v);
    free(host_slots);
    svc_view_header(v);
    return svc_view_fleet(st, v, err);
}

/* The cache slot of the wave, or -1. */
static long svc_view_slot(const struct svc *s, const char *id)
{
    for (size_t i = 0; i < s->n_views; i++) {
        if (strcmp(s->views[i]->detail.wave.id, id) == 0) {
            return (long)i;
        }
    }
    return -1;
}

void svc_view_drop(struct svc *s, const char *id)
{
    long i = svc_view_slot(s, id);
    if (i >= 0) {
        svc_view_free(s->views[i]);
        s->views[i] = s->views[--s->n_views];
    }
}

void svc_views_free(struct svc *s)
{
    for (size_t i = 0; i < s->n_views; i++) {
        svc_view_free(s->views[i]);
    }
    s->n_views = 0;
}

/* Keeps v (taking it); the least recently built view makes room. */
static void svc_view_keep(struct svc *s, struct svc_view *v)
{
    if (s->n_views == SVC_VIEWS_MAX) {
        svc_view_free(s->views[0]);
        memmove(&s->views[0], &s->views[1], (SVC_VIEWS_MAX - 1) * sizeof s->views[0]);
        s->n_views--;
    }
    s->views[s->n_views++] = v;
}

int svc_view_get(struct svc *s, struct store *st, const char *id, int64_t now_ms,
                 struct svc_view **out, struct sw_err *err)
{
    int64_t revision = 0;
    *out = NULL;
    int rc = store_wave_revision(st, id, &revision, err);
    if (rc != 0) {
        return rc;
    }
    long i = svc_view_slot(s, id);
    if (i >= 0 && !s->views[i]->is_stale && s->views[i]->detail.wave.revision == revision &&
        s->views[i]->fleet_gen == s->fleet_gen) {
        *out = s->views[i];
        (*out)->view.now_ms = now_ms;
        return 0;
    }
    svc_view_drop(s, id);
    struct svc_view *v = calloc(1, sizeof *v);
    rc = v != NULL ? svc_view_build(st, id, v, err) : sw_err_set(err, SW_ENOMEM, "out of memory");
    if (rc != 0) {
        svc_view_free(v);
        return rc;
    }
    v->fleet_gen = s->fleet_gen;
    v->claim_hi = v->detail.n_shards;
    v->view.now_ms = now_ms;
    svc_view_keep(s, v);
    *out = v;
    return 0;
}

/* Replaces *dst by a copy of src unless they are the same string. */
static int svc_view_str(char **dst, const char *src)
{
    if (*dst == src) {
        return 0;
    }
    char *copy = src != NULL ? strdup(src) : NULL;
    if (src != NULL && copy == NULL) {
        return SW_ENOMEM;
    }
    free(*dst);
    *dst = copy;
    return 0;
}

/* One persisted shard row into the cached detail and view. */
static int svc_view_apply_shard(struct svc_view *v, const struct store_wave_shard *row)
{
    long i = svc_view_find(v, row->shard_id);
    if (i < 0) {
        return SW_ENOTFOUND;
    }
    struct store_wave_shard *ws = &v->detail.shards[i];
    if (svc_view_str(&ws->error, row->error) != 0) {
        return SW_ENOMEM;
    }
    ws->state = row->state;
    memcpy(ws->agent, row->agent, sizeof ws->agent);
    memcpy(ws->lease_id, row->lease_id, sizeof ws->lease_id);
    ws->lease_expires_ms = row->lease_expires_ms;
    ws->attempts = row->attempts;
    ws->started_ms = row->started_ms;
    ws->finished_ms = row->finished_ms;
    ws->finished_seq = row->finished_seq;
    ws->failure = row->failure;
    enum wave_shard_state from = v->shards[i].state;
    v->shards[i].state = row->state;
    svc_view_summary_move(v, (size_t)i, from);
    v->shards[i].failure = row->failure;
    v->shards[i].finished_seq = row->finished_seq;
    if (row->finished_seq > v->max_finished_seq) {
        v->max_finished_seq = row->finished_seq;
    }
    bool is_claimable =
        (row->state == WSHARD_LEASED || row->state == WSHARD_RB_LEASED) && row->agent[0] == '\0';
    if (is_claimable && (size_t)i < v->claim_lo) {
        v->claim_lo = (size_t)i;
    }
    if (is_claimable && (size_t)i >= v->claim_hi) {
        v->claim_hi = (size_t)i + 1;
    }
    return 0;
}

void svc_view_applied(struct svc_view *v, const struct store_wave *row,
                      const struct store_wave_shard *rows, size_t n_rows)
{
    int rc = 0;
    struct store_wave *w = &v->detail.wave;
    if (row != NULL) {
        rc = svc_view_str(&w->halt_reason, row->halt_reason);
        w->state = row->state;
        w->current_stage = row->current_stage;
        w->stage_phase = row->stage_phase;
        w->phase_until_ms = row->phase_until_ms;
        w->updated_ms = row->updated_ms;
        svc_view_header(v);
    }
    for (size_t k = 0; rc == 0 && k < n_rows; k++) {
        rc = svc_view_apply_shard(v, &rows[k]);
    }
    w->revision++;         /* store_apply_decision bumps it by one */
    v->is_stale = rc != 0; /* read again on the next svc_view_get */
}

void svc_views_fleet_changed(struct svc *s)
{
    pthread_mutex_lock(&s->wave_mu);
    s->fleet_gen++;
    pthread_mutex_unlock(&s->wave_mu);
}
