/* `shardwave lint`: the migration linter over a directory, as text or JSON. */
#include "cmd_lint.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "sw/lint.h"

/* main maps codes outside sw_err's table to exit status 1: "unacknowledged findings". */
#define LINT_CLI_FINDINGS (-1000)

static const char lint_help[] =
    "NAME\n"
    "    shardwave lint - find migrations that lock busy tables or break the running app\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave lint --dir DIR [--engine pg|mysql|sqlite[,...]] [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads every up and down file of the set in DIR and reports statements that\n"
    "    block reads or writes on a table that is in use (locking: a safe form exists),\n"
    "    destroy what the application version still running during a wave uses\n"
    "    (destructive: needs expand/contract over several deploys), or add something in\n"
    "    a way that fails (additive). PostgreSQL statements are read with the real\n"
    "    PostgreSQL parser; MySQL/MariaDB and SQLite statements with a small recogniser.\n"
    "    Portable files are linted for every engine (--engine narrows that).\n"
    "\n"
    "    Each finding prints as \"file:line rule-id class severity (engine)\", then the\n"
    "    statement, what it does, why it hurts and the safe way. A file acknowledges\n"
    "    findings in its leading comments, with a reason:\n"
    "        -- shardwave: destructive-ok <reason>     all destructive findings\n"
    "        -- shardwave: allow <rule-id> <reason>    all findings of one rule\n"
    "    Acknowledged findings and findings in down (U) files are info, not errors.\n"
    "    docs/safe-migrations.md lists every rule with examples.\n"
    "\n"
    "OPTIONS\n"
    "    --dir DIR          migration directory (default: $SHARDWAVE_DIR)\n"
    "    --engine LIST      lint for these engines only, e.g. pg or pg,mysql\n"
    "    --json             print {\"ok\", \"files\", \"statements\", \"errors\", \"warnings\",\n"
    "                       \"infos\", \"findings\": [{\"rule\", \"class\", \"severity\", "
    "\"engine\",\n"
    "                       \"file\", \"version\", \"line\", \"statement\", \"message\", \"why\",\n"
    "                       \"safe\", \"acknowledged\", \"ack_directive\", \"ack_reason\",\n"
    "                       \"down\"}]}\n"
    "    -q, --quiet        print only unacknowledged findings, no summary\n"
    "    --log-level LEVEL  error, warn, info, debug or trace\n"
    "    -h, --help         show this help\n"
    "\n"
    "EXIT STATUS\n"
    "    0 no unacknowledged finding (info findings only), 1 unacknowledged findings\n"
    "    (severity error or warning), 2 unreadable input: DIR or a file missing or not\n"
    "    a valid migration set, a bad directive, SQL the splitter cannot read.\n"
    "\n"
    "EXAMPLES\n"
    "    shardwave lint --dir db/migrations\n"
    "    shardwave lint --dir db/migrations --engine pg --json\n";

/* "pg,mysql" into an engine mask. */
static int lint_cli_engines(const char *list, unsigned *mask, struct sw_err *err)
{
    *mask = 0;
    const char *p = list;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        enum migset_engine e;
        if (migset_engine_parse(p, n, &e) != 0) {
            sw_err_set(err, SW_EINVAL, "lint: unknown engine '%.*s' (expected pg, mysql or sqlite)",
                       (int)n, p);
            sw_err_hint(err, "e.g. --engine pg or --engine pg,mysql");
            return SW_EINVAL;
        }
        *mask |= LINT_ENGINE_BIT(e);
        p += n + (comma != NULL ? 1 : 0);
    }
    if (*mask == 0) {
        return sw_err_set(err, SW_EINVAL, "lint: --engine needs pg, mysql or sqlite");
    }
    return 0;
}

/* Beyond this many findings the text output does not merge engines (quadratic). */
#define LINT_CLI_MERGE_MAX 5000

/* The same finding, worded the same, for another engine (portable files are linted per engine). */
static bool lint_cli_same(const struct lint_finding *a, const struct lint_finding *b)
{
    return a->line == b->line && a->severity == b->severity &&
           strcmp(a->rule_id, b->rule_id) == 0 && strcmp(a->file, b->file) == 0 &&
           strcmp(a->message, b->message) == 0 && strcmp(a->why, b->why) == 0 &&
           strcmp(a->safe, b->safe) == 0;
}

/* Whether finding idx repeats an earlier one; else fills engines with all its engines. */
static bool lint_cli_merge(const struct lint_report *r, size_t idx, char *engines, size_t cap)
{
    const struct lint_finding *f = &r->findings[idx];
    bool merge = r->n_findings <= LINT_CLI_MERGE_MAX;
    for (size_t i = 0; merge && i < idx; i++) {
        if (lint_cli_same(&r->findings[i], f)) {
            return true;
        }
    }
    size_t n = (size_t)snprintf(engines, cap, "%s", migset_engine_name(f->engine));
    for (size_t i = idx + 1; merge && i < r->n_findings && n < cap; i++) {
        if (lint_cli_same(&r->findings[i], f)) {
            int w =
                snprintf(engines + n, cap - n, ", %s", migset_engine_name(r->findings[i].engine));
            n += w > 0 ? (size_t)w : 0;
        }
    }
    return false;
}

static void lint_cli_print_finding(const struct lint_finding *f, const char *engines)
{
    printf("%s:%d %s %s %s (%s)\n", f->file, f->line, f->rule_id, lint_class_name(f->cls),
           lint_severity_name(f->severity), engines);
    printf("  %s\n", f->statement);
    printf("  %s\n", f->message);
    if (f->acknowledged) {
        printf("  acknowledged (%s): %s\n", f->ack_directive, f->ack_reason);
        return;
    }
    if (f->in_down_file) {
        printf("  in a down file: expected, not an error\n");
        return;
    }
    printf("  why:  %s\n", f->why);
    printf("  safe: %s\n", f->safe);
}

static void lint_cli_print_text(const struct lint_report *r, const char *dir, bool quiet)
{
    bool first = true;
    char engines[64];
    for (size_t i = 0; i < r->n_findings; i++) {
        const struct lint_finding *f = &r->findings[i];
        if ((quiet && f->severity == LINT_SEVERITY_INFO) ||
            lint_cli_merge(r, i, engines, sizeof engines)) {
            continue;
        }
        if (!first) {
            printf("\n");
        }
        first = false;
        lint_cli_print_finding(f, engines);
    }
    if (quiet) {
        return;
    }
    printf("%s%s: %zu file%s, %zu statement%s: %zu error%s, %zu warning%s, %zu info\n",
           first ? "" : "\n", dir, r->n_files, r->n_files == 1 ? "" : "s", r->n_statements,
           r->n_statements == 1 ? "" : "s", r->n_errors, r->n_errors == 1 ? "" : "s", r->n_warnings,
           r->n_warnings == 1 ? "" : "s", r->n_infos);
}

static int lint_cli_print_json(const struct lint_report *r, struct sw_err *err)
{
    json_t *root = lint_report_json(r);
    if (root == NULL) {
        return sw_err_set(err, SW_ENOMEM, "lint: out of memory");
    }
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
    return rc == 0 ? 0 : sw_err_set(err, SW_EIO, "lint: cannot write to standard output");
}

/* Loads the set; anything that keeps it from being read is "unreadable input" (exit 2). */
static int lint_cli_load(const char *dir, struct migset **set, struct sw_err *err)
{
    struct migset_load_opts lo = {.skip_manifest = true};
    int rc = migset_load(dir, &lo, set, err);
    if (rc != 0 && rc != SW_ENOMEM) {
        err->code = SW_EINVAL;
        return SW_EINVAL;
    }
    return rc;
}

static int lint_cli_verdict(const struct lint_report *r, const char *dir, struct sw_err *err)
{
    if (lint_report_is_clean(r)) {
        return 0;
    }
    size_t n = r->n_errors + r->n_warnings;
    sw_err_set(err, LINT_CLI_FINDINGS, "lint: %zu unacknowledged finding%s in %s", n,
               n == 1 ? "" : "s", dir);
    sw_err_hint(err, "use the safe way shown, or acknowledge with '-- shardwave: allow <rule-id> "
                     "<reason>' (or destructive-ok <reason>)");
    return LINT_CLI_FINDINGS;
}

static int lint_run(int argc, char **argv, struct sw_err *err)
{
    struct cli_args a;
    struct migset *set = NULL;
    struct lint_report report;
    const char *dir = NULL;
    unsigned engines = LINT_ALL_ENGINES;
    unsigned allowed =
        CLI_OPT_MASK(CLI_OPT_DIR) | CLI_OPT_MASK(CLI_OPT_ENGINE) | CLI_OPT_MASK(CLI_OPT_JSON);
    lint_report_init(&report);
    int rc = cli_args_parse(argc, argv, allowed, 0, &a, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_lint);
    }
    if ((rc = cli_resolve_dir(&a, &dir, err)) != 0 ||
        (a.engine != NULL && (rc = lint_cli_engines(a.engine, &engines, err)) != 0) ||
        (rc = lint_cli_load(dir, &set, err)) != 0) {
        goto out;
    }
    rc = lint_set(set, engines, &report, err);
    if (rc != 0) {
        goto out;
    }
    if (a.json) {
        rc = lint_cli_print_json(&report, err);
    } else {
        lint_cli_print_text(&report, dir, a.quiet);
    }
    if (rc == 0) {
        rc = lint_cli_verdict(&report, dir, err);
    }
out:
    lint_report_cleanup(&report);
    migset_free(set);
    return rc;
}

const struct cli_command cmd_lint = {
    .name = "lint",
    .summary = "find migrations that lock busy tables or break the running application",
    .help = lint_help,
    .run = lint_run,
};
