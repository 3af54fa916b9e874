/*
 * Running one lease (see agent_work.h). Order matters: verify the SQL, connect, get
 * the go-ahead, run. Nothing touches the shard before the go-ahead except reading
 * (connecting); the runner re-reads the history before each plan, so a re-dispatched
 * lease never applies a step twice. Lock order: job->mu is a leaf lock.
 */
#include "daemon/agent_work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/agent_metrics.h"
#include "runner/runner.h"
#include "sw/checksum.h"
#include "sw/clock.h"
#include "sw/log.h"
#include "sw/migset.h"

#define AGENT_WORK_KV_MAX         512
#define AGENT_WORK_SLEEP_SLICE_MS 100 /* a retry's sleep notices a stopping job this fast */
#define AGENT_WORK_HOLD_MAX       64  /* reports held for one queue file */

struct agent_job *agent_job_new(struct wire_lease *lease)
{
    struct agent_job *job = calloc(1, sizeof *job);
    if (job == NULL) {
        return NULL;
    }
    job->lease = *lease;
    memset(lease, 0, sizeof *lease);
    pthread_mutex_init(&job->mu, NULL);
    return job;
}

void agent_job_free(struct agent_job *job)
{
    if (job == NULL) {
        return;
    }
    wire_lease_cleanup(&job->lease);
    pthread_mutex_destroy(&job->mu);
    free(job);
}

int agent_job_cancel(struct agent_job *job, struct sw_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&job->mu);
    if (job->eng != NULL && job->version[0] != '\0') {
        rc = engine_cancel(job->eng, err);
    }
    pthread_mutex_unlock(&job->mu);
    return rc;
}

/* Per-run state shared with the runner's event callback. */
struct agent_run {
    const struct agent_work_env *env;
    struct agent_job *job;
    char kv[AGENT_WORK_KV_MAX]; /* log context */
    int64_t step_started_ms;    /* wall clock */
    int64_t step_t0_ms;         /* monotonic */
    char failed_version[VERSION_TEXT_MAX];
    enum migset_dir failed_dir;
    int64_t failed_started_ms;
    int64_t failed_duration_ms;
    char failed_error[SW_ERR_MSG_MAX];
    bool step_began; /* a step started on the shard during this lease */
    struct sw_retry_rng rng;
    /* reports not yet queued: queued together (one file, one fsync) at the next step's
     * start and at the end of the lease, so the last step's report and the lease_done
     * (one transaction per shard: all the step reports) share a file */
    struct wire_report held[AGENT_WORK_HOLD_MAX];
    size_t n_held;
};

/* Fills the fields every report of this lease shares. */
static void agent_work_report_init(const struct agent_run *run, struct wire_report *r,
                                   enum wire_report_kind kind)
{
    const struct wire_lease *l = &run->job->lease;
    memset(r, 0, sizeof *r);
    snprintf(r->lease, sizeof r->lease, "%s", l->lease);
    snprintf(r->wave, sizeof r->wave, "%s", l->wave);
    snprintf(r->shard, sizeof r->shard, "%s", l->shard);
    r->kind = kind;
}

/* Queues the held reports in one file and frees what they own. */
static void agent_work_flush(struct agent_run *run)
{
    struct sw_err err = {0};
    if (run->n_held == 0) {
        return;
    }
    if (agent_queue_push_batch(run->env->queue, run->held, run->n_held, &err) != 0) {
        log_write(LOG_ERROR, run->kv, "cannot queue %zu report%s: %s", run->n_held,
                  run->n_held == 1 ? "" : "s", err.msg);
    }
    for (size_t i = 0; i < run->n_held; i++) {
        wire_report_cleanup(&run->held[i]);
    }
    run->n_held = 0;
}

/* Holds r (moved: the run owns what it owns) until the next flush. */
static void agent_work_push(struct agent_run *run, struct wire_report *r)
{
    if (run->n_held == AGENT_WORK_HOLD_MAX) {
        agent_work_flush(run);
    }
    run->held[run->n_held++] = *r;
    memset(r, 0, sizeof *r);
}

static char *agent_work_error_text(const char *msg)
{
    return msg == NULL ? NULL : wire_text_sanitize(msg, strlen(msg), WIRE_ERROR_TEXT_MAX);
}

static void agent_work_report_step(struct agent_run *run, const char *version, enum migset_dir dir,
                                   enum wire_outcome outcome, int64_t started_ms,
                                   int64_t duration_ms, const char *error)
{
    struct wire_report r;
    agent_work_report_init(run, &r, WIRE_REPORT_STEP);
    snprintf(r.version, sizeof r.version, "%s", version);
    r.direction = dir;
    r.outcome = outcome;
    r.started_at_ms = started_ms;
    r.duration_ms = duration_ms < 0 ? 0 : duration_ms;
    r.error = agent_work_error_text(error);
    agent_work_push(run, &r);
    agent_metrics_step(run->env->metrics, run->job->lease.engine, outcome, duration_ms);
}

static void agent_work_report_failure(struct agent_run *run, enum wire_outcome outcome,
                                      const char *shard_version, enum wire_health health,
                                      enum wire_failure failure, const char *error)
{
    struct wire_report r;
    enum wire_failure why = outcome == WIRE_OUT_FAILED ? failure : WIRE_FAILURE_NONE;
    agent_work_report_init(run, &r, WIRE_REPORT_LEASE_DONE);
    r.outcome = outcome;
    r.failure = why;
    snprintf(r.shard_version, sizeof r.shard_version, "%s",
             shard_version != NULL ? shard_version : "");
    r.shard_health = health;
    r.error = agent_work_error_text(error);
    agent_work_push(run, &r);
    log_write(outcome == WIRE_OUT_FAILED || outcome == WIRE_OUT_REFUSED ? LOG_WARN : LOG_INFO,
              run->kv, "lease %s%s%s: shard at version %s%s%s", wire_outcome_name(outcome),
              why != WIRE_FAILURE_NONE ? " " : "",
              why != WIRE_FAILURE_NONE ? wire_failure_name(why) : "",
              shard_version != NULL && shard_version[0] != '\0' ? shard_version : "?",
              error != NULL ? ": " : "", error != NULL ? error : "");
}

static void agent_work_report_done(struct agent_run *run, enum wire_outcome outcome,
                                   const char *shard_version, enum wire_health health,
                                   const char *error)
{
    agent_work_report_failure(run, outcome, shard_version, health,
                              outcome == WIRE_OUT_FAILED ? WIRE_FAILURE_ERROR : WIRE_FAILURE_NONE,
                              error);
}

static void agent_work_set_progress(struct agent_job *job, const char *version, int64_t done,
                                    int64_t total)
{
    pthread_mutex_lock(&job->mu);
    snprintf(job->version, sizeof job->version, "%s", version);
    job->stmt_done = done;
    job->stmt_total = total;
    pthread_mutex_unlock(&job->mu);
}

/* Runner events -> step reports. Failures are reported after the run, once the
 * history says whether the step failed cleanly or left the shard dirty. */
static void agent_work_on_event(void *ctx, const struct runner_event *ev)
{
    struct agent_run *run = ctx;
    switch (ev->kind) {
    case RUNNER_EV_STEP_START:
        agent_work_flush(run); /* the previous step's report */
        run->step_began = true;
        run->step_started_ms = sw_clock_wall_ms();
        run->step_t0_ms = sw_clock_mono_ms();
        agent_work_set_progress(run->job, ev->version_text, 0, (int64_t)ev->stmt_total);
        log_write(LOG_INFO, run->kv, "%s %s", ev->dir == MIGSET_UP ? "applying" : "undoing",
                  ev->script);
        break;
    case RUNNER_EV_STEP_DONE: /* one transaction per shard: all after the commit */
        agent_work_report_step(run, ev->version_text, ev->dir, WIRE_OUT_APPLIED, ev->started_ms,
                               ev->duration_ms, NULL);
        agent_work_set_progress(run->job, "", 0, 0);
        break;
    case RUNNER_EV_STEP_FAILED:
        snprintf(run->failed_version, sizeof run->failed_version, "%s", ev->version_text);
        run->failed_dir = ev->dir;
        run->failed_started_ms = run->step_started_ms;
        run->failed_duration_ms = sw_clock_mono_ms() - run->step_t0_ms;
        snprintf(run->failed_error, sizeof run->failed_error, "%s",
                 ev->error != NULL ? ev->error->msg : "failed");
        agent_work_set_progress(run->job, "", 0, 0);
        break;
    case RUNNER_EV_LOCK_ACQUIRED:
    case RUNNER_EV_LOCK_RETRY:
    case RUNNER_EV_STEP_PLANNED:
        break;
    }
}

/* Every step's SQL must match its checksum, and the steps must form a valid set. */
static int agent_work_build_set(const struct wire_lease *l, struct migset **set, struct sw_err *err)
{
    struct migset_mem_file *files = calloc(l->n_steps + 1, sizeof *files);
    char origin[128];
    int rc = 0;
    *set = NULL;
    if (files == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < l->n_steps && rc == 0; i++) {
        const struct wire_step *s = &l->steps[i];
        char sum[CHECKSUM_HEX_LEN + 1];
        rc = checksum_sha256_hex(s->sql, s->sql_len, sum, err);
        if (rc == 0 && strcmp(sum, s->checksum) != 0) {
            rc = sw_err_set(err, SW_ECHECKSUM,
                            "%s: the SQL does not match its checksum (sent %.12s, SQL hashes to "
                            "%.12s)",
                            s->script, s->checksum, sum);
        }
        files[i] =
            (struct migset_mem_file){.name = s->script, .content = s->sql, .len = s->sql_len};
    }
    snprintf(origin, sizeof origin, "lease %s", l->lease);
    struct migset_load_opts opts = {.skip_manifest = true, .origin = origin};
    if (rc == 0) {
        rc = migset_load_files(files, l->n_steps, &opts, set, err);
    }
    free(files);
    return rc;
}

/* The lease's timeouts as runner options. */
static void agent_work_opts(const struct agent_run *run, const struct migset *set,
                            struct runner_opts *o)
{
    const struct wire_lease *l = &run->job->lease;
    const struct wire_timeouts *t = &l->timeouts;
    runner_opts_init(o, set);
    o->wave = l->wave[0] != '\0' ? l->wave : NULL;
    o->agent = run->env->agent_id;
    o->on_event = agent_work_on_event;
    o->ctx = (void *)run;
    o->stop = (volatile int *)&run->job->stop;
    o->one_transaction = l->transaction == WIRE_TXN_SHARD;
    if (!l->has_timeouts) {
        return;
    }
    o->lock_wait_ms = (int)t->lock_wait_ms;
    o->statement_timeout_ms = (int)t->statement_timeout_ms;
    o->lock_policy.n_attempts = t->n_lock_timeouts;
    for (size_t i = 0; i < t->n_lock_timeouts && i < RUNNER_MAX_LOCK_ATTEMPTS; i++) {
        size_t p = i < t->n_lock_pauses ? i : t->n_lock_pauses - 1;
        o->lock_policy.lock_timeout_ms[i] = (int)t->lock_timeouts_ms[i];
        o->lock_policy.pause_ms[i] = t->n_lock_pauses > 0 ? (int)t->lock_pauses_ms[p] : 0;
    }
}

/* The shard's real state after a run: version and health. */
static enum wire_health agent_work_health(struct engine *eng, const struct migset *set,
                                          char version[VERSION_TEXT_MAX])
{
    struct runner_status st = {0};
    struct sw_err err = {0};
    enum wire_health h = WIRE_HEALTH_UNKNOWN;
    version[0] = '\0';
    if (runner_status(eng, set, &st, &err) == 0) {
        snprintf(version, VERSION_TEXT_MAX, "%s", st.current_text);
        h = st.is_dirty ? WIRE_HEALTH_DIRTY : WIRE_HEALTH_OK;
        for (size_t i = 0; i < st.n_items && h == WIRE_HEALTH_OK; i++) {
            if (st.items[i].state == RUNNER_STATE_CHECKSUM_MISMATCH) {
                h = WIRE_HEALTH_CHECKSUM_MISMATCH;
            }
        }
    }
    runner_status_cleanup(&st);
    return h;
}

/* Why a run failed, for the coordinator's resume: nothing started and the database was
 * gone; a lock the step (or the migrator lock) never got; anything else. */
static enum wire_failure agent_work_failure(const struct agent_run *run, int rc,
                                            enum wire_health health)
{
    if (rc == SW_ECONNECT && !run->step_began) {
        return WIRE_FAILURE_UNREACHABLE;
    }
    if (rc == SW_ELOCKED && health != WIRE_HEALTH_DIRTY) {
        return WIRE_FAILURE_LOCK_TIMEOUT;
    }
    return WIRE_FAILURE_ERROR;
}

/* Runs migrate/rollback steps after the go-ahead and reports the outcome. With
 * may_retry, returns SW_ECONNECT (the error in *lost) without reporting when the
 * connection was lost before any step started: the caller reconnects and calls again
 * (the runner re-reads the history first). */
static int agent_work_steps(struct agent_run *run, struct engine *eng, const struct migset *set,
                            bool may_retry, struct sw_err *lost)
{
    const struct wire_lease *l = &run->job->lease;
    struct runner_opts opts;
    struct runner_result res;
    struct version target = {0};
    struct sw_err err = {0};
    char shard_version[VERSION_TEXT_MAX];
    agent_work_opts(run, set, &opts);
    int rc = version_parse_str(l->target, &target, &err);
    bool down = l->kind == WIRE_LEASE_ROLLBACK || l->direction == MIGSET_DOWN;
    if (rc == 0) {
        rc = down ? runner_undo(eng, &opts, &target, &res, &err)
                  : runner_migrate(eng, &opts, &target, &res, &err);
    }
    if (rc == SW_ECONNECT && !run->step_began && may_retry && !run->job->stop) {
        sw_err_copy(lost, &err);
        return rc;
    }
    enum wire_health health = WIRE_HEALTH_OK;
    if (rc == 0) {
        /* every step applied under the migrator lock, after the runner refused a dirty
         * shard and edited migrations: the shard is at the run's end version, healthy;
         * no read-back (a catalog query and the history on the database server) */
        snprintf(shard_version, sizeof shard_version, "%s", res.to_text);
    } else {
        health = agent_work_health(eng, set, shard_version);
    }
    if (run->failed_version[0] != '\0') {
        agent_work_report_step(run, run->failed_version, run->failed_dir,
                               health == WIRE_HEALTH_DIRTY ? WIRE_OUT_DIRTY : WIRE_OUT_FAILED,
                               run->failed_started_ms, run->failed_duration_ms, run->failed_error);
    }
    enum wire_outcome outcome = WIRE_OUT_DONE;
    if (rc != 0) {
        /* stopped between steps (lease lost, coordinator unreachable, shutdown): the
         * shard is given back where it stands; the next holder re-reads its history */
        outcome =
            run->job->stop && run->failed_version[0] == '\0' ? WIRE_OUT_RELEASED : WIRE_OUT_FAILED;
    }
    if (rc == SW_ECONNECT && !run->step_began) {
        health = WIRE_HEALTH_UNREACHABLE;
    }
    agent_work_report_failure(run, outcome, shard_version, health,
                              agent_work_failure(run, rc, health), rc != 0 ? err.msg : NULL);
    return 0;
}

/* Gate: the stage's SQL must return a true first value. */
static void agent_work_gate(struct agent_run *run, struct engine *eng)
{
    struct engine_rows *rows = NULL;
    struct sw_err err = {0};
    int rc = engine_query(eng, run->job->lease.sql, NULL, 0, &rows, &err);
    const char *v = rc == 0 ? engine_rows_get(rows, 0, 0) : NULL;
    bool ok = v != NULL && (strcmp(v, "t") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
                            strcmp(v, "TRUE") == 0);
    if (rc == 0 && !ok) {
        sw_err_set(&err, SW_ECONFLICT, "gate returned %s", v != NULL ? v : "no value");
    }
    agent_work_report_done(run, ok ? WIRE_OUT_GATE_PASSED : WIRE_OUT_GATE_FAILED, NULL,
                           WIRE_HEALTH_UNKNOWN, ok ? NULL : err.msg);
    engine_rows_free(rows);
}

/* Inventory: applied versions with checksums, health, fingerprint. Read-only. */
static void agent_work_inventory(struct agent_run *run, struct engine *eng,
                                 const struct migset *set)
{
    struct runner_status st = {0};
    struct wire_report r;
    struct sw_err err = {0};
    agent_work_report_init(run, &r, WIRE_REPORT_INVENTORY);
    int rc = runner_status(eng, set, &st, &err);
    if (rc == 0) {
        rc = engine_schema_fingerprint(eng, r.fingerprint, &err);
    }
    r.applied = rc == 0 ? calloc(st.n_items + 1, sizeof *r.applied) : NULL;
    for (size_t i = 0; r.applied != NULL && i < st.n_items; i++) {
        const struct runner_item *it = &st.items[i];
        if (it->applied_checksum[0] == '\0' || r.n_applied >= WIRE_MAX_APPLIED) {
            continue;
        }
        struct wire_applied *a = &r.applied[r.n_applied++];
        snprintf(a->version, sizeof a->version, "%s", it->version_text);
        snprintf(a->checksum, sizeof a->checksum, "%s", it->applied_checksum);
    }
    r.shard_health =
        rc != 0 ? WIRE_HEALTH_UNREACHABLE : (st.is_dirty ? WIRE_HEALTH_DIRTY : WIRE_HEALTH_OK);
    snprintf(r.shard_version, sizeof r.shard_version, "%s", rc == 0 ? st.current_text : "");
    r.error = rc != 0 ? agent_work_error_text(err.msg) : NULL;
    runner_status_cleanup(&st);
    agent_work_push(run, &r);
    log_write(LOG_INFO, run->kv, "inventory reported");
}

static int agent_work_connect_once(struct agent_run *run, struct engine **eng, struct sw_err *err)
{
    char *dsn = NULL;
    int rc = run->env->resolve_dsn(run->env->ctx, run->job->lease.shard, &dsn, err);
    if (rc == 0) {
        rc = engine_open(dsn, run->env->db_connect_timeout_ms, eng, err);
    }
    if (dsn != NULL) {
        memset(dsn, 0, strlen(dsn));
        free(dsn);
    }
    if (rc == 0) {
        pthread_mutex_lock(&run->job->mu);
        run->job->eng = *eng;
        pthread_mutex_unlock(&run->job->mu);
    }
    return rc;
}

static void agent_work_disconnect(struct agent_run *run, struct engine *eng)
{
    pthread_mutex_lock(&run->job->mu);
    run->job->eng = NULL;
    pthread_mutex_unlock(&run->job->mu);
    engine_close(eng);
}

/* Sleeps ms in short slices, returning early once the job must stop. */
static void agent_work_sleep(struct agent_job *job, int64_t ms)
{
    int64_t until = sw_clock_mono_ms() + ms;
    for (int64_t left = ms; left > 0 && !job->stop; left = until - sw_clock_mono_ms()) {
        sw_clock_sleep_ms(left < AGENT_WORK_SLEEP_SLICE_MS ? left : AGENT_WORK_SLEEP_SLICE_MS,
                          NULL);
    }
}

/* The delay before retry `attempt` (0-based), or -1 when no retry is left: attempts used
 * up, the budget spent (the last delay is cut to what is left), or the job stopping. */
static int64_t agent_work_next_delay(struct agent_run *run, unsigned attempt, int64_t t0_ms)
{
    const struct agent_work_env *env = run->env;
    int64_t left = env->connect_budget_ms - (sw_clock_mono_ms() - t0_ms);
    if ((int)attempt + 1 >= env->connect_attempts || left <= 0 || run->job->stop ||
        sw_retry_policy_check(&env->connect_backoff, NULL) != 0) {
        return -1;
    }
    int64_t ms = sw_retry_delay_ms(&env->connect_backoff, attempt, sw_retry_rng_next, &run->rng);
    return ms < left ? ms : left;
}

/* Connects, retrying an unreachable database (SW_ECONNECT: refused, timed out, shutting
 * down; the drivers also report a refused login so) with backoff within the attempts and
 * the budget; other errors (no DSN for the shard, a malformed DSN) fail at once. */
static int agent_work_connect(struct agent_run *run, struct engine **eng, struct sw_err *err)
{
    int64_t t0_ms = sw_clock_mono_ms();
    for (unsigned attempt = 0;; attempt++) {
        int rc = agent_work_connect_once(run, eng, err);
        if (rc != SW_ECONNECT) {
            return rc;
        }
        int64_t delay_ms = agent_work_next_delay(run, attempt, t0_ms);
        if (delay_ms < 0) {
            sw_err_prefix(err, "unreachable after %u attempt%s in %lld ms", attempt + 1,
                          attempt == 0 ? "" : "s", (long long)(sw_clock_mono_ms() - t0_ms));
            return rc;
        }
        log_write(LOG_WARN, run->kv,
                  "shard database unreachable (attempt %u of %d): %s; retrying in %lld ms",
                  attempt + 1, run->env->connect_attempts, err->msg, (long long)delay_ms);
        agent_work_sleep(run->job, delay_ms);
    }
}

/* Runs the steps; a connection lost before any step started is reconnected (with the
 * connect retry) and the run starts over from the history. *eng may be replaced (NULL
 * when the reconnect failed). */
static void agent_work_steps_retry(struct agent_run *run, struct engine **eng,
                                   const struct migset *set)
{
    struct sw_err err = {0};
    /* bounded: each lost connection counts as an attempt */
    for (int lost = 1;
         agent_work_steps(run, *eng, set, lost < run->env->connect_attempts, &err) == SW_ECONNECT;
         lost++) {
        log_write(LOG_WARN, run->kv, "connection lost before any step started: %s", err.msg);
        agent_work_disconnect(run, *eng);
        *eng = NULL;
        if (agent_work_connect(run, eng, &err) != 0) {
            bool stop = run->job->stop; /* nothing ran: given back */
            agent_work_report_failure(
                run, stop ? WIRE_OUT_RELEASED : WIRE_OUT_FAILED, NULL, WIRE_HEALTH_UNREACHABLE,
                agent_work_failure(run, err.code, WIRE_HEALTH_UNREACHABLE), stop ? NULL : err.msg);
            return;
        }
        log_write(LOG_INFO, run->kv, "reconnected: running the steps again from the history");
    }
}

/* Connected: go-ahead (not for inventory), then the work of the lease's kind. */
static void agent_work_connected(struct agent_run *run, struct engine **eng,
                                 const struct migset *set)
{
    struct agent_job *job = run->job;
    enum wire_lease_kind kind = job->lease.kind;
    if (kind != WIRE_LEASE_INVENTORY) {
        if (job->stop || !run->env->go_ahead(run->env->ctx, job->lease.lease)) {
            agent_work_report_done(run, WIRE_OUT_RELEASED, NULL, WIRE_HEALTH_UNKNOWN, NULL);
            return;
        }
        job->started = true;
    }
    switch (kind) {
    case WIRE_LEASE_MIGRATE:
    case WIRE_LEASE_ROLLBACK:
        agent_work_steps_retry(run, eng, set);
        break;
    case WIRE_LEASE_GATE:
        agent_work_gate(run, *eng);
        break;
    case WIRE_LEASE_INVENTORY:
        agent_work_inventory(run, *eng, set);
        break;
    case WIRE_LEASE_KIND_COUNT:
        break;
    }
}

void agent_work_run(const struct agent_work_env *env, struct agent_job *job)
{
    struct agent_run run = {.env = env, .job = job};
    struct migset *set = NULL;
    struct engine *eng = NULL;
    struct sw_err err = {0};
    const struct wire_lease *l = &job->lease;
    snprintf(run.kv, sizeof run.kv, "lease=%s wave=%s shard=%s kind=%s", l->lease,
             l->wave[0] != '\0' ? l->wave : "-", l->shard, wire_lease_kind_name(l->kind));
    sw_retry_rng_seed(&run.rng, (uint64_t)sw_clock_wall_ms() ^ (uint64_t)(uintptr_t)job);
    if (job->stop) {
        agent_work_report_done(&run, WIRE_OUT_RELEASED, NULL, WIRE_HEALTH_UNKNOWN, NULL);
        goto out;
    }
    if (agent_work_build_set(l, &set, &err) != 0) {
        agent_work_report_done(&run, WIRE_OUT_REFUSED, NULL, WIRE_HEALTH_UNKNOWN, err.msg);
        goto out;
    }
    if (agent_work_connect(&run, &eng, &err) != 0) {
        /* told to stop while retrying (lease lost, shutdown): nothing ran, give it back */
        agent_work_report_failure(&run, job->stop ? WIRE_OUT_RELEASED : WIRE_OUT_FAILED, NULL,
                                  WIRE_HEALTH_UNREACHABLE,
                                  agent_work_failure(&run, err.code, WIRE_HEALTH_UNREACHABLE),
                                  job->stop ? NULL : err.msg);
        goto out;
    }
    agent_work_connected(&run, &eng, set);
out:
    agent_work_flush(&run);
    if (env->on_lease_end != NULL) {
        env->on_lease_end(env->ctx);
    }
    agent_work_disconnect(&run, eng);
    migset_free(set);
    pthread_mutex_lock(&job->mu);
    job->is_done = true;
    pthread_mutex_unlock(&job->mu);
}
