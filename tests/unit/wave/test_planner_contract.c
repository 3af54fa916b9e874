/* Unit tests for coordinator/wave/planner_contract.c: a `contract-of V` step is planned
 * only when every shard of the fleet (in the wave's scope or not) has V applied and is
 * healthy; otherwise the plan is refused naming the lagging shards. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wave/planner.h"

#define MAX_SHARDS 16

/* A shard: "id engine version health region", e.g. "t-1 pg 2 ok eu". */
struct contract_case {
    const char *name;
    const char *const *set; /* file names; contents from file_sql() */
    const char *const *fleet;
    const char *target;    /* NULL = latest */
    bool is_down;          /* direction down */
    const char *scope;     /* NULL = none */
    const char *busy;      /* shard id busy in wave w-9, or NULL */
    int rc;                /* expected planner_plan result */
    const char *message;   /* expected err.msg when rc != 0 */
    const char *contracts; /* "3 of 2: t-1 (1, ok); ..." or "" */
};

/* V2 expands, V3 is the contract of 2 on every engine. */
static const char *const set_pair[] = {"V1__create.sql", "V2__expand.sql", "V3__contract.sql",
                                       "U3__contract.sql", NULL};
/* Only the mysql variant of 3 is a contract (of 2); pg runs a plain step. */
static const char *const set_mysql_only[] = {"V1__create.sql", "V2__expand.sql", "V3__drop.sql",
                                             "V3__drop.mysql.sql", NULL};
/* Two contract steps: 3 of 2, 5 of 4. */
static const char *const set_two[] = {"V1__create.sql",  "V2__expand.sql",    "V3__contract.sql",
                                      "V4__expand2.sql", "V5__contract2.sql", NULL};

static const char *file_sql(const char *name)
{
    if (strcmp(name, "V3__contract.sql") == 0) {
        return "-- shardwave: contract-of 2\n-- shardwave: destructive-ok old column unused\n"
               "SELECT 3;\n";
    }
    if (strcmp(name, "V3__drop.mysql.sql") == 0) {
        return "-- shardwave: contract-of 2\nSELECT 3;\n";
    }
    if (strcmp(name, "V5__contract2.sql") == 0) {
        return "-- shardwave: contract-of 4\nSELECT 5;\n";
    }
    return "SELECT 1;\n";
}

static struct migset *load_set(const char *const *names)
{
    struct migset_mem_file files[16];
    size_t n = 0;
    for (; names[n] != NULL; n++) {
        const char *sql = file_sql(names[n]);
        files[n] = (struct migset_mem_file){names[n], sql, strlen(sql)};
    }
    struct migset_load_opts opts = {.skip_manifest = true};
    struct migset *set = NULL;
    struct sw_err err = {0};
    if (migset_load_files(files, n, &opts, &set, &err) != 0) {
        fail_msg("set: %s", err.msg);
    }
    return set;
}

struct fleet_fix {
    struct fleet fleet;
    struct fleet_shard shards[MAX_SHARDS];
    struct fleet_label labels[MAX_SHARDS];
    char ids[MAX_SHARDS][16];
    char engines[MAX_SHARDS][16];
    char healths[MAX_SHARDS][16];
    char regions[MAX_SHARDS][16];
    struct shard_status status[MAX_SHARDS];
};

static void load_fleet(const char *const *spec, struct fleet_fix *f)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; spec[i] != NULL; i++) {
        struct fleet_shard *s = &f->shards[i];
        int n = sscanf(spec[i], "%15s %15s %31s %15s %15s", f->ids[i], f->engines[i],
                       f->status[i].version, f->healths[i], f->regions[i]);
        assert_int_equal(n, 5);
        s->id = f->ids[i];
        assert_int_equal(migset_engine_parse(f->engines[i], strlen(f->engines[i]), &s->engine), 0);
        assert_int_equal(shard_health_parse(f->healths[i], &f->status[i].health), 0);
        f->labels[i] = (struct fleet_label){"region", f->regions[i]};
        s->labels = &f->labels[i];
        s->n_labels = 1;
        f->fleet.n_shards = i + 1;
    }
    f->fleet.shards = f->shards;
}

/* "3 of 2: t-1 (1, ok), t-2 (2, dirty); 5 of 4: -" */
static const char *contracts_text(const struct planner_result *r, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_contracts; i++) {
        const struct planner_contract *c = &r->contracts[i];
        len += (size_t)snprintf(buf + len, cap - len, "%s%s of %s:", i > 0 ? "; " : "", c->version,
                                c->contract_of);
        for (size_t j = 0; j < c->n_lagging; j++) {
            len += (size_t)snprintf(buf + len, cap - len, "%s %s (%s, %s)", j > 0 ? "," : "",
                                    c->lagging[j].id, c->lagging[j].version,
                                    shard_health_name(c->lagging[j].health));
        }
        if (c->n_lagging == 0) {
            len += (size_t)snprintf(buf + len, cap - len, " -");
        }
    }
    return buf;
}

static const char *const fleet_ready[] = {"t-1 pg 2 ok eu", "t-2 mysql 2 ok eu",
                                          "t-3 sqlite 2 ok us", "t-4 pg 2 ok us", NULL};
static const char *const fleet_one_behind[] = {"t-1 pg 2 ok eu", "t-2 mysql 1 ok eu",
                                               "t-3 sqlite 2 ok us", "t-4 pg 2 ok us", NULL};
static const char *const fleet_us_behind[] = {"t-1 pg 2 ok eu", "t-2 mysql 2 ok eu",
                                              "t-3 sqlite 1 ok us", "t-4 pg 0 unknown us", NULL};
static const char *const fleet_dirty[] = {"t-1 pg 2 ok eu", "t-2 mysql 3 dirty eu",
                                          "t-3 sqlite 2 unreachable us", "t-4 pg 3 ok us", NULL};
static const char *const fleet_all_at_1[] = {"t-1 pg 1 ok eu", "t-2 pg 1 ok eu", NULL};
static const char *const fleet_done[] = {"t-1 pg 3 ok eu", "t-2 mysql 3 ok eu", NULL};
static const char *const fleet_pg_ready_mysql_behind[] = {"t-1 pg 2 ok eu", "t-2 pg 2 ok eu",
                                                          "t-3 mysql 1 ok us", NULL};
static const char *const fleet_many_behind[] = {"t-01 pg 1 ok eu",
                                                "t-02 pg 1 ok eu",
                                                "t-03 pg 1 ok eu",
                                                "t-04 pg 1 ok eu",
                                                "t-05 pg 1 ok eu",
                                                "t-06 pg 1 ok eu",
                                                "t-07 pg 1 ok eu",
                                                "t-08 pg 1 ok eu",
                                                "t-09 pg 1 ok eu",
                                                "t-10 pg 1 ok eu",
                                                "t-11 pg 1 ok eu",
                                                "t-12 pg 1 ok eu",
                                                NULL};

static const struct contract_case cases[] = {
    {"every shard has 2", set_pair, fleet_ready, NULL, false, NULL, NULL, 0, NULL, "3 of 2: -"},
    {"a shard is at 1", set_pair, fleet_one_behind, NULL, false, NULL, NULL, SW_ECONFLICT,
     "version 3 is the contract of 2: 1 shard of the fleet has not applied 2: t-2 (at 1)",
     "3 of 2: t-2 (1, ok)"},
    {"shards outside the scope count", set_pair, fleet_us_behind, NULL, false, "region=eu", NULL,
     SW_ECONFLICT,
     "version 3 is the contract of 2: 2 shards of the fleet have not applied 2: t-3 (at 1), "
     "t-4 (at 0, unknown)",
     "3 of 2: t-3 (1, ok), t-4 (0, unknown)"},
    {"unhealthy shards lag even at or past 2", set_pair, fleet_dirty, NULL, false, NULL, NULL,
     SW_ECONFLICT,
     "version 3 is the contract of 2: 2 shards of the fleet have not applied 2: t-2 (at 3, "
     "dirty), t-3 (at 2, unreachable)",
     "3 of 2: t-2 (3, dirty), t-3 (2, unreachable)"},
    {"expand and contract in one wave", set_pair, fleet_all_at_1, NULL, false, NULL, NULL,
     SW_ECONFLICT,
     "version 3 is the contract of 2: 2 shards of the fleet have not applied 2: t-1 (at 1), "
     "t-2 (at 1)",
     "3 of 2: t-1 (1, ok), t-2 (1, ok)"},
    {"the expand alone", set_pair, fleet_all_at_1, "2", false, NULL, NULL, 0, NULL, ""},
    {"down through a contract", set_pair, fleet_done, "2", true, NULL, NULL, 0, NULL, ""},
    {"pg runs no contract", set_mysql_only, fleet_pg_ready_mysql_behind, NULL, false, "region=eu",
     NULL, 0, NULL, ""},
    {"the mysql variant is a contract", set_mysql_only, fleet_pg_ready_mysql_behind, NULL, false,
     NULL, NULL, SW_ECONFLICT,
     "version 3 is the contract of 2: 1 shard of the fleet has not applied 2: t-3 (at 1)",
     "3 of 2: t-3 (1, ok)"},
    {"two contracts, the second lags", set_two, fleet_ready, NULL, false, NULL, NULL, SW_ECONFLICT,
     "version 5 is the contract of 4: 4 shards of the fleet have not applied 4: t-1 (at 2), "
     "t-2 (at 2), t-3 (at 2), t-4 (at 2)",
     "3 of 2: -; 5 of 4: t-1 (2, ok), t-2 (2, ok), t-3 (2, ok), t-4 (2, ok)"},
    {"busy shards are refused first", set_pair, fleet_one_behind, NULL, false, NULL, "t-1",
     SW_ECONFLICT, "1 shard is in other active waves: t-1 (w-9)", "3 of 2: t-2 (1, ok)"},
    {"at most ten names", set_pair, fleet_many_behind, "3", false, NULL, NULL, SW_ECONFLICT,
     "version 3 is the contract of 2: 12 shards of the fleet have not applied 2: t-01 (at 1), "
     "t-02 (at 1), t-03 (at 1), t-04 (at 1), t-05 (at 1), t-06 (at 1), t-07 (at 1), t-08 (at "
     "1), t-09 (at 1), t-10 (at 1) and 2 more",
     NULL},
};

static void run_case(const struct contract_case *tc)
{
    struct fleet_fix *f = calloc(1, sizeof *f);
    load_fleet(tc->fleet, f);
    struct migset *set = load_set(tc->set);
    struct plan_stage st = {.name = (char *)"all",
                            .select_kind = PLAN_SELECT_REST,
                            .max_parallel = 4,
                            .max_failures = -1,
                            .max_failure_percent = -1,
                            .gate_timeout_seconds = 60};
    struct wave_plan plan = {.target = (char *)tc->target,
                             .direction = tc->is_down ? PLAN_DOWN : PLAN_UP,
                             .scope = (char *)tc->scope,
                             .n_stages = 1,
                             .stages = &st};
    struct planner_busy busy = {.shard_id = tc->busy, .wave_id = "w-9"};
    struct planner_input in = {.fleet = &f->fleet,
                               .status = f->status,
                               .plan = &plan,
                               .set = set,
                               .n_busy = tc->busy != NULL ? 1 : 0,
                               .busy = &busy};
    struct planner_result r = {0};
    struct sw_err err = {0};
    char buf[4096];
    int rc = planner_plan(&in, &r, &err);
    if (rc != tc->rc) {
        fail_msg("%s: rc %d, want %d (%s)", tc->name, rc, tc->rc, err.msg);
    }
    if (tc->message != NULL) {
        assert_string_equal(err.msg, tc->message);
    }
    if (tc->contracts != NULL) {
        assert_string_equal(contracts_text(&r, buf, sizeof buf), tc->contracts);
    }
    bool lags = tc->contracts == NULL || strchr(tc->contracts, '(') != NULL;
    assert_int_equal(planner_contract_blocked(&r), tc->rc != 0 && lags);
    planner_result_cleanup(&r);
    migset_free(set);
    free(f);
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i]);
    }
}

static void test_explain_and_hint(void **state)
{
    (void)state;
    struct fleet_fix *f = calloc(1, sizeof *f);
    load_fleet(fleet_one_behind, f);
    struct migset *set = load_set(set_pair);
    struct plan_stage st = {.name = (char *)"all",
                            .select_kind = PLAN_SELECT_REST,
                            .max_parallel = 1,
                            .max_failures = -1,
                            .max_failure_percent = -1,
                            .gate_timeout_seconds = 60};
    struct wave_plan plan = {.n_stages = 1, .stages = &st};
    struct planner_input in = {.fleet = &f->fleet, .status = f->status, .plan = &plan, .set = set};
    struct planner_result r = {0};
    struct sw_err err = {0};
    assert_int_equal(planner_plan(&in, &r, &err), SW_ECONFLICT);
    assert_string_equal(err.hint, "first bring every shard to 2 (a wave with target 2) and deploy "
                                  "the application that no longer needs what 3 removes; then run "
                                  "the contract");
    assert_string_equal(r.explain[r.n_explain - 1],
                        "version 3 is the contract of 2: 1 of 4 shards of the fleet has not "
                        "applied 2");
    planner_result_cleanup(&r);
    snprintf(f->status[1].version, sizeof f->status[1].version, "2");
    memset(&err, 0, sizeof err);
    assert_int_equal(planner_plan(&in, &r, &err), 0);
    assert_string_equal(r.explain[r.n_explain - 1],
                        "version 3 is the contract of 2: all 4 shards of the fleet have applied 2");
    planner_result_cleanup(&r);
    migset_free(set);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_explain_and_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
