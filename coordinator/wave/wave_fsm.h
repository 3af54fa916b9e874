/*
 * The wave state machine (DESIGN.md "Waves", STYLE.md section 9): a pure function from a
 * snapshot of one wave (wave_view, including now_ms) and one event to a decision: the
 * new wave state, stage and phase, shard state changes, shards to dispatch, whether a
 * gate check is wanted, and the audit events to record. No clock reads, no I/O, no
 * logging. The caller persists the decision (store_apply_decision) before acting on it.
 *
 * Allowed wave transitions are a table (wave_fsm_table): for a (state, event) the rows
 * are tried in order and the first whose guard holds gives the new state. Operator
 * events without a row (or whose guards all fail) are refused with SW_ECONFLICT
 * ("wave is completed: cannot resume"); every other event has a row in every state
 * (in final states only rows that keep the state: in-flight steps still report).
 */
#ifndef SW_COORDINATOR_WAVE_FSM_H
#define SW_COORDINATOR_WAVE_FSM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sw/err.h"
#include "wave/wave_types.h"

#define WAVE_FSM_NO_HOST  UINT32_MAX /* wave_view_shard.host: the shard has no host label */
#define WAVE_FSM_TEXT_MAX 4096       /* longest reason / record message */

enum wave_event_kind {
    WAVE_EV_TICK,            /* time passes: start, dispatch, bake, gate, advance, finish */
    WAVE_EV_PAUSE,           /* operator */
    WAVE_EV_RESUME,          /* operator */
    WAVE_EV_ABORT,           /* operator */
    WAVE_EV_ROLLBACK,        /* operator */
    WAVE_EV_SHARD_STARTED,   /* an agent asks for the go-ahead to start a leased shard */
    WAVE_EV_SHARD_SUCCEEDED, /* forward steps done: the shard is at the target */
    WAVE_EV_SHARD_FAILED,    /* a forward step failed */
    WAVE_EV_LEASE_EXPIRED,   /* the shard's lease ran out: back to pending */
    WAVE_EV_GATE_PASSED,     /* the current stage's gate check passed */
    WAVE_EV_GATE_FAILED,     /* ... failed (or could not run) */
    WAVE_EV_RB_SUCCEEDED,    /* a shard's rollback steps done */
    WAVE_EV_RB_FAILED,       /* a rollback step failed */
    WAVE_EV_COUNT
};
/* "tick", "pause", "resume", "abort", "rollback", "shard_started", ..., "rb_failed". */
const char *wave_event_kind_name(enum wave_event_kind k);
bool wave_event_is_operator(enum wave_event_kind k);

struct wave_event {
    enum wave_event_kind kind;
    const char *actor;  /* operator events: token name (borrowed; NULL = "unknown") */
    const char *detail; /* optional (borrowed): operator's reason, the step's error, the
                           gate's message; NULL = none */
    size_t shard_idx;   /* shard events: index into wave_view.shards */
    /* WAVE_EV_SHARD_FAILED: why (WFAIL_NONE is read as WFAIL_ERROR). */
    enum wave_failure failure;
    /* WAVE_EV_RESUME: also re-queue shards that failed with an error (a SQL error, a
     * statement timeout); transient failures are re-queued by every resume, dirty
     * shards never (they need a repair). */
    bool retry_failed;
    /* Shard events that end a lease (succeeded, failed, lease expired, rollback results):
     * also hand out the slot it frees, as the scheduler's next tick would: a running
     * wave's stage being dispatched, or a rollback; nothing settles, bakes, asks a gate or
     * moves on (ticks do). The service sets it so a slot does not wait up to tick_ms. */
    bool dispatch_freed;
};

struct wave_view_stage {
    const char *name;           /* borrowed, for messages */
    int max_parallel;           /* >= 1 */
    int max_failures;           /* -1 = not set */
    double max_failure_percent; /* -1 = not set; neither set: no failure allowed */
    int64_t bake_ms;            /* >= 0 */
    bool has_gate;
    int64_t gate_timeout_ms; /* the gate must answer within twice this, else it failed */
};

struct wave_view_shard {
    const char *id; /* borrowed, for messages */
    uint32_t stage; /* index into wave_view.stages */
    enum wave_shard_state state;
    uint32_t host;             /* host key: shards of one database host share it (< n_hosts),
                                  or WAVE_FSM_NO_HOST */
    bool has_down;             /* planner_shard.has_down: its steps can be reversed */
    int64_t finished_seq;      /* order in which shards reached done; larger = later */
    enum wave_failure failure; /* WSHARD_FAILED: why (decides what a resume re-queues) */
};

/* Everything the state machine needs, copied by the caller (all borrowed). */
struct wave_view {
    int64_t now_ms;
    enum wave_state state;
    enum plan_on_failure on_failure;
    int max_per_host; /* 0 = no cap; counts leased and running shards of this wave */
    uint32_t n_hosts;
    size_t n_stages; /* >= 1 */
    const struct wave_view_stage *stages;
    uint32_t stage; /* current stage (while rolling back: the stage being reversed) */
    enum wave_stage_phase phase;
    int64_t phase_until_ms; /* BAKING: bake end; GATING: gate answer deadline; else 0 */
    size_t n_shards;
    const struct wave_view_shard *shards;
    /* Optional summary the caller keeps in step with shards[] (wave_fsm_check_view checks
     * it), so that handing out a slot a lease's end freed (dispatch_freed) needs no pass
     * over the wave: per stage, its shards leased or running (n_stages entries; NULL =
     * count them), and pending_lo, an index below which no shard is pending (0 = none
     * known). Used only without a per-host cap (which needs every host's load). */
    const size_t *in_flight_by_stage;
    size_t pending_lo;
};

/* Leased or running (forward): what a stage's max_parallel counts, and what
 * wave_view.in_flight_by_stage counts per stage. */
bool wave_shard_is_busy(enum wave_shard_state s);

struct wave_shard_change {
    size_t shard_idx;
    enum wave_shard_state from;
    enum wave_shard_state to;
    enum wave_failure failure; /* the shard's failure class after the change: the event's
                                  when `to` is failed, else WFAIL_NONE */
};

/* Kinds of audit events (the `kind` of GET /v1/waves/{id}/events). */
enum wave_record_kind {
    WAVE_REC_TRANSITION, /* the wave's state changed */
    WAVE_REC_STAGE,      /* stage started, baking, passed */
    WAVE_REC_SHARD,      /* a shard's state changed in a way worth telling */
    WAVE_REC_GATE,       /* gate requested, passed, failed */
    WAVE_REC_OPERATOR,   /* an operator action (accepted) */
    WAVE_REC_KIND_COUNT
};
const char *wave_record_kind_name(enum wave_record_kind k); /* "transition", "stage", ... */

struct wave_record {
    enum wave_record_kind kind;
    enum wave_state from; /* TRANSITION only; else both equal the current state */
    enum wave_state to;
    long shard_idx; /* -1 = none */
    char *message;  /* owned, at most WAVE_FSM_TEXT_MAX bytes */
};

struct wave_decision {
    enum wave_state state; /* new values (equal to the view's when unchanged) */
    uint32_t stage;
    enum wave_stage_phase phase;
    int64_t phase_until_ms;
    bool refused;    /* WAVE_EV_SHARD_STARTED: the agent must not start (see reason) */
    bool gate_check; /* run the gate of `stage` now and report GATE_PASSED/FAILED */
    char *reason;    /* why the wave halted / the start was refused; NULL = none */
    size_t n_changes;
    struct wave_shard_change *changes; /* each shard at most once, in decision order */
    size_t n_dispatch;
    size_t *dispatch; /* shards to offer to agents now, in order (their change to
                         LEASED or RB_LEASED is in changes) */
    size_t n_records;
    struct wave_record *records; /* in order */
};
/* Frees what *d owns and zeroes it; safe on a zeroed struct. */
void wave_decision_cleanup(struct wave_decision *d);

/* Computes the decision for one event into *out (a zeroed struct; the caller always
 * calls wave_decision_cleanup). Errors:
 *   SW_ECONFLICT an operator event the state forbids: "wave is completed: cannot
 *                resume"; a rollback that cannot run: "wave is halted: cannot roll back:
 *                shard t-003 has no down migration for a step it moved through"
 *   SW_EINVAL    a malformed view or event (shard index out of range, no stages, ...)
 *   SW_ENOMEM
 * Refusing a shard's start is not an error: out->refused is set and, when the shard was
 * leased, its change back to pending is in out->changes. Thread-safe. */
int wave_fsm_step(const struct wave_view *in, const struct wave_event *ev,
                  struct wave_decision *out, struct sw_err *err);

/* Validates the whole view (stages, state, phase, every shard's stage, state and host):
 * SW_EINVAL "wave view: shard 7: bad stage, state or host". wave_fsm_step runs it for
 * events that look at the whole wave; an event that concerns one shard (go-ahead, step
 * report, lease expiry, rollback report) validates only that shard, so its cost does not
 * grow with the wave. Building with WAVE_FSM_FULL_CHECK defined makes every step run the
 * full check (self-check builds); unit tests call it directly. Thread-safe. */
int wave_fsm_check_view(const struct wave_view *in, struct sw_err *err);

/* ---- the transition table ---------------------------------------------------------- */

enum wave_guard {
    WAVE_G_ALWAYS,
    WAVE_G_WAVE_DONE,            /* tick: the last stage passed */
    WAVE_G_GATE_TIMED_OUT,       /* tick: the gate gave no answer in time */
    WAVE_G_OVER_BUDGET_HALT,     /* failure: over the stage's budget, on_failure = halt */
    WAVE_G_OVER_BUDGET_ROLLBACK, /* ... on_failure = rollback and the rollback can run */
    WAVE_G_OVER_BUDGET_BLOCKED,  /* ... on_failure = rollback but the rollback is blocked */
    WAVE_G_CAN_ROLL_BACK,        /* every moved shard has down migrations */
    WAVE_G_NO_ROLLBACK_BEGUN,    /* resume: no shard has started rolling back */
    WAVE_G_AT_GATE,              /* gate result: the current stage is waiting for it */
    WAVE_G_ROLLBACK_FINISHED,    /* tick: nothing left to roll back or in flight */
    WAVE_G_RB_REPORT_VALID,      /* rollback report: the shard is being rolled back */
    WAVE_G_COUNT
};
const char *wave_guard_name(enum wave_guard g); /* "always", "wave_done", ... */

struct wave_fsm_row {
    enum wave_state from;
    enum wave_event_kind event;
    enum wave_state to;
    enum wave_guard guard;
    const char *comment;
};

/* The table; borrowed, static. */
const struct wave_fsm_row *wave_fsm_table(size_t *n_rows);
/* Whether (from, event, to) is a row of the table (the store's apply check). */
bool wave_fsm_allowed(enum wave_state from, enum wave_event_kind event, enum wave_state to);
/* Whether a wave in this state and stage phase waits for its stage's gate: the phase is
 * gating and the table takes a gate result there (guard at_gate). A halted or rolling-back
 * wave keeps the gating phase (a resume asks the gate again) but waits for no answer. */
bool wave_fsm_awaits_gate(enum wave_state state, enum wave_stage_phase phase);

#endif
