/*
 * The agent's threads (see agent_daemon.h): lease loop, workers, heartbeat, reporter.
 * Each thread owns its HTTP client; workers own their database connections.
 */
#include "daemon/agent_daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sw/build_info.h"
#include "sw/clock.h"
#include "sw/log.h"
#include "sw/wire.h"
#include "sw/wire_agent.h"
#include "sw/wire_lease.h"
#include "sw/wire_report.h"

#define AGENT_REPORT_BATCH   100
#define AGENT_REPORT_POLL_MS 200
#define AGENT_STEP_HOLD_MS   100 /* how long step reports alone wait for company */
#define AGENT_FINAL_FLUSH_MS 10000
#define AGENT_IDLE_WAIT_MS   1000
#define AGENT_REPORT_PATH    "/v1/reports"
#define AGENT_ERROR_TEXT_MAX 1024

/* ---- small helpers ------------------------------------------------------------------------ */

static void agent_timed_wait(struct agent *a, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&a->cv, &a->mu, &ts);
}

void agent_http_error_text(const struct agent_http_resp *resp, char *buf, size_t cap)
{
    struct wire_error we = {0};
    struct sw_err err = {0};
    if (resp->body != NULL && wire_error_decode(resp->body, resp->len, &we, &err) == 0) {
        snprintf(buf, cap, "%ld %s: %s", resp->status, we.code, we.message);
    } else {
        snprintf(buf, cap, "HTTP %ld", resp->status);
    }
    wire_error_cleanup(&we);
}

/* Whether a failed response carries the API error `code`. */
static bool agent_is_error(const struct agent_http_resp *resp, const char *code)
{
    struct wire_error we = {0};
    struct sw_err err = {0};
    bool yes = resp->body != NULL && wire_error_decode(resp->body, resp->len, &we, &err) == 0 &&
               strcmp(we.code, code) == 0;
    wire_error_cleanup(&we);
    return yes;
}

static bool agent_is_unknown_agent(const struct agent_http_resp *resp)
{
    return resp->status == 409 && agent_is_error(resp, "unknown_agent");
}

/* POSTs an encoded message; 0 with the response, or SW_ECONNECT/... */
static int agent_post(struct agent_http *h, const char *path, char *body, int64_t extra_ms,
                      struct agent_http_resp *resp, struct sw_err *err)
{
    int rc = agent_http_post(h, path, body, extra_ms, resp, err);
    free(body);
    return rc;
}

static void agent_backoff(struct agent *a, unsigned attempt, struct sw_retry_rng *rng)
{
    int64_t ms = sw_retry_delay_ms(&a->retry, attempt, sw_retry_rng_next, rng);
    sw_clock_sleep_ms(ms, a->term);
}

/* ---- registration ------------------------------------------------------------------------- */

static int agent_register_once(struct agent *a, struct agent_http *h, struct sw_err *err)
{
    struct wire_register_req req = {.n_pools = a->cfg.pools.n_items,
                                    .pools = a->cfg.pools.items,
                                    .capacity = (int)a->cfg.workers};
    struct wire_register_resp rr = {0};
    struct agent_http_resp resp = {0};
    char *body = NULL;
    snprintf(req.agent, sizeof req.agent, "%s", a->cfg.agent_id);
    snprintf(req.version, sizeof req.version, "%s", SW_VERSION_STRING);
    int rc = wire_register_req_encode(&req, &body, err);
    if (rc == 0) {
        rc = agent_post(h, "/v1/agents/register", body, 0, &resp, err);
    }
    if (rc == 0 && resp.status != 200) {
        char text[AGENT_ERROR_TEXT_MAX];
        agent_http_error_text(&resp, text, sizeof text);
        int code = resp.status == 401 || resp.status == 403 ? SW_EAUTH : SW_ECONFLICT;
        code = agent_is_error(&resp, "protocol_mismatch") ? SW_EPROTO : code;
        rc = sw_err_set(err, code, "register: %s", text);
    }
    if (rc == 0) {
        rc = wire_register_resp_decode(resp.body, resp.len, &rr, err);
    }
    if (rc == 0) {
        pthread_mutex_lock(&a->mu);
        a->lease_ttl_ms = rr.lease_ttl_ms;
        a->heartbeat_ms = rr.heartbeat_ms;
        a->long_poll_ms = rr.long_poll_ms;
        a->coordinator_minor = rr.protocol_minor;
        a->need_register = false;
        pthread_mutex_unlock(&a->mu);
    }
    agent_http_resp_cleanup(&resp);
    return rc;
}

/* Registers, retrying while the coordinator is unreachable. 0, or the error when a
 * termination signal arrived first or the coordinator refused us (bad token). */
static int agent_register(struct agent *a, struct agent_http *h, struct sw_retry_rng *rng,
                          struct sw_err *err)
{
    for (unsigned attempt = 0;; attempt++) {
        int rc = agent_register_once(a, h, err);
        if (rc == 0) {
            log_info("registered with %s as %s (protocol %d.%d, lease ttl %lld ms, heartbeat "
                     "%lld ms)",
                     agent_http_base(h), a->cfg.agent_id, WIRE_PROTOCOL_MAJOR, a->coordinator_minor,
                     (long long)a->lease_ttl_ms, (long long)a->heartbeat_ms);
            return 0;
        }
        if (rc == SW_EAUTH || rc == SW_EPROTO || *a->term != 0) {
            return rc;
        }
        log_warn("%s (attempt %u; retrying)", err->msg, attempt + 1);
        agent_backoff(a, attempt, rng);
    }
}

/* ---- workers ------------------------------------------------------------------------------ */

struct agent_worker {
    struct agent *a;
    struct agent_http *http;
    pthread_t thread;
};

static int agent_resolve_dsn(void *ctx, const char *shard, char **dsn, struct sw_err *err)
{
    struct agent_worker *w = ctx;
    pthread_rwlock_rdlock(&w->a->dsn_lock);
    int rc = agent_dsn_resolve(&w->a->dsns, shard, agent_dsn_process_env, NULL, dsn, err);
    pthread_rwlock_unlock(&w->a->dsn_lock);
    return rc;
}

static bool agent_go_ahead(void *ctx, const char *lease)
{
    struct agent_worker *w = ctx;
    struct wire_start_req req = {0};
    struct wire_start_resp sr = {0};
    struct agent_http_resp resp = {0};
    struct sw_err err = {0};
    char path[128];
    char *body = NULL;
    snprintf(req.agent, sizeof req.agent, "%s", w->a->cfg.agent_id);
    snprintf(path, sizeof path, "/v1/leases/%s/start", lease);
    int rc = wire_start_req_encode(&req, &body, &err);
    if (rc == 0) {
        rc = agent_post(w->http, path, body, 0, &resp, &err);
    }
    if (rc == 0 && resp.status != 200) {
        char text[AGENT_ERROR_TEXT_MAX];
        agent_http_error_text(&resp, text, sizeof text);
        rc = sw_err_set(&err, SW_ECONFLICT, "%s", text);
    }
    if (rc == 0) {
        rc = wire_start_resp_decode(resp.body, resp.len, &sr, &err);
    }
    agent_http_resp_cleanup(&resp);
    if (rc != 0 || !sr.go) {
        log_write(LOG_INFO, NULL, "lease %s: no go-ahead (%s): giving it back", lease,
                  rc != 0 ? err.msg : "go: false");
        return false;
    }
    return true;
}

/* The job's work ended (its reports are queued): its slot is free. Speaking 1.2 with the
 * coordinator, the reporter asks for the slot's next lease with those reports. */
static void agent_lease_end(void *ctx)
{
    struct agent_worker *w = ctx;
    struct agent *a = w->a;
    pthread_mutex_lock(&a->mu);
    a->n_busy--;
    a->n_ends_queued++;
    if (a->coordinator_minor >= 2 && !a->shutting_down && !a->once) {
        a->n_report_slots++;
    }
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

static void agent_forget_job(struct agent *a, struct agent_job *job)
{
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < a->n_held; i++) {
        if (a->held[i] == job) {
            a->held[i] = a->held[--a->n_held];
            break;
        }
    }
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    agent_job_free(job);
}

static void *agent_worker_main(void *arg)
{
    struct agent_worker *w = arg;
    struct agent *a = w->a;
    struct agent_work_env env = {
        .agent_id = a->cfg.agent_id,
        .queue = a->queue,
        .db_connect_timeout_ms = (int)a->cfg.db_connect_timeout_ms,
        .connect_attempts = (int)a->cfg.shard_connect_attempts,
        .connect_backoff = {a->cfg.shard_connect_backoff_ms, a->cfg.shard_connect_backoff_cap_ms},
        .connect_budget_ms = a->cfg.shard_connect_budget_ms,
        .resolve_dsn = agent_resolve_dsn,
        .go_ahead = agent_go_ahead,
        .on_lease_end = agent_lease_end,
        .ctx = w,
        .metrics = a->metrics};
    for (;;) {
        pthread_mutex_lock(&a->mu);
        while (a->n_pending == 0 && !a->shutting_down) {
            pthread_cond_wait(&a->cv, &a->mu);
        }
        if (a->n_pending == 0) {
            a->n_workers_running--;
            pthread_cond_broadcast(&a->cv);
            pthread_mutex_unlock(&a->mu);
            return NULL;
        }
        struct agent_job *job = a->pending[0];
        memmove(&a->pending[0], &a->pending[1], (a->n_pending - 1) * sizeof *a->pending);
        a->n_pending--;
        pthread_mutex_unlock(&a->mu);
        agent_work_run(&env, job);
        agent_forget_job(a, job);
    }
}

/* ---- heartbeat ---------------------------------------------------------------------------- */

/* The held leases and their progress. Called with a->mu held. */
static int agent_heartbeat_req(struct agent *a, struct wire_heartbeat_req *req)
{
    memset(req, 0, sizeof *req);
    snprintf(req->agent, sizeof req->agent, "%s", a->cfg.agent_id);
    req->leases = calloc(a->n_held + 1, sizeof *req->leases);
    if (req->leases == NULL) {
        return SW_ENOMEM;
    }
    for (size_t i = 0; i < a->n_held; i++) {
        struct agent_job *job = a->held[i];
        struct wire_heartbeat_lease *hl = &req->leases[req->n_leases++];
        pthread_mutex_lock(&job->mu);
        snprintf(hl->lease, sizeof hl->lease, "%s", job->lease.lease);
        snprintf(hl->version, sizeof hl->version, "%s", job->version);
        hl->stmt_done = job->stmt_done;
        hl->stmt_total = job->stmt_total;
        pthread_mutex_unlock(&job->mu);
    }
    return 0;
}

static struct agent_job *agent_find_job(struct agent *a, const char *lease)
{
    for (size_t i = 0; i < a->n_held; i++) {
        if (strcmp(a->held[i]->lease.lease, lease) == 0) {
            return a->held[i];
        }
    }
    return NULL;
}

/* ok false: start nothing more on that lease; cancel: stop its statement now. */
static void agent_heartbeat_apply(struct agent *a, const struct wire_heartbeat_resp *hr)
{
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < hr->n_leases; i++) {
        const struct wire_heartbeat_ack *ack = &hr->leases[i];
        struct agent_job *job = agent_find_job(a, ack->lease);
        if (job == NULL) {
            continue;
        }
        if (!ack->ok && !job->stop) {
            log_info("lease %s is no longer ours: finishing the statement in flight, starting "
                     "nothing more",
                     ack->lease);
            job->stop = 1;
        }
        struct sw_err err = {0};
        if (ack->cancel && agent_job_cancel(job, &err) != 0) {
            log_warn("lease %s: cancel failed: %s", ack->lease, err.msg);
        } else if (ack->cancel) {
            log_info("lease %s: running statement cancelled at the coordinator's request",
                     ack->lease);
        }
    }
    pthread_mutex_unlock(&a->mu);
}

/* The coordinator is unreachable: nothing new may start anywhere. */
static void agent_stop_all(struct agent *a, const char *why)
{
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < a->n_held; i++) {
        if (!a->held[i]->stop) {
            log_warn("lease %s: %s: starting nothing more", a->held[i]->lease.lease, why);
            a->held[i]->stop = 1;
        }
    }
    pthread_mutex_unlock(&a->mu);
}

static void agent_heartbeat_once(struct agent *a, struct agent_http *h)
{
    struct wire_heartbeat_req req;
    struct wire_heartbeat_resp hr = {0};
    struct agent_http_resp resp = {0};
    struct sw_err err = {0};
    char *body = NULL;
    pthread_mutex_lock(&a->mu);
    int rc = a->n_held == 0 ? 1 : agent_heartbeat_req(a, &req);
    pthread_mutex_unlock(&a->mu);
    if (rc != 0) {
        return; /* nothing held (or no memory: the next beat tries again) */
    }
    rc = wire_heartbeat_req_encode(&req, &body, &err);
    wire_heartbeat_req_cleanup(&req);
    if (rc == 0) {
        rc = agent_post(h, "/v1/heartbeat", body, 0, &resp, &err);
    }
    if (rc == 0 && resp.status == 200) {
        rc = wire_heartbeat_resp_decode(resp.body, resp.len, &hr, &err);
        if (rc == 0) {
            agent_heartbeat_apply(a, &hr);
        }
    } else if (rc == 0) {
        char text[AGENT_ERROR_TEXT_MAX];
        agent_http_error_text(&resp, text, sizeof text);
        rc = sw_err_set(&err, SW_ECONFLICT, "heartbeat: %s", text);
        pthread_mutex_lock(&a->mu);
        a->need_register = a->need_register || agent_is_unknown_agent(&resp);
        pthread_mutex_unlock(&a->mu);
    }
    if (rc != 0) {
        agent_stop_all(a, err.msg);
    }
    wire_heartbeat_resp_cleanup(&hr);
    agent_http_resp_cleanup(&resp);
}

static void *agent_heartbeat_main(void *arg)
{
    struct agent *a = arg;
    struct agent_http *h = NULL;
    struct sw_err err = {0};
    if (agent_http_for(a, false, &h, &err) != 0) {
        log_error("heartbeat: %s", err.msg);
        return NULL;
    }
    pthread_mutex_lock(&a->mu);
    int64_t next_ms = sw_clock_mono_ms() + (a->heartbeat_ms > 0 ? a->heartbeat_ms : 1000);
    while (!a->workers_done) {
        /* a->cv is broadcast on every lease taken or finished: wait out the interval, or
         * each of those events costs the coordinator a heartbeat (a store write per lease) */
        int64_t left_ms = next_ms - sw_clock_mono_ms();
        if (left_ms > 0) {
            agent_timed_wait(a, left_ms);
            continue;
        }
        next_ms = sw_clock_mono_ms() + (a->heartbeat_ms > 0 ? a->heartbeat_ms : 1000);
        pthread_mutex_unlock(&a->mu);
        agent_heartbeat_once(a, h);
        pthread_mutex_lock(&a->mu);
    }
    pthread_mutex_unlock(&a->mu);
    agent_http_free(h);
    return NULL;
}

/* Turns leases (of a lease or a reports response) into pending jobs. */
static void agent_take_leases(struct agent *a, struct wire_lease *leases, size_t n)
{
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < n; i++) {
        struct wire_lease *l = &leases[i];
        log_info("lease %s: %s shard %s wave %s to %s (%zu steps)", l->lease,
                 wire_lease_kind_name(l->kind), l->shard, l->wave[0] != '\0' ? l->wave : "-",
                 l->target[0] != '\0' ? l->target : "-", l->n_steps);
        bool has_room =
            a->n_busy < (size_t)a->cfg.workers && a->n_held < 2 * (size_t)a->cfg.workers;
        struct agent_job *job = has_room ? agent_job_new(l) : NULL;
        if (job == NULL) {
            log_error("lease %s: no free slot or memory: it will expire", l->lease);
            continue;
        }
        a->n_busy++;
        a->held[a->n_held++] = job;
        a->pending[a->n_pending++] = job;
    }
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* ---- reporter ----------------------------------------------------------------------------- */

/* Protocol 1.0 coordinators refuse what 1.1 added to reports (lease_done's `failure`):
 * leave it out for them. Queued reports keep it, for a coordinator upgraded meanwhile. */
static void agent_report_downgrade(struct agent *a, struct wire_report_req *req)
{
    pthread_mutex_lock(&a->mu);
    bool is_old = a->coordinator_minor < 1;
    pthread_mutex_unlock(&a->mu);
    for (size_t i = 0; is_old && i < req->n_reports; i++) {
        req->reports[i].failure = WIRE_FAILURE_NONE;
    }
}

/* The slots the lease ends freed ask for new leases with this request (1.2 `want`). */
static void agent_report_ask(struct agent *a, struct wire_report_req *req)
{
    pthread_mutex_lock(&a->mu);
    a->n_report_asking = a->shutting_down ? 0 : a->n_report_slots; /* no work while stopping */
    a->n_report_slots = 0;
    req->want = (int)a->n_report_asking;
    pthread_mutex_unlock(&a->mu);
}

/* The request is answered (or failed): the leases it brought become jobs; slots it asked
 * for and did not get are the lease loop's again. */
static void agent_report_asked(struct agent *a, struct wire_report_resp *rr)
{
    agent_take_leases(a, rr->leases, rr->n_leases);
    pthread_mutex_lock(&a->mu);
    a->n_report_asking = 0;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* Sends the oldest reports once. 0 when sent (or nothing to send), SW_ECONNECT etc. */
static int agent_report_batch(struct agent *a, struct agent_http *h, size_t max, struct sw_err *err)
{
    struct wire_report_req req = {0};
    struct wire_report_resp rr = {0};
    struct agent_http_resp resp = {0};
    char *body = NULL;
    int rc = agent_queue_peek(a->queue, max, &req, err);
    if (rc != 0 || req.n_reports == 0) {
        goto out;
    }
    agent_report_downgrade(a, &req);
    agent_report_ask(a, &req);
    rc = wire_report_req_encode(&req, &body, err);
    if (rc == 0) {
        rc = agent_post(h, AGENT_REPORT_PATH, body, 0, &resp, err);
    }
    if (rc == 0 && resp.status == 200) {
        rc = wire_report_resp_decode(resp.body, resp.len, &rr, err);
        if (rc == 0) {
            rc = agent_queue_ack(a->queue, rr.accepted, rr.n_accepted, err);
        }
        if (rc == 0) {
            rc = agent_queue_ack(a->queue, rr.duplicates, rr.n_duplicates, err);
        }
    } else if (rc == 0) {
        char text[AGENT_ERROR_TEXT_MAX];
        agent_http_error_text(&resp, text, sizeof text);
        if (resp.status == 400 && req.n_reports == 1) {
            log_error("report %s refused for good: %s", req.reports[0].id, text);
            agent_queue_reject(a->queue, req.reports[0].id, err);
            goto out;
        }
        pthread_mutex_lock(&a->mu);
        a->need_register = a->need_register || agent_is_unknown_agent(&resp);
        pthread_mutex_unlock(&a->mu);
        rc = sw_err_set(err, resp.status == 400 ? SW_EINVAL : SW_ECONFLICT, "reports: %s", text);
    }
out:
    if (req.want > 0) {
        agent_report_asked(a, &rr);
    }
    wire_report_req_cleanup(&req);
    wire_report_resp_cleanup(&rr);
    agent_http_resp_cleanup(&resp);
    return rc;
}

/* Nothing to report: slots kept for the reporter (a lease end whose reports went out
 * with an earlier request) go to the lease loop. */
static void agent_report_release(struct agent *a)
{
    pthread_mutex_lock(&a->mu);
    if (a->n_report_slots > 0) {
        a->n_report_slots = 0;
        pthread_cond_broadcast(&a->cv);
    }
    pthread_mutex_unlock(&a->mu);
}

/* How long queued reports may wait before they are sent: 0 (now) when a lease's end is
 * among them (the coordinator frees its slot when it arrives), there is more than a batch,
 * or the agent stops; step reports alone wait up to AGENT_STEP_HOLD_MS from the first
 * one for others (one request and one commit at the coordinator for several steps,
 * instead of one per step; each is on disk already). Called with a->mu held. */
static int64_t agent_report_hold_ms(const struct agent *a, size_t n_queued, int64_t *since_ms)
{
    if (a->n_ends_queued > 0 || n_queued >= AGENT_REPORT_BATCH || a->workers_done ||
        a->shutting_down) {
        return 0;
    }
    int64_t now = sw_clock_mono_ms();
    *since_ms = *since_ms != 0 ? *since_ms : now;
    int64_t left = *since_ms + AGENT_STEP_HOLD_MS - now;
    return left > 0 ? left : 0;
}

/* Waits while the queued reports may wait; true when they go now (the lease ends among
 * them counted as sent: *n_ends). */
static bool agent_report_due(struct agent *a, size_t n_queued, int64_t *since_ms, size_t *n_ends)
{
    pthread_mutex_lock(&a->mu);
    int64_t hold = agent_report_hold_ms(a, n_queued, since_ms);
    if (hold > 0) {
        agent_timed_wait(a, hold);
    } else {
        *n_ends = a->n_ends_queued;
        a->n_ends_queued = 0;
        *since_ms = 0;
    }
    pthread_mutex_unlock(&a->mu);
    return hold == 0;
}

static void *agent_reporter_main(void *arg)
{
    struct agent *a = arg;
    struct agent_http *h = NULL;
    struct sw_err err = {0};
    struct sw_retry_rng rng;
    unsigned attempt = 0;
    size_t max = AGENT_REPORT_BATCH;
    int64_t deadline_ms = 0;
    int64_t since_ms = 0; /* step reports alone queued since (monotonic), 0 = none */
    sw_retry_rng_seed(&rng, (uint64_t)sw_clock_wall_ms() ^ ((uint64_t)getpid() << 32));
    if (agent_http_for(a, false, &h, &err) != 0) {
        log_error("reporter: %s", err.msg);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&a->mu);
        bool done = a->workers_done;
        pthread_mutex_unlock(&a->mu);
        if (done && deadline_ms == 0) {
            deadline_ms = sw_clock_mono_ms() + AGENT_FINAL_FLUSH_MS;
        }
        size_t n = agent_queue_len(a->queue);
        if (done && (n == 0 || sw_clock_mono_ms() > deadline_ms)) {
            if (n > 0) {
                log_warn("%zu reports stay queued in %s for the next start", n, a->cfg.state_dir);
            }
            break;
        }
        if (n == 0) {
            /* woken when a job finishes (its lease_done report is queued): the coordinator
             * frees the shard's slot only once the report arrives */
            agent_report_release(a);
            since_ms = 0;
            pthread_mutex_lock(&a->mu);
            if (!a->workers_done && agent_queue_len(a->queue) == 0) {
                agent_timed_wait(a, AGENT_REPORT_POLL_MS);
            }
            pthread_mutex_unlock(&a->mu);
            continue;
        }
        size_t n_ends = 0;
        if (!agent_report_due(a, n, &since_ms, &n_ends)) {
            continue;
        }
        int rc = agent_report_batch(a, h, max, &err);
        if (rc == 0) {
            attempt = 0;
            max = AGENT_REPORT_BATCH;
            continue;
        }
        pthread_mutex_lock(&a->mu);
        a->n_ends_queued += n_ends; /* not delivered: they still go first */
        pthread_mutex_unlock(&a->mu);
        /* one by one after a 400, so the one bad report is found and set aside */
        max = rc == SW_EINVAL ? 1 : max;
        log_warn("delivering reports: %s (%zu queued; retrying)", err.msg, n);
        int64_t ms = sw_retry_delay_ms(&a->retry, attempt++, sw_retry_rng_next, &rng);
        sw_clock_sleep_ms(ms, NULL);
    }
    agent_http_free(h);
    return NULL;
}

/* ---- the lease loop ----------------------------------------------------------------------- */

/* One long-poll for up to `free_slots` leases. */
static int agent_poll_leases(struct agent *a, struct agent_http *h, int free_slots,
                             struct sw_err *err)
{
    struct wire_lease_req req = {.max = free_slots, .wait_ms = a->long_poll_ms};
    struct wire_lease_resp lr = {0};
    struct agent_http_resp resp = {0};
    char *body = NULL;
    snprintf(req.agent, sizeof req.agent, "%s", a->cfg.agent_id);
    int rc = wire_lease_req_encode(&req, &body, err);
    if (rc == 0) {
        rc = agent_post(h, "/v1/leases", body, a->long_poll_ms, &resp, err);
    }
    if (rc == 0 && resp.status != 200) {
        char text[AGENT_ERROR_TEXT_MAX];
        agent_http_error_text(&resp, text, sizeof text);
        pthread_mutex_lock(&a->mu);
        a->need_register = a->need_register || agent_is_unknown_agent(&resp);
        pthread_mutex_unlock(&a->mu);
        rc = sw_err_set(err, SW_ECONFLICT, "lease request: %s", text);
    }
    if (rc == 0) {
        rc = wire_lease_resp_decode(resp.body, resp.len, &lr, err);
    }
    if (rc == 0) {
        pthread_mutex_lock(&a->mu);
        a->coordinator_minor = lr.protocol_minor; /* an upgraded or another coordinator */
        pthread_mutex_unlock(&a->mu);
        agent_take_leases(a, lr.leases, lr.n_leases);
    }
    wire_lease_resp_cleanup(&lr);
    agent_http_resp_cleanup(&resp);
    return rc;
}

static void agent_reload_dsns(struct agent *a)
{
    struct agent_config fresh = {0};
    struct agent_dsn_table t = {0};
    struct sw_err err = {0};
    int rc = agent_config_load(a->config_path, &fresh, &err);
    if (rc == 0) {
        rc = cfgtab_check_reload(agent_config_table(), &a->cfg, &fresh, NULL, &err);
    }
    if (rc == 0) {
        rc = agent_dsn_table_load(&t, fresh.dsn_template, fresh.password_file, fresh.shards_file,
                                  &err);
    }
    agent_config_cleanup(&fresh);
    if (rc != 0) {
        log_error("SIGHUP: shard DSNs not reloaded: %s", err.msg);
        return;
    }
    pthread_rwlock_wrlock(&a->dsn_lock);
    agent_dsn_table_cleanup(&a->dsns);
    a->dsns = t;
    pthread_rwlock_unlock(&a->dsn_lock);
    log_info("SIGHUP: shard DSN table reloaded (%zu listed shards%s)", t.n_shards,
             t.dsn_template != NULL ? ", template" : "");
}

/* The main thread's loop until a termination signal (or one cycle with --once). */
static void agent_lease_loop(struct agent *a, struct agent_http *h, struct sw_retry_rng *rng)
{
    unsigned attempt = 0;
    struct sw_err err = {0};
    while (*a->term == 0) {
        if (*a->hup != 0) {
            a->hup_clear();
            agent_reload_dsns(a);
        }
        pthread_mutex_lock(&a->mu);
        bool reregister = a->need_register;
        int free_slots =
            (int)a->cfg.workers - (int)a->n_busy - (int)a->n_report_slots - (int)a->n_report_asking;
        if (free_slots <= 0) {
            agent_timed_wait(a, AGENT_IDLE_WAIT_MS);
        }
        pthread_mutex_unlock(&a->mu);
        if (reregister && agent_register(a, h, rng, &err) != 0) {
            log_error("%s", err.msg);
            return;
        }
        if (free_slots <= 0) {
            continue;
        }
        if (agent_poll_leases(a, h, free_slots, &err) == 0) {
            attempt = 0;
            if (a->once) {
                return;
            }
            continue;
        }
        if (*a->term == 0) {
            log_warn("%s (retrying)", err.msg);
            agent_backoff(a, attempt++, rng);
        }
    }
}

/* Take no new work: queued leases are given back (unless --once), running ones finish
 * (a second signal stops them after the statement in flight). */
static void agent_shutdown_workers(struct agent *a, struct agent_worker *workers, size_t n)
{
    pthread_mutex_lock(&a->mu);
    a->shutting_down = true;
    for (size_t i = 0; i < a->n_pending && !a->once; i++) {
        a->pending[i]->stop = 1;
    }
    pthread_cond_broadcast(&a->cv);
    while (a->n_workers_running > 0) {
        agent_timed_wait(a, AGENT_IDLE_WAIT_MS);
        if (*a->term > 1) {
            pthread_mutex_unlock(&a->mu);
            agent_stop_all(a, "second termination signal");
            pthread_mutex_lock(&a->mu);
        }
    }
    pthread_mutex_unlock(&a->mu);
    for (size_t i = 0; i < n; i++) {
        pthread_join(workers[i].thread, NULL);
        agent_http_free(workers[i].http);
    }
    pthread_mutex_lock(&a->mu);
    a->workers_done = true;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* Starts the reporter, the heartbeat and the workers; *n_started counts the workers,
 * *aux_started says whether reporter and heartbeat run (both or neither). */
static int agent_start_threads(struct agent *a, struct agent_worker *workers, size_t *n_started,
                               bool *aux_started, pthread_t aux[2], struct sw_err *err)
{
    *n_started = 0;
    *aux_started = false;
    if (pthread_create(&aux[0], NULL, agent_reporter_main, a) != 0) {
        return sw_err_set(err, SW_EINTERNAL, "cannot start the reporter thread");
    }
    if (pthread_create(&aux[1], NULL, agent_heartbeat_main, a) != 0) {
        pthread_mutex_lock(&a->mu);
        a->workers_done = true; /* lets the reporter exit */
        pthread_mutex_unlock(&a->mu);
        pthread_join(aux[0], NULL);
        return sw_err_set(err, SW_EINTERNAL, "cannot start the heartbeat thread");
    }
    *aux_started = true;
    for (size_t i = 0; i < (size_t)a->cfg.workers; i++) {
        workers[i].a = a;
        int rc = agent_http_for(a, false, &workers[i].http, err);
        if (rc != 0) {
            return rc;
        }
        pthread_mutex_lock(&a->mu);
        a->n_workers_running++;
        pthread_mutex_unlock(&a->mu);
        if (pthread_create(&workers[i].thread, NULL, agent_worker_main, &workers[i]) != 0) {
            pthread_mutex_lock(&a->mu);
            a->n_workers_running--;
            pthread_mutex_unlock(&a->mu);
            agent_http_free(workers[i].http);
            return sw_err_set(err, SW_EINTERNAL, "cannot start worker %zu", i + 1);
        }
        *n_started = i + 1;
    }
    return 0;
}

int agent_run(struct agent *a)
{
    struct agent_http *h = NULL;
    struct agent_worker *workers = calloc((size_t)a->cfg.workers, sizeof *workers);
    struct sw_retry_rng rng;
    struct sw_err err = {0};
    size_t n_workers = 0;
    bool aux_started = false;
    pthread_t aux[2];
    sw_retry_rng_seed(&rng, (uint64_t)sw_clock_wall_ms() ^ (uint64_t)getpid());
    int rc = workers == NULL ? sw_err_set(&err, SW_ENOMEM, "out of memory") : 0;
    if (rc == 0) {
        rc = agent_http_for(a, true, &h, &err);
    }
    if (rc == 0) {
        rc = agent_register(a, h, &rng, &err);
    }
    if (rc == 0) {
        rc = agent_start_threads(a, workers, &n_workers, &aux_started, aux, &err);
    }
    if (rc == 0) {
        agent_lease_loop(a, h, &rng);
        log_info("stopping: taking no new work, finishing current work, flushing reports");
    }
    if (aux_started) {
        agent_shutdown_workers(a, workers, n_workers);
        pthread_join(aux[0], NULL);
        pthread_join(aux[1], NULL);
    }
    agent_http_free(h);
    free(workers);
    if (rc != 0 && *a->term == 0) {
        log_error("%s", err.msg);
        return sw_err_exit_code(rc);
    }
    return 0;
}
