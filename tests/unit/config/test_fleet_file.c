/* Unit tests for coordinator/config/fleet_file.c: a good file (defaults, ranges, sorting),
 * every error message, the shared checks and the reload diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/fleet_file.h"
#include "../proto/tmpdir.h"

static const char good[] =
    "# demo fleet\n"
    "defaults = { pool = \"eu\"; engine = \"sqlite\"; labels = { region = \"eu\"; }; };\n"
    "shards = (\n"
    "  { id = \"t-010\"; engine = \"pg\"; labels = { tier = \"canary\"; host = \"db-1\"; }; },\n"
    "  { id = \"a:1\"; pool = \"us\"; labels = { region = \"us\"; }; }\n"
    ");\n"
    "ranges = ( { prefix = \"tenant-\"; from = 8; to = 11; width = 3; engine = \"mysql\";\n"
    "             labels = { host = \"db-2\"; }; } );\n";

static void test_good(void **state)
{
    (void)state;
    struct fleet f = {0};
    struct sw_err err = {0};
    if (fleet_file_parse(good, "fleet.conf", &f, &err) != 0) {
        fail_msg("%s", err.msg);
    }
    const char *ids[] = {"a:1", "t-010", "tenant-008", "tenant-009", "tenant-010", "tenant-011"};
    assert_int_equal(f.n_shards, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(f.shards[i].id, ids[i]);
    }
    const struct fleet_shard *a = &f.shards[0];
    assert_int_equal(a->engine, MIGSET_ENGINE_SQLITE);
    assert_string_equal(a->pool, "us");
    assert_int_equal(a->n_labels, 1);
    assert_string_equal(fleet_shard_label(a, "region"), "us");
    const struct fleet_shard *t = &f.shards[1];
    assert_int_equal(t->engine, MIGSET_ENGINE_PG);
    assert_string_equal(t->pool, "eu");
    assert_int_equal(t->n_labels, 3);
    assert_string_equal(t->labels[0].key, "host"); /* sorted */
    assert_string_equal(t->labels[1].key, "region");
    assert_string_equal(t->labels[2].key, "tier");
    assert_string_equal(fleet_shard_label(t, "tier"), "canary");
    const struct fleet_shard *r = &f.shards[5];
    assert_int_equal(r->engine, MIGSET_ENGINE_MYSQL);
    assert_string_equal(fleet_shard_label(r, "host"), "db-2");
    assert_string_equal(fleet_shard_label(r, "region"), "eu");
    assert_int_equal(fleet_find(&f, "tenant-009"), 3);
    fleet_cleanup(&f);
}

static void test_minimal_and_empty(void **state)
{
    (void)state;
    struct fleet f = {0};
    struct sw_err err = {0};
    assert_int_equal(
        fleet_file_parse("shards = ( { id = \"x\"; engine = \"pg\"; } );", "f", &f, &err), 0);
    assert_int_equal(f.n_shards, 1);
    assert_string_equal(f.shards[0].pool, "default");
    assert_int_equal(f.shards[0].n_labels, 0);
    fleet_cleanup(&f);
    assert_int_equal(fleet_file_parse("# nothing yet\n", "f", &f, &err), 0);
    assert_int_equal(f.n_shards, 0);
    fleet_cleanup(&f);
}

struct error_case {
    const char *text;
    const char *message;
};

static const struct error_case error_cases[] = {
    {"shards = (\n { id = \"t 1\"; engine = \"pg\"; }\n);",
     "fleet.conf:2: shard 't 1': id may only contain A-Z a-z 0-9 . _ : -"},
    {"shards = ( { id = \"\"; engine = \"pg\"; } );",
     "fleet.conf:1: shard '': id must not be empty"},
    {"shards = ( { id = \"x\"; engine = \"pg\"; pool = \"e u\"; } );",
     "fleet.conf:1: shard 'x': pool may only contain A-Z a-z 0-9 . _ : -"},
    {"shards = ( { id = \"x\"; engine = \"oracle\"; } );",
     "fleet.conf:1: shard 'x': unknown engine 'oracle' (expected pg, mysql or sqlite)"},
    {"shards = ( { id = \"x\"; } );", "fleet.conf:1: shard 'x': engine is required (pg, mysql or "
                                      "sqlite)"},
    {"shards = ( { engine = \"pg\"; } );", "fleet.conf:1: shards[0]: id is required"},
    {"shards = ( { id = 7; engine = \"pg\"; } );", "fleet.conf:1: shards[0]: id must be a string"},
    {"shards = ( { id = \"x\"; engine = \"pg\";\n egine = \"pg\"; } );",
     "fleet.conf:2: shard 'x': unknown setting 'egine'"},
    {"shards = (\n { id = \"x\"; engine = \"pg\"; },\n\n { id = \"x\"; engine = \"pg\"; } );",
     "fleet.conf:4: shard 'x': duplicate id (first at line 2)"},
    {"shards = ( { id = \"t-003\"; engine = \"pg\"; } );\n"
     "ranges = ( { prefix = \"t-\"; from = 1; to = 5; width = 3; engine = \"pg\"; } );",
     "fleet.conf:2: shard 't-003': duplicate id (first at line 1)"},
    {"shards = ( { id = \"x\"; engine = \"pg\"; labels = { Tier = \"a\"; }; } );",
     "fleet.conf:1: shard 'x': label key 'Tier' must be 1 to 64 characters of a-z 0-9 _ . -"},
    {"shards = ( { id = \"x\"; engine = \"pg\"; labels = { tier = 1; }; } );",
     "fleet.conf:1: shard 'x': label 'tier' must be a string"},
    {"shards = ( { id = \"x\"; engine = \"pg\"; labels = { tier = \"\"; }; } );",
     "fleet.conf:1: shard 'x': label 'tier': value must be 1 to 128 printable characters"},
    {"shards = ( { id = \"x\"; engine = \"pg\"; labels = ( \"a\" ); } );",
     "fleet.conf:1: shard 'x': labels must be a group, e.g. labels = { tier = \"canary\"; }"},
    {"shards = { id = \"x\"; };",
     "fleet.conf:1: shards must be a list of groups: shards = ( { ... } );"},
    {"shards = ( \"x\" );", "fleet.conf:1: shards[0] must be a group { ... }"},
    {"shard = ( );", "fleet.conf:1: unknown setting 'shard'"},
    {"defaults = { pool = \"eu\"; region = \"x\"; };",
     "fleet.conf:1: defaults: unknown setting 'region'"},
    {"defaults = \"eu\";", "fleet.conf:1: defaults must be a group"},
    {"defaults = { engine = \"db2\"; };",
     "fleet.conf:1: defaults: unknown engine 'db2' (expected pg, mysql or sqlite)"},
    {"ranges = ( { prefix = \"t-\"; from = 5; to = 1; engine = \"pg\"; } );",
     "fleet.conf:1: ranges[0]: need 0 <= from <= to <= 999999999"},
    {"ranges = ( { prefix = \"t-\"; to = 1; engine = \"pg\"; } );",
     "fleet.conf:1: ranges[0]: from is required"},
    {"ranges = ( { prefix = \"t-\"; from = 1; to = 2; width = 40; engine = \"pg\"; } );",
     "fleet.conf:1: ranges[0]: width must be 0 to 12"},
    {"ranges = ( { prefix = \"t-\"; from = \"1\"; to = 2; engine = \"pg\"; } );",
     "fleet.conf:1: ranges[0]: from must be an integer"},
    {"ranges = ( { prefix = \"t-\"; from = 1; to = 2; engine = \"pg\"; suffix = \"x\"; } );",
     "fleet.conf:1: ranges[0]: unknown setting 'suffix'"},
    {"ranges = ( { prefix = \"t \"; from = 1; to = 2; engine = \"pg\"; } );",
     "fleet.conf:1: shard 't 1': id may only contain A-Z a-z 0-9 . _ : -"},
    {"ranges = ( { prefix = \"t-\"; from = 0; to = 999999; engine = \"pg\"; } );",
     "fleet.conf:1: ranges[0]: more than 200000 shards"},
    {"shards = ( { id = ; } );", "fleet.conf:1: syntax error"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        struct fleet f = {0};
        struct sw_err err = {0};
        int rc = fleet_file_parse(error_cases[i].text, "fleet.conf", &f, &err);
        if (rc >= 0 || strcmp(err.msg, error_cases[i].message) != 0) {
            fail_msg("case %zu: rc %d, message '%s', want '%s'", i, rc, err.msg,
                     error_cases[i].message);
        }
        assert_int_equal(f.n_shards, 0);
        assert_null(f.shards);
    }
}

static void test_too_many_labels(void **state)
{
    (void)state;
    char text[4096] = "shards = ( { id = \"x\"; engine = \"pg\"; labels = { ";
    for (int i = 0; i <= FLEET_MAX_LABELS; i++) {
        char l[32];
        snprintf(l, sizeof l, "k%d = \"v\"; ", i);
        strncat(text, l, sizeof text - strlen(text) - 1);
    }
    strncat(text, "}; } );", sizeof text - strlen(text) - 1);
    struct fleet f = {0};
    struct sw_err err = {0};
    assert_int_equal(fleet_file_parse(text, "fleet.conf", &f, &err), SW_EINVAL);
    assert_string_equal(err.msg, "fleet.conf:1: shard 'x': more than 32 labels");
}

static void test_load_file(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *path = tmpdir_path(dir, "fleet.conf");
    tmpdir_write(dir, "fleet.conf", good);
    struct fleet f = {0};
    struct sw_err err = {0};
    assert_int_equal(fleet_file_load(path, &f, &err), 0);
    assert_int_equal(f.n_shards, 6);
    fleet_cleanup(&f);
    tmpdir_write(dir, "fleet.conf", "shards = (\n{ id = \"x\"; engine = \"pg\"; pool = 1; } );\n");
    assert_int_equal(fleet_file_load(path, &f, &err), SW_EINVAL);
    char want[4200];
    snprintf(want, sizeof want, "%s:2: shard 'x': pool must be a string", path);
    assert_string_equal(err.msg, want);
    tmpdir_unlink(dir, "fleet.conf");
    assert_int_equal(fleet_file_load(path, &f, &err), SW_ENOTFOUND);
    free(path);
    tmpdir_remove(dir);
}

static void test_check_shard(void **state)
{
    (void)state;
    struct fleet_label labels[] = {{"tier", "canary"}, {"host", "db-1"}};
    struct fleet_shard s = {"t-1", MIGSET_ENGINE_PG, "eu", 2, labels};
    struct sw_err err = {0};
    assert_int_equal(fleet_file_check_shard(&s, &err), SW_EINVAL);
    assert_string_equal(err.msg, "shard 't-1': labels not sorted by key or not unique at 'host'");
    assert_int_equal(fleet_file_sort_labels(&s, &err), 0);
    assert_int_equal(fleet_file_check_shard(&s, &err), 0);
    labels[0].key = "Host";
    assert_int_equal(fleet_file_check_shard(&s, &err), SW_EINVAL);
    assert_string_equal(
        err.msg, "shard 't-1': label key 'Host' must be 1 to 64 characters of a-z 0-9 _ . -");
    labels[0].key = "host";
    labels[1].key = "host";
    assert_int_equal(fleet_file_sort_labels(&s, &err), SW_EINVAL);
    assert_string_equal(err.msg, "duplicate label 'host'");
    assert_int_equal(fleet_file_check_id("pool", "ok.-_:9", &err), 0);
}

static void test_diff(void **state)
{
    (void)state;
    struct fleet a = {0}, b = {0};
    struct sw_err err = {0};
    assert_int_equal(fleet_file_parse("ranges = ( { prefix = \"t\"; from = 1; to = 5; engine = "
                                      "\"pg\"; } );",
                                      "a", &a, &err),
                     0);
    assert_int_equal(fleet_file_parse("ranges = ( { prefix = \"t\"; from = 3; to = 7; engine = "
                                      "\"pg\"; } );\n"
                                      "shards = ( { id = \"t0\"; engine = \"pg\"; } );",
                                      "b", &b, &err),
                     0);
    /* t4 changes: a label */
    struct fleet_shard *t4 = &b.shards[fleet_find(&b, "t4")];
    t4->labels = calloc(1, sizeof *t4->labels);
    t4->labels[0].key = strdup("tier");
    t4->labels[0].value = strdup("canary");
    t4->n_labels = 1;
    struct fleet_diff d;
    assert_int_equal(fleet_file_diff(&a, &b, &d, &err), 0);
    assert_int_equal(d.n_added, 3);
    assert_string_equal(d.added[0], "t0");
    assert_string_equal(d.added[1], "t6");
    assert_string_equal(d.added[2], "t7");
    assert_int_equal(d.n_removed, 2);
    assert_string_equal(d.removed[0], "t1");
    assert_string_equal(d.removed[1], "t2");
    assert_int_equal(d.n_changed, 1);
    assert_string_equal(d.changed[0], "t4");
    fleet_diff_cleanup(&d);
    assert_int_equal(fleet_file_diff(&a, &a, &d, &err), 0);
    assert_int_equal(d.n_added + d.n_removed + d.n_changed, 0);
    fleet_diff_cleanup(&d);
    fleet_cleanup(&a);
    fleet_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),      cmocka_unit_test(test_minimal_and_empty),
        cmocka_unit_test(test_errors),    cmocka_unit_test(test_too_many_labels),
        cmocka_unit_test(test_load_file), cmocka_unit_test(test_check_shard),
        cmocka_unit_test(test_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
