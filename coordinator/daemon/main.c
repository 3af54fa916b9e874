/* shardwave-coordinator: command line, config, logging, then the coordinator's loop. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/coord_config.h"
#include "coordinator.h"
#include "sw/build_info.h"
#include "sw/log.h"
#include "sw/strbuf.h"

static const char usage_text[] =
    "Usage: shardwave-coordinator --config FILE [--check-config]\n"
    "       shardwave-coordinator --help | --version\n"
    "\n"
    "Runs the shardwave coordinator: fleet inventory, migration sets, waves, the v1 HTTP\n"
    "API with the operator dashboard at / and the scheduler (see docs/api.md,\n"
    "docs/dashboard.md).\n"
    "\n"
    "Options:\n"
    "  --config FILE    libconfig settings file (settings below; environment overrides)\n"
    "  --check-config   load and validate the config, print the effective settings\n"
    "                   (secrets redacted) and exit\n"
    "  --version        print version, git commit and protocol version\n"
    "  -h, --help       show this help\n"
    "\n"
    "Signals: SIGHUP reloads the fleet file, the tokens file and reloadable settings;\n"
    "SIGTERM/SIGINT stop gracefully (exit 0).\n"
    "\n"
    "Settings:\n";

struct main_args {
    const char *config_path;
    int is_check;
};

/* Prints usage and the settings table; returns 0 or the config's error exit code. */
static int main_help(FILE *out)
{
    struct sw_strbuf sb;
    struct sw_err err = {0};
    sw_strbuf_init(&sb, 1024 * 1024);
    int rc = coord_config_help(&sb, &err);
    fputs(usage_text, out);
    fputs(sw_strbuf_str(&sb), out);
    sw_strbuf_cleanup(&sb);
    return rc != 0 ? 1 : 0;
}

/* Returns -1 to go on, else the exit code. */
static int main_parse(int argc, char **argv, struct main_args *a)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return main_help(stdout);
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("shardwave-coordinator %s (commit %s, protocol %s)\n", SW_VERSION_STRING,
                   SW_GIT_COMMIT, SW_PROTOCOL_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--check-config") == 0) {
            a->is_check = 1;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            a->config_path = argv[++i];
        } else {
            fprintf(stderr,
                    "shardwave-coordinator: unknown or incomplete option '%s'\n"
                    "try 'shardwave-coordinator --help'\n",
                    argv[i]);
            return 2;
        }
    }
    return -1;
}

static int main_check(const struct coord_config *cfg)
{
    struct sw_strbuf sb;
    struct sw_err err = {0};
    sw_strbuf_init(&sb, 1024 * 1024);
    int rc = coord_config_print(cfg, &sb, &err);
    if (rc == 0) {
        fputs(sw_strbuf_str(&sb), stdout);
    } else {
        fprintf(stderr, "shardwave-coordinator: %s\n", err.msg);
    }
    sw_strbuf_cleanup(&sb);
    return rc != 0 ? sw_err_exit_code(rc) : 0;
}

static void main_report(const struct sw_err *err)
{
    log_error("%s", err->msg);
    if (err->hint[0] != '\0') {
        log_error("hint: %s", err->hint);
    }
}

int main(int argc, char **argv)
{
    struct main_args a = {0};
    struct coord_config cfg = {0};
    struct coordinator *c = NULL;
    struct sw_err err = {0};
    int rc = main_parse(argc, argv, &a);
    if (rc >= 0) {
        return rc;
    }
    if (coord_config_load(a.config_path, NULL, &cfg, &err) != 0) {
        fprintf(stderr, "shardwave-coordinator: %s\n", err.msg);
        if (err.hint[0] != '\0') {
            fprintf(stderr, "hint: %s\n", err.hint);
        }
        return sw_err_exit_code(err.code);
    }
    log_setup_format(cfg.log_level, cfg.log_format);
    if (a.is_check) {
        rc = main_check(&cfg);
        coord_config_cleanup(&cfg);
        return rc;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
#ifdef M_ARENA_MAX
    /* One malloc arena for every thread: glibc gives each allocating thread its own, and
     * the request threads' transient wave-sized allocations (views, plans, JSON) then pin
     * memory in each (bench/scale.sh, 3,000 shards: peak RSS 51 -> 32 MiB). The work is
     * serialised on the wave lock anyway. MALLOC_ARENA_MAX in the environment wins. */
    if (getenv("MALLOC_ARENA_MAX") == NULL) {
        mallopt(M_ARENA_MAX, 1);
    }
#endif
    if (coordinator_start(&cfg, a.config_path, &c, &err) != 0) {
        main_report(&err);
        return sw_err_exit_code(err.code);
    }
    rc = coordinator_run(c);
    coordinator_free(c);
    log_info("shardwave-coordinator stopped");
    return rc;
}
