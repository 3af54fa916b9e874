/* Unit tests for proto/src/wire_agent.c: register, go-ahead and heartbeat codecs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/wire_agent.h"
#include "wire_testutil.h"

enum msg { REG_REQ, REG_RESP, START_REQ, START_RESP, HB_REQ, HB_RESP };

/* Decodes text as message m and frees the result; returns the code. */
static int decode(enum msg m, const char *text, struct sw_err *err)
{
    size_t len = strlen(text);
    struct wire_register_req a;
    struct wire_register_resp b;
    struct wire_start_req c;
    struct wire_start_resp d;
    struct wire_heartbeat_req e;
    struct wire_heartbeat_resp f;
    int rc = 0;
    switch (m) {
    case REG_REQ:
        rc = wire_register_req_decode(text, len, &a, err);
        wire_register_req_cleanup(&a);
        break;
    case REG_RESP:
        rc = wire_register_resp_decode(text, len, &b, err);
        wire_register_resp_cleanup(&b);
        break;
    case START_REQ:
        rc = wire_start_req_decode(text, len, &c, err);
        wire_start_req_cleanup(&c);
        break;
    case START_RESP:
        rc = wire_start_resp_decode(text, len, &d, err);
        wire_start_resp_cleanup(&d);
        break;
    case HB_REQ:
        rc = wire_heartbeat_req_decode(text, len, &e, err);
        wire_heartbeat_req_cleanup(&e);
        break;
    case HB_RESP:
        rc = wire_heartbeat_resp_decode(text, len, &f, err);
        wire_heartbeat_resp_cleanup(&f);
        break;
    }
    return rc;
}

struct decode_case {
    enum msg msg;
    const char *json; /* single quotes stand for double quotes */
    int code;         /* 0: must decode */
    const char *error;
};

#define REG "'protocol': '1.0', 'version': '0.1.0', "

static const struct decode_case decode_cases[] = {
    {REG_REQ, "{" REG "'agent': 'agent-eu-1', 'pools': ['eu', 'us'], 'capacity': 8}", 0, NULL},
    {REG_REQ, "{'protocol': '1.7', 'agent': 'a', 'version': '1', 'pools': ['p'], 'capacity': 1}", 0,
     NULL},
    {REG_REQ, "{'agent': 'a', 'version': '1', 'pools': ['p'], 'capacity': 1}", SW_EINVAL,
     "protocol: required field missing"},
    {REG_REQ, "{'protocol': '2.0', 'agent': 'a', 'version': '1', 'pools': ['p'], 'capacity': 1}",
     SW_EPROTO, "protocol: version 2.0 is not supported (this side speaks 1.2)"},
    {REG_REQ, "{'protocol': '0.9', 'shiny': 1}", SW_EPROTO,
     "protocol: version 0.9 is not supported (this side speaks 1.2)"},
    {REG_REQ, "{'protocol': '1', 'agent': 'a'}", SW_EINVAL,
     "protocol: expected \"<major>.<minor>\" like \"1.2\""},
    {REG_REQ, "{'protocol': '1.0.0'}", SW_EINVAL,
     "protocol: expected \"<major>.<minor>\" like \"1.2\""},
    {REG_REQ, "{'protocol': 'v1.0'}", SW_EINVAL,
     "protocol: expected \"<major>.<minor>\" like \"1.2\""},
    {REG_REQ, "{'protocol': 1.0}", SW_EINVAL, "protocol: expected a string"},
    {REG_REQ, "['protocol', '1.0']", SW_EINVAL, "expected a JSON object"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': ['p'], 'capacity': 1, 'colour': 'red'}", SW_EINVAL,
     "colour: unknown field"},
    {REG_REQ, "{" REG "'pools': ['p'], 'capacity': 1}", SW_EINVAL, "agent: required field missing"},
    {REG_REQ, "{" REG "'agent': null, 'pools': ['p'], 'capacity': 1}", SW_EINVAL,
     "agent: required field missing"},
    {REG_REQ, "{" REG "'agent': 7, 'pools': ['p'], 'capacity': 1}", SW_EINVAL,
     "agent: expected a string"},
    {REG_REQ, "{" REG "'agent': 'agent eu', 'pools': ['p'], 'capacity': 1}", SW_EINVAL,
     "agent: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
    {REG_REQ, "{" REG "'agent': '', 'pools': ['p'], 'capacity': 1}", SW_EINVAL,
     "agent: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
    {REG_REQ,
     "{'protocol': '1.0', 'agent': 'a', 'version': '0.1 beta', 'pools': ['p'], "
     "'capacity': 1}",
     SW_EINVAL, "version: expected 1 to 64 characters of A-Z a-z 0-9 . + _ ~ -"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': [], 'capacity': 1}", SW_EINVAL,
     "pools: must not be empty"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': 'eu', 'capacity': 1}", SW_EINVAL,
     "pools: expected an array"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': ['eu', 3], 'capacity': 1}", SW_EINVAL,
     "pools[1]: expected a string"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': ['eu', 'b/c'], 'capacity': 1}", SW_EINVAL,
     "pools[1]: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': ['p'], 'capacity': 0}", SW_EINVAL,
     "capacity: must be between 1 and 1024"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': ['p'], 'capacity': 1025}", SW_EINVAL,
     "capacity: must be between 1 and 1024"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': ['p'], 'capacity': 1.5}", SW_EINVAL,
     "capacity: expected an integer"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': ['p'], 'capacity': '8'}", SW_EINVAL,
     "capacity: expected an integer"},
    {REG_REQ, "{" REG "'agent': 'a', 'pools': ['p']}", SW_EINVAL,
     "capacity: required field missing"},
    {REG_RESP,
     "{'protocol': '1.0', 'lease_ttl_ms': 30000, 'heartbeat_ms': 10000, "
     "'long_poll_ms': 20000}",
     0, NULL},
    {REG_RESP, "{'protocol': '1.0', 'lease_ttl_ms': 30000, 'heartbeat_ms': 10000}", SW_EINVAL,
     "long_poll_ms: required field missing"},
    {REG_RESP, "{'protocol': '1.0', 'lease_ttl_ms': 0, 'heartbeat_ms': 1, 'long_poll_ms': 1}",
     SW_EINVAL, "lease_ttl_ms: must be between 1 and 86400000"},
    {REG_RESP, "{'protocol': '1.0', 'lease_ttl_ms': 99999999999999999999}", SW_EINVAL,
     "invalid JSON at line 1, column 56: too big integer near '99999999999999999999'"},
    {START_REQ, "{'protocol': '1.0', 'agent': 'agent-eu-1'}", 0, NULL},
    {START_REQ, "{'protocol': '1.0', 'agent': 'agent-eu-1', 'lease': 'l-1'}", SW_EINVAL,
     "lease: unknown field"},
    {START_RESP, "{'protocol': '1.0', 'go': true}", 0, NULL},
    {START_RESP, "{'protocol': '1.0', 'go': 'yes'}", SW_EINVAL, "go: expected true or false"},
    {START_RESP, "{'protocol': '3.1', 'go': true}", SW_EPROTO,
     "protocol: version 3.1 is not supported (this side speaks 1.2)"},
    {HB_REQ, "{'protocol': '1.0', 'agent': 'a', 'leases': []}", 0, NULL},
    {HB_REQ,
     "{'protocol': '1.0', 'agent': 'a', 'leases': [{'lease': 'l-9a0c', 'version': '6', "
     "'stmt_done': 2, 'stmt_total': 5}, {'lease': 'l-1', 'stmt_done': 0, "
     "'stmt_total': 0}]}",
     0, NULL},
    {HB_REQ, "{'protocol': '1.0', 'agent': 'a'}", SW_EINVAL, "leases: required field missing"},
    {HB_REQ,
     "{'protocol': '1.0', 'agent': 'a', 'leases': [{'lease': 'l-1', 'stmt_done': 0, "
     "'stmt_total': 0}, {'lease': 'l-2', 'stmt_done': 6, 'stmt_total': 5}]}",
     SW_EINVAL, "leases[1].stmt_done: greater than stmt_total"},
    {HB_REQ,
     "{'protocol': '1.0', 'agent': 'a', 'leases': [{'lease': 'x-1', 'stmt_done': 0, "
     "'stmt_total': 0}]}",
     SW_EINVAL, "leases[0].lease: expected l-<hex> (at most 64 characters, lowercase hex)"},
    {HB_REQ,
     "{'protocol': '1.0', 'agent': 'a', 'leases': [{'lease': 'l-9A0C', 'stmt_done': 0, "
     "'stmt_total': 0}]}",
     SW_EINVAL, "leases[0].lease: expected l-<hex> (at most 64 characters, lowercase hex)"},
    {HB_REQ,
     "{'protocol': '1.0', 'agent': 'a', 'leases': [{'lease': 'l-', 'stmt_done': 0, "
     "'stmt_total': 0}]}",
     SW_EINVAL, "leases[0].lease: expected l-<hex> (at most 64 characters, lowercase hex)"},
    {HB_REQ,
     "{'protocol': '1.0', 'agent': 'a', 'leases': [{'lease': 'l-1', 'version': '1..2', "
     "'stmt_done': 0, 'stmt_total': 0}]}",
     SW_EINVAL, "leases[0].version: version '1..2': empty part"},
    {HB_REQ, "{'protocol': '1.0', 'agent': 'a', 'leases': ['l-1']}", SW_EINVAL,
     "leases[0]: expected an object"},
    {HB_REQ,
     "{'protocol': '1.0', 'agent': 'a', 'leases': [{'lease': 'l-1', 'stmt_done': 0, "
     "'stmt_total': 0, 'pct': 5}]}",
     SW_EINVAL, "leases[0].pct: unknown field"},
    {HB_REQ,
     "{'protocol': '1.0', 'agent': 'a', 'leases': [{'lease': 'l-1', 'stmt_done': -1, "
     "'stmt_total': 0}]}",
     SW_EINVAL, "leases[0].stmt_done: must be between 0 and 1000000"},
    {HB_RESP, "{'protocol': '1.0', 'leases': [{'lease': 'l-1', 'ok': true, 'cancel': false}]}", 0,
     NULL},
    {HB_RESP, "{'protocol': '1.0', 'leases': [{'lease': 'l-1', 'ok': true}]}", SW_EINVAL,
     "leases[0].cancel: required field missing"},
    /* malformed JSON carries the parser's line and column */
    {START_REQ, "{'protocol': '1.0',\n 'agent': }", SW_EINVAL,
     "invalid JSON at line 2, column 11: unexpected token near '}'"},
    {START_REQ, "", SW_EINVAL,
     "invalid JSON at line 1, column 0: '[' or '{' expected near end of file"},
    {START_REQ, "{'protocol': '1.0', 'agent': 'a', 'agent': 'b'}", SW_EINVAL,
     "invalid JSON at line 1, column 41: duplicate object key near '\"agent\"'"},
    {START_REQ, "{'protocol': '1.0', 'agent': 'a\\u0000b'}", SW_EINVAL,
     "invalid JSON at line 1, column 39: \\u0000 is not allowed without JSON_ALLOW_NUL near "
     "'\"a\\u0000b\"'"},
    {START_REQ, "{'protocol': '1.0', 'agent': 'caf\xc3'}", SW_EINVAL,
     "invalid JSON at line 1, column 33: unable to decode byte 0xc3 near '\"caf'"},
    {START_REQ, "{'protocol': '1.0', 'agent': '\xff'}", SW_EINVAL,
     "invalid JSON at line 1, column 30: unable to decode byte 0xff near '\"'"},
};

static void test_decode_table(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
        const struct decode_case *c = &decode_cases[i];
        struct sw_err err = {0};
        int rc = decode(c->msg, q(c->json), &err);
        if (rc != c->code || (c->error != NULL && strcmp(err.msg, c->error) != 0)) {
            print_error("case %zu: %s\n  rc %d, expected %d\n  got:      %s\n  expected: %s\n", i,
                        c->json, rc, c->code, err.msg, c->error ? c->error : "(success)");
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Encode -> expected JSON -> decode -> re-encode gives the same text. */
static void test_register_round_trip(void **state)
{
    (void)state;
    char *pools[] = {"eu", "eu-west:2"};
    struct wire_register_req m = {
        .agent = "agent-eu-1", .version = "0.1.0", .capacity = 8, .n_pools = 2, .pools = pools};
    struct wire_register_req d;
    struct sw_err err = {0};
    char *text = NULL, *again = NULL;
    assert_int_equal(wire_register_req_encode(&m, &text, &err), 0);
    assert_same_json(text, q("{'protocol': '1.2', 'agent': 'agent-eu-1', 'version': '0.1.0', "
                             "'pools': ['eu', 'eu-west:2'], 'capacity': 8}"));
    assert_int_equal(wire_register_req_decode(text, strlen(text), &d, &err), 0);
    assert_string_equal(d.agent, "agent-eu-1");
    assert_int_equal(d.n_pools, 2);
    assert_string_equal(d.pools[1], "eu-west:2");
    assert_int_equal(d.capacity, 8);
    assert_int_equal(wire_register_req_encode(&d, &again, &err), 0);
    assert_string_equal(again, text);
    wire_register_req_cleanup(&d);
    free(text);
    free(again);

    struct wire_register_resp r = {
        .lease_ttl_ms = 30000, .heartbeat_ms = 10000, .long_poll_ms = 20000};
    struct wire_register_resp rd;
    assert_int_equal(wire_register_resp_encode(&r, &text, &err), 0);
    assert_same_json(text, q("{'protocol': '1.2', 'lease_ttl_ms': 30000, 'heartbeat_ms': 10000, "
                             "'long_poll_ms': 20000}"));
    assert_int_equal(wire_register_resp_decode(text, strlen(text), &rd, &err), 0);
    assert_int_equal(rd.protocol_minor, WIRE_PROTOCOL_MINOR);
    rd.protocol_minor = 0;
    assert_memory_equal(&rd, &r, sizeof r);
    free(text);
}

static void test_start_round_trip(void **state)
{
    (void)state;
    struct wire_start_req m = {.agent = "agent-eu-1"};
    struct wire_start_req d;
    struct wire_start_resp go = {.go = true};
    struct wire_start_resp god;
    struct sw_err err = {0};
    char *text = NULL;
    assert_int_equal(wire_start_req_encode(&m, &text, &err), 0);
    assert_string_equal(text, q("{'protocol':'1.2','agent':'agent-eu-1'}"));
    assert_int_equal(wire_start_req_decode(text, strlen(text), &d, &err), 0);
    assert_string_equal(d.agent, "agent-eu-1");
    free(text);
    assert_int_equal(wire_start_resp_encode(&go, &text, &err), 0);
    assert_string_equal(text, q("{'protocol':'1.2','go':true}"));
    assert_int_equal(wire_start_resp_decode(text, strlen(text), &god, &err), 0);
    assert_true(god.go);
    free(text);
}

static void test_heartbeat_round_trip(void **state)
{
    (void)state;
    struct wire_heartbeat_lease leases[] = {
        {.lease = "l-9a0c", .version = "6", .stmt_done = 2, .stmt_total = 5},
        {.lease = "l-ff", .version = "", .stmt_done = 0, .stmt_total = 0},
    };
    struct wire_heartbeat_req m = {.agent = "agent-eu-1", .n_leases = 2, .leases = leases};
    struct wire_heartbeat_req d;
    struct wire_heartbeat_ack acks[] = {{.lease = "l-9a0c", .ok = true, .cancel = false},
                                        {.lease = "l-ff", .ok = false, .cancel = true}};
    struct wire_heartbeat_resp r = {.n_leases = 2, .leases = acks};
    struct wire_heartbeat_resp rd;
    struct sw_err err = {0};
    char *text = NULL, *again = NULL;
    assert_int_equal(wire_heartbeat_req_encode(&m, &text, &err), 0);
    assert_same_json(text, q("{'protocol': '1.2', 'agent': 'agent-eu-1', 'leases': ["
                             "{'lease': 'l-9a0c', 'version': '6', 'stmt_done': 2, 'stmt_total': 5},"
                             "{'lease': 'l-ff', 'stmt_done': 0, 'stmt_total': 0}]}"));
    assert_int_equal(wire_heartbeat_req_decode(text, strlen(text), &d, &err), 0);
    assert_int_equal(d.n_leases, 2);
    assert_string_equal(d.leases[0].version, "6");
    assert_string_equal(d.leases[1].version, "");
    assert_int_equal(wire_heartbeat_req_encode(&d, &again, &err), 0);
    assert_string_equal(again, text);
    wire_heartbeat_req_cleanup(&d);
    free(text);
    free(again);

    assert_int_equal(wire_heartbeat_resp_encode(&r, &text, &err), 0);
    assert_same_json(text, q("{'protocol': '1.2', 'leases': [{'lease': 'l-9a0c', 'ok': true, "
                             "'cancel': false}, {'lease': 'l-ff', 'ok': false, 'cancel': true}]}"));
    assert_int_equal(wire_heartbeat_resp_decode(text, strlen(text), &rd, &err), 0);
    assert_int_equal(rd.n_leases, 2);
    assert_false(rd.leases[1].ok);
    assert_true(rd.leases[1].cancel);
    wire_heartbeat_resp_cleanup(&rd);
    free(text);
}

/* Versions travel canonical: "06_0" is sent and decoded as "6". */
static void test_versions_canonical(void **state)
{
    (void)state;
    struct wire_heartbeat_lease l = {.lease = "l-1", .version = "06_0", .stmt_total = 1};
    struct wire_heartbeat_req m = {.agent = "a", .n_leases = 1, .leases = &l};
    struct wire_heartbeat_req d;
    struct sw_err err = {0};
    char *text = NULL;
    assert_int_equal(wire_heartbeat_req_encode(&m, &text, &err), 0);
    assert_non_null(strstr(text, q("'version':'6'")));
    free(text);
    const char *in = q("{'protocol': '1.0', 'agent': 'a', 'leases': [{'lease': 'l-1', "
                       "'version': '1.0.2_0', 'stmt_done': 0, 'stmt_total': 0}]}");
    assert_int_equal(wire_heartbeat_req_decode(in, strlen(in), &d, &err), 0);
    assert_string_equal(d.leases[0].version, "1.0.2");
    wire_heartbeat_req_cleanup(&d);
}

struct encode_case {
    struct wire_register_req msg;
    const char *error;
};

static void test_encode_checks(void **state)
{
    (void)state;
    char *pools[] = {"eu", "b c"};
    char *null_pool[] = {NULL};
    const struct encode_case cases[] = {
        {{.agent = "", .version = "1", .n_pools = 1, .pools = pools, .capacity = 1},
         "agent: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
        {{.agent = "a", .version = "1", .n_pools = 0, .pools = NULL, .capacity = 1},
         "pools: must not be empty"},
        {{.agent = "a", .version = "1", .n_pools = 2, .pools = pools, .capacity = 1},
         "pools[1]: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -"},
        {{.agent = "a", .version = "1", .n_pools = 1, .pools = null_pool, .capacity = 1},
         "pools[0]: required field missing"},
        {{.agent = "a", .version = "1", .n_pools = 1, .pools = pools, .capacity = 0},
         "capacity: must be between 1 and 1024"},
        {{.agent = "a", .version = "", .n_pools = 1, .pools = pools, .capacity = 1},
         "version: expected 1 to 64 characters of A-Z a-z 0-9 . + _ ~ -"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sw_err err = {0};
        char *text = (char *)"untouched";
        assert_int_equal(wire_register_req_encode(&cases[i].msg, &text, &err), SW_EINVAL);
        assert_null(text);
        assert_string_equal(err.msg, cases[i].error);
    }
    struct wire_heartbeat_lease l = {.lease = "l-1", .stmt_done = 3, .stmt_total = 2};
    struct wire_heartbeat_req hb = {.agent = "a", .n_leases = 1, .leases = &l};
    struct sw_err err = {0};
    json_t *doc = NULL;
    assert_int_equal(wire_heartbeat_req_to_json(&hb, &doc, &err), SW_EINVAL);
    assert_null(doc);
    assert_string_equal(err.msg, "leases[0].stmt_done: greater than stmt_total");
}

/* Limits: ids of exactly 128 bytes pass, 129 do not; 256 heartbeat leases pass, 257 do not. */
static void test_limits(void **state)
{
    (void)state;
    struct sw_err err = {0};
    struct wire_start_req d;
    char *id = repeat('a', 128);
    json_t *doc = json_pack("{s:s, s:s}", "protocol", "1.0", "agent", id);
    assert_int_equal(wire_start_req_from_json(doc, &d, &err), 0);
    assert_string_equal(d.agent, id);
    json_decref(doc);
    free(id);
    id = repeat('a', 129);
    doc = json_pack("{s:s, s:s}", "protocol", "1.0", "agent", id);
    assert_int_equal(wire_start_req_from_json(doc, &d, &err), SW_EINVAL);
    assert_string_equal(err.msg, "agent: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -");
    json_decref(doc);
    free(id);

    for (size_t n = 256; n <= 257; n++) {
        json_t *leases = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(leases, json_pack("{s:s, s:i, s:i}", "lease", "l-1", "stmt_done",
                                                    0, "stmt_total", 0));
        }
        struct wire_heartbeat_req hb;
        doc = json_pack("{s:s, s:s, s:o}", "protocol", "1.0", "agent", "a", "leases", leases);
        int rc = wire_heartbeat_req_from_json(doc, &hb, &err);
        assert_int_equal(rc, n == 256 ? 0 : SW_EINVAL);
        if (rc == 0) {
            assert_int_equal(hb.n_leases, 256);
        } else {
            assert_string_equal(err.msg, "leases: more than 256 entries");
        }
        wire_heartbeat_req_cleanup(&hb);
        json_decref(doc);
    }
}

/* A protocol mismatch has its own code (callers answer 409 protocol_mismatch) and a hint,
 * and is found before anything else in the message is looked at. */
static void test_protocol_mismatch(void **state)
{
    (void)state;
    struct sw_err err = {0};
    const char *text = q("{'protocol': '2.0', 'agent': 'not valid!', 'future_field': [1]}");
    assert_int_equal(decode(HB_REQ, text, &err), SW_EPROTO);
    assert_string_equal(sw_err_code_name(err.code), "protocol_mismatch");
    assert_string_equal(err.msg, "protocol: version 2.0 is not supported (this side speaks 1.2)");
    assert_string_equal(err.hint, "run an agent and a coordinator that speak protocol 1.x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_table),
        cmocka_unit_test(test_register_round_trip),
        cmocka_unit_test(test_start_round_trip),
        cmocka_unit_test(test_heartbeat_round_trip),
        cmocka_unit_test(test_versions_canonical),
        cmocka_unit_test(test_encode_checks),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_protocol_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
