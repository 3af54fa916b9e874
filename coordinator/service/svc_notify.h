/*
 * What the service tells the rest of the coordinator after a wave decision committed:
 * webhook events (handed to a sink the daemon sets: the notify sender) and the count of
 * expired leases (a metric). The events are built from the persisted decision and carry
 * the store's event ids.
 */
#ifndef SW_COORDINATOR_SVC_NOTIFY_H
#define SW_COORDINATOR_SVC_NOTIFY_H

#include <stdatomic.h>
#include <stdint.h>

#include "notify/notify_event.h"
#include "wave/wave_types.h"

struct svc;

/* Receives each event; called with the service's wave lock held, so it must not block
 * (notify_send only queues). ev is borrowed for the call. */
typedef void (*svc_notify_fn)(void *ctx, const struct notify_event *ev);

/* Part of struct svc. */
struct svc_notify_sink {
    svc_notify_fn fn; /* NULL = none; under wave_mu */
    void *ctx;
    atomic_uint_least64_t n_leases_expired;
};

/* Sets (or clears, fn NULL) the sink. Thread-safe. */
void svc_set_notify(struct svc *s, svc_notify_fn fn, void *ctx);

/* Leases that expired and were taken back from their agent since the service started
 * (a counter for /metrics). Thread-safe. */
uint64_t svc_leases_expired_total(struct svc *s);

/* ---- inside the service (svc_step.c) ---- */

struct svc_view;
struct wave_decision;
struct wave_event;

/* After a decision from `wev` was persisted and applied to v: counts an expired lease
 * taken back, and hands the sink (if any) one event per transition, passed stage and
 * failed shard. `before` is the wave's state before the decision; record_ids[i] is the
 * store's id of the event of d->records[i]. Caller holds wave_mu. */
void svc_notify_decision(struct svc *s, const struct svc_view *v, enum wave_state before,
                         const struct wave_decision *d, const struct wave_event *wev,
                         const int64_t *record_ids, int64_t at_ms);

#endif
