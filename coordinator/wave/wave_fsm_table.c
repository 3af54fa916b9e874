/*
 * The wave state machine's transition table (wave_fsm.h) and the names of its enums.
 * Rows for one (state, event) are tried in order; the first whose guard holds wins.
 */
#include "wave/wave_fsm.h"

/* Shorthands for the table only. */
#define P  WAVE_PENDING
#define R  WAVE_RUNNING
#define PA WAVE_PAUSED
#define H  WAVE_HALTED
#define C  WAVE_COMPLETED
#define A  WAVE_ABORTED
#define RB WAVE_ROLLING_BACK
#define RD WAVE_ROLLED_BACK

static const struct wave_fsm_row fsm_table[] = {
    /* pending: the scheduler starts it at its next tick */
    {P, WAVE_EV_TICK, R, WAVE_G_ALWAYS, "start: stage 0 begins dispatching at the next tick"},
    {P, WAVE_EV_PAUSE, PA, WAVE_G_ALWAYS, "paused before it started; resume starts it"},
    {P, WAVE_EV_ABORT, A, WAVE_G_ALWAYS, "abandoned before it started"},
    {P, WAVE_EV_SHARD_STARTED, P, WAVE_G_ALWAYS, "nothing is leased yet: start refused"},
    {P, WAVE_EV_SHARD_SUCCEEDED, P, WAVE_G_ALWAYS, "stray report: recorded on the shard"},
    {P, WAVE_EV_SHARD_FAILED, P, WAVE_G_ALWAYS, "stray report: recorded on the shard"},
    {P, WAVE_EV_LEASE_EXPIRED, P, WAVE_G_ALWAYS, "stray: the shard goes back to pending"},
    {P, WAVE_EV_GATE_PASSED, P, WAVE_G_ALWAYS, "no gate requested: ignored"},
    {P, WAVE_EV_GATE_FAILED, P, WAVE_G_ALWAYS, "no gate requested: ignored"},
    {P, WAVE_EV_RB_SUCCEEDED, P, WAVE_G_ALWAYS, "stray: ignored"},
    {P, WAVE_EV_RB_FAILED, P, WAVE_G_ALWAYS, "stray: ignored"},
    /* running */
    {R, WAVE_EV_TICK, H, WAVE_G_GATE_TIMED_OUT, "the gate gave no answer in time"},
    {R, WAVE_EV_TICK, C, WAVE_G_WAVE_DONE, "the last stage passed"},
    {R, WAVE_EV_TICK, R, WAVE_G_ALWAYS, "dispatch, bake, request the gate, next stage"},
    {R, WAVE_EV_PAUSE, PA, WAVE_G_ALWAYS, "nothing new starts; in-flight steps report"},
    {R, WAVE_EV_ABORT, A, WAVE_G_ALWAYS, "stop for good; in-flight steps report"},
    {R, WAVE_EV_ROLLBACK, RB, WAVE_G_CAN_ROLL_BACK, "reverse every shard this wave moved"},
    {R, WAVE_EV_SHARD_STARTED, R, WAVE_G_ALWAYS, "go-ahead for a leased shard"},
    {R, WAVE_EV_SHARD_SUCCEEDED, R, WAVE_G_ALWAYS, "the shard is done"},
    {R, WAVE_EV_SHARD_FAILED, H, WAVE_G_OVER_BUDGET_HALT, "over the stage's failure budget"},
    {R, WAVE_EV_SHARD_FAILED, RB, WAVE_G_OVER_BUDGET_ROLLBACK, "over budget, on_failure=rollback"},
    {R, WAVE_EV_SHARD_FAILED, H, WAVE_G_OVER_BUDGET_BLOCKED, "over budget, rollback blocked"},
    {R, WAVE_EV_SHARD_FAILED, R, WAVE_G_ALWAYS, "within the budget"},
    {R, WAVE_EV_LEASE_EXPIRED, R, WAVE_G_ALWAYS, "back to pending, dispatched again"},
    {R, WAVE_EV_GATE_PASSED, R, WAVE_G_AT_GATE, "the stage passed"},
    {R, WAVE_EV_GATE_PASSED, R, WAVE_G_ALWAYS, "stale gate result: ignored"},
    {R, WAVE_EV_GATE_FAILED, H, WAVE_G_AT_GATE, "the gate failed"},
    {R, WAVE_EV_GATE_FAILED, R, WAVE_G_ALWAYS, "stale gate result: ignored"},
    {R, WAVE_EV_RB_SUCCEEDED, R, WAVE_G_ALWAYS, "stray: ignored"},
    {R, WAVE_EV_RB_FAILED, R, WAVE_G_ALWAYS, "stray: ignored"},
    /* paused: strict, nothing new starts */
    {PA, WAVE_EV_TICK, PA, WAVE_G_ALWAYS, "nothing is dispatched or advanced"},
    {PA, WAVE_EV_RESUME, R, WAVE_G_ALWAYS, "continue; re-queue transiently failed shards"},
    {PA, WAVE_EV_ABORT, A, WAVE_G_ALWAYS, "stop for good"},
    {PA, WAVE_EV_ROLLBACK, RB, WAVE_G_CAN_ROLL_BACK, "reverse every shard this wave moved"},
    {PA, WAVE_EV_SHARD_STARTED, PA, WAVE_G_ALWAYS, "start refused: back to pending"},
    {PA, WAVE_EV_SHARD_SUCCEEDED, PA, WAVE_G_ALWAYS, "an in-flight step finished"},
    {PA, WAVE_EV_SHARD_FAILED, H, WAVE_G_OVER_BUDGET_HALT, "over the stage's failure budget"},
    {PA, WAVE_EV_SHARD_FAILED, RB, WAVE_G_OVER_BUDGET_ROLLBACK, "over budget, on_failure=rollback"},
    {PA, WAVE_EV_SHARD_FAILED, H, WAVE_G_OVER_BUDGET_BLOCKED, "over budget, rollback blocked"},
    {PA, WAVE_EV_SHARD_FAILED, PA, WAVE_G_ALWAYS, "within the budget"},
    {PA, WAVE_EV_LEASE_EXPIRED, PA, WAVE_G_ALWAYS, "back to pending"},
    {PA, WAVE_EV_GATE_PASSED, PA, WAVE_G_AT_GATE, "the stage passed; advances after resume"},
    {PA, WAVE_EV_GATE_PASSED, PA, WAVE_G_ALWAYS, "stale gate result: ignored"},
    {PA, WAVE_EV_GATE_FAILED, H, WAVE_G_AT_GATE, "the gate failed"},
    {PA, WAVE_EV_GATE_FAILED, PA, WAVE_G_ALWAYS, "stale gate result: ignored"},
    {PA, WAVE_EV_RB_SUCCEEDED, PA, WAVE_G_ALWAYS, "stray: ignored"},
    {PA, WAVE_EV_RB_FAILED, PA, WAVE_G_ALWAYS, "stray: ignored"},
    /* halted: like paused, entered by the failure budget, a gate or a failed rollback */
    {H, WAVE_EV_TICK, H, WAVE_G_ALWAYS, "nothing is dispatched or advanced"},
    {H, WAVE_EV_RESUME, R, WAVE_G_NO_ROLLBACK_BEGUN,
     "re-queue transient failures, accept the rest"},
    {H, WAVE_EV_ABORT, A, WAVE_G_ALWAYS, "stop for good"},
    {H, WAVE_EV_ROLLBACK, RB, WAVE_G_CAN_ROLL_BACK, "reverse (or retry reversing) moved shards"},
    {H, WAVE_EV_SHARD_STARTED, H, WAVE_G_ALWAYS, "start refused: back to pending"},
    {H, WAVE_EV_SHARD_SUCCEEDED, H, WAVE_G_ALWAYS, "an in-flight step finished"},
    {H, WAVE_EV_SHARD_FAILED, H, WAVE_G_ALWAYS, "an in-flight step failed"},
    {H, WAVE_EV_LEASE_EXPIRED, H, WAVE_G_ALWAYS, "back to pending"},
    {H, WAVE_EV_GATE_PASSED, H, WAVE_G_ALWAYS, "late gate result: ignored"},
    {H, WAVE_EV_GATE_FAILED, H, WAVE_G_ALWAYS, "late gate result: ignored"},
    {H, WAVE_EV_RB_SUCCEEDED, H, WAVE_G_ALWAYS, "an in-flight down step finished"},
    {H, WAVE_EV_RB_FAILED, H, WAVE_G_ALWAYS, "an in-flight down step failed"},
    /* rolling_back */
    {RB, WAVE_EV_TICK, RD, WAVE_G_ROLLBACK_FINISHED, "every moved shard is back"},
    {RB, WAVE_EV_TICK, RB, WAVE_G_ALWAYS, "dispatch down steps, last stage first"},
    {RB, WAVE_EV_ABORT, A, WAVE_G_ALWAYS, "stop the rollback; in-flight steps report"},
    {RB, WAVE_EV_SHARD_STARTED, RB, WAVE_G_ALWAYS, "go-ahead for rollback leases only"},
    {RB, WAVE_EV_SHARD_SUCCEEDED, RB, WAVE_G_ALWAYS, "an in-flight step finished: roll it back"},
    {RB, WAVE_EV_SHARD_FAILED, RB, WAVE_G_ALWAYS, "an in-flight step failed: reported"},
    {RB, WAVE_EV_LEASE_EXPIRED, RB, WAVE_G_ALWAYS, "back to (rb_)pending"},
    {RB, WAVE_EV_GATE_PASSED, RB, WAVE_G_ALWAYS, "late gate result: ignored"},
    {RB, WAVE_EV_GATE_FAILED, RB, WAVE_G_ALWAYS, "late gate result: ignored"},
    {RB, WAVE_EV_RB_SUCCEEDED, RB, WAVE_G_ALWAYS, "the shard is back"},
    {RB, WAVE_EV_RB_FAILED, H, WAVE_G_RB_REPORT_VALID, "a down step failed: stop and report"},
    {RB, WAVE_EV_RB_FAILED, RB, WAVE_G_ALWAYS, "stale report: ignored"},
    /* final states: in-flight steps still report; the wave state never changes */
    {C, WAVE_EV_TICK, C, WAVE_G_ALWAYS, "final"},
    {C, WAVE_EV_SHARD_STARTED, C, WAVE_G_ALWAYS, "start refused"},
    {C, WAVE_EV_SHARD_SUCCEEDED, C, WAVE_G_ALWAYS, "stray report"},
    {C, WAVE_EV_SHARD_FAILED, C, WAVE_G_ALWAYS, "stray report"},
    {C, WAVE_EV_LEASE_EXPIRED, C, WAVE_G_ALWAYS, "stray"},
    {C, WAVE_EV_GATE_PASSED, C, WAVE_G_ALWAYS, "ignored"},
    {C, WAVE_EV_GATE_FAILED, C, WAVE_G_ALWAYS, "ignored"},
    {C, WAVE_EV_RB_SUCCEEDED, C, WAVE_G_ALWAYS, "stray"},
    {C, WAVE_EV_RB_FAILED, C, WAVE_G_ALWAYS, "stray"},
    {A, WAVE_EV_TICK, A, WAVE_G_ALWAYS, "final"},
    {A, WAVE_EV_SHARD_STARTED, A, WAVE_G_ALWAYS, "start refused"},
    {A, WAVE_EV_SHARD_SUCCEEDED, A, WAVE_G_ALWAYS, "an in-flight step finished"},
    {A, WAVE_EV_SHARD_FAILED, A, WAVE_G_ALWAYS, "an in-flight step failed"},
    {A, WAVE_EV_LEASE_EXPIRED, A, WAVE_G_ALWAYS, "back to pending"},
    {A, WAVE_EV_GATE_PASSED, A, WAVE_G_ALWAYS, "ignored"},
    {A, WAVE_EV_GATE_FAILED, A, WAVE_G_ALWAYS, "ignored"},
    {A, WAVE_EV_RB_SUCCEEDED, A, WAVE_G_ALWAYS, "an in-flight down step finished"},
    {A, WAVE_EV_RB_FAILED, A, WAVE_G_ALWAYS, "an in-flight down step failed"},
    {RD, WAVE_EV_TICK, RD, WAVE_G_ALWAYS, "final"},
    {RD, WAVE_EV_SHARD_STARTED, RD, WAVE_G_ALWAYS, "start refused"},
    {RD, WAVE_EV_SHARD_SUCCEEDED, RD, WAVE_G_ALWAYS, "stray report"},
    {RD, WAVE_EV_SHARD_FAILED, RD, WAVE_G_ALWAYS, "stray report"},
    {RD, WAVE_EV_LEASE_EXPIRED, RD, WAVE_G_ALWAYS, "stray"},
    {RD, WAVE_EV_GATE_PASSED, RD, WAVE_G_ALWAYS, "ignored"},
    {RD, WAVE_EV_GATE_FAILED, RD, WAVE_G_ALWAYS, "ignored"},
    {RD, WAVE_EV_RB_SUCCEEDED, RD, WAVE_G_ALWAYS, "stray"},
    {RD, WAVE_EV_RB_FAILED, RD, WAVE_G_ALWAYS, "stray"},
};

#undef P
#undef R
#undef PA
#undef H
#undef C
#undef A
#undef RB
#undef RD

const struct wave_fsm_row *wave_fsm_table(size_t *n_rows)
{
    *n_rows = sizeof fsm_table / sizeof fsm_table[0];
    return fsm_table;
}

bool wave_fsm_allowed(enum wave_state from, enum wave_event_kind event, enum wave_state to)
{
    for (size_t i = 0; i < sizeof fsm_table / sizeof fsm_table[0]; i++) {
        const struct wave_fsm_row *r = &fsm_table[i];
        if (r->from == from && r->event == event && r->to == to) {
            return true;
        }
    }
    return false;
}

bool wave_fsm_awaits_gate(enum wave_state state, enum wave_stage_phase phase)
{
    if (phase != STAGE_GATING) {
        return false;
    }
    for (size_t i = 0; i < sizeof fsm_table / sizeof fsm_table[0]; i++) {
        const struct wave_fsm_row *r = &fsm_table[i];
        bool is_gate_event = r->event == WAVE_EV_GATE_PASSED || r->event == WAVE_EV_GATE_FAILED;
        if (r->from == state && is_gate_event && r->guard == WAVE_G_AT_GATE) {
            return true;
        }
    }
    return false;
}

static const char *const event_names[WAVE_EV_COUNT] = {
    "tick",          "pause",           "resume",       "abort",         "rollback",
    "shard_started", "shard_succeeded", "shard_failed", "lease_expired", "gate_passed",
    "gate_failed",   "rb_succeeded",    "rb_failed",
};

const char *wave_event_kind_name(enum wave_event_kind k)
{
    return (unsigned)k < WAVE_EV_COUNT ? event_names[k] : "?";
}

bool wave_event_is_operator(enum wave_event_kind k)
{
    return k == WAVE_EV_PAUSE || k == WAVE_EV_RESUME || k == WAVE_EV_ABORT || k == WAVE_EV_ROLLBACK;
}

static const char *const guard_names[WAVE_G_COUNT] = {
    "always",
    "wave_done",
    "gate_timed_out",
    "over_budget_halt",
    "over_budget_rollback",
    "over_budget_blocked",
    "can_roll_back",
    "no_rollback_begun",
    "at_gate",
    "rollback_finished",
    "rb_report_valid",
};

const char *wave_guard_name(enum wave_guard g)
{
    return (unsigned)g < WAVE_G_COUNT ? guard_names[g] : "?";
}

static const char *const record_names[WAVE_REC_KIND_COUNT] = {
    "transition", "stage", "shard", "gate", "operator",
};

const char *wave_record_kind_name(enum wave_record_kind k)
{
    return (unsigned)k < WAVE_REC_KIND_COUNT ? record_names[k] : "?";
}
