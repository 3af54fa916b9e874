/* Unit tests for coordinator/config/coord_config.c: defaults, env overrides, cross-setting
 * rules, derived values, reload refusals, print and help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/coord_config.h"

static const char *const no_env[] = {NULL};

static void test_defaults(void **state)
{
    (void)state;
    struct coord_config c;
    struct sw_err err = {0};
    const char *const env[] = {"SHARDWAVE_COORDINATOR_TOKENS_FILE=/etc/sw/tokens", NULL};
    assert_int_equal(coord_config_load(NULL, env, &c, &err), 0);
    assert_string_equal(c.listen, "127.0.0.1:7400");
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 7400);
    assert_string_equal(c.store_path, "/var/lib/shardwave/coordinator.db");
    assert_null(c.fleet_file);
    assert_string_equal(c.tokens_file, "/etc/sw/tokens");
    assert_null(c.tls_cert_file);
    assert_null(c.tls_key_file);
    assert_int_equal(c.max_body_bytes, 32 * 1024 * 1024);
    assert_int_equal(c.max_connections, 256);
    assert_int_equal(c.request_timeout_ms, 30000);
    assert_int_equal(c.tick_ms, 500);
    assert_int_equal(c.lease_ttl_ms, 30000);
    assert_int_equal(c.long_poll_ms, 20000);
    assert_string_equal(c.log_level_name, "info");
    assert_int_equal(c.log_level, LOG_INFO);
    assert_null(c.coordinator_id);
    assert_null(c.advertise_url);
    assert_int_equal(c.leader_lease_ms, 10000);
    char host[256] = "";
    char want[300];
    assert_int_equal(gethostname(host, sizeof host - 1), 0);
    snprintf(want, sizeof want, "%s:7400", host);
    assert_string_equal(c.ha_id, want);
    assert_string_equal(c.ha_url, "http://127.0.0.1:7400");
    coord_config_cleanup(&c);
    coord_config_cleanup(&c); /* idempotent */
}

static void test_file_and_env(void **state)
{
    (void)state;
    struct coord_config c;
    struct sw_err err = {0};
    const char *text = "listen = \"[::1]:8443\"; tokens_file = \"tok\"; fleet_file = \"f.conf\";\n"
                       "tls_cert_file = \"c.pem\"; tls_key_file = \"k.pem\"; lease_ttl_s = 60;\n"
                       "long_poll_s = \"45s\"; request_timeout_s = 90; log_level = \"debug\";\n";
    const char *const env[] = {"SHARDWAVE_COORDINATOR_TICK_MS=250",
                               "SHARDWAVE_COORDINATOR_LOG_LEVEL=trace", NULL};
    assert_int_equal(coord_config_load_text(text, "c.conf", env, &c, &err), 0);
    assert_string_equal(c.listen_host, "::1");
    assert_int_equal(c.listen_port, 8443);
    assert_string_equal(c.fleet_file, "f.conf");
    assert_int_equal(c.lease_ttl_ms, 60000);
    assert_int_equal(c.long_poll_ms, 45000);
    assert_int_equal(c.tick_ms, 250);
    assert_int_equal(c.log_level, LOG_TRACE);
    assert_string_equal(c.ha_url, "https://[::1]:8443"); /* advertise_url's default */
    coord_config_cleanup(&c);
}

struct error_case {
    const char *text;
    const char *message;
};

static const struct error_case error_cases[] = {
    {"listen = \"7400\";", "listen: '7400' is not host:port"},
    {"listen = \"::1:7400\";", "listen: '::1:7400' is not host:port"},
    {"listen = \"localhost:http\";", "listen: port: 'http' is not a whole number"},
    {"listen = \"localhost:0\";", "listen: port: 0 is out of range [1, 65535]"},
    {"tls_cert_file = \"c.pem\";", "tls_cert_file and tls_key_file must be set together"},
    {"long_poll_s = 30; request_timeout_s = 30;",
     "long_poll_s (30s) must be shorter than request_timeout_s (30s)"},
    {"lease_ttl_s = 2;", "c.conf:1: lease_ttl_s: 2s is out of range [5s, 1h]"},
    {"log_level = \"loud\";",
     "log_level: unknown level 'loud' (expected error, warn, info, debug or trace)"},
    {"log_format = \"xml\";", "log_format: unknown log format 'xml' (expected logfmt or json)"},
    {"max_body_bytes = 10;", "c.conf:1: max_body_bytes: 10 is out of range [1024, 1073741824]"},
    {"tick_ms = 60000; lease_ttl_s = 60;",
     "tick_ms (60000) must be shorter than lease_ttl_s (60s)"},
    {"tokens = \"x\";", "c.conf:1: unknown setting 'tokens'"},
    {"coordinator_id = \"a b\";", "coordinator_id: 'a b' may hold only [A-Za-z0-9._:-]"},
    {"advertise_url = \"coord:7400\";",
     "advertise_url: 'coord:7400' is not an http:// or https:// base URL"},
    {"advertise_url = \"http://coord:7400/\";",
     "advertise_url: 'http://coord:7400/' is not an http:// or https:// base URL"},
    {"leader_lease_ms = 500;", "c.conf:1: leader_lease_ms: 500ms is out of range [1s, 10m]"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        char text[512]; /* the case's settings on line 1, then the required one */
        snprintf(text, sizeof text, "%s tokens_file = \"t\";", error_cases[i].text);
        struct coord_config c;
        struct sw_err err = {0};
        int rc = coord_config_load_text(text, "c.conf", no_env, &c, &err);
        if (rc != SW_EINVAL || strcmp(err.msg, error_cases[i].message) != 0) {
            fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err.msg,
                     error_cases[i].message);
        }
        assert_null(c.listen);
        assert_null(c.listen_host);
    }
    struct coord_config c;
    struct sw_err err = {0};
    assert_int_equal(coord_config_load_text("", "c.conf", no_env, &c, &err), SW_EINVAL);
    assert_string_equal(err.msg, "tokens_file is required");
    assert_string_equal(err.hint,
                        "set tokens_file in the config file or SHARDWAVE_COORDINATOR_TOKENS_FILE");
}

static void test_reload(void **state)
{
    (void)state;
    struct coord_config old, neu;
    struct sw_err err = {0};
    struct sw_strbuf changed;
    sw_strbuf_init(&changed, 4096);
    assert_int_equal(coord_config_load_text("tokens_file = \"t\";", "c", no_env, &old, &err), 0);
    const char *const env_ok[] = {"SHARDWAVE_COORDINATOR_TOKENS_FILE=t2",
                                  "SHARDWAVE_COORDINATOR_LOG_LEVEL=debug", NULL};
    assert_int_equal(coord_config_reload(&old, NULL, env_ok, &neu, &changed, &err), 0);
    assert_string_equal(sw_strbuf_str(&changed), "tokens_file, log_level");
    assert_int_equal(neu.log_level, LOG_DEBUG);
    coord_config_cleanup(&neu);
    const char *const env_bad[] = {"SHARDWAVE_COORDINATOR_TOKENS_FILE=t",
                                   "SHARDWAVE_COORDINATOR_LISTEN=0.0.0.0:7400",
                                   "SHARDWAVE_COORDINATOR_STORE_PATH=/tmp/x.db", NULL};
    assert_int_equal(coord_config_reload(&old, NULL, env_bad, &neu, NULL, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "cannot change listen, store_path on reload: restart the "
                                 "coordinator to apply them");
    assert_null(neu.listen);
    coord_config_cleanup(&old);
    sw_strbuf_cleanup(&changed);
}

static void test_print_help(void **state)
{
    (void)state;
    struct coord_config c;
    struct sw_err err = {0};
    assert_int_equal(coord_config_load_text("tokens_file = \"t\";", "c", no_env, &c, &err), 0);
    struct sw_strbuf out;
    sw_strbuf_init(&out, 1 << 16);
    assert_int_equal(coord_config_print(&c, &out, &err), 0);
    assert_string_equal(sw_strbuf_str(&out), "listen = \"127.0.0.1:7400\";\n"
                                             "store_path = \"/var/lib/shardwave/coordinator.db\";\n"
                                             "# fleet_file is not set\n"
                                             "tokens_file = \"t\";\n"
                                             "# tls_cert_file is not set\n"
                                             "# tls_key_file is not set\n"
                                             "max_body_bytes = 33554432;\n"
                                             "max_connections = 256;\n"
                                             "request_timeout_s = 30;\n"
                                             "tick_ms = 500;\n"
                                             "lease_ttl_s = 30;\n"
                                             "long_poll_s = 20;\n"
                                             "log_level = \"info\";\n"
                                             "log_format = \"logfmt\";\n"
                                             "# coordinator_id is not set\n"
                                             "# advertise_url is not set\n"
                                             "leader_lease_ms = 10000;\n");
    sw_strbuf_reset(&out);
    assert_int_equal(coord_config_help(&out, &err), 0);
    assert_non_null(strstr(sw_strbuf_str(&out),
                           "  tick_ms (duration, milliseconds, 10ms..1m, default 500, reloadable)\n"
                           "      scheduler period: how often waves are advanced and leases "
                           "expired\n"
                           "      environment: SHARDWAVE_COORDINATOR_TICK_MS\n"));
    assert_int_equal(coord_config_table()->n_entries, 18);
    coord_config_cleanup(&c);
    sw_strbuf_cleanup(&out);
}

/* The `webhooks` section: parsed from the same file, printed redacted, reloadable. */
static void test_webhooks(void **state)
{
    (void)state;
    char path[] = "/tmp/sw-coord-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    const char *v1 = "tokens_file = \"t\";\nwebhooks = ( { name = \"ops\";\n"
                     "  url = \"https://h.example/hook/TOKEN123\"; format = \"slack\"; } );\n";
    const char *v2 = "tokens_file = \"t\";\nwebhooks = ( { name = \"ops\";\n"
                     "  url = \"https://h.example/hook/TOKEN123\"; format = \"json\"; } );\n";
    const char *bad = "tokens_file = \"t\";\nwebhooks = ( { name = \"ops\";\n"
                      "  url = \"https://h.example/hook/TOKEN123\"; format = \"xml\"; } );\n";
    struct coord_config old, neu;
    struct sw_err err = {0};
    struct sw_strbuf out;
    sw_strbuf_init(&out, 1 << 16);
    FILE *f = fopen(path, "w");
    fputs(v1, f);
    fclose(f);
    assert_int_equal(coord_config_load(path, no_env, &old, &err), 0);
    assert_int_equal(old.webhooks.n_hooks, 1);
    assert_int_equal(old.webhooks.hooks[0].format, NOTIFY_FORMAT_SLACK);
    assert_int_equal(coord_config_print(&old, &out, &err), 0);
    assert_non_null(strstr(sw_strbuf_str(&out), "webhooks = (\n  {\n    name = \"ops\";\n    "
                                                "url = \"https://h.example/<redacted>\";\n"));
    assert_null(strstr(sw_strbuf_str(&out), "TOKEN123"));
    f = fopen(path, "w");
    fputs(v2, f);
    fclose(f);
    sw_strbuf_reset(&out);
    assert_int_equal(coord_config_reload(&old, path, no_env, &neu, &out, &err), 0);
    assert_string_equal(sw_strbuf_str(&out), "webhooks");
    coord_config_cleanup(&neu);
    f = fopen(path, "w");
    fputs(bad, f);
    fclose(f);
    assert_int_equal(coord_config_reload(&old, path, no_env, &neu, NULL, &err), SW_EINVAL);
    char want[512];
    snprintf(want, sizeof want, "%s:3: webhooks[1].format: 'xml' is not json or slack", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(neu.webhooks.n_hooks, 0);
    coord_config_cleanup(&old);
    sw_strbuf_cleanup(&out);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),   cmocka_unit_test(test_file_and_env),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_reload),
        cmocka_unit_test(test_print_help), cmocka_unit_test(test_webhooks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
