/* The logger's line shapes: logfmt and JSON, context keys lifted out of the message and
 * taken from kv, quoting (table-driven; stderr captured in a temp file, ts cut off). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sw/log.h"

static const struct {
    enum log_format format;
    const char *kv;
    const char *msg;
    const char *want; /* the line after the timestamp */
} cases[] = {
    {LOG_FORMAT_LOGFMT, NULL, "plain text", " level=info msg=\"plain text\"\n"},
    {LOG_FORMAT_LOGFMT, NULL, "wave=w-1 shard=s-1 running -> paused (operator x)",
     " level=info msg=\"running -> paused (operator x)\" wave=w-1 shard=s-1\n"},
    {LOG_FORMAT_LOGFMT, NULL, "wave=w-1", " level=info msg=\"wave=w-1\"\n"},
    {LOG_FORMAT_LOGFMT, NULL, "user=bob did \"it\"",
     " level=info msg=\"user=bob did \\\"it\\\"\"\n"},
    {LOG_FORMAT_LOGFMT, "lease=l-1 shard=s-2 kind=migrate", "line\none",
     " level=info msg=\"line one\" lease=l-1 shard=s-2 kind=migrate\n"},
    {LOG_FORMAT_LOGFMT, "note=\"two words\"", "x", " level=info msg=\"x\" note=\"two words\"\n"},
    {LOG_FORMAT_JSON, "lease=l-1", "agent=a-1 lost \"it\"\tnow",
     "\"level\":\"info\",\"msg\":\"lost \\\"it\\\"\\u0009now\",\"agent\":\"a-1\",\"lease\":"
     "\"l-1\"}\n"},
};

static void test_lines(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *tmp = tmpfile();
        assert_non_null(tmp);
        int saved = dup(STDERR_FILENO);
        dup2(fileno(tmp), STDERR_FILENO);
        log_setup_format(LOG_INFO, cases[i].format);
        log_write(LOG_INFO, cases[i].kv, "%s", cases[i].msg);
        log_write(LOG_DEBUG, NULL, "not shown");
        dup2(saved, STDERR_FILENO);
        close(saved);
        char line[1024] = "";
        rewind(tmp);
        size_t n = fread(line, 1, sizeof line - 1, tmp);
        line[n] = '\0';
        fclose(tmp);
        const char *prefix = cases[i].format == LOG_FORMAT_JSON ? "{\"ts\":\"" : "ts=";
        assert_int_equal(strncmp(line, prefix, strlen(prefix)), 0);
        const char *rest = strstr(line, cases[i].format == LOG_FORMAT_JSON ? "Z\"," : "Z ");
        assert_non_null(rest);
        if (strcmp(rest + (cases[i].format == LOG_FORMAT_JSON ? 3 : 1), cases[i].want) != 0) {
            fail_msg("case %zu: got '%s'", i, line);
        }
    }
    log_setup_format(LOG_INFO, LOG_FORMAT_LOGFMT);
}

static void test_parse(void **state)
{
    (void)state;
    enum log_format f = LOG_FORMAT_LOGFMT;
    assert_int_equal(log_format_parse("json", &f), 0);
    assert_int_equal(f, LOG_FORMAT_JSON);
    assert_string_equal(log_format_name(f), "json");
    assert_int_equal(log_format_parse("logfmt", &f), 0);
    assert_int_equal(f, LOG_FORMAT_LOGFMT);
    assert_int_equal(log_format_parse("xml", &f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
