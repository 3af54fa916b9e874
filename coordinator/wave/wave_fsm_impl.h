/*
 * Internals shared by wave_fsm.c (table, events) and wave_fsm_run.c (stage progression,
 * dispatch, rollback order). Not for use outside coordinator/wave.
 */
#ifndef SW_COORDINATOR_WAVE_FSM_IMPL_H
#define SW_COORDINATOR_WAVE_FSM_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "wave/wave_fsm.h"

/* One step's working state. */
struct fsm_ctx {
    const struct wave_view *in;
    const struct wave_event *ev;
    struct wave_decision *out;
    struct sw_err *err;
    /* The decision's changes, indexed by shard (open addressing; slots hold a change's
     * index + 1, 0 = empty): a shard's current state is its change's `to`, else the
     * view's. Sized by the changes, not by the wave, so a one-shard event costs the same
     * at 10 or 10,000 shards. */
    size_t *change_slots;
    size_t n_change_slots; /* 0 or a power of two, at least twice n_changes */
    /* [changed_lo, changed_hi): the changed shards' index range (empty while hi is 0):
     * whole-wave passes look up only the shards in it. */
    size_t changed_lo;
    size_t changed_hi;
    size_t cap_changes;
    size_t cap_dispatch;
    size_t cap_records;
    bool progressed; /* tick: the stage progression ran */
    bool finished;   /* ... and the last stage passed */
};

/* fsm_cur once the decision has changes: looks the shard up in their index. */
enum wave_shard_state fsm_cur_changed(const struct fsm_ctx *c, size_t idx);
/* The shard's state with this decision's changes applied (inline: the whole-wave passes
 * of a tick call it for every shard, mostly before any change). */
static inline enum wave_shard_state fsm_cur(const struct fsm_ctx *c, size_t idx)
{
    return idx < c->changed_lo || idx >= c->changed_hi ? c->in->shards[idx].state
                                                       : fsm_cur_changed(c, idx);
}
/* Changes a shard's state (merging with an earlier change of the same shard). */
int fsm_set_shard(struct fsm_ctx *c, size_t idx, enum wave_shard_state to);
/* Leases a shard: sets it to `leased` and lists it for dispatch. */
int fsm_dispatch(struct fsm_ctx *c, size_t idx, enum wave_shard_state leased);
/* Appends an audit record (shard_idx -1 = none). */
int fsm_record(struct fsm_ctx *c, enum wave_record_kind kind, long shard_idx, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

bool fsm_in_flight(enum wave_shard_state s); /* leased or running, forward or rollback */
bool fsm_rb_active(enum wave_shard_state s); /* rb_pending, rb_leased, rb_running */

/* Runs the current stage forward: dispatch, bake, gate, advance (sets c->finished when
 * the last stage passed). */
int fsm_progress(struct fsm_ctx *c);
/* The event's dispatch_freed: the slot a lease's end freed is handed out (wave_fsm.h). */
int fsm_dispatch_freed(struct fsm_ctx *c);
/* Marks the shards to roll back (entering rolling_back) and reports failed ones. */
int fsm_rollback_begin(struct fsm_ctx *c);
/* Dispatches rollback work: the last stage with rollback work first, newest-moved
 * shards first, within max_parallel and max_per_host. */
int fsm_rollback_dispatch(struct fsm_ctx *c);
/* Resume: failed shards of the current and earlier stages whose failure left the
 * database unchanged (unreachable, lock_timeout; with ev->retry_failed also error) go back
 * to pending, each with a shard record; dirty ones never. Their stage budget then counts
 * their next outcome only. *n_requeued: how many. */
int fsm_requeue_failed(struct fsm_ctx *c, size_t *n_requeued);

#endif
