/* `shardwave new DIR --rename-column|--rename-table|--add-not-null-column`: options and files. */
#include "cmd_generate.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_common.h"
#include "cmd_author.h"
#include "generate.h"
#include "sw/fsutil.h"
#include "sw/log.h"
#include "sw/manifest.h"
#include "sw/numparse.h"

enum cmd_generate_opt {
    CMD_GENERATE_OPT_RENAME_COLUMN = 256,
    CMD_GENERATE_OPT_RENAME_TABLE,
    CMD_GENERATE_OPT_ADD_NOT_NULL,
    CMD_GENERATE_OPT_TYPE,
    CMD_GENERATE_OPT_KEY,
    CMD_GENERATE_OPT_BATCH_SIZE,
    CMD_GENERATE_OPT_ENGINE,
    CMD_GENERATE_OPT_TIMESTAMP,
    CMD_GENERATE_OPT_QUIET,
    CMD_GENERATE_OPT_LOG_LEVEL,
    CMD_GENERATE_OPT_HELP,
};

static const struct option cmd_generate_options[] = {
    {"rename-column", required_argument, NULL, CMD_GENERATE_OPT_RENAME_COLUMN},
    {"rename-table", required_argument, NULL, CMD_GENERATE_OPT_RENAME_TABLE},
    {"add-not-null-column", required_argument, NULL, CMD_GENERATE_OPT_ADD_NOT_NULL},
    {"type", required_argument, NULL, CMD_GENERATE_OPT_TYPE},
    {"key", required_argument, NULL, CMD_GENERATE_OPT_KEY},
    {"batch-size", required_argument, NULL, CMD_GENERATE_OPT_BATCH_SIZE},
    {"engine", required_argument, NULL, CMD_GENERATE_OPT_ENGINE},
    {"timestamp", no_argument, NULL, CMD_GENERATE_OPT_TIMESTAMP},
    {"quiet", no_argument, NULL, CMD_GENERATE_OPT_QUIET},
    {"log-level", required_argument, NULL, CMD_GENERATE_OPT_LOG_LEVEL},
    {"help", no_argument, NULL, CMD_GENERATE_OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* The generator's view of argv; strings are borrowed from argv. */
struct cmd_generate_args {
    int n_recipes;
    enum generate_recipe recipe;
    const char *spec;
    const char *type;
    const char *key;
    const char *engine;
    int batch_size;
    bool timestamp;
    bool quiet;
    bool help;
    size_t n_pos;
    const char *pos[CLI_MAX_POS];
};

bool cmd_generate_wanted(int argc, char **argv)
{
    static const char *const names[] = {"--rename-column", "--rename-table",
                                        "--add-not-null-column"};
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
            size_t n = strlen(names[k]);
            if (strncmp(argv[i], names[k], n) == 0 && (argv[i][n] == '\0' || argv[i][n] == '=')) {
                return true;
            }
        }
    }
    return false;
}

static int cmd_generate_usage(const char *what, struct sw_err *err)
{
    sw_err_set(err, SW_EINVAL, "new: %s", what);
    sw_err_hint(err, "see 'shardwave new --help'");
    return SW_EINVAL;
}

static int cmd_generate_recipe_opt(struct cmd_generate_args *a, enum generate_recipe r,
                                   const char *arg)
{
    a->n_recipes++;
    a->recipe = r;
    a->spec = arg;
    return 0;
}

static int cmd_generate_store(int c, const char *arg, struct cmd_generate_args *a,
                              struct sw_err *err)
{
    enum log_level level;
    switch ((enum cmd_generate_opt)c) {
    case CMD_GENERATE_OPT_RENAME_COLUMN:
        return cmd_generate_recipe_opt(a, GENERATE_RENAME_COLUMN, arg);
    case CMD_GENERATE_OPT_RENAME_TABLE:
        return cmd_generate_recipe_opt(a, GENERATE_RENAME_TABLE, arg);
    case CMD_GENERATE_OPT_ADD_NOT_NULL:
        return cmd_generate_recipe_opt(a, GENERATE_ADD_NOT_NULL_COLUMN, arg);
    case CMD_GENERATE_OPT_TYPE:
        a->type = arg;
        return 0;
    case CMD_GENERATE_OPT_KEY:
        a->key = arg;
        return 0;
    case CMD_GENERATE_OPT_BATCH_SIZE:
        return sw_parse_int(arg, 1, GENERATE_BATCH_MAX, "new: --batch-size", &a->batch_size, err);
    case CMD_GENERATE_OPT_ENGINE:
        a->engine = arg;
        return 0;
    case CMD_GENERATE_OPT_TIMESTAMP:
        a->timestamp = true;
        return 0;
    case CMD_GENERATE_OPT_QUIET:
        a->quiet = true;
        return 0;
    case CMD_GENERATE_OPT_LOG_LEVEL:
        if (log_level_parse(arg, &level) != 0) {
            sw_err_set(err, SW_EINVAL, "new: --log-level: unknown level '%s'", arg);
            sw_err_hint(err, "use error, warn, info, debug or trace");
            return SW_EINVAL;
        }
        log_setup(level);
        return 0;
    case CMD_GENERATE_OPT_HELP:
        a->help = true;
        return 0;
    }
    return sw_err_set(err, SW_EINTERNAL, "option id %d not handled", c);
}

static int cmd_generate_parse(int argc, char **argv, struct cmd_generate_args *a,
                              struct sw_err *err)
{
    char bad[192];
    memset(a, 0, sizeof *a);
    a->batch_size = -1;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":hq", cmd_generate_options, NULL)) != -1) {
        if (c == '?' || c == ':') {
            int idx = optind > 1 ? optind - 1 : 1;
            snprintf(bad, sizeof bad, "%s option '%s'", c == '?' ? "unknown" : "missing value for",
                     argv[idx < argc ? idx : argc - 1]);
            return cmd_generate_usage(bad, err);
        }
        c = c == 'h' ? CMD_GENERATE_OPT_HELP : c == 'q' ? CMD_GENERATE_OPT_QUIET : c;
        int rc = cmd_generate_store(c, optarg, a, err);
        if (rc != 0) {
            return rc;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (a->n_pos >= CLI_MAX_POS) {
            snprintf(bad, sizeof bad, "unexpected argument '%s'", argv[i]);
            return cmd_generate_usage(bad, err);
        }
        a->pos[a->n_pos++] = argv[i];
    }
    return 0;
}

/* Which options go with which recipe, and the positional arguments. */
static int cmd_generate_check_args(const struct cmd_generate_args *a, struct sw_err *err)
{
    const char *opt = generate_recipe_option(a->recipe);
    char msg[192];
    size_t want_pos = a->recipe == GENERATE_ADD_NOT_NULL_COLUMN ? 3 : 1;
    if (a->n_recipes != 1) {
        return cmd_generate_usage("use one of --rename-column, --rename-table and "
                                  "--add-not-null-column at a time",
                                  err);
    }
    if (a->recipe == GENERATE_RENAME_COLUMN && a->type == NULL) {
        sw_err_set(err, SW_EINVAL, "new: --rename-column needs --type TYPE");
        sw_err_hint(err, "give the type of the column being renamed, e.g. --type "
                         "\"varchar(100)\": the new column gets the same type");
        return SW_EINVAL;
    }
    if (a->recipe != GENERATE_RENAME_COLUMN && a->type != NULL) {
        snprintf(msg, sizeof msg, "--type does not apply to %s", opt);
        return cmd_generate_usage(msg, err);
    }
    if (a->recipe == GENERATE_RENAME_TABLE && (a->key != NULL || a->batch_size != -1)) {
        return cmd_generate_usage("--key and --batch-size do not apply to --rename-table", err);
    }
    if (a->n_pos != want_pos) {
        snprintf(msg, sizeof msg, "%s: expected %s", opt,
                 want_pos == 3 ? "DIR TABLE.COL TYPE DEFAULT (the type and the default after "
                                 "the column)"
                               : "DIR and nothing else (the description is derived)");
        return cmd_generate_usage(msg, err);
    }
    return 0;
}

static int cmd_generate_copy(char *dst, size_t cap, const char *src, const char *what,
                             struct sw_err *err)
{
    int n = snprintf(dst, cap, "%s", src);
    if (n < 0 || (size_t)n >= cap) {
        return sw_err_set(err, SW_EINVAL, "new: %s is longer than %zu characters", what, cap - 1);
    }
    return 0;
}

static int cmd_generate_params(const struct cmd_generate_args *a, struct generate_params *p,
                               unsigned *engine_mask, struct sw_err *err)
{
    memset(p, 0, sizeof *p);
    int rc = generate_parse_spec(a->recipe, a->spec, p, err);
    const char *type = a->recipe == GENERATE_ADD_NOT_NULL_COLUMN ? a->pos[1] : a->type;
    if (rc == 0 && type != NULL) {
        rc = cmd_generate_copy(p->type, sizeof p->type, type, "the type", err);
    }
    if (rc == 0 && a->recipe == GENERATE_ADD_NOT_NULL_COLUMN) {
        rc =
            cmd_generate_copy(p->default_sql, sizeof p->default_sql, a->pos[2], "the default", err);
    }
    if (rc == 0) {
        rc = cmd_generate_copy(p->key, sizeof p->key, a->key != NULL ? a->key : "id", "--key", err);
    }
    p->batch_size = a->batch_size == -1 ? GENERATE_BATCH_DEFAULT : a->batch_size;
    *engine_mask = (1u << MIGSET_ENGINE_COUNT) - 1u;
    enum migset_engine e;
    if (rc == 0 && a->engine != NULL) {
        if (migset_engine_parse(a->engine, strlen(a->engine), &e) != 0) {
            return sw_err_set(err, SW_EINVAL,
                              "new: unknown engine '%s' (expected pg, mysql or sqlite)", a->engine);
        }
        *engine_mask = 1u << e;
    }
    return rc != 0 ? rc : generate_params_check(p, err);
}

/* Writes every file with O_EXCL; on failure removes the ones it wrote. */
static int cmd_generate_write(const char *dir, const struct generate_output *out,
                              struct sw_err *err)
{
    char *paths[GENERATE_MAX_FILES] = {0};
    size_t n_written = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < out->n_files; i++) {
        paths[i] = sw_path_join(dir, out->files[i].name);
        if (paths[i] == NULL) {
            rc = sw_err_set(err, SW_ENOMEM, "out of memory");
            break;
        }
        rc = sw_file_create_excl(paths[i], out->files[i].text, out->files[i].len, err);
        n_written += rc == 0 ? 1 : 0;
    }
    if (rc == SW_ECONFLICT) {
        sw_err_hint(err, "shardwave never overwrites a migration; nothing was written");
    }
    for (size_t i = 0; i < out->n_files; i++) {
        if (rc != 0 && i < n_written) {
            unlink(paths[i]);
        }
        free(paths[i]);
    }
    return rc;
}

static void cmd_generate_print(const char *dir, const struct generate_output *out)
{
    for (size_t i = 0; i < out->n_files; i++) {
        printf("%s/%s\n", dir, out->files[i].name);
    }
}

/* Versions next, next + 1, ... as text. */
static void cmd_generate_versions(const struct migset *set, bool timestamp, size_t n,
                                  char text[][VERSION_TEXT_MAX], const char **ptrs)
{
    uint64_t next = cmd_author_next_major(set, timestamp);
    for (size_t i = 0; i < n; i++) {
        snprintf(text[i], VERSION_TEXT_MAX, "%llu", (unsigned long long)(next + i));
        ptrs[i] = text[i];
    }
}

int cmd_generate_run(int argc, char **argv, struct sw_err *err)
{
    struct cmd_generate_args a;
    struct generate_params p;
    struct generate_output out = {0};
    struct migset *set = NULL;
    char vtext[GENERATE_MAX_VERSIONS][VERSION_TEXT_MAX];
    const char *versions[GENERATE_MAX_VERSIONS] = {0};
    unsigned engine_mask = 0;
    int rc = cmd_generate_parse(argc, argv, &a, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_author_new);
    }
    const char *dir = a.pos[0];
    if ((rc = cmd_generate_check_args(&a, err)) != 0 ||
        (rc = cmd_generate_params(&a, &p, &engine_mask, err)) != 0 ||
        (rc = cmd_author_mkdirs(dir, err)) != 0 || (rc = cmd_author_load(dir, &set, err)) != 0) {
        goto out;
    }
    cmd_generate_versions(set, a.timestamp, generate_recipe_versions(p.recipe), vtext, versions);
    if ((rc = generate_render(&p, engine_mask, versions, &out, err)) != 0 ||
        (rc = cmd_generate_write(dir, &out, err)) != 0 ||
        (rc = manifest_write_for_dir(dir, err)) != 0) {
        goto out;
    }
    if (!a.quiet) {
        cmd_generate_print(dir, &out);
    }
out:
    generate_output_cleanup(&out);
    migset_free(set);
    return rc;
}
