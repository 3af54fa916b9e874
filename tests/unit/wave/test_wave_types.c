/* Unit tests for coordinator/wave/wave_types.c: enum names round-trip through their
 * parsers, fleet lookups (binary search), cleanups of zeroed structs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "wave/wave_types.h"

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < WAVE_STATE_COUNT; s++) {
        enum wave_state back = WAVE_STATE_COUNT;
        assert_int_equal(wave_state_parse(wave_state_name((enum wave_state)s), &back), 0);
        assert_int_equal(back, s);
    }
    for (int s = 0; s < WSHARD_STATE_COUNT; s++) {
        enum wave_shard_state back = WSHARD_STATE_COUNT;
        assert_int_equal(
            wave_shard_state_parse(wave_shard_state_name((enum wave_shard_state)s), &back), 0);
        assert_int_equal(back, s);
    }
    for (int h = 0; h < SHARD_HEALTH_COUNT; h++) {
        enum shard_health back = SHARD_HEALTH_COUNT;
        assert_int_equal(shard_health_parse(shard_health_name((enum shard_health)h), &back), 0);
        assert_int_equal(back, h);
    }
    enum wave_state ws;
    assert_int_equal(wave_state_parse("Running", &ws), -1);
    assert_int_equal(wave_state_parse(NULL, &ws), -1);
    assert_string_equal(wave_state_name(WAVE_ROLLING_BACK), "rolling_back");
    assert_string_equal(wave_shard_state_name(WSHARD_RB_FAILED), "rb_failed");
    assert_string_equal(shard_health_name(SHARD_CHECKSUM_MISMATCH), "checksum_mismatch");
    assert_string_equal(wave_stage_phase_name(STAGE_GATING), "gating");
    assert_string_equal(plan_direction_name(PLAN_DOWN), "down");
    assert_string_equal(plan_on_failure_name(PLAN_ON_FAILURE_ROLLBACK), "rollback");
}

static void test_final_and_active(void **state)
{
    (void)state;
    static const bool final[WAVE_STATE_COUNT] = {
        [WAVE_COMPLETED] = true, [WAVE_ABORTED] = true, [WAVE_ROLLED_BACK] = true};
    for (int s = 0; s < WAVE_STATE_COUNT; s++) {
        assert_int_equal(wave_state_is_final((enum wave_state)s), final[s]);
        assert_int_equal(wave_state_is_active((enum wave_state)s), !final[s]);
    }
}

static void test_fleet_lookups(void **state)
{
    (void)state;
    struct fleet_label labels[] = {{"host", "db-1"}, {"region", "eu"}, {"tier", "canary"}};
    struct fleet_shard shards[] = {
        {"a", MIGSET_ENGINE_PG, "p", 3, labels},
        {"b", MIGSET_ENGINE_PG, "p", 0, NULL},
        {"c", MIGSET_ENGINE_MYSQL, "p", 1, labels},
        {"d", MIGSET_ENGINE_SQLITE, "p", 0, NULL},
    };
    struct fleet f = {4, shards};
    assert_int_equal(fleet_find(&f, "a"), 0);
    assert_int_equal(fleet_find(&f, "c"), 2);
    assert_int_equal(fleet_find(&f, "d"), 3);
    assert_int_equal(fleet_find(&f, "bb"), -1);
    assert_int_equal(fleet_find(&f, ""), -1);
    struct fleet empty = {0};
    assert_int_equal(fleet_find(&empty, "a"), -1);
    assert_string_equal(fleet_shard_label(&shards[0], "host"), "db-1");
    assert_string_equal(fleet_shard_label(&shards[0], "tier"), "canary");
    assert_null(fleet_shard_label(&shards[0], "zone"));
    assert_null(fleet_shard_label(&shards[1], "host"));
    assert_null(fleet_shard_label(&shards[2], "region")); /* only the first label */
}

static void test_cleanups(void **state)
{
    (void)state;
    struct fleet f = {0};
    fleet_cleanup(&f);
    fleet_cleanup(NULL);
    struct wave_plan p = {0};
    wave_plan_cleanup(&p);
    wave_plan_cleanup(NULL);

    f.n_shards = 1;
    f.shards = calloc(1, sizeof *f.shards);
    f.shards[0].id = strdup("t-1");
    f.shards[0].pool = strdup("eu");
    f.shards[0].n_labels = 1;
    f.shards[0].labels = calloc(1, sizeof *f.shards[0].labels);
    f.shards[0].labels[0].key = strdup("tier");
    f.shards[0].labels[0].value = strdup("canary");
    fleet_cleanup(&f);
    assert_int_equal(f.n_shards, 0);
    assert_null(f.shards);

    p.n_stages = 1;
    p.stages = calloc(1, sizeof *p.stages);
    p.stages[0].name = strdup("canary");
    p.stages[0].select_expr = strdup("tier=canary");
    p.stages[0].gate = strdup("SELECT true");
    p.name = strdup("n");
    p.target = strdup("7");
    p.host_label = strdup("host");
    p.scope = strdup("*");
    wave_plan_cleanup(&p);
    assert_null(p.stages);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_final_and_active),
        cmocka_unit_test(test_fleet_lookups),
        cmocka_unit_test(test_cleanups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
