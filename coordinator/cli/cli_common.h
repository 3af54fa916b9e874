/*
 * Option plumbing shared by the `shardwave` subcommands: one table of long
 * options (each command says which it accepts), DSN/dir resolution from flags,
 * files and environment, error reporting, and the progress printer for runner
 * events.
 */
#ifndef SW_CLI_CLI_COMMON_H
#define SW_CLI_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "runner/runner.h"
#include "sw/err.h"
#include "sw/log.h"
#include "sw/migset.h"

#define CLI_MAX_POS 4

/* Option ids; CLI_OPT_MASK(id) is its bit in a command's `allowed` mask. */
enum cli_opt {
    CLI_OPT_DSN = 256,
    CLI_OPT_DSN_FILE,
    CLI_OPT_DIR,
    CLI_OPT_TARGET,
    CLI_OPT_TO,
    CLI_OPT_VERSION_ARG,
    CLI_OPT_ENGINE,
    CLI_OPT_TIMESTAMP,
    CLI_OPT_JSON,
    CLI_OPT_DRY_RUN,
    CLI_OPT_MARK_APPLIED,
    CLI_OPT_RETRY_FROM,
    CLI_OPT_MARK_REVERTED,
    CLI_OPT_LOCK_WAIT,
    CLI_OPT_LOCK_TIMEOUTS,
    CLI_OPT_LOCK_PAUSES,
    CLI_OPT_STATEMENT_TIMEOUT,
    CLI_OPT_QUIET,
    CLI_OPT_LOG_LEVEL,
    CLI_OPT_HELP,
    CLI_OPT_FORCE,
    CLI_OPT_END
};

#define CLI_OPT_MASK(id) (1u << ((unsigned)(id) - (unsigned)CLI_OPT_DSN))
/* Accepted by every command. */
#define CLI_OPTS_ALWAYS                                                                            \
    (CLI_OPT_MASK(CLI_OPT_QUIET) | CLI_OPT_MASK(CLI_OPT_LOG_LEVEL) | CLI_OPT_MASK(CLI_OPT_HELP))
/* Connecting to a database and running steps. */
#define CLI_OPTS_DB (CLI_OPT_MASK(CLI_OPT_DSN) | CLI_OPT_MASK(CLI_OPT_DSN_FILE))
#define CLI_OPTS_LOCKS                                                                             \
    (CLI_OPT_MASK(CLI_OPT_LOCK_WAIT) | CLI_OPT_MASK(CLI_OPT_LOCK_TIMEOUTS) |                       \
     CLI_OPT_MASK(CLI_OPT_LOCK_PAUSES) | CLI_OPT_MASK(CLI_OPT_STATEMENT_TIMEOUT))

struct cli_args {
    const char *command; /* argv[0] of the subcommand, e.g. "migrate" */
    const char *dsn;
    const char *dsn_file;
    const char *dir;
    const char *target;
    const char *to;
    const char *version;
    const char *engine;
    const char *lock_timeouts;
    const char *lock_pauses;
    bool timestamp;
    bool json;
    bool dry_run;
    bool quiet;
    bool help;
    bool mark_applied;
    bool mark_reverted;
    bool force;               /* --force */
    int retry_from;           /* 0 = not given */
    int lock_wait_ms;         /* -1 = not given */
    int statement_timeout_ms; /* -1 = not given */
    size_t n_pos;
    const char *pos[CLI_MAX_POS];
};

/* A subcommand: its name, one-line summary, full help text and entry point.
 * run() gets argv with argv[0] = the command name; it returns 0 or a negative
 * SW_E* code with err filled (main prints it and maps the exit code), or a positive
 * exit status the command chose and explained itself (main exits with it as is). */
struct cli_command {
    const char *name;
    const char *summary;
    const char *help;
    int (*run)(int argc, char **argv, struct sw_err *err);
};

/* Parses argv (argv[0] = command) with getopt_long over the shared option table,
 * accepting only the options in `allowed` (plus CLI_OPTS_ALWAYS) and at most max_pos
 * positional arguments. Sets up logging from --log-level. Errors are SW_EINVAL naming
 * the option ("migrate: unknown option '--to'") with a hint to run --help. */
int cli_args_parse(int argc, char **argv, unsigned allowed, size_t max_pos, struct cli_args *out,
                   struct sw_err *err);

/* Prints the command's help text on stdout; returns 0. */
int cli_print_help(const struct cli_command *cmd);

/* The DSN from --dsn, else the first line of --dsn-file, else $SHARDWAVE_DSN.
 * *out is a heap string the caller frees. SW_EINVAL when none is given. */
int cli_resolve_dsn(const struct cli_args *a, char **out, struct sw_err *err);
/* The migration directory from --dir, else $SHARDWAVE_DIR (borrowed). SW_EINVAL when
 * neither is set. */
int cli_resolve_dir(const struct cli_args *a, const char **out, struct sw_err *err);

/* Loads and validates the set in dir (manifest checked when present). */
int cli_load_set(const char *dir, struct migset **out, struct sw_err *err);
/* engine_global_init + engine_open (connect timeout 10 s). */
int cli_open_db(const char *dsn, struct engine **out, struct sw_err *err);
/* Parses a version argument ("0" allowed when allow_zero); `what` names the flag. */
int cli_parse_version(const char *text, const char *what, bool allow_zero, struct version *out,
                      struct sw_err *err);

/* Progress printer for runner events ("applying 3 add status (V3__add_status.sql) ...
 * ok 12 ms"). Passed as runner_opts.ctx with cli_print_event as on_event. */
struct cli_printer {
    bool quiet;
    bool line_open; /* a "... " line waits for its outcome */
};
void cli_print_event(void *ctx, const struct runner_event *ev);
/* Ends an open progress line (before printing an error). */
void cli_printer_finish(struct cli_printer *p);

/* Everything a database command hands to the runner; caller-embedded. */
struct cli_run {
    struct cli_printer printer;
    char agent[192]; /* "cli@<hostname>", recorded in the history table */
    struct runner_opts opts;
};

/* Fills rc->opts for a command: set, printer, agent, --lock-wait, --statement-timeout,
 * --lock-timeouts/--lock-pauses, --dry-run, and the SIGINT/SIGTERM stop flag (installed
 * here: the first signal stops after the current step, a second one kills). rc must
 * stay in place while the runner uses rc->opts. */
int cli_run_init(struct cli_run *rc, const struct cli_args *a, const struct migset *set,
                 struct sw_err *err);

/* Prints "shardwave: <message>" and, when set, "hint: <hint>" on stderr. */
void cli_report_error(const struct sw_err *err);

#endif
