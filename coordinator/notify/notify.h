/*
 * The webhook sender: one thread per configured hook, each with a bounded in-memory
 * queue, POSTing every event it subscribed to with libcurl (connect and total timeouts,
 * TLS verified, optional CA file), retrying transient failures with capped exponential
 * backoff and jitter, then giving up with a log line and a counter. Events arrive after
 * the store committed them (service svc_step) and notify_send never waits for the
 * network. Delivery is at least once per process lifetime and in order per hook; the
 * event id lets receivers drop duplicates (docs/notifications.md).
 *
 * Thread-safety: every function may be called from any thread; notify_reload and
 * notify_free from one thread at a time. Lock order: reload_mu, then mu (the hook
 * list), then a hook's mu.
 */
#ifndef SW_COORDINATOR_NOTIFY_NOTIFY_H
#define SW_COORDINATOR_NOTIFY_NOTIFY_H

#include "notify/notify_config.h"
#include "notify/notify_event.h"
#include "sw/err.h"
#include "sw/metrics.h"

#define NOTIFY_METRIC_DELIVERIES "shardwave_webhook_deliveries_total"
#define NOTIFY_METRIC_QUEUED     "shardwave_webhook_queue_length"

struct notify;

/* Declares the sender's metric families in the coordinator's registry (before it is
 * shared): deliveries by hook and result (ok, retried, failed, dropped) and the queue
 * length by hook. */
int notify_metrics_define(struct sw_metrics *reg, struct sw_err *err);

/* Starts one sender thread per hook of cfg (copied). coordinator_url: the coordinator's
 * public URL for the payloads' links (copied). reg: the registry (borrowed, may be NULL).
 * *out owned by the caller (notify_free). SW_ENOMEM, SW_EINTERNAL (thread, libcurl). */
int notify_new(const struct notify_config *cfg, const char *coordinator_url, struct sw_metrics *reg,
               struct notify **out, struct sw_err *err);

/* Queues ev for every hook subscribed to its kind. Never blocks on the network; a full
 * queue drops its oldest event (logged, counted as dropped). NULL n is a no-op. */
void notify_send(struct notify *n, const struct notify_event *ev);

/* Applies a reloaded hook list: unchanged hooks keep running; a changed hook (same name)
 * keeps its undelivered events in order (after its delivery in flight ends, at most its
 * timeout); a removed hook's undelivered events are dropped (logged, counted).
 * *n_changed receives how many hooks were added, changed or removed. */
int notify_reload(struct notify *n, const struct notify_config *cfg, const char *coordinator_url,
                  size_t *n_changed, struct sw_err *err);

/* Stops the threads (a delivery in flight ends within its timeout; a backoff wait ends at
 * once), logs each hook's undelivered events, frees everything. NULL is a no-op. */
void notify_free(struct notify *n);

#endif
