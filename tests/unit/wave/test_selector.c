/* Unit tests for coordinator/wave/selector.c: parsing (canonical form, exact errors
 * with columns) and matching against shards' labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "wave/selector.h"

struct parse_case {
    const char *input;
    const char *canonical; /* NULL: an error is expected */
    const char *error;
};

static const struct parse_case parse_cases[] = {
    {"*", "*", NULL},
    {"  *  ", "*", NULL},
    {"tier=canary", "tier=canary", NULL},
    {" tier = canary ", "tier=canary", NULL},
    {"region!=eu", "region!=eu", NULL},
    {"region in (eu, us)", "region in (eu,us)", NULL},
    {"region in(eu)", "region in (eu)", NULL},
    {"region notin (ap)", "region notin (ap)", NULL},
    {"has(host)", "has(host)", NULL},
    {"has ( host )", "has(host)", NULL},
    {"host", "has(host)", NULL},
    {"!host", "!host", NULL},
    {"! host", "!host", NULL},
    {"has", "has(has)", NULL},
    {"in", "has(in)", NULL},
    {"tier=canary,region in (eu,us),!legacy", "tier=canary,region in (eu,us),!legacy", NULL},
    {"app.kubernetes-io_x=v1.2:3/x", "app.kubernetes-io_x=v1.2:3/x", NULL},
    {"tier=Canary", "tier=Canary", NULL},
    {"", NULL, "selector '': column 1: expected a label key or '*'"},
    {"   ", NULL, "selector '   ': column 4: expected a label key or '*'"},
    {"tier==x", NULL, "selector 'tier==x': column 6: expected a value"},
    {"tier=", NULL, "selector 'tier=': column 6: expected a value"},
    {"tier!x", NULL,
     "selector 'tier!x': column 5: expected '=', '!=', 'in', 'notin', ',' or the end"},
    {"Tier=x", NULL,
     "selector 'Tier=x': column 1: bad label key 'Tier' (use [a-z0-9_.-], 1..64 characters)"},
    {"tier=canary,", NULL, "selector 'tier=canary,': column 13: expected a label key"},
    {",tier=canary", NULL, "selector ',tier=canary': column 1: expected a label key or '*'"},
    {"region in ()", NULL, "selector 'region in ()': column 12: expected a value"},
    {"region in (eu,)", NULL, "selector 'region in (eu,)': column 15: expected a value"},
    {"region in (eu", NULL, "selector 'region in (eu': column 14: expected ',' or ')'"},
    {"region in eu", NULL, "selector 'region in eu': column 11: expected '('"},
    {"has(host", NULL, "selector 'has(host': column 9: expected ')'"},
    {"has()", NULL, "selector 'has()': column 5: expected a label key"},
    {"!", NULL, "selector '!': column 2: expected a label key"},
    {"tier=canary region=eu", NULL,
     "selector 'tier=canary region=eu': column 13: expected ',' or the end"},
    {"tier=a=b", NULL, "selector 'tier=a=b': column 7: expected ',' or the end"},
    {"*,tier=x", NULL,
     "selector '*,tier=x': column 1: bad label key '*' (use [a-z0-9_.-], "
     "1..64 characters)"},
    {"tier x", NULL,
     "selector 'tier x': column 6: expected '=', '!=', 'in', 'notin', ',' or the end"},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const struct parse_case *c = &parse_cases[i];
        struct selector sel = {0};
        struct sw_err err = {0};
        int rc = selector_parse(c->input, &sel, &err);
        if (c->canonical == NULL) {
            if (rc == 0) {
                fail_msg("'%s': parsed, expected error %s", c->input, c->error);
            }
            assert_int_equal(rc, SW_EINVAL);
            assert_string_equal(err.msg, c->error);
            assert_int_equal(sel.n_reqs, 0);
            continue;
        }
        if (rc != 0) {
            fail_msg("'%s': unexpected error: %s", c->input, err.msg);
        }
        struct sw_strbuf sb;
        sw_strbuf_init(&sb, 4096);
        assert_int_equal(selector_format(&sel, &sb, &err), 0);
        assert_string_equal(sw_strbuf_str(&sb), c->canonical);
        /* The canonical text parses to the same canonical text. */
        struct selector again = {0};
        assert_int_equal(selector_parse(sw_strbuf_str(&sb), &again, &err), 0);
        struct sw_strbuf sb2;
        sw_strbuf_init(&sb2, 4096);
        assert_int_equal(selector_format(&again, &sb2, &err), 0);
        assert_string_equal(sw_strbuf_str(&sb2), c->canonical);
        sw_strbuf_cleanup(&sb2);
        sw_strbuf_cleanup(&sb);
        selector_cleanup(&again);
        selector_cleanup(&sel);
    }
}

static void test_limits(void **state)
{
    (void)state;
    struct sw_err err = {0};
    struct selector sel = {0};
    char key[FLEET_LABEL_MAX + 3];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    assert_int_equal(selector_parse(key, &sel, &err), SW_EINVAL);
    assert_non_null(strstr(err.msg, "column 1: bad label key"));
    key[FLEET_LABEL_MAX] = '\0';
    assert_int_equal(selector_parse(key, &sel, &err), 0);
    selector_cleanup(&sel);

    char text[SELECTOR_MAX_REQS * 4 + 8] = "";
    size_t len = 0;
    for (int i = 0; i <= SELECTOR_MAX_REQS; i++) {
        text[len++] = (char)('a' + i % 26);
        text[len++] = ',';
    }
    text[len - 1] = '\0';
    assert_int_equal(selector_parse(text, &sel, &err), SW_ETOOBIG);
    assert_non_null(strstr(err.msg, "more than 64 requirements"));
    assert_int_equal(sel.n_reqs, 0);

    char value[FLEET_LABEL_VAL_MAX + 8] = "k=";
    memset(value + 2, 'v', FLEET_LABEL_VAL_MAX + 1);
    value[FLEET_LABEL_VAL_MAX + 3] = '\0';
    assert_int_equal(selector_parse(value, &sel, &err), SW_EINVAL);
    assert_non_null(strstr(err.msg, "column 3: value is longer than 128 characters"));
    value[FLEET_LABEL_VAL_MAX + 2] = '\0';
    assert_int_equal(selector_parse(value, &sel, &err), 0);
    selector_cleanup(&sel);
}

/* A shard with labels given as "k=v" strings, sorted by key. */
struct test_shard {
    struct fleet_label labels[4];
    struct fleet_shard shard;
};

static void make_shard(struct test_shard *t, const char *const *kv, size_t n)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < n; i++) {
        t->labels[i].key = (char *)kv[2 * i];
        t->labels[i].value = (char *)kv[2 * i + 1];
    }
    t->shard.id = (char *)"t-1";
    t->shard.n_labels = n;
    t->shard.labels = t->labels;
}

struct match_case {
    const char *selector;
    bool canary_eu; /* host=db-1, region=eu, tier=canary */
    bool plain_us;  /* region=us */
    bool bare;      /* no labels */
};

static const struct match_case match_cases[] = {
    {"*", true, true, true},
    {"tier=canary", true, false, false},
    {"tier!=canary", false, true, true},
    {"region=eu", true, false, false},
    {"region!=eu", false, true, true},
    {"region in (eu,us)", true, true, false},
    {"region in (ap)", false, false, false},
    {"region notin (eu)", false, true, true},
    {"region notin (eu,us)", false, false, true},
    {"host", true, false, false},
    {"has(region)", true, true, false},
    {"!host", false, true, true},
    {"!region", false, false, true},
    {"region,!host", false, true, false},
    {"tier=canary,region=us", false, false, false},
    {"tier=canary,region=eu,host=db-1", true, false, false},
    {"tier=Canary", false, false, false},
};

static void test_match_table(void **state)
{
    (void)state;
    static const char *const canary_eu[] = {"host", "db-1", "region", "eu", "tier", "canary"};
    static const char *const plain_us[] = {"region", "us"};
    struct test_shard a;
    struct test_shard b;
    struct test_shard c;
    make_shard(&a, canary_eu, 3);
    make_shard(&b, plain_us, 1);
    make_shard(&c, NULL, 0);
    for (size_t i = 0; i < sizeof match_cases / sizeof match_cases[0]; i++) {
        const struct match_case *m = &match_cases[i];
        struct selector sel = {0};
        struct sw_err err = {0};
        if (selector_parse(m->selector, &sel, &err) != 0) {
            fail_msg("'%s': %s", m->selector, err.msg);
        }
        if (selector_match(&sel, &a.shard) != m->canary_eu ||
            selector_match(&sel, &b.shard) != m->plain_us ||
            selector_match(&sel, &c.shard) != m->bare) {
            fail_msg("'%s': wrong match result", m->selector);
        }
        selector_cleanup(&sel);
    }
}

static void test_cleanup_zeroed_is_noop(void **state)
{
    (void)state;
    struct selector sel = {0};
    selector_cleanup(&sel);
    selector_cleanup(NULL);
    assert_string_equal(selector_op_name(SELECTOR_NOTIN), "notin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_cleanup_zeroed_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
