/*
 * Agent reports (docs/protocol.md "Reports"), idempotent by report id: the id is
 * recorded in the same store transaction as what the report changed, so a retried
 * report counts once. Step reports add events and the shard's last version; lease_done
 * reports step the wave (succeeded, failed, released, rollback and gate results);
 * inventory reports set the shard's status.
 */
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

#include "service/svc_internal.h"
#include "sw/clock.h"
#include "sw/log.h"

#define SVC_REPORT_TEXT_MAX 1200

static enum shard_health svc_health(enum wire_health h)
{
    switch (h) {
    case WIRE_HEALTH_OK:
        return SHARD_OK;
    case WIRE_HEALTH_DIRTY:
        return SHARD_DIRTY;
    case WIRE_HEALTH_UNREACHABLE:
        return SHARD_UNREACHABLE;
    case WIRE_HEALTH_CHECKSUM_MISMATCH:
        return SHARD_CHECKSUM_MISMATCH;
    case WIRE_HEALTH_UNKNOWN:
    case WIRE_HEALTH_COUNT:
        return SHARD_UNKNOWN;
    }
    return SHARD_UNKNOWN;
}

/* Records what the agent saw of the shard (version, health, now). */
static int svc_status_put(struct store *st, const char *shard, const char *version,
                          enum wire_health h, struct sw_err *err)
{
    struct shard_status status = {.health = svc_health(h), .last_seen_ms = sw_clock_wall_ms()};
    snprintf(status.version, sizeof status.version, "%s", version);
    int rc = store_shard_status_put(st, shard, &status, err);
    return rc == SW_ENOTFOUND ? 0 : rc; /* a shard removed from the fleet since */
}

/* The event text of a step report. */
static void svc_step_text(const struct wire_report *r, char *buf, size_t cap)
{
    snprintf(buf, cap, "V%s %s %s in %lld ms%s%s", r->version, wire_direction_name(r->direction),
             wire_outcome_name(r->outcome), (long long)r->duration_ms, r->error ? ": " : "",
             r->error ? r->error : "");
}

/* A step's report; has_final_status: a later report of the same request finishes the
 * lease with the shard's version, so this step's status update would be overwritten at
 * once (one store write less per step). */
static int svc_report_step(struct svc *s, struct store *st, const char *agent,
                           const struct wire_report *r, bool has_final_status, struct svc_error *e)
{
    char text[SVC_REPORT_TEXT_MAX];
    const char *extra[1] = {text};
    svc_step_text(r, text, sizeof text);
    if (r->outcome == WIRE_OUT_APPLIED && r->direction == MIGSET_UP && !has_final_status &&
        svc_status_put(st, r->shard, r->version, WIRE_HEALTH_OK, &e->err) != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    if (r->wave[0] == '\0') {
        return 0;
    }
    struct wave_event ev = {.kind = WAVE_EV_TICK, .actor = agent};
    struct svc_step_opts o = {.shard_id = r->shard,
                              .report_id = r->id,
                              .actor = agent,
                              .n_extra = 1,
                              .extra = extra,
                              .is_record_only = true};
    return svc_step_locked(s, st, r->wave, &ev, &o, NULL, NULL, e);
}

/* The wave event of a migrate/rollback lease's outcome. */
static enum wave_event_kind svc_done_event(enum wire_outcome o)
{
    switch (o) {
    case WIRE_OUT_DONE:
        return WAVE_EV_SHARD_SUCCEEDED;
    case WIRE_OUT_RELEASED:
        return WAVE_EV_LEASE_EXPIRED; /* given back: dispatched again */
    case WIRE_OUT_APPLIED:
    case WIRE_OUT_FAILED:
    case WIRE_OUT_DIRTY:
    case WIRE_OUT_SKIPPED:
    case WIRE_OUT_REFUSED:
    case WIRE_OUT_GATE_PASSED:
    case WIRE_OUT_GATE_FAILED:
    case WIRE_OUTCOME_COUNT:
        break;
    }
    return WAVE_EV_SHARD_FAILED;
}

/* Why a lease failed: a dirty shard is dirty whatever the agent's class says; an
 * unclassified failure (an older agent) is an error. */
static enum wave_failure svc_failure(const struct wire_report *r)
{
    if (r->shard_health == WIRE_HEALTH_DIRTY) {
        return WFAIL_DIRTY;
    }
    switch (r->failure) {
    case WIRE_FAILURE_UNREACHABLE:
        return WFAIL_UNREACHABLE;
    case WIRE_FAILURE_LOCK_TIMEOUT:
        return WFAIL_LOCK_TIMEOUT;
    case WIRE_FAILURE_NONE:
    case WIRE_FAILURE_ERROR:
    case WIRE_FAILURE_COUNT:
        break;
    }
    return WFAIL_ERROR;
}

/* The shard's status a lease_done report carries (record-only: may join a batch). */
static int svc_report_done_status(struct store *st, const struct wire_report *r,
                                  struct svc_error *e)
{
    if (r->shard_version[0] != '\0' &&
        svc_status_put(st, r->shard, r->shard_version, r->shard_health, &e->err) != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    return 0;
}

/* The rest of a lease_done report: the gate's result and the wave's step (persisted, then
 * acted on: never inside a batch). */
static int svc_report_done(struct svc *s, struct store *st, const char *agent,
                           const struct wire_report *r, struct svc_error *e)
{
    char text[SVC_REPORT_TEXT_MAX];
    const char *extra[1] = {text};
    bool is_gate = r->outcome == WIRE_OUT_GATE_PASSED || r->outcome == WIRE_OUT_GATE_FAILED;
    snprintf(text, sizeof text, "lease %s %s%s%s%s%s%s%s", r->lease, wire_outcome_name(r->outcome),
             r->failure != WIRE_FAILURE_NONE ? " " : "",
             r->failure != WIRE_FAILURE_NONE ? wire_failure_name(r->failure) : "",
             r->shard_version[0] != '\0' ? ": shard at version " : "", r->shard_version,
             r->error ? ": " : "", r->error ? r->error : "");
    if (is_gate && svc_gate_report(s, st, agent, r->lease, r->outcome == WIRE_OUT_GATE_PASSED,
                                   r->error, e) != 0) {
        return e->err.code;
    }
    if (r->wave[0] == '\0') {
        return 0;
    }
    struct wave_event ev = {.kind = svc_done_event(r->outcome),
                            .actor = agent,
                            .detail = r->error != NULL ? r->error : wire_outcome_name(r->outcome),
                            .failure = svc_failure(r),
                            /* the freed slot is handed out now, not at the next tick */
                            .dispatch_freed = true};
    struct svc_step_opts o = {.shard_id = r->shard,
                              .lease_id = r->lease,
                              .report_id = r->id,
                              .actor = agent,
                              .n_extra = 1,
                              .extra = extra,
                              .is_record_only = is_gate,
                              .maps_rollback = true};
    return svc_step_locked(s, st, r->wave, &ev, &o, NULL, NULL, e);
}

/* An inventory scan's result: the shard's version, health and schema fingerprint. */
static int svc_report_inventory(struct svc *s, struct store *st, const struct wire_report *r,
                                struct svc_error *e)
{
    struct shard_status status = {.health = svc_health(r->shard_health),
                                  .last_seen_ms = sw_clock_wall_ms()};
    snprintf(status.version, sizeof status.version, "%s",
             r->shard_version[0] != '\0' ? r->shard_version : "0");
    snprintf(status.fingerprint, sizeof status.fingerprint, "%s", r->fingerprint);
    svc_inventory_done(s, r, &status);
    int rc = store_shard_status_put(st, r->shard, &status, &e->err);
    return rc != 0 && rc != SW_ENOTFOUND ? svc_error_from(e, SVC_INTERNAL, &e->err) : 0;
}

/* Whether a report after req->reports[i] finishes the same lease with the shard's
 * version (step reports come just before their lease's lease_done). */
static bool svc_final_status_follows(const struct wire_report_req *req, size_t i)
{
    const struct wire_report *r = &req->reports[i];
    for (size_t j = i + 1; j < req->n_reports; j++) {
        const struct wire_report *later = &req->reports[j];
        if (later->kind == WIRE_REPORT_LEASE_DONE && strcmp(later->lease, r->lease) == 0) {
            return later->shard_version[0] != '\0';
        }
    }
    return false;
}

/* The writes of a request's reports share one store transaction: the record-only ones
 * (step reports: events, seen ids, shard status; a lease_done's shard status) and the
 * wave steps of successful leases. What those steps act on waits for the commit: their
 * decisions tell no webhook (no transition, no stage passed, no failure), and agents
 * woken for the slot they hand out claim under wave_mu, held until the batch ends (a
 * rolled-back batch drops the cached views). Any other lease_done (a failure, a release,
 * a gate) is persisted on its own after the batch commits, and only then acted on. */
struct svc_batch {
    struct store *st;
    bool is_open;
    bool was_rolled_back; /* cached views may hold what the store lost */
};

static int svc_batch_open(struct svc_batch *b, struct svc_error *e)
{
    if (b->is_open) {
        return 0;
    }
    int rc = store_batch_begin(b->st, &e->err);
    b->is_open = rc == 0;
    return rc != 0 ? svc_error_from(e, SVC_INTERNAL, &e->err) : 0;
}

static int svc_batch_close(struct svc_batch *b, bool commit, struct svc_error *e)
{
    if (!b->is_open) {
        return 0;
    }
    b->is_open = false;
    struct sw_err err = {0};
    int rc = store_batch_end(b->st, commit, &err);
    b->was_rolled_back = b->was_rolled_back || !commit || rc != 0;
    if (rc != 0) {
        sw_err_copy(&e->err, &err);
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    return 0;
}

static int svc_report_one(struct svc *s, struct svc_batch *b, const char *agent,
                          const struct wire_report_req *req, size_t i, struct svc_error *e)
{
    const struct wire_report *r = &req->reports[i];
    int rc = 0;
    switch (r->kind) {
    case WIRE_REPORT_STEP:
        rc = svc_batch_open(b, e);
        return rc != 0 ? rc
                       : svc_report_step(s, b->st, agent, r, svc_final_status_follows(req, i), e);
    case WIRE_REPORT_LEASE_DONE:
        rc = svc_batch_open(b, e);
        rc = rc != 0 ? rc : svc_report_done_status(b->st, r, e);
        if (rc == 0 && r->outcome != WIRE_OUT_DONE) {
            rc = svc_batch_close(b, true, e);
        }
        return rc != 0 ? rc : svc_report_done(s, b->st, agent, r, e);
    case WIRE_REPORT_INVENTORY:
        rc = svc_batch_close(b, true, e);
        return rc != 0 ? rc : svc_report_inventory(s, b->st, r, e);
    case WIRE_REPORT_KIND_COUNT:
        break;
    }
    return svc_error_set(e, SVC_INVALID_REQUEST, "report %s: unknown kind", r->id);
}

static int svc_id_push(char ***list, size_t *n, const char *id)
{
    char **grown = realloc(*list, (*n + 1) * sizeof **list);
    if (grown == NULL) {
        return SW_ENOMEM;
    }
    *list = grown;
    grown[*n] = strdup(id);
    if (grown[*n] == NULL) {
        return SW_ENOMEM;
    }
    (*n)++;
    return 0;
}

/* Report i of the request under wave_mu: duplicate, applied, or an error naming it. */
static int svc_report_locked(struct svc *s, struct svc_batch *b, const char *agent,
                             const struct wire_report_req *req, size_t i,
                             struct wire_report_resp *out, struct svc_error *e)
{
    const struct wire_report *r = &req->reports[i];
    bool seen = false;
    if (store_report_seen(b->st, r->id, &seen, &e->err) != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    int rc = seen ? 0 : svc_report_one(s, b, agent, req, i, e);
    if (rc != 0 && svc_error_code(e) == SVC_NOT_FOUND) {
        /* a report about an unknown wave or shard can never apply: refuse it for good */
        sw_err_prefix(&e->err, "report %s", r->id);
        return svc_error_from(e, SVC_INVALID_REQUEST, &e->err);
    }
    if (rc != 0) {
        return rc;
    }
    rc = seen ? svc_id_push(&out->duplicates, &out->n_duplicates, r->id)
              : svc_id_push(&out->accepted, &out->n_accepted, r->id);
    return rc != 0 ? svc_error_set(e, SVC_INTERNAL, "out of memory") : 0;
}

/* Protocol 1.2: the agent's free slots (`want`) get the shards dispatched meanwhile (the
 * slots its reports freed among them), claimed in the request's batch: the hand-over
 * costs no lease request and no commit of its own. */
static int svc_reports_claim(struct svc *s, struct svc_batch *b, const struct wire_report_req *req,
                             const char *pools, struct wire_report_resp *out, struct svc_error *e)
{
    struct svc_claim_req cr = {.agent = req->agent,
                               .agent_minor = req->protocol_minor,
                               .pools = pools,
                               .max = (size_t)req->want};
    struct wire_lease_resp lr = {0};
    int rc = svc_batch_open(b, e);
    if (rc == 0 && svc_lease_claim_waves(s, b->st, &cr, &lr, &e->err) != 0) {
        rc = svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    out->leases = lr.leases;
    out->n_leases = lr.n_leases;
    return rc;
}

int svc_reports(struct svc *s, const struct wire_report_req *req, struct wire_report_resp *out,
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
    struct svc_batch b = {.st = st};
    pthread_mutex_lock(&s->wave_mu);
    for (size_t i = 0; rc == 0 && i < req->n_reports; i++) {
        rc = svc_report_locked(s, &b, req->agent, req, i, out, e);
    }
    if (rc == 0 && req->want > 0) {
        rc = svc_reports_claim(s, &b, req, pools, out, e);
    }
    if (b.is_open) {
        struct svc_error ignored = {0};
        int crc = svc_batch_close(&b, rc == 0, rc == 0 ? e : &ignored);
        svc_error_cleanup(&ignored);
        rc = rc != 0 ? rc : crc;
    }
    if (b.was_rolled_back) {
        svc_views_free(s); /* they applied record-only writes the store no longer has */
    }
    pthread_mutex_unlock(&s->wave_mu);
    svc_store_put(s, st);
    svc_stats_add(&s->stats, SVC_STAT_REPORT, svc_stats_now_us() - t0);
    return rc;
}
