/* Unit tests for coordinator/notify/notify_event.c: summaries, the JSON and Slack
 * payloads (exact documents), the HMAC signature (RFC 4231 vector), cut strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify/notify_event.h"

#define URL "https://coord.example:7400"

static struct notify_event halted_event(void)
{
    struct notify_event ev = {0};
    ev.event_id = 57;
    ev.kind = NOTIFY_WAVE_HALTED;
    ev.at_ms = 1795608000123; /* 2026-11-25T12:00:00.123Z */
    snprintf(ev.wave_id, sizeof ev.wave_id, "w-123");
    ev.from = WAVE_RUNNING;
    ev.to = WAVE_HALTED;
    snprintf(ev.actor, sizeof ev.actor, "agent-1");
    snprintf(ev.stage, sizeof ev.stage, "canary");
    ev.stage_number = 1;
    ev.n_stages = 3;
    ev.stage_failed = 2;
    ev.stage_shards = 4;
    snprintf(ev.budget, sizeof ev.budget, "0");
    snprintf(ev.shard_id, sizeof ev.shard_id, "t-17");
    snprintf(ev.shard_error, sizeof ev.shard_error, "ERROR: column \"x\" <does not> exist & more");
    snprintf(ev.reason, sizeof ev.reason, "stage canary: shard t-17 failed");
    ev.n_shards = 10;
    ev.counts[WSHARD_PENDING] = 6;
    ev.counts[WSHARD_DONE] = 2;
    ev.counts[WSHARD_FAILED] = 2;
    return ev;
}

struct summary_case {
    enum notify_kind kind;
    enum wave_state from, to;
    bool has_shard;
    const char *want;
};

static void test_summaries(void **state)
{
    (void)state;
    static const struct summary_case cases[] = {
        {NOTIFY_WAVE_HALTED, WAVE_RUNNING, WAVE_HALTED, true,
         "wave w-123 halted at stage canary: 2 failed (budget 0) \u2014 shard t-17: ERROR: "
         "column \"x\" <does not> exist & more"},
        {NOTIFY_WAVE_HALTED, WAVE_RUNNING, WAVE_HALTED, false,
         "wave w-123 halted at stage canary: stage canary: shard t-17 failed"},
        {NOTIFY_WAVE_STATE, WAVE_RUNNING, WAVE_PAUSED, false,
         "wave w-123 running \u2192 paused (agent-1): stage canary: shard t-17 failed"},
        {NOTIFY_WAVE_STATE, WAVE_RUNNING, WAVE_COMPLETED, false,
         "wave w-123 completed: 2 of 10 shards done"},
        {NOTIFY_STAGE_COMPLETED, WAVE_RUNNING, WAVE_RUNNING, false,
         "wave w-123 stage canary (1/3) passed: 4 shards, 2 failed"},
        {NOTIFY_SHARD_FAILED, WAVE_RUNNING, WAVE_RUNNING, true,
         "wave w-123 shard t-17 failed at stage canary: ERROR: column \"x\" <does not> exist & "
         "more"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct notify_event ev = halted_event();
        ev.kind = cases[i].kind;
        ev.from = cases[i].from;
        ev.to = cases[i].to;
        if (!cases[i].has_shard) {
            ev.shard_id[0] = '\0';
        }
        char buf[2048];
        notify_event_summary(&ev, buf, sizeof buf);
        assert_string_equal(buf, cases[i].want);
    }
}

static void test_json_payload(void **state)
{
    (void)state;
    struct notify_event ev = halted_event();
    struct sw_strbuf out;
    struct sw_err err = {0};
    sw_strbuf_init(&out, NOTIFY_BODY_MAX);
    assert_int_equal(notify_payload_json(&ev, URL, &out, &err), 0);
    assert_string_equal(
        sw_strbuf_str(&out),
        "{\"actor\":\"agent-1\",\"at\":\"2026-11-25T12:00:00.123Z\",\"at_ms\":1795608000123,"
        "\"coordinator\":\"https://coord.example:7400\",\"counts\":{\"done\":2,\"failed\":2,"
        "\"leased\":0,\"pending\":6,\"rb_failed\":0,\"rb_leased\":0,\"rb_pending\":0,"
        "\"rb_running\":0,\"rolled_back\":0,\"running\":0,\"skipped\":0,\"total\":10},"
        "\"event_id\":57,\"from\":\"running\",\"reason\":\"stage canary: shard t-17 failed\","
        "\"shard\":{\"error\":\"ERROR: column \\\"x\\\" <does not> exist & more\",\"id\":\"t-17\"},"
        "\"stage\":{\"budget\":\"0\",\"failed\":2,\"name\":\"canary\",\"number\":1,\"of\":3,"
        "\"shards\":4},\"summary\":\"wave w-123 halted at stage canary: 2 failed (budget 0) "
        "\u2014 shard t-17: ERROR: column \\\"x\\\" <does not> exist & more\",\"to\":\"halted\","
        "\"type\":\"wave_halted\",\"wave\":\"w-123\","
        "\"wave_url\":\"https://coord.example:7400/v1/waves/w-123\"}");
    /* no stage, no shard, no reason: nulls */
    ev.stage[0] = ev.shard_id[0] = ev.reason[0] = '\0';
    ev.kind = NOTIFY_WAVE_STATE;
    sw_strbuf_reset(&out);
    assert_int_equal(notify_payload_json(&ev, URL, &out, &err), 0);
    assert_non_null(strstr(sw_strbuf_str(&out), "\"reason\":null,\"shard\":null,\"stage\":null"));
    sw_strbuf_cleanup(&out);
}

static void test_slack_payload(void **state)
{
    (void)state;
    struct notify_event ev = halted_event();
    struct sw_strbuf out;
    struct sw_err err = {0};
    sw_strbuf_init(&out, NOTIFY_BODY_MAX);
    assert_int_equal(notify_payload_slack(&ev, URL, &out, &err), 0);
    const char *text = "wave w-123 halted at stage canary: 2 failed (budget 0) \u2014 shard t-17: "
                       "ERROR: column \\\"x\\\" &lt;does not&gt; exist &amp; more";
    char want[4096];
    snprintf(want, sizeof want,
             "{\"blocks\":[{\"text\":{\"text\":\"%s\",\"type\":\"mrkdwn\"},\"type\":\"section\"},"
             "{\"elements\":[{\"text\":\"wave_halted \u00b7 event 57 \u00b7 "
             "2026-11-25T12:00:00.123Z \u00b7 <https://coord.example:7400/v1/waves/w-123|w-123>\","
             "\"type\":\"mrkdwn\"}],\"type\":\"context\"}],\"text\":\"%s\"}",
             text, text);
    assert_string_equal(sw_strbuf_str(&out), want);
    sw_strbuf_cleanup(&out);
}

static void test_signature(void **state)
{
    (void)state;
    char sig[NOTIFY_SIGNATURE_MAX];
    struct sw_err err = {0};
    const char *body = "what do ya want for nothing?";
    assert_int_equal(notify_signature("Jefe", 4, body, strlen(body), sig, &err), 0);
    assert_string_equal(sig,
                        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_kinds_and_copy(void **state)
{
    (void)state;
    enum notify_kind k;
    for (int i = 0; i < NOTIFY_KIND_COUNT; i++) {
        assert_int_equal(notify_kind_parse(notify_kind_name((enum notify_kind)i), &k), 0);
        assert_int_equal(k, i);
    }
    assert_int_equal(notify_kind_parse("halt", &k), -1);
    assert_true(notify_kind_matches(NOTIFY_WAVE_STATE, NOTIFY_WAVE_HALTED));
    assert_true(notify_kind_matches(NOTIFY_WAVE_HALTED, NOTIFY_WAVE_HALTED));
    assert_false(notify_kind_matches(NOTIFY_WAVE_HALTED, NOTIFY_WAVE_STATE));
    assert_false(notify_kind_matches(NOTIFY_WAVE_STATE, NOTIFY_SHARD_FAILED));
    char buf[8];
    notify_event_copy(buf, sizeof buf, "abcdefghij");
    assert_string_equal(buf, "abcd...");
    notify_event_copy(buf, sizeof buf, "ab\xc3\xa9\xc3\xa9xyz"); /* never cuts inside é */
    assert_string_equal(buf, "ab\xc3\xa9...");
    notify_event_copy(buf, sizeof buf, NULL);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summaries),      cmocka_unit_test(test_json_payload),
        cmocka_unit_test(test_slack_payload),  cmocka_unit_test(test_signature),
        cmocka_unit_test(test_kinds_and_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
