/* Unit tests for coordinator/cli/cli_remote.c and cli_table.c: the API's HTTP errors as
 * sw_err (code, message, hint, detail lists), global options moved after the command
 * word, option parsing errors, and table layout. Table-driven; no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_remote.h"
#include "cli_table.h"

static const char hint_401[] =
    "check the token: --token-file FILE, SHARDWAVE_TOKEN_FILE or SHARDWAVE_TOKEN";

static void test_http_errors(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *body;
        int code;
        const char *msg;
        const char *hint;
    } cases[] = {
        {409,
         "{\"error\": {\"code\": \"illegal_transition\", \"message\": \"wave w-1 is completed: "
         "cannot resume\", \"hint\": \"start a new wave\"}}",
         SW_ECONFLICT, "wave w-1 is completed: cannot resume", "start a new wave"},
        {401, "{\"error\": {\"code\": \"unauthorized\", \"message\": \"unknown token\"}}", SW_EAUTH,
         "unknown token", hint_401},
        {403, "{\"error\": {\"code\": \"forbidden\", \"message\": \"role read may not\"}}",
         SW_EAUTH, "role read may not", "this needs a token with the operator role"},
        {404, "{\"error\": {\"code\": \"not_found\", \"message\": \"no wave w-9\"}}", SW_ENOTFOUND,
         "no wave w-9", ""},
        {400,
         "{\"error\": {\"code\": \"invalid_migration_set\", \"message\": \"2 problems\", "
         "\"problems\": [\"V1x.sql: bad name\", \"V2: duplicate\"]}}",
         SW_EINVAL, "2 problems\n  V1x.sql: bad name\n  V2: duplicate", ""},
        {409,
         "{\"error\": {\"code\": \"shard_busy\", \"message\": \"busy: t-1 (w-1)\", \"shards\": "
         "[{\"id\": \"t-1\", \"wave\": \"w-1\"}, {\"id\": \"t-2\", \"wave\": \"w-1\", \"n\": 3}]}}",
         SW_ECONFLICT, "busy: t-1 (w-1)\n  id=t-2 wave=w-1 n=3", ""},
        {405, "{\"error\": {\"code\": \"method_not_allowed\", \"message\": \"use POST\"}}",
         SW_EUNSUPPORTED, "use POST", ""},
        {413, "{\"error\": {\"code\": \"payload_too_large\", \"message\": \"over 1 MiB\"}}",
         SW_ETOOBIG, "over 1 MiB", ""},
        {500, "{\"error\": {\"code\": \"internal_error\", \"message\": \"store failed\"}}",
         SW_EINTERNAL, "store failed", ""},
        {503, "{\"error\": {\"code\": \"unavailable\", \"message\": \"shutting down\"}}",
         SW_ECONNECT, "shutting down", "the coordinator is shutting down; retry when it is back"},
        {502, "<html>bad gateway</html>", SW_EINTERNAL,
         "the coordinator at http://c:1 answered HTTP 502", ""},
        {418, "{}", SW_EINVAL, "the coordinator at http://c:1 answered HTTP 418", ""},
        {401, "", SW_EAUTH, "the coordinator at http://c:1 answered HTTP 401", hint_401},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sw_err err = {0};
        int rc = cli_remote_http_error("http://c:1", cases[i].status, cases[i].body, &err);
        assert_int_equal(rc, cases[i].code);
        assert_int_equal(err.code, cases[i].code);
        assert_string_equal(err.msg, cases[i].msg);
        assert_string_equal(err.hint, cases[i].hint);
    }
}

#define HOIST_MAX 8

static void test_hoist_globals(void **state)
{
    (void)state;
    static const struct {
        const char *in[HOIST_MAX];
        const char *out[HOIST_MAX];
    } cases[] = {
        {{"shardwave", "--coordinator", "U", "wave", "list"},
         {"shardwave", "wave", "--coordinator", "U", "list"}},
        {{"shardwave", "--json", "--timeout=3", "fleet", "--drift"},
         {"shardwave", "fleet", "--json", "--timeout=3", "--drift"}},
        {{"wave", "--token-file", "f", "--ca-file", "c", "status", "w-1"},
         {"wave", "status", "--token-file", "f", "--ca-file", "c", "w-1"}},
        {{"shardwave", "--log-level", "debug", "info"},
         {"shardwave", "info", "--log-level", "debug"}},
        {{"shardwave", "fleet", "--json"}, {"shardwave", "fleet", "--json"}},
        {{"shardwave", "--coordinator", "U"}, {"shardwave", "--coordinator", "U"}},
        {{"shardwave", "--help"}, {"shardwave", "--help"}},
        {{"shardwave", "--bogus", "fleet"}, {"shardwave", "--bogus", "fleet"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[HOIST_MAX] = {0};
        int argc = 0;
        while (argc < HOIST_MAX && cases[i].in[argc] != NULL) {
            argv[argc] = (char *)cases[i].in[argc];
            argc++;
        }
        assert_int_equal(cli_remote_hoist_globals(argc, argv), 0);
        for (int k = 0; k < argc; k++) {
            assert_string_equal(argv[k], cases[i].out[k]);
        }
    }
}

static void test_args_errors(void **state)
{
    (void)state;
    static const struct {
        const char *argv[6];
        unsigned allowed;
        size_t max_pos;
        const char *msg;
    } cases[] = {
        {{"status", "--frob"}, 0, 1, "wave status: unknown option '--frob'"},
        {{"status", "w-1", "--frob", "x"}, 0, 1, "wave status: unknown option '--frob'"},
        {{"status", "--drift"}, 0, 1, "wave status: option '--drift' does not apply here"},
        {{"status", "a", "b"}, 0, 1, "wave status: unexpected argument 'b'"},
        {{"status", "--timeout"}, 0, 1, "wave status: missing value for option '--timeout'"},
        {{"status", "w-1", "--reason"},
         CLI_REMOTE_OPT(CLI_ROPT_REASON),
         1,
         "wave status: missing value for option '--reason'"},
        {{"status", "--timeout", "0"}, 0, 1, "wave status: --timeout: 0 is out of range [1, 3600]"},
        {{"status", "--after", "-1"},
         CLI_REMOTE_OPT(CLI_ROPT_AFTER),
         1,
         "wave status: --after: -1 is out of range [0, 9223372036854775807]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[6] = {0};
        int argc = 0;
        while (argc < 6 && cases[i].argv[argc] != NULL) {
            argv[argc] = (char *)cases[i].argv[argc];
            argc++;
        }
        struct cli_remote_args a;
        struct sw_err err = {0};
        int rc = cli_remote_args_parse(argc, argv, "wave status", cases[i].allowed,
                                       cases[i].max_pos, &a, &err);
        assert_int_equal(rc, SW_EINVAL);
        assert_string_equal(err.msg, cases[i].msg);
    }
}

static void test_args_values(void **state)
{
    (void)state;
    char *argv[] = {"abort",  "w-1",         "--reason", "why", "--cancel-running",
                    "--json", "--timeout=5", NULL};
    struct cli_remote_args a;
    struct sw_err err = {0};
    unsigned allowed = CLI_REMOTE_OPT(CLI_ROPT_REASON) | CLI_REMOTE_OPT(CLI_ROPT_CANCEL_RUNNING);
    assert_int_equal(cli_remote_args_parse(7, argv, "wave abort", allowed, 1, &a, &err), 0);
    assert_int_equal(a.n_pos, 1);
    assert_string_equal(a.pos[0], "w-1");
    assert_string_equal(a.reason, "why");
    assert_true(a.cancel_running);
    assert_true(a.json);
    assert_int_equal(a.timeout_s, 5);
    assert_null(a.coordinator);
}

static void test_table(void **state)
{
    (void)state;
    static const char *const head[] = {"A", "BB", ""};
    static const char *const row1[] = {"xyz", NULL, "long last cell"};
    static const char *const row2[] = {"", "c", ""};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    struct cli_table t;
    struct sw_err err = {0};
    assert_int_equal(cli_table_init(&t, 3, head, &err), 0);
    assert_int_equal(cli_table_add(&t, row1, &err), 0);
    assert_int_equal(cli_table_add(&t, row2, &err), 0);
    t.indent = "> ";
    cli_table_print(&t, f);
    cli_table_cleanup(&t);
    fclose(f);
    assert_string_equal(text, "> A    BB  \n"
                              "> xyz  -   long last cell\n"
                              "> -    c   -\n");
    free(text);
    cli_table_cleanup(&t); /* twice: safe on a zeroed table */
    assert_int_equal(cli_table_init(&t, CLI_TABLE_MAX_COLS + 1, head, &err), SW_EINTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_errors), cmocka_unit_test(test_hoist_globals),
        cmocka_unit_test(test_args_errors), cmocka_unit_test(test_args_values),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
