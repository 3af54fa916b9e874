/*
 * Leader election for coordinators sharing one PostgreSQL store (docs/ha.md): a thread
 * claims the store's lease row every ttl/3 (store_leader_claim), decides with
 * ha_decide.h, publishes the fencing epoch in a process-wide atomic (0 while follower;
 * every fenced store handle checks it inside its write transactions) and tells the
 * daemon about role changes. A leader that cannot renew stops acting at its deadline,
 * before its lease can expire, even while the store does not answer.
 *
 * Thread-safety: ha_is_leader, ha_epoch and ha_status_get may be called from any thread;
 * ha_new, ha_start and ha_free from the daemon's main thread.
 */
#ifndef SW_COORDINATOR_HA_H
#define SW_COORDINATOR_HA_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ha/ha_decide.h"
#include "store/store.h"
#include "sw/err.h"
#include "sw/metrics.h"

#define HA_ID_MAX  STORE_ACTOR_MAX
#define HA_URL_MAX STORE_URL_MAX

/* Called from the HA thread after a promotion (the epoch is already published, so the
 * callee may write: rebuild in-memory state, load the fleet file) and after a demotion
 * (the epoch is already 0). */
typedef void (*ha_role_fn)(void *ctx, enum ha_role role, int64_t epoch);

struct ha_config {
    const char *store_path;                   /* the store (URL) the HA thread opens */
    const struct store_open_opts *store_opts; /* borrowed; may be NULL */
    const char *coordinator_id;               /* this coordinator's holder name */
    const char *advertise_url;                /* where the others redirect to */
    int64_t lease_ms;                         /* the lease ttl */
    struct sw_metrics *metrics;               /* NULL = none (else ha_metrics_define first) */
    ha_role_fn on_role;                       /* may be NULL */
    void *ctx;
};

/* What the HA loop knows (copied out). */
struct ha_status {
    enum ha_role role;
    int64_t epoch;                 /* ours while leader, else 0 */
    char leader_id[HA_ID_MAX + 1]; /* "" when unknown */
    char leader_url[HA_URL_MAX + 1];
    int64_t leader_epoch;
    uint64_t n_takeovers; /* times this coordinator became leader */
};

struct ha;

/* Declares the gauges shardwave_coordinator_is_leader, shardwave_coordinator_leader_epoch
 * and the counter shardwave_coordinator_leader_takeovers_total. */
int ha_metrics_define(struct sw_metrics *m, struct sw_err *err);

/* Creates the loop (not started; follower, epoch 0). Copies the strings. *out owned by
 * the caller (ha_free). */
int ha_new(const struct ha_config *cfg, struct ha **out, struct sw_err *err);
/* The process-wide fencing epoch (store_set_fence); valid until ha_free. */
const _Atomic int64_t *ha_epoch(struct ha *h);
/* Starts the thread: it opens its own store handle and claims at once. */
int ha_start(struct ha *h, struct sw_err *err);
/* Whether this coordinator may act as leader now: leader, promotion done, and before its
 * deadline (past it, the epoch is dropped to 0 here, at once). */
bool ha_is_leader(struct ha *h);
void ha_status_get(struct ha *h, struct ha_status *out);
/* Stops the thread; a leader demotes itself (on_role FOLLOWER) and releases the lease so
 * a follower takes over without waiting for the expiry. Afterwards this process is a
 * follower for good (epoch 0). Idempotent; NULL is a no-op. */
void ha_stop(struct ha *h);
/* ha_stop, then frees. NULL is a no-op. */
void ha_free(struct ha *h);

#endif
