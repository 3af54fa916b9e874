/* Unit tests for proto/src/wire_lease.c: the lease request and the lease response. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/wire_lease.h"
#include "wire_testutil.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A valid migrate lease; TAIL is spliced in before the closing brace. */
#define LEASE_HEAD                                                                                 \
    "{'lease': 'l-9a0c', 'kind': 'migrate', 'wave': 'w-3f2a91c0', 'shard': 't-001', "              \
    "'engine': 'pg', 'direction': 'up', 'target': '7', 'expected_from': '5', "                     \
    "'migration_set': '" HEX_B "', 'lease_ttl_ms': 30000, "
#define TIMEOUTS                                                                                   \
    "'timeouts': {'lock_wait_ms': 10000, 'lock_timeouts_ms': [200, 500, 1000, 2000], "             \
    "'lock_pauses_ms': [500, 1000, 2000], 'statement_timeout_ms': 0}"
#define STEP(V, CK)                                                                                \
    "{'version': '" V "', 'description': 'add user status', "                                      \
    "'script': 'V6__add_user_status.pg.sql', 'checksum': '" CK "', "                               \
    "'sql': 'ALTER TABLE users ADD status text;', 'no_transaction': false}"
#define RESP(LEASES)         "{'protocol': '1.2', 'leases': [" LEASES "]}"
#define MIGRATE(STEPS, TAIL) LEASE_HEAD TIMEOUTS ", 'steps': [" STEPS "]" TAIL "}"

struct decode_case {
    const char *json; /* a lease response; single quotes stand for double quotes */
    int code;
    const char *error;
};

static const struct decode_case decode_cases[] = {
    {RESP(MIGRATE(STEP("6", HEX_A) "," STEP("7", HEX_B), "")), 0, NULL},
    {RESP(""), 0, NULL},
    {RESP("{'lease': 'l-1', 'kind': 'gate', 'wave': 'w-1', 'shard': 's', 'engine': 'mysql', "
          "'lease_ttl_ms': 1, 'sql': 'SELECT 1'}"),
     0, NULL},
    {RESP("{'lease': 'l-1', 'kind': 'inventory', 'shard': 's', 'engine': 'sqlite', "
          "'lease_ttl_ms': 1}"),
     0, NULL},
    {RESP(MIGRATE(STEP("6", "abc"), "")), SW_EINVAL,
     "leases[0].steps[0].checksum: expected 64 hex digits"},
    {RESP(MIGRATE(STEP("6", HEX_A) "," STEP("7", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                                                 "AAAAAAAAAAAAAAAA"),
                  "")),
     SW_EINVAL, "leases[0].steps[1].checksum: expected 64 hex digits"},
    {RESP(MIGRATE(STEP("6", HEX_A), "") "," MIGRATE(STEP("6..1", HEX_A), "")), SW_EINVAL,
     "leases[1].steps[0].version: version '6..1': empty part"},
    {RESP(MIGRATE(STEP("6", HEX_A), ", 'sql': 'SELECT 1'")), SW_EINVAL,
     "leases[0].sql: not allowed for kind migrate"},
    {RESP(MIGRATE(STEP("6", HEX_A), ", 'transaction': 'shard'")), 0, NULL},
    {RESP(MIGRATE(STEP("6", HEX_A), ", 'transaction': 'step'")), 0, NULL},
    {RESP(MIGRATE(STEP("6", HEX_A), ", 'transaction': 'wave'")), SW_EINVAL,
     "leases[0].transaction: expected one of step, shard"},
    {RESP(MIGRATE(STEP("6", HEX_A), ", 'transaction': true")), SW_EINVAL,
     "leases[0].transaction: expected one of step, shard"},
    {RESP("{'lease': 'l-1', 'kind': 'gate', 'wave': 'w-1', 'shard': 's', 'engine': 'pg', "
          "'lease_ttl_ms': 1, 'sql': 'SELECT 1', 'transaction': 'shard'}"),
     SW_EINVAL, "leases[0].transaction: not allowed for kind gate"},
    {RESP(MIGRATE("", ", 'colour': 1")), SW_EINVAL, "leases[0].colour: unknown field"},
    {RESP(MIGRATE("{'version': '6', 'script': 'x.sql', 'checksum': '" HEX_A "', 'sql': ''}", "")),
     SW_EINVAL, "leases[0].steps[0].description: required field missing"},
    {RESP(MIGRATE("{'version': '6', 'description': '', 'script': '', 'checksum': '" HEX_A
                  "', 'sql': ''}",
                  "")),
     SW_EINVAL, "leases[0].steps[0].script: must not be empty"},
    {RESP(MIGRATE("{'version': '6', 'description': '', 'script': 'x', 'checksum': '" HEX_A
                  "', 'sql': '', 'no_transaction': 'no'}",
                  "")),
     SW_EINVAL, "leases[0].steps[0].no_transaction: expected true or false"},
    {RESP(MIGRATE("{'version': '6', 'description': '', 'script': 'x', 'checksum': '" HEX_A
                  "', 'sql': '', 'txn': 1}",
                  "")),
     SW_EINVAL, "leases[0].steps[0].txn: unknown field"},
    {RESP("{'lease': 'l-1', 'kind': 'upgrade'}"), SW_EINVAL,
     "leases[0].kind: expected one of migrate, rollback, gate, inventory"},
    {RESP("{'lease': 'l-1', 'kind': 'gate', 'wave': 'w-1', 'shard': 's', 'engine': 'oracle'}"),
     SW_EINVAL, "leases[0].engine: expected one of pg, mysql, sqlite"},
    {RESP("{'lease': 'l-1', 'kind': 'gate', 'wave': 'w-1', 'shard': 's', 'engine': 'pg', "
          "'lease_ttl_ms': 1, 'sql': 'SELECT 1', 'steps': []}"),
     SW_EINVAL, "leases[0].steps: not allowed for kind gate"},
    {RESP("{'lease': 'l-1', 'kind': 'gate', 'wave': 'w-1', 'shard': 's', 'engine': 'pg', "
          "'lease_ttl_ms': 1, 'sql': ''}"),
     SW_EINVAL, "leases[0].sql: must not be empty"},
    {RESP("{'lease': 'l-1', 'kind': 'gate', 'shard': 's', 'engine': 'pg', 'lease_ttl_ms': 1, "
          "'sql': 'SELECT 1'}"),
     SW_EINVAL, "leases[0].wave: required field missing"},
    {RESP("{'lease': 'l-1', 'kind': 'inventory', 'shard': 's', 'engine': 'pg', "
          "'lease_ttl_ms': 1, 'target': '7'}"),
     SW_EINVAL, "leases[0].target: not allowed for kind inventory"},
    {RESP("{'lease': 'l-1', 'kind': 'inventory', 'shard': 's', 'engine': 'pg', "
          "'lease_ttl_ms': 0}"),
     SW_EINVAL, "leases[0].lease_ttl_ms: must be between 1 and 86400000"},
    {RESP("{'lease': 'l-1', 'kind': 'inventory', 'wave': 'w 1', 'shard': 's', 'engine': 'pg', "
          "'lease_ttl_ms': 1}"),
     SW_EINVAL, "leases[0].wave: expected 1 to 40 characters of A-Z a-z 0-9 . _ : -"},
    {RESP("{'lease': 'l-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', "
          "'kind': 'inventory', 'shard': 's', 'engine': 'pg', 'lease_ttl_ms': 1}"),
     SW_EINVAL, "leases[0].lease: expected l-<hex> (at most 64 characters, lowercase hex)"},
    {RESP(LEASE_HEAD "'steps': []}"), SW_EINVAL, "leases[0].timeouts: required field missing"},
    {RESP(LEASE_HEAD "'timeouts': [], 'steps': []}"), SW_EINVAL,
     "leases[0].timeouts: expected an object"},
    {RESP(LEASE_HEAD "'timeouts': {'lock_wait_ms': 1, 'lock_timeouts_ms': [], 'lock_pauses_ms': "
                     "[], 'statement_timeout_ms': 0}, 'steps': []}"),
     SW_EINVAL, "leases[0].timeouts.lock_timeouts_ms: must not be empty"},
    {RESP(LEASE_HEAD "'timeouts': {'lock_wait_ms': 1, 'lock_timeouts_ms': [200, 0], "
                     "'lock_pauses_ms': [], 'statement_timeout_ms': 0}, 'steps': []}"),
     SW_EINVAL, "leases[0].timeouts.lock_timeouts_ms[1]: must be between 1 and 86400000"},
    {RESP(LEASE_HEAD "'timeouts': {'lock_wait_ms': 1, 'lock_timeouts_ms': [1,2,3,4,5,6,7,8,9], "
                     "'lock_pauses_ms': [], 'statement_timeout_ms': 0}, 'steps': []}"),
     SW_EINVAL, "leases[0].timeouts.lock_timeouts_ms: more than 8 entries"},
    {RESP(LEASE_HEAD "'timeouts': {'lock_wait_ms': 1, 'lock_timeouts_ms': [1], "
                     "'lock_pauses_ms': ['1'], 'statement_timeout_ms': 0}, 'steps': []}"),
     SW_EINVAL, "leases[0].timeouts.lock_pauses_ms[0]: expected an integer"},
    {RESP(LEASE_HEAD "'timeouts': {'lock_wait_ms': 1, 'lock_timeouts_ms': [1], "
                     "'lock_pauses_ms': [], 'statement_timeout_ms': 0, 'foo': 1}, 'steps': []}"),
     SW_EINVAL, "leases[0].timeouts.foo: unknown field"},
    {RESP(LEASE_HEAD "'timeouts': {'lock_wait_ms': 1, 'lock_timeouts_ms': [1], "
                     "'lock_pauses_ms': []}, 'steps': []}"),
     SW_EINVAL, "leases[0].timeouts.statement_timeout_ms: required field missing"},
    {"{'protocol': '1.0', 'leases': {}}", SW_EINVAL, "leases: expected an array"},
    {"{'protocol': '2.0', 'leases': []}", SW_EPROTO,
     "protocol: version 2.0 is not supported (this side speaks 1.2)"},
};

static void test_decode_table(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
        const struct decode_case *c = &decode_cases[i];
        const char *text = q(c->json);
        struct wire_lease_resp m;
        struct sw_err err = {0};
        int rc = wire_lease_resp_decode(text, strlen(text), &m, &err);
        if (rc != c->code || (c->error != NULL && strcmp(err.msg, c->error) != 0)) {
            print_error("case %zu: %s\n  rc %d, expected %d\n  got:      %s\n  expected: %s\n", i,
                        c->json, rc, c->code, err.msg, c->error ? c->error : "(success)");
            failures++;
        }
        if (rc < 0) {
            assert_int_equal(m.n_leases, 0);
            assert_null(m.leases);
        }
        wire_lease_resp_cleanup(&m);
    }
    assert_int_equal(failures, 0);
}

static void test_lease_req(void **state)
{
    (void)state;
    struct wire_lease_req m = {.agent = "agent-eu-1", .max = 4, .wait_ms = 20000};
    struct wire_lease_req d;
    struct sw_err err = {0};
    char *text = NULL;
    assert_int_equal(wire_lease_req_encode(&m, &text, &err), 0);
    assert_string_equal(text, q("{'protocol':'1.2','agent':'agent-eu-1','max':4,'wait_ms':20000}"));
    assert_int_equal(wire_lease_req_decode(text, strlen(text), &d, &err), 0);
    assert_string_equal(d.agent, "agent-eu-1");
    assert_int_equal(d.max, 4);
    assert_int_equal(d.wait_ms, 20000);
    free(text);

    static const struct {
        const char *json;
        const char *error;
    } bad[] = {
        {"{'protocol': '1.0', 'agent': 'a', 'max': 0, 'wait_ms': 0}",
         "max: must be between 1 and 256"},
        {"{'protocol': '1.0', 'agent': 'a', 'max': 257, 'wait_ms': 0}",
         "max: must be between 1 and 256"},
        {"{'protocol': '1.0', 'agent': 'a', 'max': 1, 'wait_ms': -1}",
         "wait_ms: must be between 0 and 86400000"},
        {"{'protocol': '1.0', 'agent': 'a', 'max': 1}", "wait_ms: required field missing"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *in = q(bad[i].json);
        assert_int_equal(wire_lease_req_decode(in, strlen(in), &d, &err), SW_EINVAL);
        assert_string_equal(err.msg, bad[i].error);
    }
}

/* The example of docs/protocol.md with three kinds: encode -> expected -> decode -> same. */
static void test_lease_resp_round_trip(void **state)
{
    (void)state;
    struct wire_step steps[] = {
        {.version = "6",
         .description = "add user status",
         .script = "V6__add_user_status.pg.sql",
         .checksum = HEX_A,
         .sql = "ALTER TABLE users ADD status text;",
         .sql_len = 34},
        {.version = "7",
         .description = "",
         .script = "V7__idx.pg.sql",
         .checksum = HEX_B,
         .sql = "CREATE INDEX CONCURRENTLY i ON users (status);\n",
         .sql_len = 47,
         .no_transaction = true},
    };
    struct wire_timeouts t = {.lock_wait_ms = 10000,
                              .n_lock_timeouts = 4,
                              .lock_timeouts_ms = {200, 500, 1000, 2000},
                              .n_lock_pauses = 3,
                              .lock_pauses_ms = {500, 1000, 2000}};
    struct wire_lease leases[] = {
        {.lease = "l-9a0c",
         .kind = WIRE_LEASE_MIGRATE,
         .wave = "w-3f2a91c0",
         .shard = "t-001",
         .engine = MIGSET_ENGINE_PG,
         .lease_ttl_ms = 30000,
         .direction = MIGSET_UP,
         .target = "7",
         .expected_from = "5",
         .migration_set = HEX_B,
         .n_steps = 2,
         .steps = steps,
         .has_timeouts = true,
         .timeouts = t},
        {.lease = "l-1",
         .kind = WIRE_LEASE_GATE,
         .wave = "w-3f2a91c0",
         .shard = "t-002",
         .engine = MIGSET_ENGINE_MYSQL,
         .lease_ttl_ms = 1000,
         .sql = "SELECT 1 = 1",
         .sql_len = 12},
        {.lease = "l-2",
         .kind = WIRE_LEASE_INVENTORY,
         .shard = "t-003",
         .engine = MIGSET_ENGINE_SQLITE,
         .lease_ttl_ms = 1000},
    };
    struct wire_lease_resp m = {.n_leases = 3, .leases = leases};
    struct wire_lease_resp d;
    struct sw_err err = {0};
    char *text = NULL, *again = NULL;
    assert_int_equal(wire_lease_resp_encode(&m, &text, &err), 0);
    assert_same_json(
        text,
        q(RESP(LEASE_HEAD TIMEOUTS ", 'steps': [" STEP(
            "6",
            HEX_A) ", {'version': '7', "
                   "'description': '', 'script': 'V7__idx.pg.sql', 'checksum': '" HEX_B "', "
                   "'sql': 'CREATE INDEX CONCURRENTLY i ON users (status);\\n', "
                   "'no_transaction': true}]},"
                   "{'lease': 'l-1', 'kind': 'gate', 'wave': 'w-3f2a91c0', 'shard': 't-002', "
                   "'engine': 'mysql', 'lease_ttl_ms': 1000, 'sql': 'SELECT 1 = 1'},"
                   "{'lease': 'l-2', 'kind': 'inventory', 'shard': 't-003', 'engine': 'sqlite', "
                   "'lease_ttl_ms': 1000}")));
    assert_int_equal(wire_lease_resp_decode(text, strlen(text), &d, &err), 0);
    assert_int_equal(d.n_leases, 3);
    assert_int_equal(d.leases[0].n_steps, 2);
    assert_int_equal(d.leases[0].steps[1].sql_len, 47);
    assert_true(d.leases[0].steps[1].no_transaction);
    assert_memory_equal(&d.leases[0].timeouts, &t, sizeof t);
    assert_int_equal(d.leases[1].kind, WIRE_LEASE_GATE);
    assert_false(d.leases[1].has_timeouts);
    assert_string_equal(d.leases[2].wave, "");
    assert_int_equal(wire_lease_resp_encode(&d, &again, &err), 0);
    assert_string_equal(again, text);
    wire_lease_resp_cleanup(&d);
    free(text);
    free(again);
}

/* transaction "shard" travels; "step" (the default) stays off the wire. */
static void test_lease_transaction(void **state)
{
    (void)state;
    struct wire_timeouts t = {.lock_wait_ms = 1, .n_lock_timeouts = 1, .lock_timeouts_ms = {200}};
    struct wire_lease l = {.lease = "l-1",
                           .kind = WIRE_LEASE_ROLLBACK,
                           .wave = "w-1",
                           .shard = "s",
                           .engine = MIGSET_ENGINE_SQLITE,
                           .lease_ttl_ms = 1000,
                           .direction = MIGSET_DOWN,
                           .target = "0",
                           .expected_from = "2",
                           .migration_set = HEX_A,
                           .has_timeouts = true,
                           .timeouts = t,
                           .transaction = WIRE_TXN_SHARD};
    struct wire_lease_resp m = {.n_leases = 1, .leases = &l};
    struct wire_lease_resp d;
    struct sw_err err = {0};
    char *text = NULL;
    assert_int_equal(wire_lease_resp_encode(&m, &text, &err), 0);
    assert_non_null(strstr(text, "\"transaction\":\"shard\""));
    assert_int_equal(wire_lease_resp_decode(text, strlen(text), &d, &err), 0);
    assert_int_equal(d.leases[0].transaction, WIRE_TXN_SHARD);
    wire_lease_resp_cleanup(&d);
    free(text);
    l.transaction = WIRE_TXN_STEP;
    assert_int_equal(wire_lease_resp_encode(&m, &text, &err), 0);
    assert_null(strstr(text, "transaction"));
    assert_int_equal(wire_lease_resp_decode(text, strlen(text), &d, &err), 0);
    assert_int_equal(d.leases[0].transaction, WIRE_TXN_STEP);
    wire_lease_resp_cleanup(&d);
    free(text);
    assert_string_equal(wire_transaction_name(WIRE_TXN_SHARD), "shard");
}

static json_t *step_json(const char *sql)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "version", "1", "description", "", "script",
                     "V1__x.sql", "checksum", HEX_A, "sql", sql);
}

static json_t *lease_json(json_t *steps)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o}", "lease", "l-1",
                     "kind", "migrate", "wave", "w-1", "shard", "s", "engine", "pg", "direction",
                     "up", "target", "1", "expected_from", "0", "migration_set", HEX_A,
                     "lease_ttl_ms", 1000, "timeouts",
                     json_pack("{s:i, s:[i], s:[], s:i}", "lock_wait_ms", 1, "lock_timeouts_ms", 1,
                               "lock_pauses_ms", "statement_timeout_ms", 0),
                     "steps", steps);
}

static int decode_leases(json_t *leases, struct sw_err *err)
{
    json_t *doc = json_pack("{s:s, s:o}", "protocol", "1.0", "leases", leases);
    struct wire_lease_resp m;
    int rc = wire_lease_resp_from_json(doc, &m, err);
    wire_lease_resp_cleanup(&m);
    json_decref(doc);
    return rc;
}

/* 256 leases and 1000 steps pass, one more does not; SQL of exactly 16 MiB passes. */
static void test_limits(void **state)
{
    (void)state;
    struct sw_err err = {0};
    for (size_t n = 256; n <= 257; n++) {
        json_t *leases = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(leases, lease_json(json_array()));
        }
        assert_int_equal(decode_leases(leases, &err), n == 256 ? 0 : SW_EINVAL);
    }
    assert_string_equal(err.msg, "leases: more than 256 entries");

    for (size_t n = 1000; n <= 1001; n++) {
        json_t *steps = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(steps, step_json("SELECT 1"));
        }
        assert_int_equal(decode_leases(json_pack("[o]", lease_json(steps)), &err),
                         n == 1000 ? 0 : SW_EINVAL);
    }
    assert_string_equal(err.msg, "leases[0].steps: more than 1000 entries");

    for (size_t n = WIRE_SQL_MAX; n <= WIRE_SQL_MAX + 1; n++) {
        char *sql = repeat(' ', n);
        json_t *steps = json_pack("[o]", step_json(sql));
        assert_int_equal(decode_leases(json_pack("[o]", lease_json(steps)), &err),
                         n == WIRE_SQL_MAX ? 0 : SW_EINVAL);
        free(sql);
    }
    assert_string_equal(err.msg, "leases[0].steps[0].sql: longer than 16777216 bytes");
}

/* Encoders refuse what the other side would refuse, naming the field. */
static void test_encode_checks(void **state)
{
    (void)state;
    struct wire_step step = {.version = "1",
                             .description = "",
                             .script = "V1__x.sql",
                             .checksum = "xyz",
                             .sql = "",
                             .sql_len = 0};
    struct wire_lease l = {.lease = "l-1",
                           .kind = WIRE_LEASE_MIGRATE,
                           .wave = "w-1",
                           .shard = "s",
                           .lease_ttl_ms = 1,
                           .target = "1",
                           .expected_from = "0",
                           .migration_set = HEX_A,
                           .n_steps = 1,
                           .steps = &step,
                           .has_timeouts = true,
                           .timeouts = {.n_lock_timeouts = 1, .lock_timeouts_ms = {1}}};
    struct wire_lease_resp m = {.n_leases = 1, .leases = &l};
    struct sw_err err = {0};
    char *text = NULL;
    assert_int_equal(wire_lease_resp_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg, "leases[0].steps[0].checksum: expected 64 hex digits");
    memcpy(step.checksum, HEX_A, sizeof step.checksum);
    step.sql = "caf\xc3";
    step.sql_len = 4;
    assert_int_equal(wire_lease_resp_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg, "leases[0].steps[0].sql: invalid UTF-8 or NUL character");
    step.sql = "";
    step.sql_len = 0;
    l.has_timeouts = false;
    assert_int_equal(wire_lease_resp_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg, "leases[0].timeouts: required field missing");
    l.has_timeouts = true;
    l.wave[0] = '\0';
    assert_int_equal(wire_lease_resp_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg,
                        "leases[0].wave: expected 1 to 40 characters of A-Z a-z 0-9 . _ : -");
    memcpy(l.wave, "w-1", 4);
    assert_int_equal(wire_lease_resp_encode(&m, &text, &err), 0);
    assert_non_null(text);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_table),          cmocka_unit_test(test_lease_req),
        cmocka_unit_test(test_lease_resp_round_trip), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_encode_checks),         cmocka_unit_test(test_lease_transaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
