/* Unit tests for coordinator/notify/notify_config.c: defaults, secret files, every error
 * with file:line (and never the URL), equality, and the redacted print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify/notify_config.h"
#include "sw/fsutil.h"
#include "../proto/tmpdir.h"

#define TOKEN "T0KEN-s3cr3t"

static int load(const char *text, struct notify_config *c, struct sw_err *err)
{
    return notify_config_load(NULL, text, "c.conf", c, err);
}

static void test_defaults_and_inline(void **state)
{
    (void)state;
    struct notify_config c;
    struct sw_err err = {0};
    assert_int_equal(load("listen = \"x\";", &c, &err), 0);
    assert_int_equal(c.n_hooks, 0);
    assert_int_equal(load("webhooks = ( { name = \"ops\"; url = \"https://h.example/hook/" TOKEN
                          "\"; } );",
                          &c, &err),
                     0);
    assert_int_equal(c.n_hooks, 1);
    const struct notify_hook_config *h = &c.hooks[0];
    assert_string_equal(h->name, "ops");
    assert_int_equal(h->format, NOTIFY_FORMAT_JSON);
    assert_int_equal(h->events, 1u << NOTIFY_WAVE_STATE);
    assert_null(h->secret);
    assert_int_equal(h->connect_timeout_ms, 5000);
    assert_int_equal(h->timeout_ms, 10000);
    assert_int_equal(h->max_attempts, 5);
    assert_int_equal(h->retry_base_ms, 500);
    assert_int_equal(h->retry_cap_ms, 60000);
    assert_int_equal(h->queue_max, 1000);
    notify_config_cleanup(&c);
}

static void test_files_and_print(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *url = tmpdir_path(dir, "url");
    char *secret = tmpdir_path(dir, "secret");
    struct sw_err err = {0};
    const char *u = "https://hooks.example:8443/services/" TOKEN "?k=" TOKEN "\n";
    assert_int_equal(sw_file_write_atomic(url, u, strlen(u), &err), 0);
    assert_int_equal(sw_file_write_atomic(secret, "k3y\n", 4, &err), 0);
    char text[8192];
    snprintf(text, sizeof text,
             "webhooks = (\n"
             "  { name = \"slack\"; url_file = \"%s\"; format = \"slack\";\n"
             "    events = [\"wave_halted\", \"stage_completed\"];\n"
             "    headers = [\"Authorization: Bearer " TOKEN "\"]; secret_file = \"%s\";\n"
             "    timeout_s = \"2s\"; connect_timeout_s = 1; max_attempts = 3;\n"
             "    retry_base_ms = 50; retry_max_s = 1; queue_max = 10; }\n"
             ");\n",
             url, secret);
    struct notify_config c, again;
    assert_int_equal(load(text, &c, &err), 0);
    const struct notify_hook_config *h = &c.hooks[0];
    assert_string_equal(h->url, "https://hooks.example:8443/services/" TOKEN "?k=" TOKEN);
    assert_int_equal(h->secret_len, 3);
    assert_memory_equal(h->secret, "k3y", 3);
    assert_int_equal(h->format, NOTIFY_FORMAT_SLACK);
    assert_int_equal(h->events, (1u << NOTIFY_WAVE_HALTED) | (1u << NOTIFY_STAGE_COMPLETED));
    assert_int_equal(h->timeout_ms, 2000);
    assert_int_equal(h->connect_timeout_ms, 1000);
    assert_int_equal(h->queue_max, 10);
    assert_int_equal(load(text, &again, &err), 0);
    assert_true(notify_config_equal(&c, &again));
    again.hooks[0].secret[0] = 'K';
    assert_false(notify_config_equal(&c, &again));
    struct sw_strbuf out;
    sw_strbuf_init(&out, 1 << 16);
    assert_int_equal(notify_config_print(&c, &out, &err), 0);
    assert_null(strstr(sw_strbuf_str(&out), TOKEN));
    assert_null(strstr(sw_strbuf_str(&out), "k3y"));
    assert_non_null(strstr(sw_strbuf_str(&out), "headers = [\"Authorization: <redacted>\"];"));
    char red[256];
    notify_url_redacted(h->url, red, sizeof red);
    assert_string_equal(red, "https://hooks.example:8443/<redacted>");
    notify_url_redacted("not a url", red, sizeof red);
    assert_string_equal(red, "<redacted>");
    sw_strbuf_cleanup(&out);
    notify_config_cleanup(&again);
    notify_config_cleanup(&c);
    unlink(url);
    unlink(secret);
    rmdir(dir);
    free(url);
    free(secret);
    free(dir);
}

struct err_case {
    const char *text;
    const char *want;
};

static void test_errors(void **state)
{
    (void)state;
    static const struct err_case cases[] = {
        {"webhooks = 3;", "c.conf:1: webhooks: expected a list of at most 32 groups: ( { ... }, "
                          "{ ... } )"},
        {"webhooks = ( 3 );", "c.conf:1: webhooks[1]: expected a group { name = ...; url = ...; }"},
        {"webhooks = ( { url = \"https://h/" TOKEN "\"; } );",
         "c.conf:1: webhooks[1].name: needs a name of letters, digits, '.', '_' or '-'"},
        {"webhooks = ( { name = \"a b\"; url = \"https://h/x\"; } );",
         "c.conf:1: webhooks[1].name: needs a name of letters, digits, '.', '_' or '-'"},
        {"webhooks = ( { name = \"a\"; } );",
         "c.conf:1: webhooks[1]: set exactly one of url and url_file"},
        {"webhooks = ( { name = \"a\";\n url = \"ftp://h/" TOKEN "\"; } );",
         "c.conf:2: webhooks[1].url: not an http:// or https:// URL"},
        {"webhooks = ( { name = \"a\"; url = \"" TOKEN "\"; } );",
         "c.conf:1: webhooks[1].url: not an http:// or https:// URL"},
        {"webhooks = ( { name = \"a\"; url_file = \"/nonexistent/sw-url\"; } );",
         "c.conf:1: webhooks[1].url_file: /nonexistent/sw-url: cannot open"},
        {"webhooks = ( { name = \"a\"; url = \"http://h/x\"; format = \"xml\"; } );",
         "c.conf:1: webhooks[1].format: 'xml' is not json or slack"},
        {"webhooks = ( { name = \"a\"; url = \"http://h/x\"; events = [\"halt\"]; } );",
         "c.conf:1: webhooks[1].events: 'halt' is not an event"},
        {"webhooks = ( { name = \"a\"; url = \"http://h/x\"; events = []; } );",
         "c.conf:1: webhooks[1].events: expected a non-empty list of event names"},
        {"webhooks = ( { name = \"a\"; url = \"http://h/x\"; headers = [\"X: a\\nB: c\"]; } );",
         "c.conf:1: webhooks[1].headers: item 1 is not \"Name: value\""},
        {"webhooks = ( { name = \"a\"; url = \"http://h/x\"; timeout_s = 0; } );",
         "c.conf:1: webhooks[1].timeout_s: out of range [1, 600] (s)"},
        {"webhooks = ( { name = \"a\"; url = \"http://h/x\"; max_attempts = 0; } );",
         "c.conf:1: webhooks[1].max_attempts: 0 is out of range [1, 100]"},
        {"webhooks = ( { name = \"a\"; url = \"http://h/x\"; retry_base_ms = 5000; "
         "retry_max_s = 1; } );",
         "c.conf:1: webhooks[1]: retry_max_s must not be below retry_base_ms"},
        {"webhooks = ( { name = \"a\"; url = \"http://h/x\"; tmeout_s = 1; } );",
         "c.conf:1: webhooks[1].tmeout_s: unknown setting"},
        {"webhooks = ( { name = \"a\"; url = \"http://h/x\"; },\n { name = \"a\"; url = "
         "\"http://h/y\"; } );",
         "c.conf:2: webhooks[2].name: name 'a' is used by webhooks[1] too"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct notify_config c;
        struct sw_err err = {0};
        assert_int_equal(load(cases[i].text, &c, &err) < 0, 1);
        if (strncmp(err.msg, cases[i].want, strlen(cases[i].want)) != 0) {
            fail_msg("case %zu: got '%s', want '%s'", i, err.msg, cases[i].want);
        }
        assert_null(strstr(err.msg, TOKEN));
        assert_int_equal(c.n_hooks, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_inline),
        cmocka_unit_test(test_files_and_print),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
