/* `shardwave wave ...`: start, list, inspect and steer waves on the coordinator. */
#include "cmd_wave.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "cli_remote.h"
#include "cmd_plan.h"
#include "cmd_wave_print.h"
#include "sw/clock.h"
#include "sw/strbuf.h"
#include "wave/wave_types.h"

#define WAVE_PATH_MAX 1024

static const char wave_help[] =
    "NAME\n"
    "    shardwave wave - start, watch and steer waves on the coordinator\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave wave start --plan FILE --migrations DIR [--reason TEXT]\n"
    "                         [--allow-unsafe --reason TEXT]\n"
    "    shardwave wave list [--state STATE]\n"
    "    shardwave wave status ID [--watch]\n"
    "    shardwave wave pause ID [--reason TEXT]\n"
    "    shardwave wave resume ID [--reason TEXT] [--retry-failed]\n"
    "    shardwave wave abort ID [--reason TEXT] [--cancel-running]\n"
    "    shardwave wave rollback ID [--reason TEXT]\n"
    "    shardwave wave events ID [--after EVENT_ID]\n"
    "    (each with [--json] and the global options below; 'shardwave wave SUB --help')\n"
    "\n"
    "DESCRIPTION\n"
    "    A wave moves a fleet's shards to a target version stage by stage (canary first)\n"
    "    under a plan; see docs/waves.md for the states and docs/wave-plans.md for plans.\n"
    "\n"
    "    start     upload the set in DIR, create a wave from the plan in FILE and print\n"
    "              it. The wave starts 'pending'; the coordinator starts it at its next\n"
    "              tick. Refused (exit 4) when a shard is in another active wave; when a\n"
    "              step the wave runs has an unacknowledged destructive or locking lint\n"
    "              finding (the findings are printed; fix or acknowledge them in the\n"
    "              file, or deploy anyway with --allow-unsafe --reason TEXT, which the\n"
    "              wave's events record); or when a 'contract-of V' step would run while\n"
    "              shards of the fleet do not have V yet (the lagging shards are printed).\n"
    "    list      the waves, newest first (--state running|paused|halted|...)\n"
    "    status    the wave: state, stage and phase, counts of shards per state for each\n"
    "              stage, and the failing shards with their errors. --watch polls every\n"
    "              second until the wave ends: on a terminal it redraws a progress bar\n"
    "              and counts per stage in place (colours unless NO_COLOR is set),\n"
    "              piped it prints a timestamped line whenever the progress changes.\n"
    "              It exits 0 when the wave completed, 20 halted, 21 aborted,\n"
    "              22 rolled back\n"
    "    pause     stop starting new steps; steps in flight finish. When the command\n"
    "              returns, no new step starts anywhere\n"
    "    resume    continue a paused or halted wave. Failed shards whose failure left\n"
    "              the database unchanged (unreachable, lock_timeout) are re-queued and\n"
    "              their stage's budget counts their new outcome; --retry-failed also\n"
    "              re-queues shards that failed with an error (SQL error, timeout).\n"
    "              Dirty shards are never re-queued: repair them first\n"
    "    abort     end the wave for good (shards keep the version they reached);\n"
    "              --cancel-running also cancels the statements running now\n"
    "    rollback  run the down migrations on every shard this wave moved, newest\n"
    "              first, stage by stage in reverse\n"
    "    events    the wave's audit log: transitions, stage changes, shard results,\n"
    "              gate results and operator actions with the token name that did them\n"
    "\n"
    "    An action the wave's state forbids is refused with exit 4, e.g. \"wave w-1 is\n"
    "    completed: cannot resume\". Starting and steering need an operator token;\n"
    "    list, status and events need any token. --reason is recorded in the events.\n"
    "    --json prints the coordinator's answer as is (docs/api.md).\n"
    "\n"
    "OPTIONS\n"
    "    --plan FILE        (start) the plan: libconfig, or JSON when FILE ends in .json\n"
    "    --migrations DIR   (start) the migration directory\n"
    "    --reason TEXT      (start, pause, resume, abort, rollback) why; kept in the events\n"
    "    --allow-unsafe     (start) deploy despite unacknowledged destructive or locking\n"
    "                       findings; needs --reason, recorded as an operator event\n"
    "    --state STATE      (list) only waves in this state\n"
    "    --cancel-running   (abort) cancel the statements running on shards now\n"
    "    --retry-failed     (resume) also re-queue shards that failed with an error\n"
    "    --after EVENT_ID   (events) only events after this one\n"
    "    --watch            (status) follow the wave until it ends (not with --json)\n"
    "\n" CLI_REMOTE_HELP_GLOBALS "\n" CLI_REMOTE_HELP_EXIT "\n" CLI_REMOTE_HELP_ENV "\n"
    "EXAMPLES\n"
    "    shardwave wave start --plan plan.conf --migrations db/migrations --reason JIRA-1234\n"
    "    shardwave wave status w-3f2a91c0\n"
    "    shardwave wave status w-3f2a91c0 --watch\n"
    "    shardwave wave pause w-3f2a91c0 --reason \"error rate up\"\n"
    "    shardwave wave list --state running --json | jq -r '.waves[].id'\n";

struct wave_sub {
    const char *name;
    const char *synopsis;
    unsigned allowed; /* besides the global options */
    size_t n_pos;     /* 1 = takes the wave ID */
    int (*run)(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err);
};

/* A policy refusal prints its findings or lagging shards itself; the error then keeps
 * only the coordinator's message and hint. */
static void wave_start_refused(const struct cli_remote *r, struct sw_err *err)
{
    const json_t *e = cli_remote_last_error(r);
    if (e == NULL || !cmd_wave_print_refusal(e)) {
        return;
    }
    char hint[SW_ERR_HINT_MAX];
    snprintf(hint, sizeof hint, "%s", err->hint);
    sw_err_set(err, err->code, "%s", cli_json_str(e, "message", "refused"));
    if (hint[0] != '\0') {
        sw_err_hint(err, "%s", hint);
    }
}

static int wave_start(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    json_t *plan = NULL;
    json_t *body = NULL;
    json_t *reply = NULL;
    char *digest = NULL;
    bool is_new = false;
    int rc = cmd_plan_load_file(a->plan, &plan, err);
    if (rc == 0) {
        rc = cmd_plan_upload_set(r, a->migrations, &digest, &is_new, err);
    }
    if (rc != 0) {
        goto out;
    }
    body = json_object();
    json_object_set_new(body, "migration_set", json_string(digest));
    json_object_set_new(body, "plan", json_incref(plan));
    if (a->reason != NULL) {
        json_object_set_new(body, "reason", json_string(a->reason));
    }
    if (a->allow_unsafe) {
        json_object_set_new(body, "allow_unsafe", json_true());
    }
    rc = cli_remote_call(r, "POST", "/v1/waves", body, &reply, NULL, err);
    if (rc != 0) {
        wave_start_refused(r, err);
    }
    if (rc != 0 || a->json) {
        rc = rc != 0 ? rc : cli_remote_print_json(reply, err);
        goto out;
    }
    printf("created wave %s (migration set %.12s %s)\n", cli_json_str(reply, "id", "?"), digest,
           is_new ? "uploaded" : "already known");
    rc = cmd_wave_print_detail(reply, err);
    printf("\nfollow it with: shardwave wave status %s\n", cli_json_str(reply, "id", "?"));
out:
    free(digest);
    json_decref(reply);
    json_decref(body);
    json_decref(plan);
    return rc;
}

static int wave_list(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    struct sw_strbuf path;
    json_t *reply = NULL;
    char *state = NULL;
    int rc = 0;
    sw_strbuf_init(&path, WAVE_PATH_MAX);
    if (a->state != NULL && (state = cli_remote_escape(r, a->state)) == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    rc = sw_strbuf_printf(&path, err, "/v1/waves%s%s", state ? "?state=" : "", state ? state : "");
    if (rc == 0) {
        rc = cli_remote_call(r, "GET", sw_strbuf_str(&path), NULL, &reply, NULL, err);
    }
    if (rc == 0) {
        rc = a->json ? cli_remote_print_json(reply, err) : cmd_wave_print_list(reply, err);
    }
    free(state);
    json_decref(reply);
    sw_strbuf_cleanup(&path);
    return rc;
}

/* "/v1/waves/<escaped id><suffix>". */
static int wave_path(struct cli_remote *r, const char *id, const char *suffix,
                     struct sw_strbuf *path, struct sw_err *err)
{
    char *esc = cli_remote_escape(r, id);
    if (esc == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = sw_strbuf_printf(path, err, "/v1/waves/%s%s", esc, suffix);
    free(esc);
    return rc;
}

static int wave_status(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    struct sw_strbuf path;
    json_t *reply = NULL;
    sw_strbuf_init(&path, WAVE_PATH_MAX);
    int rc = wave_path(r, a->pos[0], "", &path, err);
    if (rc == 0) {
        rc = cli_remote_call(r, "GET", sw_strbuf_str(&path), NULL, &reply, NULL, err);
    }
    if (rc == 0) {
        rc = a->json ? cli_remote_print_json(reply, err) : cmd_wave_print_detail(reply, err);
    }
    json_decref(reply);
    sw_strbuf_cleanup(&path);
    return rc;
}

/* Exit statuses of `wave status --watch` (docs/cli.md): how the wave ended. */
enum wave_watch_exit {
    WAVE_WATCH_COMPLETED = 0,
    WAVE_WATCH_HALTED = 20,
    WAVE_WATCH_ABORTED = 21,
    WAVE_WATCH_ROLLED_BACK = 22,
};
#define WAVE_WATCH_POLL_MS   1000
#define WAVE_WATCH_FRAME_MAX (1024u * 1024u)

/* The exit status once the watch ends, or -1 while the wave goes on. Halted ends the watch:
 * the wave waits for an operator (resume, abort or rollback). */
static int wave_watch_exit(const char *state_name)
{
    enum wave_state st;
    if (wave_state_parse(state_name, &st) != 0) {
        return -1;
    }
    switch (st) {
    case WAVE_COMPLETED:
        return WAVE_WATCH_COMPLETED;
    case WAVE_HALTED:
        return WAVE_WATCH_HALTED;
    case WAVE_ABORTED:
        return WAVE_WATCH_ABORTED;
    case WAVE_ROLLED_BACK:
        return WAVE_WATCH_ROLLED_BACK;
    case WAVE_PENDING:
    case WAVE_RUNNING:
    case WAVE_PAUSED:
    case WAVE_ROLLING_BACK:
    case WAVE_STATE_COUNT:
        return -1;
    }
    return -1;
}

/* Draws one poll: on a TTY the frame over the previous one (cursor up, clear below);
 * piped, a timestamped summary line when it changed. */
static int wave_watch_draw(const json_t *wave, bool is_tty, const struct cmd_wave_watch_style *st,
                           size_t *prev_lines, struct sw_strbuf *last, struct sw_err *err)
{
    struct sw_strbuf sb;
    size_t n_lines = 0;
    sw_strbuf_init(&sb, WAVE_WATCH_FRAME_MAX);
    int rc = is_tty ? cmd_wave_print_frame(wave, st, &sb, &n_lines, err)
                    : cmd_wave_print_summary(wave, &sb, err);
    if (rc == 0 && is_tty) {
        if (*prev_lines > 0) {
            printf("\033[%zuA\r", *prev_lines);
        }
        fputs(sw_strbuf_str(&sb), stdout);
        printf("\033[J");
        *prev_lines = n_lines;
    } else if (rc == 0 && strcmp(sw_strbuf_str(&sb), sw_strbuf_str(last)) != 0) {
        char ts[32];
        sw_clock_format_utc(sw_clock_wall_ms(), ts, sizeof ts);
        printf("%s %s\n", ts, sw_strbuf_str(&sb));
        sw_strbuf_reset(last);
        rc = sw_strbuf_puts(last, sw_strbuf_str(&sb), err);
    }
    fflush(stdout);
    sw_strbuf_cleanup(&sb);
    return rc;
}

/* `wave status ID --watch`: polls every second until the wave ends; returns the exit
 * status of enum wave_watch_exit (positive: main exits with it as is), or an error. */
static int wave_watch(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    struct sw_strbuf path;
    struct sw_strbuf last;
    const char *no_color = getenv("NO_COLOR");
    bool is_tty = isatty(STDOUT_FILENO) == 1;
    struct cmd_wave_watch_style st = {
        .use_color = is_tty && (no_color == NULL || no_color[0] == '\0'), .bar_width = 30};
    size_t prev_lines = 0;
    int code = -1;
    sw_strbuf_init(&path, WAVE_PATH_MAX);
    sw_strbuf_init(&last, WAVE_WATCH_FRAME_MAX);
    int rc = wave_path(r, a->pos[0], "", &path, err);
    while (rc == 0 && code < 0) {
        json_t *reply = NULL;
        rc = cli_remote_call(r, "GET", sw_strbuf_str(&path), NULL, &reply, NULL, err);
        if (rc == 0) {
            rc = wave_watch_draw(reply, is_tty, &st, &prev_lines, &last, err);
            code = wave_watch_exit(cli_json_str(reply, "state", "?"));
        }
        json_decref(reply);
        if (rc == 0 && code < 0) {
            sw_clock_sleep_ms(WAVE_WATCH_POLL_MS, NULL);
        }
    }
    sw_strbuf_cleanup(&last);
    sw_strbuf_cleanup(&path);
    return rc != 0 ? rc : code;
}

static int wave_events(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    struct sw_strbuf path;
    json_t *reply = NULL;
    char after[40] = "";
    sw_strbuf_init(&path, WAVE_PATH_MAX);
    if (a->after > 0) {
        snprintf(after, sizeof after, "?after=%lld", a->after);
    }
    int rc = wave_path(r, a->pos[0], "/events", &path, err);
    if (rc == 0) {
        rc = sw_strbuf_puts(&path, after, err);
    }
    if (rc == 0) {
        rc = cli_remote_call(r, "GET", sw_strbuf_str(&path), NULL, &reply, NULL, err);
    }
    if (rc == 0) {
        rc = a->json ? cli_remote_print_json(reply, err) : cmd_wave_print_events(reply, err);
    }
    json_decref(reply);
    sw_strbuf_cleanup(&path);
    return rc;
}

/* pause, resume, abort, rollback: POST /v1/waves/ID/<action>. */
static int wave_action(struct cli_remote *r, const struct cli_remote_args *a, const char *action,
                       struct sw_err *err)
{
    struct sw_strbuf path;
    json_t *body = json_object();
    json_t *reply = NULL;
    char suffix[32];
    snprintf(suffix, sizeof suffix, "/%s", action);
    sw_strbuf_init(&path, WAVE_PATH_MAX);
    if (a->reason != NULL) {
        json_object_set_new(body, "reason", json_string(a->reason));
    }
    if (a->cancel_running) {
        json_object_set_new(body, "cancel_running", json_true());
    }
    if (a->retry_failed) {
        json_object_set_new(body, "retry_failed", json_true());
    }
    int rc = wave_path(r, a->pos[0], suffix, &path, err);
    if (rc == 0) {
        rc = cli_remote_call(r, "POST", sw_strbuf_str(&path), body, &reply, NULL, err);
    }
    if (rc == 0 && a->json) {
        rc = cli_remote_print_json(reply, err);
    } else if (rc == 0) {
        cmd_wave_print_action(action, reply);
    }
    json_decref(reply);
    json_decref(body);
    sw_strbuf_cleanup(&path);
    return rc;
}

static int wave_pause(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    return wave_action(r, a, "pause", err);
}

static int wave_resume(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    return wave_action(r, a, "resume", err);
}

static int wave_abort(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    return wave_action(r, a, "abort", err);
}

static int wave_rollback(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    return wave_action(r, a, "rollback", err);
}

#define WAVE_OPT_REASON CLI_REMOTE_OPT(CLI_ROPT_REASON)

static const struct wave_sub wave_subs[] = {
    {"start", "wave start --plan FILE --migrations DIR [--reason TEXT] [--allow-unsafe]",
     CLI_REMOTE_OPT(CLI_ROPT_PLAN) | CLI_REMOTE_OPT(CLI_ROPT_MIGRATIONS) | WAVE_OPT_REASON |
         CLI_REMOTE_OPT(CLI_ROPT_ALLOW_UNSAFE),
     0, wave_start},
    {"list", "wave list [--state STATE]", CLI_REMOTE_OPT(CLI_ROPT_STATE), 0, wave_list},
    {"status", "wave status ID [--watch]", 0, 1, wave_status},
    {"pause", "wave pause ID [--reason TEXT]", WAVE_OPT_REASON, 1, wave_pause},
    {"resume", "wave resume ID [--reason TEXT] [--retry-failed]",
     WAVE_OPT_REASON | CLI_REMOTE_OPT(CLI_ROPT_RETRY_FAILED), 1, wave_resume},
    {"abort", "wave abort ID [--reason TEXT] [--cancel-running]",
     WAVE_OPT_REASON | CLI_REMOTE_OPT(CLI_ROPT_CANCEL_RUNNING), 1, wave_abort},
    {"rollback", "wave rollback ID [--reason TEXT]", WAVE_OPT_REASON, 1, wave_rollback},
    {"events", "wave events ID [--after EVENT_ID]", CLI_REMOTE_OPT(CLI_ROPT_AFTER), 1, wave_events},
};
#define WAVE_N_SUBS (sizeof wave_subs / sizeof wave_subs[0])

static const struct wave_sub *wave_find(const char *name)
{
    for (size_t i = 0; i < WAVE_N_SUBS; i++) {
        if (strcmp(wave_subs[i].name, name) == 0) {
            return &wave_subs[i];
        }
    }
    return NULL;
}

static int wave_usage(struct sw_err *err, const char *what, const char *word)
{
    sw_err_set(err, SW_EINVAL, "wave: %s%s%s%s", what, word ? " '" : "", word ? word : "",
               word ? "'" : "");
    sw_err_hint(err, "use start, list, status, pause, resume, abort, rollback or events; "
                     "see 'shardwave wave --help'");
    return SW_EINVAL;
}

/* Checks what the parser cannot: required options and the wave ID. */
static int wave_check_args(const struct wave_sub *sub, const struct cli_remote_args *a,
                           struct sw_err *err)
{
    const char *missing = NULL;
    if (sub->run == wave_start && a->plan == NULL) {
        missing = "--plan FILE";
    } else if (sub->run == wave_start && a->migrations == NULL) {
        missing = "--migrations DIR";
    } else if (a->allow_unsafe && (a->reason == NULL || a->reason[0] == '\0')) {
        missing = "--reason TEXT (with --allow-unsafe)";
    } else if (sub->n_pos == 1 && (a->n_pos == 0 || a->pos[0][0] == '\0')) {
        missing = "the wave ID";
    }
    enum wave_state state;
    if (missing == NULL && a->state != NULL && wave_state_parse(a->state, &state) != 0) {
        sw_err_set(err, SW_EINVAL, "wave list: --state: unknown state '%s'", a->state);
        sw_err_hint(err, "use pending, running, paused, halted, completed, aborted, "
                         "rolling_back or rolled_back");
        return SW_EINVAL;
    }
    if (missing == NULL) {
        return 0;
    }
    sw_err_set(err, SW_EINVAL, "%s: %s is required", a->command, missing);
    sw_err_hint(err, "usage: shardwave %s", sub->synopsis);
    return SW_EINVAL;
}

/* Takes --watch out of a `wave status` argv (the shared remote parser does not know it);
 * true when it was there. */
static bool wave_take_watch(int *argc, char **argv)
{
    bool found = false;
    int out = 0;
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], "--watch") == 0) {
            found = true;
        } else {
            argv[out++] = argv[i];
        }
    }
    *argc = out;
    return found;
}

static int wave_run(int argc, char **argv, struct sw_err *err)
{
    struct cli_remote_args a;
    struct cli_remote *r = NULL;
    char command[32];
    cli_remote_hoist_globals(argc, argv); /* `wave --json status ID` */
    if (argc < 2) {
        return wave_usage(err, "missing subcommand", NULL);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        return cli_print_help(&cmd_wave);
    }
    const struct wave_sub *sub = wave_find(argv[1]);
    if (sub == NULL) {
        return wave_usage(err, "unknown subcommand", argv[1]);
    }
    snprintf(command, sizeof command, "wave %s", sub->name);
    int n_args = argc - 1;
    bool watch = sub->run == wave_status && wave_take_watch(&n_args, argv + 1);
    int rc = cli_remote_args_parse(n_args, argv + 1, command, sub->allowed, sub->n_pos, &a, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_wave);
    }
    rc = wave_check_args(sub, &a, err);
    if (rc == 0 && watch && a.json) {
        sw_err_set(err, SW_EINVAL, "wave status: --watch and --json cannot be combined");
        sw_err_hint(err, "poll 'shardwave wave status ID --json' for scripts");
        rc = SW_EINVAL;
    }
    if (rc == 0) {
        rc = cli_remote_open(&a, &r, err);
    }
    if (rc == 0) {
        rc = watch ? wave_watch(r, &a, err) : sub->run(r, &a, err);
    }
    cli_remote_free(r);
    return rc;
}

const struct cli_command cmd_wave = {
    .name = "wave",
    .summary = "start, list, inspect, pause, resume, abort or roll back waves",
    .help = wave_help,
    .run = wave_run,
};
