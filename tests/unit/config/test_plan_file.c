/* Unit tests for coordinator/config/plan_file.c: the docs/api.md example in JSON and in
 * libconfig, defaults, the JSON round trip, and every error message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/plan_file.h"
#include "../proto/tmpdir.h"

static const char api_example[] =
    "{\"name\": \"add user status\", \"target\": \"7\", \"direction\": \"up\", \"on_failure\": "
    "\"halt\",\n"
    " \"max_per_host\": 2, \"host_label\": \"host\", \"scope\": \"region=eu\",\n"
    " \"stages\": [\n"
    "   {\"name\": \"canary\", \"select\": \"tier=canary\", \"max_parallel\": 1, "
    "\"max_failures\": 0, \"bake_seconds\": 300,\n"
    "    \"gate\": {\"sql\": \"SELECT count(*) = 0 FROM users WHERE status IS NULL\"}},\n"
    "   {\"name\": \"ten-percent\", \"percent\": 10, \"max_parallel\": 8, "
    "\"max_failure_percent\": 5, \"bake_seconds\": 600,\n"
    "    \"gate\": {\"http\": \"https://metrics.internal/check?wave={wave}\", "
    "\"timeout_seconds\": 30}},\n"
    "   {\"name\": \"rest\", \"rest\": true, \"max_parallel\": 32, \"max_failure_percent\": 2}]}";

/* The same plan, every field explicit, as plan_file_to_json writes it. */
static const char api_example_full[] =
    "{\"name\": \"add user status\", \"target\": \"7\", \"direction\": \"up\", \"on_failure\": "
    "\"halt\", \"transaction\": \"step\", \"max_per_host\": 2, \"host_label\": \"host\", "
    "\"scope\": \"region=eu\", "
    "\"stages\": ["
    "{\"name\": \"canary\", \"select\": \"tier=canary\", \"max_parallel\": 1, \"max_failures\": 0, "
    "\"bake_seconds\": 300, \"gate\": {\"sql\": \"SELECT count(*) = 0 FROM users WHERE status IS "
    "NULL\", \"timeout_seconds\": 60}}, "
    "{\"name\": \"ten-percent\", \"percent\": 10.0, \"max_parallel\": 8, \"max_failure_percent\": "
    "5.0, \"bake_seconds\": 600, \"gate\": {\"http\": "
    "\"https://metrics.internal/check?wave={wave}\", \"timeout_seconds\": 30}}, "
    "{\"name\": \"rest\", \"rest\": true, \"max_parallel\": 32, \"max_failure_percent\": 2.0, "
    "\"bake_seconds\": 0}]}";

static const char conf_example[] =
    "# canary -> 10 % -> rest\n"
    "name = \"add user status\";\n"
    "target = \"7\";\n"
    "max_per_host = 2;\n"
    "scope = \"region=eu\";\n"
    "stages = (\n"
    "  { name = \"canary\"; select = \"tier=canary\"; max_failures = 0; bake_seconds = 300;\n"
    "    gate = { sql = \"SELECT count(*) = 0 FROM users WHERE status IS NULL\"; }; },\n"
    "  { name = \"ten-percent\"; percent = 10; max_parallel = 8; max_failure_percent = 5;\n"
    "    bake_seconds = 600;\n"
    "    gate = { http = \"https://metrics.internal/check?wave={wave}\"; timeout_seconds = 30; "
    "}; },\n"
    "  { name = \"rest\"; rest = true; max_parallel = 32; max_failure_percent = 2.0; }\n"
    ");\n";

static json_t *encode(const struct wave_plan *p)
{
    json_t *j = NULL;
    struct sw_err err = {0};
    assert_int_equal(plan_file_to_json(p, &j, &err), 0);
    return j;
}

static void assert_json_equal(json_t *got, const char *want_text)
{
    json_t *want = json_loads(want_text, 0, NULL);
    assert_non_null(want);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS);
        char *w = json_dumps(want, JSON_SORT_KEYS);
        fail_msg("JSON differs:\n got  %s\n want %s", g, w);
    }
    json_decref(want);
}

static void test_api_example(void **state)
{
    (void)state;
    struct wave_plan p;
    struct sw_err err = {0};
    if (plan_file_from_json_text(api_example, strlen(api_example), &p, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    assert_string_equal(p.name, "add user status");
    assert_string_equal(p.target, "7");
    assert_int_equal(p.direction, PLAN_UP);
    assert_int_equal(p.on_failure, PLAN_ON_FAILURE_HALT);
    assert_int_equal(p.max_per_host, 2);
    assert_string_equal(p.host_label, "host");
    assert_string_equal(p.scope, "region=eu");
    assert_int_equal(p.n_stages, 3);
    const struct plan_stage *c = &p.stages[0], *t = &p.stages[1], *r = &p.stages[2];
    assert_string_equal(c->name, "canary");
    assert_int_equal(c->select_kind, PLAN_SELECT_LABELS);
    assert_string_equal(c->select_expr, "tier=canary");
    assert_int_equal(c->max_failures, 0);
    assert_true(c->max_failure_percent < 0);
    assert_int_equal(c->bake_seconds, 300);
    assert_int_equal(c->gate_kind, PLAN_GATE_SQL);
    assert_int_equal(c->gate_timeout_seconds, 60);
    assert_int_equal(t->select_kind, PLAN_SELECT_PERCENT);
    assert_true(t->select_percent == 10.0);
    assert_int_equal(t->max_parallel, 8);
    assert_int_equal(t->max_failures, -1);
    assert_true(t->max_failure_percent == 5.0);
    assert_int_equal(t->gate_kind, PLAN_GATE_HTTP);
    assert_string_equal(t->gate, "https://metrics.internal/check?wave={wave}");
    assert_int_equal(t->gate_timeout_seconds, 30);
    assert_int_equal(r->select_kind, PLAN_SELECT_REST);
    assert_int_equal(r->gate_kind, PLAN_GATE_NONE);
    assert_null(r->gate);
    /* JSON -> struct -> JSON, and back again */
    json_t *j = encode(&p);
    assert_json_equal(j, api_example_full);
    struct wave_plan again;
    assert_int_equal(plan_file_from_json(j, &again, &err), 0);
    json_t *j2 = encode(&again);
    assert_true(json_equal(j, j2));
    json_decref(j);
    json_decref(j2);
    wave_plan_cleanup(&again);
    wave_plan_cleanup(&p);
}

static void test_conf_example(void **state)
{
    (void)state;
    struct wave_plan p;
    struct sw_err err = {0};
    if (plan_file_parse(conf_example, "plan.conf", &p, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    json_t *j = encode(&p);
    assert_json_equal(j, api_example_full);
    json_decref(j);
    wave_plan_cleanup(&p);
}

static void test_defaults(void **state)
{
    (void)state;
    struct wave_plan p;
    struct sw_err err = {0};
    const char *text =
        "{\"stages\": [{\"name\": \"one\", \"count\": 1}, {\"name\": \"two\", \"rest\": true}]}";
    assert_int_equal(plan_file_from_json_text(text, strlen(text), &p, &err), 0);
    assert_null(p.name);
    assert_null(p.target);
    assert_null(p.scope);
    json_t *j = encode(&p);
    assert_json_equal(j, "{\"direction\": \"up\", \"on_failure\": \"halt\", \"transaction\": "
                         "\"step\", \"max_per_host\": 0, \"host_label\": \"host\", \"stages\": ["
                         "{\"name\": \"one\", \"count\": 1, \"max_parallel\": 1, "
                         "\"bake_seconds\": 0}, "
                         "{\"name\": \"two\", \"rest\": true, \"max_parallel\": 1, "
                         "\"bake_seconds\": 0}]}");
    json_decref(j);
    wave_plan_cleanup(&p);
    text = "{\"target\": \"007.0\", \"direction\": \"down\", \"on_failure\": \"rollback\", "
           "\"stages\": [{\"name\": \"all\", \"rest\": true}]}";
    assert_int_equal(plan_file_from_json_text(text, strlen(text), &p, &err), 0);
    assert_string_equal(p.target, "7");
    assert_int_equal(p.direction, PLAN_DOWN);
    assert_int_equal(p.on_failure, PLAN_ON_FAILURE_ROLLBACK);
    assert_int_equal(p.transaction, PLAN_TXN_STEP);
    wave_plan_cleanup(&p);
}

/* transaction = "shard" in both formats, and back to JSON. */
static void test_transaction(void **state)
{
    (void)state;
    struct wave_plan p;
    struct sw_err err = {0};
    const char *text = "{\"transaction\": \"shard\", \"stages\": [{\"name\": \"all\", "
                       "\"rest\": true}]}";
    assert_int_equal(plan_file_from_json_text(text, strlen(text), &p, &err), 0);
    assert_int_equal(p.transaction, PLAN_TXN_SHARD);
    json_t *j = encode(&p);
    assert_string_equal(json_string_value(json_object_get(j, "transaction")), "shard");
    struct wave_plan again;
    assert_int_equal(plan_file_from_json(j, &again, &err), 0);
    assert_int_equal(again.transaction, PLAN_TXN_SHARD);
    json_decref(j);
    wave_plan_cleanup(&again);
    wave_plan_cleanup(&p);
    const char *conf = "transaction = \"shard\";\nstages = ( { name = \"all\"; rest = true; } );";
    assert_int_equal(plan_file_parse(conf, "plan.conf", &p, &err), 0);
    assert_int_equal(p.transaction, PLAN_TXN_SHARD);
    wave_plan_cleanup(&p);
    conf = "transaction = \"step\";\nstages = ( { name = \"all\"; rest = true; } );";
    assert_int_equal(plan_file_parse(conf, "plan.conf", &p, &err), 0);
    assert_int_equal(p.transaction, PLAN_TXN_STEP);
    wave_plan_cleanup(&p);
}

struct error_case {
    const char *text;
    const char *message;
};

/* A valid first stage, then a second stage named "b" with the fields under test. */
#define ST(x)     "{\"stages\": [{\"name\": \"a\", \"rest\": true}, {\"name\": \"b\", " x "}]}"
#define ST_RAW(x) "{\"stages\": [{\"name\": \"a\", \"rest\": true}, " x "]}"

static const struct error_case json_cases[] = {
    {"[]", "plan: expected an object, got an array"},
    {"{}", "plan: stages is required"},
    {"{\"stages\": []}", "plan.stages: must have 1 to 32 stages, got 0"},
    {"{\"stages\": {}}", "plan.stages: expected an array, got an object"},
    {"{\"stagez\": []}", "plan: unknown field 'stagez'"},
    {ST("\"count\": 2, \"max_paralel\": 3"), "plan.stages[1]: unknown field 'max_paralel'"},
    {ST("\"count\": 2, \"max_parallel\": 0"),
     "plan.stages[1].max_parallel: must be 1 to 100000, got 0"},
    {ST("\"count\": 2, \"max_parallel\": \"4\""),
     "plan.stages[1].max_parallel: expected an integer, got a string"},
    {ST("\"count\": 2, \"max_parallel\": 1.5"),
     "plan.stages[1].max_parallel: expected an integer, got a decimal number"},
    {ST("\"max_parallel\": 1"),
     "plan.stages[1]: exactly one of select, count, percent or rest is required"},
    {ST("\"count\": 1, \"percent\": 5"),
     "plan.stages[1]: exactly one of select, count, percent or rest is required"},
    {ST("\"count\": 0"), "plan.stages[1].count: must be 1 to 200000, got 0"},
    {ST("\"percent\": 0"), "plan.stages[1].percent: must be more than 0 and at most 100, got 0"},
    {ST("\"percent\": 100.5"),
     "plan.stages[1].percent: must be more than 0 and at most 100, got 100.5"},
    {ST("\"percent\": \"10%\""), "plan.stages[1].percent: expected a number, got a string"},
    {ST("\"rest\": false"), "plan.stages[1].rest: must be true (leave it out otherwise)"},
    {ST("\"rest\": 1"), "plan.stages[1].rest: expected a boolean, got an integer"},
    {ST("\"select\": \"\""), "plan.stages[1].select: must be 1 to 65536 characters"},
    {ST("\"rest\": true, \"max_failures\": 1, \"max_failure_percent\": 2"),
     "plan.stages[1]: set max_failures or max_failure_percent, not both"},
    {ST("\"rest\": true, \"max_failures\": -1"),
     "plan.stages[1].max_failures: must be 0 to 1000000000, got -1"},
    {ST("\"rest\": true, \"max_failure_percent\": 101"),
     "plan.stages[1].max_failure_percent: must be at least 0 and at most 100, got 101"},
    {ST("\"rest\": true, \"bake_seconds\": -5"),
     "plan.stages[1].bake_seconds: must be 0 to 2592000, got -5"},
    {ST("\"rest\": true, \"gate\": \"SELECT 1\""),
     "plan.stages[1].gate: expected an object, got a string"},
    {ST("\"rest\": true, \"gate\": {}"),
     "plan.stages[1].gate: exactly one of sql or http is required"},
    {ST("\"rest\": true, \"gate\": {\"sql\": \"SELECT 1\", \"http\": \"http://x\"}"),
     "plan.stages[1].gate: exactly one of sql or http is required"},
    {ST("\"rest\": true, \"gate\": {\"http\": \"ftp://x\"}"),
     "plan.stages[1].gate.http: must be an http:// or https:// URL"},
    {ST("\"rest\": true, \"gate\": {\"sql\": \"SELECT 1\", \"timeout_seconds\": 0}"),
     "plan.stages[1].gate.timeout_seconds: must be 1 to 3600, got 0"},
    {ST("\"rest\": true, \"gate\": {\"sql\": \"SELECT 1\", \"timeout\": 5}"),
     "plan.stages[1].gate: unknown field 'timeout'"},
    {ST_RAW("{\"name\": \"a\", \"rest\": true}"), "plan.stages[1]: duplicate stage name 'a'"},
    {ST_RAW("{\"name\": \"ten percent\", \"rest\": true}"),
     "plan.stages[1].name: 'ten percent' may only contain A-Z a-z 0-9 . _ : -"},
    {ST_RAW("7"), "plan.stages[1]: expected an object, got an integer"},
    {ST_RAW("{\"rest\": true}"), "plan.stages[1]: name is required"},
    {"{\"direction\": \"sideways\", \"stages\": [{\"name\": \"all\", \"rest\": true}]}",
     "plan.direction: must be \"up\" or \"down\", got \"sideways\""},
    {"{\"on_failure\": \"panic\", \"stages\": [{\"name\": \"all\", \"rest\": true}]}",
     "plan.on_failure: must be \"halt\" or \"rollback\", got \"panic\""},
    {"{\"transaction\": \"wave\", \"stages\": [{\"name\": \"all\", \"rest\": true}]}",
     "plan.transaction: must be \"step\" or \"shard\", got \"wave\""},
    {"{\"transaction\": true, \"stages\": [{\"name\": \"all\", \"rest\": true}]}",
     "plan.transaction: expected a string, got a boolean"},
    {"{\"target\": 7, \"stages\": [{\"name\": \"all\", \"rest\": true}]}",
     "plan.target: expected a string, got an integer"},
    {"{\"target\": \"1..2\", \"stages\": [{\"name\": \"all\", \"rest\": true}]}",
     "plan.target: version '1..2': empty part"},
    {"{\"max_per_host\": -1, \"stages\": [{\"name\": \"all\", \"rest\": true}]}",
     "plan.max_per_host: must be 0 to 100000, got -1"},
    {"{\"host_label\": \"Host\", \"stages\": [{\"name\": \"all\", \"rest\": true}]}",
     "plan.host_label: label key 'Host' must be 1 to 64 characters of a-z 0-9 _ . -"},
    {"{\"name\": null, \"stages\": [{\"name\": \"all\", \"rest\": true}]}",
     "plan.name: expected a string, got null"},
};

static void run_cases(const struct error_case *cases, size_t n, bool is_json)
{
    for (size_t i = 0; i < n; i++) {
        struct wave_plan p;
        struct sw_err err = {0};
        const char *t = cases[i].text;
        int rc = is_json ? plan_file_from_json_text(t, strlen(t), &p, &err)
                         : plan_file_parse(t, "plan.conf", &p, &err);
        if (rc != SW_EINVAL || strcmp(err.msg, cases[i].message) != 0) {
            fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err.msg, cases[i].message);
        }
        assert_null(p.stages);
        assert_null(p.name);
        assert_null(p.host_label);
    }
}

static void test_json_errors(void **state)
{
    (void)state;
    run_cases(json_cases, sizeof json_cases / sizeof json_cases[0], true);
}

static const struct error_case conf_cases[] = {
    {"name = \"x\";", "plan.conf: stages is required"},
    {"stages = (\n { name = \"a\"; rest = true; },\n { name = \"b\"; count = 2;\n   max_paralel = "
     "3; }\n);",
     "plan.conf:4: stages[1]: unknown field 'max_paralel'"},
    {"stages = (\n { name = \"a\"; bake_seconds = 1; }\n);",
     "plan.conf:2: stages[0]: exactly one of select, count, percent or rest is required"},
    {"stages = (\n { rest = true; }\n);", "plan.conf:2: stages[0]: name is required"},
    {"stages = ( { name = \"a\"; rest = true;\n gate = { http = \"x\"; }; } );",
     "plan.conf:2: stages[0].gate.http: must be an http:// or https:// URL"},
    {"\n\ndirection = \"sideways\";\nstages = ( { name = \"a\"; rest = true; } );",
     "plan.conf:3: direction: must be \"up\" or \"down\", got \"sideways\""},
    {"\ntransaction = \"stage\";\nstages = ( { name = \"a\"; rest = true; } );",
     "plan.conf:2: transaction: must be \"step\" or \"shard\", got \"stage\""},
    {"target = 7;\nstages = ( { name = \"a\"; rest = true; } );",
     "plan.conf:1: target: expected a string, got an integer"},
    {"stages = { rest = true; };", "plan.conf:1: stages: expected an array, got an object"},
    {"wave = 1;", "plan.conf:1: unknown field 'wave'"},
    {"stages = ( { rest = true; } ) x", "plan.conf:1: syntax error"},
};

static void test_conf_errors(void **state)
{
    (void)state;
    run_cases(conf_cases, sizeof conf_cases / sizeof conf_cases[0], false);
}

static void test_json_text_and_file(void **state)
{
    (void)state;
    struct wave_plan p;
    struct sw_err err = {0};
    const char *bad = "{\"stages\": [";
    assert_int_equal(plan_file_from_json_text(bad, strlen(bad), &p, &err), SW_EINVAL);
    assert_string_equal(err.msg, "plan: invalid JSON at line 1, column 12: ']' expected near end "
                                 "of file");
    const char *dup = "{\"stages\": [{\"name\": \"all\", \"rest\": true}], \"stages\": 1}";
    assert_int_equal(plan_file_from_json_text(dup, strlen(dup), &p, &err), SW_EINVAL);
    assert_string_equal(err.msg, "plan: invalid JSON at line 1, column 52: duplicate object key "
                                 "near '\"stages\"'");
    char *dir = tmpdir_new();
    char *path = tmpdir_path(dir, "plan.conf");
    tmpdir_write(dir, "plan.conf", conf_example);
    assert_int_equal(plan_file_load(path, &p, &err), 0);
    assert_int_equal(p.n_stages, 3);
    wave_plan_cleanup(&p);
    tmpdir_unlink(dir, "plan.conf");
    assert_int_equal(plan_file_load(path, &p, &err), SW_ENOTFOUND);
    free(path);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_example), cmocka_unit_test(test_conf_example),
        cmocka_unit_test(test_defaults),    cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_conf_errors), cmocka_unit_test(test_json_text_and_file),
        cmocka_unit_test(test_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
