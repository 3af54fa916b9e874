/*
 * The coordinator's scheduler: one thread that, every tick_ms (while this coordinator is
 * the leader), turns expired leases into
 * lease-expired events (re-dispatch), steps each active wave with a tick (service layer:
 * view, step, persist, act) and runs the HTTP gates the decisions ask for (libcurl GET;
 * 2xx passes; timeout fails), feeding the outcome back. SQL gates run on agents as gate
 * leases (service layer).
 */
#ifndef SW_COORDINATOR_SCHED_H
#define SW_COORDINATOR_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "service/service.h"
#include "sw/err.h"

/* Whether this coordinator may run waves now (the leader); thread-safe. */
typedef bool (*sched_active_fn)(void *ctx);

struct sched_config {
    struct svc *svc; /* borrowed; must outlive the scheduler */
    int64_t tick_ms; /* >= 10 */
    /* Optional (NULL = always): a tick that finds it false does nothing (a follower
     * neither expires leases, nor steps waves, nor runs gates). */
    sched_active_fn is_active;
    void *active_ctx;
};

struct sched;

/* Starts the thread. *out owned by the caller (sched_free). */
int sched_start(const struct sched_config *cfg, struct sched **out, struct sw_err *err);
/* Changes the period (config reload). Thread-safe. */
void sched_set_tick(struct sched *s, int64_t tick_ms);
/* Wakes the thread for an immediate tick (e.g. after a wave was created). Thread-safe. */
void sched_kick(struct sched *s);
/* Stops after the tick in progress and joins the thread. Idempotent. */
void sched_stop(struct sched *s);
/* Stops and frees; NULL is a no-op. */
void sched_free(struct sched *s);

/* Runs one HTTP gate now: GET url ("{wave}" replaced by wave_id) within timeout_ms.
 * 0 when it answered 2xx; SW_ECONFLICT with the status, SW_ETIMEOUT / SW_ECONNECT
 * otherwise, with a message for the wave's events. */
int sched_http_gate(const char *url, const char *wave_id, int64_t timeout_ms, struct sw_err *err);

#endif
