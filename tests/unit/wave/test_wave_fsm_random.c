/* Random event sequences through coordinator/wave/wave_fsm.c on waves of hundreds of
 * shards: every decision is checked against a recount of the view (each shard changed at
 * most once, from its real state; dispatched shards leased; per-stage counts kept from
 * the changes alone equal a recount after applying them; max_parallel and the per-host
 * cap hold), and a one-shard event's decision does not depend on the other shards being
 * valid (it validates only its own). The sequences are seeded: a failure names the seed
 * and the step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wave/wave_fsm.h"

#define RV_SHARDS 400
#define RV_STAGES 3
#define RV_HOSTS  7
#define RV_STEPS  4000

struct rv {
    struct wave_view_stage stages[RV_STAGES];
    struct wave_view_shard shards[RV_SHARDS];
    char ids[RV_SHARDS][8];
    struct wave_view view;
    size_t counts[RV_STAGES][WSHARD_STATE_COUNT]; /* kept from decisions only */
    bool use_summary; /* give the view the summary (in_flight_by_stage, pending_lo) */
    size_t in_flight[RV_STAGES];
    int64_t seq;
    uint64_t rng;
    uint64_t digest; /* of every decision, to compare implementations */
};

static uint32_t rv_rand(struct rv *r, uint32_t n)
{
    r->rng = r->rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(r->rng >> 33) % n;
}

static void rv_mix(struct rv *r, uint64_t x)
{
    r->digest = (r->digest ^ x) * 1099511628211ull;
}

static void rv_mix_str(struct rv *r, const char *s)
{
    for (const char *p = s != NULL ? s : ""; *p != '\0'; p++) {
        rv_mix(r, (unsigned char)*p);
    }
    rv_mix(r, 0xff);
}

static void rv_init(struct rv *r, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    r->rng = seed;
    r->digest = 1469598103934665603ull;
    static const char *const names[] = {"canary", "mid", "rest"};
    static const int parallel[] = {3, 17, 60};
    for (uint32_t s = 0; s < RV_STAGES; s++) {
        int max_failures = rv_rand(r, 2) == 0 ? (int)rv_rand(r, 30) : -1;
        r->stages[s] = (struct wave_view_stage){names[s],
                                                parallel[s],
                                                max_failures,
                                                rv_rand(r, 2) == 0 ? 10.0 : -1.0,
                                                (int64_t)rv_rand(r, 3) * 1000,
                                                rv_rand(r, 3) == 0,
                                                5000};
    }
    for (size_t i = 0; i < RV_SHARDS; i++) {
        snprintf(r->ids[i], sizeof r->ids[i], "t-%03zu", i);
        uint32_t stage = i < 10 ? 0u : (i < 100 ? 1u : 2u);
        enum wave_shard_state st = rv_rand(r, 20) == 0 ? WSHARD_SKIPPED : WSHARD_PENDING;
        r->shards[i] = (struct wave_view_shard){
            .id = r->ids[i],
            .stage = stage,
            .state = st,
            .host = rv_rand(r, 10) == 0 ? WAVE_FSM_NO_HOST : rv_rand(r, RV_HOSTS),
            .has_down = rv_rand(r, 25) != 0,
        };
        r->counts[stage][st]++;
    }
    r->view = (struct wave_view){
        .now_ms = 1000000,
        .state = WAVE_PENDING,
        .on_failure = rv_rand(r, 2) == 0 ? PLAN_ON_FAILURE_HALT : PLAN_ON_FAILURE_ROLLBACK,
        .max_per_host = (int)rv_rand(r, 5),
        .n_hosts = RV_HOSTS,
        .n_stages = RV_STAGES,
        .stages = r->stages,
        .n_shards = RV_SHARDS,
        .shards = r->shards,
    };
}

/* A shard in one of the given states when there is one (tried a few times), else any. */
static size_t rv_pick(struct rv *r, enum wave_shard_state a, enum wave_shard_state b)
{
    size_t idx = rv_rand(r, RV_SHARDS);
    for (int k = 0; k < 200; k++) {
        if (r->shards[idx].state == a || r->shards[idx].state == b) {
            return idx;
        }
        idx = rv_rand(r, RV_SHARDS);
    }
    return idx;
}

static struct wave_event rv_event(struct rv *r)
{
    static const enum wave_event_kind rare[] = {
        WAVE_EV_PAUSE,       WAVE_EV_RESUME,      WAVE_EV_ROLLBACK,   WAVE_EV_RESUME,
        WAVE_EV_GATE_PASSED, WAVE_EV_GATE_PASSED, WAVE_EV_GATE_FAILED};
    struct wave_event ev = {.actor = "ops", .detail = "random", .retry_failed = true};
    uint32_t roll = rv_rand(r, 100);
    if (roll < 20) {
        ev.kind = WAVE_EV_TICK;
    } else if (roll < 40) {
        ev.kind = WAVE_EV_SHARD_STARTED;
        ev.shard_idx = rv_pick(r, WSHARD_LEASED, WSHARD_RB_LEASED);
    } else if (roll < 62) {
        ev.kind = WAVE_EV_SHARD_SUCCEEDED;
        ev.shard_idx = rv_pick(r, WSHARD_RUNNING, WSHARD_RUNNING);
    } else if (roll < 66) {
        ev.kind = WAVE_EV_SHARD_FAILED;
        ev.failure = (enum wave_failure)rv_rand(r, WFAIL_COUNT);
        ev.shard_idx = rv_pick(r, WSHARD_RUNNING, WSHARD_LEASED);
    } else if (roll < 72) {
        ev.kind = WAVE_EV_LEASE_EXPIRED;
        ev.shard_idx = rv_pick(r, WSHARD_LEASED, WSHARD_RB_RUNNING);
    } else if (roll < 90) {
        ev.kind = rv_rand(r, 8) == 0 ? WAVE_EV_RB_FAILED : WAVE_EV_RB_SUCCEEDED;
        ev.shard_idx = rv_pick(r, WSHARD_RB_RUNNING, WSHARD_RB_RUNNING);

    } else if (roll < 93) {
        ev.kind =
            rv_rand(r, 400) == 0 ? WAVE_EV_ABORT : rare[rv_rand(r, sizeof rare / sizeof rare[0])];
    } else {
        ev.kind = WAVE_EV_TICK;
        r->view.now_ms += 1000 + rv_rand(r, 12000); /* bakes end, gates time out */
    }
    ev.dispatch_freed = rv_rand(r, 2) == 0; /* as the service sets it on a lease's end */
    return ev;
}

static size_t rv_in_flight(enum wave_shard_state s)
{
    return s == WSHARD_LEASED || s == WSHARD_RUNNING || s == WSHARD_RB_LEASED ||
           s == WSHARD_RB_RUNNING;
}

/* The decision against the view it was made on (before applying it). */
static void rv_check_decision(const struct rv *r, const struct wave_decision *d)
{
    static unsigned char seen[RV_SHARDS];
    memset(seen, 0, sizeof seen);
    for (size_t k = 0; k < d->n_changes; k++) {
        const struct wave_shard_change *ch = &d->changes[k];
        assert_true(ch->shard_idx < RV_SHARDS);
        assert_int_equal(seen[ch->shard_idx], 0); /* each shard at most once */
        seen[ch->shard_idx] = 1;
        assert_int_equal(ch->from, r->shards[ch->shard_idx].state);
        assert_int_equal(ch->failure != WFAIL_NONE, ch->to == WSHARD_FAILED);
    }
    for (size_t k = 0; k < d->n_dispatch; k++) {
        size_t idx = d->dispatch[k];
        assert_true(idx < RV_SHARDS);
        assert_int_equal(seen[idx], 1);
        seen[idx] = 2; /* dispatched once */
    }
    for (size_t k = 0; k < d->n_changes; k++) {
        const struct wave_shard_change *ch = &d->changes[k];
        if (seen[ch->shard_idx] == 2) {
            assert_true(ch->to == WSHARD_LEASED || ch->to == WSHARD_RB_LEASED);
        }
    }
}

static void rv_digest(struct rv *r, int rc, const struct wave_decision *d, const char *msg)
{
    rv_mix(r, (uint64_t)(int64_t)rc);
    rv_mix_str(r, msg);
    rv_mix(r, ((uint64_t)d->state << 40) ^ ((uint64_t)d->stage << 20) ^ (uint64_t)d->phase);
    rv_mix(r, (uint64_t)d->phase_until_ms ^ ((uint64_t)d->refused << 1) ^ d->gate_check);
    rv_mix_str(r, d->reason);
    for (size_t k = 0; k < d->n_changes; k++) {
        const struct wave_shard_change *ch = &d->changes[k];
        rv_mix(r, ch->shard_idx ^ ((uint64_t)ch->from << 32) ^ ((uint64_t)ch->to << 40) ^
                      ((uint64_t)ch->failure << 48));
    }
    for (size_t k = 0; k < d->n_dispatch; k++) {
        rv_mix(r, d->dispatch[k]);
    }
    for (size_t k = 0; k < d->n_records; k++) {
        rv_mix(r, (uint64_t)d->records[k].kind ^ ((uint64_t)d->records[k].shard_idx << 8));
        rv_mix_str(r, d->records[k].message);
    }
}

/* Applies the decision as the service does, keeping the counts from the changes. */
static void rv_apply(struct rv *r, const struct wave_decision *d)
{
    r->view.state = d->state;
    r->view.stage = d->stage;
    r->view.phase = d->phase;
    r->view.phase_until_ms = d->phase_until_ms;
    for (size_t k = 0; k < d->n_changes; k++) {
        struct wave_view_shard *s = &r->shards[d->changes[k].shard_idx];
        r->counts[s->stage][d->changes[k].from]--;
        r->counts[s->stage][d->changes[k].to]++;
        s->state = d->changes[k].to;
        s->failure = d->changes[k].failure;
        if (s->state == WSHARD_DONE) {
            s->finished_seq = ++r->seq;
        }
    }
}

/* The kept counts equal a recount; the caps hold after a dispatch. */
static void rv_check_view(const struct rv *r, const struct wave_decision *d)
{
    size_t recount[RV_STAGES][WSHARD_STATE_COUNT] = {{0}};
    size_t busy[RV_STAGES] = {0};
    size_t host[RV_HOSTS] = {0};
    for (size_t i = 0; i < RV_SHARDS; i++) {
        const struct wave_view_shard *s = &r->shards[i];
        recount[s->stage][s->state]++;
        busy[s->stage] += rv_in_flight(s->state);
        if (s->host != WAVE_FSM_NO_HOST) {
            host[s->host] += rv_in_flight(s->state);
        }
    }
    assert_memory_equal(recount, r->counts, sizeof recount);
    if (d->n_dispatch == 0) {
        return;
    }
    assert_true(busy[r->view.stage] <= (size_t)r->stages[r->view.stage].max_parallel);
    for (uint32_t h = 0; h < RV_HOSTS && r->view.max_per_host > 0; h++) {
        assert_true(host[h] <= (size_t)r->view.max_per_host);
    }
}

/* The summary a service keeps: from the kept counts, and the first pending shard (or,
 * now and then, a lower bound of it). */
static void rv_summary(struct rv *r)
{
    bool lower = rv_rand(r, 4) == 0; /* drawn in both runs: the same events follow */
    if (!r->use_summary) {
        return;
    }
    for (uint32_t st = 0; st < RV_STAGES; st++) {
        r->in_flight[st] = r->counts[st][WSHARD_LEASED] + r->counts[st][WSHARD_RUNNING];
    }
    size_t lo = 0;
    while (lo < RV_SHARDS && r->shards[lo].state != WSHARD_PENDING) {
        lo++;
    }
    r->view.in_flight_by_stage = r->in_flight;
    r->view.pending_lo = lower ? lo / 2 : lo;
}

static uint64_t rv_run(uint64_t seed, bool use_summary)
{
    static struct rv r;
    rv_init(&r, seed);
    r.use_summary = use_summary;
    int n = 0;
    for (; n < RV_STEPS; n++) {
        rv_summary(&r);
        struct wave_event ev = rv_event(&r);
        struct wave_decision d = {0};
        struct sw_err err = {0};
        int rc = wave_fsm_step(&r.view, &ev, &d, &err);
        rv_digest(&r, rc, &d, rc != 0 ? err.msg : NULL);
        if (rc != 0 && !(rc == SW_ECONFLICT && wave_event_is_operator(ev.kind))) {
            fail_msg("seed %llu step %d %s: %s", (unsigned long long)seed, n,
                     wave_event_kind_name(ev.kind), err.msg);
        }
        rv_check_decision(&r, &d);
        rv_apply(&r, &d);
        rv_check_view(&r, &d);
        wave_decision_cleanup(&d);
        if (wave_state_is_final(r.view.state)) {
            break;
        }
    }
    print_message("seed %llu%s: %d steps, state %s, digest %016llx\n", (unsigned long long)seed,
                  use_summary ? " (summary)" : "", n, wave_state_name(r.view.state),
                  (unsigned long long)r.digest);
    return r.digest;
}

/* Each seed twice: the state machine counting and scanning itself, and with the service's
 * summary (in_flight_by_stage, pending_lo): every decision the same. */
static void test_random_sequences(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        uint64_t plain = rv_run(seed, false);
        assert_int_equal(rv_run(seed, true), plain);
    }
}

/* A go-ahead on a 400-shard view with a malformed other shard: decided from its own shard
 * (the full check stays with wave_fsm_check_view and whole-wave events). */
static void test_local_event_checks_own_shard(void **state)
{
    (void)state;
    static struct rv r;
    rv_init(&r, 7);
    r.view.state = WAVE_RUNNING;
    r.shards[5].state = WSHARD_LEASED;
    r.shards[300].stage = RV_STAGES; /* bad */
    struct sw_err err = {0};
    struct wave_decision d = {0};
    struct wave_event ev = {.kind = WAVE_EV_SHARD_STARTED, .shard_idx = 5};
    assert_int_equal(wave_fsm_check_view(&r.view, &err), SW_EINVAL);
    assert_string_equal(err.msg, "wave view: shard 300: bad stage, state or host");
#ifndef WAVE_FSM_FULL_CHECK
    assert_int_equal(wave_fsm_step(&r.view, &ev, &d, &err), 0);
    assert_int_equal(d.n_changes, 1);
    assert_int_equal(d.changes[0].to, WSHARD_RUNNING);
    wave_decision_cleanup(&d);
#endif
    ev.shard_idx = 300;
    assert_int_equal(wave_fsm_step(&r.view, &ev, &d, &err), SW_EINVAL);
    assert_string_equal(err.msg, "wave view: shard 300: bad stage, state or host");
    wave_decision_cleanup(&d);
    ev.kind = WAVE_EV_TICK;
    assert_int_equal(wave_fsm_step(&r.view, &ev, &d, &err), SW_EINVAL);
    assert_string_equal(err.msg, "wave view: shard 300: bad stage, state or host");
    wave_decision_cleanup(&d);
}

/* A rollback of a wave where hundreds of shards moved: one decision with hundreds of
 * changes (the change index grows many times), each from the shard's real state. */
static void test_rollback_many_changes(void **state)
{
    (void)state;
    static struct rv r;
    rv_init(&r, 11);
    r.view.state = WAVE_HALTED;
    for (size_t i = 0; i < RV_SHARDS; i++) {
        r.shards[i].has_down = true;
        r.counts[r.shards[i].stage][r.shards[i].state]--;
        r.shards[i].state = i % 3 == 0 ? WSHARD_LEASED : WSHARD_DONE;
        r.counts[r.shards[i].stage][r.shards[i].state]++;
    }
    struct sw_err err = {0};
    struct wave_decision d = {0};
    struct wave_event ev = {.kind = WAVE_EV_ROLLBACK, .actor = "ops"};
    assert_int_equal(wave_fsm_step(&r.view, &ev, &d, &err), 0);
    assert_int_equal(d.state, WAVE_ROLLING_BACK);
    assert_int_equal(d.n_changes, RV_SHARDS);
    rv_check_decision(&r, &d);
    for (size_t k = 0; k < d.n_changes; k++) {
        size_t i = d.changes[k].shard_idx;
        assert_int_equal(d.changes[k].to, i % 3 == 0 ? WSHARD_PENDING : WSHARD_RB_PENDING);
    }
    rv_apply(&r, &d);
    rv_check_view(&r, &d);
    wave_decision_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sequences),
        cmocka_unit_test(test_local_event_checks_own_shard),
        cmocka_unit_test(test_rollback_many_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
