/* `shardwave plan`: upload the set, dry-run the plan on the coordinator, print the result. */
#include "cmd_plan.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_table.h"
#include "cmd_wave_print.h"
#include "config/plan_file.h"
#include "sw/fsutil.h"
#include "sw/migset.h"
#include "sw/strbuf.h"
#include "sw/version.h"

#define PLAN_UPLOAD_MAX_BYTES (256u * 1024u * 1024u)
#define PLAN_STEPS_SHOWN      6

static const char plan_help[] =
    "NAME\n"
    "    shardwave plan - show what a wave would do, without starting it\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave plan --plan FILE --migrations DIR [--json] [global options]\n"
    "\n"
    "DESCRIPTION\n"
    "    Uploads the migration set in DIR to the coordinator (every V*/U*.sql file and\n"
    "    shardwave.sum; the coordinator validates it like 'shardwave validate' and keeps\n"
    "    it by digest, so uploading the same set again changes nothing), then asks the\n"
    "    coordinator's planner for a dry run of the plan in FILE against the current\n"
    "    fleet. Nothing starts. Uploading needs an operator token.\n"
    "\n"
    "    Prints the target and direction, each stage with its shards (engine, host label,\n"
    "    the version it is at, the version it will reach and the steps in between), the\n"
    "    shards skipped (e.g. already at the target), warnings (e.g. a stage that selects\n"
    "    no shard) and the planner's explanation of every choice.\n"
    "\n"
    "    FILE is a libconfig plan file (see docs/wave-plans.md), or plan JSON when its\n"
    "    name ends in .json (docs/api.md, \"Plan JSON\"). A libconfig file is checked\n"
    "    here first, so errors cite its line: \"plan.conf:9: stages[1]: unknown field\n"
    "    'max_paralel'\".\n"
    "\n"
    "    The coordinator lints the files the wave would run (the engines of its shards,\n"
    "    only its steps) and the plan lists every finding beside its step: file and line,\n"
    "    engine, rule, class (additive, locking, destructive), severity, the statement,\n"
    "    why it hurts and the safe way. An unacknowledged destructive or locking finding\n"
    "    in an up file is 'unsafe': 'wave start' refuses it unless given --allow-unsafe\n"
    "    --reason TEXT. The dry run itself is not refused for it.\n"
    "\n"
    "    The planner refuses a plan it could not carry out, naming the reason: a shard\n"
    "    whose engine has no file for a version, shards busy in another active wave\n"
    "    (exit 4), a 'contract-of V' step while shards of the fleet do not have V yet\n"
    "    (exit 4, the lagging shards listed), an unknown target or a bad stage (exit 2).\n"
    "\n"
    "    --json prints the answer of POST /v1/plans as is.\n"
    "\n"
    "OPTIONS\n"
    "    --plan FILE        the wave plan (libconfig, or JSON when FILE ends in .json)\n"
    "    --migrations DIR   the migration directory (as for 'shardwave validate')\n"
    "\n" CLI_REMOTE_HELP_GLOBALS "\n" CLI_REMOTE_HELP_EXIT "\n" CLI_REMOTE_HELP_ENV "\n"
    "EXAMPLES\n"
    "    shardwave plan --plan deploy/examples/plan-canary.conf --migrations db/migrations\n"
    "    shardwave plan --plan plan.json --migrations db/migrations --json | jq .stages\n";

static bool plan_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int plan_load_json(const char *path, json_t **out, struct sw_err *err)
{
    char *text = NULL;
    size_t len = 0;
    json_error_t je;
    int rc = sw_file_read(path, PLAN_FILE_MAX_BYTES, &text, &len, err);
    if (rc != 0) {
        sw_err_prefix(err, "plan file");
        return rc;
    }
    json_t *j = json_loadb(text, len, 0, &je);
    free(text);
    if (j == NULL) {
        return sw_err_set(err, SW_EINVAL, "%s:%d:%d: invalid JSON: %s", path, je.line, je.column,
                          je.text);
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return sw_err_set(err, SW_EINVAL, "%s: the plan must be a JSON object", path);
    }
    *out = j;
    return 0;
}

int cmd_plan_load_file(const char *path, json_t **out, struct sw_err *err)
{
    if (plan_has_suffix(path, ".json")) {
        return plan_load_json(path, out, err);
    }
    struct wave_plan plan = {0};
    int rc = plan_file_load(path, &plan, err);
    if (rc == 0) {
        rc = plan_file_to_json(&plan, out, err);
    }
    wave_plan_cleanup(&plan);
    return rc;
}

/* Files of a set: V*.sql / U*.sql (any *.sql: the coordinator names the bad ones) and
 * shardwave.sum; everything else is ignored like the directory loader does. */
static bool plan_is_set_file(const char *name)
{
    return strcmp(name, "shardwave.sum") == 0 || (name[0] != '.' && plan_has_suffix(name, ".sql"));
}

static int plan_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted heap array of the set's regular file names in dir. */
static int plan_list_files(const char *dir, char ***names, size_t *n, struct sw_err *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        int code = errno == ENOENT ? SW_ENOTFOUND : SW_EIO;
        return sw_err_set(err, code, "migration directory %s: %s", dir, strerror(errno));
    }
    int rc = 0;
    size_t cap = 0;
    const struct dirent *de = NULL;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!plan_is_set_file(de->d_name)) {
            continue;
        }
        if (*n >= MIGSET_MAX_FILES) {
            rc = sw_err_set(err, SW_ETOOBIG, "%s: more than %u files", dir, MIGSET_MAX_FILES);
        } else if (*n == cap) {
            cap = cap == 0 ? 64 : cap * 2;
            char **grown = realloc(*names, cap * sizeof *grown);
            rc = grown == NULL ? sw_err_set(err, SW_ENOMEM, "out of memory") : 0;
            *names = grown != NULL ? grown : *names;
        }
        if (rc == 0 && ((*names)[*n] = strdup(de->d_name)) == NULL) {
            rc = sw_err_set(err, SW_ENOMEM, "out of memory");
        }
        *n += rc == 0;
    }
    closedir(d);
    if (rc == 0 && *n > 0) {
        qsort(*names, *n, sizeof **names, plan_cmp_names);
    }
    return rc;
}

/* {"name": ..., "content": ...} for one file; regular files only (like the loader). */
static int plan_file_json(const char *dir, const char *name, size_t *total, json_t *files,
                          struct sw_err *err)
{
    char *path = sw_path_join(dir, name);
    char *text = NULL;
    size_t len = 0;
    json_t *content = NULL;
    struct stat st;
    int rc = 0;
    if (path == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        goto out; /* not a regular file: the directory loader would refuse it anyway */
    }
    rc = sw_file_read(path, MIGSET_MAX_FILE_BYTES, &text, &len, err);
    if (rc == 0 && (*total += len) > PLAN_UPLOAD_MAX_BYTES) {
        rc =
            sw_err_set(err, SW_ETOOBIG, "%s: the set exceeds %u bytes", dir, PLAN_UPLOAD_MAX_BYTES);
    }
    if (rc == 0 && (content = json_stringn(text, len)) == NULL) {
        rc = sw_err_set(err, SW_EINVAL, "%s: not valid UTF-8 text", path);
    }
    if (rc == 0) {
        json_t *f = json_object();
        json_object_set_new(f, "name", json_string(name));
        json_object_set_new(f, "content", content);
        json_array_append_new(files, f);
    }
out:
    free(text);
    free(path);
    return rc;
}

static int plan_set_body(const char *dir, json_t **out, struct sw_err *err)
{
    char **names = NULL;
    size_t n = 0;
    size_t total = 0;
    json_t *files = json_array();
    int rc = plan_list_files(dir, &names, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = plan_file_json(dir, names[i], &total, files, err);
    }
    if (rc == 0 && json_array_size(files) == 0) {
        sw_err_set(err, SW_EINVAL, "%s: no migration files (V<version>__<description>.sql)", dir);
        sw_err_hint(err, "create the first one with 'shardwave new %s \"first change\"'", dir);
        rc = SW_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    if (rc != 0) {
        json_decref(files);
        return rc;
    }
    *out = json_object();
    json_object_set_new(*out, "files", files);
    return 0;
}

int cmd_plan_upload_set(struct cli_remote *r, const char *dir, char **digest, bool *is_new,
                        struct sw_err *err)
{
    json_t *body = NULL;
    json_t *reply = NULL;
    long status = 0;
    int rc = plan_set_body(dir, &body, err);
    if (rc == 0) {
        rc = cli_remote_call(r, "POST", "/v1/migration-sets", body, &reply, &status, err);
        if (rc != 0) {
            sw_err_prefix(err, "migration set %s", dir);
        }
    }
    const char *d = cli_json_str(reply, "digest", NULL);
    if (rc == 0 && d == NULL) {
        rc = sw_err_set(err, SW_EINTERNAL, "the coordinator's answer has no digest");
    }
    if (rc == 0 && (*digest = strdup(d)) == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    *is_new = status == 201;
    json_decref(body);
    json_decref(reply);
    return rc;
}

/* "6,7" or "2,3,4,...,320 (319 steps)". */
static void plan_steps_text(const json_t *steps, struct sw_strbuf *sb)
{
    size_t n = json_array_size(steps);
    sw_strbuf_reset(sb);
    for (size_t i = 0; i < n; i++) {
        if (n > PLAN_STEPS_SHOWN && i == PLAN_STEPS_SHOWN - 2) {
            sw_strbuf_puts(sb, ",...", NULL);
            i = n - 1;
        }
        const json_t *v = json_array_get(steps, i);
        sw_strbuf_printf(sb, NULL, "%s%s", i > 0 ? "," : "",
                         json_is_string(v) ? json_string_value(v) : "?");
    }
    if (n > PLAN_STEPS_SHOWN) {
        sw_strbuf_printf(sb, NULL, " (%zu steps)", n);
    }
}

static int plan_print_stage(const json_t *stage, size_t idx, size_t n_stages, struct sw_err *err)
{
    static const char *const head[] = {"SHARD", "ENGINE", "HOST", "FROM", "TO", "STEPS"};
    const json_t *shards = json_object_get(stage, "shards");
    size_t n = json_array_size(shards);
    printf("stage %zu/%zu %s: %zu shard%s\n", idx + 1, n_stages, cli_json_str(stage, "name", "?"),
           n, n == 1 ? "" : "s");
    if (n == 0) {
        return 0;
    }
    struct cli_table t;
    struct sw_strbuf steps;
    sw_strbuf_init(&steps, 4096);
    int rc = cli_table_init(&t, 6, head, err);
    t.indent = "  ";
    size_t i = 0;
    const json_t *s = NULL;
    json_array_foreach(shards, i, s)
    {
        if (rc != 0) {
            break;
        }
        plan_steps_text(json_object_get(s, "steps"), &steps);
        const char *row[] = {cli_json_str(s, "id", "?"),    cli_json_str(s, "engine", "?"),
                             cli_json_str(s, "host", NULL), cli_json_str(s, "from", "0"),
                             cli_json_str(s, "to", "0"),    sw_strbuf_str(&steps)};
        rc = cli_table_add(&t, row, err);
    }
    if (rc == 0) {
        cli_table_print(&t, stdout);
    }
    cli_table_cleanup(&t);
    sw_strbuf_cleanup(&steps);
    return rc;
}

/* A titled list of strings (warnings, explain), or of {id, reason} (skipped). */
static void plan_print_list(const char *title, const json_t *list)
{
    size_t n = json_array_size(list);
    if (n == 0) {
        return;
    }
    printf("%s (%zu):\n", title, n);
    size_t i = 0;
    const json_t *item = NULL;
    json_array_foreach(list, i, item)
    {
        if (json_is_string(item)) {
            printf("  %s\n", json_string_value(item));
        } else {
            printf("  %s: %s\n", cli_json_str(item, "id", "?"), cli_json_str(item, "reason", "?"));
        }
    }
}

/* One step the wave runs: its version and the engines of the shards that run it. */
struct plan_step {
    const char *version; /* borrowed from the reply */
    struct version v;
    unsigned engines; /* bit per enum migset_engine */
};

static unsigned plan_engine_bit(const char *name)
{
    enum migset_engine e;
    return migset_engine_parse(name, strlen(name), &e) == 0 ? 1u << (unsigned)e : 0;
}

static int plan_step_cmp(const void *a, const void *b)
{
    return version_cmp(&((const struct plan_step *)a)->v, &((const struct plan_step *)b)->v);
}

/* The steps of a plan being collected; `hint` is where the next step likely is (shards
 * list their steps in order, so a lookup is usually one comparison). */
struct plan_step_list {
    struct plan_step *steps;
    size_t n;
    size_t cap;
    size_t hint;
};

static struct plan_step *plan_step_find(struct plan_step_list *l, const char *version)
{
    for (size_t k = 0; k < l->n; k++) {
        size_t i = (l->hint + k) % l->n;
        if (strcmp(l->steps[i].version, version) == 0) {
            l->hint = i + 1;
            return &l->steps[i];
        }
    }
    return NULL;
}

/* Adds one shard's step to the list. */
static int plan_step_note(struct plan_step_list *l, const char *version, unsigned engine,
                          struct sw_err *err)
{
    struct plan_step *s = plan_step_find(l, version);
    if (s != NULL) {
        s->engines |= engine;
        return 0;
    }
    if (l->n == l->cap) {
        size_t c = l->cap == 0 ? 16 : 2 * l->cap;
        struct plan_step *grown = realloc(l->steps, c * sizeof *grown);
        if (grown == NULL) {
            return sw_err_set(err, SW_ENOMEM, "out of memory");
        }
        l->steps = grown;
        l->cap = c;
    }
    s = &l->steps[l->n++];
    s->version = version;
    s->engines = engine;
    return version_parse_str(version, &s->v, err);
}

/* Notes the steps of one planned shard. */
static int plan_shard_steps(const json_t *shard, struct plan_step_list *l, struct sw_err *err)
{
    unsigned bit = plan_engine_bit(cli_json_str(shard, "engine", ""));
    size_t k = 0;
    const json_t *v = NULL;
    json_array_foreach(json_object_get(shard, "steps"), k, v)
    {
        int rc = json_is_string(v) ? plan_step_note(l, json_string_value(v), bit, err) : 0;
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Every step any shard of the plan runs, by version (l->steps: free()). */
static int plan_steps(const json_t *reply, struct plan_step_list *l, struct sw_err *err)
{
    int rc = 0;
    size_t i = 0;
    const json_t *stage = NULL;
    json_array_foreach(json_object_get(reply, "stages"), i, stage)
    {
        size_t j = 0;
        const json_t *sh = NULL;
        json_array_foreach(json_object_get(stage, "shards"), j, sh)
        {
            rc = rc == 0 ? plan_shard_steps(sh, l, err) : rc;
        }
    }
    if (rc == 0 && l->n > 1) {
        qsort(l->steps, l->n, sizeof *l->steps, plan_step_cmp);
    }
    return rc;
}

/* "pg, sqlite" */
static void plan_engines_text(unsigned engines, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int e = 0; e < MIGSET_ENGINE_COUNT && len < cap; e++) {
        if ((engines & (1u << (unsigned)e)) != 0) {
            len += (size_t)snprintf(buf + len, cap - len, "%s%s", len > 0 ? ", " : "",
                                    migset_engine_name((enum migset_engine)e));
        }
    }
}

/* The lint findings beside their steps, then what they mean for a wave. */
static int plan_print_findings(const json_t *reply, struct sw_err *err)
{
    const json_t *lint = json_object_get(reply, "lint");
    const json_t *findings = json_object_get(lint, "findings");
    struct plan_step_list l = {0};
    int rc = plan_steps(reply, &l, err);
    size_t clean = 0;
    printf("findings (%zu):\n", json_array_size(findings));
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        char engines[64];
        if (cmd_wave_print_findings(NULL, findings, l.steps[i].version, "") == 0) {
            clean++;
            continue;
        }
        plan_engines_text(l.steps[i].engines, engines, sizeof engines);
        printf("  step %s (%s):\n", l.steps[i].version, engines);
        cmd_wave_print_findings(stdout, findings, l.steps[i].version, "    ");
    }
    if (rc == 0 && clean > 0) {
        printf("  %zu step%s without findings\n", clean, clean == 1 ? "" : "s");
    }
    free(l.steps);
    long long unsafe = cli_json_int(lint, "unsafe", 0);
    if (rc == 0 && unsafe > 0) {
        printf("policy: %lld unsafe finding%s: 'wave start' refuses this wave (unsafe_migration);\n"
               "  use the safe form or acknowledge each in its file, or start it with\n"
               "  --allow-unsafe --reason TEXT\n",
               unsafe, unsafe == 1 ? "" : "s");
    } else if (rc == 0) {
        printf("policy: no unsafe finding\n");
    }
    return rc;
}

static int plan_print(const char *digest, bool is_new, const json_t *reply, struct sw_err *err)
{
    const json_t *stages = json_object_get(reply, "stages");
    size_t n = json_array_size(stages);
    printf("migration set %.12s (%s)\n", digest, is_new ? "uploaded" : "already known");
    printf("plan: %s to version %s, %zu stage%s\n", cli_json_str(reply, "direction", "up"),
           cli_json_str(reply, "target", "?"), n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        int rc = plan_print_stage(json_array_get(stages, i), i, n, err);
        if (rc != 0) {
            return rc;
        }
    }
    int rc = plan_print_findings(reply, err);
    if (rc != 0) {
        return rc;
    }
    plan_print_list("skipped", json_object_get(reply, "skipped"));
    plan_print_list("warnings", json_object_get(reply, "warnings"));
    plan_print_list("explain", json_object_get(reply, "explain"));
    return 0;
}

static int plan_parse(int argc, char **argv, struct cli_remote_args *a, struct sw_err *err)
{
    unsigned allowed = CLI_REMOTE_OPT(CLI_ROPT_PLAN) | CLI_REMOTE_OPT(CLI_ROPT_MIGRATIONS);
    int rc = cli_remote_args_parse(argc, argv, "plan", allowed, 0, a, err);
    if (rc != 0 || a->help) {
        return rc;
    }
    if (a->plan == NULL || a->migrations == NULL) {
        sw_err_set(err, SW_EINVAL, "plan: %s is required",
                   a->plan == NULL ? "--plan FILE" : "--migrations DIR");
        sw_err_hint(err, "e.g. shardwave plan --plan plan.conf --migrations db/migrations");
        return SW_EINVAL;
    }
    return 0;
}

static int plan_run(int argc, char **argv, struct sw_err *err)
{
    struct cli_remote_args a;
    struct cli_remote *r = NULL;
    json_t *plan = NULL;
    json_t *body = NULL;
    json_t *reply = NULL;
    char *digest = NULL;
    bool is_new = false;
    int rc = plan_parse(argc, argv, &a, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_plan);
    }
    rc = cmd_plan_load_file(a.plan, &plan, err);
    if (rc == 0) {
        rc = cli_remote_open(&a, &r, err);
    }
    if (rc == 0) {
        rc = cmd_plan_upload_set(r, a.migrations, &digest, &is_new, err);
    }
    if (rc != 0) {
        goto out;
    }
    body = json_object();
    json_object_set_new(body, "migration_set", json_string(digest));
    json_object_set_new(body, "plan", json_incref(plan));
    rc = cli_remote_call(r, "POST", "/v1/plans", body, &reply, NULL, err);
    if (rc == 0) {
        rc = a.json ? cli_remote_print_json(reply, err) : plan_print(digest, is_new, reply, err);
    }
out:
    free(digest);
    json_decref(reply);
    json_decref(body);
    json_decref(plan);
    cli_remote_free(r);
    return rc;
}

const struct cli_command cmd_plan = {
    .name = "plan",
    .summary = "dry-run a wave plan on the coordinator (stages, shards, steps)",
    .help = plan_help,
    .run = plan_run,
};
