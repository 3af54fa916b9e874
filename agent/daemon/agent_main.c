/*
 * shardwave-agent: holds the shards' database credentials, pulls work from the
 * coordinator and runs migrations with the engine library. Logs go to stderr.
 *   shardwave-agent --config F [--once]   run (SIGTERM: finish current work, exit 0;
 *                                         SIGHUP: reload the shard DSN table)
 *   shardwave-agent --config F --check-config   load, validate, print the effective config
 *   shardwave-agent --help | --version
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/agent_daemon.h"
#include "daemon/agent_metrics.h"
#include "engine/engine.h"
#include "sw/build_info.h"
#include "sw/cfgtab.h"
#include "sw/log.h"
#include "sw/strbuf.h"

static volatile sig_atomic_t agent_sig_term;
static volatile sig_atomic_t agent_sig_hup;

static void agent_on_term(int sig)
{
    (void)sig;
    agent_sig_term = agent_sig_term < 2 ? agent_sig_term + 1 : 2;
}

static void agent_on_hup(int sig)
{
    (void)sig;
    agent_sig_hup = 1;
}

static void agent_hup_clear(void)
{
    agent_sig_hup = 0;
}

static void agent_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = agent_on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = agent_on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int agent_http_for(const struct agent *a, bool abortable, struct agent_http **out,
                   struct sw_err *err)
{
    struct agent_http_opts opts = {.urls = (const char *const *)a->cfg.coordinator_urls.items,
                                   .n_urls = a->cfg.coordinator_urls.n_items,
                                   .shared_idx = (atomic_size_t *)&a->coordinator_idx,
                                   .token = a->cfg.token,
                                   .ca_file = a->cfg.ca_file,
                                   .connect_timeout_ms = a->cfg.connect_timeout_ms,
                                   .request_timeout_ms = a->cfg.request_timeout_ms,
                                   .abort_flag = abortable ? a->term : NULL};
    return agent_http_new(&opts, out, err);
}

int agent_init(struct agent *a, struct sw_err *err)
{
    const struct agent_config *c = &a->cfg;
    a->retry = (struct sw_retry_policy){.base_ms = c->retry_base_ms, .cap_ms = c->retry_cap_ms};
    /* held: every worker's job, and as many more whose work ended (their slot is busy
     * again) while their thread still disconnects */
    a->held = calloc(2 * (size_t)c->workers, sizeof *a->held);
    a->pending = calloc((size_t)c->workers, sizeof *a->pending);
    if (a->held == NULL || a->pending == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    pthread_rwlock_init(&a->dsn_lock, NULL);
    int rc = sw_retry_policy_check(&a->retry, err);
    if (rc == 0) {
        rc = agent_dsn_table_load(&a->dsns, c->dsn_template, c->password_file, c->shards_file, err);
    }
    if (rc == 0) {
        rc = agent_queue_open(c->state_dir, c->agent_id, &a->queue, err);
    }
    return rc;
}

void agent_cleanup(struct agent *a)
{
    if (a->held != NULL && a->pending != NULL) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->cv);
        pthread_rwlock_destroy(&a->dsn_lock);
    }
    for (size_t i = 0; i < a->n_held; i++) {
        agent_job_free(a->held[i]);
    }
    free(a->held);
    free(a->pending);
    agent_queue_free(a->queue);
    agent_dsn_table_cleanup(&a->dsns);
    agent_config_cleanup(&a->cfg);
}

static void agent_usage(FILE *f)
{
    fprintf(f, "usage: shardwave-agent --config FILE [--once]\n"
               "       shardwave-agent --config FILE --check-config\n"
               "       shardwave-agent --help | --version\n\n"
               "Pulls migration work from the shardwave coordinator and runs it on the shards\n"
               "this agent can reach. Logs go to stderr. SIGTERM: take no new work, finish the\n"
               "current work, deliver reports, exit 0. SIGHUP: reload the shard DSN table.\n\n"
               "  --config FILE    agent config (libconfig); settings below\n"
               "  --check-config   validate the config and the shard DSN table, print the\n"
               "                   effective config (secrets redacted), exit\n"
               "  --once           one lease request; run what it returned; exit (tests)\n"
               "  --version        version, git commit and protocol version\n\n");
}

static int agent_help(void)
{
    struct sw_strbuf sb;
    struct sw_err err = {0};
    sw_strbuf_init(&sb, 1024 * 1024);
    agent_usage(stdout);
    int rc = cfgtab_help(agent_config_table(), &sb, &err);
    if (rc == 0) {
        fputs(sw_strbuf_str(&sb), stdout);
    }
    sw_strbuf_cleanup(&sb);
    return rc == 0 ? 0 : 1;
}

static int agent_check_config(struct agent *a)
{
    struct sw_strbuf sb;
    struct sw_err err = {0};
    sw_strbuf_init(&sb, 1024 * 1024);
    int rc = agent_dsn_table_load(&a->dsns, a->cfg.dsn_template, a->cfg.password_file,
                                  a->cfg.shards_file, &err);
    if (rc == 0) {
        rc = cfgtab_print(agent_config_table(), &a->cfg, &sb, &err);
    }
    if (rc == 0) {
        fputs(sw_strbuf_str(&sb), stdout);
        printf("# shard DSNs: %zu listed%s\n", a->dsns.n_shards,
               a->dsns.dsn_template != NULL ? ", plus dsn_template for the others" : "");
    } else {
        fprintf(stderr, "shardwave-agent: %s\n", err.msg);
    }
    sw_strbuf_cleanup(&sb);
    return rc == 0 ? 0 : sw_err_exit_code(rc);
}

struct agent_args {
    const char *config;
    bool check_config;
    bool once;
};

/* Parses argv; returns -1 to go on, else the exit code. */
static int agent_parse_args(int argc, char **argv, struct agent_args *args)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"check-config", no_argument, NULL, 'k'},
        {"once", no_argument, NULL, 'o'},         {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            args->config = optarg;
            break;
        case 'k':
            args->check_config = true;
            break;
        case 'o':
            args->once = true;
            break;
        case 'h':
            return agent_help();
        case 'V':
            printf("shardwave-agent %s (commit %s, protocol %s)\n", SW_VERSION_STRING,
                   SW_GIT_COMMIT, SW_PROTOCOL_VERSION);
            return 0;
        default:
            agent_usage(stderr);
            return 2;
        }
    }
    if (optind < argc || args->config == NULL) {
        fprintf(stderr, "shardwave-agent: %s\n",
                optind < argc ? "unexpected argument" : "--config FILE is required");
        agent_usage(stderr);
        return 2;
    }
    return -1;
}

/* Sets the metrics' gauges before a scrape (the server's thread). */
static void agent_metrics_collect(void *ctx, struct sw_metrics *m)
{
    struct agent *a = ctx;
    pthread_mutex_lock(&a->mu);
    double n_held = (double)a->n_held;
    pthread_mutex_unlock(&a->mu);
    sw_metrics_set(m, "shardwave_agent_leases_held", NULL, n_held);
    sw_metrics_set(m, "shardwave_agent_reports_queued", NULL, (double)agent_queue_len(a->queue));
}

/* With metrics_listen set: the registry and its server. */
static int agent_main_metrics(struct agent *a, struct agent_metrics_server **srv,
                              struct sw_err *err)
{
    if (a->cfg.metrics_listen == NULL) {
        return 0;
    }
    int rc = agent_metrics_new(&a->metrics, err);
    if (rc == 0) {
        rc = agent_metrics_start(a->cfg.metrics_listen, a->metrics, agent_metrics_collect, a, srv,
                                 err);
    }
    if (rc == 0) {
        log_info("metrics on http://%s/metrics (port %u)", a->cfg.metrics_listen,
                 (unsigned)agent_metrics_port(*srv));
    }
    return rc;
}

static int agent_main_run(struct agent *a)
{
    struct sw_err err = {0};
    struct agent_metrics_server *metrics_srv = NULL;
    int rc = engine_global_init(&err);
    if (rc == 0) {
        rc = agent_init(a, &err);
    }
    if (rc == 0) {
        rc = agent_main_metrics(a, &metrics_srv, &err);
    }
    if (rc != 0) {
        log_error("%s", err.msg);
        agent_metrics_stop(metrics_srv);
        sw_metrics_free(a->metrics);
        a->metrics = NULL;
        engine_global_cleanup();
        return sw_err_exit_code(rc);
    }
    log_info("shardwave-agent %s starting: agent %s, %lld workers, coordinator %s%s",
             SW_VERSION_STRING, a->cfg.agent_id, (long long)a->cfg.workers,
             a->cfg.coordinator_urls.items[0],
             a->cfg.coordinator_urls.n_items > 1 ? " (and the other coordinators listed)" : "");
    int code = agent_run(a);
    agent_metrics_stop(metrics_srv);
    sw_metrics_free(a->metrics);
    a->metrics = NULL;
    log_info("shardwave-agent stopped");
    engine_global_cleanup();
    return code;
}

int main(int argc, char **argv)
{
    struct agent_args args = {0};
    struct agent a = {0};
    struct sw_err err = {0};
    int code = agent_parse_args(argc, argv, &args);
    if (code >= 0) {
        return code;
    }
    agent_signals(); /* before anything slow: a SIGTERM during startup still exits cleanly */
    if (agent_config_load(args.config, &a.cfg, &err) != 0) {
        fprintf(stderr, "shardwave-agent: %s\n", err.msg);
        if (err.hint[0] != '\0') {
            fprintf(stderr, "hint: %s\n", err.hint);
        }
        return sw_err_exit_code(err.code);
    }
    enum log_level level = LOG_INFO;
    enum log_format format = LOG_FORMAT_LOGFMT;
    log_level_parse(a.cfg.log_level, &level);
    log_format_parse(a.cfg.log_format, &format);
    log_setup_format(level, format);
    a.config_path = args.config;
    a.once = args.once;
    a.term = &agent_sig_term;
    a.hup = &agent_sig_hup;
    a.hup_clear = agent_hup_clear;
    if (args.check_config) {
        code = agent_check_config(&a);
    } else {
        code = agent_main_run(&a);
    }
    agent_cleanup(&a);
    return code;
}
