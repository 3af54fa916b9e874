/* The bounded event FIFO (drop oldest) and the retry rule of webhook deliveries. */
#include "notify/notify_queue.h"

#include <stdlib.h>
#include <string.h>

int notify_queue_init(struct notify_queue *q, size_t cap, struct sw_err *err)
{
    memset(q, 0, sizeof *q);
    if (cap == 0) {
        return sw_err_set(err, SW_EINVAL, "webhook queue: capacity must be at least 1");
    }
    q->items = calloc(cap, sizeof *q->items);
    if (q->items == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    q->cap = cap;
    return 0;
}

void notify_queue_cleanup(struct notify_queue *q)
{
    free(q->items);
    memset(q, 0, sizeof *q);
}

bool notify_queue_push(struct notify_queue *q, const struct notify_event *ev, int64_t *dropped)
{
    bool is_full = q->n == q->cap;
    if (dropped != NULL) {
        *dropped = is_full ? q->items[q->head].event_id : -1;
    }
    if (is_full) {
        q->head = (q->head + 1) % q->cap;
        q->n--;
    }
    q->items[(q->head + q->n) % q->cap] = *ev;
    q->n++;
    return is_full;
}

bool notify_queue_push_front(struct notify_queue *q, const struct notify_event *ev,
                             int64_t *dropped)
{
    bool is_full = q->n == q->cap;
    if (dropped != NULL) {
        *dropped = is_full ? q->items[(q->head + q->n - 1) % q->cap].event_id : -1;
    }
    if (is_full) {
        q->n--; /* the newest goes */
    }
    q->head = (q->head + q->cap - 1) % q->cap;
    q->items[q->head] = *ev;
    q->n++;
    return is_full;
}

bool notify_queue_pop(struct notify_queue *q, struct notify_event *out)
{
    if (q->n == 0) {
        return false;
    }
    *out = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return true;
}

size_t notify_queue_prepend(struct notify_queue *to, struct notify_queue *from)
{
    size_t n_dropped = 0;
    struct notify_event ev;
    /* newest of `from` first, each in front: the result keeps from's order */
    while (from->n > 0) {
        from->n--;
        ev = from->items[(from->head + from->n) % from->cap];
        if (to->n == to->cap) {
            n_dropped++; /* older than everything queued: it is the one to drop */
            continue;
        }
        to->head = (to->head + to->cap - 1) % to->cap;
        to->items[to->head] = ev;
        to->n++;
    }
    from->head = 0;
    return n_dropped;
}

enum notify_verdict notify_verdict(long status, int attempt, int max_attempts)
{
    if (status >= 200 && status <= 299) {
        return NOTIFY_DELIVERED;
    }
    bool is_transient =
        status == 0 || status == 408 || status == 425 || status == 429 || status >= 500;
    return is_transient && attempt < max_attempts ? NOTIFY_RETRY : NOTIFY_GIVE_UP;
}

int64_t notify_backoff_ms(const struct sw_retry_policy *p, int attempt, sw_retry_rand_fn rnd,
                          void *ctx)
{
    return sw_retry_delay_ms(p, attempt > 0 ? (unsigned)(attempt - 1) : 0, rnd, ctx);
}
