/*
 * A decision's shard changes (wave_fsm_impl.h): the list the decision returns and an
 * index from shard to change, both sized by the changes, so a step's working state does
 * not grow with the wave: a shard's current state is its change's `to`, else the view's.
 */
#include "wave/wave_fsm_impl.h"

#include <stdint.h>
#include <stdlib.h>

/* Fibonacci hashing of a shard index into the change slots. */
static size_t change_hash(size_t idx, size_t mask)
{
    return (size_t)(((uint64_t)idx * 11400714819323198485ull) >> 32) & mask;
}

/* The index in out->changes of the shard's change, or -1. */
static long change_find(const struct fsm_ctx *c, size_t idx)
{
    if (c->n_change_slots == 0) {
        return -1;
    }
    size_t mask = c->n_change_slots - 1;
    for (size_t k = change_hash(idx, mask);; k = (k + 1) & mask) {
        size_t slot = c->change_slots[k];
        if (slot == 0) {
            return -1;
        }
        if (c->out->changes[slot - 1].shard_idx == idx) {
            return (long)(slot - 1);
        }
    }
}

static void change_index(struct fsm_ctx *c, size_t change)
{
    size_t mask = c->n_change_slots - 1;
    size_t k = change_hash(c->out->changes[change].shard_idx, mask);
    while (c->change_slots[k] != 0) {
        k = (k + 1) & mask;
    }
    c->change_slots[k] = change + 1;
}

/* Room for one more change: the array and its index grow by doubling. */
static int change_room(struct fsm_ctx *c)
{
    struct wave_decision *out = c->out;
    if (out->n_changes == c->cap_changes) {
        size_t cap = 2 * c->cap_changes;
        struct wave_shard_change *grown = realloc(out->changes, cap * sizeof *grown);
        if (grown == NULL) {
            return sw_err_set(c->err, SW_ENOMEM, "out of memory");
        }
        out->changes = grown;
        c->cap_changes = cap;
    }
    if (2 * (out->n_changes + 1) <= c->n_change_slots) {
        return 0;
    }
    size_t n_slots = c->n_change_slots == 0 ? 16 : 2 * c->n_change_slots;
    size_t *slots = calloc(n_slots, sizeof *slots);
    if (slots == NULL) {
        return sw_err_set(c->err, SW_ENOMEM, "out of memory");
    }
    free(c->change_slots);
    c->change_slots = slots;
    c->n_change_slots = n_slots;
    for (size_t i = 0; i < out->n_changes; i++) {
        change_index(c, i);
    }
    return 0;
}

enum wave_shard_state fsm_cur_changed(const struct fsm_ctx *c, size_t idx)
{
    long k = change_find(c, idx);
    return k >= 0 ? c->out->changes[k].to : c->in->shards[idx].state;
}

int fsm_set_shard(struct fsm_ctx *c, size_t idx, enum wave_shard_state to)
{
    struct wave_decision *out = c->out;
    long k = out->n_changes > 0 ? change_find(c, idx) : -1;
    enum wave_shard_state from = k >= 0 ? out->changes[k].to : c->in->shards[idx].state;
    if (from == to) {
        return 0;
    }
    enum wave_failure failure = WFAIL_NONE;
    if (to == WSHARD_FAILED) {
        failure = c->ev->failure != WFAIL_NONE ? c->ev->failure : WFAIL_ERROR;
    }
    if (k >= 0) {
        out->changes[k].to = to;
        out->changes[k].failure = failure;
        return 0;
    }
    int rc = change_room(c);
    if (rc != 0) {
        return rc;
    }
    out->changes[out->n_changes] = (struct wave_shard_change){idx, from, to, failure};
    change_index(c, out->n_changes++);
    c->changed_lo = c->changed_hi == 0 || idx < c->changed_lo ? idx : c->changed_lo;
    c->changed_hi = idx >= c->changed_hi ? idx + 1 : c->changed_hi;
    return 0;
}

int fsm_dispatch(struct fsm_ctx *c, size_t idx, enum wave_shard_state leased)
{
    struct wave_decision *out = c->out;
    if (out->n_dispatch == c->cap_dispatch) {
        size_t cap = 2 * c->cap_dispatch;
        size_t *grown = realloc(out->dispatch, cap * sizeof *grown);
        if (grown == NULL) {
            return sw_err_set(c->err, SW_ENOMEM, "out of memory");
        }
        out->dispatch = grown;
        c->cap_dispatch = cap;
    }
    out->dispatch[out->n_dispatch++] = idx;
    return fsm_set_shard(c, idx, leased);
}
