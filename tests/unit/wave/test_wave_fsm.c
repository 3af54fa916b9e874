/* Unit tests for coordinator/wave/wave_fsm.c: the transition table (self-check and every
 * row), illegal operator events, a whole wave run, budgets, the per-host cap, bake and
 * gate timing, rollback order and the missing-down block, pause strictness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wave/wave_fsm.h"

#define MAX_SHARDS 16
#define NOW        1000000

/* Three stages: canary (t-01), mid (t-02..t-05), rest (t-06..t-10). Shard i is on host
 * i % 2. No failure allowed, no bake, no gate unless a test says so. */
struct tv {
    struct wave_view_stage stages[3];
    struct wave_view_shard shards[MAX_SHARDS];
    char ids[MAX_SHARDS][8];
    struct wave_view view;
    int64_t seq;
};

static void tv_init(struct tv *t)
{
    memset(t, 0, sizeof *t);
    static const char *const names[] = {"canary", "mid", "rest"};
    static const int parallel[] = {1, 2, 3};
    for (int s = 0; s < 3; s++) {
        t->stages[s] = (struct wave_view_stage){names[s], parallel[s], -1, -1, 0, false, 60000};
    }
    for (int i = 0; i < 10; i++) {
        snprintf(t->ids[i], sizeof t->ids[i], "t-%02d", i + 1);
        t->shards[i] = (struct wave_view_shard){.id = t->ids[i],
                                                .stage = i == 0 ? 0u : (i < 5 ? 1u : 2u),
                                                .state = WSHARD_PENDING,
                                                .host = (uint32_t)(i % 2),
                                                .has_down = true};
    }
    t->view = (struct wave_view){
        .now_ms = NOW,
        .state = WAVE_RUNNING,
        .on_failure = PLAN_ON_FAILURE_HALT,
        .n_hosts = 2,
        .n_stages = 3,
        .stages = t->stages,
        .stage = 0,
        .phase = STAGE_DISPATCHING,
        .n_shards = 10,
        .shards = t->shards,
    };
}

static int step(struct tv *t, enum wave_event_kind kind, size_t shard, const char *detail,
                struct wave_decision *d, struct sw_err *err)
{
    struct wave_event ev = {
        .kind = kind, .actor = "ops-oncall", .detail = detail, .shard_idx = shard};
    return wave_fsm_step(&t->view, &ev, d, err);
}

/* What the service does after persisting: the view takes the decision's values. */
static void apply(struct tv *t, const struct wave_decision *d)
{
    t->view.state = d->state;
    t->view.stage = d->stage;
    t->view.phase = d->phase;
    t->view.phase_until_ms = d->phase_until_ms;
    for (size_t i = 0; i < d->n_changes; i++) {
        struct wave_view_shard *s = &t->shards[d->changes[i].shard_idx];
        assert_int_equal(s->state, d->changes[i].from);
        s->state = d->changes[i].to;
        s->failure = d->changes[i].failure;
        if (s->state == WSHARD_DONE) {
            s->finished_seq = ++t->seq;
        }
    }
}

/* Steps and applies; fails the test on an error. */
static void ok(struct tv *t, enum wave_event_kind kind, size_t shard, const char *detail,
               struct wave_decision *d)
{
    struct sw_err err = {0};
    wave_decision_cleanup(d);
    if (step(t, kind, shard, detail, d, &err) != 0) {
        fail_msg("%s: %s", wave_event_kind_name(kind), err.msg);
    }
    apply(t, d);
}

static const char *dispatched(const struct tv *t, const struct wave_decision *d, char *buf,
                              size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < d->n_dispatch; i++) {
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i > 0 ? "," : "",
                                t->ids[d->dispatch[i]]);
    }
    return buf;
}

static const char *last_record(const struct wave_decision *d)
{
    return d->n_records > 0 ? d->records[d->n_records - 1].message : "";
}

/* ---- the table ------------------------------------------------------------------------ */

static void test_table_self_check(void **state)
{
    (void)state;
    size_t n = 0;
    const struct wave_fsm_row *rows = wave_fsm_table(&n);
    /* no duplicate rows */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (rows[i].from == rows[j].from && rows[i].event == rows[j].event &&
                rows[i].to == rows[j].to && rows[i].guard == rows[j].guard) {
                fail_msg("duplicate rows %zu and %zu", i, j);
            }
        }
        assert_non_null(rows[i].comment);
    }
    /* every state reachable from pending */
    bool reach[WAVE_STATE_COUNT] = {[WAVE_PENDING] = true};
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < n; i++) {
            if (reach[rows[i].from] && !reach[rows[i].to]) {
                reach[rows[i].to] = grew = true;
            }
        }
    }
    for (int s = 0; s < WAVE_STATE_COUNT; s++) {
        if (!reach[s]) {
            fail_msg("state %s unreachable", wave_state_name((enum wave_state)s));
        }
    }
    /* final states have no exits and accept no operator event */
    for (size_t i = 0; i < n; i++) {
        if (wave_state_is_final(rows[i].from)) {
            assert_int_equal(rows[i].to, rows[i].from);
            assert_false(wave_event_is_operator(rows[i].event));
        }
    }
    /* every non-operator event has an unguarded row in every state (total) */
    for (int s = 0; s < WAVE_STATE_COUNT; s++) {
        for (int e = 0; e < WAVE_EV_COUNT; e++) {
            bool total = wave_event_is_operator((enum wave_event_kind)e);
            for (size_t i = 0; i < n && !total; i++) {
                total = (int)rows[i].from == s && (int)rows[i].event == e &&
                        rows[i].guard == WAVE_G_ALWAYS;
            }
            if (!total) {
                fail_msg("%s: no unguarded row for %s", wave_state_name((enum wave_state)s),
                         wave_event_kind_name((enum wave_event_kind)e));
            }
        }
    }
    assert_true(wave_fsm_allowed(WAVE_RUNNING, WAVE_EV_PAUSE, WAVE_PAUSED));
    assert_false(wave_fsm_allowed(WAVE_COMPLETED, WAVE_EV_RESUME, WAVE_RUNNING));
}

/* Builds a view in which `row` is the one that applies. */
static size_t scenario(struct tv *t, const struct wave_fsm_row *row)
{
    tv_init(t);
    t->view.state = row->from;
    switch (row->event) {
    case WAVE_EV_SHARD_STARTED:
        t->shards[0].state = WSHARD_LEASED;
        break;
    case WAVE_EV_SHARD_SUCCEEDED:
    case WAVE_EV_SHARD_FAILED:
    case WAVE_EV_LEASE_EXPIRED:
        t->shards[0].state = WSHARD_RUNNING;
        break;
    case WAVE_EV_RB_SUCCEEDED:
    case WAVE_EV_RB_FAILED:
        t->shards[0].state = row->from == WAVE_ROLLING_BACK && row->guard == WAVE_G_ALWAYS &&
                                     row->event == WAVE_EV_RB_FAILED
                                 ? WSHARD_DONE
                                 : WSHARD_RB_RUNNING;
        break;
    case WAVE_EV_TICK:
        if (row->from == WAVE_ROLLING_BACK && row->guard == WAVE_G_ALWAYS) {
            t->shards[0].state = WSHARD_RB_PENDING;
        }
        break;
    case WAVE_EV_PAUSE:
    case WAVE_EV_RESUME:
    case WAVE_EV_ABORT:
    case WAVE_EV_ROLLBACK:
    case WAVE_EV_GATE_PASSED:
    case WAVE_EV_GATE_FAILED:
    case WAVE_EV_COUNT:
        break;
    }
    switch (row->guard) {
    case WAVE_G_WAVE_DONE:
        t->view.stage = 2;
        t->view.phase = STAGE_PASSED;
        break;
    case WAVE_G_GATE_TIMED_OUT:
        t->view.phase = STAGE_GATING;
        t->view.phase_until_ms = NOW - 1;
        break;
    case WAVE_G_AT_GATE:
        t->view.phase = STAGE_GATING;
        t->view.phase_until_ms = NOW + 1000;
        break;
    case WAVE_G_OVER_BUDGET_ROLLBACK:
        t->view.on_failure = PLAN_ON_FAILURE_ROLLBACK;
        break;
    case WAVE_G_OVER_BUDGET_BLOCKED:
        t->view.on_failure = PLAN_ON_FAILURE_ROLLBACK;
        t->shards[1].state = WSHARD_DONE;
        t->shards[1].has_down = false;
        break;
    case WAVE_G_CAN_ROLL_BACK:
        t->shards[1].state = WSHARD_DONE;
        break;
    case WAVE_G_ALWAYS:
        if (row->event == WAVE_EV_SHARD_FAILED) {
            t->stages[0].max_failures = 5;
        }
        break;
    case WAVE_G_OVER_BUDGET_HALT:
    case WAVE_G_NO_ROLLBACK_BEGUN:
    case WAVE_G_ROLLBACK_FINISHED:
    case WAVE_G_RB_REPORT_VALID:
    case WAVE_G_COUNT:
        break;
    }
    return 0;
}

static void test_every_row(void **state)
{
    (void)state;
    size_t n = 0;
    const struct wave_fsm_row *rows = wave_fsm_table(&n);
    for (size_t i = 0; i < n; i++) {
        struct tv t;
        struct wave_decision d = {0};
        struct sw_err err = {0};
        size_t shard = scenario(&t, &rows[i]);
        int rc = step(&t, rows[i].event, shard, "detail", &d, &err);
        if (rc != 0 || d.state != rows[i].to) {
            fail_msg("row %zu (%s, %s, %s, %s): rc %d (%s), got %s", i,
                     wave_state_name(rows[i].from), wave_event_kind_name(rows[i].event),
                     wave_state_name(rows[i].to), wave_guard_name(rows[i].guard), rc, err.msg,
                     wave_state_name(d.state));
        }
        if (rows[i].event == WAVE_EV_GATE_PASSED) {
            assert_int_equal(d.phase,
                             rows[i].guard == WAVE_G_AT_GATE ? STAGE_PASSED : t.view.phase);
        }
        bool moved = rows[i].to != rows[i].from;
        bool has_transition = false;
        for (size_t r = 0; r < d.n_records; r++) {
            has_transition |= d.records[r].kind == WAVE_REC_TRANSITION;
        }
        assert_int_equal(has_transition, moved);
        wave_decision_cleanup(&d);
    }
}

/* ---- illegal operator events ------------------------------------------------------ */

struct illegal_case {
    enum wave_state state;
    enum wave_event_kind event;
    const char *message;
};

static const struct illegal_case illegal_cases[] = {
    {WAVE_PENDING, WAVE_EV_RESUME, "wave is pending: cannot resume"},
    {WAVE_PENDING, WAVE_EV_ROLLBACK, "wave is pending: cannot roll back"},
    {WAVE_RUNNING, WAVE_EV_RESUME, "wave is running: cannot resume"},
    {WAVE_PAUSED, WAVE_EV_PAUSE, "wave is paused: cannot pause"},
    {WAVE_HALTED, WAVE_EV_PAUSE, "wave is halted: cannot pause"},
    {WAVE_ROLLING_BACK, WAVE_EV_PAUSE, "wave is rolling_back: cannot pause"},
    {WAVE_ROLLING_BACK, WAVE_EV_RESUME, "wave is rolling_back: cannot resume"},
    {WAVE_ROLLING_BACK, WAVE_EV_ROLLBACK, "wave is rolling_back: cannot roll back"},
    {WAVE_COMPLETED, WAVE_EV_PAUSE, "wave is completed: cannot pause"},
    {WAVE_COMPLETED, WAVE_EV_RESUME, "wave is completed: cannot resume"},
    {WAVE_COMPLETED, WAVE_EV_ABORT, "wave is completed: cannot abort"},
    {WAVE_COMPLETED, WAVE_EV_ROLLBACK, "wave is completed: cannot roll back"},
    {WAVE_ABORTED, WAVE_EV_PAUSE, "wave is aborted: cannot pause"},
    {WAVE_ABORTED, WAVE_EV_RESUME, "wave is aborted: cannot resume"},
    {WAVE_ABORTED, WAVE_EV_ABORT, "wave is aborted: cannot abort"},
    {WAVE_ABORTED, WAVE_EV_ROLLBACK, "wave is aborted: cannot roll back"},
    {WAVE_ROLLED_BACK, WAVE_EV_PAUSE, "wave is rolled_back: cannot pause"},
    {WAVE_ROLLED_BACK, WAVE_EV_RESUME, "wave is rolled_back: cannot resume"},
    {WAVE_ROLLED_BACK, WAVE_EV_ABORT, "wave is rolled_back: cannot abort"},
    {WAVE_ROLLED_BACK, WAVE_EV_ROLLBACK, "wave is rolled_back: cannot roll back"},
};

static void test_illegal_operator_events(void **state)
{
    (void)state;
    size_t n_cases = sizeof illegal_cases / sizeof illegal_cases[0];
    for (size_t i = 0; i < n_cases; i++) {
        const struct illegal_case *ic = &illegal_cases[i];
        struct tv t;
        tv_init(&t);
        t.view.state = ic->state;
        struct wave_decision d = {0};
        struct sw_err err = {0};
        assert_int_equal(step(&t, ic->event, 0, NULL, &d, &err), SW_ECONFLICT);
        assert_string_equal(err.msg, ic->message);
        wave_decision_cleanup(&d);
    }
    /* the cases are exactly the operator events without a row */
    size_t n_missing = 0;
    for (int s = 0; s < WAVE_STATE_COUNT; s++) {
        for (int e = 0; e < WAVE_EV_COUNT; e++) {
            bool any = false;
            for (int to = 0; to < WAVE_STATE_COUNT; to++) {
                any |= wave_fsm_allowed((enum wave_state)s, (enum wave_event_kind)e,
                                        (enum wave_state)to);
            }
            n_missing += wave_event_is_operator((enum wave_event_kind)e) && !any;
        }
    }
    assert_int_equal(n_missing, n_cases);

    struct tv t;
    struct wave_decision d = {0};
    struct sw_err err = {0};
    tv_init(&t);
    t.view.state = WAVE_COMPLETED;
    assert_int_equal(step(&t, WAVE_EV_RESUME, 0, NULL, &d, &err), SW_ECONFLICT);
    assert_string_equal(err.hint, "the wave is finished; start a new wave");
    wave_decision_cleanup(&d);
}

static void test_guarded_refusals(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    struct sw_err err = {0};
    tv_init(&t);
    t.view.state = WAVE_HALTED;
    t.shards[1].state = WSHARD_DONE;
    t.shards[1].has_down = false;
    assert_int_equal(step(&t, WAVE_EV_ROLLBACK, 0, NULL, &d, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "wave is halted: cannot roll back: shard t-02 has no down "
                                 "migration for a step it moved through");
    wave_decision_cleanup(&d);
    t.shards[2].state = WSHARD_RUNNING;
    t.shards[2].has_down = false;
    assert_int_equal(step(&t, WAVE_EV_ROLLBACK, 0, NULL, &d, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "wave is halted: cannot roll back: 2 shards have no down "
                                 "migration for a step they moved through: t-02, t-03");
    wave_decision_cleanup(&d);

    tv_init(&t);
    t.view.state = WAVE_HALTED;
    t.shards[0].state = WSHARD_RB_FAILED;
    assert_int_equal(step(&t, WAVE_EV_RESUME, 0, NULL, &d, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "wave is halted: cannot resume: its rollback has begun");
    wave_decision_cleanup(&d);
}

/* ---- runs ------------------------------------------------------------------------------ */

static void test_full_run_stage_order(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    char buf[256];
    tv_init(&t);
    t.view.state = WAVE_PENDING;
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.state, WAVE_RUNNING);
    assert_int_equal(d.n_dispatch, 0);
    assert_string_equal(d.records[0].message, "stage canary: started");
    assert_string_equal(last_record(&d), "pending -> running");

    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-01");
    ok(&t, WAVE_EV_TICK, 0, NULL, &d); /* max_parallel 1: nothing more */
    assert_int_equal(d.n_dispatch, 0);
    ok(&t, WAVE_EV_SHARD_STARTED, 0, NULL, &d);
    assert_false(d.refused);
    assert_int_equal(t.shards[0].state, WSHARD_RUNNING);
    ok(&t, WAVE_EV_SHARD_SUCCEEDED, 0, NULL, &d);
    /* canary done, no bake, no gate: passes and mid starts in the same tick */
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.stage, 1);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-02,t-03");
    assert_string_equal(d.records[0].message,
                        "stage canary: all 1 shards finished (0 failed); baking for 0 s");
    assert_string_equal(d.records[1].message, "stage canary: passed");
    assert_string_equal(d.records[2].message, "stage mid: started");

    /* run everything to the end with a well-behaved agent */
    for (int round = 0; round < 20 && t.view.state == WAVE_RUNNING; round++) {
        size_t n = d.n_dispatch;
        size_t idx[MAX_SHARDS];
        memcpy(idx, d.dispatch, n * sizeof *idx);
        for (size_t k = 0; k < n; k++) {
            /* nothing of a later stage is leased while an earlier one has work */
            for (size_t j = 0; j < 10; j++) {
                if (t.shards[j].stage < t.shards[idx[k]].stage) {
                    assert_int_equal(t.shards[j].state, WSHARD_DONE);
                }
            }
            ok(&t, WAVE_EV_SHARD_STARTED, idx[k], NULL, &d);
            ok(&t, WAVE_EV_SHARD_SUCCEEDED, idx[k], NULL, &d);
        }
        ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    }
    assert_int_equal(t.view.state, WAVE_COMPLETED);
    assert_string_equal(last_record(&d), "running -> completed");
    for (size_t j = 0; j < 10; j++) {
        assert_int_equal(t.shards[j].state, WSHARD_DONE);
    }
    wave_decision_cleanup(&d);
}

static void test_per_host_cap(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    char buf[256];
    tv_init(&t);
    t.shards[0].state = WSHARD_DONE;
    t.view.stage = 2;
    t.stages[2].max_parallel = 5;
    for (size_t i = 1; i < 5; i++) {
        t.shards[i].state = WSHARD_DONE;
    }
    t.view.max_per_host = 1;
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-06,t-07"); /* hosts 1, 0 */
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(d.n_dispatch, 0);
    ok(&t, WAVE_EV_SHARD_STARTED, 5, NULL, &d);
    ok(&t, WAVE_EV_SHARD_SUCCEEDED, 5, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-08"); /* host 1 again */

    /* a host busy with another stage's in-flight shard counts too */
    tv_init(&t);
    t.view.max_per_host = 2;
    t.view.stage = 1;
    t.stages[1].max_parallel = 4;
    t.shards[0].state = WSHARD_RUNNING; /* host 0, stage 0 (e.g. re-dispatched) */
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-02,t-03,t-04");
    wave_decision_cleanup(&d);
}

static void test_budget_max_failures(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    tv_init(&t);
    t.view.stage = 1;
    t.shards[0].state = WSHARD_DONE;
    t.stages[1].max_failures = 1;
    for (size_t i = 1; i < 5; i++) {
        t.shards[i].state = WSHARD_RUNNING;
    }
    ok(&t, WAVE_EV_SHARD_FAILED, 1, "relation \"users\" does not exist", &d);
    assert_int_equal(t.view.state, WAVE_RUNNING);
    assert_int_equal(t.shards[1].state, WSHARD_FAILED);
    assert_string_equal(last_record(&d), "shard t-02 failed: relation \"users\" does not exist");
    ok(&t, WAVE_EV_SHARD_FAILED, 2, "lock timeout", &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    assert_string_equal(d.reason, "stage mid: shard t-03 failed: lock timeout; 2 of 4 shards "
                                  "failed, over the budget (max_failures 1)");
    assert_string_equal(last_record(&d),
                        "running -> halted: stage mid: shard t-03 failed: lock timeout; 2 of 4 "
                        "shards failed, over the budget (max_failures 1)");
    /* halted: in-flight steps still report, nothing new starts */
    ok(&t, WAVE_EV_SHARD_SUCCEEDED, 3, NULL, &d);
    assert_int_equal(t.shards[3].state, WSHARD_DONE);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(d.n_dispatch, 0);
    /* resume: the operator accepts; the stage goes on */
    ok(&t, WAVE_EV_RESUME, 0, "known issue", &d);
    assert_int_equal(t.view.state, WAVE_RUNNING);
    assert_string_equal(d.records[0].message, "resume by ops-oncall: known issue");
    assert_string_equal(last_record(&d), "halted -> running by ops-oncall");
    wave_decision_cleanup(&d);
}

static void test_budget_percent_and_default(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    tv_init(&t);
    t.view.stage = 1;
    t.stages[1].max_failure_percent = 25; /* of 4 shards: 1 allowed */
    for (size_t i = 1; i < 5; i++) {
        t.shards[i].state = WSHARD_RUNNING;
    }
    ok(&t, WAVE_EV_SHARD_FAILED, 1, NULL, &d);
    assert_int_equal(t.view.state, WAVE_RUNNING);
    ok(&t, WAVE_EV_SHARD_FAILED, 4, NULL, &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    assert_string_equal(d.reason, "stage mid: shard t-05 failed; 2 of 4 shards failed, over the "
                                  "budget (max_failure_percent 25)");
    /* skipped shards do not count in the percentage */
    tv_init(&t);
    t.view.stage = 1;
    t.stages[1].max_failure_percent = 50;
    t.shards[1].state = WSHARD_SKIPPED;
    t.shards[2].state = WSHARD_FAILED;
    t.shards[3].state = WSHARD_RUNNING;
    ok(&t, WAVE_EV_SHARD_FAILED, 3, NULL, &d); /* 2 of 3 > 50 % */
    assert_int_equal(t.view.state, WAVE_HALTED);
    /* no budget set: the first failure halts */
    tv_init(&t);
    t.shards[0].state = WSHARD_RUNNING;
    ok(&t, WAVE_EV_SHARD_FAILED, 0, "boom", &d);
    assert_string_equal(d.reason, "stage canary: shard t-01 failed: boom; 1 of 1 shards failed, "
                                  "over the budget (no failures allowed)");
    /* a stale failure report changes nothing */
    ok(&t, WAVE_EV_SHARD_FAILED, 0, "again", &d);
    assert_int_equal(d.n_changes, 0);
    assert_string_equal(last_record(&d),
                        "shard_failed report for shard t-01 ignored: it is failed");
    wave_decision_cleanup(&d);
}

/* Steps an event built by the caller (failure class, retry_failed) and applies it. */
static void ok_ev(struct tv *t, struct wave_event *ev, struct wave_decision *d)
{
    struct sw_err err = {0};
    wave_decision_cleanup(d);
    ev->actor = "ops-oncall";
    if (wave_fsm_step(&t->view, ev, d, &err) != 0) {
        fail_msg("%s: %s", wave_event_kind_name(ev->kind), err.msg);
    }
    apply(t, d);
}

static void fail_as(struct tv *t, size_t shard, enum wave_failure why, struct wave_decision *d)
{
    struct wave_event ev = {.kind = WAVE_EV_SHARD_FAILED,
                            .detail = wave_failure_name(why),
                            .shard_idx = shard,
                            .failure = why};
    ok_ev(t, &ev, d);
}

static void resume(struct tv *t, bool retry_failed, struct wave_decision *d)
{
    struct wave_event ev = {.kind = WAVE_EV_RESUME, .retry_failed = retry_failed};
    ok_ev(t, &ev, d);
}

/* Stage mid (max_failures 1) running t-02..t-05. */
static void mid_running(struct tv *t)
{
    tv_init(t);
    t->view.stage = 1;
    t->shards[0].state = WSHARD_DONE;
    t->stages[1].max_failures = 1;
    for (size_t i = 1; i < 5; i++) {
        t->shards[i].state = WSHARD_RUNNING;
    }
}

/* A database server down: its shards fail as unreachable and halt the wave over budget;
 * resume re-queues them, and the budget counts each one's new outcome once. */
static void test_resume_requeues_unreachable(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    char buf[64];
    mid_running(&t);
    fail_as(&t, 1, WFAIL_UNREACHABLE, &d);
    assert_int_equal(t.view.state, WAVE_RUNNING);
    assert_int_equal(d.changes[0].failure, WFAIL_UNREACHABLE);
    fail_as(&t, 2, WFAIL_UNREACHABLE, &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    assert_string_equal(d.reason, "stage mid: shard t-03 failed: unreachable; 2 of 4 shards "
                                  "failed, over the budget (max_failures 1)");
    ok(&t, WAVE_EV_SHARD_SUCCEEDED, 3, NULL, &d);
    ok(&t, WAVE_EV_SHARD_SUCCEEDED, 4, NULL, &d);
    resume(&t, false, &d);
    assert_int_equal(t.view.state, WAVE_RUNNING);
    assert_int_equal(t.view.phase, STAGE_DISPATCHING);
    assert_int_equal(t.shards[1].state, WSHARD_PENDING);
    assert_int_equal(t.shards[2].state, WSHARD_PENDING);
    assert_int_equal(t.shards[1].failure, WFAIL_NONE);
    assert_int_equal(d.n_records, 4);
    assert_string_equal(d.records[0].message, "resume by ops-oncall");
    assert_string_equal(d.records[1].message,
                        "shard t-02 re-queued by ops-oncall (it failed: unreachable)");
    assert_string_equal(d.records[2].message,
                        "shard t-03 re-queued by ops-oncall (it failed: unreachable)");
    assert_int_equal(d.records[1].shard_idx, 1);
    assert_string_equal(last_record(&d), "halted -> running by ops-oncall");
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-02,t-03");
    ok(&t, WAVE_EV_SHARD_STARTED, 1, NULL, &d);
    ok(&t, WAVE_EV_SHARD_STARTED, 2, NULL, &d);
    /* t-02 fails again: 1 failure in the stage now, not 3: within the budget */
    fail_as(&t, 1, WFAIL_UNREACHABLE, &d);
    assert_int_equal(t.view.state, WAVE_RUNNING);
    ok(&t, WAVE_EV_SHARD_SUCCEEDED, 2, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.stage, 2);
    assert_string_equal(d.records[0].message,
                        "stage mid: all 4 shards finished (1 failed); baking for 0 s");
    wave_decision_cleanup(&d);
}

/* What a resume re-queues by failure class: transient always, errors on request, dirty
 * never. */
static void test_resume_failure_classes(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    mid_running(&t);
    fail_as(&t, 1, WFAIL_LOCK_TIMEOUT, &d);
    fail_as(&t, 2, WFAIL_ERROR, &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    fail_as(&t, 3, WFAIL_DIRTY, &d);
    fail_as(&t, 4, WFAIL_NONE, &d); /* an unclassified failure is an error */
    assert_int_equal(t.shards[4].failure, WFAIL_ERROR);
    resume(&t, false, &d);
    assert_int_equal(t.shards[1].state, WSHARD_PENDING);
    assert_int_equal(t.shards[2].state, WSHARD_FAILED);
    assert_int_equal(t.shards[3].state, WSHARD_FAILED);
    assert_int_equal(t.shards[4].state, WSHARD_FAILED);
    assert_string_equal(d.records[1].message,
                        "shard t-02 re-queued by ops-oncall (it failed: lock_timeout)");
    assert_string_equal(d.records[2].message,
                        "resume left 1 dirty shard(s) failed (repair them) and 2 shard(s) that "
                        "failed with an error (resume --retry-failed retries them)");
    /* t-02 fails again: 4 failures, over the budget; --retry-failed takes the errors */
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    ok(&t, WAVE_EV_SHARD_STARTED, 1, NULL, &d);
    fail_as(&t, 1, WFAIL_LOCK_TIMEOUT, &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    resume(&t, true, &d);
    assert_int_equal(t.shards[1].state, WSHARD_PENDING);
    assert_int_equal(t.shards[2].state, WSHARD_PENDING);
    assert_int_equal(t.shards[3].state, WSHARD_FAILED);
    assert_int_equal(t.shards[3].failure, WFAIL_DIRTY);
    assert_int_equal(t.shards[4].state, WSHARD_PENDING);
    assert_string_equal(d.records[2].message,
                        "shard t-03 re-queued by ops-oncall (it failed: error)");
    assert_string_equal(d.records[4].message,
                        "resume left 1 dirty shard(s) failed (repair them) and 0 shard(s) that "
                        "failed with an error (resume --retry-failed retries them)");
    /* nothing retryable: a resume changes no shard */
    t.shards[1].state = WSHARD_DONE;
    t.shards[2].state = WSHARD_DONE;
    t.shards[4].state = WSHARD_DONE;
    ok(&t, WAVE_EV_PAUSE, 0, NULL, &d);
    resume(&t, true, &d);
    assert_int_equal(d.n_changes, 0);
    wave_decision_cleanup(&d);
}

/* A shard of an earlier stage that failed within its budget is re-queued too: it runs
 * with the current stage, which waits for it before it bakes. A stage halted at its gate
 * dispatches its re-queued shards again before it asks the gate again. */
static void test_resume_earlier_stage_and_gate(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    char buf[64];
    tv_init(&t);
    t.stages[0].max_failures = 1;
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    ok(&t, WAVE_EV_SHARD_STARTED, 0, NULL, &d);
    fail_as(&t, 0, WFAIL_UNREACHABLE, &d);
    ok(&t, WAVE_EV_PAUSE, 0, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    t.view.stage = 1; /* canary passed within its budget while the server was down */
    resume(&t, false, &d);
    assert_int_equal(t.shards[0].state, WSHARD_PENDING);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-01,t-02");
    for (size_t i = 1; i < 5; i++) {
        t.shards[i].state = WSHARD_DONE;
    }
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.stage, 1); /* t-01 still runs */
    assert_int_equal(t.view.phase, STAGE_DISPATCHING);
    ok(&t, WAVE_EV_SHARD_STARTED, 0, NULL, &d);
    ok(&t, WAVE_EV_SHARD_SUCCEEDED, 0, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.stage, 2);
    /* halted at a gate with a re-queueable shard in the stage */
    tv_init(&t);
    t.stages[0].max_failures = 1;
    t.stages[0].has_gate = true;
    t.shards[0].state = WSHARD_FAILED;
    t.shards[0].failure = WFAIL_UNREACHABLE;
    t.view.phase = STAGE_GATING;
    t.view.phase_until_ms = NOW + 120000;
    ok(&t, WAVE_EV_GATE_FAILED, 0, "0 rows", &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    resume(&t, false, &d);
    assert_false(d.gate_check);
    assert_int_equal(t.view.phase, STAGE_DISPATCHING);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-01");
    wave_decision_cleanup(&d);
}

static void test_bake_and_gate(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    tv_init(&t);
    t.stages[0].bake_ms = 300000;
    t.stages[0].has_gate = true;
    t.shards[0].state = WSHARD_DONE;
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.phase, STAGE_BAKING);
    assert_int_equal(t.view.phase_until_ms, NOW + 300000);
    assert_string_equal(last_record(&d),
                        "stage canary: all 1 shards finished (0 failed); baking for 300 s");
    t.view.now_ms = NOW + 299999;
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.phase, STAGE_BAKING);
    assert_false(d.gate_check);
    t.view.now_ms = NOW + 300000;
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.phase, STAGE_GATING);
    assert_true(d.gate_check);
    assert_int_equal(t.view.phase_until_ms, NOW + 300000 + 120000);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d); /* waiting for the gate: asked once */
    assert_false(d.gate_check);
    assert_int_equal(t.view.stage, 0);
    ok(&t, WAVE_EV_GATE_PASSED, 0, "0 rows", &d);
    assert_int_equal(t.view.phase, STAGE_PASSED);
    assert_string_equal(last_record(&d), "stage canary: gate passed: 0 rows");
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.stage, 1);
    assert_int_equal(d.n_dispatch, 2);

    /* gate failed -> halted */
    tv_init(&t);
    t.view.phase = STAGE_GATING;
    t.view.phase_until_ms = NOW + 1000;
    ok(&t, WAVE_EV_GATE_FAILED, 0, "HTTP 503", &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    assert_string_equal(d.reason, "stage canary: gate failed: HTTP 503");
    /* gate gave no answer in time -> halted; resume asks again */
    tv_init(&t);
    t.view.phase = STAGE_GATING;
    t.view.phase_until_ms = NOW;
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    assert_string_equal(d.reason, "stage canary: the gate gave no answer within 120 s");
    ok(&t, WAVE_EV_RESUME, 0, NULL, &d);
    assert_true(d.gate_check);
    assert_int_equal(t.view.phase_until_ms, NOW + 120000);
    wave_decision_cleanup(&d);
}

/* A lease's end with dispatch_freed (what the service sends) hands out the slot it frees
 * in the stage being dispatched and nothing else: a finished stage is not settled, no
 * gate is asked, the wave does not complete (a tick does all that). */
static void lease_ends(struct tv *t, enum wave_event_kind kind, size_t shard,
                       struct wave_decision *d)
{
    struct wave_event ev = {
        .kind = kind, .actor = "a-1", .shard_idx = shard, .dispatch_freed = true};
    struct sw_err err = {0};
    wave_decision_cleanup(d);
    if (wave_fsm_step(&t->view, &ev, d, &err) != 0) {
        fail_msg("%s: %s", wave_event_kind_name(kind), err.msg);
    }
    apply(t, d);
}

static void test_dispatch_freed(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    char buf[64];
    tv_init(&t);
    t.stages[1].has_gate = true;
    t.stages[1].max_failures = 1;
    t.shards[0].state = WSHARD_DONE;
    t.view.stage = 1;
    t.shards[1].state = WSHARD_RUNNING;
    t.shards[2].state = WSHARD_RUNNING;
    lease_ends(&t, WAVE_EV_SHARD_SUCCEEDED, 1, &d);
    assert_int_equal(t.shards[1].state, WSHARD_DONE);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-04");
    assert_int_equal(t.shards[3].state, WSHARD_LEASED);
    lease_ends(&t, WAVE_EV_LEASE_EXPIRED, 3, &d); /* back to pending, and leased again */
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-04");
    lease_ends(&t, WAVE_EV_SHARD_FAILED, 2, &d); /* within the budget */
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-05");
    t.shards[3].state = WSHARD_DONE;
    t.shards[4].state = WSHARD_RUNNING;
    lease_ends(&t, WAVE_EV_SHARD_SUCCEEDED, 4, &d); /* the stage's last: left to the tick */
    assert_int_equal(d.n_dispatch, 0);
    assert_int_equal(t.view.phase, STAGE_DISPATCHING);
    assert_false(d.gate_check);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d); /* a tick settles the stage and asks the gate */
    assert_int_equal(t.view.phase, STAGE_GATING);
    assert_true(d.gate_check);
    /* over the budget: halted, nothing dispatched */
    tv_init(&t);
    t.view.stage = 1;
    t.shards[0].state = WSHARD_DONE;
    t.shards[1].state = WSHARD_RUNNING;
    lease_ends(&t, WAVE_EV_SHARD_FAILED, 1, &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    assert_int_equal(d.n_dispatch, 0);
    /* paused: an in-flight shard's end dispatches nothing */
    tv_init(&t);
    t.view.state = WAVE_PAUSED;
    t.shards[0].state = WSHARD_RUNNING;
    lease_ends(&t, WAVE_EV_SHARD_SUCCEEDED, 0, &d);
    assert_int_equal(d.n_dispatch, 0);
    wave_decision_cleanup(&d);
}

/* The caller's summary (in_flight_by_stage, pending_lo) hands out a freed slot without a
 * pass over the wave, and a wrong one is refused by every whole-wave check. */
static void test_dispatch_freed_summary(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    struct sw_err err = {0};
    char buf[64];
    size_t in_flight[3] = {0, 2, 0};
    tv_init(&t);
    t.shards[0].state = WSHARD_DONE;
    t.view.stage = 1;
    t.shards[1].state = WSHARD_RUNNING;
    t.shards[2].state = WSHARD_RUNNING;
    t.view.in_flight_by_stage = in_flight;
    t.view.pending_lo = 3;
    assert_int_equal(wave_fsm_check_view(&t.view, &err), 0);
    lease_ends(&t, WAVE_EV_SHARD_SUCCEEDED, 1, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-04");
    in_flight[1] = 2; /* t-03 running, t-04 leased */
    t.view.pending_lo = 4;
    lease_ends(&t, WAVE_EV_LEASE_EXPIRED, 2, &d); /* t-03 pending again, below pending_lo */
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-03");
    in_flight[1] = 3; /* wrong: two are */
    assert_int_equal(wave_fsm_check_view(&t.view, &err), SW_EINVAL);
    assert_string_equal(err.msg, "wave view: stage 1 has 2 shards in flight, the summary says 3");
    wave_decision_cleanup(&d);
    assert_int_equal(step(&t, WAVE_EV_TICK, 0, NULL, &d, &err), SW_EINVAL);
    in_flight[1] = 2;
    t.view.pending_lo = 6; /* t-05 is pending */
    assert_int_equal(wave_fsm_check_view(&t.view, &err), SW_EINVAL);
    assert_string_equal(err.msg, "wave view: shard 4 is pending, below pending_lo 6");
    wave_decision_cleanup(&d);
}

/* Paused while baking, resumed after the bake elapsed: the gate is asked, and its failure
 * halts the wave at once (it used to be ignored until the gate timed out). */
static void test_gate_after_pause_resume(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    tv_init(&t);
    t.stages[0].bake_ms = 2000;
    t.stages[0].has_gate = true;
    t.shards[0].state = WSHARD_DONE;
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.phase, STAGE_BAKING);
    ok(&t, WAVE_EV_PAUSE, 0, NULL, &d);
    assert_int_equal(t.view.state, WAVE_PAUSED);
    t.view.now_ms = NOW + 5000;
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    ok(&t, WAVE_EV_RESUME, 0, NULL, &d);
    assert_int_equal(t.view.state, WAVE_RUNNING);
    bool asked = d.gate_check;
    for (int i = 0; i < 3 && t.view.phase != STAGE_GATING; i++) {
        ok(&t, WAVE_EV_TICK, 0, NULL, &d);
        asked = asked || d.gate_check;
    }
    assert_int_equal(t.view.phase, STAGE_GATING);
    assert_true(asked);
    ok(&t, WAVE_EV_GATE_FAILED, 0, "0 rows", &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    assert_string_equal(d.reason, "stage canary: gate failed: 0 rows");
    wave_decision_cleanup(&d);
}

/* Who waits for a gate answer: only running and paused waves at a gating stage. A wave
 * halted by its gate keeps the gating phase (resume asks again) but awaits nothing, so the
 * coordinator neither keeps nor re-offers its gate leases. */
static void test_awaits_gate(void **state)
{
    (void)state;
    static const struct {
        enum wave_state state;
        enum wave_stage_phase phase;
        bool awaits;
    } cases[] = {
        {WAVE_RUNNING, STAGE_GATING, true},       {WAVE_PAUSED, STAGE_GATING, true},
        {WAVE_HALTED, STAGE_GATING, false},       {WAVE_ROLLING_BACK, STAGE_GATING, false},
        {WAVE_PENDING, STAGE_GATING, false},      {WAVE_COMPLETED, STAGE_GATING, false},
        {WAVE_ABORTED, STAGE_GATING, false},      {WAVE_ROLLED_BACK, STAGE_GATING, false},
        {WAVE_RUNNING, STAGE_BAKING, false},      {WAVE_PAUSED, STAGE_BAKING, false},
        {WAVE_RUNNING, STAGE_DISPATCHING, false}, {WAVE_RUNNING, STAGE_PASSED, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = wave_fsm_awaits_gate(cases[i].state, cases[i].phase);
        if (got != cases[i].awaits) {
            fail_msg("case %zu: %s at %s: expected %d", i, wave_state_name(cases[i].state),
                     wave_stage_phase_name(cases[i].phase), cases[i].awaits);
        }
    }
}

static void test_pause_is_strict(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    tv_init(&t);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.shards[0].state, WSHARD_LEASED);
    ok(&t, WAVE_EV_PAUSE, 0, "db maintenance", &d);
    assert_int_equal(t.view.state, WAVE_PAUSED);
    assert_string_equal(d.records[0].message, "pause by ops-oncall: db maintenance");
    assert_string_equal(last_record(&d), "running -> paused by ops-oncall");
    /* the agent asks for the go-ahead: refused, the shard goes back to pending */
    ok(&t, WAVE_EV_SHARD_STARTED, 0, NULL, &d);
    assert_true(d.refused);
    assert_string_equal(d.reason, "wave is paused: shard t-01 may not start");
    assert_int_equal(t.shards[0].state, WSHARD_PENDING);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(d.n_dispatch, 0);
    ok(&t, WAVE_EV_RESUME, 0, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(d.n_dispatch, 1);
    ok(&t, WAVE_EV_SHARD_STARTED, 0, NULL, &d);
    assert_false(d.refused);
    /* a start request for a shard without a lease is refused */
    ok(&t, WAVE_EV_SHARD_STARTED, 1, NULL, &d);
    assert_true(d.refused);
    assert_string_equal(d.reason, "shard t-02 is pending: it holds no lease");
    wave_decision_cleanup(&d);
}

static void test_lease_expiry_redispatch(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    char buf[64];
    tv_init(&t);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    ok(&t, WAVE_EV_SHARD_STARTED, 0, NULL, &d);
    ok(&t, WAVE_EV_LEASE_EXPIRED, 0, NULL, &d);
    assert_int_equal(t.shards[0].state, WSHARD_PENDING);
    assert_string_equal(last_record(&d),
                        "shard t-01: lease expired while running; back to pending");
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-01");
    wave_decision_cleanup(&d);
}

/* Stages 0 and 1 done (t-01 first, then t-02..t-05 in the order 3, 5, 2, 4). */
static void moved_two_stages(struct tv *t)
{
    tv_init(t);
    static const size_t order[] = {0, 2, 4, 1, 3};
    for (size_t k = 0; k < 5; k++) {
        t->shards[order[k]].state = WSHARD_DONE;
        t->shards[order[k]].finished_seq = (int64_t)k + 1;
    }
    t->view.stage = 2;
    t->view.state = WAVE_HALTED;
}

static void test_rollback_order(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    char buf[64];
    moved_two_stages(&t);
    t.shards[5].state = WSHARD_FAILED;
    ok(&t, WAVE_EV_ROLLBACK, 0, NULL, &d);
    assert_int_equal(t.view.state, WAVE_ROLLING_BACK);
    assert_int_equal(d.n_dispatch, 0);
    assert_int_equal(t.shards[0].state, WSHARD_RB_PENDING);
    assert_int_equal(t.shards[5].state, WSHARD_FAILED);
    assert_string_equal(d.records[1].message,
                        "1 failed shard (first t-06) may hold partial changes: not rolled back "
                        "automatically; inspect and repair it");
    /* mid first (the last stage with moved shards), newest first, max_parallel 2 */
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.stage, 1);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-04,t-02");
    ok(&t, WAVE_EV_SHARD_STARTED, 3, NULL, &d);
    assert_int_equal(t.shards[3].state, WSHARD_RB_RUNNING);
    ok(&t, WAVE_EV_RB_SUCCEEDED, 3, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-05");
    ok(&t, WAVE_EV_RB_SUCCEEDED, 1, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-03");
    ok(&t, WAVE_EV_RB_SUCCEEDED, 4, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d); /* t-03 still in flight: the canary waits */
    assert_int_equal(d.n_dispatch, 0);
    ok(&t, WAVE_EV_RB_SUCCEEDED, 2, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.stage, 0);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-01");
    ok(&t, WAVE_EV_RB_SUCCEEDED, 0, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_int_equal(t.view.state, WAVE_ROLLED_BACK);
    assert_string_equal(last_record(&d), "rolling_back -> rolled_back");
    wave_decision_cleanup(&d);
}

/* A rollback result with dispatch_freed sends the next shard to reverse at once. */
static void test_rollback_dispatch_freed(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    char buf[64];
    moved_two_stages(&t);
    ok(&t, WAVE_EV_ROLLBACK, 0, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-04,t-02");
    ok(&t, WAVE_EV_SHARD_STARTED, 3, NULL, &d);
    lease_ends(&t, WAVE_EV_RB_SUCCEEDED, 3, &d);
    assert_int_equal(t.shards[3].state, WSHARD_ROLLED_BACK);
    assert_string_equal(dispatched(&t, &d, buf, sizeof buf), "t-05");
    wave_decision_cleanup(&d);
}

static void test_rollback_failure_and_retry(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    moved_two_stages(&t);
    ok(&t, WAVE_EV_ROLLBACK, 0, NULL, &d);
    ok(&t, WAVE_EV_TICK, 0, NULL, &d);
    ok(&t, WAVE_EV_SHARD_STARTED, 3, NULL, &d);
    ok(&t, WAVE_EV_RB_FAILED, 3, "cannot drop column", &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    assert_string_equal(d.reason, "rollback of shard t-04 failed: cannot drop column; fix the "
                                  "shard, then roll back again or abort");
    /* the other in-flight down step still reports */
    ok(&t, WAVE_EV_RB_SUCCEEDED, 1, NULL, &d);
    assert_int_equal(t.shards[1].state, WSHARD_ROLLED_BACK);
    ok(&t, WAVE_EV_ROLLBACK, 0, NULL, &d); /* retry */
    assert_int_equal(t.view.state, WAVE_ROLLING_BACK);
    assert_int_equal(t.shards[3].state, WSHARD_RB_PENDING);
    assert_int_equal(t.shards[1].state, WSHARD_ROLLED_BACK);
    wave_decision_cleanup(&d);
}

static void test_on_failure_rollback(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    tv_init(&t);
    t.view.on_failure = PLAN_ON_FAILURE_ROLLBACK;
    t.view.stage = 1;
    t.shards[0].state = WSHARD_DONE;
    t.shards[1].state = WSHARD_RUNNING;
    t.shards[2].state = WSHARD_LEASED;
    t.shards[3].state = WSHARD_RUNNING;
    ok(&t, WAVE_EV_SHARD_FAILED, 1, "boom", &d);
    assert_int_equal(t.view.state, WAVE_ROLLING_BACK);
    assert_int_equal(t.shards[0].state, WSHARD_RB_PENDING);
    assert_int_equal(t.shards[1].state, WSHARD_FAILED);
    assert_int_equal(t.shards[2].state, WSHARD_PENDING); /* unstarted lease revoked */
    /* an in-flight forward step that finishes is rolled back too */
    ok(&t, WAVE_EV_SHARD_SUCCEEDED, 3, NULL, &d);
    assert_int_equal(t.shards[3].state, WSHARD_RB_PENDING);
    /* forward go-ahead is refused while rolling back */
    t.shards[4].state = WSHARD_LEASED;
    ok(&t, WAVE_EV_SHARD_STARTED, 4, NULL, &d);
    assert_true(d.refused);

    /* blocked: a moved shard has no down migration -> halted, with the reason */
    tv_init(&t);
    t.view.on_failure = PLAN_ON_FAILURE_ROLLBACK;
    t.shards[0].state = WSHARD_RUNNING;
    t.shards[5].state = WSHARD_DONE;
    t.shards[5].has_down = false;
    ok(&t, WAVE_EV_SHARD_FAILED, 0, "boom", &d);
    assert_int_equal(t.view.state, WAVE_HALTED);
    assert_string_equal(d.reason, "stage canary: shard t-01 failed: boom; 1 of 1 shards failed, "
                                  "over the budget (no failures allowed); rollback blocked: "
                                  "shard t-06 has no down migration for a step it moved through");
    wave_decision_cleanup(&d);
}

static void test_abort_revokes_leases(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    tv_init(&t);
    t.view.stage = 1;
    t.shards[0].state = WSHARD_DONE;
    t.shards[1].state = WSHARD_LEASED;
    t.shards[2].state = WSHARD_RUNNING;
    ok(&t, WAVE_EV_ABORT, 0, "wrong target", &d);
    assert_int_equal(t.view.state, WAVE_ABORTED);
    assert_int_equal(t.shards[1].state, WSHARD_PENDING);
    assert_int_equal(t.shards[2].state, WSHARD_RUNNING);
    ok(&t, WAVE_EV_SHARD_SUCCEEDED, 2, NULL, &d); /* in flight: still reported */
    assert_int_equal(t.shards[2].state, WSHARD_DONE);
    assert_int_equal(t.view.state, WAVE_ABORTED);
    wave_decision_cleanup(&d);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct tv t;
    struct wave_decision d = {0};
    struct sw_err err = {0};
    tv_init(&t);
    assert_int_equal(step(&t, WAVE_EV_SHARD_FAILED, 10, NULL, &d, &err), SW_EINVAL);
    assert_string_equal(err.msg, "wave event shard_failed: shard index 10 out of range (10)");
    wave_decision_cleanup(&d);
    t.view.stage = 3;
    assert_int_equal(step(&t, WAVE_EV_TICK, 0, NULL, &d, &err), SW_EINVAL);
    wave_decision_cleanup(&d);
    wave_decision_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_self_check),
        cmocka_unit_test(test_every_row),
        cmocka_unit_test(test_illegal_operator_events),
        cmocka_unit_test(test_guarded_refusals),
        cmocka_unit_test(test_full_run_stage_order),
        cmocka_unit_test(test_per_host_cap),
        cmocka_unit_test(test_budget_max_failures),
        cmocka_unit_test(test_budget_percent_and_default),
        cmocka_unit_test(test_resume_requeues_unreachable),
        cmocka_unit_test(test_resume_failure_classes),
        cmocka_unit_test(test_resume_earlier_stage_and_gate),
        cmocka_unit_test(test_bake_and_gate),
        cmocka_unit_test(test_dispatch_freed),
        cmocka_unit_test(test_dispatch_freed_summary),
        cmocka_unit_test(test_gate_after_pause_resume),
        cmocka_unit_test(test_awaits_gate),
        cmocka_unit_test(test_pause_is_strict),
        cmocka_unit_test(test_lease_expiry_redispatch),
        cmocka_unit_test(test_rollback_order),
        cmocka_unit_test(test_rollback_dispatch_freed),
        cmocka_unit_test(test_rollback_failure_and_retry),
        cmocka_unit_test(test_on_failure_rollback),
        cmocka_unit_test(test_abort_revokes_leases),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
