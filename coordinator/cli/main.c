/* `shardwave`: dispatch to the subcommands, top-level help and --version. */
#include <stdio.h>
#include <string.h>

#include "cli_common.h"
#include "cli_remote.h"
#include "cmd_author.h"
#include "cmd_fleet.h"
#include "cmd_info.h"
#include "cmd_lint.h"
#include "cmd_migrate.h"
#include "cmd_plan.h"
#include "cmd_test.h"
#include "cmd_validate.h"
#include "cmd_wave.h"
#include "engine/engine.h"
#include "sw/build_info.h"
#include "sw/log.h"

static const struct cli_command *const main_commands[] = {
    &cmd_author_new,   &cmd_author_sum,      &cmd_validate,
    &cmd_lint,         &cmd_migrate_migrate, &cmd_info,
    &cmd_migrate_undo, &cmd_migrate_repair,  &cmd_migrate_baseline,
    &cmd_test,         &cmd_fleet,           &cmd_plan,
    &cmd_wave,
};
#define MAIN_N_COMMANDS (sizeof main_commands / sizeof main_commands[0])

static const char main_usage_head[] =
    "Usage: shardwave <command> [options]\n"
    "       shardwave <command> --help\n"
    "       shardwave --version\n"
    "\n"
    "shardwave migrates database schemas with versioned SQL files. new ... baseline work on\n"
    "one database (PostgreSQL, MySQL/MariaDB or SQLite); fleet, plan and wave talk to a\n"
    "shardwave-coordinator, which rolls a migration set out to a fleet of shards in waves.\n"
    "\n"
    "Commands:\n";

static const char main_usage_tail[] =
    "\n"
    "Common options (database commands):\n"
    "  --dsn DSN              database: postgres://user@host/db, mysql://user@host:3306/db,\n"
    "                         sqlite:///path/app.db (or --dsn-file FILE, or $SHARDWAVE_DSN)\n"
    "  --dir DIR              migration directory (or $SHARDWAVE_DIR)\n"
    "  -q, --quiet            no progress lines\n"
    "  --log-level LEVEL      error, warn (default), info, debug, trace (logs go to stderr)\n"
    "  --log-format FORMAT    logfmt (default) or json log lines (any command, anywhere)\n"
    "\n"
    "Coordinator options (fleet, plan, wave; also accepted before the command):\n"
    "  --coordinator URL      the coordinator, e.g. http://127.0.0.1:7400 (or\n"
    "                         $SHARDWAVE_COORDINATOR)\n"
    "  --token-file FILE      bearer token file (or $SHARDWAVE_TOKEN_FILE, $SHARDWAVE_TOKEN)\n"
    "  --ca-file FILE, --timeout S, --json\n"
    "\n"
    "Exit status: 0 success, 2 invalid input, 3 not found, 4 conflict (dirty database,\n"
    "out-of-order step), 5 checksum mismatch, 6 lock timeout, 7 timeout, 8 database error,\n"
    "9 connection failed, 12 unauthorized (see docs/cli.md).\n";

static void main_usage(FILE *f)
{
    fputs(main_usage_head, f);
    for (size_t i = 0; i < MAIN_N_COMMANDS; i++) {
        fprintf(f, "  %-10s %s\n", main_commands[i]->name, main_commands[i]->summary);
    }
    fputs(main_usage_tail, f);
}

static void main_version(void)
{
    printf("shardwave %s (commit %s, protocol %s)\n", SW_VERSION_STRING, SW_GIT_COMMIT,
           SW_PROTOCOL_VERSION);
}

static const struct cli_command *main_find(const char *name)
{
    for (size_t i = 0; i < MAIN_N_COMMANDS; i++) {
        if (strcmp(main_commands[i]->name, name) == 0) {
            return main_commands[i];
        }
    }
    return NULL;
}

/* `shardwave help [command]`. */
static int main_help(int argc, char **argv, struct sw_err *err)
{
    if (argc < 3) {
        main_usage(stdout);
        return 0;
    }
    const struct cli_command *cmd = main_find(argv[2]);
    if (cmd == NULL) {
        sw_err_set(err, SW_EINVAL, "unknown command '%s'", argv[2]);
        sw_err_hint(err, "run 'shardwave --help' for the list of commands");
        return SW_EINVAL;
    }
    return cli_print_help(cmd);
}

static int main_dispatch(int argc, char **argv, struct sw_err *err)
{
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        main_usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        main_version();
        return 0;
    }
    if (strcmp(name, "help") == 0) {
        return main_help(argc, argv, err);
    }
    const struct cli_command *cmd = main_find(name);
    if (cmd == NULL) {
        sw_err_set(err, SW_EINVAL, "unknown command '%s'", name);
        sw_err_hint(err, "run 'shardwave --help' for the list of commands");
        return SW_EINVAL;
    }
    return cmd->run(argc - 1, argv + 1, err);
}

/* Takes `--log-format F` / `--log-format=F` out of argv (any command, any position) and
 * sets the log format; the level stays warn until a command's --log-level. */
static int main_log_format(int *argc, char **argv, struct sw_err *err)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *value = NULL;
        if (strcmp(argv[i], "--") == 0) {
            while (i < *argc) {
                argv[out++] = argv[i++];
            }
            break;
        }
        if (strcmp(argv[i], "--log-format") == 0) {
            value = i + 1 < *argc ? argv[++i] : "";
        } else if (strncmp(argv[i], "--log-format=", 13) == 0) {
            value = argv[i] + 13;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        enum log_format f = LOG_FORMAT_LOGFMT;
        if (log_format_parse(value, &f) != 0) {
            sw_err_set(err, SW_EINVAL, "--log-format: unknown format '%s'", value);
            sw_err_hint(err, "use logfmt or json");
            return SW_EINVAL;
        }
        log_setup_format(LOG_WARN, f);
    }
    *argc = out;
    argv[out] = NULL;
    return 0;
}

int main(int argc, char **argv)
{
    struct sw_err err = {0};
    log_setup(LOG_WARN);
    if (main_log_format(&argc, argv, &err) != 0) {
        cli_report_error(&err);
        return sw_err_exit_code(SW_EINVAL);
    }
    if (argc < 2) {
        main_usage(stderr);
        return sw_err_exit_code(SW_EINVAL);
    }
    cli_remote_hoist_globals(argc, argv); /* shardwave --coordinator URL wave list */
    int rc = main_dispatch(argc, argv, &err);
    engine_global_cleanup();
    if (fflush(stdout) != 0 && rc == 0) {
        rc = sw_err_set(&err, SW_EIO, "cannot write to standard output");
    }
    if (rc > 0) {
        return rc; /* an exit status the command chose (wave status --watch) */
    }
    if (rc != 0) {
        cli_report_error(&err);
    }
    return sw_err_exit_code(rc);
}
