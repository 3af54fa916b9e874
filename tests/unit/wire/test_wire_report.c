/* Unit tests for proto/src/wire_report.c: reports and the reports response. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sw/wire_report.h"
#include "wire_testutil.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

#define REQ(REPORTS) "{'protocol': '1.2', 'agent': 'agent-eu-1', 'reports': [" REPORTS "]}"
#define HEAD(SEQ)                                                                                  \
    "'id': 'agent-eu-1:" SEQ "', 'lease': 'l-9a0c', 'wave': 'w-3f2a91c0', 'shard': 't-001', "
#define STEP_OK(TAIL)                                                                              \
    "{" HEAD(                                                                                      \
        "1") "'kind': 'step', 'version': '6', 'direction': 'up', 'outcome': 'applied', "           \
             "'started_at': '2026-11-25T09:12:33.123Z', 'duration_ms': 41, 'error': null" TAIL "}"
#define DONE(TAIL)                                                                                 \
    "{" HEAD("2") "'kind': 'lease_done', 'outcome': 'done', 'shard_version': '7', "                \
                  "'shard_health': 'ok'" TAIL "}"
#define INVENTORY(TAIL)                                                                            \
    "{" HEAD("3") "'kind': 'inventory', 'shard_version': '7', 'shard_health': 'ok', "              \
                  "'applied': [{'version': '6', 'checksum': '" HEX_A "'}], "                       \
                  "'fingerprint': '" HEX_B "'" TAIL "}"

struct decode_case {
    const char *json; /* a reports request; single quotes stand for double quotes */
    int code;
    const char *error;
};

static const struct decode_case decode_cases[] = {
    {REQ(STEP_OK("") "," DONE("") "," INVENTORY("")), 0, NULL},
    {REQ("{'id': 'agent-eu-1:9', 'lease': 'l-1', 'shard': 's', 'kind': 'inventory', "
         "'shard_health': 'unreachable', 'error': 'connection refused'}"),
     0, NULL},
    {REQ(""), SW_EINVAL, "reports: must not be empty"},
    {"{'protocol': '1.0', 'agent': 'agent-eu-1'}", SW_EINVAL, "reports: required field missing"},
    {REQ("{'id': 'other:1', 'lease': 'l-1', 'shard': 's', 'kind': 'inventory', "
         "'shard_health': 'ok'}"),
     SW_EINVAL, "reports[0].id: expected agent-eu-1:<seq> (the sending agent's id)"},
    {REQ("{'id': 'agent-eu-1', 'lease': 'l-1'}"), SW_EINVAL,
     "reports[0].id: expected <agent>:<seq> (at most 160 characters)"},
    {REQ("{'id': 'agent-eu-1:x1', 'lease': 'l-1'}"), SW_EINVAL,
     "reports[0].id: expected <agent>:<seq> (at most 160 characters)"},
    {REQ(STEP_OK("") "," STEP_OK(", 'shard_health': 'ok'")), SW_EINVAL,
     "reports[1].shard_health: not allowed for kind step"},
    {REQ("{" HEAD("1") "'kind': 'step', 'version': '6', 'direction': 'up', 'outcome': 'done'}"),
     SW_EINVAL, "reports[0].outcome: expected one of applied, failed, dirty, skipped"},
    {REQ("{" HEAD("1") "'kind': 'lease_done', 'outcome': 'applied'}"), SW_EINVAL,
     "reports[0].outcome: expected one of done, failed, released, refused, gate_passed, "
     "gate_failed"},
    {REQ("{" HEAD("1") "'kind': 'step', 'version': '6', 'direction': 'up', 'outcome': 'failed', "
                       "'started_at': '2026-11-25T09:12:33.123Z', 'duration_ms': 41}"),
     SW_EINVAL, "reports[0].error: required when the outcome is failed"},
    {REQ("{" HEAD("1") "'kind': 'step', 'version': '6', 'direction': 'up', 'outcome': 'dirty', "
                       "'started_at': '2026-11-25T09:12:33.123Z', 'duration_ms': 41, "
                       "'error': null}"),
     SW_EINVAL, "reports[0].error: required when the outcome is dirty"},
    {REQ("{" HEAD("1") "'kind': 'step', 'version': '6', 'direction': 'sideways'}"), SW_EINVAL,
     "reports[0].outcome: required field missing"},
    {REQ("{" HEAD("1") "'kind': 'step', 'version': '6', 'direction': 'sideways', "
                       "'outcome': 'applied'}"),
     SW_EINVAL, "reports[0].direction: expected one of up, down"},
    {REQ("{" HEAD("1") "'kind': 'step', 'version': '6', 'direction': 'up', 'outcome': 'applied', "
                       "'started_at': '2026-13-25T09:12:33.123Z', 'duration_ms': 41}"),
     SW_EINVAL,
     "reports[0].started_at: expected an RFC 3339 UTC time like 2026-11-25T09:12:33.123Z"},
    {REQ("{" HEAD("1") "'kind': 'step', 'version': '6', 'direction': 'up', 'outcome': 'applied', "
                       "'started_at': 1764062000, 'duration_ms': 41}"),
     SW_EINVAL,
     "reports[0].started_at: expected an RFC 3339 UTC time like 2026-11-25T09:12:33.123Z"},
    {REQ("{" HEAD("1") "'kind': 'step', 'version': '6', 'direction': 'up', 'outcome': 'applied', "
                       "'started_at': '2026-11-25T09:12:33.123Z', 'duration_ms': -1}"),
     SW_EINVAL, "reports[0].duration_ms: must be between 0 and 9007199254740992"},
    {REQ(DONE(", 'version': '7'")), SW_EINVAL,
     "reports[0].version: not allowed for kind lease_done"},
    {REQ(DONE(", 'shard_health': 'fine'")), SW_EINVAL,
     "invalid JSON at line 1, column 236: duplicate object key near '\"shard_health\"'"},
    {REQ("{" HEAD("2") "'kind': 'lease_done', 'outcome': 'done', 'shard_health': 'fine'}"),
     SW_EINVAL,
     "reports[0].shard_health: expected one of unknown, ok, dirty, unreachable, "
     "checksum_mismatch"},
    {REQ(INVENTORY(", 'outcome': 'done'")), SW_EINVAL,
     "reports[0].outcome: not allowed for kind inventory"},
    {REQ("{" HEAD("3") "'kind': 'inventory'}"), SW_EINVAL,
     "reports[0].shard_health: required field missing"},
    {REQ("{" HEAD("3") "'kind': 'inventory', 'shard_health': 'ok', 'applied': [{'version': '6', "
                       "'checksum': 'nope'}]}"),
     SW_EINVAL, "reports[0].applied[0].checksum: expected 64 hex digits"},
    {REQ("{" HEAD("3") "'kind': 'inventory', 'shard_health': 'ok', 'fingerprint': '" HEX_A "0'}"),
     SW_EINVAL, "reports[0].fingerprint: expected 64 hex digits"},
    {REQ("{" HEAD("3") "'kind': 'scan'}"), SW_EINVAL,
     "reports[0].kind: expected one of step, lease_done, inventory"},
    {REQ("{" HEAD("3") "'kind': 'inventory', 'shard_health': 'ok', 'error': 5}"), SW_EINVAL,
     "reports[0].error: expected a string"},
    /* why a lease failed: only on failed lease_done reports, one of three names */
    {REQ("{" HEAD("2") "'kind': 'lease_done', 'outcome': 'failed', 'shard_health': "
                       "'unreachable', 'failure': 'unreachable', 'error': 'refused'}"),
     0, NULL},
    {REQ("{" HEAD("2") "'kind': 'lease_done', 'outcome': 'failed', 'failure': null}"), 0, NULL},
    {REQ("{" HEAD("2") "'kind': 'lease_done', 'outcome': 'failed', 'failure': 'none'}"), SW_EINVAL,
     "reports[0].failure: expected one of unreachable, lock_timeout, error"},
    {REQ("{" HEAD("2") "'kind': 'lease_done', 'outcome': 'failed', 'failure': 'down'}"), SW_EINVAL,
     "reports[0].failure: expected one of unreachable, lock_timeout, error"},
    {REQ(DONE(", 'failure': 'error'")), SW_EINVAL,
     "reports[0].failure: only allowed when the outcome is failed"},
    {REQ(STEP_OK(", 'failure': 'error'")), SW_EINVAL,
     "reports[0].failure: not allowed for kind step"},
    {REQ(INVENTORY(", 'failure': 'error'")), SW_EINVAL,
     "reports[0].failure: not allowed for kind inventory"},
};

static void test_decode_table(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof decode_cases / sizeof decode_cases[0]; i++) {
        const struct decode_case *c = &decode_cases[i];
        const char *text = q(c->json);
        struct wire_report_req m;
        struct sw_err err = {0};
        int rc = wire_report_req_decode(text, strlen(text), &m, &err);
        if (rc != c->code || (c->error != NULL && strcmp(err.msg, c->error) != 0)) {
            print_error("case %zu: %s\n  rc %d, expected %d\n  got:      %s\n  expected: %s\n", i,
                        c->json, rc, c->code, err.msg, c->error ? c->error : "(success)");
            failures++;
        }
        wire_report_req_cleanup(&m);
    }
    assert_int_equal(failures, 0);
}

static void test_report_req_round_trip(void **state)
{
    (void)state;
    struct wire_applied applied[] = {{.version = "5", .checksum = HEX_A},
                                     {.version = "6", .checksum = HEX_B}};
    struct wire_report reports[] = {
        {.id = "agent-eu-1:1042",
         .lease = "l-9a0c",
         .wave = "w-3f2a91c0",
         .shard = "t-001",
         .kind = WIRE_REPORT_STEP,
         .outcome = WIRE_OUT_APPLIED,
         .version = "6",
         .direction = MIGSET_UP,
         .started_at_ms = INT64_C(1764061953123),
         .duration_ms = 41},
        {.id = "agent-eu-1:1043",
         .lease = "l-9a0c",
         .wave = "w-3f2a91c0",
         .shard = "t-001",
         .kind = WIRE_REPORT_STEP,
         .outcome = WIRE_OUT_DIRTY,
         .version = "7",
         .direction = MIGSET_DOWN,
         .started_at_ms = 0,
         .duration_ms = 0,
         .error = "statement 2 of 3: ERROR 1146 (42S02): Table app.x does not exist"},
        {.id = "agent-eu-1:1044",
         .lease = "l-9a0c",
         .wave = "w-3f2a91c0",
         .shard = "t-001",
         .kind = WIRE_REPORT_LEASE_DONE,
         .outcome = WIRE_OUT_GATE_FAILED,
         .shard_version = "7",
         .shard_health = WIRE_HEALTH_DIRTY},
        {.id = "agent-eu-1:1045",
         .lease = "l-7",
         .shard = "t-002",
         .kind = WIRE_REPORT_INVENTORY,
         .shard_version = "6",
         .shard_health = WIRE_HEALTH_CHECKSUM_MISMATCH,
         .n_applied = 2,
         .applied = applied,
         .fingerprint = HEX_B},
    };
    struct wire_report_req m = {.agent = "agent-eu-1", .n_reports = 4, .reports = reports};
    struct wire_report_req d;
    struct sw_err err = {0};
    char *text = NULL, *again = NULL;
    assert_int_equal(wire_report_req_encode(&m, &text, &err), 0);
    assert_same_json(
        text,
        q(REQ("{'id': 'agent-eu-1:1042', 'lease': 'l-9a0c', 'wave': 'w-3f2a91c0', "
              "'shard': 't-001', 'kind': 'step', 'outcome': 'applied', 'version': '6', "
              "'direction': 'up', 'started_at': '2025-11-25T09:12:33.123Z', 'duration_ms': 41, "
              "'error': null},"
              "{'id': 'agent-eu-1:1043', 'lease': 'l-9a0c', 'wave': 'w-3f2a91c0', "
              "'shard': 't-001', 'kind': 'step', 'outcome': 'dirty', 'version': '7', "
              "'direction': 'down', 'started_at': '1970-01-01T00:00:00.000Z', 'duration_ms': 0, "
              "'error': 'statement 2 of 3: ERROR 1146 (42S02): Table app.x does not exist'},"
              "{'id': 'agent-eu-1:1044', 'lease': 'l-9a0c', 'wave': 'w-3f2a91c0', "
              "'shard': 't-001', 'kind': 'lease_done', 'outcome': 'gate_failed', "
              "'shard_version': '7', 'shard_health': 'dirty', 'error': null},"
              "{'id': 'agent-eu-1:1045', 'lease': 'l-7', 'shard': 't-002', 'kind': 'inventory', "
              "'shard_version': '6', 'shard_health': 'checksum_mismatch', "
              "'applied': [{'version': '5', 'checksum': '" HEX_A "'}, "
              "{'version': '6', 'checksum': '" HEX_B "'}], 'fingerprint': '" HEX_B "', "
              "'error': null}")));
    assert_int_equal(wire_report_req_decode(text, strlen(text), &d, &err), 0);
    assert_int_equal(d.n_reports, 4);
    assert_int_equal(d.reports[0].started_at_ms, INT64_C(1764061953123));
    assert_int_equal(d.reports[1].outcome, WIRE_OUT_DIRTY);
    assert_string_equal(d.reports[1].error, reports[1].error);
    assert_int_equal(d.reports[2].shard_health, WIRE_HEALTH_DIRTY);
    assert_int_equal(d.reports[3].n_applied, 2);
    assert_string_equal(d.reports[3].applied[1].checksum, HEX_B);
    assert_string_equal(d.reports[3].wave, "");
    assert_int_equal(wire_report_req_encode(&d, &again, &err), 0);
    assert_string_equal(again, text);
    wire_report_req_cleanup(&d);
    free(text);
    free(again);
}

static void test_report_resp(void **state)
{
    (void)state;
    char *acc[] = {"agent-eu-1:1042"};
    char *dup[] = {"agent-eu-1:1043", "agent-eu-1:1044"};
    struct wire_report_resp m = {
        .n_accepted = 1, .accepted = acc, .n_duplicates = 2, .duplicates = dup};
    struct wire_report_resp d;
    struct sw_err err = {0};
    char *text = NULL;
    assert_int_equal(wire_report_resp_encode(&m, &text, &err), 0);
    assert_string_equal(text, q("{'protocol':'1.2','accepted':['agent-eu-1:1042'],"
                                "'duplicates':['agent-eu-1:1043','agent-eu-1:1044']}"));
    assert_int_equal(wire_report_resp_decode(text, strlen(text), &d, &err), 0);
    assert_int_equal(d.n_accepted, 1);
    assert_int_equal(d.n_duplicates, 2);
    assert_string_equal(d.duplicates[1], "agent-eu-1:1044");
    wire_report_resp_cleanup(&d);
    free(text);

    const char *bad = q("{'protocol': '1.0', 'accepted': ['x'], 'duplicates': []}");
    assert_int_equal(wire_report_resp_decode(bad, strlen(bad), &d, &err), SW_EINVAL);
    assert_string_equal(err.msg, "accepted[0]: expected <agent>:<seq> (at most 160 characters)");
    bad = q("{'protocol': '1.0', 'accepted': []}");
    assert_int_equal(wire_report_resp_decode(bad, strlen(bad), &d, &err), SW_EINVAL);
    assert_string_equal(err.msg, "duplicates: required field missing");
}

/* Protocol 1.2: a report request's `want` and the leases its answer may carry. */
static void test_report_want_and_leases(void **state)
{
    (void)state;
    struct sw_err err = {0};
    const char *req = q("{'protocol': '1.2', 'agent': 'a', 'want': 3, 'reports': [{'id': 'a:1', "
                        "'lease': 'l-1', 'wave': 'w-1', 'shard': 's', 'kind': 'lease_done', "
                        "'outcome': 'done', 'error': null}]}");
    struct wire_report_req r;
    assert_int_equal(wire_report_req_decode(req, strlen(req), &r, &err), 0);
    assert_int_equal(r.want, 3);
    assert_int_equal(r.protocol_minor, 2);
    char *text = NULL;
    assert_int_equal(wire_report_req_encode(&r, &text, &err), 0);
    assert_non_null(strstr(text, "\"want\":3"));
    free(text);
    r.want = 0; /* absent when 0: what a 1.1 coordinator gets */
    assert_int_equal(wire_report_req_encode(&r, &text, &err), 0);
    assert_null(strstr(text, "want"));
    free(text);
    wire_report_req_cleanup(&r);
    const char *bad = q("{'protocol': '1.2', 'agent': 'a', 'want': 257, 'reports': [{'id': 'a:1', "
                        "'lease': 'l-1', 'shard': 's', 'kind': 'lease_done', 'outcome': 'done'}]}");
    assert_int_equal(wire_report_req_decode(bad, strlen(bad), &r, &err), SW_EINVAL);
    assert_string_equal(err.msg, "want: must be between 0 and 256");

    const char *resp = q("{'protocol': '1.2', 'accepted': ['a:1'], 'duplicates': [], 'leases': "
                         "[{'lease': 'l-2', 'kind': 'gate', 'wave': 'w-1', 'shard': 't', "
                         "'engine': 'pg', 'lease_ttl_ms': 1000, 'sql': 'SELECT true'}]}");
    struct wire_report_resp d;
    assert_int_equal(wire_report_resp_decode(resp, strlen(resp), &d, &err), 0);
    assert_int_equal(d.n_leases, 1);
    assert_string_equal(d.leases[0].lease, "l-2");
    assert_int_equal(d.leases[0].kind, WIRE_LEASE_GATE);
    assert_int_equal(wire_report_resp_encode(&d, &text, &err), 0);
    assert_non_null(strstr(text, "\"leases\":[{\"lease\":\"l-2\""));
    free(text);
    wire_report_resp_cleanup(&d);
    bad = q("{'protocol': '1.2', 'accepted': [], 'duplicates': [], 'leases': [{'lease': 'l-2'}]}");
    assert_int_equal(wire_report_resp_decode(bad, strlen(bad), &d, &err), SW_EINVAL);
}

static json_t *inventory_json(size_t seq, const char *error)
{
    char id[64];
    snprintf(id, sizeof id, "a:%zu", seq);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "lease", "l-1", "shard", "s",
                     "kind", "inventory", "shard_health", "ok", "error", error);
}

static int decode_reports(json_t *reports, struct sw_err *err)
{
    json_t *doc = json_pack("{s:s, s:s, s:o}", "protocol", "1.0", "agent", "a", "reports", reports);
    struct wire_report_req m;
    int rc = wire_report_req_from_json(doc, &m, err);
    wire_report_req_cleanup(&m);
    json_decref(doc);
    return rc;
}

/* 1000 reports and 4 KiB of error text pass, one more does not. */
static void test_limits(void **state)
{
    (void)state;
    struct sw_err err = {0};
    for (size_t n = 1000; n <= 1001; n++) {
        json_t *reports = json_array();
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(reports, inventory_json(i, ""));
        }
        assert_int_equal(decode_reports(reports, &err), n == 1000 ? 0 : SW_EINVAL);
    }
    assert_string_equal(err.msg, "reports: more than 1000 entries");
    for (size_t n = WIRE_ERROR_TEXT_MAX; n <= WIRE_ERROR_TEXT_MAX + 1; n++) {
        char *text = repeat('e', n);
        assert_int_equal(decode_reports(json_pack("[o]", inventory_json(1, text)), &err),
                         n == WIRE_ERROR_TEXT_MAX ? 0 : SW_EINVAL);
        free(text);
    }
    assert_string_equal(err.msg, "reports[0].error: longer than 4096 bytes");
}

/* Encoders refuse what the coordinator would refuse. */
static void test_encode_checks(void **state)
{
    (void)state;
    struct wire_report r = {.id = "agent-eu-2:1",
                            .lease = "l-1",
                            .shard = "s",
                            .kind = WIRE_REPORT_STEP,
                            .outcome = WIRE_OUT_FAILED,
                            .version = "1",
                            .started_at_ms = 1};
    struct wire_report_req m = {.agent = "agent-eu-1", .n_reports = 1, .reports = &r};
    struct sw_err err = {0};
    char *text = NULL;
    assert_int_equal(wire_report_req_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg,
                        "reports[0].id: expected agent-eu-1:<seq> (the sending agent's id)");
    memcpy(r.id, "agent-eu-1:1", sizeof "agent-eu-1:1");
    assert_int_equal(wire_report_req_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg, "reports[0].error: required when the outcome is failed");
    r.outcome = WIRE_OUT_DONE;
    assert_int_equal(wire_report_req_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg, "reports[0].outcome: not an outcome of kind step");
    r.outcome = WIRE_OUT_FAILED;
    r.error = "caf\xe9";
    assert_int_equal(wire_report_req_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg, "reports[0].error: invalid UTF-8 or NUL character");
    char *clean = wire_text_sanitize(r.error, strlen(r.error), WIRE_ERROR_TEXT_MAX);
    r.error = clean;
    assert_int_equal(wire_report_req_encode(&m, &text, &err), 0);
    assert_non_null(strstr(text, "\"error\":\"caf?\""));
    free(text);
    free(clean);
    m.n_reports = 0;
    assert_int_equal(wire_report_req_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg, "reports: must not be empty");
}

/* A failed lease's class goes out and comes back; it is refused on other outcomes. */
static void test_failure_class(void **state)
{
    (void)state;
    struct wire_report r = {.id = "agent-eu-1:7",
                            .lease = "l-1",
                            .shard = "s",
                            .kind = WIRE_REPORT_LEASE_DONE,
                            .outcome = WIRE_OUT_FAILED,
                            .shard_health = WIRE_HEALTH_UNREACHABLE,
                            .failure = WIRE_FAILURE_LOCK_TIMEOUT,
                            .error = "lock timeout"};
    struct wire_report_req m = {.agent = "agent-eu-1", .n_reports = 1, .reports = &r};
    struct wire_report_req d;
    struct sw_err err = {0};
    char *text = NULL;
    assert_int_equal(wire_report_req_encode(&m, &text, &err), 0);
    assert_non_null(strstr(text, "\"failure\":\"lock_timeout\""));
    assert_int_equal(wire_report_req_decode(text, strlen(text), &d, &err), 0);
    assert_int_equal(d.reports[0].failure, WIRE_FAILURE_LOCK_TIMEOUT);
    wire_report_req_cleanup(&d);
    free(text);
    r.failure = WIRE_FAILURE_NONE;
    assert_int_equal(wire_report_req_encode(&m, &text, &err), 0);
    assert_null(strstr(text, "failure"));
    free(text);
    r.outcome = WIRE_OUT_DONE;
    r.failure = WIRE_FAILURE_UNREACHABLE;
    assert_int_equal(wire_report_req_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg, "reports[0].failure: only allowed when the outcome is failed");
    r.failure = WIRE_FAILURE_COUNT;
    assert_int_equal(wire_report_req_encode(&m, &text, &err), SW_EINVAL);
    assert_string_equal(err.msg, "reports[0]: kind, outcome, health, direction or failure out of "
                                 "range");
    assert_string_equal(wire_failure_name(WIRE_FAILURE_UNREACHABLE), "unreachable");
    enum wire_failure f = WIRE_FAILURE_NONE;
    assert_int_equal(wire_failure_parse("error", &f), 0);
    assert_int_equal(f, WIRE_FAILURE_ERROR);
    assert_int_equal(wire_failure_parse("down", &f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_table),  cmocka_unit_test(test_report_req_round_trip),
        cmocka_unit_test(test_report_resp),   cmocka_unit_test(test_report_want_and_leases),
        cmocka_unit_test(test_limits),        cmocka_unit_test(test_encode_checks),
        cmocka_unit_test(test_failure_class),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
