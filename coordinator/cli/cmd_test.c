/* `shardwave test`: applies each pending step on a scratch database, reverts it with its
 * down migration, checks the schema snapshot equals the one before the step, re-applies
 * it and goes on; reports every step whose down does not restore the schema. */
#include "cmd_test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "runner/snapshot_diff.h"

/* A step that does not round-trip is a finding, like lint's: main maps codes outside
 * sw_err's table to exit status 1. */
#define TEST_E_NOT_REVERSIBLE (-1001)

static const char test_help[] =
    "NAME\n"
    "    shardwave test - prove on a scratch database that every down migration works\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave test --dsn SCRATCH_DSN --dir DIR [--force] [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    For each pending migration in order: reads the schema (tables, columns with\n"
    "    types, nullability and defaults, indexes, constraints, views, triggers, routines:\n"
    "    the catalog the schema fingerprint hashes), applies the up file, applies its down\n"
    "    file, reads the schema again and compares it with the one before the step, then\n"
    "    re-applies the up file (whose schema must equal the first up's) and goes on.\n"
    "    One line per step:\n"
    "        ok            2 add email index\n"
    "        NOT RESTORED  3 add status: U3__add_status.sql leaves the schema different\n"
    "                      from before V3__add_status.sql\n"
    "            left behind: index | users | users_status | ...\n"
    "            missing:     column | users | email | ...\n"
    "    'left behind' lines exist after the down but did not before the up (the down\n"
    "    forgot to drop them); 'missing' lines existed before the up and are gone (the\n"
    "    down dropped the wrong thing). A step without a down file is a warning. A step\n"
    "    whose up or down fails stops the test; later steps are not tested.\n"
    "    Use a database you can throw away: the test changes it, and leaves it at the\n"
    "    latest version. Steps already applied there are skipped, so a scratch copy of\n"
    "    production at its version tests just the new steps. A database with history\n"
    "    of another migration set (applied versions missing from DIR or with other\n"
    "    checksums) is refused unless --force.\n"
    "\n"
    "OPTIONS\n"
    "    --dsn DSN              the scratch database (or --dsn-file FILE, or $SHARDWAVE_DSN)\n"
    "    --dsn-file FILE        read the DSN from the first line of FILE\n"
    "    --dir DIR              migration directory (or $SHARDWAVE_DIR)\n"
    "    --force                test on a database with history of another set\n"
    "    --json                 one JSON object on stdout (see docs/cli.md)\n"
    "    --lock-wait MS, --statement-timeout MS   as for migrate\n"
    "    -q, --quiet            print only problems and the summary\n"
    "    --log-level LEVEL      error, warn, info, debug or trace\n"
    "    -h, --help             show this help\n"
    "\n"
    "EXIT STATUS\n"
    "    0 every tested step round-trips (steps without a down, and downs that restore\n"
    "    the columns in another order, are warnings); 1 a down does not restore the\n"
    "    schema, or re-applying a step gives another schema; 4 the database has history\n"
    "    of another set; otherwise the status of the failure that stopped the test (2 bad\n"
    "    arguments or set, 8 database error, 9 cannot connect, ...).\n"
    "\n"
    "EXAMPLES\n"
    "    createdb scratch && shardwave test --dsn postgres://app@localhost/scratch "
    "--dir db/migrations\n"
    "    shardwave test --dsn sqlite:///tmp/scratch.db --dir db/migrations --json\n";

enum test_outcome {
    TEST_OK,
    TEST_NOT_RESTORED,    /* the schema after the down differs from before the up */
    TEST_COLUMN_ORDER,    /* warning: the same schema but for where columns sit */
    TEST_REAPPLY_DIFFERS, /* the re-applied up gives another schema than the first */
    TEST_NO_DOWN,         /* warning: no down file for this engine */
    TEST_SKIPPED,         /* already applied before the test */
    TEST_NOT_TESTED,      /* after a failure */
};

enum test_phase {
    TEST_PHASE_UP,
    TEST_PHASE_DOWN,
    TEST_PHASE_REAPPLY,
    TEST_PHASE_SNAPSHOT,
};

struct test_step {
    struct version version;
    struct version prev; /* the version its down returns to */
    char version_text[VERSION_TEXT_MAX];
    char description[256];
    char up[256];
    char down[256]; /* "" without a down file */
    enum test_outcome outcome;
    struct snapshot_diff diff; /* NOT_RESTORED: vs before the up; REAPPLY_DIFFERS: vs first up */
    bool failed;
    enum test_phase phase; /* when failed */
    struct sw_err error;   /* when failed */
};

struct test_counts {
    size_t tested, ok, not_restored, column_order, reapply_differs, no_down, skipped, not_tested,
        failed;
};

struct test_run {
    struct cli_args args;
    char *dsn;
    struct migset *set;
    struct engine *eng;
    struct cli_run run;
    struct runner_status st;
    struct test_step *steps;
    size_t n_steps;
    struct test_step *failed; /* the step that stopped the test, or NULL */
};

static const char *test_outcome_name(enum test_outcome o)
{
    switch (o) {
    case TEST_OK:
        return "ok";
    case TEST_NOT_RESTORED:
        return "not_restored";
    case TEST_COLUMN_ORDER:
        return "column_order";
    case TEST_REAPPLY_DIFFERS:
        return "reapply_differs";
    case TEST_NO_DOWN:
        return "no_down";
    case TEST_SKIPPED:
        return "skipped";
    case TEST_NOT_TESTED:
        return "not_tested";
    }
    return "?";
}

static const char *test_phase_name(enum test_phase p)
{
    switch (p) {
    case TEST_PHASE_UP:
        return "up";
    case TEST_PHASE_DOWN:
        return "down";
    case TEST_PHASE_REAPPLY:
        return "reapply";
    case TEST_PHASE_SNAPSHOT:
        return "snapshot";
    }
    return "?";
}

static void test_run_cleanup(struct test_run *t)
{
    for (size_t i = 0; i < t->n_steps; i++) {
        snapshot_diff_cleanup(&t->steps[i].diff);
    }
    free(t->steps);
    runner_status_cleanup(&t->st);
    engine_close(t->eng);
    migset_free(t->set);
    free(t->dsn);
}

/* ---- preparation --------------------------------------------------------------------- */

/* Refuses history rows the set does not explain, unless --force. */
static int test_check_scratch(const struct test_run *t, struct sw_err *err)
{
    size_t n_foreign = 0;
    const struct runner_item *first = NULL;
    for (size_t i = 0; i < t->st.n_items; i++) {
        enum runner_state s = t->st.items[i].state;
        if (s == RUNNER_STATE_MISSING || s == RUNNER_STATE_CHECKSUM_MISMATCH) {
            first = first != NULL ? first : &t->st.items[i];
            n_foreign++;
        }
    }
    if (n_foreign == 0 || t->args.force) {
        return 0;
    }
    sw_err_set(err, SW_ECONFLICT,
               "test: the database has history of another migration set: version %s %s%s",
               first->version_text,
               first->state == RUNNER_STATE_MISSING ? "is applied but not in the directory"
                                                    : "was applied from a different file",
               n_foreign > 1 ? " (and more)" : "");
    sw_err_hint(err, "test on an empty scratch database, or pass --force to test on this one");
    return SW_ECONFLICT;
}

static void test_step_fill(struct test_run *t, struct test_step *s, const struct runner_item *it)
{
    s->version = it->version;
    snprintf(s->version_text, sizeof s->version_text, "%s", it->version_text);
    snprintf(s->description, sizeof s->description, "%s", it->description);
    snprintf(s->up, sizeof s->up, "%s", it->script);
    const struct migset_step *step = migset_find(t->set, &it->version);
    const struct migset_file *down =
        step != NULL ? migset_step_file(step, MIGSET_DOWN, engine_kind(t->eng)) : NULL;
    snprintf(s->down, sizeof s->down, "%s", down != NULL ? down->name : "");
    bool applied = it->state == RUNNER_STATE_APPLIED || it->state == RUNNER_STATE_BASELINE ||
                   it->state == RUNNER_STATE_CHECKSUM_MISMATCH;
    s->outcome = applied ? TEST_SKIPPED : TEST_NOT_TESTED;
}

/* One test_step per step of the set (history-only versions are left out). */
static int test_plan_steps(struct test_run *t, struct sw_err *err)
{
    t->steps = calloc(t->st.n_items + 1, sizeof *t->steps);
    if (t->steps == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    struct version prev = {0};
    for (size_t i = 0; i < t->st.n_items; i++) {
        const struct runner_item *it = &t->st.items[i];
        if (it->state == RUNNER_STATE_MISSING) {
            prev = it->version;
            continue;
        }
        struct test_step *s = &t->steps[t->n_steps++];
        test_step_fill(t, s, it);
        s->prev = version_cmp(&prev, &t->st.current) < 0 ? t->st.current : prev;
        prev = it->version;
    }
    return 0;
}

static int test_open(struct test_run *t, int argc, char **argv, struct sw_err *err)
{
    const char *dir = NULL;
    unsigned allowed = CLI_OPTS_DB | CLI_OPT_MASK(CLI_OPT_DIR) | CLI_OPT_MASK(CLI_OPT_JSON) |
                       CLI_OPT_MASK(CLI_OPT_FORCE) | CLI_OPT_MASK(CLI_OPT_LOCK_WAIT) |
                       CLI_OPT_MASK(CLI_OPT_STATEMENT_TIMEOUT);
    int rc = cli_args_parse(argc, argv, allowed, 0, &t->args, err);
    if (rc != 0 || t->args.help) {
        return rc;
    }
    if ((rc = cli_resolve_dsn(&t->args, &t->dsn, err)) != 0 ||
        (rc = cli_resolve_dir(&t->args, &dir, err)) != 0 ||
        (rc = cli_load_set(dir, &t->set, err)) != 0 ||
        (rc = cli_run_init(&t->run, &t->args, t->set, err)) != 0 ||
        (rc = cli_open_db(t->dsn, &t->eng, err)) != 0 ||
        (rc = runner_status(t->eng, t->set, &t->st, err)) != 0) {
        return rc;
    }
    t->run.opts.on_event = NULL; /* one line per tested step instead of the runner's */
    if ((rc = test_check_scratch(t, err)) != 0) {
        return rc;
    }
    return test_plan_steps(t, err);
}

/* ---- one step ------------------------------------------------------------------------ */

static int test_fail(struct test_step *s, enum test_phase phase, int rc)
{
    s->failed = true;
    s->phase = phase;
    return rc;
}

static int test_snapshot(struct test_run *t, struct test_step *s, unsigned flags, char **out)
{
    int rc = engine_schema_snapshot_ex(t->eng, flags, out, &s->error);
    if (rc != 0) {
        sw_err_prefix(&s->error, "reading the schema");
        return test_fail(s, TEST_PHASE_SNAPSHOT, rc);
    }
    return 0;
}

static int test_apply(struct test_run *t, struct test_step *s, enum test_phase phase)
{
    struct runner_result res;
    int rc = phase == TEST_PHASE_DOWN
                 ? runner_undo(t->eng, &t->run.opts, &s->prev, &res, &s->error)
                 : runner_migrate(t->eng, &t->run.opts, &s->version, &res, &s->error);
    return rc != 0 ? test_fail(s, phase, rc) : 0;
}

/* Sets the outcome to `bad` when the two snapshots differ (keeping the diff). */
static int test_compare(struct test_step *s, const char *want, const char *got,
                        enum test_outcome bad)
{
    snapshot_diff_cleanup(&s->diff);
    int rc = snapshot_diff_compute(want, got, &s->diff, &s->error);
    if (rc != 0) {
        return test_fail(s, TEST_PHASE_SNAPSHOT, rc);
    }
    if (!snapshot_diff_is_empty(&s->diff)) {
        s->outcome = bad;
    } else {
        snapshot_diff_cleanup(&s->diff);
    }
    return 0;
}

/* The schema at the four points of a step: exact and column-order-blind (_any). */
struct test_snaps {
    char *before, *before_any, *up_any, *down, *down_any, *redo_any;
};

static void test_snaps_free(struct test_snaps *x)
{
    free(x->before);
    free(x->before_any);
    free(x->up_any);
    free(x->down);
    free(x->down_any);
    free(x->redo_any);
}

/* After the down: the same schema, else the same but for column order, else not restored. */
static int test_check_down(struct test_run *t, struct test_step *s, struct test_snaps *x)
{
    int rc = test_snapshot(t, s, ENGINE_SNAPSHOT_ANY_COLUMN_ORDER, &x->down_any);
    if (rc == 0) {
        rc = test_compare(s, x->before_any, x->down_any, TEST_NOT_RESTORED);
    }
    if (rc != 0 || s->outcome == TEST_NOT_RESTORED) {
        return rc;
    }
    rc = test_snapshot(t, s, 0, &x->down);
    return rc != 0 ? rc : test_compare(s, x->before, x->down, TEST_COLUMN_ORDER);
}

/* up, down, compare, up again, compare; a failure stops (s->failed, s->error). */
static int test_step_run(struct test_run *t, struct test_step *s)
{
    struct test_snaps x = {0};
    const unsigned any = ENGINE_SNAPSHOT_ANY_COLUMN_ORDER;
    s->outcome = s->down[0] != '\0' ? TEST_OK : TEST_NO_DOWN;
    int rc = test_snapshot(t, s, 0, &x.before);
    if (rc == 0 && (rc = test_snapshot(t, s, any, &x.before_any)) == 0 &&
        (rc = test_apply(t, s, TEST_PHASE_UP)) == 0) {
        rc = test_snapshot(t, s, any, &x.up_any);
    }
    if (rc != 0 || s->outcome == TEST_NO_DOWN) {
        goto out;
    }
    if ((rc = test_apply(t, s, TEST_PHASE_DOWN)) != 0 || (rc = test_check_down(t, s, &x)) != 0 ||
        (rc = test_apply(t, s, TEST_PHASE_REAPPLY)) != 0 ||
        (rc = test_snapshot(t, s, any, &x.redo_any)) != 0) {
        goto out;
    }
    if (s->outcome == TEST_OK || s->outcome == TEST_COLUMN_ORDER) {
        struct snapshot_diff kept = s->diff;
        enum test_outcome was = s->outcome;
        memset(&s->diff, 0, sizeof s->diff);
        rc = test_compare(s, x.up_any, x.redo_any, TEST_REAPPLY_DIFFERS);
        if (rc == 0 && s->outcome != TEST_REAPPLY_DIFFERS) {
            s->outcome = was;
            snapshot_diff_cleanup(&s->diff);
            s->diff = kept;
        } else {
            snapshot_diff_cleanup(&kept);
        }
    }
out:
    test_snaps_free(&x);
    return rc;
}

/* ---- human output -------------------------------------------------------------------- */

/* A snapshot line with its tab-separated cells shown as " | ". */
static void test_print_line(const char *label, const char *line)
{
    printf("    %-12s ", label);
    for (const char *p = line; *p != '\0'; p++) {
        if (*p == '\t') {
            fputs(" | ", stdout);
        } else {
            putchar(*p);
        }
    }
    putchar('\n');
}

static void test_print_diff(const struct test_step *s)
{
    bool restore = s->outcome == TEST_NOT_RESTORED;
    for (size_t i = 0; i < s->diff.n_added; i++) {
        test_print_line(restore ? "left behind:" : "now:", s->diff.added[i]);
    }
    for (size_t i = 0; i < s->diff.n_removed; i++) {
        test_print_line(restore ? "missing:" : "was:", s->diff.removed[i]);
    }
}

static void test_print_step(const struct test_step *s, bool quiet)
{
    switch (s->outcome) {
    case TEST_OK:
        if (!quiet && !s->failed) {
            printf("%-13s %s %s\n", "ok", s->version_text, s->description);
        }
        break;
    case TEST_NOT_RESTORED:
        printf("%-13s %s %s: %s leaves the schema different from before %s\n", "NOT RESTORED",
               s->version_text, s->description, s->down, s->up);
        test_print_diff(s);
        break;
    case TEST_COLUMN_ORDER:
        printf("%-13s %s %s: %s restores the columns but not their order\n", "warning",
               s->version_text, s->description, s->down);
        if (!quiet) {
            test_print_diff(s);
        }
        break;
    case TEST_REAPPLY_DIFFERS:
        printf("%-13s %s %s: %s applied again after %s gives another schema\n", "NOT REPEATABLE",
               s->version_text, s->description, s->up, s->down);
        test_print_diff(s);
        break;
    case TEST_NO_DOWN:
        printf("%-13s %s %s: no down migration\n", "warning", s->version_text, s->description);
        break;
    case TEST_SKIPPED:
    case TEST_NOT_TESTED:
        break;
    }
    if (s->failed) {
        bool caused = s->outcome == TEST_NOT_RESTORED || s->outcome == TEST_REAPPLY_DIFFERS;
        printf("%-13s %s %s: %s: %s\n", caused ? "stopped" : "FAILED", s->version_text,
               s->description, test_phase_name(s->phase), s->error.msg);
    }
}

static void test_count(const struct test_run *t, struct test_counts *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < t->n_steps; i++) {
        const struct test_step *s = &t->steps[i];
        c->failed += s->failed;
        c->tested += s->outcome != TEST_SKIPPED && s->outcome != TEST_NOT_TESTED;
        switch (s->outcome) {
        case TEST_OK:
            c->ok += !s->failed;
            break;
        case TEST_NOT_RESTORED:
            c->not_restored++;
            break;
        case TEST_COLUMN_ORDER:
            c->column_order++;
            break;
        case TEST_REAPPLY_DIFFERS:
            c->reapply_differs++;
            break;
        case TEST_NO_DOWN:
            c->no_down++;
            break;
        case TEST_SKIPPED:
            c->skipped++;
            break;
        case TEST_NOT_TESTED:
            c->not_tested++;
            break;
        }
    }
}

static void test_print_header(const struct test_run *t)
{
    char redacted[1024];
    struct test_counts c;
    test_count(t, &c);
    printf("testing %zu of %zu steps on %s %s (%s) from version %s\n", c.not_tested, t->n_steps,
           engine_name(t->eng), engine_dsn_redact(t->dsn, redacted, sizeof redacted),
           engine_server_version(t->eng), t->st.current_text);
}

/* "; N what" when N is not 0. */
static void test_print_count(size_t n, const char *what)
{
    if (n > 0) {
        printf("; %zu %s", n, what);
    }
}

static void test_print_summary(const struct test_run *t)
{
    struct test_counts c;
    test_count(t, &c);
    printf("%zu tested: %zu round-trip, %zu not restored, %zu without a down", c.tested,
           c.ok + c.column_order, c.not_restored, c.no_down);
    test_print_count(c.column_order, "with the columns in another order");
    test_print_count(c.reapply_differs, "not repeatable");
    test_print_count(c.failed, "failed");
    test_print_count(c.skipped, "skipped (already applied)");
    test_print_count(c.not_tested, "not tested");
    putchar('\n');
}

/* ---- JSON output --------------------------------------------------------------------- */

static json_t *test_str_or_null(const char *s)
{
    return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *test_lines_json(char *const *lines, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_string(lines[i]));
    }
    return arr;
}

static json_t *test_step_json(const struct test_step *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "version", json_string(s->version_text));
    json_object_set_new(o, "description", json_string(s->description));
    json_object_set_new(o, "up", test_str_or_null(s->up));
    json_object_set_new(o, "down", test_str_or_null(s->down));
    json_object_set_new(o, "result",
                        json_string(s->failed ? "failed" : test_outcome_name(s->outcome)));
    json_object_set_new(
        o, "round_trips",
        json_boolean((s->outcome == TEST_OK || s->outcome == TEST_COLUMN_ORDER) && !s->failed));
    json_object_set_new(o, "added", test_lines_json(s->diff.added, s->diff.n_added));
    json_object_set_new(o, "removed", test_lines_json(s->diff.removed, s->diff.n_removed));
    json_t *error = json_null();
    if (s->failed) {
        error = json_object();
        json_object_set_new(error, "phase", json_string(test_phase_name(s->phase)));
        json_object_set_new(error, "code", json_string(sw_err_code_name(s->error.code)));
        json_object_set_new(error, "message", json_string(s->error.msg));
    }
    json_object_set_new(o, "error", error);
    return o;
}

static json_t *test_summary_json(const struct test_run *t)
{
    struct test_counts c;
    test_count(t, &c);
    json_t *o = json_object();
    json_object_set_new(o, "tested", json_integer((json_int_t)c.tested));
    json_object_set_new(o, "ok", json_integer((json_int_t)c.ok));
    json_object_set_new(o, "not_restored", json_integer((json_int_t)c.not_restored));
    json_object_set_new(o, "column_order", json_integer((json_int_t)c.column_order));
    json_object_set_new(o, "reapply_differs", json_integer((json_int_t)c.reapply_differs));
    json_object_set_new(o, "no_down", json_integer((json_int_t)c.no_down));
    json_object_set_new(o, "failed", json_integer((json_int_t)c.failed));
    json_object_set_new(o, "skipped", json_integer((json_int_t)c.skipped));
    json_object_set_new(o, "not_tested", json_integer((json_int_t)c.not_tested));
    return o;
}

static int test_print_json(const struct test_run *t, bool ok)
{
    char redacted[1024];
    json_t *root = json_object();
    json_t *steps = json_array();
    for (size_t i = 0; i < t->n_steps; i++) {
        json_array_append_new(steps, test_step_json(&t->steps[i]));
    }
    json_object_set_new(root, "ok", json_boolean(ok));
    json_object_set_new(root, "engine", json_string(engine_name(t->eng)));
    json_object_set_new(root, "database", json_string(engine_database(t->eng)));
    json_object_set_new(root, "dsn",
                        json_string(engine_dsn_redact(t->dsn, redacted, sizeof redacted)));
    json_object_set_new(root, "from_version", json_string(t->st.current_text));
    json_object_set_new(root, "summary", test_summary_json(t));
    json_object_set_new(root, "steps", steps);
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
    return rc == 0 ? 0 : SW_EIO;
}

/* ---- the command --------------------------------------------------------------------- */

/* Runs every untested step in order until one fails. */
static void test_run_steps(struct test_run *t)
{
    bool human = !t->args.json;
    if (human) {
        test_print_header(t);
        fflush(stdout);
    }
    for (size_t i = 0; i < t->n_steps && t->failed == NULL; i++) {
        struct test_step *s = &t->steps[i];
        if (s->outcome == TEST_SKIPPED) {
            continue;
        }
        if (test_step_run(t, s) != 0) {
            t->failed = s;
        }
        if (human) {
            test_print_step(s, t->args.quiet);
            fflush(stdout);
        }
    }
}

/* The command's verdict: the failure's error, else a finding, else 0. */
static int test_verdict(const struct test_run *t, struct sw_err *err)
{
    struct test_counts c;
    test_count(t, &c);
    const struct test_step *f = t->failed;
    /* A re-apply that fails after a down that did not restore is that finding. */
    bool caused =
        f != NULL && (f->outcome == TEST_NOT_RESTORED || f->outcome == TEST_REAPPLY_DIFFERS);
    if (f != NULL && !caused) {
        sw_err_copy(err, &t->failed->error);
        sw_err_prefix(err, "test: version %s (%s): %s", t->failed->version_text,
                      t->failed->description, test_phase_name(t->failed->phase));
        return t->failed->error.code;
    }
    size_t bad = c.not_restored + c.reapply_differs;
    if (bad > 0) {
        sw_err_set(err, TEST_E_NOT_REVERSIBLE,
                   "test: %zu of %zu tested steps do not round-trip%s%s", bad, c.tested,
                   caused ? "; stopped at version " : "", caused ? f->version_text : "");
        sw_err_hint(err, "fix the down migrations listed above so they undo exactly what their "
                         "up migrations do");
        return TEST_E_NOT_REVERSIBLE;
    }
    return 0;
}

static int test_cmd_run(int argc, char **argv, struct sw_err *err)
{
    struct test_run t;
    memset(&t, 0, sizeof t);
    int rc = test_open(&t, argc, argv, err);
    if (rc != 0 || t.args.help) {
        test_run_cleanup(&t);
        return rc != 0 ? rc : cli_print_help(&cmd_test);
    }
    test_run_steps(&t);
    rc = test_verdict(&t, err);
    if (t.args.json) {
        if (test_print_json(&t, rc == 0) != 0 && rc == 0) {
            rc = sw_err_set(err, SW_EIO, "test: cannot write JSON to standard output");
        }
    } else {
        test_print_summary(&t);
    }
    test_run_cleanup(&t);
    return rc;
}

const struct cli_command cmd_test = {
    .name = "test",
    .summary = "prove on a scratch database that each down migration restores the schema",
    .help = test_help,
    .run = test_cmd_run,
};
