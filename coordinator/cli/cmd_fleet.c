/* `shardwave fleet`: the shards the coordinator knows, their versions and drift; reload. */
#include "cmd_fleet.h"

#include <stdio.h>
#include <string.h>

#include "cli_remote.h"
#include "cli_table.h"
#include "sw/strbuf.h"

#define FLEET_BAR_MAX 40

static const char fleet_help[] =
    "NAME\n"
    "    shardwave fleet - show the coordinator's fleet, its versions and drift\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave fleet [--drift] [--json] [global options]\n"
    "    shardwave fleet reload [--json] [global options]\n"
    "\n"
    "DESCRIPTION\n"
    "    Without arguments: a table of every shard (id, engine, agent pool, last reported\n"
    "    version, health, when an agent last saw it, the active wave it belongs to, its\n"
    "    labels), then the version histogram (how many shards are at each version,\n"
    "    highest first) and the number of drifting shards.\n"
    "\n"
    "    --drift lists only the shards that drift: not healthy (dirty, unreachable,\n"
    "    checksum_mismatch, unknown) or behind the most common version.\n"
    "\n"
    "    'fleet reload' makes the coordinator re-read its fleet file (like SIGHUP) and\n"
    "    prints the shards added, changed and removed. A removed shard that belongs to an active\n"
    "    wave stays in that wave and is listed; finish or abort the wave to let it go.\n"
    "    Needs an operator token; listing needs any token.\n"
    "\n"
    "    --json prints the answer of GET /v1/fleet (or POST /v1/fleet/reload) as is,\n"
    "    also with --drift; see docs/api.md.\n"
    "\n"
    "OPTIONS\n"
    "    --drift            only the drifting shards\n"
    "\n" CLI_REMOTE_HELP_GLOBALS "\n" CLI_REMOTE_HELP_EXIT "\n" CLI_REMOTE_HELP_ENV "\n"
    "EXAMPLES\n"
    "    shardwave fleet --coordinator http://127.0.0.1:7400 --token-file ~/.sw-token\n"
    "    export SHARDWAVE_COORDINATOR=https://coord.internal:7400 SHARDWAVE_TOKEN_FILE=~/t\n"
    "    shardwave fleet --drift\n"
    "    shardwave fleet reload\n";

/* Labels as "k=v,k=v" in the server's order. */
static void fleet_labels(const json_t *labels, struct sw_strbuf *sb)
{
    const char *key = NULL;
    const json_t *v = NULL;
    sw_strbuf_reset(sb);
    json_object_foreach((json_t *)labels, key, v)
    {
        sw_strbuf_printf(sb, NULL, "%s%s=%s", sb->len > 0 ? "," : "", key,
                         json_is_string(v) ? json_string_value(v) : "?");
    }
}

static int fleet_print_shards(const json_t *shards, struct sw_err *err)
{
    static const char *const head[] = {"SHARD",  "ENGINE",    "POOL", "VERSION",
                                       "HEALTH", "LAST SEEN", "WAVE", "LABELS"};
    struct cli_table t;
    struct sw_strbuf labels;
    sw_strbuf_init(&labels, 16384);
    int rc = cli_table_init(&t, 8, head, err);
    size_t i = 0;
    const json_t *s = NULL;
    json_array_foreach(shards, i, s)
    {
        if (rc != 0) {
            break;
        }
        fleet_labels(json_object_get(s, "labels"), &labels);
        const char *row[] = {
            cli_json_str(s, "id", "?"),           cli_json_str(s, "engine", "?"),
            cli_json_str(s, "pool", NULL),        cli_json_str(s, "version", "0"),
            cli_json_str(s, "health", "?"),       cli_json_str(s, "last_seen", "never"),
            cli_json_str(s, "active_wave", NULL), sw_strbuf_str(&labels)};
        rc = cli_table_add(&t, row, err);
    }
    if (rc == 0) {
        cli_table_print(&t, stdout);
    }
    cli_table_cleanup(&t);
    sw_strbuf_cleanup(&labels);
    return rc;
}

static int fleet_print_histogram(const json_t *hist, size_t n_shards, struct sw_err *err)
{
    static const char *const head[] = {"VERSION", "SHARDS", ""};
    char count[32];
    char bar[FLEET_BAR_MAX + 1];
    struct cli_table t;
    int rc = cli_table_init(&t, 3, head, err);
    size_t i = 0;
    const json_t *h = NULL;
    json_array_foreach(hist, i, h)
    {
        if (rc != 0) {
            break;
        }
        long long n = cli_json_int(h, "count", 0);
        size_t len =
            n_shards > 0
                ? (size_t)((n * FLEET_BAR_MAX + (long long)n_shards - 1) / (long long)n_shards)
                : 0;
        len = len > FLEET_BAR_MAX ? FLEET_BAR_MAX : len;
        memset(bar, '#', len);
        bar[len] = '\0';
        snprintf(count, sizeof count, "%lld", n);
        const char *row[] = {cli_json_str(h, "version", "?"), count, bar};
        rc = cli_table_add(&t, row, err);
    }
    if (rc == 0) {
        cli_table_print(&t, stdout);
    }
    cli_table_cleanup(&t);
    return rc;
}

static int fleet_print_drift(const json_t *drift, struct sw_err *err)
{
    static const char *const head[] = {"SHARD", "VERSION", "HEALTH", "REASON"};
    if (json_array_size(drift) == 0) {
        printf("no drift: every shard is healthy and at the most common version\n");
        return 0;
    }
    struct cli_table t;
    int rc = cli_table_init(&t, 4, head, err);
    size_t i = 0;
    const json_t *d = NULL;
    json_array_foreach(drift, i, d)
    {
        if (rc != 0) {
            break;
        }
        const char *row[] = {cli_json_str(d, "id", "?"), cli_json_str(d, "version", "0"),
                             cli_json_str(d, "health", "?"), cli_json_str(d, "reason", NULL)};
        rc = cli_table_add(&t, row, err);
    }
    if (rc == 0) {
        cli_table_print(&t, stdout);
    }
    cli_table_cleanup(&t);
    return rc;
}

static int fleet_print(const json_t *reply, struct sw_err *err)
{
    const json_t *shards = json_object_get(reply, "shards");
    size_t n = json_array_size(shards);
    size_t n_drift = json_array_size(json_object_get(reply, "drift"));
    int rc = fleet_print_shards(shards, err);
    if (rc != 0) {
        return rc;
    }
    printf("\n%zu shard%s; versions:\n", n, n == 1 ? "" : "s");
    rc = fleet_print_histogram(json_object_get(reply, "histogram"), n, err);
    if (rc == 0) {
        printf("\ndrift: %zu shard%s%s\n", n_drift, n_drift == 1 ? "" : "s",
               n_drift > 0 ? " (see 'shardwave fleet --drift')" : "");
    }
    return rc;
}

/* A list of ids (strings) or objects with "id" and "wave". */
static void fleet_print_ids(const char *what, const json_t *list)
{
    size_t n = json_array_size(list);
    printf("%s: %zu\n", what, n);
    size_t i = 0;
    const json_t *item = NULL;
    json_array_foreach(list, i, item)
    {
        if (json_is_string(item)) {
            printf("  %s\n", json_string_value(item));
        } else {
            printf("  %s (wave %s)\n", cli_json_str(item, "id", "?"),
                   cli_json_str(item, "wave", "?"));
        }
    }
}

static void fleet_print_reload(const json_t *reply)
{
    printf("fleet reloaded: %lld shards\n", cli_json_int(reply, "shards", 0));
    fleet_print_ids("added", json_object_get(reply, "added"));
    fleet_print_ids("changed", json_object_get(reply, "changed"));
    fleet_print_ids("removed", json_object_get(reply, "removed"));
    const json_t *busy = json_object_get(reply, "removed_in_active_wave");
    if (json_array_size(busy) > 0) {
        fleet_print_ids("removed but kept in their active waves", busy);
    }
}

static int fleet_parse(int argc, char **argv, struct cli_remote_args *a, bool *is_reload,
                       struct sw_err *err)
{
    int rc = cli_remote_args_parse(argc, argv, "fleet", CLI_REMOTE_OPT(CLI_ROPT_DRIFT), 1, a, err);
    if (rc != 0 || a->help || a->n_pos == 0) {
        return rc;
    }
    if (strcmp(a->pos[0], "reload") != 0) {
        sw_err_set(err, SW_EINVAL, "fleet: unknown argument '%s'", a->pos[0]);
        sw_err_hint(err, "did you mean 'shardwave fleet reload'? see 'shardwave fleet --help'");
        return SW_EINVAL;
    }
    *is_reload = true;
    a->command = "fleet reload";
    if (a->drift) {
        sw_err_set(err, SW_EINVAL, "fleet reload: option '--drift' does not apply here");
        sw_err_hint(err, "see 'shardwave fleet --help'");
        return SW_EINVAL;
    }
    return 0;
}

static int fleet_run(int argc, char **argv, struct sw_err *err)
{
    struct cli_remote_args a;
    struct cli_remote *r = NULL;
    json_t *reply = NULL;
    bool is_reload = false;
    int rc = fleet_parse(argc, argv, &a, &is_reload, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_fleet);
    }
    rc = cli_remote_open(&a, &r, err);
    if (rc != 0) {
        goto out;
    }
    rc = cli_remote_call(r, is_reload ? "POST" : "GET",
                         is_reload ? "/v1/fleet/reload" : "/v1/fleet", NULL, &reply, NULL, err);
    if (rc != 0) {
        goto out;
    }
    if (a.json) {
        rc = cli_remote_print_json(reply, err);
    } else if (is_reload) {
        fleet_print_reload(reply);
    } else if (a.drift) {
        rc = fleet_print_drift(json_object_get(reply, "drift"), err);
    } else {
        rc = fleet_print(reply, err);
    }
out:
    json_decref(reply);
    cli_remote_free(r);
    return rc;
}

const struct cli_command cmd_fleet = {
    .name = "fleet",
    .summary = "show the coordinator's fleet: shards, versions, drift; reload it",
    .help = fleet_help,
    .run = fleet_run,
};
