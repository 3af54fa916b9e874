/*
 * The pure parts of webhook delivery: a bounded FIFO of events that drops the oldest when
 * full, and the retry rule (which outcomes are retried, and how long to wait). No locks:
 * the sender (notify.c) holds its hook's mutex around every queue call.
 */
#ifndef SW_COORDINATOR_NOTIFY_NOTIFY_QUEUE_H
#define SW_COORDINATOR_NOTIFY_NOTIFY_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify/notify_event.h"
#include "sw/err.h"
#include "sw/retry.h"

/* A ring of at most `cap` events (copies). */
struct notify_queue {
    size_t cap;
    size_t head; /* index of the oldest */
    size_t n;
    struct notify_event *items;
};

/* SW_EINVAL for cap 0, SW_ENOMEM. */
int notify_queue_init(struct notify_queue *q, size_t cap, struct sw_err *err);
void notify_queue_cleanup(struct notify_queue *q); /* safe on a zeroed struct */

/* Appends a copy of ev; when the queue is full the oldest event is dropped first and
 * *dropped (may be NULL) receives its event id (else -1). Returns true when one was. */
bool notify_queue_push(struct notify_queue *q, const struct notify_event *ev, int64_t *dropped);
/* Puts ev back in front (an event whose delivery was interrupted); when full, the newest
 * is dropped instead and *dropped (may be NULL) receives its id (else -1). Returns true
 * when one was. */
bool notify_queue_push_front(struct notify_queue *q, const struct notify_event *ev,
                             int64_t *dropped);
/* Copies the oldest event into *out and removes it; false when empty. */
bool notify_queue_pop(struct notify_queue *q, struct notify_event *out);
/* Moves every event of `from` in front of `to`'s (older first), dropping the oldest past
 * to's capacity; returns how many were dropped. `from` is left empty. */
size_t notify_queue_prepend(struct notify_queue *to, struct notify_queue *from);

/* What to do after an attempt. */
enum notify_verdict {
    NOTIFY_DELIVERED, /* 2xx */
    NOTIFY_RETRY,     /* transport error, 408, 425, 429 or 5xx, attempts left */
    NOTIFY_GIVE_UP,   /* another status (the receiver refuses it), or no attempts left */
};

/* `status` is the HTTP status, 0 when the request failed before one (connect, TLS,
 * timeout). `attempt` is 1-based; max_attempts >= 1. */
enum notify_verdict notify_verdict(long status, int attempt, int max_attempts);

/* The wait before the retry that follows attempt `attempt` (1-based): full jitter under
 * min(cap, base * 2^(attempt-1)) (sw/retry.h). */
int64_t notify_backoff_ms(const struct sw_retry_policy *p, int attempt, sw_retry_rand_fn rnd,
                          void *ctx);

#endif
