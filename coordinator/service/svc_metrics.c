/*
 * The coordinator's metrics: counters fed by the HTTP layer (requests, agents' step
 * reports, agent contacts) and gauges recomputed from the store at each scrape.
 * Lock order: scrape_mu, then mu, then the registry's own lock (inside sw_metrics).
 */
#include "service/svc_metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "service/svc_internal.h"
#include "service/svc_notify.h"
#include "sw/build_info.h"
#include "sw/clock.h"

#define SVC_METRICS_ENGINE_RELOAD_MS                                                               \
    5000 /* a missed shard reloads the fleet at most this often                                    \
          */

struct svc_metrics_agent {
    char id[FLEET_ID_MAX + 1];
    int64_t seen_ms;
};

struct svc_metrics_engine {
    char id[FLEET_ID_MAX + 1];
    enum migset_engine engine;
};

struct svc_metrics {
    struct sw_metrics *reg;
    pthread_mutex_t scrape_mu; /* one scrape at a time: clear, set, render */
    pthread_mutex_t mu;        /* agents and engines */
    size_t n_agents;
    struct svc_metrics_agent *agents; /* sorted by id */
    size_t n_engines;
    struct svc_metrics_engine *engines; /* sorted by shard id */
    int64_t engines_loaded_ms;
    uint64_t leases_expired_counted; /* svc_leases_expired_total at the last scrape */
};

static const struct sw_metric_def svc_metric_defs[] = {
    {"shardwave_build_info",
     SW_METRIC_GAUGE,
     "The coordinator's version (always 1).",
     1,
     {"version"},
     0,
     {0}},
    {"shardwave_waves",
     SW_METRIC_GAUGE,
     "Waves by state (from the store, at scrape time).",
     1,
     {"state"},
     0,
     {0}},
    {"shardwave_wave_shards",
     SW_METRIC_GAUGE,
     "Shards of each active wave by their state.",
     2,
     {"wave", "state"},
     0,
     {0}},
    {"shardwave_fleet_shards_by_version",
     SW_METRIC_GAUGE,
     "Fleet shards by last reported version (\"0\" when none).",
     1,
     {"version"},
     0,
     {0}},
    {"shardwave_fleet_shards_by_health",
     SW_METRIC_GAUGE,
     "Fleet shards by last reported health.",
     1,
     {"health"},
     0,
     {0}},
    {"shardwave_steps_applied_total",
     SW_METRIC_COUNTER,
     "Migration steps agents reported applied, by the shard's engine.",
     1,
     {"engine"},
     0,
     {0}},
    {"shardwave_steps_failed_total",
     SW_METRIC_COUNTER,
     "Migration steps agents reported failed or dirty, by the shard's engine.",
     1,
     {"engine"},
     0,
     {0}},
    {"shardwave_step_duration_seconds",
     SW_METRIC_HISTOGRAM,
     "Duration of reported applied and failed steps, by the shard's engine.",
     1,
     {"engine"},
     12,
     SVC_METRICS_STEP_BUCKETS},
    {"shardwave_leases_outstanding",
     SW_METRIC_GAUGE,
     "Shards of active waves leased to an agent (leased or running).",
     0,
     {NULL},
     0,
     {0}},
    {"shardwave_leases_expired",
     SW_METRIC_GAUGE,
     "Leases past their expiry that the scheduler has not given back yet.",
     0,
     {NULL},
     0,
     {0}},
    {"shardwave_leases_expired_total",
     SW_METRIC_COUNTER,
     "Leases that expired and were taken back from their agent (the shard re-dispatched).",
     0,
     {NULL},
     0,
     {0}},
    {"shardwave_agents_connected",
     SW_METRIC_GAUGE,
     "Agents seen within the lease TTL plus the long-poll time.",
     0,
     {NULL},
     0,
     {0}},
    {"shardwave_agent_last_seen_seconds",
     SW_METRIC_GAUGE,
     "Seconds since each agent last talked to this coordinator (or registered).",
     1,
     {"agent"},
     0,
     {0}},
};

int svc_metrics_new(struct svc_metrics **out, struct sw_err *err)
{
    struct svc_metrics *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&m->scrape_mu, NULL);
    pthread_mutex_init(&m->mu, NULL);
    int rc = sw_metrics_new(&m->reg, err);
    if (rc == 0) {
        rc = sw_metrics_define(m->reg, svc_metric_defs,
                               sizeof svc_metric_defs / sizeof svc_metric_defs[0], err);
    }
    if (rc != 0) {
        svc_metrics_free(m);
        return rc;
    }
    for (int i = 0; i < MIGSET_ENGINE_COUNT; i++) { /* every engine shows, at 0 */
        const char *v[] = {migset_engine_name((enum migset_engine)i)};
        sw_metrics_add(m->reg, "shardwave_steps_applied_total", v, 0);
        sw_metrics_add(m->reg, "shardwave_steps_failed_total", v, 0);
    }
    *out = m;
    return 0;
}

void svc_metrics_free(struct svc_metrics *m)
{
    if (m == NULL) {
        return;
    }
    sw_metrics_free(m->reg);
    free(m->agents);
    free(m->engines);
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->scrape_mu);
    free(m);
}

struct sw_metrics *svc_metrics_registry(struct svc_metrics *m)
{
    return m->reg;
}

/* ---- agents --------------------------------------------------------------------------- */

/* Index of id in the sorted agents, or where it would go (*found false). Caller holds mu. */
static size_t svc_metrics_agent_idx(const struct svc_metrics *m, const char *id, bool *found)
{
    size_t lo = 0;
    size_t hi = m->n_agents;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->agents[mid].id, id);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Records id's contact (the later of seen_ms and what is known). Caller holds mu. */
static void svc_metrics_seen_locked(struct svc_metrics *m, const char *id, int64_t seen_ms)
{
    bool found = false;
    size_t i = svc_metrics_agent_idx(m, id, &found);
    if (found) {
        if (seen_ms > m->agents[i].seen_ms) {
            m->agents[i].seen_ms = seen_ms;
        }
        return;
    }
    if (m->n_agents >= SW_METRICS_MAX_SERIES || strlen(id) > FLEET_ID_MAX || id[0] == '\0') {
        return;
    }
    struct svc_metrics_agent *a = realloc(m->agents, (m->n_agents + 1) * sizeof *a);
    if (a == NULL) {
        return;
    }
    m->agents = a;
    memmove(&a[i + 1], &a[i], (m->n_agents - i) * sizeof *a);
    m->n_agents++;
    snprintf(a[i].id, sizeof a[i].id, "%s", id);
    a[i].seen_ms = seen_ms;
}

void svc_metrics_agent_seen(struct svc_metrics *m, const char *agent_id, int64_t now_ms)
{
    pthread_mutex_lock(&m->mu);
    svc_metrics_seen_locked(m, agent_id, now_ms);
    pthread_mutex_unlock(&m->mu);
}

/* ---- step reports --------------------------------------------------------------------- */

static int svc_metrics_engine_cmp(const void *a, const void *b)
{
    return strcmp(((const struct svc_metrics_engine *)a)->id,
                  ((const struct svc_metrics_engine *)b)->id);
}

/* Reloads the shard -> engine cache from the store's shard list (id, pool, engine: not
 * the whole fleet with statuses and labels, ~15 MB at 10,000 shards on a wave's first
 * report, when the coordinator's RSS peaks). Caller holds mu. */
static void svc_metrics_engines_load(struct svc_metrics *m, struct svc *s, int64_t now_ms)
{
    struct store *st = NULL;
    struct store_shard_pool *pools = NULL;
    size_t n = 0;
    struct sw_err err = {0};
    m->engines_loaded_ms = now_ms;
    if (svc_store_get(s, &st, &err) != 0 || store_shard_pools(st, &pools, &n, &err) != 0) {
        goto out; /* the engine stays "unknown"; the report itself was fine */
    }
    struct svc_metrics_engine *e = calloc(n + 1, sizeof *e);
    if (e == NULL) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(e[i].id, sizeof e[i].id, "%s", pools[i].id);
        e[i].engine = pools[i].engine;
    }
    qsort(e, n, sizeof *e, svc_metrics_engine_cmp);
    free(m->engines);
    m->engines = e;
    m->n_engines = n;
out:
    free(pools);
    svc_store_put(s, st);
}

/* The engine name of a shard ("unknown" when not in the fleet). Caller holds mu. */
static const char *svc_metrics_engine(struct svc_metrics *m, struct svc *s, const char *shard,
                                      int64_t now_ms)
{
    struct svc_metrics_engine key = {0};
    snprintf(key.id, sizeof key.id, "%s", shard);
    for (int attempt = 0; attempt < 2; attempt++) {
        const struct svc_metrics_engine *e =
            m->engines == NULL ? NULL
                               : bsearch(&key, m->engines, m->n_engines, sizeof *m->engines,
                                         svc_metrics_engine_cmp);
        if (e != NULL) {
            return migset_engine_name(e->engine);
        }
        if (attempt > 0 ||
            (m->engines != NULL && now_ms - m->engines_loaded_ms < SVC_METRICS_ENGINE_RELOAD_MS)) {
            break;
        }
        svc_metrics_engines_load(m, s, now_ms);
    }
    return "unknown";
}

static bool svc_metrics_is_duplicate(const struct wire_report_resp *resp, const char *id)
{
    for (size_t i = 0; resp != NULL && i < resp->n_duplicates; i++) {
        if (strcmp(resp->duplicates[i], id) == 0) {
            return true;
        }
    }
    return false;
}

void svc_metrics_reports(struct svc_metrics *m, struct svc *s, const struct wire_report_req *req,
                         const struct wire_report_resp *resp)
{
    int64_t now_ms = sw_clock_wall_ms();
    pthread_mutex_lock(&m->mu);
    svc_metrics_seen_locked(m, req->agent, now_ms);
    for (size_t i = 0; i < req->n_reports; i++) {
        const struct wire_report *r = &req->reports[i];
        bool is_failed = r->outcome == WIRE_OUT_FAILED || r->outcome == WIRE_OUT_DIRTY;
        if (r->kind != WIRE_REPORT_STEP || (!is_failed && r->outcome != WIRE_OUT_APPLIED) ||
            svc_metrics_is_duplicate(resp, r->id)) {
            continue;
        }
        const char *v[] = {svc_metrics_engine(m, s, r->shard, now_ms)};
        sw_metrics_add(m->reg,
                       is_failed ? "shardwave_steps_failed_total" : "shardwave_steps_applied_total",
                       v, 1);
        sw_metrics_observe(m->reg, "shardwave_step_duration_seconds", v,
                           (double)r->duration_ms / 1000.0);
    }
    pthread_mutex_unlock(&m->mu);
}

/* ---- scrape-time gauges --------------------------------------------------------------- */

/* shardwave_waves by state (every state, 0 included) and the active waves' shards. */
static int svc_metrics_waves(struct svc_metrics *m, struct store *st, size_t *n_leased,
                             struct sw_err *err)
{
    struct store_wave *waves = NULL;
    size_t n = 0;
    double by_state[WAVE_STATE_COUNT] = {0};
    int rc = store_wave_list(st, NULL, &waves, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        by_state[waves[i].state] += 1;
        if (!wave_state_is_active(waves[i].state)) {
            continue;
        }
        struct store_wave_detail d = {0};
        rc = store_wave_get_no_steps(st, waves[i].id, &d, err);
        double by_shard[WSHARD_STATE_COUNT] = {0};
        for (size_t j = 0; rc == 0 && j < d.n_shards; j++) {
            by_shard[d.shards[j].state] += 1;
            *n_leased += d.shards[j].lease_id[0] != '\0' ? 1 : 0;
        }
        for (int k = 0; rc == 0 && k < WSHARD_STATE_COUNT; k++) {
            const char *v[] = {waves[i].id, wave_shard_state_name((enum wave_shard_state)k)};
            sw_metrics_set(m->reg, "shardwave_wave_shards", v, by_shard[k]);
        }
        store_wave_detail_cleanup(&d);
    }
    for (int k = 0; rc == 0 && k < WAVE_STATE_COUNT; k++) {
        const char *v[] = {wave_state_name((enum wave_state)k)};
        sw_metrics_set(m->reg, "shardwave_waves", v, by_state[k]);
    }
    store_waves_free(waves, n);
    return rc;
}

/* Shards by version and by health (every health, 0 included). */
static int svc_metrics_fleet(struct svc_metrics *m, struct store *st, struct sw_err *err)
{
    struct store_fleet f = {0};
    double by_health[SHARD_HEALTH_COUNT] = {0};
    int rc = store_fleet_load(st, &f, err);
    for (size_t i = 0; rc == 0 && i < f.fleet.n_shards; i++) {
        const char *v[] = {f.status[i].version};
        sw_metrics_add(m->reg, "shardwave_fleet_shards_by_version", v, 1);
        by_health[f.status[i].health] += 1;
    }
    for (int k = 0; rc == 0 && k < SHARD_HEALTH_COUNT; k++) {
        const char *v[] = {shard_health_name((enum shard_health)k)};
        sw_metrics_set(m->reg, "shardwave_fleet_shards_by_health", v, by_health[k]);
    }
    store_fleet_cleanup(&f);
    return rc;
}

/* Agents: those registered in the store (seen at registration) and those seen since. */
static int svc_metrics_agents(struct svc_metrics *m, struct svc *s, struct store *st,
                              int64_t now_ms, struct sw_err *err)
{
    struct store_agent *agents = NULL;
    size_t n = 0;
    int rc = store_agents_list(st, &agents, &n, err);
    if (rc != 0) {
        return rc;
    }
    int64_t window_ms = s->lease_ttl_ms + s->long_poll_ms;
    double n_connected = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < n; i++) {
        svc_metrics_seen_locked(m, agents[i].id, agents[i].last_seen_ms);
    }
    for (size_t i = 0; i < m->n_agents; i++) {
        int64_t age_ms = now_ms - m->agents[i].seen_ms;
        age_ms = age_ms > 0 ? age_ms : 0;
        n_connected += age_ms <= window_ms ? 1 : 0;
        const char *v[] = {m->agents[i].id};
        sw_metrics_set(m->reg, "shardwave_agent_last_seen_seconds", v, (double)age_ms / 1000.0);
    }
    pthread_mutex_unlock(&m->mu);
    sw_metrics_set(m->reg, "shardwave_agents_connected", NULL, n_connected);
    free(agents);
    return 0;
}

static int svc_metrics_collect(struct svc_metrics *m, struct svc *s, struct store *st,
                               int64_t now_ms, struct sw_err *err)
{
    static const char *const cleared[] = {"shardwave_wave_shards",
                                          "shardwave_fleet_shards_by_version",
                                          "shardwave_agent_last_seen_seconds"};
    for (size_t i = 0; i < sizeof cleared / sizeof cleared[0]; i++) {
        sw_metrics_clear(m->reg, cleared[i]);
    }
    const char *version[] = {SW_VERSION_STRING};
    sw_metrics_set(m->reg, "shardwave_build_info", version, 1);
    size_t n_leased = 0;
    struct store_lease *expired = NULL;
    size_t n_expired = 0;
    int rc = svc_metrics_waves(m, st, &n_leased, err);
    rc = rc != 0 ? rc : svc_metrics_fleet(m, st, err);
    rc = rc != 0 ? rc : svc_metrics_agents(m, s, st, now_ms, err);
    rc = rc != 0 ? rc : store_leases_expired(st, now_ms, &expired, &n_expired, err);
    if (rc == 0) {
        sw_metrics_set(m->reg, "shardwave_leases_outstanding", NULL, (double)n_leased);
        sw_metrics_set(m->reg, "shardwave_leases_expired", NULL, (double)n_expired);
    }
    uint64_t expired_total = svc_leases_expired_total(s); /* counted by the service */
    if (expired_total > m->leases_expired_counted) {
        sw_metrics_add(m->reg, "shardwave_leases_expired_total", NULL,
                       (double)(expired_total - m->leases_expired_counted));
        m->leases_expired_counted = expired_total;
    }
    free(expired);
    return rc;
}

int svc_metrics_render(struct svc_metrics *m, struct svc *s, int64_t now_ms, struct sw_strbuf *out,
                       struct svc_error *e)
{
    struct store *st = NULL;
    pthread_mutex_lock(&m->scrape_mu);
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = svc_metrics_collect(m, s, st, now_ms, &e->err);
    }
    svc_store_put(s, st);
    enum svc_code code = SVC_INTERNAL;
    if (rc == 0) {
        code = SVC_PAYLOAD_TOO_LARGE;
        rc = sw_metrics_render(m->reg, out, &e->err);
    }
    if (rc != 0) {
        char msg[sizeof e->err.msg];
        snprintf(msg, sizeof msg, "%s", e->err.msg);
        rc = svc_error_set(e, code, "metrics: %s", msg);
    }
    pthread_mutex_unlock(&m->scrape_mu);
    return rc;
}
