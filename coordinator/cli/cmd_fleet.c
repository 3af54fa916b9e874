/* `shardwave fleet`: the shards the coordinator knows, their versions and drift; reload;
 * inventory scans. */
#include "cmd_fleet.h"

#include <stdio.h>
#include <string.h>

#include "cli_remote.h"
#include "cli_table.h"
#include "sw/clock.h"
#include "sw/strbuf.h"

#define FLEET_BAR_MAX       40
#define FLEET_POLL_MIN_MS   100
#define FLEET_POLL_MAX_MS   1000
#define FLEET_PENDING_SHOWN 20

enum fleet_action { FLEET_LIST, FLEET_RELOAD, FLEET_SCAN };

static const char fleet_help[] =
    "NAME\n"
    "    shardwave fleet - show the coordinator's fleet, its versions and drift\n"
    "\n"
    "SYNOPSIS\n"
    "    shardwave fleet [--drift] [--json] [global options]\n"
    "    shardwave fleet scan [--wait] [--wait-timeout S] [--json] [global options]\n"
    "    shardwave fleet reload [--json] [global options]\n"
    "\n"
    "DESCRIPTION\n"
    "    Without arguments: a table of every shard (id, engine, agent pool, last reported\n"
    "    version, health, when an agent last saw it, the active wave it belongs to, its\n"
    "    labels), then the version histogram (how many shards are at each version,\n"
    "    highest first) and the number of drifting shards.\n"
    "\n"
    "    --drift lists only the shards that drift, each with its reasons: not healthy\n"
    "    (dirty, unreachable, checksum_mismatch), lagging behind (or ahead of) the most\n"
    "    common version, a schema fingerprint that differs from the other shards of its\n"
    "    engine at its version (someone changed the schema by hand), applied versions the\n"
    "    migration set does not have (unknown) or whose checksum differs (edited). The\n"
    "    last three come from the last inventory scan.\n"
    "\n"
    "    'fleet scan' asks the coordinator for a read-only inventory scan of every shard:\n"
    "    an agent of each shard's pool reads its history table and catalog and reports\n"
    "    the applied versions with their checksums, its health and its schema fingerprint.\n"
    "    Applied versions are compared with the migration set of the newest wave. Nothing\n"
    "    is changed on any shard. Without --wait it returns once the scan is queued; with\n"
    "    --wait it polls until every shard reported (at most --wait-timeout seconds,\n"
    "    default 300; exit 7 naming the shards that did not report) and prints the drift\n"
    "    view. Needs an operator token.\n"
    "\n"
    "    'fleet reload' makes the coordinator re-read its fleet file (like SIGHUP) and\n"
    "    prints the shards added, changed and removed. A removed shard that belongs to an active\n"
    "    wave stays in that wave and is listed; finish or abort the wave to let it go.\n"
    "    Needs an operator token; listing needs any token.\n"
    "\n"
    "    --json prints the answer of GET /v1/fleet (or POST /v1/fleet/reload, or POST\n"
    "    /v1/fleet/inventory for 'scan' without --wait) as is; 'scan --wait --json'\n"
    "    prints GET /v1/fleet once every shard reported. See docs/api.md.\n"
    "\n"
    "OPTIONS\n"
    "    --drift            only the drifting shards, with their reasons\n"
    "    --wait             (scan) wait until every shard reported, then show the drift\n"
    "    --wait-timeout S   (scan) give up waiting after S seconds (default 300; implies\n"
    "                       --wait)\n"
    "\n" CLI_REMOTE_HELP_GLOBALS "\n" CLI_REMOTE_HELP_EXIT "\n" CLI_REMOTE_HELP_ENV "\n"
    "EXAMPLES\n"
    "    shardwave fleet --coordinator http://127.0.0.1:7400 --token-file ~/.sw-token\n"
    "    export SHARDWAVE_COORDINATOR=https://coord.internal:7400 SHARDWAVE_TOKEN_FILE=~/t\n"
    "    shardwave fleet --drift\n"
    "    shardwave fleet scan --wait\n"
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

static int fleet_parse(int argc, char **argv, struct cli_remote_args *a, enum fleet_action *action,
                       struct sw_err *err)
{
    unsigned allowed = CLI_REMOTE_OPT(CLI_ROPT_DRIFT) | CLI_REMOTE_OPT(CLI_ROPT_WAIT) |
                       CLI_REMOTE_OPT(CLI_ROPT_WAIT_TIMEOUT);
    int rc = cli_remote_args_parse(argc, argv, "fleet", allowed, 1, a, err);
    if (rc != 0 || a->help) {
        return rc;
    }
    *action = FLEET_LIST;
    if (a->n_pos > 0 && strcmp(a->pos[0], "reload") == 0) {
        *action = FLEET_RELOAD;
        a->command = "fleet reload";
    } else if (a->n_pos > 0 && strcmp(a->pos[0], "scan") == 0) {
        *action = FLEET_SCAN;
        a->command = "fleet scan";
    } else if (a->n_pos > 0) {
        sw_err_set(err, SW_EINVAL, "fleet: unknown argument '%s'", a->pos[0]);
        sw_err_hint(err, "use 'shardwave fleet scan' or 'shardwave fleet reload'; see "
                         "'shardwave fleet --help'");
        return SW_EINVAL;
    }
    const char *bad = NULL;
    if (a->drift && *action != FLEET_LIST) {
        bad = "--drift";
    } else if (a->wait && *action != FLEET_SCAN) {
        bad = "--wait";
    }
    if (bad != NULL) {
        sw_err_set(err, SW_EINVAL, "%s: option '%s' does not apply here", a->command, bad);
        sw_err_hint(err, "see 'shardwave fleet --help'");
        return SW_EINVAL;
    }
    return 0;
}

/* "pg-01, pg-02, ... (+N more)" */
static void fleet_pending_text(const json_t *pending, struct sw_strbuf *sb)
{
    size_t i = 0;
    const json_t *id = NULL;
    json_array_foreach(pending, i, id)
    {
        if (i == FLEET_PENDING_SHOWN) {
            sw_strbuf_printf(sb, NULL, " (+%zu more)", json_array_size(pending) - i);
            break;
        }
        sw_strbuf_printf(sb, NULL, "%s%s", i > 0 ? ", " : "",
                         json_is_string(id) ? json_string_value(id) : "?");
    }
}

static int fleet_wait_timeout(const struct cli_remote_args *a, const json_t *pending,
                              struct sw_err *err)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, 4096);
    fleet_pending_text(pending, &sb);
    size_t n = json_array_size(pending);
    sw_err_set(err, SW_ETIMEOUT, "fleet scan: %zu shard%s did not report within %d s: %s", n,
               n == 1 ? "" : "s", a->wait_timeout_s, sw_strbuf_str(&sb));
    sw_err_hint(err, "is an agent of their pool running and able to reach the coordinator? "
                     "'shardwave fleet' shows when each shard was last seen");
    sw_strbuf_cleanup(&sb);
    return SW_ETIMEOUT;
}

/* Polls GET /v1/fleet until no inventory scan is pending; *reply is the last answer. */
static int fleet_wait_scan(struct cli_remote *r, const struct cli_remote_args *a, json_t **reply,
                           struct sw_err *err)
{
    int64_t deadline_ms = sw_clock_mono_ms() + (int64_t)a->wait_timeout_s * 1000;
    int64_t pause_ms = FLEET_POLL_MIN_MS;
    for (;;) {
        json_decref(*reply);
        *reply = NULL;
        int rc = cli_remote_call(r, "GET", "/v1/fleet", NULL, reply, NULL, err);
        if (rc != 0) {
            return rc;
        }
        const json_t *pending = json_object_get(json_object_get(*reply, "inventory"), "pending");
        if (!json_is_array(pending)) {
            sw_err_set(err, SW_EUNSUPPORTED,
                       "fleet scan: the coordinator does not say which scans are pending");
            sw_err_hint(err, "upgrade the coordinator, or run 'shardwave fleet scan' without "
                             "--wait and look at 'shardwave fleet --drift' later");
            return SW_EUNSUPPORTED;
        }
        if (json_array_size(pending) == 0) {
            return 0;
        }
        if (sw_clock_mono_ms() >= deadline_ms) {
            return fleet_wait_timeout(a, pending, err);
        }
        sw_clock_sleep_ms(pause_ms, NULL);
        pause_ms = pause_ms * 2 > FLEET_POLL_MAX_MS ? FLEET_POLL_MAX_MS : pause_ms * 2;
    }
}

static int fleet_scan(struct cli_remote *r, const struct cli_remote_args *a, struct sw_err *err)
{
    json_t *queued = NULL;
    json_t *fleet = NULL;
    int rc = cli_remote_call(r, "POST", "/v1/fleet/inventory", NULL, &queued, NULL, err);
    if (rc != 0 || (!a->wait && a->json)) {
        rc = rc == 0 ? cli_remote_print_json(queued, err) : rc;
        goto out;
    }
    const char *ref = cli_json_str(queued, "reference_set", NULL);
    long long n = cli_json_int(queued, "queued", 0);
    if (!a->json) {
        printf("inventory scan queued for %lld shard%s; migrations compared with %s%.12s\n", n,
               n == 1 ? "" : "s", ref != NULL ? "set " : "no set (no wave yet)",
               ref != NULL ? ref : "");
    }
    if (!a->wait) {
        printf("see 'shardwave fleet --drift' once every shard reported (or use --wait)\n");
        goto out;
    }
    rc = fleet_wait_scan(r, a, &fleet, err);
    if (rc == 0 && a->json) {
        rc = cli_remote_print_json(fleet, err);
    } else if (rc == 0) {
        size_t n_shards = json_array_size(json_object_get(fleet, "shards"));
        printf("every shard reported (%zu shard%s)\n\n", n_shards, n_shards == 1 ? "" : "s");
        rc = fleet_print_drift(json_object_get(fleet, "drift"), err);
    }
out:
    json_decref(queued);
    json_decref(fleet);
    return rc;
}

static int fleet_run(int argc, char **argv, struct sw_err *err)
{
    struct cli_remote_args a;
    struct cli_remote *r = NULL;
    json_t *reply = NULL;
    enum fleet_action action = FLEET_LIST;
    int rc = fleet_parse(argc, argv, &a, &action, err);
    if (rc != 0 || a.help) {
        return rc != 0 ? rc : cli_print_help(&cmd_fleet);
    }
    rc = cli_remote_open(&a, &r, err);
    if (rc != 0) {
        goto out;
    }
    switch (action) {
    case FLEET_SCAN:
        rc = fleet_scan(r, &a, err);
        goto out;
    case FLEET_RELOAD:
        rc = cli_remote_call(r, "POST", "/v1/fleet/reload", NULL, &reply, NULL, err);
        break;
    case FLEET_LIST:
        rc = cli_remote_call(r, "GET", "/v1/fleet", NULL, &reply, NULL, err);
        break;
    }
    if (rc != 0) {
        goto out;
    }
    if (a.json) {
        rc = cli_remote_print_json(reply, err);
    } else if (action == FLEET_RELOAD) {
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
    .summary = "show the coordinator's fleet: shards, versions, drift; scan it; reload it",
    .help = fleet_help,
    .run = fleet_run,
};
