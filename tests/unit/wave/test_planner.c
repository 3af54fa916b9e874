/* Unit tests for coordinator/wave/planner.c: stage selection over a 50-shard fleet
 * (canary -> 10 % -> rest), scope, skipped shards, engine variants, busy shards, the
 * down direction, plan validation with exact messages, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wave/planner.h"

#define N_SHARDS 50

/* ---- fixtures --------------------------------------------------------------------- */

/* Fleet t-01..t-50: t-01 tier=canary; odd region=eu, even region=us; host db-(i % 5);
 * every 10th shard (t-10, t-20, ...) is mysql, every 25th sqlite, the rest pg. */
struct fixture {
    struct fleet fleet;
    struct fleet_shard shards[N_SHARDS];
    struct fleet_label labels[N_SHARDS][3];
    char ids[N_SHARDS][8];
    char hosts[N_SHARDS][8];
    struct shard_status status[N_SHARDS];
    struct plan_stage stages[4];
    struct wave_plan plan;
    struct migset *set;
};

static void fixture_fleet(struct fixture *f)
{
    for (int i = 0; i < N_SHARDS; i++) {
        int n = i + 1;
        struct fleet_shard *s = &f->shards[i];
        snprintf(f->ids[i], sizeof f->ids[i], "t-%02d", n);
        snprintf(f->hosts[i], sizeof f->hosts[i], "db-%d", n % 5);
        s->id = f->ids[i];
        s->engine = n % 25 == 0   ? MIGSET_ENGINE_SQLITE
                    : n % 10 == 0 ? MIGSET_ENGINE_MYSQL
                                  : MIGSET_ENGINE_PG;
        s->labels = f->labels[i];
        /* sorted by key: host, region, tier */
        s->labels[s->n_labels++] = (struct fleet_label){"host", f->hosts[i]};
        s->labels[s->n_labels++] = (struct fleet_label){"region", n % 2 == 1 ? "eu" : "us"};
        if (n == 1) {
            s->labels[s->n_labels++] = (struct fleet_label){"tier", "canary"};
        }
        snprintf(f->status[i].version, sizeof f->status[i].version, "1");
        f->status[i].health = SHARD_OK;
    }
    f->fleet.n_shards = N_SHARDS;
    f->fleet.shards = f->shards;
}

static struct plan_stage stage(const char *name, enum plan_selector_kind kind, const char *expr,
                               double amount, int max_parallel)
{
    struct plan_stage s = {
        .name = (char *)name,
        .select_kind = kind,
        .select_expr = (char *)expr,
        .select_count = (int64_t)amount,
        .select_percent = amount,
        .max_parallel = max_parallel,
        .max_failures = -1,
        .max_failure_percent = -1,
        .gate_timeout_seconds = 60,
    };
    return s;
}

/* canary (tier=canary) -> ten-percent (10 %) -> rest. */
static void fixture_plan(struct fixture *f)
{
    f->stages[0] = stage("canary", PLAN_SELECT_LABELS, "tier=canary", 0, 1);
    f->stages[1] = stage("ten-percent", PLAN_SELECT_PERCENT, NULL, 10, 2);
    f->stages[2] = stage("rest", PLAN_SELECT_REST, NULL, 0, 8);
    f->plan.n_stages = 3;
    f->plan.stages = f->stages;
}

/* Files "name=content" separated by '\n' ("-" = empty content). */
static struct migset *load_set(const char *const *names)
{
    struct migset_mem_file files[16];
    size_t n = 0;
    for (; names[n] != NULL; n++) {
        files[n] = (struct migset_mem_file){names[n], "SELECT 1;\n", 10};
    }
    struct migset_load_opts opts = {.skip_manifest = true};
    struct migset *set = NULL;
    struct sw_err err = {0};
    if (migset_load_files(files, n, &opts, &set, &err) != 0) {
        fail_msg("set: %s", err.msg);
    }
    return set;
}

static const char *const set_full[] = {"V1__a.sql", "U1__a.sql", "V2__b.sql", "U2__b.sql",
                                       "V3__c.sql", "U3__c.sql", NULL};
/* No mysql file for version 2. */
static const char *const set_no_mysql[] = {"V1__a.sql", "V2__b.pg.sql", "V2__b.sqlite.sql",
                                           "V3__c.sql", NULL};
/* Version 2 has no down file (and version 3 none for mysql). */
static const char *const set_no_down[] = {
    "V1__a.sql", "U1__a.sql", "V2__b.sql", "V3__c.sql", "U3__c.pg.sql", "U3__c.sqlite.sql", NULL};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    fixture_fleet(f);
    fixture_plan(f);
    f->set = load_set(set_full);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    migset_free(f->set);
    free(f);
    return 0;
}

static void use_set(struct fixture *f, const char *const *names)
{
    migset_free(f->set);
    f->set = load_set(names);
}

static int run(struct fixture *f, const struct planner_busy *busy, size_t n_busy,
               struct planner_result *r, struct sw_err *err)
{
    struct planner_input in = {
        .fleet = &f->fleet,
        .status = f->status,
        .plan = &f->plan,
        .set = f->set,
        .n_busy = n_busy,
        .busy = busy,
    };
    return planner_plan(&in, r, err);
}

/* A stage's shard ids, consecutive runs compressed: "t-02..t-06,t-08". */
static const char *stage_ids(const struct planner_stage *st, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < st->n_shards; i++) {
        size_t j = i;
        while (j + 1 < st->n_shards && st->shards[j + 1].fleet_idx == st->shards[j].fleet_idx + 1) {
            j++;
        }
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", len > 0 ? "," : "", st->shards[i].id);
        if (j > i) {
            len += (size_t)snprintf(buf + len, cap - len, "..%s", st->shards[j].id);
        }
        i = j;
    }
    return buf;
}

static const char *joined(char *const *lines, size_t n, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i > 0 ? "\n" : "", lines[i]);
    }
    return buf;
}

static const char *steps_of(const struct migset *set, const struct planner_result *r,
                            const struct planner_shard *s, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < s->n_steps; k++) {
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k > 0 ? "," : "",
                                planner_shard_step(set, r, s, k)->version_text);
    }
    return buf;
}

/* ---- stage selection -------------------------------------------------------------- */

static void test_canary_ten_percent_rest(void **state)
{
    struct fixture *f = *state;
    struct planner_result r = {0};
    struct sw_err err = {0};
    char buf[4096];
    assert_int_equal(run(f, NULL, 0, &r, &err), 0);
    assert_string_equal(r.target, "3");
    assert_int_equal(r.n_stages, 3);
    assert_string_equal(stage_ids(&r.stages[0], buf, sizeof buf), "t-01");
    assert_string_equal(stage_ids(&r.stages[1], buf, sizeof buf), "t-02..t-06");
    assert_string_equal(stage_ids(&r.stages[2], buf, sizeof buf), "t-07..t-50");
    assert_int_equal(r.n_skipped, 0);
    const struct planner_shard *c = &r.stages[0].shards[0];
    assert_string_equal(c->from, "1");
    assert_string_equal(c->to, "3");
    assert_string_equal(c->host, "db-1");
    assert_true(c->has_down);
    assert_string_equal(steps_of(f->set, &r, c, buf, sizeof buf), "2,3");
    assert_string_equal(joined(r.explain, r.n_explain, buf, sizeof buf),
                        "target 3 (latest of the migration set), direction up\n"
                        "no scope: all 50 shards of the fleet\n"
                        "stage canary: label expression tier=canary selected 1 of 50 shards\n"
                        "stage ten-percent: 10% of 49 shards, rounded up, selected 5\n"
                        "stage rest: the rest selected 44 of 44 shards");
    assert_int_equal(r.n_warnings, 0);
    planner_result_cleanup(&r);
}

static void test_scope_and_count(void **state)
{
    struct fixture *f = *state;
    f->plan.scope = (char *)"region=eu";
    f->stages[1] = stage("three", PLAN_SELECT_COUNT, NULL, 3, 3);
    struct planner_result r = {0};
    struct sw_err err = {0};
    char buf[4096];
    assert_int_equal(run(f, NULL, 0, &r, &err), 0);
    assert_string_equal(stage_ids(&r.stages[0], buf, sizeof buf), "t-01");
    assert_string_equal(stage_ids(&r.stages[1], buf, sizeof buf), "t-03,t-05,t-07");
    assert_int_equal(r.stages[2].n_shards, 21);
    assert_string_equal(r.stages[2].shards[0].id, "t-09");
    assert_string_equal(r.stages[2].shards[20].id, "t-49");
    assert_string_equal(r.explain[1], "scope region=eu: 25 of 50 shards");
    assert_string_equal(r.explain[3], "stage three: count 3 selected 3 of 24 shards");
    planner_result_cleanup(&r);
}

static void test_skipped_shards(void **state)
{
    struct fixture *f = *state;
    f->plan.target = (char *)"2";
    snprintf(f->status[0].version, sizeof f->status[0].version, "2"); /* the canary */
    snprintf(f->status[4].version, sizeof f->status[4].version, "3"); /* t-05 ahead */
    snprintf(f->status[9].version, sizeof f->status[9].version, "0"); /* t-10 nothing */
    struct planner_result r = {0};
    struct sw_err err = {0};
    char buf[4096];
    assert_int_equal(run(f, NULL, 0, &r, &err), 0);
    assert_int_equal(r.n_skipped, 2);
    assert_string_equal(r.skipped[0].id, "t-01");
    assert_string_equal(r.skipped[0].reason, "already at 2");
    assert_string_equal(r.skipped[1].id, "t-05");
    assert_string_equal(r.skipped[1].reason, "at 3, ahead of target 2");
    assert_int_equal(r.stages[0].n_shards, 0);
    /* 10 % of the 48 shards to move: 4.8 -> 5 */
    assert_string_equal(stage_ids(&r.stages[1], buf, sizeof buf), "t-02..t-04,t-06..t-07");
    const struct planner_shard *t10 = &r.stages[2].shards[2];
    assert_string_equal(t10->id, "t-10");
    assert_string_equal(t10->from, "0");
    assert_string_equal(steps_of(f->set, &r, t10, buf, sizeof buf), "1,2");
    assert_string_equal(r.explain[2],
                        "2 shards skipped: nothing to do (already at or beyond target 2)");
    assert_string_equal(joined(r.warnings, r.n_warnings, buf, sizeof buf),
                        "stage canary: selects 0 shards");
    planner_result_cleanup(&r);
}

static void test_warnings(void **state)
{
    struct fixture *f = *state;
    f->plan.n_stages = 2;
    f->stages[1] = stage("wide", PLAN_SELECT_COUNT, NULL, 2, 64);
    f->status[2].health = SHARD_DIRTY;
    f->status[3].health = SHARD_CHECKSUM_MISMATCH;
    f->status[3].health = SHARD_CHECKSUM_MISMATCH;
    snprintf(f->status[5].version, sizeof f->status[5].version, "1.5");
    struct planner_result r = {0};
    struct sw_err err = {0};
    char buf[4096];
    assert_int_equal(run(f, NULL, 0, &r, &err), 0);
    assert_string_equal(
        joined(r.warnings, r.n_warnings, buf, sizeof buf),
        "stage wide: max_parallel 64 exceeds its 2 shards\n"
        "47 shards are in scope but not selected by any stage (add a last stage with rest): "
        "t-04, t-05, t-06, t-07, t-08, t-09, t-10, t-11, t-12, t-13 and 37 more\n"
        "1 shard is at a version the migration set does not contain (the agent re-reads the "
        "shard and refuses unknown migrations): t-06\n"
        "1 shard is dirty (nothing runs on them until repaired): t-03\n"
        "1 shard is checksum_mismatch (an applied migration was edited): t-04");
    planner_result_cleanup(&r);
}

/* ---- refusals ----------------------------------------------------------------------- */

static void test_missing_engine_variant(void **state)
{
    struct fixture *f = *state;
    use_set(f, set_no_mysql);
    struct planner_result r = {0};
    struct sw_err err = {0};
    assert_int_equal(run(f, NULL, 0, &r, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "version 2 has no up file for engine mysql (shard t-10)");
    assert_string_equal(err.hint, "add V2__<description>.mysql.sql or a portable V2 file");
    planner_result_cleanup(&r);

    /* Scoped to pg and sqlite shards, the same set plans fine. */
    f->plan.scope = (char *)"host notin (db-0)";
    assert_int_equal(run(f, NULL, 0, &r, &err), 0);
    planner_result_cleanup(&r);
}

/* transaction "shard": refused for MySQL/MariaDB shards and for no-transaction files;
 * fine for pg and sqlite shards with transactional files. */
static void test_transaction_shard(void **state)
{
    struct fixture *f = *state;
    struct planner_result r = {0};
    struct sw_err err = {0};
    f->plan.transaction = PLAN_TXN_SHARD;
    assert_int_equal(run(f, NULL, 0, &r, &err), SW_EINVAL);
    assert_string_equal(err.msg, "transaction \"shard\" needs transactional DDL: shard t-10 is "
                                 "mysql, which commits each DDL statement on its own");
    assert_string_equal(err.hint, "use transaction = \"step\" (the default) for waves with "
                                  "MySQL/MariaDB shards, or a scope without them");
    planner_result_cleanup(&r);

    f->plan.scope = (char *)"host notin (db-0)"; /* no mysql shard */
    assert_int_equal(run(f, NULL, 0, &r, &err), 0);
    assert_int_equal(r.stages[0].n_shards + r.stages[1].n_shards + r.stages[2].n_shards, 40);
    planner_result_cleanup(&r);

    static const char idx_sql[] = "-- shardwave: no-transaction\nCREATE INDEX i ON t (c);\n";
    const struct migset_mem_file files[] = {
        {"V1__a.sql", "SELECT 1;\n", 10},
        {"V2__b.sql", "SELECT 1;\n", 10},
        {"V2__b.pg.sql", idx_sql, sizeof idx_sql - 1},
        {"V3__c.sql", "SELECT 1;\n", 10},
    };
    struct migset_load_opts opts = {.skip_manifest = true};
    migset_free(f->set);
    f->set = NULL;
    assert_int_equal(migset_load_files(files, 4, &opts, &f->set, &err), 0);
    assert_int_equal(run(f, NULL, 0, &r, &err), SW_EINVAL);
    assert_string_equal(err.msg, "transaction \"shard\": V2__b.pg.sql is no-transaction and cannot "
                                 "share the shard's transaction (shard t-01)");
    assert_string_equal(err.hint, "run this set with transaction = \"step\" (the default)");
    planner_result_cleanup(&r);

    f->plan.transaction = PLAN_TXN_STEP; /* the same set plans step by step */
    assert_int_equal(run(f, NULL, 0, &r, &err), 0);
    planner_result_cleanup(&r);
}

static void test_busy_shards(void **state)
{
    struct fixture *f = *state;
    const struct planner_busy busy[] = {
        {"t-40", "w-2"}, {"t-02", "w-1"}, {"t-99", "w-3"}, /* t-99 is not in the fleet */
    };
    struct planner_result r = {0};
    struct sw_err err = {0};
    assert_int_equal(run(f, busy, 3, &r, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "2 shards are in other active waves: t-02 (w-1), t-40 (w-2)");
    assert_int_equal(r.n_busy, 2);
    assert_string_equal(r.busy[0].shard_id, "t-02");
    assert_string_equal(r.busy[1].wave_id, "w-2");
    planner_result_cleanup(&r);

    /* Busy shards outside the wave's scope do not matter. */
    f->plan.scope = (char *)"region=eu,host!=db-0";
    assert_int_equal(run(f, busy, 3, &r, &err), 0);
    planner_result_cleanup(&r);
}

static void test_down_direction(void **state)
{
    struct fixture *f = *state;
    f->plan.direction = PLAN_DOWN;
    f->plan.target = (char *)"1";
    for (int i = 0; i < N_SHARDS; i++) {
        snprintf(f->status[i].version, sizeof f->status[i].version, "3");
    }
    snprintf(f->status[1].version, sizeof f->status[1].version, "1"); /* t-02 */
    snprintf(f->status[2].version, sizeof f->status[2].version, "0"); /* t-03 */
    snprintf(f->status[3].version, sizeof f->status[3].version, "2"); /* t-04 */
    struct planner_result r = {0};
    struct sw_err err = {0};
    char buf[4096];
    assert_int_equal(run(f, NULL, 0, &r, &err), 0);
    assert_int_equal(r.direction, PLAN_DOWN);
    assert_string_equal(r.skipped[0].reason, "already at 1");
    assert_string_equal(r.skipped[1].reason, "at 0, below target 1");
    assert_string_equal(steps_of(f->set, &r, &r.stages[0].shards[0], buf, sizeof buf), "3,2");
    assert_string_equal(stage_ids(&r.stages[1], buf, sizeof buf), "t-04..t-08");
    assert_string_equal(steps_of(f->set, &r, &r.stages[1].shards[0], buf, sizeof buf), "2");
    assert_string_equal(r.stages[1].shards[0].to, "1");
    assert_true(r.stages[1].shards[0].has_down); /* the reverse: up files exist */
    assert_string_equal(r.explain[0], "target 1, direction down");
    planner_result_cleanup(&r);

    /* Down to 0 needs every down file. */
    use_set(f, set_no_down);
    f->plan.target = (char *)"0";
    assert_int_equal(run(f, NULL, 0, &r, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "version 2 has no down file for engine pg (shard t-01)");
    planner_result_cleanup(&r);

    /* A shard at a version the set does not know cannot be walked down. */
    use_set(f, set_full);
    snprintf(f->status[0].version, sizeof f->status[0].version, "7");
    assert_int_equal(run(f, NULL, 0, &r, &err), SW_ECONFLICT);
    assert_string_equal(err.msg,
                        "shard t-01 is at version 7, which the migration set does not contain");
    planner_result_cleanup(&r);
}

static void test_has_down(void **state)
{
    struct fixture *f = *state;
    use_set(f, set_no_down);
    snprintf(f->status[0].version, sizeof f->status[0].version, "2"); /* t-01: only V3 */
    struct planner_result r = {0};
    struct sw_err err = {0};
    assert_int_equal(run(f, NULL, 0, &r, &err), 0);
    assert_true(r.stages[0].shards[0].has_down);           /* t-01 pg: 3 has U3 for pg */
    assert_false(r.stages[1].shards[0].has_down);          /* t-02 pg: 2 has no down */
    assert_string_equal(r.stages[2].shards[3].id, "t-10"); /* mysql */
    assert_false(r.stages[2].shards[3].has_down);
    planner_result_cleanup(&r);
}

static void test_unknown_target(void **state)
{
    struct fixture *f = *state;
    struct planner_result r = {0};
    struct sw_err err = {0};
    f->plan.target = (char *)"8";
    assert_int_equal(run(f, NULL, 0, &r, &err), SW_EINVAL);
    assert_string_equal(err.msg, "target version 8 is not in the migration set (latest 3)");
    planner_result_cleanup(&r);
    f->plan.target = (char *)"x";
    assert_int_equal(run(f, NULL, 0, &r, &err), SW_EINVAL);
    assert_string_equal(err.msg,
                        "plan: target: version 'x': must be digits separated by '.' or '_'");
    planner_result_cleanup(&r);
    f->plan.target = (char *)"0";
    assert_int_equal(run(f, NULL, 0, &r, &err), SW_EINVAL);
    assert_string_equal(err.msg, "target version 0: direction up needs a version of the "
                                 "migration set (latest 3)");
    planner_result_cleanup(&r);
}

static void test_deterministic(void **state)
{
    struct fixture *f = *state;
    struct planner_result a = {0};
    struct planner_result b = {0};
    struct sw_err err = {0};
    char x[4096];
    char y[4096];
    assert_int_equal(run(f, NULL, 0, &a, &err), 0);
    assert_int_equal(run(f, NULL, 0, &b, &err), 0);
    assert_string_equal(joined(a.explain, a.n_explain, x, sizeof x),
                        joined(b.explain, b.n_explain, y, sizeof y));
    for (size_t i = 0; i < a.n_stages; i++) {
        assert_string_equal(stage_ids(&a.stages[i], x, sizeof x),
                            stage_ids(&b.stages[i], y, sizeof y));
    }
    planner_result_cleanup(&a);
    planner_result_cleanup(&b);
    planner_result_cleanup(&a); /* cleanup twice is safe */
}

/* ---- plan validation ---------------------------------------------------------------- */

struct invalid_case {
    void (*mutate)(struct fixture *f);
    const char *error;
};

static void m_no_stages(struct fixture *f)
{
    f->plan.n_stages = 0;
}
static void m_dup_name(struct fixture *f)
{
    f->stages[2].name = (char *)"canary";
}
static void m_empty_name(struct fixture *f)
{
    f->stages[1].name = (char *)"";
}
static void m_parallel(struct fixture *f)
{
    f->stages[0].max_parallel = 0;
}
static void m_percent_zero(struct fixture *f)
{
    f->stages[1].select_percent = 0;
}
static void m_percent_big(struct fixture *f)
{
    f->stages[1].select_percent = 100.5;
}
static void m_count(struct fixture *f)
{
    f->stages[1] = stage("few", PLAN_SELECT_COUNT, NULL, 0, 1);
}
static void m_expr(struct fixture *f)
{
    f->stages[0].select_expr = (char *)"tier==x";
}
static void m_no_expr(struct fixture *f)
{
    f->stages[0].select_expr = NULL;
}
static void m_budget_both(struct fixture *f)
{
    f->stages[2].max_failures = 1;
    f->stages[2].max_failure_percent = 5;
}
static void m_budget_neg(struct fixture *f)
{
    f->stages[2].max_failures = -2;
}
static void m_budget_pct(struct fixture *f)
{
    f->stages[2].max_failure_percent = 101;
}
static void m_bake(struct fixture *f)
{
    f->stages[0].bake_seconds = -1;
}
static void m_gate_text(struct fixture *f)
{
    f->stages[0].gate_kind = PLAN_GATE_SQL;
}
static void m_gate_timeout(struct fixture *f)
{
    f->stages[0].gate_kind = PLAN_GATE_HTTP;
    f->stages[0].gate = (char *)"http://x/";
    f->stages[0].gate_timeout_seconds = 0;
}
static void m_scope(struct fixture *f)
{
    f->plan.scope = (char *)"region in eu";
}
static void m_per_host(struct fixture *f)
{
    f->plan.max_per_host = -1;
}

static const struct invalid_case invalid_cases[] = {
    {m_no_stages, "plan: needs 1 to 32 stages (got 0)"},
    {m_dup_name, "stage canary: duplicate stage name (also stage 0)"},
    {m_empty_name, "stage 1: name is required"},
    {m_parallel, "stage canary: max_parallel must be at least 1 (got 0)"},
    {m_percent_zero, "stage ten-percent: percent must be in (0, 100] (got 0)"},
    {m_percent_big, "stage ten-percent: percent must be in (0, 100] (got 100.5)"},
    {m_count, "stage few: count must be at least 1 (got 0)"},
    {m_expr, "stage canary: selector 'tier==x': column 6: expected a value"},
    {m_no_expr, "stage canary: select needs a label expression"},
    {m_budget_both, "stage rest: set max_failures or max_failure_percent, not both"},
    {m_budget_neg, "stage rest: max_failures must be at least 0 (got -2)"},
    {m_budget_pct, "stage rest: max_failure_percent must be in [0, 100] (got 101)"},
    {m_bake, "stage canary: bake_seconds must be at least 0 (got -1)"},
    {m_gate_text, "stage canary: the gate needs an SQL query"},
    {m_gate_timeout, "stage canary: gate timeout_seconds must be at least 1 (got 0)"},
    {m_scope, "plan: scope: selector 'region in eu': column 11: expected '('"},
    {m_per_host, "plan: max_per_host must be at least 0 (got -1)"},
};

static void test_invalid_plans(void **state)
{
    for (size_t i = 0; i < sizeof invalid_cases / sizeof invalid_cases[0]; i++) {
        struct fixture *f = *state;
        fixture_plan(f);
        f->plan.scope = NULL;
        f->plan.max_per_host = 0;
        invalid_cases[i].mutate(f);
        struct sw_err err = {0};
        struct planner_result r = {0};
        assert_int_equal(planner_validate_plan(&f->plan, &err), SW_EINVAL);
        assert_string_equal(err.msg, invalid_cases[i].error);
        assert_int_equal(run(f, NULL, 0, &r, &err), SW_EINVAL);
        assert_string_equal(err.msg, invalid_cases[i].error);
        planner_result_cleanup(&r);
    }
}

/* Many shards: growth of the skipped and busy lists, percent rounding, "and N more". */
static void test_many_shards(void **state)
{
    (void)state;
    enum { N = 1000 };
    struct fleet_shard *shards = calloc(N, sizeof *shards);
    struct shard_status *status = calloc(N, sizeof *status);
    char(*ids)[8] = calloc(N, sizeof *ids);
    struct planner_busy busy[20];
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "s-%04d", i);
        shards[i].id = ids[i];
        snprintf(status[i].version, sizeof status[i].version, "%s", i % 2 == 0 ? "3" : "1");
    }
    for (int k = 0; k < 20; k++) {
        busy[k] = (struct planner_busy){ids[2 * k + 1], "w-1"};
    }
    struct fixture *f = *state;
    f->fleet.n_shards = N;
    f->fleet.shards = shards;
    f->stages[0] = stage("first", PLAN_SELECT_PERCENT, NULL, 0.1, 1);
    struct planner_input in = {&f->fleet, status, &f->plan, f->set, 0, NULL};
    struct planner_result r = {0};
    struct sw_err err = {0};
    assert_int_equal(planner_plan(&in, &r, &err), 0);
    assert_int_equal(r.n_skipped, 500);
    assert_string_equal(r.skipped[499].id, "s-0998");
    assert_int_equal(r.stages[0].n_shards, 1);  /* 0.1 % of 500 rounds up to 1 */
    assert_int_equal(r.stages[1].n_shards, 50); /* 10 % of 499 = 49.9 -> 50 */
    assert_int_equal(r.stages[2].n_shards, 449);
    planner_result_cleanup(&r);
    in.n_busy = 20;
    in.busy = busy;
    assert_int_equal(planner_plan(&in, &r, &err), SW_ECONFLICT);
    assert_int_equal(r.n_busy, 20);
    assert_string_equal(err.msg, "20 shards are in other active waves: s-0001 (w-1), s-0003 (w-1), "
                                 "s-0005 (w-1), s-0007 (w-1), s-0009 (w-1), s-0011 (w-1), s-0013 "
                                 "(w-1), s-0015 (w-1), s-0017 (w-1), s-0019 (w-1) and 10 more");
    planner_result_cleanup(&r);
    free(ids);
    free(status);
    free(shards);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_canary_ten_percent_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_shard, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scope_and_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skipped_shards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_engine_variant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_shards, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_direction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_has_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_shards, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
