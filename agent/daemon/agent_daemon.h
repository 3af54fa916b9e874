/*
 * The agent daemon's context and threads: the lease loop (main thread: register,
 * long-poll for leases), N workers (one lease at a time each, own connections), the
 * heartbeat thread (extends leases, carries progress, stops or cancels work the
 * coordinator no longer wants) and the reporter thread (delivers the on-disk report
 * queue in order). Lock order: agent.mu, then agent_job.mu; the DSN table's rwlock
 * and the queue's mutex are leaves.
 */
#ifndef SW_AGENT_DAEMON_AGENT_DAEMON_H
#define SW_AGENT_DAEMON_AGENT_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/agent_config.h"
#include "daemon/agent_dsn.h"
#include "daemon/agent_http.h"
#include "daemon/agent_queue.h"
#include "daemon/agent_work.h"
#include "sw/err.h"
#include "sw/metrics.h"
#include "sw/retry.h"

struct agent {
    const char *config_path; /* for SIGHUP reloads; borrowed */
    struct agent_config cfg;
    bool once;                   /* --once: one lease request, run what it returned, exit */
    volatile sig_atomic_t *term; /* SIGTERM/SIGINT count */
    volatile sig_atomic_t *hup;  /* SIGHUP seen (the loop clears it via hup_clear) */
    void (*hup_clear)(void);

    pthread_rwlock_t dsn_lock;
    struct agent_dsn_table dsns;
    struct agent_queue *queue;
    struct sw_retry_policy retry;

    pthread_mutex_t mu;      /* guards everything below */
    pthread_cond_t cv;       /* jobs added or finished, shutdown steps */
    struct agent_job **held; /* every job not yet finished (cap = 2 x workers) */
    size_t n_held;
    size_t n_busy; /* worker slots in use: held jobs whose work has not ended (<= workers) */
    /* Protocol 1.2: slots freed by jobs whose work ended, kept for the reporter, whose
     * request carries those jobs' lease_done reports and asks (`want`) for new leases in
     * the same round trip; and the slots a report request in flight asks for. The lease
     * loop asks only for the rest. */
    size_t n_report_slots;
    size_t n_report_asking;
    /* Leases that ended since the reporter last sent (their lease_done is queued): it
     * sends at once; step reports alone wait a little for company (agent_loop.c). */
    size_t n_ends_queued;
    struct agent_job **pending; /* FIFO of jobs no worker picked yet */
    size_t n_pending;
    bool shutting_down; /* workers exit once pending is empty */
    size_t n_workers_running;
    bool workers_done;  /* heartbeat exits; reporter flushes and exits */
    bool need_register; /* the coordinator forgot us (409 unknown_agent) */
    int64_t lease_ttl_ms;
    int64_t heartbeat_ms;
    int64_t long_poll_ms;
    int coordinator_minor;         /* the coordinator's protocol minor: of its last register or
                                    * lease answer (0 before the first) */
    struct sw_metrics *metrics;    /* agent_metrics.h; NULL = none (counts are skipped) */
    atomic_size_t coordinator_idx; /* the coordinator URL that answered last (agent_http) */
};

/* Sets up the shared parts (queue, DSN table, locks) from a loaded config. */
int agent_init(struct agent *a, struct sw_err *err);
void agent_cleanup(struct agent *a);

/* Runs until SIGTERM (or, with once, one cycle); returns the process exit code. */
int agent_run(struct agent *a);

/* New HTTP client for one thread of this agent. */
int agent_http_for(const struct agent *a, bool abortable, struct agent_http **out,
                   struct sw_err *err);

/* The coordinator's error document of a failed response, as "409 lease_lost: ...". */
void agent_http_error_text(const struct agent_http_resp *resp, char *buf, size_t cap);

#endif
