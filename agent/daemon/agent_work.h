/*
 * One leased shard, run by a worker thread: verify the lease's SQL against its
 * checksums, connect to the shard, ask the coordinator for the go-ahead, then run the
 * steps in order with the runner (per-shard lock, real history re-read first) and
 * queue a report for each step and for the lease. Also gate and inventory leases.
 */
#ifndef SW_AGENT_DAEMON_AGENT_WORK_H
#define SW_AGENT_DAEMON_AGENT_WORK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/agent_queue.h"
#include "engine/engine.h"
#include "sw/err.h"
#include "sw/metrics.h"
#include "sw/retry.h"
#include "sw/version.h"
#include "sw/wire_lease.h"

/* A lease the agent holds, from receipt to its lease_done report. */
struct agent_job {
    struct wire_lease lease; /* owned */
    /* Set by the heartbeat (lease lost, coordinator unreachable) or shutdown: start
     * nothing more; the runner checks it between steps. */
    volatile int stop;
    pthread_mutex_t mu;             /* guards the fields below (read by the heartbeat thread) */
    struct engine *eng;             /* while connected, for engine_cancel */
    bool started;                   /* the go-ahead was given */
    bool is_done;                   /* the lease_done report is queued */
    char version[VERSION_TEXT_MAX]; /* step in flight, "" when none */
    int64_t stmt_done;
    int64_t stmt_total;
};

/* Takes ownership of *lease (zeroes it). NULL when out of memory. */
struct agent_job *agent_job_new(struct wire_lease *lease);
void agent_job_free(struct agent_job *job);
/* Cancels the statement running for the job, if any (abort --cancel-running). */
int agent_job_cancel(struct agent_job *job, struct sw_err *err);

/* Services the daemon lends a worker. */
struct agent_work_env {
    const char *agent_id;
    struct agent_queue *queue;
    int db_connect_timeout_ms;
    /* An unreachable shard database (SW_ECONNECT when connecting, or the connection lost
     * before a step started): up to connect_attempts tries, sleeping a capped exponential
     * backoff with full jitter between them, within connect_budget_ms in all (0 = no
     * retry). The lease stays held (heartbeats renew it) while the worker retries. */
    int connect_attempts;
    struct sw_retry_policy connect_backoff;
    int64_t connect_budget_ms;
    /* Heap DSN of a shard (caller frees); errors never show secrets. */
    int (*resolve_dsn)(void *ctx, const char *shard, char **dsn, struct sw_err *err);
    /* POST /v1/leases/{lease}/start: true only on {"go": true}. */
    bool (*go_ahead)(void *ctx, const char *lease);
    /* The job's work is over and its reports are queued (the database connection is still
     * to be closed): its worker slot is free. NULL = none. */
    void (*on_lease_end)(void *ctx);
    void *ctx;
    struct sw_metrics *metrics; /* step counts (agent_metrics.h); NULL = none */
};

/* Runs the job to its end and queues its reports (errors are reported to the
 * coordinator and logged here: a worker is the layer that decides). A failed migrate or
 * rollback lease says why in its lease_done report: unreachable (the database could not
 * be reached before any step started), lock_timeout (a lock timeout on every attempt,
 * or another migrator kept the shard's lock) or error. */
void agent_work_run(const struct agent_work_env *env, struct agent_job *job);

#endif
