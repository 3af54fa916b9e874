/* Option plumbing, DSN/dir resolution, error output and the progress printer. */
#include "cli_common.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "sw/fsutil.h"
#include "sw/numparse.h"

#define CLI_DSN_FILE_MAX (64u * 1024u)

/* Set by SIGINT/SIGTERM; the runner checks it between steps. */
static volatile sig_atomic_t cli_stop_flag;

static const struct option cli_long_options[] = {
    {"dsn", required_argument, NULL, CLI_OPT_DSN},
    {"dsn-file", required_argument, NULL, CLI_OPT_DSN_FILE},
    {"dir", required_argument, NULL, CLI_OPT_DIR},
    {"target", required_argument, NULL, CLI_OPT_TARGET},
    {"to", required_argument, NULL, CLI_OPT_TO},
    {"version", required_argument, NULL, CLI_OPT_VERSION_ARG},
    {"engine", required_argument, NULL, CLI_OPT_ENGINE},
    {"timestamp", no_argument, NULL, CLI_OPT_TIMESTAMP},
    {"json", no_argument, NULL, CLI_OPT_JSON},
    {"dry-run", no_argument, NULL, CLI_OPT_DRY_RUN},
    {"mark-applied", no_argument, NULL, CLI_OPT_MARK_APPLIED},
    {"retry-from", required_argument, NULL, CLI_OPT_RETRY_FROM},
    {"mark-reverted", no_argument, NULL, CLI_OPT_MARK_REVERTED},
    {"lock-wait", required_argument, NULL, CLI_OPT_LOCK_WAIT},
    {"lock-timeouts", required_argument, NULL, CLI_OPT_LOCK_TIMEOUTS},
    {"lock-pauses", required_argument, NULL, CLI_OPT_LOCK_PAUSES},
    {"statement-timeout", required_argument, NULL, CLI_OPT_STATEMENT_TIMEOUT},
    {"quiet", no_argument, NULL, CLI_OPT_QUIET},
    {"log-level", required_argument, NULL, CLI_OPT_LOG_LEVEL},
    {"help", no_argument, NULL, CLI_OPT_HELP},
    {"force", no_argument, NULL, CLI_OPT_FORCE},
    {NULL, 0, NULL, 0},
};

static const char *cli_opt_name(int id)
{
    for (size_t i = 0; cli_long_options[i].name != NULL; i++) {
        if (cli_long_options[i].val == id) {
            return cli_long_options[i].name;
        }
    }
    return "?";
}

static int cli_set_log_level(const char *command, const char *arg, struct sw_err *err)
{
    enum log_level level = LOG_WARN;
    if (log_level_parse(arg, &level) != 0) {
        sw_err_set(err, SW_EINVAL, "%s: --log-level: unknown level '%s'", command, arg);
        sw_err_hint(err, "use error, warn, info, debug or trace");
        return SW_EINVAL;
    }
    log_setup(level);
    return 0;
}

/* Stores one option's value; the option is known to be allowed. */
static int cli_store_opt(int id, const char *arg, struct cli_args *a, struct sw_err *err)
{
    switch ((enum cli_opt)id) {
    case CLI_OPT_DSN:
        a->dsn = arg;
        return 0;
    case CLI_OPT_DSN_FILE:
        a->dsn_file = arg;
        return 0;
    case CLI_OPT_DIR:
        a->dir = arg;
        return 0;
    case CLI_OPT_TARGET:
        a->target = arg;
        return 0;
    case CLI_OPT_TO:
        a->to = arg;
        return 0;
    case CLI_OPT_VERSION_ARG:
        a->version = arg;
        return 0;
    case CLI_OPT_ENGINE:
        a->engine = arg;
        return 0;
    case CLI_OPT_TIMESTAMP:
        a->timestamp = true;
        return 0;
    case CLI_OPT_JSON:
        a->json = true;
        return 0;
    case CLI_OPT_DRY_RUN:
        a->dry_run = true;
        return 0;
    case CLI_OPT_MARK_APPLIED:
        a->mark_applied = true;
        return 0;
    case CLI_OPT_RETRY_FROM:
        return sw_parse_int(arg, 1, 1000000, "--retry-from", &a->retry_from, err);
    case CLI_OPT_MARK_REVERTED:
        a->mark_reverted = true;
        return 0;
    case CLI_OPT_LOCK_WAIT:
        return sw_parse_int(arg, 0, 86400000, "--lock-wait", &a->lock_wait_ms, err);
    case CLI_OPT_LOCK_TIMEOUTS:
        a->lock_timeouts = arg;
        return 0;
    case CLI_OPT_LOCK_PAUSES:
        a->lock_pauses = arg;
        return 0;
    case CLI_OPT_STATEMENT_TIMEOUT:
        return sw_parse_int(arg, 0, 86400000, "--statement-timeout", &a->statement_timeout_ms, err);
    case CLI_OPT_QUIET:
        a->quiet = true;
        return 0;
    case CLI_OPT_LOG_LEVEL:
        return cli_set_log_level(a->command, arg, err);
    case CLI_OPT_HELP:
        a->help = true;
        return 0;
    case CLI_OPT_FORCE:
        a->force = true;
        return 0;
    case CLI_OPT_END:
        break;
    }
    return sw_err_set(err, SW_EINTERNAL, "option id %d not handled", id);
}

static int cli_usage_error(const char *command, struct sw_err *err, const char *what)
{
    sw_err_set(err, SW_EINVAL, "%s: %s", command, what);
    sw_err_hint(err, "see 'shardwave %s --help'", command);
    return SW_EINVAL;
}

/* One getopt_long result; *done set at the end of options. */
static int cli_parse_one(int argc, char **argv, unsigned allowed, struct cli_args *a, bool *done,
                         struct sw_err *err)
{
    char bad[160];
    int c = getopt_long(argc, argv, ":hq", cli_long_options, NULL);
    if (c == -1) {
        *done = true;
        return 0;
    }
    if (c == 'h') {
        c = CLI_OPT_HELP;
    } else if (c == 'q') {
        c = CLI_OPT_QUIET;
    }
    if (c == '?' || c == ':') {
        /* getopt_long permutes argv: the offending word is the one just consumed. */
        int idx = optind > 1 ? optind - 1 : 1;
        const char *arg = argv[idx < argc ? idx : argc - 1];
        snprintf(bad, sizeof bad, "%s option '%s'", c == '?' ? "unknown" : "missing value for",
                 arg);
        return cli_usage_error(a->command, err, bad);
    }
    if (((allowed | CLI_OPTS_ALWAYS) & CLI_OPT_MASK(c)) == 0) {
        snprintf(bad, sizeof bad, "option '--%s' does not apply here", cli_opt_name(c));
        return cli_usage_error(a->command, err, bad);
    }
    int rc = cli_store_opt(c, optarg, a, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s", a->command);
    }
    return rc;
}

int cli_args_parse(int argc, char **argv, unsigned allowed, size_t max_pos, struct cli_args *out,
                   struct sw_err *err)
{
    memset(out, 0, sizeof *out);
    out->command = argv[0];
    out->lock_wait_ms = -1;
    out->statement_timeout_ms = -1;
    optind = 1;
    opterr = 0;
    bool done = false;
    while (!done) {
        int rc = cli_parse_one(argc, argv, allowed, out, &done, err);
        if (rc != 0) {
            return rc;
        }
    }
    if (out->help) {
        return 0;
    }
    for (int i = optind; i < argc; i++) {
        if (out->n_pos >= max_pos || out->n_pos >= CLI_MAX_POS) {
            char bad[160];
            snprintf(bad, sizeof bad, "unexpected argument '%s'", argv[i]);
            return cli_usage_error(out->command, err, bad);
        }
        out->pos[out->n_pos++] = argv[i];
    }
    return 0;
}

int cli_print_help(const struct cli_command *cmd)
{
    fputs(cmd->help, stdout);
    return 0;
}

static int cli_read_dsn_file(const char *path, char **out, struct sw_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = sw_file_read(path, CLI_DSN_FILE_MAX, &text, &len, err);
    if (rc != 0) {
        sw_err_prefix(err, "--dsn-file");
        return rc;
    }
    /* The first line is the DSN; surrounding whitespace (a trailing newline) is not. */
    size_t start = strspn(text, " \t\r\n");
    size_t end = start + strcspn(text + start, "\r\n");
    while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t')) {
        end--;
    }
    if (end == start) {
        free(text);
        return sw_err_set(err, SW_EINVAL, "--dsn-file %s: the file is empty", path);
    }
    memmove(text, text + start, end - start);
    text[end - start] = '\0';
    *out = text;
    return 0;
}

int cli_resolve_dsn(const struct cli_args *a, char **out, struct sw_err *err)
{
    if (a->dsn != NULL && a->dsn_file != NULL) {
        return cli_usage_error(a->command, err, "give either --dsn or --dsn-file, not both");
    }
    if (a->dsn_file != NULL) {
        return cli_read_dsn_file(a->dsn_file, out, err);
    }
    const char *dsn = a->dsn != NULL ? a->dsn : getenv("SHARDWAVE_DSN");
    if (dsn == NULL || dsn[0] == '\0') {
        sw_err_set(err, SW_EINVAL, "%s: no database given", a->command);
        sw_err_hint(err, "use --dsn DSN, --dsn-file FILE or set SHARDWAVE_DSN "
                         "(e.g. sqlite:///tmp/app.db, postgres://user@host/db)");
        return SW_EINVAL;
    }
    *out = strdup(dsn);
    if (*out == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    return 0;
}

int cli_resolve_dir(const struct cli_args *a, const char **out, struct sw_err *err)
{
    const char *dir = a->dir != NULL ? a->dir : getenv("SHARDWAVE_DIR");
    if (dir == NULL || dir[0] == '\0') {
        sw_err_set(err, SW_EINVAL, "%s: no migration directory given", a->command);
        sw_err_hint(err, "use --dir DIR or set SHARDWAVE_DIR");
        return SW_EINVAL;
    }
    *out = dir;
    return 0;
}

int cli_load_set(const char *dir, struct migset **out, struct sw_err *err)
{
    int rc = migset_load(dir, NULL, out, err);
    if (rc == SW_ENOTFOUND && err->hint[0] == '\0') {
        sw_err_hint(err, "create it with 'shardwave new %s \"first change\"'", dir);
    }
    return rc;
}

int cli_open_db(const char *dsn, struct engine **out, struct sw_err *err)
{
    int rc = engine_global_init(err);
    if (rc != 0) {
        return rc;
    }
    return engine_open(dsn, 10000, out, err);
}

int cli_parse_version(const char *text, const char *what, bool allow_zero, struct version *out,
                      struct sw_err *err)
{
    int rc = version_parse_str(text, out, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s", what);
        sw_err_hint(err, "a version is digits separated by '.' or '_', e.g. 3 or 1.2");
        return rc;
    }
    if (!allow_zero && version_is_zero(out)) {
        return sw_err_set(err, SW_EINVAL, "%s: version 0 is not a migration", what);
    }
    return 0;
}

void cli_printer_finish(struct cli_printer *p)
{
    if (p->line_open) {
        fputc('\n', stdout);
        fflush(stdout);
        p->line_open = false;
    }
}

static void cli_print_start(struct cli_printer *p, const struct runner_event *ev)
{
    cli_printer_finish(p);
    const char *verb = ev->dir == MIGSET_DOWN ? "reverting" : "applying";
    if (ev->attempt > 1) {
        printf("%s %s %s (%s, attempt %d) ... ", verb, ev->version_text, ev->description,
               ev->script, ev->attempt);
    } else {
        printf("%s %s %s (%s) ... ", verb, ev->version_text, ev->description, ev->script);
    }
    fflush(stdout);
    p->line_open = true;
}

static void cli_print_failed(struct cli_printer *p, const struct runner_event *ev)
{
    if (!p->line_open) {
        printf("%s %s (%s) ", ev->version_text, ev->description, ev->script);
    }
    if (ev->stmt_total > 0) {
        printf("FAILED after %lld ms (statement %zu of %zu)\n", (long long)ev->duration_ms,
               ev->stmt_done + 1, ev->stmt_total);
    } else {
        printf("FAILED after %lld ms\n", (long long)ev->duration_ms);
    }
    fflush(stdout);
    p->line_open = false;
}

static void cli_print_retry(struct cli_printer *p, const struct runner_event *ev)
{
    if (!p->line_open) {
        printf("%s %s (%s) ", ev->version_text, ev->description, ev->script);
    }
    printf("lock timeout (attempt %d); retrying in %d ms with lock timeout %d ms\n", ev->attempt,
           ev->pause_ms, ev->next_lock_timeout_ms);
    fflush(stdout);
    p->line_open = false;
}

void cli_print_event(void *ctx, const struct runner_event *ev)
{
    struct cli_printer *p = ctx;
    if (p->quiet) {
        return;
    }
    switch (ev->kind) {
    case RUNNER_EV_LOCK_ACQUIRED:
        log_debug("migrator lock acquired");
        return;
    case RUNNER_EV_STEP_START:
        cli_print_start(p, ev);
        return;
    case RUNNER_EV_STEP_DONE:
        if (!p->line_open) {
            printf("%s %s (%s) ", ev->version_text, ev->description, ev->script);
        }
        printf("ok %lld ms\n", (long long)ev->duration_ms);
        fflush(stdout);
        p->line_open = false;
        return;
    case RUNNER_EV_STEP_FAILED:
        cli_print_failed(p, ev);
        return;
    case RUNNER_EV_LOCK_RETRY:
        cli_print_retry(p, ev);
        return;
    case RUNNER_EV_STEP_PLANNED:
        printf("would %s %s %s (%s)\n", ev->dir == MIGSET_DOWN ? "revert" : "apply",
               ev->version_text, ev->description, ev->script);
        return;
    }
}

static void cli_on_signal(int sig)
{
    (void)sig;
    cli_stop_flag = 1;
}

static void cli_install_stop_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_on_signal;
    sa.sa_flags = (int)SA_RESETHAND; /* a second signal terminates */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int cli_lock_policy(const struct cli_args *a, struct runner_lock_policy *p,
                           struct sw_err *err)
{
    if (a->lock_timeouts == NULL && a->lock_pauses == NULL) {
        runner_lock_policy_default(p);
        return 0;
    }
    struct runner_lock_policy def;
    runner_lock_policy_default(&def);
    char timeouts[256] = "";
    char pauses[256] = "";
    size_t off = 0;
    /* A flag left out keeps the default list for its half. */
    for (size_t i = 0; i < def.n_attempts && off < sizeof timeouts; i++) {
        off += (size_t)snprintf(timeouts + off, sizeof timeouts - off, "%s%d", i ? "," : "",
                                def.lock_timeout_ms[i]);
    }
    off = 0;
    for (size_t i = 0; i + 1 < def.n_attempts && off < sizeof pauses; i++) {
        off += (size_t)snprintf(pauses + off, sizeof pauses - off, "%s%d", i ? "," : "",
                                def.pause_ms[i]);
    }
    int rc = runner_lock_policy_parse(a->lock_timeouts ? a->lock_timeouts : timeouts,
                                      a->lock_pauses ? a->lock_pauses : pauses, p, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s", a->command);
        sw_err_hint(err, "--lock-timeouts takes ms per attempt (e.g. 200,500,1000,2000), "
                         "--lock-pauses the pauses between them (e.g. 500,1000,2000)");
    }
    return rc;
}

int cli_run_init(struct cli_run *rc, const struct cli_args *a, const struct migset *set,
                 struct sw_err *err)
{
    memset(rc, 0, sizeof *rc);
    rc->printer.quiet = a->quiet;
    char host[128] = "localhost";
    if (gethostname(host, sizeof host) != 0) {
        snprintf(host, sizeof host, "localhost");
    }
    host[sizeof host - 1] = '\0';
    snprintf(rc->agent, sizeof rc->agent, "cli@%s", host);

    runner_opts_init(&rc->opts, set);
    int r = cli_lock_policy(a, &rc->opts.lock_policy, err);
    if (r != 0) {
        return r;
    }
    rc->opts.agent = rc->agent;
    if (a->lock_wait_ms >= 0) {
        rc->opts.lock_wait_ms = a->lock_wait_ms;
    }
    if (a->statement_timeout_ms >= 0) {
        rc->opts.statement_timeout_ms = a->statement_timeout_ms;
    }
    rc->opts.dry_run = a->dry_run;
    rc->opts.on_event = cli_print_event;
    rc->opts.ctx = &rc->printer;
    cli_stop_flag = 0;
    rc->opts.stop = (volatile int *)&cli_stop_flag;
    cli_install_stop_handler();
    return 0;
}

void cli_report_error(const struct sw_err *err)
{
    fflush(stdout);
    fprintf(stderr, "shardwave: %s\n", err->msg[0] ? err->msg : sw_err_code_name(err->code));
    if (err->hint[0] != '\0') {
        fprintf(stderr, "hint: %s\n", err->hint);
    }
}
