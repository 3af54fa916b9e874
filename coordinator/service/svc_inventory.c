/*
 * Inventory scans (docs/protocol.md): every shard of the fleet is offered once as a
 * read-only `inventory` lease to an agent of its pool; the report sets the shard's
 * version, health and schema fingerprint, and its applied versions are judged against
 * the reference set (the newest wave's): unknown or edited migrations. Kept in memory
 * like SQL gates. Callers of the svc_inventory_* helpers hold wave_mu.
 */
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

#include "service/svc_internal.h"
#include "sw/log.h"

void svc_inventory_free(struct svc *s)
{
    free(s->inv);
    s->inv = NULL;
    s->n_inv = 0;
    migset_free(s->inv_set);
    s->inv_set = NULL;
}

static struct svc_gate_item *svc_inventory_find_lease(struct svc *s, const char *lease)
{
    for (size_t i = 0; lease[0] != '\0' && i < s->n_inv; i++) {
        if (strcmp(s->inv[i].lease_id, lease) == 0) {
            return &s->inv[i];
        }
    }
    return NULL;
}

static bool svc_inventory_queued(const struct svc *s, const char *shard_id)
{
    for (size_t i = 0; i < s->n_inv; i++) {
        if (strcmp(s->inv[i].shard_id, shard_id) == 0) {
            return true;
        }
    }
    return false;
}

/* Appends the fleet's shards that are not queued yet. */
static int svc_inventory_add(struct svc *s, const struct store_fleet *f, size_t *n_queued,
                             struct sw_err *err)
{
    struct svc_gate_item *grown =
        realloc(s->inv, (s->n_inv + f->fleet.n_shards + 1) * sizeof *grown);
    if (grown == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    s->inv = grown;
    for (size_t i = 0; i < f->fleet.n_shards; i++) {
        const struct fleet_shard *fs = &f->fleet.shards[i];
        if (svc_inventory_queued(s, fs->id)) {
            continue;
        }
        struct svc_gate_item *it = &s->inv[s->n_inv++];
        *it = (struct svc_gate_item){.engine = fs->engine, .state = SVC_GATE_OPEN};
        snprintf(it->shard_id, sizeof it->shard_id, "%s", fs->id);
        snprintf(it->pool, sizeof it->pool, "%s", fs->pool);
        (*n_queued)++;
    }
    return 0;
}

/* The set of the newest wave, the reference the reports are judged against; *out stays
 * NULL when there is no wave yet. */
static int svc_inventory_reference(struct store *st, struct migset **out, struct sw_err *err)
{
    struct store_wave *waves = NULL;
    size_t n = 0;
    int rc = store_wave_list(st, NULL, &waves, &n, err);
    if (rc == 0 && n > 0) {
        rc = store_migset_load(st, waves[0].digest, out, err);
    }
    store_waves_free(waves, n);
    return rc;
}

int svc_inventory_scan(struct svc *s, const char *actor, size_t *n_queued, struct svc_error *e)
{
    struct store *st = NULL;
    struct store_fleet f = {0};
    struct migset *ref = NULL;
    size_t n = 0;
    int rc = svc_store_get(s, &st, &e->err);
    if (rc == 0) {
        rc = store_fleet_load(st, &f, &e->err);
    }
    if (rc == 0) {
        rc = svc_inventory_reference(st, &ref, &e->err);
    }
    if (rc == 0) {
        pthread_mutex_lock(&s->wave_mu);
        rc = svc_inventory_add(s, &f, &n, &e->err);
        if (rc == 0 && ref != NULL) {
            migset_free(s->inv_set);
            s->inv_set = ref;
            ref = NULL;
        }
        pthread_mutex_unlock(&s->wave_mu);
    }
    migset_free(ref);
    store_fleet_cleanup(&f);
    svc_store_put(s, st);
    if (rc != 0) {
        return svc_error_from(e, SVC_INTERNAL, &e->err);
    }
    log_info("inventory scan requested by %s: %zu shard(s) queued", actor, n);
    if (n_queued != NULL) {
        *n_queued = n;
    }
    svc_wake_agents(s);
    return 0;
}

int svc_inventory_take(struct svc *s, const char *agent, const char *pools, size_t max,
                       int64_t now_ms, struct wire_lease_resp *out, struct sw_err *err)
{
    for (size_t i = 0; i < s->n_inv && out->n_leases < max; i++) {
        struct svc_gate_item *it = &s->inv[i];
        if (it->state != SVC_GATE_OPEN || !svc_pool_in(pools, it->pool)) {
            continue;
        }
        svc_new_lease_id(it->lease_id);
        snprintf(it->agent, sizeof it->agent, "%s", agent);
        it->expires_ms = now_ms + s->lease_ttl_ms;
        it->state = SVC_GATE_LEASED;
        struct wire_lease *l = &out->leases[out->n_leases++];
        snprintf(l->lease, sizeof l->lease, "%s", it->lease_id);
        snprintf(l->shard, sizeof l->shard, "%s", it->shard_id);
        l->kind = WIRE_LEASE_INVENTORY;
        l->engine = it->engine;
        l->lease_ttl_ms = s->lease_ttl_ms;
        log_debug("shard=%s agent=%s lease %s: inventory", it->shard_id, agent, it->lease_id);
    }
    (void)err;
    return 0;
}

bool svc_inventory_lease(struct svc *s, const char *lease, const char *agent, bool extend,
                         int64_t now_ms, bool *ok)
{
    struct svc_gate_item *it = svc_inventory_find_lease(s, lease);
    if (it == NULL) {
        return false;
    }
    *ok = it->state == SVC_GATE_LEASED && strcmp(it->agent, agent) == 0;
    if (*ok && extend) {
        it->expires_ms = now_ms + s->lease_ttl_ms;
    }
    return true;
}

bool svc_inventory_expire(struct svc *s, int64_t now_ms)
{
    bool any = false;
    for (size_t i = 0; i < s->n_inv; i++) {
        struct svc_gate_item *it = &s->inv[i];
        if (it->state == SVC_GATE_LEASED && it->expires_ms <= now_ms) {
            it->state = SVC_GATE_OPEN;
            it->lease_id[0] = '\0';
            it->agent[0] = '\0';
            any = true;
        }
    }
    return any;
}

/* Appends version v to a ','-separated list of at most cap bytes; a version that does
 * not fit ends the list with ",..." (and later ones are dropped). */
static void svc_list_add(char *list, size_t cap, const char *v)
{
    static const char more[] = ",...";
    size_t len = strlen(list);
    if (len >= sizeof more - 1 && strcmp(list + len - (sizeof more - 1), more) == 0) {
        return;
    }
    if (len + 1 + strlen(v) + sizeof more > cap) {
        snprintf(list + len, cap - len, "%s", more);
        return;
    }
    snprintf(list + len, cap - len, "%s%s", len > 0 ? "," : "", v);
}

/* Unknown: the set has no file of that version for the engine; edited: its checksum
 * differs from the one the shard's history recorded. */
static void svc_inventory_judge(const struct migset *set, enum migset_engine engine,
                                const struct wire_report *r, struct shard_status *status)
{
    for (size_t i = 0; i < r->n_applied; i++) {
        const struct wire_applied *a = &r->applied[i];
        struct version v;
        const struct migset_step *step =
            version_parse_str(a->version, &v, NULL) == 0 ? migset_find(set, &v) : NULL;
        const struct migset_file *f =
            step != NULL ? migset_step_file(step, MIGSET_UP, engine) : NULL;
        if (f == NULL) {
            svc_list_add(status->unknown_versions, sizeof status->unknown_versions, a->version);
        } else if (strcmp(f->checksum, a->checksum) != 0) {
            svc_list_add(status->edited_versions, sizeof status->edited_versions, a->version);
        }
    }
}

void svc_inventory_done(struct svc *s, const struct wire_report *r, struct shard_status *status)
{
    struct svc_gate_item *it = svc_inventory_find_lease(s, r->lease);
    if (it == NULL) {
        return;
    }
    if (s->inv_set != NULL && r->fingerprint[0] != '\0') {
        svc_inventory_judge(s->inv_set, it->engine, r, status);
    }
    *it = s->inv[--s->n_inv];
}

static int svc_id_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void svc_inventory_state_cleanup(struct svc_inventory_state *st)
{
    for (size_t i = 0; i < st->n_pending; i++) {
        free(st->pending[i]);
    }
    free(st->pending);
    *st = (struct svc_inventory_state){0};
}

int svc_inventory_state_get(struct svc *s, struct svc_inventory_state *out, struct svc_error *e)
{
    int rc = 0;
    *out = (struct svc_inventory_state){0};
    pthread_mutex_lock(&s->wave_mu);
    out->pending = calloc(s->n_inv + 1, sizeof *out->pending);
    for (size_t i = 0; out->pending != NULL && i < s->n_inv; i++) {
        out->pending[i] = strdup(s->inv[i].shard_id);
        if (out->pending[i] == NULL) {
            break;
        }
        out->n_pending++;
    }
    if (out->pending == NULL || out->n_pending < s->n_inv) {
        rc = svc_error_set(e, SVC_INTERNAL, "out of memory");
    } else if (s->inv_set != NULL) {
        snprintf(out->reference_set, sizeof out->reference_set, "%s", migset_digest(s->inv_set));
    }
    pthread_mutex_unlock(&s->wave_mu);
    if (rc != 0) {
        svc_inventory_state_cleanup(out);
        return rc;
    }
    qsort(out->pending, out->n_pending, sizeof *out->pending, svc_id_cmp);
    return 0;
}
