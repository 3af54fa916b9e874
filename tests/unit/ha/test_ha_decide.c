/* Unit tests for coordinator/ha/ha_decide.c: every claim outcome from each role, the
 * safety deadline (a leader stops before its lease can lapse, even without answers), the
 * takeover timing of a follower. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "ha/ha_decide.h"

#define TTL 10000

static const struct ha_state FOLLOWER = {HA_FOLLOWER, 0, 0};
/* a leader of epoch 4 whose claim was sent at 1000: deadline 1000 + 10000 - 2000 */
static const struct ha_state LEADER = {HA_LEADER, 4, 9000};

struct claim_case {
    const char *name;
    struct ha_state st;
    struct ha_claim in;
    struct ha_state next;
    bool promote;
    bool demote;
    int64_t next_claim_ms;
    const char *why; /* NULL = none */
};

static const struct claim_case claim_cases[] = {
    {"follower wins the first lease",
     FOLLOWER,
     {HA_CLAIM_WON, 1, 100, 120, TTL, 0},
     {HA_LEADER, 1, 8100},
     true,
     false,
     120 + TTL / 3,
     "lease won"},
    {"leader renews: same epoch, later deadline, no promotion",
     LEADER,
     {HA_CLAIM_WON, 4, 4000, 4010, TTL, 0},
     {HA_LEADER, 4, 12000},
     false,
     false,
     4010 + TTL / 3,
     NULL},
    {"leader that finds a new epoch of its own rebuilds (promote again)",
     LEADER,
     {HA_CLAIM_WON, 6, 4000, 4010, TTL, 0},
     {HA_LEADER, 6, 12000},
     true,
     false,
     4010 + TTL / 3,
     "lease won"},
    {"a win answered after its safe lifetime is not acted on",
     FOLLOWER,
     {HA_CLAIM_WON, 2, 100, 8200, TTL, 0},
     {HA_FOLLOWER, 0, 0},
     false,
     false,
     8200,
     NULL},
    {"a leader whose renewal came too late steps down",
     LEADER,
     {HA_CLAIM_WON, 4, 100, 8200, TTL, 0},
     {HA_FOLLOWER, 0, 0},
     false,
     true,
     8200,
     "lease claim answered after its safe lifetime"},
    {"follower loses to a live lease: claims just after it expires",
     FOLLOWER,
     {HA_CLAIM_LOST, 0, 100, 110, TTL, 700},
     {HA_FOLLOWER, 0, 0},
     false,
     false,
     110 + 700 + HA_TAKEOVER_SLACK_MS,
     NULL},
    {"follower loses to a fresh lease: claims again after ttl/3",
     FOLLOWER,
     {HA_CLAIM_LOST, 0, 100, 110, TTL, 9990},
     {HA_FOLLOWER, 0, 0},
     false,
     false,
     110 + TTL / 3,
     NULL},
    {"a clock-skewed negative remainder claims soon",
     FOLLOWER,
     {HA_CLAIM_LOST, 0, 100, 110, TTL, -50},
     {HA_FOLLOWER, 0, 0},
     false,
     false,
     110 + HA_TAKEOVER_SLACK_MS,
     NULL},
    {"leader finds another holder: steps down at once",
     LEADER,
     {HA_CLAIM_LOST, 0, 4000, 4010, TTL, 5000},
     {HA_FOLLOWER, 0, 0},
     false,
     true,
     4010 + TTL / 3,
     "another coordinator holds the lease"},
    {"leader cannot reach the store before its deadline: stays, retries before it",
     LEADER,
     {HA_CLAIM_FAILED, 0, 4000, 4500, TTL, 0},
     {HA_LEADER, 4, 9000},
     false,
     false,
     4500 + TTL / 9,
     NULL},
    {"leader retry is capped at the deadline",
     LEADER,
     {HA_CLAIM_FAILED, 0, 8500, 8900, TTL, 0},
     {HA_LEADER, 4, 9000},
     false,
     false,
     9000,
     NULL},
    {"leader cannot reach the store past its deadline: steps down",
     LEADER,
     {HA_CLAIM_FAILED, 0, 8500, 9000, TTL, 0},
     {HA_FOLLOWER, 0, 0},
     false,
     true,
     9000 + TTL / 9,
     "store unreachable: lease not renewed in time"},
    {"follower cannot reach the store: stays follower, retries",
     FOLLOWER,
     {HA_CLAIM_FAILED, 0, 100, 5100, TTL, 0},
     {HA_FOLLOWER, 0, 0},
     false,
     false,
     5100 + TTL / 9,
     NULL},
};

static void assert_decision(const char *name, const struct ha_decision *d, struct ha_state next,
                            bool promote, bool demote, int64_t next_claim_ms, const char *why)
{
    print_message("case: %s\n", name);
    assert_int_equal(d->next.role, next.role);
    assert_int_equal(d->next.epoch, next.epoch);
    assert_int_equal(d->next.deadline_ms, next.deadline_ms);
    assert_int_equal(d->promote, promote);
    assert_int_equal(d->demote, demote);
    assert_int_equal(d->next_claim_ms, next_claim_ms);
    if (why == NULL) {
        assert_null(d->why);
    } else {
        assert_non_null(d->why);
        assert_string_equal(d->why, why);
    }
}

static void test_claims(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof claim_cases / sizeof claim_cases[0]; i++) {
        const struct claim_case *c = &claim_cases[i];
        struct ha_decision d;
        ha_decide_claim(&c->st, &c->in, &d);
        assert_decision(c->name, &d, c->next, c->promote, c->demote, c->next_claim_ms, c->why);
    }
}

struct time_case {
    const char *name;
    struct ha_state st;
    int64_t now_ms;
    struct ha_state next;
    bool demote;
};

static const struct time_case time_cases[] = {
    {"leader before its deadline keeps leading", LEADER, 8999, {HA_LEADER, 4, 9000}, false},
    {"leader at its deadline stops (SIGSTOP, store gone)", LEADER, 9000, {HA_FOLLOWER, 0, 0}, true},
    {"leader long past its deadline stops", LEADER, 60000, {HA_FOLLOWER, 0, 0}, true},
    {"follower stays follower", FOLLOWER, 60000, {HA_FOLLOWER, 0, 0}, false},
};

static void test_time(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof time_cases / sizeof time_cases[0]; i++) {
        const struct time_case *c = &time_cases[i];
        struct ha_decision d;
        ha_decide_time(&c->st, c->now_ms, &d);
        assert_decision(c->name, &d, c->next, false, c->demote, 0,
                        c->demote ? "lease not renewed in time" : NULL);
    }
}

/* The deadline always lies before the lease's earliest expiry (sent + ttl), by at least
 * ttl/5, and after two renewal periods: one failed renewal never demotes. */
static void test_deadline_bounds(void **state)
{
    (void)state;
    static const int64_t ttls[] = {1000, 2000, 10000, 30000, 600000};
    for (size_t i = 0; i < sizeof ttls / sizeof ttls[0]; i++) {
        int64_t dl = ha_deadline(500, ttls[i]);
        assert_true(dl <= 500 + ttls[i] - ttls[i] / 5);
        assert_true(dl > 500 + 2 * (ttls[i] / HA_RENEW_DIV));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_deadline_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
