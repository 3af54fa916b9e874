/* shardwave-coordinator: wiring of config, store, tokens, service, HTTP and scheduler. */
#include "coordinator.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/tokens.h"
#include "coord_notify.h"
#include "ha/ha.h"
#include "http/http_api.h"
#include "http/http_server.h"
#include "sched/sched.h"
#include "service/service.h"
#include "service/svc_metrics.h"
#include "store/store.h"
#include "sw/log.h"

#define COORD_STOP_WAIT_MS    10000
#define COORD_IDLE_TXN_MIN_MS 1000
#define COORD_IDLE_TXN_MAX_MS STORE_DEFAULT_IDLE_TXN_MS

/* Lock order: tokens_lock only (held for lookups and the tokens swap). */
struct coordinator {
    struct coord_config cfg;
    char *config_path;
    char self_id[HTTP_LEADER_ID_MAX + 1]; /* cfg.coordinator_id, fixed at start */
    atomic_bool has_fleet_file;
    struct store_open_opts store_opts;
    struct store *store; /* the primary handle: holds the store's process lock */
    struct ha *ha;       /* NULL when the store is not shared: always the leader */
    pthread_rwlock_t tokens_lock;
    struct tokens *tokens;
    struct svc *svc;
    struct notify *notify; /* webhooks (coord_notify.c) */
    struct svc_metrics *metrics;
    struct http_api api;
    struct http_server *http;
    struct sched *sched;
};

static enum http_role coord_role(enum tokens_role r)
{
    switch (r) {
    case TOKENS_ROLE_READ:
        return HTTP_ROLE_READ;
    case TOKENS_ROLE_OPERATOR:
        return HTTP_ROLE_OPERATOR;
    case TOKENS_ROLE_AGENT:
    case TOKENS_ROLE_COUNT:
        return HTTP_ROLE_AGENT;
    }
    return HTTP_ROLE_AGENT;
}

/* The HTTP server's auth callback: tokens file lookup (constant time in tokens.c). */
static int coord_auth(void *ctx, const char *token, char *name, size_t name_cap,
                      enum http_role *role)
{
    struct coordinator *c = ctx;
    struct tokens_identity who = {0};
    pthread_rwlock_rdlock(&c->tokens_lock);
    int rc = tokens_lookup(c->tokens, token, strlen(token), &who, NULL);
    pthread_rwlock_unlock(&c->tokens_lock);
    if (rc != 0) {
        return -1;
    }
    snprintf(name, name_cap, "%s", who.name);
    *role = coord_role(who.role);
    return 0;
}

/* Whether this coordinator may act as leader (scheduler, reloads). */
static bool coord_is_leader(void *ctx)
{
    struct coordinator *c = ctx;
    return c->ha == NULL || ha_is_leader(c->ha);
}

/* The HTTP server's leader callback: followers redirect writes and agents. */
static void coord_leader(void *ctx, struct http_leader *out)
{
    struct coordinator *c = ctx;
    memset(out, 0, sizeof *out);
    snprintf(out->self_id, sizeof out->self_id, "%s", c->self_id);
    if (c->ha == NULL) {
        out->is_leader = true;
        return;
    }
    struct ha_status st;
    ha_status_get(c->ha, &st);
    out->is_ha = true;
    out->is_leader = st.role == HA_LEADER;
    out->epoch = st.epoch;
    snprintf(out->leader_id, sizeof out->leader_id, "%s", st.leader_id);
    snprintf(out->leader_url, sizeof out->leader_url, "%s", st.leader_url);
    out->leader_epoch = st.leader_epoch;
}

static int coord_start_http(struct coordinator *c, struct sw_err *err)
{
    size_t n_routes = 0;
    const struct http_route *routes = http_api_routes(&n_routes);
    c->api.svc = c->svc;
    c->api.metrics = c->metrics;
    struct http_server_config hc = {
        .metrics = svc_metrics_registry(c->metrics),
        .listen_addr = c->cfg.listen_host,
        .port = (uint16_t)c->cfg.listen_port,
        .tls_cert_file = c->cfg.tls_cert_file,
        .tls_key_file = c->cfg.tls_key_file,
        .max_connections = (unsigned)c->cfg.max_connections,
        .is_thread_per_connection = true, /* agents' long-polls each hold a connection */
        .timeout_seconds = (unsigned)((c->cfg.request_timeout_ms + 999) / 1000),
        .max_upload_bytes = (size_t)c->cfg.max_body_bytes,
        .routes = routes,
        .n_routes = n_routes,
        .handler_ctx = &c->api,
        .auth = coord_auth,
        .auth_ctx = c,
        .leader = coord_leader,
        .leader_ctx = c,
    };
    int rc = http_server_start(&hc, &c->http, err);
    if (rc == 0) {
        c->api.server = c->http;
        log_info("listening on %s port %u (%s)", c->cfg.listen_host,
                 (unsigned)http_server_port(c->http),
                 c->cfg.tls_cert_file != NULL ? "https" : "http");
    }
    return rc;
}

/* Loads the fleet file into the store (startup and SIGHUP); logs the outcome. */
static int coord_sync_fleet(struct coordinator *c, const char *actor, struct sw_err *err)
{
    struct svc_error e = {0};
    struct store_sync_result r = {0};
    int rc = svc_fleet_reload(c->svc, actor, &r, &e);
    if (rc != 0) {
        sw_err_copy(err, &e.err);
    }
    for (size_t i = 0; rc == 0 && i < r.n_removed_active; i++) {
        log_warn("fleet: shard %s was removed from the fleet file but stays in active wave %s",
                 r.removed_active[i].shard_id, r.removed_active[i].wave_id);
    }
    store_sync_result_cleanup(&r);
    svc_error_cleanup(&e);
    return rc;
}

/* The HA thread's role changes: a new leader rebuilds from the store (as a restarted
 * coordinator does: in-memory state dropped, fleet file loaded) and ticks at once; a
 * follower drops in-flight long-polls so agents go to the leader. */
static void coord_on_role(void *ctx, enum ha_role role, int64_t epoch)
{
    struct coordinator *c = ctx;
    struct sw_err err = {0};
    switch (role) {
    case HA_LEADER:
        svc_set_leader(c->svc, true);
        if (atomic_load(&c->has_fleet_file) && coord_sync_fleet(c, "leader", &err) != 0) {
            log_error("leadership: epoch %lld: fleet file not loaded: %s", (long long)epoch,
                      err.msg);
        }
        if (c->sched != NULL) {
            sched_kick(c->sched);
        }
        return;
    case HA_FOLLOWER:
        svc_set_leader(c->svc, false);
        return;
    }
}

/* On a shared store (PostgreSQL): the leadership loop, started once the rest is up. */
static int coord_new_ha(struct coordinator *c, struct sw_err *err)
{
    if (!store_is_shared(c->store)) {
        return 0;
    }
    struct ha_config hc = {.store_path = c->cfg.store_path,
                           .store_opts = &c->store_opts,
                           .coordinator_id = c->cfg.ha_id,
                           .advertise_url = c->cfg.ha_url,
                           .lease_ms = c->cfg.leader_lease_ms,
                           .metrics = svc_metrics_registry(c->metrics),
                           .on_role = coord_on_role,
                           .ctx = c};
    return ha_new(&hc, &c->ha, err);
}

static int coord_start_metrics(struct coordinator *c, struct sw_err *err)
{
    int rc = svc_metrics_new(&c->metrics, err);
    if (rc == 0) {
        rc = http_server_metrics_define(svc_metrics_registry(c->metrics), err);
    }
    if (rc == 0 && store_is_shared(c->store)) {
        rc = ha_metrics_define(svc_metrics_registry(c->metrics), err);
    }
    return rc;
}

/* A new wave starts at once rather than at the scheduler's next tick (tick_ms). */
static void coord_wave_created(void *ctx)
{
    struct coordinator *c = ctx;
    if (c->sched != NULL) {
        sched_kick(c->sched);
    }
}

/* A coordinator stopped inside a store transaction keeps its row locks (the lease row)
 * until PostgreSQL ends its session: half the lease, within [1 s, 10 s], so a takeover
 * is not delayed much past the lease itself (docs/ha.md, time bounds). */
static int coord_idle_txn_ms(int64_t lease_ms)
{
    int64_t ms = lease_ms / 2;
    return (int)(ms < COORD_IDLE_TXN_MIN_MS   ? COORD_IDLE_TXN_MIN_MS
                 : ms > COORD_IDLE_TXN_MAX_MS ? COORD_IDLE_TXN_MAX_MS
                                              : ms);
}

static int coord_start_parts(struct coordinator *c, struct sw_err *err)
{
    c->store_opts.idle_txn_timeout_ms = coord_idle_txn_ms(c->cfg.leader_lease_ms);
    int rc = store_open(c->cfg.store_path, &c->store_opts, &c->store, err);
    if (rc == 0) {
        rc = coord_start_metrics(c, err);
    }
    if (rc == 0) {
        rc = coord_new_ha(c, err);
    }
    if (rc == 0) {
        rc = tokens_load(c->cfg.tokens_file, &c->tokens, err);
    }
    if (rc == 0) {
        struct svc_config sc = {.store_path = c->cfg.store_path,
                                .fleet_file = c->cfg.fleet_file,
                                .lease_ttl_ms = c->cfg.lease_ttl_ms,
                                .long_poll_ms = c->cfg.long_poll_ms,
                                .fence = c->ha != NULL ? ha_epoch(c->ha) : NULL,
                                .store_idle_txn_ms = c->store_opts.idle_txn_timeout_ms,
                                .on_wave_created = coord_wave_created,
                                .on_wave_created_ctx = c};
        rc = svc_new(&sc, &c->svc, err);
    }
    if (rc == 0) {
        rc = coord_notify_start(&c->cfg, c->svc, c->metrics, &c->notify, err);
    }
    if (rc == 0 && c->ha != NULL) {
        svc_set_leader(c->svc, false); /* until the first lease is won */
    }
    if (rc == 0 && c->ha == NULL && c->cfg.fleet_file != NULL) {
        rc = coord_sync_fleet(c, "startup", err); /* HA: the leader loads it (coord_on_role) */
    }
    if (rc == 0) {
        struct sched_config scfg = {.svc = c->svc,
                                    .tick_ms = c->cfg.tick_ms,
                                    .is_active = coord_is_leader,
                                    .active_ctx = c};
        rc = sched_start(&scfg, &c->sched, err);
    }
    if (rc == 0) {
        rc = coord_start_http(c, err);
    }
    if (rc == 0 && c->ha != NULL) {
        rc = ha_start(c->ha, err);
    }
    return rc;
}

int coordinator_start(struct coord_config *cfg, const char *config_path, struct coordinator **out,
                      struct sw_err *err)
{
    struct coordinator *c = calloc(1, sizeof *c);
    if (c == NULL) {
        coord_config_cleanup(cfg);
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    c->cfg = *cfg;
    memset(cfg, 0, sizeof *cfg);
    pthread_rwlock_init(&c->tokens_lock, NULL);
    c->config_path = config_path != NULL ? strdup(config_path) : NULL;
    snprintf(c->self_id, sizeof c->self_id, "%s", c->cfg.ha_id);
    atomic_init(&c->has_fleet_file, c->cfg.fleet_file != NULL);
    int rc = coord_start_parts(c, err);
    if (rc != 0) {
        coordinator_free(c);
        return rc;
    }
    log_info("shardwave-coordinator started: store %s, %zu tokens, tick %lld ms%s%s",
             store_path(c->store), tokens_count(c->tokens), (long long)c->cfg.tick_ms,
             c->ha != NULL ? ", high availability as " : "", c->ha != NULL ? c->self_id : "");
    *out = c;
    return 0;
}

/* Swaps in a reloaded config's reloadable parts (tokens, fleet file path, tick, log). */
static int coord_apply_config(struct coordinator *c, struct coord_config *next, struct sw_err *err)
{
    struct tokens *tokens = NULL;
    int rc = tokens_load(next->tokens_file, &tokens, err);
    if (rc == 0) {
        rc = svc_set_fleet_file(c->svc, next->fleet_file, err);
    }
    if (rc != 0) {
        tokens_free(tokens);
        coord_config_cleanup(next);
        return rc;
    }
    pthread_rwlock_wrlock(&c->tokens_lock);
    struct tokens *old = c->tokens;
    c->tokens = tokens;
    pthread_rwlock_unlock(&c->tokens_lock);
    tokens_free(old);
    sched_set_tick(c->sched, next->tick_ms);
    atomic_store(&c->has_fleet_file, next->fleet_file != NULL);
    coord_notify_reload(c->notify, next);
    /* the HTTP server keeps its body limit and timeouts until restart */
    coord_config_cleanup(&c->cfg);
    c->cfg = *next;
    memset(next, 0, sizeof *next);
    return 0;
}

/* SIGHUP: reloadable settings, tokens and the fleet file; wave state is untouched. */
static void coord_reload(struct coordinator *c)
{
    struct coord_config next = {0};
    struct sw_strbuf changed;
    struct sw_err err = {0};
    sw_strbuf_init(&changed, 4096);
    int rc = coord_config_reload(&c->cfg, c->config_path, NULL, &next, &changed, &err);
    if (rc == 0) {
        rc = coord_apply_config(c, &next, &err);
    }
    if (rc != 0) {
        log_error("reload (SIGHUP): config not applied: %s", err.msg);
    } else {
        log_info("reload (SIGHUP): config reloaded (changed: %s)",
                 changed.len > 0 ? sw_strbuf_str(&changed) : "nothing");
    }
    sw_strbuf_cleanup(&changed);
    if (c->cfg.fleet_file != NULL && !coord_is_leader(c)) {
        log_info("reload (SIGHUP): the fleet file is loaded by the leader, not this follower");
    } else if (c->cfg.fleet_file != NULL && coord_sync_fleet(c, "SIGHUP", &err) != 0) {
        log_error("reload (SIGHUP): fleet file not loaded: %s", err.msg);
    }
}

int coordinator_run(struct coordinator *c)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (sig == SIGHUP) {
            coord_reload(c);
            continue;
        }
        log_info("received %s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        return 0;
    }
}

void coordinator_free(struct coordinator *c)
{
    if (c == NULL) {
        return;
    }
    ha_stop(c->ha); /* a leader steps down and releases the lease: a follower takes over */
    if (c->svc != NULL) {
        svc_stop_waiting(c->svc); /* long-polls answer now, so the stop does not wait */
    }
    http_server_stop(c->http, COORD_STOP_WAIT_MS);
    sched_free(c->sched);
    c->sched = NULL;
    ha_free(c->ha);
    http_server_free(c->http);
    coord_notify_stop(c->svc, c->notify); /* nothing steps a wave any more */
    if (c->svc != NULL) {
        svc_stats_log(c->svc); /* the latencies bench/scale.sh reads */
    }
    svc_free(c->svc);
    svc_metrics_free(c->metrics);
    tokens_free(c->tokens);
    store_close(c->store);
    pthread_rwlock_destroy(&c->tokens_lock);
    coord_config_cleanup(&c->cfg);
    free(c->config_path);
    free(c);
}
