/* `shardwave validate`: every problem in a migration set (and, with --dsn, in a database). */
#include "cmd_validate.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "sqlsplit/sqlsplit.h"

#define VALIDATE_MAX_PROBLEMS 1000

static const char validate_help[] =
    "NAME\n"
    "    shardwave validate - report every problem in a migration set and a database\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave validate --dir DIR [--dsn DSN] [--engine ENGINE] [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Loads every file in DIR and lists all problems at once, each as\n"
    "    \"file[:line]: message\" followed by a hint: bad file names, duplicate versions,\n"
    "    a down file without its up file, unknown engines and directives, files that\n"
    "    differ from shardwave.sum, and SQL that the engine's splitter cannot read\n"
    "    (an unterminated string or dollar quote). Portable files are split with the\n"
    "    rules of every engine they run on; --engine or --dsn narrows that to one.\n"
    "\n"
    "    With --dsn it also reads the database's history table (changing nothing) and\n"
    "    reports a dirty step, applied files whose checksum changed, applied versions\n"
    "    whose file is missing, and pending files older than the current version\n"
    "    (out of order).\n"
    "\n"
    "OPTIONS\n"
    "    --dir DIR          migration directory (default: $SHARDWAVE_DIR)\n"
    "    --dsn DSN          also check this database (read-only, no lock)\n"
    "    --dsn-file FILE    read the DSN from the first line of FILE\n"
    "    --engine ENGINE    check SQL splitting for pg, mysql or sqlite only\n"
    "    --json             print {\"ok\", \"migrations\", \"problems\": [{\"code\", \"message\",\n"
    "                       \"hint\"}]} instead of text\n"
    "    -q, --quiet        print only problems\n"
    "    --log-level LEVEL  error, warn, info, debug or trace\n"
    "    -h, --help         show this help\n"
    "\n"
    "EXIT STATUS\n"
    "    0 no problems. Otherwise the code of the first problem: 2 invalid file, 3 DIR or\n"
    "    a file missing, 4 dirty or out of order, 5 checksum mismatch, 8/9 database error.\n"
    "\n"
    "ENVIRONMENT\n"
    "    SHARDWAVE_DIR   default for --dir (SHARDWAVE_DSN is not used: give --dsn to connect)\n"
    "\n"
    "EXAMPLES\n"
    "    shardwave validate --dir db/migrations\n"
    "    shardwave validate --dir db/migrations --dsn postgres://app@db1/app --json\n";

struct validate_ctx {
    struct sw_err *problems;
    size_t n_problems;
    size_t cap;
    size_t n_dropped;
};

static void validate_add(struct validate_ctx *v, const struct sw_err *p)
{
    if (v->n_problems >= VALIDATE_MAX_PROBLEMS) {
        v->n_dropped++;
        return;
    }
    if (v->n_problems == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        struct sw_err *np = realloc(v->problems, cap * sizeof *np);
        if (np == NULL) {
            v->n_dropped++;
            return;
        }
        v->problems = np;
        v->cap = cap;
    }
    sw_err_copy(&v->problems[v->n_problems++], p);
}

static void validate_on_problem(void *ctx, const struct sw_err *problem)
{
    validate_add(ctx, problem);
}

/* Adds a problem built from a code, hint and formatted message. */
static void validate_addf(struct validate_ctx *v, int code, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void validate_addf(struct validate_ctx *v, int code, const char *hint, const char *fmt, ...)
{
    struct sw_err p = {0};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p.msg, sizeof p.msg, fmt, ap);
    va_end(ap);
    p.code = code;
    snprintf(p.hint, sizeof p.hint, "%s", hint != NULL ? hint : "");
    validate_add(v, &p);
}

/* Splits one file with one engine's rules; a failure becomes a problem. */
static void validate_split_file(struct validate_ctx *v, const struct migset_file *f,
                                enum migset_engine e)
{
    struct sqlsplit_result r = {0};
    struct sw_err err = {0};
    if (sqlsplit_split(e, f->sql, f->sql_len, &r, &err) != 0) {
        sw_err_prefix(&err, "%s: %s", f->name, migset_engine_name(e));
        if (err.hint[0] == '\0') {
            sw_err_hint(&err, "close the string, comment or dollar quote the error points at");
        }
        validate_add(v, &err);
    }
    sqlsplit_result_cleanup(&r);
}

static void validate_split_set(struct validate_ctx *v, const struct migset *set, int only)
{
    for (size_t i = 0; i < migset_count(set); i++) {
        const struct migset_step *st = migset_step_at(set, i);
        for (int e = 0; e < MIGSET_ENGINE_COUNT; e++) {
            if (only >= 0 && e != only) {
                continue;
            }
            const struct migset_file *up = migset_step_file(st, MIGSET_UP, (enum migset_engine)e);
            const struct migset_file *dn = migset_step_file(st, MIGSET_DOWN, (enum migset_engine)e);
            if (up != NULL) {
                validate_split_file(v, up, (enum migset_engine)e);
            }
            if (dn != NULL) {
                validate_split_file(v, dn, (enum migset_engine)e);
            }
        }
    }
}

/* One database item's problem, if it has one. */
static void validate_db_item(struct validate_ctx *v, const struct runner_status *st,
                             const struct runner_item *it)
{
    switch (it->state) {
    case RUNNER_STATE_DIRTY:
        validate_addf(v, SW_ECONFLICT,
                      "finish or undo the step by hand, then run 'shardwave repair' "
                      "(see 'shardwave repair --help')",
                      "version %s (%s) is dirty: it failed part-way (%d of %d statements "
                      "done): %s",
                      it->version_text, it->script, it->stmt_done, it->stmt_total, it->error);
        return;
    case RUNNER_STATE_CHECKSUM_MISMATCH:
        validate_addf(v, SW_ECHECKSUM,
                      "restore the file as it was applied (git checkout) and put the change in "
                      "a new migration ('shardwave new')",
                      "%s was modified after it was applied (applied %.12s, file %.12s): never "
                      "modify a committed migration",
                      it->script, it->applied_checksum, it->file_checksum);
        return;
    case RUNNER_STATE_MISSING:
        validate_addf(v, SW_ENOTFOUND,
                      "restore the file from version control; a deleted migration cannot be "
                      "undone or audited",
                      "version %s (%s) is applied on the database but has no file in the set",
                      it->version_text, it->description);
        return;
    case RUNNER_STATE_PENDING:
        if (version_cmp(&it->version, &st->current) < 0) {
            validate_addf(v, SW_ECONFLICT,
                          "give the change a version above the current one: delete the files "
                          "and run 'shardwave new' again",
                          "%s is pending but older than the current version %s (out of order)",
                          it->script[0] ? it->script : it->version_text, st->current_text);
        }
        return;
    case RUNNER_STATE_APPLIED:
    case RUNNER_STATE_FAILED:
    case RUNNER_STATE_BASELINE:
    case RUNNER_STATE_COUNT:
        return;
    }
}

static int validate_db(struct validate_ctx *v, const struct cli_args *a, const struct migset *set,
                       struct runner_status *st, struct sw_err *err)
{
    char *dsn = NULL;
    struct engine *eng = NULL;
    int rc = cli_resolve_dsn(a, &dsn, err);
    if (rc == 0) {
        rc = cli_open_db(dsn, &eng, err);
    }
    if (rc == 0) {
        rc = runner_status(eng, set, st, err);
    }
    for (size_t i = 0; rc == 0 && i < st->n_items; i++) {
        validate_db_item(v, st, &st->items[i]);
    }
    engine_close(eng);
    free(dsn);
    return rc;
}

static int validate_engine_filter(const struct cli_args *a, int *only, struct sw_err *err)
{
    enum migset_engine e;
    *only = -1;
    if (a->dsn != NULL || a->dsn_file != NULL) {
        char *dsn = NULL;
        int rc = cli_resolve_dsn(a, &dsn, err);
        if (rc == 0) {
            rc = engine_kind_of_dsn(dsn, &e, err);
        }
        free(dsn);
        if (rc != 0) {
            return rc;
        }
        *only = (int)e;
    }
    if (a->engine != NULL) {
        if (migset_engine_parse(a->engine, strlen(a->engine), &e) != 0) {
            return sw_err_set(err, SW_EINVAL,
                              "validate: unknown engine '%s' (expected pg, mysql or sqlite)",
                              a->engine);
        }
        *only = (int)e;
    }
    return 0;
}

static int validate_print_json(const struct validate_ctx *v, const struct migset *set)
{
    json_t *root = json_object();
    json_t *arr = json_array();
    for (size_t i = 0; i < v->n_problems; i++) {
        const struct sw_err *p = &v->problems[i];
        json_t *o = json_object();
        json_object_set_new(o, "code", json_string(sw_err_code_name(p->code)));
        json_object_set_new(o, "message", json_string(p->msg));
        json_object_set_new(o, "hint", p->hint[0] ? json_string(p->hint) : json_null());
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "ok", json_boolean(v->n_problems == 0));
    json_object_set_new(root, "migrations", json_integer(set ? (json_int_t)migset_count(set) : 0));
    json_object_set_new(root, "problems", arr);
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
    return rc == 0 ? 0 : SW_EIO;
}

static void validate_print_text(const struct validate_ctx *v, const struct migset *set,
                                const char *dir, const struct runner_status *st, bool quiet)
{
    for (size_t i = 0; i < v->n_problems; i++) {
        printf("%s\n", v->problems[i].msg);
        if (v->problems[i].hint[0] != '\0') {
            printf("  hint: %s\n", v->problems[i].hint);
        }
    }
    if (v->n_dropped > 0) {
        printf("... and %zu more problems\n", v->n_dropped);
    }
    if (quiet || v->n_problems > 0 || set == NULL) {
        return;
    }
    char latest[VERSION_TEXT_MAX];
    struct version lv = migset_latest(set);
    printf("%s: %zu migrations, latest version %s, no problems\n", dir, migset_count(set),
           version_format(&lv, latest, sizeof latest));
    if (st != NULL) {
        printf("database: at version %s, no problems\n", st->current_text);
    }
}

static int validate_run(int argc, char **argv, struct sw_err *err)
{
    struct cli_args a;
    struct validate_ctx v = {0};
    struct migset *set = NULL;
    struct runner_status st = {0};
    const char *dir = NULL;
    int only = -1;
    unsigned allowed = CLI_OPT_MASK(CLI_OPT_DIR) | CLI_OPTS_DB | CLI_OPT_MASK(CLI_OPT_ENGINE) |
                       CLI_OPT_MASK(CLI_OPT_JSON);
    int rc = cli_args_parse(argc, argv, allowed, 0, &a, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_validate);
    }
    if ((rc = cli_resolve_dir(&a, &dir, err)) != 0 ||
        (rc = validate_engine_filter(&a, &only, err)) != 0) {
        return rc;
    }
    struct migset_load_opts lo = {.on_problem = validate_on_problem, .ctx = &v};
    rc = migset_load(dir, &lo, &set, err);
    if (rc != 0 && v.n_problems == 0) {
        goto out; /* e.g. the directory does not exist */
    }
    bool check_db = a.dsn != NULL || a.dsn_file != NULL;
    if (set != NULL) {
        validate_split_set(&v, set, only);
    }
    if (set != NULL && v.n_problems == 0 && check_db &&
        (rc = validate_db(&v, &a, set, &st, err)) != 0) {
        goto out;
    }
    if (a.json) {
        validate_print_json(&v, set);
    } else {
        validate_print_text(&v, set, dir, check_db ? &st : NULL, a.quiet);
    }
    rc = 0;
    if (v.n_problems > 0) {
        rc =
            sw_err_set(err, v.problems[0].code, "validate: %zu problem%s in %s",
                       v.n_problems + v.n_dropped, v.n_problems + v.n_dropped == 1 ? "" : "s", dir);
    }
out:
    runner_status_cleanup(&st);
    migset_free(set);
    free(v.problems);
    return rc;
}

const struct cli_command cmd_validate = {
    .name = "validate",
    .summary = "list every problem in a migration set (and a database with --dsn)",
    .help = validate_help,
    .run = validate_run,
};
