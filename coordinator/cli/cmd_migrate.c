/* `shardwave migrate`, `undo`, `repair` and `baseline`: the commands that change a database. */
#include "cmd_migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"

#define MIGRATE_COMMON_OPTIONS_HELP                                                                \
    "    --dsn DSN              database (or --dsn-file FILE, or $SHARDWAVE_DSN); passwords in\n"  \
    "                           a DSN are never printed\n"                                         \
    "    --dsn-file FILE        read the DSN from the first line of FILE (keeps it out of ps)\n"   \
    "    --dir DIR              migration directory (or $SHARDWAVE_DIR)\n"                         \
    "    --lock-wait MS         how long to wait for the migrator lock (default 10000)\n"

#define MIGRATE_STEP_OPTIONS_HELP                                                                  \
    "    --lock-timeouts LIST   lock timeout per attempt in ms, escalating (default\n"             \
    "                           200,500,1000,2000): a step waiting longer for a table lock\n"      \
    "                           gives up and is retried, so tenant queries never queue\n"          \
    "                           behind it for long\n"                                              \
    "    --lock-pauses LIST     pauses between attempts in ms (default 500,1000,2000)\n"           \
    "    --statement-timeout MS statement timeout per step (default 0 = none); directives\n"       \
    "                           in a file override it\n"

#define MIGRATE_TAIL_OPTIONS_HELP                                                                  \
    "    -q, --quiet            no progress lines\n"                                               \
    "    --log-level LEVEL      error, warn, info, debug or trace\n"                               \
    "    -h, --help             show this help\n"

#define MIGRATE_EXIT_HELP                                                                          \
    "EXIT STATUS\n"                                                                                \
    "    0 success; 2 bad arguments or set; 3 DIR or version not found; 4 conflict (dirty\n"       \
    "    database, out-of-order step, nothing to undo with); 5 checksum mismatch; 6 lock\n"        \
    "    timeout; 7 statement timeout; 8 database error; 9 cannot connect.\n"

static const char migrate_help[] =
    "NAME\n"
    "    shardwave migrate - apply pending migrations to a database\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave migrate --dsn DSN --dir DIR [--target VERSION] [--dry-run]\n"
    "\n"
    "DESCRIPTION\n"
    "    Takes the database's migrator lock, creates the history table on first use, and\n"
    "    applies every pending migration up to VERSION (default: the latest), printing\n"
    "    one line per step:\n"
    "        applying 3 add status (V3__add_status.sql) ... ok 12 ms\n"
    "    Before anything runs it refuses a dirty database (see 'shardwave repair'), an\n"
    "    applied migration whose file changed, and pending files older than the current\n"
    "    version. Running it again when nothing is pending changes nothing:\n"
    "        database is up to date at version 7\n"
    "    Where DDL is transactional (PostgreSQL, SQLite) each step commits together with\n"
    "    its history row, so a failing step leaves the database unchanged. On MySQL and\n"
    "    MariaDB DDL commits implicitly: a step that fails part-way leaves the database\n"
    "    dirty and every later command refuses until 'shardwave repair'.\n"
    "    Ctrl-C stops after the step in flight; a second Ctrl-C kills.\n"
    "\n"
    "OPTIONS\n" MIGRATE_COMMON_OPTIONS_HELP
    "    --target VERSION       stop at this version (must exist in DIR)\n"
    "    --dry-run              print the steps that would run; change "
    "nothing\n" MIGRATE_STEP_OPTIONS_HELP MIGRATE_TAIL_OPTIONS_HELP "\n" MIGRATE_EXIT_HELP "\n"
    "ENVIRONMENT\n"
    "    SHARDWAVE_DSN, SHARDWAVE_DIR   defaults for --dsn and --dir\n"
    "\n"
    "EXAMPLES\n"
    "    shardwave migrate --dsn sqlite:///tmp/app.db --dir db/migrations\n"
    "    shardwave migrate --dsn-file /etc/app/dsn --dir db/migrations --target 5\n";

static const char undo_help[] =
    "NAME\n"
    "    shardwave undo - revert migrations down to a version\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave undo --dsn DSN --dir DIR --to VERSION [--dry-run]\n"
    "\n"
    "DESCRIPTION\n"
    "    Runs the down files (U<version>__*.sql) of the applied migrations above VERSION,\n"
    "    newest first, until VERSION is the current version. --to 0 reverts everything.\n"
    "    If any of those steps has no down file, undo stops before running anything and\n"
    "    names the version. Each reverted step is recorded in the history table.\n"
    "\n"
    "OPTIONS\n" MIGRATE_COMMON_OPTIONS_HELP
    "    --to VERSION           the version to return to (0 = empty)\n"
    "    --dry-run              print the steps that would be reverted; change "
    "nothing\n" MIGRATE_STEP_OPTIONS_HELP MIGRATE_TAIL_OPTIONS_HELP "\n" MIGRATE_EXIT_HELP "\n"
    "ENVIRONMENT\n"
    "    SHARDWAVE_DSN, SHARDWAVE_DIR   defaults for --dsn and --dir\n"
    "\n"
    "EXAMPLES\n"
    "    shardwave undo --dsn sqlite:///tmp/app.db --dir db/migrations --to 4\n"
    "    shardwave undo --dsn sqlite:///tmp/app.db --dir db/migrations --to 0\n";

static const char repair_help[] =
    "NAME\n"
    "    shardwave repair - clear a failed or dirty marker after fixing a database\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave repair --dsn DSN --dir DIR [--mark-applied | --retry-from K |\n"
    "                     --mark-reverted]\n"
    "\n"
    "DESCRIPTION\n"
    "    A step that failed part-way (MySQL/MariaDB DDL commits statement by statement)\n"
    "    leaves the database dirty: shardwave never guesses what state it is in, and\n"
    "    every migrate and undo refuses until an operator decides. Look at the database,\n"
    "    then tell repair what you did:\n"
    "        --mark-applied     you finished the step by hand; record it as applied\n"
    "        --retry-from K     you fixed the cause; the next migrate runs the step again\n"
    "                           from statement K (1-based; info shows how many were done)\n"
    "        --mark-reverted    you undid what the step did; the next migrate runs it whole\n"
    "    Without an option, repair clears markers of steps that failed cleanly (nothing\n"
    "    changed); on a dirty step it explains these three choices and exits 4.\n"
    "    repair prints exactly what it wrote to the history table.\n"
    "\n"
    "OPTIONS\n" MIGRATE_COMMON_OPTIONS_HELP "    --mark-applied, --retry-from K, --mark-reverted   "
    "see above (at most one)\n" MIGRATE_TAIL_OPTIONS_HELP "\n" MIGRATE_EXIT_HELP "\n"
    "ENVIRONMENT\n"
    "    SHARDWAVE_DSN, SHARDWAVE_DIR   defaults for --dsn and --dir\n"
    "\n"
    "EXAMPLES\n"
    "    shardwave repair --dsn mysql://app@db1/app --dir db/migrations\n"
    "    shardwave repair --dsn mysql://app@db1/app --dir db/migrations --retry-from 2\n";

static const char baseline_help[] =
    "NAME\n"
    "    shardwave baseline - adopt an existing database at a version\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave baseline --dsn DSN --version VERSION [--dir DIR]\n"
    "\n"
    "DESCRIPTION\n"
    "    For a database whose schema was created before shardwave: records a baseline\n"
    "    row so that migrations up to VERSION count as applied and only later ones run.\n"
    "    Refused when the database already has applied migrations.\n"
    "\n"
    "OPTIONS\n" MIGRATE_COMMON_OPTIONS_HELP "    --version VERSION      the version the database's "
    "schema already matches\n" MIGRATE_TAIL_OPTIONS_HELP "\n" MIGRATE_EXIT_HELP "\n"
    "ENVIRONMENT\n"
    "    SHARDWAVE_DSN, SHARDWAVE_DIR   defaults for --dsn and --dir\n"
    "\n"
    "EXAMPLES\n"
    "    shardwave baseline --dsn postgres://app@db1/app --version 12 --dir db/migrations\n";

/* Everything a database command holds; released by migrate_session_cleanup. */
struct migrate_session {
    struct cli_args args;
    char *dsn;
    struct migset *set;
    struct engine *eng;
    struct cli_run run;
};

static void migrate_session_cleanup(struct migrate_session *s)
{
    cli_printer_finish(&s->run.printer);
    engine_close(s->eng);
    migset_free(s->set);
    free(s->dsn);
}

/* A set with no files, for baseline without --dir (the runner needs a set). */
static int migrate_empty_set(struct migset **out, struct sw_err *err)
{
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/shardwave-empty-XXXXXX",
                     tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof path || mkdtemp(path) == NULL) {
        return sw_err_set(err, SW_EIO, "cannot create a temporary directory");
    }
    int rc = migset_load(path, NULL, out, err);
    rmdir(path);
    return rc;
}

/* Parses argv, resolves the DSN and dir, loads the set, connects, fills runner opts. */
static int migrate_session_open(struct migrate_session *s, int argc, char **argv, unsigned allowed,
                                bool dir_optional, struct sw_err *err)
{
    memset(s, 0, sizeof *s);
    const char *dir = NULL;
    int rc = cli_args_parse(argc, argv,
                            allowed | CLI_OPTS_DB | CLI_OPT_MASK(CLI_OPT_DIR) |
                                CLI_OPT_MASK(CLI_OPT_LOCK_WAIT),
                            0, &s->args, err);
    if (rc != 0 || s->args.help) {
        return rc;
    }
    if ((rc = cli_resolve_dsn(&s->args, &s->dsn, err)) != 0) {
        return rc;
    }
    if (dir_optional && s->args.dir == NULL && getenv("SHARDWAVE_DIR") == NULL) {
        rc = migrate_empty_set(&s->set, err);
    } else if ((rc = cli_resolve_dir(&s->args, &dir, err)) == 0) {
        rc = cli_load_set(dir, &s->set, err);
    }
    if (rc != 0 || (rc = cli_run_init(&s->run, &s->args, s->set, err)) != 0) {
        return rc;
    }
    return cli_open_db(s->dsn, &s->eng, err);
}

static void migrate_print_result(const struct migrate_session *s, const struct runner_result *res,
                                 const char *verb)
{
    if (s->args.quiet) {
        return;
    }
    if (s->args.dry_run) {
        printf("dry run: %zu step%s from %s to %s; nothing changed\n", res->n_steps,
               res->n_steps == 1 ? "" : "s", res->from_text, res->to_text);
        return;
    }
    if (res->n_steps == 0 && strcmp(verb, "migrated") == 0) {
        printf("database is up to date at version %s\n", res->to_text);
    } else if (res->n_steps == 0) {
        printf("database is already at version %s\n", res->to_text);
    } else {
        printf("%s from %s to %s (%zu step%s, %lld ms)\n", verb, res->from_text, res->to_text,
               res->n_steps, res->n_steps == 1 ? "" : "s", (long long)res->duration_ms);
    }
}

static int migrate_run(int argc, char **argv, struct sw_err *err)
{
    struct migrate_session s;
    struct runner_result res = {0};
    struct version target;
    unsigned allowed =
        CLI_OPTS_LOCKS | CLI_OPT_MASK(CLI_OPT_TARGET) | CLI_OPT_MASK(CLI_OPT_DRY_RUN);
    int rc = migrate_session_open(&s, argc, argv, allowed, false, err);
    if (rc != 0 || s.args.help) {
        rc = rc != 0 ? rc : cli_print_help(&cmd_migrate_migrate);
        goto out;
    }
    if (s.args.target != NULL &&
        (rc = cli_parse_version(s.args.target, "--target", false, &target, err)) != 0) {
        goto out;
    }
    const struct version *tp = s.args.target != NULL ? &target : NULL;
    if ((rc = runner_migrate(s.eng, &s.run.opts, tp, &res, err)) != 0) {
        goto out;
    }
    cli_printer_finish(&s.run.printer);
    migrate_print_result(&s, &res, "migrated");
out:
    migrate_session_cleanup(&s);
    return rc;
}

static int undo_run(int argc, char **argv, struct sw_err *err)
{
    struct migrate_session s;
    struct runner_result res = {0};
    struct version to;
    unsigned allowed = CLI_OPTS_LOCKS | CLI_OPT_MASK(CLI_OPT_TO) | CLI_OPT_MASK(CLI_OPT_DRY_RUN);
    int rc = migrate_session_open(&s, argc, argv, allowed, false, err);
    if (rc != 0 || s.args.help) {
        rc = rc != 0 ? rc : cli_print_help(&cmd_migrate_undo);
        goto out;
    }
    if (s.args.to == NULL) {
        rc = sw_err_set(err, SW_EINVAL, "undo: --to VERSION is required");
        sw_err_hint(err, "--to 0 reverts every migration; 'shardwave info' shows the versions");
        goto out;
    }
    if ((rc = cli_parse_version(s.args.to, "--to", true, &to, err)) != 0) {
        goto out;
    }
    if ((rc = runner_undo(s.eng, &s.run.opts, &to, &res, err)) != 0) {
        goto out;
    }
    cli_printer_finish(&s.run.printer);
    migrate_print_result(&s, &res, "reverted");
out:
    migrate_session_cleanup(&s);
    return rc;
}

static int repair_action(const struct cli_args *a, enum runner_repair_action *out,
                         struct sw_err *err)
{
    int n = (int)a->mark_applied + (int)a->mark_reverted + (a->retry_from > 0);
    if (n > 1) {
        sw_err_set(err, SW_EINVAL,
                   "repair: choose one of --mark-applied, --retry-from and --mark-reverted");
        sw_err_hint(err, "see 'shardwave repair --help'");
        return SW_EINVAL;
    }
    *out = a->mark_applied     ? RUNNER_REPAIR_MARK_APPLIED
           : a->mark_reverted  ? RUNNER_REPAIR_MARK_REVERTED
           : a->retry_from > 0 ? RUNNER_REPAIR_RETRY_FROM
                               : RUNNER_REPAIR_AUTO;
    return 0;
}

static int repair_run(int argc, char **argv, struct sw_err *err)
{
    struct migrate_session s;
    struct runner_repair_result res = {0};
    enum runner_repair_action action = RUNNER_REPAIR_AUTO;
    unsigned allowed = CLI_OPT_MASK(CLI_OPT_MARK_APPLIED) | CLI_OPT_MASK(CLI_OPT_RETRY_FROM) |
                       CLI_OPT_MASK(CLI_OPT_MARK_REVERTED);
    int rc = migrate_session_open(&s, argc, argv, allowed, false, err);
    if (rc != 0 || s.args.help) {
        rc = rc != 0 ? rc : cli_print_help(&cmd_migrate_repair);
        goto out;
    }
    if ((rc = repair_action(&s.args, &action, err)) != 0) {
        goto out;
    }
    if ((rc = runner_repair(s.eng, &s.run.opts, action, s.args.retry_from, &res, err)) != 0) {
        goto out;
    }
    if (!s.args.quiet) {
        printf("%s\n", res.message[0] ? res.message : "nothing to repair");
    }
out:
    migrate_session_cleanup(&s);
    return rc;
}

static int baseline_run(int argc, char **argv, struct sw_err *err)
{
    struct migrate_session s;
    struct version v;
    int rc = migrate_session_open(&s, argc, argv, CLI_OPT_MASK(CLI_OPT_VERSION_ARG), true, err);
    if (rc != 0 || s.args.help) {
        rc = rc != 0 ? rc : cli_print_help(&cmd_migrate_baseline);
        goto out;
    }
    if (s.args.version == NULL) {
        rc = sw_err_set(err, SW_EINVAL, "baseline: --version VERSION is required");
        sw_err_hint(err, "the version the database's schema already matches, e.g. --version 12");
        goto out;
    }
    if ((rc = cli_parse_version(s.args.version, "--version", false, &v, err)) != 0 ||
        (rc = runner_baseline(s.eng, &s.run.opts, &v, err)) != 0) {
        goto out;
    }
    if (!s.args.quiet) {
        char text[VERSION_TEXT_MAX];
        printf("baselined %s at version %s: migrations up to %s count as applied\n",
               engine_database(s.eng), version_format(&v, text, sizeof text), text);
    }
out:
    migrate_session_cleanup(&s);
    return rc;
}

const struct cli_command cmd_migrate_migrate = {
    .name = "migrate",
    .summary = "apply pending migrations (to the latest or --target)",
    .help = migrate_help,
    .run = migrate_run,
};

const struct cli_command cmd_migrate_undo = {
    .name = "undo",
    .summary = "revert migrations, newest first, down to --to VERSION (0 = empty)",
    .help = undo_help,
    .run = undo_run,
};

const struct cli_command cmd_migrate_repair = {
    .name = "repair",
    .summary = "clear a failed/dirty marker after fixing the database by hand",
    .help = repair_help,
    .run = repair_run,
};

const struct cli_command cmd_migrate_baseline = {
    .name = "baseline",
    .summary = "adopt an existing database: count migrations up to a version as applied",
    .help = baseline_help,
    .run = baseline_run,
};
