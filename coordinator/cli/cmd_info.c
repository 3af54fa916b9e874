/* `shardwave info`: a database's migration state against a set, as a table or JSON. */
#include "cmd_info.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

static const char info_help[] =
    "NAME\n"
    "    shardwave info - show which migrations a database has applied\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave info --dsn DSN --dir DIR [--json]\n"
    "\n"
    "DESCRIPTION\n"
    "    Reads the database's history table (shardwave_schema_history) and compares it\n"
    "    with the migration set, changing nothing and taking no lock. A database without\n"
    "    the history table reads as empty (current version 0). Each version gets a state:\n"
    "        applied            applied, checksum matches the file\n"
    "        pending            not applied yet\n"
    "        failed             the last attempt failed cleanly; nothing changed\n"
    "        dirty              failed part-way; 'shardwave repair' is needed\n"
    "        checksum_mismatch  applied, but the file changed since\n"
    "        baseline           covered by 'shardwave baseline'\n"
    "        missing            applied on the database, no file in DIR\n"
    "\n"
    "    --json prints one object:\n"
    "      {\"current_version\": \"3\", \"dirty\": false, \"baseline\": null,\n"
    "       \"engine\": \"pg\", \"database\": \"app\", \"dsn\": \"postgres://app:***@db1/app\",\n"
    "       \"migrations\": [{\"version\": \"1\", \"description\": \"create users\",\n"
    "         \"state\": \"applied\", \"script\": \"V1__create_users.sql\", \"checksum\": "
    "\"<sha256>\",\n"
    "         \"applied_checksum\": \"<sha256>\", \"applied_at\": \"2025-01-31 12:00:00.000\",\n"
    "         \"error\": null, \"stmt_done\": 2, \"stmt_total\": 2, \"resume_from\": null,\n"
    "         \"has_down\": true}, ...]}\n"
    "    current_version is \"0\" when nothing is applied; checksum is the file's (null when\n"
    "    missing); applied_checksum, applied_at, error and resume_from are null when unset.\n"
    "\n"
    "OPTIONS\n"
    "    --dsn DSN          database (or --dsn-file FILE, or $SHARDWAVE_DSN)\n"
    "    --dsn-file FILE    read the DSN from the first line of FILE\n"
    "    --dir DIR          migration directory (or $SHARDWAVE_DIR)\n"
    "    --json             machine-readable output\n"
    "    --log-level LEVEL  error, warn, info, debug or trace\n"
    "    -h, --help         show this help\n"
    "\n"
    "EXIT STATUS\n"
    "    0 printed (whatever the state); 2 bad arguments or set; 3 DIR missing;\n"
    "    5 a file differs from shardwave.sum; 8 database error; 9 cannot connect.\n"
    "\n"
    "ENVIRONMENT\n"
    "    SHARDWAVE_DSN, SHARDWAVE_DIR   defaults for --dsn and --dir\n"
    "\n"
    "EXAMPLES\n"
    "    shardwave info --dsn sqlite:///tmp/app.db --dir db/migrations\n"
    "    SHARDWAVE_DSN=postgres://app@db1/app shardwave info --dir db/migrations --json\n";

static json_t *info_str_or_null(const char *s)
{
    return (s != NULL && s[0] != '\0') ? json_string(s) : json_null();
}

static json_t *info_item_json(const struct runner_item *it)
{
    json_t *o = json_object();
    json_object_set_new(o, "version", json_string(it->version_text));
    json_object_set_new(o, "description", json_string(it->description));
    json_object_set_new(o, "state", json_string(runner_state_name(it->state)));
    json_object_set_new(o, "script", info_str_or_null(it->script));
    json_object_set_new(o, "checksum", info_str_or_null(it->file_checksum));
    json_object_set_new(o, "applied_checksum", info_str_or_null(it->applied_checksum));
    json_object_set_new(o, "applied_at", info_str_or_null(it->applied_at));
    json_object_set_new(o, "error", info_str_or_null(it->error));
    json_object_set_new(o, "stmt_done", json_integer(it->stmt_done));
    json_object_set_new(o, "stmt_total", json_integer(it->stmt_total));
    json_object_set_new(o, "resume_from",
                        it->resume_from > 0 ? json_integer(it->resume_from) : json_null());
    json_object_set_new(o, "has_down", json_boolean(it->has_down));
    return o;
}

static int info_print_json(struct engine *eng, const char *dsn, const struct runner_status *st)
{
    char redacted[1024];
    char base[VERSION_TEXT_MAX];
    json_t *root = json_object();
    json_t *arr = json_array();
    for (size_t i = 0; i < st->n_items; i++) {
        json_array_append_new(arr, info_item_json(&st->items[i]));
    }
    json_object_set_new(root, "current_version", json_string(st->current_text));
    json_object_set_new(root, "dirty", json_boolean(st->is_dirty));
    json_object_set_new(root, "baseline",
                        version_is_zero(&st->baseline)
                            ? json_null()
                            : json_string(version_format(&st->baseline, base, sizeof base)));
    json_object_set_new(root, "engine", json_string(engine_name(eng)));
    json_object_set_new(root, "database", json_string(engine_database(eng)));
    json_object_set_new(root, "dsn",
                        json_string(engine_dsn_redact(dsn, redacted, sizeof redacted)));
    json_object_set_new(root, "migrations", arr);
    int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
    return rc == 0 ? 0 : SW_EIO;
}

static size_t info_count(const struct runner_status *st, enum runner_state s)
{
    size_t n = 0;
    for (size_t i = 0; i < st->n_items; i++) {
        n += st->items[i].state == s;
    }
    return n;
}

static void info_print_header(struct engine *eng, const char *dsn, const struct runner_status *st)
{
    char redacted[1024];
    printf("database: %s %s (%s)\n", engine_name(eng),
           engine_dsn_redact(dsn, redacted, sizeof redacted), engine_server_version(eng));
    printf("current version: %s%s", st->current_text, st->is_dirty ? " (DIRTY)" : "");
    if (!version_is_zero(&st->baseline)) {
        char base[VERSION_TEXT_MAX];
        printf(", baseline %s", version_format(&st->baseline, base, sizeof base));
    }
    printf("; %zu applied, %zu pending", info_count(st, RUNNER_STATE_APPLIED),
           info_count(st, RUNNER_STATE_PENDING));
    if (!st->has_history_table) {
        printf(" (no history table yet)");
    }
    printf("\n\n");
}

static void info_print_table(struct engine *eng, const char *dsn, const struct runner_status *st)
{
    info_print_header(eng, dsn, st);
    printf("%-16s %-18s %-24s %-32s %s\n", "VERSION", "STATE", "APPLIED AT", "DESCRIPTION",
           "SCRIPT");
    for (size_t i = 0; i < st->n_items; i++) {
        const struct runner_item *it = &st->items[i];
        printf("%-16s %-18s %-24s %-32.32s %s\n", it->version_text, runner_state_name(it->state),
               it->applied_at[0] ? it->applied_at : "-", it->description,
               it->script[0] ? it->script : "-");
        if (it->error[0] != '\0') {
            bool failure = it->state == RUNNER_STATE_FAILED || it->state == RUNNER_STATE_DIRTY;
            printf("%16s %s: %s\n", "", failure ? "error" : "note", it->error);
        }
        if (it->resume_from > 0 && it->state != RUNNER_STATE_DIRTY) {
            printf("%16s the next run resumes at statement %d\n", "", it->resume_from);
        }
        if (it->state == RUNNER_STATE_DIRTY) {
            printf("%16s %d of %d statements done; run 'shardwave repair --help'\n", "",
                   it->stmt_done, it->stmt_total);
        }
    }
    if (st->n_items == 0) {
        printf("(no migrations)\n");
    }
}

static int info_run(int argc, char **argv, struct sw_err *err)
{
    struct cli_args a;
    struct migset *set = NULL;
    struct engine *eng = NULL;
    struct runner_status st = {0};
    char *dsn = NULL;
    const char *dir = NULL;
    unsigned allowed = CLI_OPTS_DB | CLI_OPT_MASK(CLI_OPT_DIR) | CLI_OPT_MASK(CLI_OPT_JSON);
    int rc = cli_args_parse(argc, argv, allowed, 0, &a, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_info);
    }
    if ((rc = cli_resolve_dsn(&a, &dsn, err)) != 0 || (rc = cli_resolve_dir(&a, &dir, err)) != 0 ||
        (rc = cli_load_set(dir, &set, err)) != 0 || (rc = cli_open_db(dsn, &eng, err)) != 0 ||
        (rc = runner_status(eng, set, &st, err)) != 0) {
        goto out;
    }
    if (a.json) {
        rc = info_print_json(eng, dsn, &st);
    } else {
        info_print_table(eng, dsn, &st);
    }
    if (rc != 0) {
        sw_err_set(err, rc, "info: cannot write JSON to standard output");
    }
out:
    runner_status_cleanup(&st);
    engine_close(eng);
    migset_free(set);
    free(dsn);
    return rc;
}

const struct cli_command cmd_info = {
    .name = "info",
    .summary = "show a database's applied and pending migrations (table or --json)",
    .help = info_help,
    .run = info_run,
};
