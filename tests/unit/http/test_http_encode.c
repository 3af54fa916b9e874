/* coordinator/http/http_encode.c: the fleet document's drift list (which shards drift and
 * why), table-driven: each case is a small fleet and the expected drift entries; the wave
 * detail encoded as text one shard at a time equals the dump of its JSON tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http_encode.h"

#define FP_A       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define FP_B       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define MAX_SHARDS 6

struct shard_case {
    const char *id;
    enum migset_engine engine;
    const char *version;
    enum shard_health health;
    const char *fingerprint;
    const char *unknown;
    const char *edited;
};

struct drift_case {
    const char *name;
    struct shard_case shards[MAX_SHARDS]; /* until id == NULL */
    /* the drift entries as "id:code,code:reason" joined by '|' */
    const char *want;
};

static const struct drift_case cases[] = {
    {"healthy and alike",
     {{"a", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_A, "", ""},
      {"b", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_A, "", ""}},
     ""},
    {"never reported drifts only by version",
     {{"a", MIGSET_ENGINE_PG, "3", SHARD_OK, "", "", ""},
      {"b", MIGSET_ENGINE_PG, "3", SHARD_OK, "", "", ""},
      {"c", MIGSET_ENGINE_PG, "0", SHARD_UNKNOWN, "", "", ""}},
     "c:lagging:lagging: at version 0, most shards are at 3"},
    {"dirty and lagging, one ahead",
     {{"a", MIGSET_ENGINE_MYSQL, "2", SHARD_DIRTY, "", "", ""},
      {"b", MIGSET_ENGINE_MYSQL, "3", SHARD_OK, "", "", ""},
      {"c", MIGSET_ENGINE_MYSQL, "3", SHARD_OK, "", "", ""},
      {"d", MIGSET_ENGINE_MYSQL, "10", SHARD_UNREACHABLE, "", "", ""}},
     "a:dirty,lagging:dirty: a step failed part-way and nothing runs on it until it is repaired "
     "(shardwave repair); lagging: at version 2, most shards are at 3|"
     "d:unreachable,ahead:unreachable: its agent could not connect; ahead: at version 10, most "
     "shards are at 3"},
    {"fingerprint minority per engine and version",
     {{"a", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_A, "", ""},
      {"b", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_B, "", ""},
      {"c", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_A, "", ""},
      {"d", MIGSET_ENGINE_SQLITE, "3", SHARD_OK, FP_B, "", ""}},
     "b:fingerprint:schema fingerprint differs from the other shards at this version (changed by "
     "hand?)"},
    {"fingerprint tie lists the whole group",
     {{"a", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_A, "", ""},
      {"b", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_B, "", ""},
      {"c", MIGSET_ENGINE_SQLITE, "3", SHARD_OK, FP_A, "", ""}},
     "a:fingerprint:schema fingerprints of the shards at this version disagree with no majority "
     "(compare them)|"
     "b:fingerprint:schema fingerprints of the shards at this version disagree with no majority "
     "(compare them)"},
    {"unknown and edited migrations",
     {{"a", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_A, "2.5", ""},
      {"b", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_A, "", "1,2"},
      {"c", MIGSET_ENGINE_PG, "3", SHARD_OK, FP_A, "9", "3"}},
     "a:unknown_migrations:applied versions not in the migration set: 2.5|"
     "b:edited_migrations:applied versions whose checksum differs from the migration set: 1,2|"
     "c:unknown_migrations,edited_migrations:applied versions not in the migration set: 9; "
     "applied versions whose checksum differs from the migration set: 3"},
};

static void fill_fleet(const struct drift_case *c, struct store_fleet *f,
                       struct fleet_shard *shards, struct shard_status *status,
                       struct store_shard_meta *meta)
{
    size_t n = 0;
    while (n < MAX_SHARDS && c->shards[n].id != NULL) {
        const struct shard_case *sc = &c->shards[n];
        shards[n] = (struct fleet_shard){.id = (char *)sc->id, .engine = sc->engine, .pool = "eu"};
        status[n] = (struct shard_status){.health = sc->health};
        snprintf(status[n].version, sizeof status[n].version, "%s", sc->version);
        snprintf(status[n].fingerprint, sizeof status[n].fingerprint, "%s", sc->fingerprint);
        snprintf(status[n].unknown_versions, sizeof status[n].unknown_versions, "%s", sc->unknown);
        snprintf(status[n].edited_versions, sizeof status[n].edited_versions, "%s", sc->edited);
        meta[n] = (struct store_shard_meta){.in_fleet_file = true};
        n++;
    }
    *f = (struct store_fleet){
        .fleet = {.n_shards = n, .shards = shards}, .status = status, .meta = meta};
}

/* "id:code,code:reason|..." from the drift array; also checks the lists are arrays. */
static void drift_text(const json_t *drift, char *out, size_t cap)
{
    size_t len = 0;
    size_t i = 0;
    const json_t *d = NULL;
    out[0] = '\0';
    json_array_foreach(drift, i, d)
    {
        char codes[256] = "";
        size_t k = 0;
        const json_t *code = NULL;
        json_array_foreach(json_object_get(d, "reasons"), k, code)
        {
            size_t cl = strlen(codes);
            snprintf(codes + cl, sizeof codes - cl, "%s%s", k > 0 ? "," : "",
                     json_string_value(code));
        }
        len += (size_t)snprintf(out + len, cap - len, "%s%s:%s:%s", i > 0 ? "|" : "",
                                json_string_value(json_object_get(d, "id")), codes,
                                json_string_value(json_object_get(d, "reason")));
        assert_true(len < cap);
        assert_true(json_is_array(json_object_get(d, "unknown_migrations")));
        assert_true(json_is_array(json_object_get(d, "edited_migrations")));
    }
}

static void test_fleet_drift(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        struct fleet_shard shards[MAX_SHARDS];
        struct shard_status status[MAX_SHARDS];
        struct store_shard_meta meta[MAX_SHARDS];
        struct store_fleet f;
        fill_fleet(&cases[ci], &f, shards, status, meta);
        json_t *doc = http_encode_fleet(&f);
        assert_non_null(doc);
        char got[4096];
        drift_text(json_object_get(doc, "drift"), got, sizeof got);
        if (strcmp(got, cases[ci].want) != 0) {
            fail_msg("case '%s':\n  got  %s\n  want %s", cases[ci].name, got, cases[ci].want);
        }
        json_decref(doc);
    }
}

/* The version lists split into arrays. */
static void test_fleet_drift_lists(void **state)
{
    (void)state;
    struct fleet_shard shards[MAX_SHARDS];
    struct shard_status status[MAX_SHARDS];
    struct store_shard_meta meta[MAX_SHARDS];
    struct store_fleet f;
    fill_fleet(&cases[5], &f, shards, status, meta);
    json_t *doc = http_encode_fleet(&f);
    const json_t *c = json_array_get(json_object_get(doc, "drift"), 2);
    char *unknown = json_dumps(json_object_get(c, "unknown_migrations"), JSON_COMPACT);
    char *edited = json_dumps(
        json_object_get(json_array_get(json_object_get(doc, "drift"), 1), "edited_migrations"),
        JSON_COMPACT);
    assert_string_equal(unknown, "[\"9\"]");
    assert_string_equal(edited, "[\"1\",\"2\"]");
    free(unknown);
    free(edited);
    json_decref(doc);
}

/* ---- the wave detail as text (one shard at a time) equals the tree's dump ---------- */

#define PLAN_TWO_STAGES                                                                            \
    "{\"name\":\"p\",\"stages\":[{\"name\":\"canary\",\"max_parallel\":1},"                        \
    "{\"name\":\"rest\",\"max_parallel\":8,\"rest\":true}],\"on_failure\":\"halt\"}"

struct detail_shard_case {
    const char *id;
    int stage_idx;
    enum wave_shard_state state;
    const char *agent;
    const char *error;
    enum wave_failure failure;
    int64_t started_ms;
};

struct detail_case {
    const char *name;
    const char *plan_json; /* NULL: none stored */
    const char *reason;
    const char *halt_reason;
    struct detail_shard_case shards[MAX_SHARDS]; /* until id == NULL */
};

static const struct detail_case detail_cases[] = {
    {"two stages, every kind of field",
     PLAN_TWO_STAGES,
     "JIRA-1 \"quoted\"",
     NULL,
     {{"t-001", 0, WSHARD_DONE, "agent-eu-1", NULL, WFAIL_NONE, 1764000000000},
      {"t-002", 1, WSHARD_FAILED, "agent-eu-2", "line 1\nnon-ascii \xc3\xa9 \\ \"x\"", WFAIL_ERROR,
       1764000000123},
      {"t-003", 1, WSHARD_LEASED, "", NULL, WFAIL_NONE, 0},
      {"t-004", 1, WSHARD_PENDING, "", NULL, WFAIL_NONE, 0}}},
    {"a stage with no shard",
     PLAN_TWO_STAGES,
     NULL,
     "halted: budget",
     {{"t-001", 1, WSHARD_PENDING, "", NULL, WFAIL_NONE, 0}}},
    {"no shards at all",
     PLAN_TWO_STAGES,
     NULL,
     NULL,
     {{NULL, 0, WSHARD_PENDING, NULL, NULL, WFAIL_NONE, 0}}},
    {"no stored plan", NULL, NULL, NULL, {{"t-001", 0, WSHARD_PENDING, "", NULL, WFAIL_NONE, 0}}},
    {"a stored plan that is not JSON",
     "{oops",
     NULL,
     NULL,
     {{"t-001", 0, WSHARD_PENDING, "", NULL, WFAIL_NONE, 0}}},
    {"a stage without a name is left out",
     "{\"stages\":[{\"max_parallel\":1},{\"name\":\"b\",\"max_parallel\":2}]}",
     NULL,
     NULL,
     {{"t-001", 0, WSHARD_PENDING, "", NULL, WFAIL_NONE, 0},
      {"t-002", 1, WSHARD_PENDING, "", NULL, WFAIL_NONE, 0}}},
};

static void fill_detail(const struct detail_case *c, struct store_wave_detail *d,
                        struct store_wave_shard *shards)
{
    *d = (struct store_wave_detail){.shards = shards};
    struct store_wave *w = &d->wave;
    snprintf(w->id, sizeof w->id, "w-0123abcd");
    snprintf(w->digest, sizeof w->digest, "%064d", 7);
    snprintf(w->target, sizeof w->target, "2");
    snprintf(w->created_by, sizeof w->created_by, "ops-oncall");
    w->plan_json = (char *)c->plan_json;
    w->reason = (char *)c->reason;
    w->halt_reason = (char *)c->halt_reason;
    w->state = WAVE_RUNNING;
    w->stage_phase = STAGE_DISPATCHING;
    w->created_ms = 1764000000000;
    w->updated_ms = 1764000000999;
    while (d->n_shards < MAX_SHARDS && c->shards[d->n_shards].id != NULL) {
        const struct detail_shard_case *sc = &c->shards[d->n_shards];
        struct store_wave_shard *s = &shards[d->n_shards++];
        *s = (struct store_wave_shard){.stage_idx = sc->stage_idx,
                                       .state = sc->state,
                                       .error = (char *)sc->error,
                                       .failure = sc->failure,
                                       .attempts = sc->started_ms != 0 ? 1 : 0,
                                       .started_ms = sc->started_ms,
                                       .finished_ms = sc->started_ms != 0 ? sc->started_ms + 5 : 0};
        snprintf(s->shard_id, sizeof s->shard_id, "%s", sc->id);
        snprintf(s->from_version, sizeof s->from_version, "1");
        snprintf(s->to_version, sizeof s->to_version, "2");
        snprintf(s->agent, sizeof s->agent, "%s", sc->agent != NULL ? sc->agent : "");
    }
}

static void test_wave_detail_text(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof detail_cases / sizeof detail_cases[0]; ci++) {
        struct store_wave_shard shards[MAX_SHARDS];
        struct store_wave_detail d;
        fill_detail(&detail_cases[ci], &d, shards);
        json_t *tree = http_encode_wave_detail(&d);
        char *want = json_dumps(tree, JSON_COMPACT);
        struct sw_strbuf sb;
        struct sw_err err = {0};
        sw_strbuf_init(&sb, 1 << 20);
        assert_int_equal(http_encode_wave_detail_text(&d, &sb, &err), 0);
        if (strcmp(sw_strbuf_str(&sb), want) != 0) {
            fail_msg("case '%s':\n  got  %s\n  want %s", detail_cases[ci].name, sw_strbuf_str(&sb),
                     want);
        }
        free(want);
        json_decref(tree);
        sw_strbuf_cleanup(&sb);
    }
}

/* A buffer too small for the document: SW_ETOOBIG, not a truncated document. */
static void test_wave_detail_text_limit(void **state)
{
    (void)state;
    struct store_wave_shard shards[MAX_SHARDS];
    struct store_wave_detail d;
    fill_detail(&detail_cases[0], &d, shards);
    struct sw_strbuf sb;
    struct sw_err err = {0};
    sw_strbuf_init(&sb, 700);
    assert_int_equal(http_encode_wave_detail_text(&d, &sb, &err), SW_ETOOBIG);
    assert_string_equal(err.msg, "buffer limit of 700 bytes exceeded");
    sw_strbuf_cleanup(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fleet_drift),
        cmocka_unit_test(test_fleet_drift_lists),
        cmocka_unit_test(test_wave_detail_text),
        cmocka_unit_test(test_wave_detail_text_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
