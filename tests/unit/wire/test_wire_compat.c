/* Unit tests for compatibility within a major (proto/src/wire_json.c, docs/protocol.md
 * "Versions"): a message of a newer minor may carry fields we do not know (ignored);
 * the same or an older minor is strict; known fields are checked in every minor; the
 * peer's minor is given to the register and lease-request decoders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/build_info.h"
#include "sw/wire_agent.h"
#include "sw/wire_lease.h"
#include "sw/wire_report.h"
#include "wire_testutil.h"

#define HEX_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#define REPORTS(P, TOP, TAIL)                                                                      \
    "{'protocol': '" P "', 'agent': 'a'" TOP ", 'reports': [{'id': 'a:1', 'lease': 'l-1', "        \
    "'wave': 'w-1', 'shard': 's', 'kind': 'lease_done', 'outcome': 'failed', "                     \
    "'shard_version': '5', 'shard_health': 'unreachable', 'error': 'down'" TAIL "}]}"
#define MIGRATE(P, TIMEOUTS_TAIL, STEP_TAIL, TAIL)                                                 \
    "{'protocol': '" P "', 'leases': [{'lease': 'l-1', 'kind': 'migrate', 'wave': 'w-1', "         \
    "'shard': 's', 'engine': 'pg', 'direction': 'up', 'target': '7', 'expected_from': '5', "       \
    "'migration_set': '" HEX_B "', 'lease_ttl_ms': 30000, 'timeouts': {'lock_wait_ms': 1, "        \
    "'lock_timeouts_ms': [200], 'lock_pauses_ms': [], 'statement_timeout_ms': 0" TIMEOUTS_TAIL     \
    "}, 'steps': [{'version': '6', 'description': '', 'script': 'V6__x.sql', 'checksum': '" HEX_B  \
    "', 'sql': ''" STEP_TAIL "}]" TAIL "}]}"
#define GATE(P, TAIL)                                                                              \
    "{'protocol': '" P "', 'leases': [{'lease': 'l-1', 'kind': 'gate', 'wave': 'w-1', "            \
    "'shard': 's', 'engine': 'pg', 'lease_ttl_ms': 1, 'sql': 'SELECT true'" TAIL "}]}"

enum msg { REPORT_REQ, LEASE_RESP };

struct compat_case {
    enum msg msg;
    const char *json; /* single quotes stand for double quotes */
    int code;         /* 0: must decode */
    const char *error;
};

static const struct compat_case compat_cases[] = {
    /* 1.1 added lease_done's failure: every 1.x minor may carry it */
    {REPORT_REQ, REPORTS("1.1", "", ", 'failure': 'unreachable'"), 0, NULL},
    {REPORT_REQ, REPORTS("1.0", "", ""), 0, NULL},
    /* a newer minor: unknown members are ignored at the top and nested */
    {REPORT_REQ, REPORTS("1.3", ", 'features': ['x']", ", 'retry_after_ms': 5"), 0, NULL},
    {REPORT_REQ, REPORTS("1.10", ", 'x': {'y': [1]}", ", 'failure': 'error', 'z': null"), 0, NULL},
    /* ... but the known ones keep their rules */
    {REPORT_REQ, REPORTS("1.3", ", 'features': ['x']", ", 'failure': 'gone'"), SW_EINVAL,
     "reports[0].failure: expected one of unreachable, lock_timeout, error"},
    {REPORT_REQ, REPORTS("1.3", "", ", 'failure': 7"), SW_EINVAL,
     "reports[0].failure: expected one of unreachable, lock_timeout, error"},
    {REPORT_REQ, REPORTS("1.3", "", ", 'version': '7'"), SW_EINVAL,
     "reports[0].version: not allowed for kind lease_done"},
    {REPORT_REQ, REPORTS("1.3", ", 'agent2': 1", ", 'duration_ms': 'x'"), SW_EINVAL,
     "reports[0].duration_ms: not allowed for kind lease_done"},
    {REPORT_REQ, "{'protocol': '1.3', 'reports': []}", SW_EINVAL, "agent: required field missing"},
    /* the same and older minors stay strict */
    {REPORT_REQ, REPORTS("1.1", ", 'features': ['x']", ""), SW_EINVAL, "features: unknown field"},
    {REPORT_REQ, REPORTS("1.1", "", ", 'retry_after_ms': 5"), SW_EINVAL,
     "reports[0].retry_after_ms: unknown field"},
    {REPORT_REQ, REPORTS("1.0", "", ", 'retry_after_ms': 5"), SW_EINVAL,
     "reports[0].retry_after_ms: unknown field"},
    {REPORT_REQ, REPORTS("1.01", "", ", 'retry_after_ms': 5"), SW_EINVAL,
     "reports[0].retry_after_ms: unknown field"},
    /* another major is refused before anything else */
    {REPORT_REQ, REPORTS("2.0", ", 'features': ['x']", ""), SW_EPROTO,
     "protocol: version 2.0 is not supported (this side speaks 1.2)"},
    {REPORT_REQ, REPORTS("1.12345", "", ""), SW_EINVAL,
     "protocol: expected \"<major>.<minor>\" like \"1.2\""},
    {REPORT_REQ, REPORTS("1.", "", ""), SW_EINVAL,
     "protocol: expected \"<major>.<minor>\" like \"1.2\""},
    {REPORT_REQ, REPORTS("1.2a", "", ""), SW_EINVAL,
     "protocol: expected \"<major>.<minor>\" like \"1.2\""},
    /* leases: 1.1 added transaction */
    {LEASE_RESP, MIGRATE("1.1", "", "", ", 'transaction': 'shard'"), 0, NULL},
    {LEASE_RESP, MIGRATE("1.3", ", 'lock_budget_ms': 9", ", 'hint': 'x'", ", 'priority': 3"), 0,
     NULL},
    {LEASE_RESP, MIGRATE("1.1", ", 'lock_budget_ms': 9", "", ""), SW_EINVAL,
     "leases[0].timeouts.lock_budget_ms: unknown field"},
    {LEASE_RESP, MIGRATE("1.1", "", ", 'hint': 'x'", ""), SW_EINVAL,
     "leases[0].steps[0].hint: unknown field"},
    {LEASE_RESP, MIGRATE("1.3", "", "", ", 'transaction': 'wave'"), SW_EINVAL,
     "leases[0].transaction: expected one of step, shard"},
    {LEASE_RESP, MIGRATE("1.3", "", ", 'no_transaction': 'yes'", ""), SW_EINVAL,
     "leases[0].steps[0].no_transaction: expected true or false"},
    {LEASE_RESP, GATE("1.3", ", 'explain': true"), 0, NULL},
    {LEASE_RESP, GATE("1.3", ", 'steps': []"), SW_EINVAL,
     "leases[0].steps: not allowed for kind gate"},
    {LEASE_RESP, GATE("1.0", ", 'explain': true"), SW_EINVAL, "leases[0].explain: unknown field"},
};

static int decode(enum msg m, const char *text, struct sw_err *err)
{
    struct wire_report_req r;
    struct wire_lease_resp l;
    int rc = 0;
    switch (m) {
    case REPORT_REQ:
        rc = wire_report_req_decode(text, strlen(text), &r, err);
        wire_report_req_cleanup(&r);
        break;
    case LEASE_RESP:
        rc = wire_lease_resp_decode(text, strlen(text), &l, err);
        wire_lease_resp_cleanup(&l);
        break;
    }
    return rc;
}

static void test_compat_decode(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof compat_cases / sizeof compat_cases[0]; i++) {
        const struct compat_case *c = &compat_cases[i];
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

struct minor_case {
    const char *protocol;
    int minor;
};

static const struct minor_case minor_cases[] = {
    {"1.0", 0}, {"1.1", 1}, {"1.2", 2}, {"1.10", 10}, {"1.9999", 9999}, {"1.007", 7},
};

/* The decoded register request and response and lease request and response carry the
 * peer's minor; encoders always send ours. */
static void test_compat_peer_minor(void **state)
{
    (void)state;
    char text[512];
    for (size_t i = 0; i < sizeof minor_cases / sizeof minor_cases[0]; i++) {
        const struct minor_case *c = &minor_cases[i];
        struct sw_err err = {0};
        struct wire_register_req reg;
        struct wire_register_resp rr;
        struct wire_lease_req lr;
        snprintf(text, sizeof text,
                 "{\"protocol\": \"%s\", \"agent\": \"a\", \"version\": \"1\", \"pools\": [\"p\"], "
                 "\"capacity\": 1}",
                 c->protocol);
        assert_int_equal(wire_register_req_decode(text, strlen(text), &reg, &err), 0);
        assert_int_equal(reg.protocol_minor, c->minor);
        wire_register_req_cleanup(&reg);
        snprintf(text, sizeof text,
                 "{\"protocol\": \"%s\", \"lease_ttl_ms\": 1, \"heartbeat_ms\": 1, "
                 "\"long_poll_ms\": 1}",
                 c->protocol);
        assert_int_equal(wire_register_resp_decode(text, strlen(text), &rr, &err), 0);
        assert_int_equal(rr.protocol_minor, c->minor);
        snprintf(text, sizeof text,
                 "{\"protocol\": \"%s\", \"agent\": \"a\", \"max\": 1, \"wait_ms\": 0}",
                 c->protocol);
        assert_int_equal(wire_lease_req_decode(text, strlen(text), &lr, &err), 0);
        assert_int_equal(lr.protocol_minor, c->minor);
        struct wire_lease_resp ls;
        snprintf(text, sizeof text, "{\"protocol\": \"%s\", \"leases\": []}", c->protocol);
        assert_int_equal(wire_lease_resp_decode(text, strlen(text), &ls, &err), 0);
        assert_int_equal(ls.protocol_minor, c->minor);
        wire_lease_resp_cleanup(&ls);
    }
    struct wire_lease_req m = {.protocol_minor = 0, .agent = "a", .max = 1};
    char *out = NULL;
    struct sw_err err = {0};
    assert_int_equal(wire_lease_req_encode(&m, &out, &err), 0);
    assert_string_equal(out, q("{'protocol':'1.2','agent':'a','max':1,'wait_ms':0}"));
    free(out);
}

/* The version the binaries print (--version, /healthz: CMake's SW_PROTOCOL_VERSION) is the
 * one the codecs speak. */
static void test_compat_version_agrees(void **state)
{
    (void)state;
    char minor[16];
    assert_string_equal(SW_PROTOCOL_VERSION, WIRE_PROTOCOL);
    snprintf(minor, sizeof minor, "%d.%d", WIRE_PROTOCOL_MAJOR, WIRE_PROTOCOL_MINOR);
    assert_string_equal(minor, WIRE_PROTOCOL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compat_decode),
        cmocka_unit_test(test_compat_peer_minor),
        cmocka_unit_test(test_compat_version_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
