/* Unit tests for proto/base/cfgtab.c: types, defaults, env overrides, bounds, required,
 * unknown settings, bad types with file:line, reload checks, print and help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sw/cfgtab.h"
#include "../proto/tmpdir.h"

struct tcfg {
    int64_t port;
    bool verbose;
    char *name;
    int64_t tick_ms;
    int64_t ttl_ms;
    struct cfgtab_list pools;
    char *secret;
    char *req;
};

static int check_name(const void *field, struct sw_err *err)
{
    const char *s = *(char *const *)field;
    if (strchr(s, ' ') != NULL) {
        return sw_err_set(err, SW_EINVAL, "'%s' must not contain spaces", s);
    }
    return 0;
}

static const struct cfgtab_entry entries[] = {
    {"port", CFGTAB_INT, offsetof(struct tcfg, port), "7400", 1, 65535, 0, 0, "port", NULL},
    {"verbose", CFGTAB_BOOL, offsetof(struct tcfg, verbose), "false", 0, 0, 0, CFGTAB_RELOADABLE,
     "chatty", NULL},
    {"name", CFGTAB_STRING, offsetof(struct tcfg, name), "demo", 1, 16, 0, CFGTAB_RELOADABLE,
     "a name", check_name},
    {"tick_ms", CFGTAB_DURATION_MS, offsetof(struct tcfg, tick_ms), "500", 10, 60000, 1,
     CFGTAB_RELOADABLE, "tick", NULL},
    {"ttl_s", CFGTAB_DURATION_MS, offsetof(struct tcfg, ttl_ms), "30", 1000, 3600000, 1000, 0,
     "ttl", NULL},
    {"pools", CFGTAB_LIST, offsetof(struct tcfg, pools), "a,b", 1, 4, 0, 0, "pools", NULL},
    {"secret", CFGTAB_STRING, offsetof(struct tcfg, secret), NULL, 0, 0, 0, CFGTAB_SECRET,
     "a secret", NULL},
    {"req", CFGTAB_STRING, offsetof(struct tcfg, req), NULL, 0, 0, 0, CFGTAB_REQUIRED,
     "must be set", NULL},
};

static const struct cfgtab table = {"test", "SW_T_", sizeof entries / sizeof entries[0], entries};

static const char *const no_env[] = {NULL};

static int load_text(const char *text, const char *const *env, struct tcfg *c, struct sw_err *err)
{
    struct cfgtab_source src = {.text = text, .name = "t.conf", .env = env};
    memset(c, 0, sizeof *c);
    return cfgtab_load(&table, &src, c, err);
}

static void test_defaults(void **state)
{
    (void)state;
    struct tcfg c;
    struct sw_err err = {0};
    assert_int_equal(load_text("req = \"x\";", no_env, &c, &err), 0);
    assert_int_equal(c.port, 7400);
    assert_false(c.verbose);
    assert_string_equal(c.name, "demo");
    assert_int_equal(c.tick_ms, 500);
    assert_int_equal(c.ttl_ms, 30000);
    assert_int_equal(c.pools.n_items, 2);
    assert_string_equal(c.pools.items[0], "a");
    assert_string_equal(c.pools.items[1], "b");
    assert_null(c.secret);
    assert_string_equal(c.req, "x");
    cfgtab_cleanup(&table, &c);
    assert_null(c.name);
    assert_null(c.pools.items);
}

static void test_file_values(void **state)
{
    (void)state;
    struct tcfg c;
    struct sw_err err = {0};
    const char *text = "port = 8000; verbose = true; name = \"n1\"; tick_ms = \"2s\";\n"
                       "ttl_s = 60; pools = [\"eu\", \"us\", \"ap\"]; secret = \"s3\";\n"
                       "req = \"r\";\n";
    assert_int_equal(load_text(text, no_env, &c, &err), 0);
    assert_int_equal(c.port, 8000);
    assert_true(c.verbose);
    assert_string_equal(c.name, "n1");
    assert_int_equal(c.tick_ms, 2000);
    assert_int_equal(c.ttl_ms, 60000);
    assert_int_equal(c.pools.n_items, 3);
    assert_string_equal(c.pools.items[2], "ap");
    assert_string_equal(c.secret, "s3");
    cfgtab_cleanup(&table, &c);
}

static void test_env_override(void **state)
{
    (void)state;
    struct tcfg c;
    struct sw_err err = {0};
    const char *const env[] = {"SW_T_PORT=9001",
                               "SW_T_VERBOSE=yes",
                               "SW_T_TTL_S=2m",
                               "SW_T_POOLS= x , y,,z",
                               "SW_T_REQ=from-env",
                               "SW_T_PORTX=1",
                               NULL};
    assert_int_equal(load_text("port = 8000; req = \"file\";", env, &c, &err), 0);
    assert_int_equal(c.port, 9001);
    assert_true(c.verbose);
    assert_int_equal(c.ttl_ms, 120000);
    assert_int_equal(c.pools.n_items, 3);
    assert_string_equal(c.pools.items[0], "x");
    assert_string_equal(c.pools.items[1], "y");
    assert_string_equal(c.pools.items[2], "z");
    assert_string_equal(c.req, "from-env");
    cfgtab_cleanup(&table, &c);
}

struct error_case {
    const char *text;
    const char *env0; /* one "NAME=value" or NULL */
    const char *message;
    const char *hint; /* or NULL: not checked */
};

static const struct error_case error_cases[] = {
    {"req = \"x\";\nport = 0;", NULL, "t.conf:2: port: 0 is out of range [1, 65535]", NULL},
    {"req = \"x\";\n\nport = \"80\";", NULL, "t.conf:3: port: expected an integer, got a string",
     NULL},
    {"req = \"x\"; verbose = 1;", NULL,
     "t.conf:1: verbose: expected a boolean (true or false), got an integer", NULL},
    {"req = \"x\"; name = \"\";", NULL, "t.conf:1: name: must not be empty", NULL},
    {"req = \"x\"; name = \"12345678901234567\";", NULL, "t.conf:1: name: longer than 16 bytes",
     NULL},
    {"req = \"x\"; name = \"a b\";", NULL, "name: 'a b' must not contain spaces", NULL},
    {"req = \"x\"; tick_ms = 5;", NULL, "t.conf:1: tick_ms: 5ms is out of range [10ms, 1m]", NULL},
    {"req = \"x\"; tick_ms = \"soon\";", NULL,
     "t.conf:1: tick_ms: 'soon' is not a duration (a whole number with ms, s, m or h)", NULL},
    {"req = \"x\"; ttl_s = 2.5;", NULL,
     "t.conf:1: ttl_s: expected an integer or a duration string such as \"30s\", got a decimal "
     "number",
     NULL},
    {"req = \"x\"; ttl_s = -1;", NULL, "t.conf:1: ttl_s: a duration cannot be negative", NULL},
    {"req = \"x\"; pools = [];", NULL, "t.conf:1: pools: 0 items, expected 1 to 4", NULL},
    {"req = \"x\"; pools = \"a\";", NULL,
     "t.conf:1: pools: expected a list of strings such as [\"a\", \"b\"], got a string", NULL},
    {"req = \"x\"; pools = (\"a\", 1);", NULL, "t.conf:1: pools: item 2 is not a string", NULL},
    {"req = \"x\";\ntik_ms = 5;", NULL, "t.conf:2: unknown setting 'tik_ms'",
     "did you mean 'tick_ms'?"},
    {"req = \"x\";\nbananas = 5;", NULL, "t.conf:2: unknown setting 'bananas'",
     "see --help for the settings"},
    {"req = \"x\";\nport = ;", NULL, "t.conf:2: syntax error", NULL},
    {"port = 1;", NULL, "req is required", "set req in the config file or SW_T_REQ"},
    {"req = \"x\";", "SW_T_PORT=fast", "SW_T_PORT: 'fast' is not a whole number", NULL},
    {"req = \"x\";", "SW_T_PORT=70000", "SW_T_PORT: 70000 is out of range [1, 65535]", NULL},
    {"req = \"x\";", "SW_T_VERBOSE=maybe", "SW_T_VERBOSE: 'maybe' is not a boolean (true or false)",
     NULL},
    {"req = \"x\";", "SW_T_TICK_MS=1h", "SW_T_TICK_MS: 1h is out of range [10ms, 1m]", NULL},
    {"req = \"x\";", "SW_T_POOLS=a,b,c,d,e", "SW_T_POOLS: 5 items, expected 1 to 4", NULL},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const struct error_case *ec = &error_cases[i];
        const char *const env[] = {ec->env0, NULL};
        struct tcfg c;
        struct sw_err err = {0};
        int rc = load_text(ec->text, env, &c, &err);
        if (rc != SW_EINVAL || strcmp(err.msg, ec->message) != 0) {
            fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err.msg, ec->message);
        }
        if (ec->hint != NULL) {
            assert_string_equal(err.hint, ec->hint);
        }
        /* cleaned up on failure */
        assert_null(c.name);
        assert_null(c.req);
        assert_null(c.pools.items);
    }
}

static void test_file_path(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    tmpdir_write(dir, "x.conf", "req = \"x\";\n# comment\nverbose = \"yes\";\n");
    struct tcfg c = {0};
    struct sw_err err = {0};
    struct cfgtab_source src = {.path = "x.conf", .env = no_env};
    assert_int_equal(cfgtab_load(&table, &src, &c, &err), SW_EINVAL);
    assert_string_equal(err.msg,
                        "x.conf:3: verbose: expected a boolean (true or false), got a string");
    src.path = "missing.conf";
    assert_int_equal(cfgtab_load(&table, &src, &c, &err), SW_ENOTFOUND);
    assert_string_equal(err.msg,
                        "missing.conf: cannot read the config file: No such file or directory");
    assert_int_equal(chdir(cwd), 0);
    tmpdir_remove(dir);
}

static void test_reload(void **state)
{
    (void)state;
    struct tcfg a, b;
    struct sw_err err = {0};
    struct sw_strbuf changed;
    sw_strbuf_init(&changed, 1024);
    assert_int_equal(load_text("req = \"x\";", no_env, &a, &err), 0);
    assert_int_equal(load_text("req = \"x\"; tick_ms = 600; verbose = true;", no_env, &b, &err), 0);
    assert_int_equal(cfgtab_check_reload(&table, &a, &b, &changed, &err), 0);
    assert_string_equal(sw_strbuf_str(&changed), "verbose, tick_ms");
    cfgtab_cleanup(&table, &b);
    assert_int_equal(load_text("req = \"y\"; port = 1; pools = [\"a\"];", no_env, &b, &err), 0);
    sw_strbuf_reset(&changed);
    assert_int_equal(cfgtab_check_reload(&table, &a, &b, &changed, &err), SW_ECONFLICT);
    assert_string_equal(err.msg,
                        "cannot change port, pools, req on reload: restart the test to apply them");
    assert_string_equal(sw_strbuf_str(&changed), "port, pools, req");
    cfgtab_cleanup(&table, &b);
    assert_int_equal(load_text("req = \"x\"; ttl_s = 31;", no_env, &b, &err), 0);
    assert_int_equal(cfgtab_check_reload(&table, &a, &b, NULL, &err), SW_ECONFLICT);
    assert_string_equal(err.msg, "cannot change ttl_s on reload: restart the test to apply it");
    cfgtab_cleanup(&table, &a);
    cfgtab_cleanup(&table, &b);
    sw_strbuf_cleanup(&changed);
}

static void test_print_and_help(void **state)
{
    (void)state;
    struct tcfg c;
    struct sw_err err = {0};
    const char *text = "req = \"q\\\"x\"; secret = \"hunter2\"; tick_ms = \"1500ms\"; "
                       "port = 8080; ttl_s = \"90s\";";
    assert_int_equal(load_text(text, no_env, &c, &err), 0);
    struct sw_strbuf out;
    sw_strbuf_init(&out, 1 << 16);
    assert_int_equal(cfgtab_print(&table, &c, &out, &err), 0);
    assert_string_equal(sw_strbuf_str(&out), "port = 8080;\n"
                                             "verbose = false;\n"
                                             "name = \"demo\";\n"
                                             "tick_ms = 1500;\n"
                                             "ttl_s = 90;\n"
                                             "pools = [\"a\", \"b\"];\n"
                                             "secret = \"<redacted>\";\n"
                                             "req = \"q\\\"x\";\n");
    assert_null(strstr(sw_strbuf_str(&out), "hunter2"));
    /* The printed config loads back to the same values (secret aside). */
    struct tcfg back;
    assert_int_equal(load_text(sw_strbuf_str(&out), no_env, &back, &err), 0);
    assert_int_equal(back.tick_ms, 1500);
    assert_string_equal(back.req, "q\"x");
    cfgtab_cleanup(&table, &back);
    cfgtab_cleanup(&table, &c);
    sw_strbuf_reset(&out);
    assert_int_equal(cfgtab_help(&table, &out, &err), 0);
    const char *h = sw_strbuf_str(&out);
    assert_non_null(strstr(h, "test settings (libconfig file; environment overrides):\n"));
    assert_non_null(strstr(h, "  port (integer, 1..65535, default 7400, restart to change)\n"
                              "      port\n"
                              "      environment: SW_T_PORT\n"));
    assert_non_null(strstr(h, "  ttl_s (duration, seconds, 1s..1h, default 30, restart to "
                              "change)\n"));
    assert_non_null(strstr(h, "  req (string, required, restart to change)\n"));
    assert_non_null(strstr(h, "  secret (string, restart to change, secret)\n"));
    sw_strbuf_cleanup(&out);
}

static void test_duration_parse(void **state)
{
    (void)state;
    int64_t ms = 0;
    struct sw_err err = {0};
    assert_int_equal(cfgtab_parse_duration("250ms", 1000, &ms, &err), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(cfgtab_parse_duration("5m", 1, &ms, &err), 0);
    assert_int_equal(ms, 300000);
    assert_int_equal(cfgtab_parse_duration("2h", 1, &ms, &err), 0);
    assert_int_equal(ms, 7200000);
    assert_int_equal(cfgtab_parse_duration("7", 1000, &ms, &err), 0);
    assert_int_equal(ms, 7000);
    assert_int_equal(cfgtab_parse_duration("7d", 1, &ms, &err), SW_EINVAL);
    assert_string_equal(err.msg, "'7d' is not a duration (a whole number with ms, s, m or h)");
    assert_int_equal(cfgtab_parse_duration("-7s", 1, &ms, &err), SW_EINVAL);
    assert_int_equal(cfgtab_parse_duration("99999999999999999999h", 1, &ms, &err), SW_EINVAL);
}

/* A section is accepted by name only (its owner parses it), never printed or read from
 * the environment, and must be a group or a list. */
static void test_section(void **state)
{
    (void)state;
    static const struct cfgtab_entry sec_entries[] = {
        {"port", CFGTAB_INT, offsetof(struct tcfg, port), "7400", 1, 65535, 0, 0, "port", NULL},
        {"hooks", CFGTAB_SECTION, 0, NULL, 0, 0, 0, CFGTAB_RELOADABLE, "webhooks", NULL},
    };
    static const struct cfgtab sec = {"test", "SW_T_", 2, sec_entries};
    const char *const env[] = {"SW_T_HOOKS=x", NULL};
    struct tcfg c = {0};
    struct sw_err err = {0};
    struct cfgtab_source src = {
        .text = "port = 1; hooks = ( { url = \"u\"; } );", .name = "t.conf", .env = env};
    assert_int_equal(cfgtab_load(&sec, &src, &c, &err), 0);
    assert_int_equal(c.port, 1);
    struct sw_strbuf out;
    sw_strbuf_init(&out, 1 << 16);
    assert_int_equal(cfgtab_print(&sec, &c, &out, &err), 0);
    assert_string_equal(sw_strbuf_str(&out), "port = 1;\n");
    sw_strbuf_reset(&out);
    assert_int_equal(cfgtab_help(&sec, &out, &err), 0);
    assert_non_null(strstr(sw_strbuf_str(&out), "  hooks (section, reloadable)\n      webhooks\n"));
    assert_null(strstr(sw_strbuf_str(&out), "SW_T_HOOKS"));
    sw_strbuf_cleanup(&out);
    cfgtab_cleanup(&sec, &c);
    src.text = "hooks = 3;";
    assert_int_equal(cfgtab_load(&sec, &src, &c, &err), SW_EINVAL);
    assert_string_equal(err.msg, "t.conf:1: hooks: expected a group or a list, got an integer");
}

/* CFGTAB_LIST_TEXT: a list setting that also takes one string ("a" or "a, b"). */
struct ucfg {
    struct cfgtab_list urls;
};

static const struct cfgtab_entry url_entries[] = {
    {"urls", CFGTAB_LIST, offsetof(struct ucfg, urls), NULL, 1, 3, 0,
     CFGTAB_REQUIRED | CFGTAB_LIST_TEXT, "urls", NULL},
};
static const struct cfgtab url_table = {"test", "SW_U_", 1, url_entries};

static void test_list_text(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t n;
        const char *first;
        const char *last;
    } cases[] = {
        {"urls = \"http://a:1\";", 1, "http://a:1", "http://a:1"},
        {"urls = \"http://a:1, http://b:2\";", 2, "http://a:1", "http://b:2"},
        {"urls = [\"http://a:1\", \"http://b:2\", \"http://c:3\"];", 3, "http://a:1", "http://c:3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ucfg c = {0};
        struct sw_err err = {0};
        struct cfgtab_source src = {.text = cases[i].text, .name = "u.conf", .env = no_env};
        assert_int_equal(cfgtab_load(&url_table, &src, &c, &err), 0);
        assert_int_equal(c.urls.n_items, cases[i].n);
        assert_string_equal(c.urls.items[0], cases[i].first);
        assert_string_equal(c.urls.items[c.urls.n_items - 1], cases[i].last);
        cfgtab_cleanup(&url_table, &c);
    }
    struct ucfg c = {0};
    struct sw_err err = {0};
    struct cfgtab_source src = {.text = "urls = 3;", .name = "u.conf", .env = no_env};
    assert_int_equal(cfgtab_load(&url_table, &src, &c, &err), SW_EINVAL);
    assert_string_equal(err.msg,
                        "u.conf:1: urls: expected a list of strings such as [\"a\", \"b\"], got an "
                        "integer");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),       cmocka_unit_test(test_file_values),
        cmocka_unit_test(test_env_override),   cmocka_unit_test(test_errors),
        cmocka_unit_test(test_file_path),      cmocka_unit_test(test_reload),
        cmocka_unit_test(test_print_and_help), cmocka_unit_test(test_duration_parse),
        cmocka_unit_test(test_section),        cmocka_unit_test(test_list_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
