/* The example files in deploy/examples/ load and mean what their comments say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config/coord_config.h"
#include "config/fleet_file.h"
#include "config/plan_file.h"
#include "config/tokens.h"
#include "sw/fsutil.h"
#include "../proto/tmpdir.h"

static char *example(const char *name)
{
    const char *src = getenv("SW_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/deploy/examples/%s", src != NULL ? src : ".", name);
    return strdup(path);
}

static void test_coordinator_conf(void **state)
{
    (void)state;
    char *path = example("coordinator.conf");
    const char *const env[] = {NULL};
    struct coord_config c;
    struct sw_err err = {0};
    if (coord_config_load(path, env, &c, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(c.listen_port, 7400);
    assert_string_equal(c.tokens_file, "/etc/shardwave/tokens");
    assert_null(c.tls_cert_file);
    coord_config_cleanup(&c);
    free(path);
}

static void test_fleet_conf(void **state)
{
    (void)state;
    char *path = example("fleet.conf");
    struct fleet f = {0};
    struct sw_err err = {0};
    if (fleet_file_load(path, &f, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(f.n_shards, 24);
    size_t canaries = 0, eu = 0, us = 0;
    for (size_t i = 0; i < f.n_shards; i++) {
        const struct fleet_shard *s = &f.shards[i];
        assert_int_equal(s->engine, MIGSET_ENGINE_SQLITE);
        assert_non_null(fleet_shard_label(s, "host"));
        canaries += strcmp(fleet_shard_label(s, "tier"), "canary") == 0;
        eu += strcmp(fleet_shard_label(s, "region"), "eu") == 0 && strcmp(s->pool, "eu") == 0;
        us += strcmp(fleet_shard_label(s, "region"), "us") == 0 && strcmp(s->pool, "us") == 0;
    }
    assert_int_equal(canaries, 1);
    assert_int_equal(eu, 12);
    assert_int_equal(us, 12);
    assert_string_equal(f.shards[0].id, "tenant-001");
    assert_string_equal(f.shards[23].id, "tenant-024");
    fleet_cleanup(&f);
    free(path);
}

static void test_plan_canary_conf(void **state)
{
    (void)state;
    char *path = example("plan-canary.conf");
    struct wave_plan p;
    struct sw_err err = {0};
    if (plan_file_load(path, &p, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    assert_int_equal(p.n_stages, 3);
    assert_int_equal(p.stages[0].select_kind, PLAN_SELECT_LABELS);
    assert_string_equal(p.stages[0].select_expr, "tier=canary");
    assert_int_equal(p.stages[1].select_kind, PLAN_SELECT_PERCENT);
    assert_true(p.stages[1].select_percent == 10.0);
    assert_int_equal(p.stages[2].select_kind, PLAN_SELECT_REST);
    assert_int_equal(p.max_per_host, 2);
    wave_plan_cleanup(&p);
    free(path);
}

static void test_tokens(void **state)
{
    (void)state;
    char *path = example("tokens");
    char *text = NULL;
    size_t len = 0;
    struct sw_err err = {0};
    assert_int_equal(sw_file_read(path, 1 << 20, &text, &len, &err), 0);
    char *dir = tmpdir_new();
    char *copy = tmpdir_path(dir, "tokens");
    tmpdir_write(dir, "tokens", text);
    assert_int_equal(chmod(copy, 0600), 0);
    struct tokens *t = NULL;
    if (tokens_load(copy, &t, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    struct tokens_identity who = {0};
    const char *agent = "demo-agent-token-change-me";
    assert_int_equal(tokens_lookup(t, agent, strlen(agent), &who, &err), 0);
    assert_string_equal(who.name, "agents");
    assert_int_equal(who.role, TOKENS_ROLE_AGENT);
    const char *op = "demo-operator-token-change-me";
    assert_int_equal(tokens_lookup(t, op, strlen(op), &who, &err), 0);
    assert_int_equal(who.role, TOKENS_ROLE_OPERATOR);
    tokens_free(t);
    free(text);
    free(copy);
    free(path);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coordinator_conf),
        cmocka_unit_test(test_fleet_conf),
        cmocka_unit_test(test_plan_canary_conf),
        cmocka_unit_test(test_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
