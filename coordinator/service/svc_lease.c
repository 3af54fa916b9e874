/*
 * Leases (docs/protocol.md): agents claim dispatched shards (LEASED by the state machine,
 * no agent yet) of their pools with a long-poll; the claim writes agent, lease id and
 * expiry to the store before the lease is returned. Assignments carry the engine's files
 * from the stored migration set. Also the go-ahead, lease expiry and SQL gates run as
 * gate leases (kept in memory).
 */
#include "service/service.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/svc_internal.h"
#include "sw/clock.h"
#include "sw/log.h"

#define SVC_CLAIM_MSG_MAX 320

/* Default lock and statement timeouts of an assignment (the runner's defaults). */
static const struct wire_timeouts svc_default_timeouts = {
    .lock_wait_ms = 10000,
    .n_lock_timeouts = 4,
    .lock_timeouts_ms = {200, 500, 1000, 2000},
    .n_lock_pauses = 3,
    .lock_pauses_ms = {500, 1000, 2000},
    .statement_timeout_ms = 0,
};

/* ---- assignments -------------------------------------------------------------------- */

static int svc_step_from_file(const struct migset_step *step, const struct migset_file *f,
                              struct wire_step *out, struct sw_err *err)
{
    snprintf(out->version, sizeof out->version, "%s", step->version_text);
    snprintf(out->checksum, sizeof out->checksum, "%s", f->checksum);
    out->description = strdup(step->description != NULL ? step->description : "");
    out->script = strdup(f->name);
    out->sql = malloc(f->sql_len + 1);
    if (out->description == NULL || out->script == NULL || out->sql == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    memcpy(out->sql, f->sql, f->sql_len);
    out->sql[f->sql_len] = '\0';
    out->sql_len = f->sql_len;
    out->no_transaction = f->directives.no_transaction;
    return 0;
}

/* Whether lo < v <= hi (lo may be NULL: no lower bound). */
static bool svc_in_range(const struct version *v, const struct version *lo,
                         const struct version *hi)
{
    return version_cmp(v, hi) <= 0 && (lo == NULL || version_cmp(v, lo) > 0);
}

/* The files the agent needs: the up files of every version up to the higher end (the
 * runner re-reads the history, applies only what is pending and checks the checksums of
 * what is applied), then, going down, the down files of the versions being undone,
 * newest first. */
static int svc_lease_steps(const struct migset *set, enum migset_engine engine, bool going_down,
                           const struct version *lo, const struct version *hi, struct wire_lease *l,
                           struct sw_err *err)
{
    size_t n = migset_count(set);
    l->steps = calloc(2 * n + 1, sizeof *l->steps);
    if (l->steps == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct migset_step *step = migset_step_at(set, i);
        const struct migset_file *f = migset_step_file(step, MIGSET_UP, engine);
        if (f != NULL && svc_in_range(&step->version, NULL, hi)) {
            rc = svc_step_from_file(step, f, &l->steps[l->n_steps++], err);
        }
    }
    for (size_t i = n; rc == 0 && going_down && i > 0; i--) {
        const struct migset_step *step = migset_step_at(set, i - 1);
        const struct migset_file *f = migset_step_file(step, MIGSET_DOWN, engine);
        if (f != NULL && svc_in_range(&step->version, lo, hi)) {
            rc = svc_step_from_file(step, f, &l->steps[l->n_steps++], err);
        }
    }
    if (rc == 0 && l->n_steps > WIRE_MAX_STEPS) {
        rc = sw_err_set(err, SW_ETOOBIG, "shard %s: %zu files exceed the %d steps of a lease",
                        l->shard, l->n_steps, WIRE_MAX_STEPS);
    }
    return rc;
}

/* A migrate or rollback assignment for a claimed wave shard. The plan's transaction
 * "shard" applies to migrate leases (the planner checked their files); rollbacks run step
 * by step. */
static int svc_lease_build(const struct svc_view *v, const struct store_wave_shard *ws,
                           const struct migset *set, enum migset_engine engine, int64_t ttl_ms,
                           struct wire_lease *l, struct sw_err *err)
{
    const struct store_wave *w = &v->detail.wave;
    bool is_rollback = ws->state == WSHARD_RB_LEASED;
    bool going_down = (w->direction == PLAN_DOWN) != is_rollback;
    const char *target = is_rollback ? ws->from_version : ws->to_version;
    const char *from = is_rollback ? ws->to_version : ws->from_version;
    struct version t = {0};
    struct version f = {0};
    snprintf(l->lease, sizeof l->lease, "%s", ws->lease_id);
    snprintf(l->wave, sizeof l->wave, "%s", w->id);
    snprintf(l->shard, sizeof l->shard, "%s", ws->shard_id);
    snprintf(l->target, sizeof l->target, "%s", target);
    snprintf(l->expected_from, sizeof l->expected_from, "%s", from);
    snprintf(l->migration_set, sizeof l->migration_set, "%s", w->digest);
    l->kind = is_rollback ? WIRE_LEASE_ROLLBACK : WIRE_LEASE_MIGRATE;
    l->engine = engine;
    l->lease_ttl_ms = ttl_ms;
    l->direction = going_down ? MIGSET_DOWN : MIGSET_UP;
    l->has_timeouts = true;
    l->timeouts = svc_default_timeouts;
    l->transaction =
        v->plan.transaction == PLAN_TXN_SHARD && !is_rollback ? WIRE_TXN_SHARD : WIRE_TXN_STEP;
    int rc = version_parse_str(target, &t, err);
    if (rc == 0) {
        rc = version_parse_str(from, &f, err);
    }
    if (rc != 0) {
        return rc;
    }
    bool t_hi = version_cmp(&t, &f) >= 0;
    return svc_lease_steps(set, engine, going_down, t_hi ? &f : &t, t_hi ? &t : &f, l, err);
}

/* ---- claiming ----------------------------------------------------------------------- */

/* What one lease request collects. */
struct svc_take {
    const char *agent;
    int agent_minor; /* the protocol minor of the agent's request */
    const char *pools;
    size_t max;
    int64_t now_ms;
    struct wire_lease_resp *out;
};

static bool svc_claimable(const struct store_wave_shard *ws)
{
    return (ws->state == WSHARD_LEASED || ws->state == WSHARD_RB_LEASED) && ws->agent[0] == '\0';
}

/* The claimed row (a shallow copy with agent, lease and expiry) and its event. */
static void svc_claim(const struct svc *s, const struct svc_take *t,
                      const struct store_wave_shard *from, struct store_wave_shard *ws,
                      struct store_event *ev, char msg[SVC_CLAIM_MSG_MAX])
{
    *ws = *from;
    svc_new_lease_id(ws->lease_id);
    snprintf(ws->agent, sizeof ws->agent, "%s", t->agent);
    ws->lease_expires_ms = t->now_ms + s->lease_ttl_ms;
    ws->attempts++;
    snprintf(msg, SVC_CLAIM_MSG_MAX, "leased to agent %s (lease %s, attempt %d)", t->agent,
             ws->lease_id, ws->attempts);
    *ev = (struct store_event){.at_ms = t->now_ms, .message = msg};
    snprintf(ev->actor, sizeof ev->actor, "%s", t->agent);
    snprintf(ev->kind, sizeof ev->kind, "shard");
    snprintf(ev->shard_id, sizeof ev->shard_id, "%s", ws->shard_id);
}

/* Claimed rows, their events and engines: at most the request's free room. */
struct svc_claims {
    size_t n;
    bool has_note; /* events[n] (one past the claims) tells why shards were left */
    struct store_wave_shard *rows;
    struct store_event *events;
    char (*msgs)[SVC_CLAIM_MSG_MAX];
    enum migset_engine *engines;
};

static void svc_claims_cleanup(struct svc_claims *c)
{
    free(c->engines);
    free(c->msgs);
    free(c->events);
    free(c->rows);
}

/* Whether the agent can run the shard's lease: a migrate lease of a wave with transaction
 * "shard" needs protocol 1.1 (rollbacks run step by step). */
static bool svc_agent_can(const struct svc_take *t, const struct svc_view *v,
                          const struct store_wave_shard *ws)
{
    return t->agent_minor >= 1 || v->plan.transaction != PLAN_TXN_SHARD ||
           ws->state == WSHARD_RB_LEASED;
}

/* Shards of a transaction="shard" wave were left because the agent speaks 1.0: once per
 * view a warning and a wave event in events[c->n], one past the claims; debug afterwards
 * (old agents long-poll: no warning per request). */
static void svc_claims_note(const struct svc_take *t, const struct svc_view *v,
                            struct svc_claims *c, size_t n_left)
{
    log_write(v->is_old_agent_told ? LOG_DEBUG : LOG_WARN, NULL,
              "wave=%s agent=%s speaks protocol %d.%d: %zu shard(s) of this wave (transaction "
              "\"shard\") left for an agent speaking %d.1 or newer; upgrade the agent",
              v->detail.wave.id, t->agent, WIRE_PROTOCOL_MAJOR, t->agent_minor, n_left,
              WIRE_PROTOCOL_MAJOR);
    if (v->is_old_agent_told) {
        return;
    }
    char *msg = c->msgs[c->n];
    snprintf(msg, SVC_CLAIM_MSG_MAX,
             "agent %s speaks protocol %d.%d: shards of this wave (transaction \"shard\") are "
             "left for agents speaking %d.1 or newer; upgrade the pool's agents",
             t->agent, WIRE_PROTOCOL_MAJOR, t->agent_minor, WIRE_PROTOCOL_MAJOR);
    c->events[c->n] = (struct store_event){.at_ms = t->now_ms, .message = msg};
    snprintf(c->events[c->n].actor, sizeof c->events[c->n].actor, "%s", t->agent);
    snprintf(c->events[c->n].kind, sizeof c->events[c->n].kind, "stage");
    c->has_note = true;
}

/* Picks the claimable shards of the agent's pools from the view (in memory), scanning
 * [claim_lo, claim_hi); moves claim_lo to the first claimable shard it left or took and,
 * when it scanned to claim_hi, claim_hi past the last one (taken ones stop being claimable
 * once the claim is persisted and applied to the view; a failed write leaves them inside). */
static int svc_claims_pick(const struct svc *s, const struct svc_take *t, struct svc_view *v,
                           struct svc_claims *c, struct sw_err *err)
{
    size_t room = t->max - t->out->n_leases;
    c->rows = calloc(room + 1, sizeof *c->rows);
    c->events = calloc(room + 1, sizeof *c->events);
    c->msgs = calloc(room + 1, sizeof *c->msgs);
    c->engines = calloc(room + 1, sizeof *c->engines);
    if (c->rows == NULL || c->events == NULL || c->msgs == NULL || c->engines == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    size_t i = v->claim_lo;
    size_t lo = SIZE_MAX;
    size_t hi = 0; /* one past the last claimable shard seen (left or taken) */
    size_t n_left = 0;
    size_t end = v->claim_hi < v->detail.n_shards ? v->claim_hi : v->detail.n_shards;
    for (; i < end && c->n < room; i++) {
        const struct svc_view_fleet *fs = &v->fleet[i];
        if (!svc_claimable(&v->detail.shards[i])) {
            continue;
        }
        lo = lo < i ? lo : i;
        hi = i + 1;
        if (!fs->in_fleet || !svc_pool_in(t->pools, fs->pool)) {
            continue;
        }
        if (!svc_agent_can(t, v, &v->detail.shards[i])) {
            n_left++;
            continue;
        }
        c->engines[c->n] = fs->engine;
        svc_claim(s, t, &v->detail.shards[i], &c->rows[c->n], &c->events[c->n], c->msgs[c->n]);
        c->n++;
    }
    v->claim_lo = lo < i ? lo : i;
    v->claim_hi = i == end ? hi : v->claim_hi;
    if (n_left > 0) {
        svc_claims_note(t, v, c, n_left);
    }
    return 0;
}

/* Claims up to the free room of shards of one wave: rows and events, persisted, then the
 * assignments. */
static int svc_take_wave(struct svc *s, struct store *st, struct svc_take *t, struct svc_view *v,
                         struct sw_err *err)
{
    struct svc_claims c = {0};
    int rc = svc_claims_pick(s, t, v, &c, err);
    if (rc == 0 && c.n > 0 && v->set == NULL) { /* loaded once per view, not per claim */
        rc = store_migset_load(st, v->detail.wave.digest, &v->set, err);
    }
    if (rc == 0 && (c.n > 0 || c.has_note)) {
        struct store_decision sd = {.wave_id = v->detail.wave.id,
                                    .expected_state = v->detail.wave.state,
                                    .expected_revision = v->detail.wave.revision,
                                    .n_shards = c.n,
                                    .shards = c.rows,
                                    .n_events = c.n + c.has_note,
                                    .events = c.events};
        struct sw_err note_err = {0};
        rc = store_apply_decision(st, &sd, NULL, c.n > 0 ? err : &note_err);
        if (rc == 0) {
            svc_view_applied(v, NULL, c.rows, c.n);
            v->is_old_agent_told = v->is_old_agent_told || c.has_note;
        }
        rc = c.n > 0 ? rc : 0; /* a lost note is told again by the next request */
    }
    for (size_t k = 0; rc == 0 && k < c.n; k++) {
        struct wire_lease *l = &t->out->leases[t->out->n_leases++];
        rc = svc_lease_build(v, &c.rows[k], v->set, c.engines[k], s->lease_ttl_ms, l, err);
        log_info("wave=%s shard=%s agent=%s lease %s: %s", v->detail.wave.id, c.rows[k].shard_id,
                 t->agent, c.rows[k].lease_id, wire_lease_kind_name(l->kind));
    }
    svc_claims_cleanup(&c);
    return rc;
}

/* Open gate checks of the agent's pools become gate leases. */
static int svc_take_gates(struct svc *s, struct svc_take *t, struct sw_err *err)
{
    for (size_t g = 0; g < s->n_gates; g++) {
        struct svc_gate *gate = &s->gates[g];
        for (size_t i = 0; i < gate->n_items && t->out->n_leases < t->max; i++) {
            struct svc_gate_item *it = &gate->items[i];
            if (it->state != SVC_GATE_OPEN || !svc_pool_in(t->pools, it->pool)) {
                continue;
            }
            struct wire_lease *l = &t->out->leases[t->out->n_leases];
            svc_new_lease_id(it->lease_id);
            snprintf(it->agent, sizeof it->agent, "%s", t->agent);
            it->expires_ms = t->now_ms + s->lease_ttl_ms;
            it->state = SVC_GATE_LEASED;
            snprintf(l->lease, sizeof l->lease, "%s", it->lease_id);
            snprintf(l->wave, sizeof l->wave, "%s", gate->wave_id);
            snprintf(l->shard, sizeof l->shard, "%s", it->shard_id);
            l->kind = WIRE_LEASE_GATE;
            l->engine = it->engine;
            l->lease_ttl_ms = s->lease_ttl_ms;
            l->sql = strdup(gate->sql);
            l->sql_len = strlen(gate->sql);
            t->out->n_leases++;
            if (l->sql == NULL) {
                return sw_err_set(err, SW_ENOMEM, "out of memory");
            }
            log_info("wave=%s shard=%s agent=%s lease %s: gate", gate->wave_id, it->shard_id,
                     t->agent, it->lease_id);
        }
    }
    return 0;
}

/* Claims from the running and rolling-back waves, oldest first. Caller holds wave_mu. */
static int svc_take_waves(struct svc *s, struct store *st, struct svc_take *t, struct sw_err *err)
{
    struct store_wave_ref *waves = NULL;
    size_t n = 0;
    int rc = store_wave_active(st, &waves, &n, err);
    for (size_t i = n; rc == 0 && i > 0 && t->out->n_leases < t->max; i--) {
        const struct store_wave_ref *w = &waves[i - 1];
        if (w->state != WAVE_RUNNING && w->state != WAVE_ROLLING_BACK) {
            continue;
        }
        struct svc_view *v = NULL;
        rc = svc_view_get(s, st, w->id, t->now_ms, &v, err);
        if (rc == 0) {
            rc = svc_take_wave(s, st, t, v, err);
        }
    }
    free(waves);
    return rc;
}

/* One pass: the waves, then open gate checks and inventory scans. Caller holds wave_mu. */
static int svc_take(struct svc *s, struct store *st, struct svc_take *t, struct sw_err *err)
{
    int rc = svc_take_waves(s, st, t, err);
    if (rc == 0) {
        rc = svc_take_gates(s, t, err);
    }
    return rc == 0 ? svc_inventory_take(s, t->agent, t->pools, t->max, t->now_ms, t->out, err) : rc;
}

/* Claims what there is now, without waiting. */
static int svc_take_now(struct svc *s, const struct wire_lease_req *req, const char *pools,
                        struct wire_lease_resp *out, struct svc_error *e)
{
    struct store *st = NULL;
    struct svc_take t = {.agent = req->agent,
                         .agent_minor = req->protocol_minor,
                         .pools = pools,
                         .max = (size_t)req->max,
                         .now_ms = sw_clock_wall_ms(),
                         .out = out};
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        pthread_mutex_lock(&s->wave_mu);
        rc = svc_take(s, st, &t, &e->err);
        pthread_mutex_unlock(&s->wave_mu);
    }
    svc_store_put(s, st);
    return rc != 0 ? svc_error_from(e, SVC_INTERNAL, &e->err) : 0;
}

int svc_lease_claim_waves(struct svc *s, struct store *st, const struct svc_claim_req *req,
                          struct wire_lease_resp *out, struct sw_err *err)
{
    pthread_mutex_lock(&s->agent_mu);
    bool is_stopping = s->is_stopping;
    pthread_mutex_unlock(&s->agent_mu);
    if (is_stopping || req->max == 0) {
        return 0;
    }
    struct svc_take t = {.agent = req->agent,
                         .agent_minor = req->agent_minor,
                         .pools = req->pools,
                         .max = req->max,
                         .now_ms = sw_clock_wall_ms(),
                         .out = out};
    out->leases = calloc(req->max + 1, sizeof *out->leases);
    if (out->leases == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int64_t t0 = svc_stats_now_us();
    int rc = svc_take_waves(s, st, &t, err);
    if (rc == 0 && out->n_leases > 0) {
        svc_stats_add(&s->stats, SVC_STAT_LEASE, svc_stats_now_us() - t0);
    }
    return rc;
}

/* Waits until work may exist (gen moved), the deadline, or a stop. False: stop waiting. */
static bool svc_wait_work(struct svc *s, uint64_t gen, int64_t deadline_mono_ms)
{
    pthread_mutex_lock(&s->agent_mu);
    while (s->work_gen == gen && !s->is_stopping) {
        int64_t left = deadline_mono_ms - sw_clock_mono_ms();
        if (left <= 0) {
            break;
        }
        struct timespec ts;
        sw_clock_mono_in(left, &ts);
        pthread_cond_timedwait(&s->agent_cv, &s->agent_mu, &ts);
    }
    bool go_on = s->work_gen != gen && !s->is_stopping;
    pthread_mutex_unlock(&s->agent_mu);
    return go_on;
}

static uint64_t svc_work_gen(struct svc *s, bool *is_stopping)
{
    pthread_mutex_lock(&s->agent_mu);
    uint64_t gen = s->work_gen;
    *is_stopping = s->is_stopping;
    pthread_mutex_unlock(&s->agent_mu);
    return gen;
}

int svc_lease_request(struct svc *s, const struct wire_lease_req *req, struct wire_lease_resp *out,
                      struct svc_error *e)
{
    char pools[STORE_AGENT_POOLS_MAX];
    struct store *st = NULL;
    int64_t wait_ms = req->wait_ms < s->long_poll_ms ? req->wait_ms : s->long_poll_ms;
    int64_t deadline = sw_clock_mono_ms() + wait_ms;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = svc_agent_pools(s, st, req->agent, pools, sizeof pools, e);
    } else {
        rc = svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    svc_store_put(s, st);
    out->leases = rc == 0 ? calloc((size_t)req->max + 1, sizeof *out->leases) : NULL;
    if (rc == 0 && out->leases == NULL) {
        rc = svc_error_set(e, SVC_INTERNAL, "out of memory");
    }
    while (rc == 0) {
        bool is_stopping = false;
        uint64_t gen = svc_work_gen(s, &is_stopping);
        int64_t t0 = svc_stats_now_us();
        rc = svc_take_now(s, req, pools, out, e);
        if (rc == 0 && out->n_leases > 0) {
            svc_stats_add(&s->stats, SVC_STAT_LEASE, svc_stats_now_us() - t0);
        }
        if (rc != 0 || out->n_leases > 0 || is_stopping || !svc_wait_work(s, gen, deadline)) {
            break;
        }
    }
    return rc;
}

/* ---- go-ahead and expiry ------------------------------------------------------------ */

/* A gate lease's go-ahead (in memory): 1 when it is one, 0 when not a gate lease. */
static int svc_gate_start(struct svc *s, const char *lease_id, const char *agent,
                          struct svc_error *e)
{
    for (size_t g = 0; g < s->n_gates; g++) {
        for (size_t i = 0; i < s->gates[g].n_items; i++) {
            const struct svc_gate_item *it = &s->gates[g].items[i];
            if (strcmp(it->lease_id, lease_id) != 0) {
                continue;
            }
            if (it->state != SVC_GATE_LEASED || strcmp(it->agent, agent) != 0) {
                svc_error_set(e, SVC_LEASE_LOST, "lease %s is not held by agent %s", lease_id,
                              agent);
                return e->err.code;
            }
            return 1;
        }
    }
    return 0;
}

static int svc_lease_start_locked(struct svc *s, struct store *st, const char *lease_id,
                                  const char *agent, struct svc_error *e)
{
    struct store_lease l = {0};
    struct svc_step_result r = {0};
    bool is_mine = false;
    if (svc_inventory_lease(s, lease_id, agent, false, 0, &is_mine)) {
        return is_mine ? 0 /* read-only: no wave to ask */
                       : svc_error_set(e, SVC_LEASE_LOST, "lease %s is not held by agent %s",
                                       lease_id, agent);
    }
    int rc = svc_gate_start(s, lease_id, agent, e);
    if (rc != 0) {
        return rc > 0 ? 0 : rc;
    }
    rc = store_lease_get(st, lease_id, &l, &e->err);
    if (rc == SW_ENOTFOUND || (rc == 0 && strcmp(l.agent_id, agent) != 0) ||
        (rc == 0 && l.expires_ms < sw_clock_wall_ms())) {
        svc_error_set(e, SVC_LEASE_LOST,
                      "lease %s is not held by agent %s (expired, finished "
                      "or given to another agent)",
                      lease_id, agent);
        return e->err.code;
    }
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    struct wave_event ev = {.kind = WAVE_EV_SHARD_STARTED, .actor = agent};
    struct svc_step_opts o = {.shard_id = l.shard_id, .lease_id = lease_id, .actor = agent};
    rc = svc_step_locked(s, st, l.wave_id, &ev, &o, &r, NULL, e);
    if (rc == 0 && r.is_stale) {
        rc = svc_error_set(e, SVC_LEASE_LOST, "lease %s is no longer shard %s's", lease_id,
                           l.shard_id);
    } else if (rc == 0 && r.refused) {
        rc = svc_error_set(e, SVC_WAVE_NOT_RUNNING, "%s", r.reason);
        sw_err_hint(&e->err, "give the shard back; it is dispatched again when the wave runs");
    }
    return rc;
}

int svc_lease_start(struct svc *s, const char *lease_id, const struct wire_start_req *req,
                    struct svc_error *e)
{
    char pools[STORE_AGENT_POOLS_MAX];
    struct store *st = NULL;
    int64_t t0 = svc_stats_now_us();
    int rc = svc_store_get(s, &st, &e->err);
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    rc = svc_agent_pools(s, st, req->agent, pools, sizeof pools, e);
    if (rc == 0) {
        pthread_mutex_lock(&s->wave_mu);
        rc = svc_lease_start_locked(s, st, lease_id, req->agent, e);
        pthread_mutex_unlock(&s->wave_mu);
    }
    svc_store_put(s, st);
    svc_stats_add(&s->stats, SVC_STAT_GO, svc_stats_now_us() - t0);
    if (rc == 0) {
        log_debug("agent=%s lease %s: go", req->agent, lease_id);
    }
    return rc;
}

/* Expired gate leases are offered again. Caller holds wave_mu. */
static bool svc_gates_expire(struct svc *s, int64_t now_ms)
{
    bool any = false;
    for (size_t g = 0; g < s->n_gates; g++) {
        for (size_t i = 0; i < s->gates[g].n_items; i++) {
            struct svc_gate_item *it = &s->gates[g].items[i];
            if (it->state == SVC_GATE_LEASED && it->expires_ms <= now_ms) {
                log_info("wave=%s shard=%s gate lease %s of agent %s expired: offered again",
                         s->gates[g].wave_id, it->shard_id, it->lease_id, it->agent);
                it->state = SVC_GATE_OPEN;
                it->lease_id[0] = '\0';
                it->agent[0] = '\0';
                any = true;
            }
        }
    }
    return any;
}

int svc_leases_expire(struct svc *s, int64_t now_ms, struct sw_err *err)
{
    struct store *st = NULL;
    struct store_lease *leases = NULL;
    size_t n = 0;
    int rc = svc_store_get(s, &st, err);
    if (rc != 0) {
        return rc;
    }
    pthread_mutex_lock(&s->wave_mu);
    rc = store_leases_expired(st, now_ms, &leases, &n, err);
    int first_rc = 0; /* one lease that cannot expire must not hold up the others */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct svc_error e = {0};
        char msg[STORE_LEASE_ID_MAX + FLEET_ID_MAX + 64];
        snprintf(msg, sizeof msg, "lease %s of agent %s expired", leases[i].id, leases[i].agent_id);
        struct wave_event ev = {.kind = WAVE_EV_LEASE_EXPIRED, .actor = "scheduler", .detail = msg};
        struct svc_step_opts o = {
            .shard_id = leases[i].shard_id, .lease_id = leases[i].id, .actor = "scheduler"};
        if (svc_step_locked(s, st, leases[i].wave_id, &ev, &o, NULL, NULL, &e) != 0) {
            if (first_rc == 0) {
                sw_err_copy(err, &e.err);
                sw_err_prefix(err, "lease %s", leases[i].id);
                first_rc = e.err.code;
            }
        } else {
            log_info("wave=%s shard=%s %s: back to pending", leases[i].wave_id, leases[i].shard_id,
                     msg);
        }
        svc_error_cleanup(&e);
    }
    rc = rc != 0 ? rc : first_rc;
    bool reoffered = svc_gates_expire(s, now_ms);
    reoffered = svc_inventory_expire(s, now_ms) || reoffered;
    pthread_mutex_unlock(&s->wave_mu);
    free(leases);
    svc_store_put(s, st);
    if (reoffered) {
        svc_wake_agents(s);
    }
    return rc;
}

/* ---- SQL gates ---------------------------------------------------------------------- */

static void svc_gate_cleanup(struct svc_gate *g)
{
    free(g->sql);
    free(g->items);
    memset(g, 0, sizeof *g);
}

void svc_gates_free(struct svc *s)
{
    for (size_t i = 0; i < s->n_gates; i++) {
        svc_gate_cleanup(&s->gates[i]);
    }
    free(s->gates);
    s->gates = NULL;
    s->n_gates = 0;
}

struct svc_gate *svc_gate_find(struct svc *s, const char *wave_id)
{
    for (size_t i = 0; i < s->n_gates; i++) {
        if (strcmp(s->gates[i].wave_id, wave_id) == 0) {
            return &s->gates[i];
        }
    }
    return NULL;
}

void svc_gate_drop(struct svc *s, const char *wave_id)
{
    struct svc_gate *g = svc_gate_find(s, wave_id);
    if (g == NULL) {
        return;
    }
    svc_gate_cleanup(g);
    *g = s->gates[--s->n_gates];
}

/* The stage's finished shards as gate items (pool and engine from the fleet). */
static int svc_gate_items(struct store *st, const struct store_wave_detail *d, int stage_idx,
                          struct svc_gate *g, struct sw_err *err)
{
    struct store_fleet fleet = {0};
    int rc = store_fleet_load(st, &fleet, err);
    g->items = rc == 0 ? calloc(d->n_shards + 1, sizeof *g->items) : NULL;
    if (rc == 0 && g->items == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < d->n_shards; i++) {
        const struct store_wave_shard *ws = &d->shards[i];
        long idx = fleet_find(&fleet.fleet, ws->shard_id);
        if (ws->stage_idx != stage_idx || ws->state != WSHARD_DONE || idx < 0) {
            continue;
        }
        struct svc_gate_item *it = &g->items[g->n_items++];
        snprintf(it->shard_id, sizeof it->shard_id, "%s", ws->shard_id);
        snprintf(it->pool, sizeof it->pool, "%s", fleet.fleet.shards[idx].pool);
        it->engine = fleet.fleet.shards[idx].engine;
    }
    store_fleet_cleanup(&fleet);
    return rc;
}

int svc_gate_open(struct svc *s, struct store *st, const struct store_wave_detail *d,
                  const struct plan_stage *ps, int stage_idx, bool *passes_now, struct sw_err *err)
{
    struct svc_gate g = {.stage_idx = stage_idx, .timeout_ms = ps->gate_timeout_seconds * 1000};
    *passes_now = false;
    snprintf(g.wave_id, sizeof g.wave_id, "%s", d->wave.id);
    g.sql = strdup(ps->gate);
    int rc = g.sql != NULL ? svc_gate_items(st, d, stage_idx, &g, err)
                           : sw_err_set(err, SW_ENOMEM, "out of memory");
    struct svc_gate *grown =
        rc == 0 ? realloc(s->gates, (s->n_gates + 1) * sizeof *s->gates) : NULL;
    if (rc == 0 && grown == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    if (rc != 0) {
        svc_gate_cleanup(&g);
        return rc;
    }
    svc_gate_drop(s, d->wave.id);
    s->gates = grown;
    *passes_now = g.n_items == 0;
    log_info("wave=%s stage %s: SQL gate on %zu shard(s) offered to agents", d->wave.id, ps->name,
             g.n_items);
    if (g.n_items == 0) {
        svc_gate_cleanup(&g);
        return 0;
    }
    s->gates[s->n_gates++] = g;
    svc_wake_agents(s);
    return 0;
}

/* Feeds a finished gate's result to its wave and drops the gate. */
static int svc_gate_finish(struct svc *s, struct store *st, struct svc_gate *g, bool passed,
                           const char *message, struct svc_error *e)
{
    char wave_id[WAVE_ID_MAX + 1];
    snprintf(wave_id, sizeof wave_id, "%s", g->wave_id);
    svc_gate_drop(s, wave_id);
    struct wave_event ev = {.kind = passed ? WAVE_EV_GATE_PASSED : WAVE_EV_GATE_FAILED,
                            .actor = "gate",
                            .detail = message};
    return svc_step_locked(s, st, wave_id, &ev, NULL, NULL, NULL, e);
}

int svc_gate_report(struct svc *s, struct store *st, const char *agent, const char *lease_id,
                    bool passed, const char *message, struct svc_error *e)
{
    for (size_t gi = 0; gi < s->n_gates; gi++) {
        struct svc_gate *g = &s->gates[gi];
        size_t n_passed = 0;
        struct svc_gate_item *hit = NULL;
        for (size_t i = 0; i < g->n_items; i++) {
            struct svc_gate_item *it = &g->items[i];
            if (strcmp(it->lease_id, lease_id) == 0 && strcmp(it->agent, agent) == 0 &&
                it->state == SVC_GATE_LEASED) {
                it->state = passed ? SVC_GATE_PASSED : SVC_GATE_FAILED;
                hit = it;
            }
            n_passed += it->state == SVC_GATE_PASSED;
        }
        if (hit == NULL) {
            continue;
        }
        if (!passed) {
            char msg[WAVE_FSM_TEXT_MAX];
            snprintf(msg, sizeof msg, "SQL gate failed on shard %s: %s", hit->shard_id,
                     message != NULL ? message : "it did not return true");
            return svc_gate_finish(s, st, g, false, msg, e);
        }
        return n_passed == g->n_items
                   ? svc_gate_finish(s, st, g, true, "SQL gate passed on every shard", e)
                   : 0;
    }
    return 0; /* stale: the gate was answered or dropped */
}
