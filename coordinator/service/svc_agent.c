/*
 * The agent session side of the protocol (docs/protocol.md): registration, the agents
 * this process knows, waking long-polls, heartbeats (lease extension, lost leases,
 * cancel-running) and lease ids.
 */
#include "service/service.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "service/svc_internal.h"
#include "sw/clock.h"
#include "sw/log.h"

#define SVC_LEASE_RAND_BYTES 12

void svc_new_lease_id(char out[STORE_LEASE_ID_MAX + 1])
{
    unsigned char r[SVC_LEASE_RAND_BYTES] = {0};
    static const char hex[] = "0123456789abcdef";
    if (RAND_bytes(r, (int)sizeof r) != 1) {
        /* no entropy source: still unique enough within one store (time + address) */
        int64_t t = sw_clock_wall_ms() ^ (int64_t)(uintptr_t)out;
        memcpy(r, &t, sizeof t);
    }
    out[0] = 'l';
    out[1] = '-';
    for (size_t i = 0; i < sizeof r; i++) {
        out[2 + 2 * i] = hex[r[i] >> 4];
        out[3 + 2 * i] = hex[r[i] & 15];
    }
    out[2 + 2 * sizeof r] = '\0';
}

bool svc_pool_in(const char *pools, const char *pool)
{
    size_t len = strlen(pool);
    const char *p = pools;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, pool, len) == 0) {
            return true;
        }
        p += n;
        p += *p == ',';
    }
    return false;
}

void svc_wake_agents(struct svc *s)
{
    pthread_mutex_lock(&s->agent_mu);
    s->work_gen++;
    pthread_cond_broadcast(&s->agent_cv);
    pthread_mutex_unlock(&s->agent_mu);
}

void svc_stop_waiting(struct svc *s)
{
    pthread_mutex_lock(&s->agent_mu);
    s->is_stopping = true;
    pthread_cond_broadcast(&s->agent_cv);
    pthread_mutex_unlock(&s->agent_mu);
}

/* Remembers the agent's pools in memory. Caller holds agent_mu. */
static int svc_agent_remember(struct svc *s, const char *id, const char *pools)
{
    for (size_t i = 0; i < s->n_agents; i++) {
        if (strcmp(s->agents[i].id, id) == 0) {
            snprintf(s->agents[i].pools, sizeof s->agents[i].pools, "%s", pools);
            return 0;
        }
    }
    struct svc_agent *grown = realloc(s->agents, (s->n_agents + 1) * sizeof *grown);
    if (grown == NULL) {
        return SW_ENOMEM;
    }
    s->agents = grown;
    struct svc_agent *a = &s->agents[s->n_agents++];
    snprintf(a->id, sizeof a->id, "%s", id);
    snprintf(a->pools, sizeof a->pools, "%s", pools);
    return 0;
}

/* Looks the agent up in memory. Caller holds agent_mu. */
static bool svc_agent_lookup(struct svc *s, const char *id, char *pools, size_t cap)
{
    for (size_t i = 0; i < s->n_agents; i++) {
        if (strcmp(s->agents[i].id, id) == 0) {
            snprintf(pools, cap, "%s", s->agents[i].pools);
            return true;
        }
    }
    return false;
}

/* Finds the agent in the store (registered before a restart) and remembers it. */
static int svc_agent_from_store(struct svc *s, struct store *st, const char *agent, char *pools,
                                size_t cap, bool *found, struct sw_err *err)
{
    struct store_agent *agents = NULL;
    size_t n = 0;
    *found = false;
    int rc = store_agents_list(st, &agents, &n, err);
    for (size_t i = 0; rc == 0 && i < n && !*found; i++) {
        if (strcmp(agents[i].id, agent) == 0) {
            *found = true;
            snprintf(pools, cap, "%s", agents[i].pools);
            pthread_mutex_lock(&s->agent_mu);
            rc = svc_agent_remember(s, agent, agents[i].pools) != 0
                     ? sw_err_set(err, SW_ENOMEM, "out of memory")
                     : 0;
            pthread_mutex_unlock(&s->agent_mu);
        }
    }
    free(agents);
    return rc;
}

int svc_agent_pools(struct svc *s, struct store *st, const char *agent, char *pools, size_t cap,
                    struct svc_error *e)
{
    pthread_mutex_lock(&s->agent_mu);
    bool found = svc_agent_lookup(s, agent, pools, cap);
    pthread_mutex_unlock(&s->agent_mu);
    if (found) {
        return 0;
    }
    if (svc_agent_from_store(s, st, agent, pools, cap, &found, &e->err) != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    if (!found) {
        svc_error_set(e, SVC_UNKNOWN_AGENT, "agent %s is not registered", agent);
        sw_err_hint(&e->err, "POST /v1/agents/register first");
        return e->err.code;
    }
    return 0;
}

/* The request's pools as one ','-separated string. */
static int svc_pools_join(const struct wire_register_req *req, char *out, size_t cap,
                          struct svc_error *e)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < req->n_pools; i++) {
        size_t n = strlen(req->pools[i]) + (i > 0);
        if (len + n >= cap) {
            return svc_error_set(e, SVC_INVALID_REQUEST, "pools: more than %zu bytes together",
                                 cap - 1);
        }
        if (i > 0) {
            out[len++] = ',';
        }
        memcpy(out + len, req->pools[i], n - (i > 0));
        len += n - (i > 0);
        out[len] = '\0';
    }
    return 0;
}

int svc_agent_register(struct svc *s, const struct wire_register_req *req,
                       struct wire_register_resp *out, struct svc_error *e)
{
    struct store_agent a = {.capacity = req->capacity, .last_seen_ms = sw_clock_wall_ms()};
    struct store *st = NULL;
    snprintf(a.id, sizeof a.id, "%s", req->agent);
    snprintf(a.version, sizeof a.version, "%.*s", (int)sizeof a.version - 1, req->version);
    int rc = svc_pools_join(req, a.pools, sizeof a.pools, e);
    if (rc != 0) {
        return rc;
    }
    rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_agent_put(st, &a, &e->err);
    }
    svc_store_put(s, st);
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    pthread_mutex_lock(&s->agent_mu);
    rc = svc_agent_remember(s, a.id, a.pools);
    pthread_mutex_unlock(&s->agent_mu);
    if (rc != 0) {
        return svc_error_set(e, SVC_INTERNAL, "out of memory");
    }
    log_info("agent=%s registered (version %s, protocol %d.%d, pools %s, capacity %d)", a.id,
             a.version, WIRE_PROTOCOL_MAJOR, req->protocol_minor, a.pools, a.capacity);
    out->lease_ttl_ms = s->lease_ttl_ms;
    out->heartbeat_ms = s->lease_ttl_ms / 3 > 0 ? s->lease_ttl_ms / 3 : 1;
    out->long_poll_ms = s->long_poll_ms > 0 ? s->long_poll_ms : 1;
    return 0;
}

void svc_wave_cancel_running(struct svc *s, const char *id)
{
    pthread_mutex_lock(&s->agent_mu);
    bool known = false;
    for (size_t i = 0; i < s->n_cancel && !known; i++) {
        known = strcmp(s->cancel[i], id) == 0;
    }
    char(*grown)[WAVE_ID_MAX + 1] =
        known ? NULL : realloc(s->cancel, (s->n_cancel + 1) * sizeof *s->cancel);
    if (grown != NULL) {
        s->cancel = grown;
        snprintf(s->cancel[s->n_cancel++], WAVE_ID_MAX + 1, "%s", id);
    }
    pthread_mutex_unlock(&s->agent_mu);
}

static bool svc_is_cancelled(struct svc *s, const char *wave_id)
{
    bool yes = false;
    pthread_mutex_lock(&s->agent_mu);
    for (size_t i = 0; i < s->n_cancel && !yes; i++) {
        yes = strcmp(s->cancel[i], wave_id) == 0;
    }
    pthread_mutex_unlock(&s->agent_mu);
    return yes;
}

/* A gate lease: extended in memory. Caller holds wave_mu. */
static bool svc_heartbeat_gate(struct svc *s, const char *agent, const char *lease, int64_t now_ms,
                               bool *ok)
{
    for (size_t g = 0; g < s->n_gates; g++) {
        struct svc_gate *gate = &s->gates[g];
        for (size_t i = 0; i < gate->n_items; i++) {
            struct svc_gate_item *it = &gate->items[i];
            if (strcmp(it->lease_id, lease) != 0) {
                continue;
            }
            *ok = it->state == SVC_GATE_LEASED && strcmp(it->agent, agent) == 0;
            if (*ok) {
                it->expires_ms = now_ms + s->lease_ttl_ms;
            }
            return true;
        }
    }
    return false;
}

/* Extends a wave lease in the store (the shard row's expiry and the leases table), from
 * the wave's cached view. Caller holds wave_mu. */
static int svc_lease_extend(struct svc *s, struct store *st, const struct store_lease *l,
                            int64_t now_ms, bool *ok, struct sw_err *err)
{
    struct svc_view *v = NULL;
    *ok = false;
    int rc = svc_view_get(s, st, l->wave_id, now_ms, &v, err);
    long i = rc == 0 ? svc_view_find(v, l->shard_id) : -1;
    if (i < 0 || strcmp(v->detail.shards[i].lease_id, l->id) != 0) {
        return rc;
    }
    *ok = !wave_state_is_final(v->detail.wave.state);
    if (!*ok) {
        return 0;
    }
    struct store_wave_shard ws = v->detail.shards[i]; /* shallow: strings stay the view's */
    ws.lease_expires_ms = now_ms + s->lease_ttl_ms;
    struct store_decision sd = {.wave_id = l->wave_id,
                                .expected_state = v->detail.wave.state,
                                .expected_revision = v->detail.wave.revision,
                                .n_shards = 1,
                                .shards = &ws};
    rc = store_apply_decision(st, &sd, NULL, err);
    if (rc == 0) {
        svc_view_applied(v, NULL, &ws, 1);
    }
    return rc;
}

/* One heartbeat entry. Caller holds wave_mu. */
static int svc_heartbeat_one(struct svc *s, struct store *st, const char *agent,
                             const struct wire_heartbeat_lease *hl, struct wire_heartbeat_ack *ack,
                             struct sw_err *err)
{
    struct store_lease l = {0};
    struct sw_err nf = {0};
    int64_t now_ms = sw_clock_wall_ms();
    snprintf(ack->lease, sizeof ack->lease, "%s", hl->lease);
    ack->ok = false;
    ack->cancel = false;
    if (svc_heartbeat_gate(s, agent, hl->lease, now_ms, &ack->ok) ||
        svc_inventory_lease(s, hl->lease, agent, true, now_ms, &ack->ok)) {
        return 0;
    }
    int rc = store_lease_get(st, hl->lease, &l, &nf);
    if (rc == SW_ENOTFOUND || (rc == 0 && strcmp(l.agent_id, agent) != 0)) {
        return 0; /* gone: expired and re-dispatched, finished, or another agent's */
    }
    if (rc != 0) {
        sw_err_copy(err, &nf);
        return rc;
    }
    rc = svc_lease_extend(s, st, &l, now_ms, &ack->ok, err);
    ack->cancel = rc == 0 && !ack->ok && svc_is_cancelled(s, l.wave_id);
    return rc;
}

int svc_heartbeat(struct svc *s, const struct wire_heartbeat_req *req,
                  struct wire_heartbeat_resp *out, struct svc_error *e)
{
    struct store *st = NULL;
    char pools[STORE_AGENT_POOLS_MAX];
    int rc = svc_store_get(s, &st, &e->err);
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    rc = svc_agent_pools(s, st, req->agent, pools, sizeof pools, e);
    out->leases = rc == 0 ? calloc(req->n_leases + 1, sizeof *out->leases) : NULL;
    if (rc == 0 && out->leases == NULL) {
        rc = svc_error_set(e, SVC_INTERNAL, "out of memory");
    }
    pthread_mutex_lock(&s->wave_mu);
    for (size_t i = 0; rc == 0 && i < req->n_leases; i++) {
        rc = svc_heartbeat_one(s, st, req->agent, &req->leases[i], &out->leases[i], &e->err);
        out->n_leases += rc == 0;
        if (rc == 0 && !out->leases[i].ok) {
            log_info("agent=%s lease %s is gone: told to start nothing more%s", req->agent,
                     req->leases[i].lease, out->leases[i].cancel ? " and cancel" : "");
        }
    }
    pthread_mutex_unlock(&s->wave_mu);
    svc_store_put(s, st);
    return rc != 0 && e->code == SVC_OK ? svc_error_from(e, SVC_INTERNAL, &e->err) : rc;
}
