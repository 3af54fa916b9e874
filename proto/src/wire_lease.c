/* Codecs for the lease request and the lease response (assignments with their steps). */
#include "sw/wire_lease.h"

#include <stdlib.h>
#include <string.h>

#include "wire_json.h"

static const struct wire_range ms_range = {1, WIRE_MAX_MS};
static const struct wire_range ms0_range = {0, WIRE_MAX_MS};
static const struct wire_range max_range = {1, WIRE_MAX_LEASES};

static const char *const engine_names[MIGSET_ENGINE_COUNT] = {
    [MIGSET_ENGINE_PG] = "pg", [MIGSET_ENGINE_MYSQL] = "mysql", [MIGSET_ENGINE_SQLITE] = "sqlite"};

static const char *const transaction_names[WIRE_TXN_COUNT] = {
    [WIRE_TXN_STEP] = "step", [WIRE_TXN_SHARD] = "shard"};

const char *wire_transaction_name(enum wire_transaction t)
{
    return (unsigned)t < WIRE_TXN_COUNT ? transaction_names[t] : "?";
}

/* Members only some kinds carry. */
static const char *const steps_members[] = {
    "direction", "target", "expected_from", "migration_set", "steps", "transaction", NULL};
static const char *const sql_member[] = {"sql", NULL};

/* ---- lease request ---- */

static int lease_req_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_lease_req *m = msg;
    int rc = wire_put_cstr(cx, "agent", WIRE_STR_ID, m->agent);
    if (rc == 0) {
        rc = wire_put_int(cx, "max", max_range, m->max);
    }
    return rc == 0 ? wire_put_int(cx, "wait_ms", ms0_range, m->wait_ms) : rc;
}

static int lease_req_get(struct wire_cx *cx, void *msg)
{
    struct wire_lease_req *m = msg;
    int64_t max = 0;
    m->protocol_minor = cx->peer_minor;
    int rc = wire_get_fixed(cx, "agent", WIRE_STR_ID, true, m->agent, sizeof m->agent);
    if (rc == 0) {
        rc = wire_get_int(cx, "max", true, max_range, &max);
        m->max = (int)max;
    }
    return rc == 0 ? wire_get_int(cx, "wait_ms", true, ms0_range, &m->wait_ms) : rc;
}

static const char *const lease_req_fields[] = {"protocol", "agent", "max", "wait_ms", NULL};
static const struct wire_msg lease_req_msg = {lease_req_fields, lease_req_get, lease_req_put};

void wire_lease_req_cleanup(struct wire_lease_req *m)
{
    memset(m, 0, sizeof *m);
}

/* ---- timeouts ---- */

static int timeouts_put(struct wire_cx *cx, const struct wire_timeouts *t)
{
    struct wire_mark mk;
    int rc = wire_put_obj(cx, "timeouts", &mk);
    if (rc == 0) {
        rc = wire_put_int(cx, "lock_wait_ms", ms0_range, t->lock_wait_ms);
    }
    if (rc == 0 && t->n_lock_timeouts == 0) {
        rc = wire_fail(cx, "lock_timeouts_ms", SW_EINVAL, "must not be empty");
    }
    if (rc == 0) {
        rc = wire_put_ints(cx, "lock_timeouts_ms", ms_range, t->lock_timeouts_ms,
                           t->n_lock_timeouts, WIRE_MAX_LOCK_TRIES);
    }
    if (rc == 0) {
        rc = wire_put_ints(cx, "lock_pauses_ms", ms0_range, t->lock_pauses_ms, t->n_lock_pauses,
                           WIRE_MAX_LOCK_TRIES);
    }
    if (rc == 0) {
        rc = wire_put_int(cx, "statement_timeout_ms", ms0_range, t->statement_timeout_ms);
    }
    wire_leave(cx, &mk);
    return rc;
}

static int timeouts_get(struct wire_cx *cx, struct wire_timeouts *t)
{
    static const char *const fields[] = {"lock_wait_ms", "lock_timeouts_ms", "lock_pauses_ms",
                                         "statement_timeout_ms", NULL};
    struct wire_mark mk;
    int rc = wire_enter_obj(cx, "timeouts", fields, &mk);
    if (rc == 0) {
        rc = wire_get_int(cx, "lock_wait_ms", true, ms0_range, &t->lock_wait_ms);
    }
    if (rc == 0) {
        rc = wire_get_ints(cx, "lock_timeouts_ms", ms_range, t->lock_timeouts_ms,
                           WIRE_MAX_LOCK_TRIES, &t->n_lock_timeouts);
    }
    if (rc == 0 && t->n_lock_timeouts == 0) {
        rc = wire_fail(cx, "lock_timeouts_ms", SW_EINVAL, "must not be empty");
    }
    if (rc == 0) {
        rc = wire_get_ints(cx, "lock_pauses_ms", ms0_range, t->lock_pauses_ms, WIRE_MAX_LOCK_TRIES,
                           &t->n_lock_pauses);
    }
    if (rc == 0) {
        rc = wire_get_int(cx, "statement_timeout_ms", true, ms0_range, &t->statement_timeout_ms);
    }
    wire_leave(cx, &mk);
    return rc;
}

/* ---- steps ---- */

void wire_step_cleanup(struct wire_step *s)
{
    free(s->description);
    free(s->script);
    free(s->sql);
    memset(s, 0, sizeof *s);
}

static int step_put(struct wire_cx *cx, const void *elem, const void *arg)
{
    const struct wire_step *s = elem;
    (void)arg;
    int rc = wire_put_cstr(cx, "version", WIRE_STR_VERSION, s->version);
    if (rc == 0) {
        rc = wire_put_cstr(cx, "description", WIRE_STR_TEXT, s->description);
    }
    if (rc == 0) {
        rc = wire_put_cstr(cx, "script", WIRE_STR_NAME, s->script);
    }
    if (rc == 0) {
        rc = wire_put_cstr(cx, "checksum", WIRE_STR_HEX64, s->checksum);
    }
    if (rc == 0) {
        rc = wire_put_str(cx, "sql", WIRE_STR_SQL, s->sql, s->sql_len);
    }
    if (rc == 0) {
        rc = wire_put_bool(cx, "no_transaction", s->no_transaction);
    }
    return rc;
}

static int step_get(struct wire_cx *cx, void *elem, const void *arg)
{
    struct wire_step *s = elem;
    (void)arg;
    int rc = wire_get_fixed(cx, "version", WIRE_STR_VERSION, true, s->version, sizeof s->version);
    if (rc == 0) {
        rc = wire_get_dup(cx, "description", WIRE_STR_TEXT, true, &s->description, NULL);
    }
    if (rc == 0) {
        rc = wire_get_dup(cx, "script", WIRE_STR_NAME, true, &s->script, NULL);
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "checksum", WIRE_STR_HEX64, true, s->checksum, sizeof s->checksum);
    }
    if (rc == 0) {
        rc = wire_get_dup(cx, "sql", WIRE_STR_SQL, true, &s->sql, &s->sql_len);
    }
    if (rc == 0) {
        rc = wire_get_bool(cx, "no_transaction", false, &s->no_transaction);
    }
    return rc;
}

static const char *const step_fields[] = {"version", "script",         "description", "checksum",
                                          "sql",     "no_transaction", NULL};
static const struct wire_objs steps_objs = {
    .key = "steps",
    .required = true,
    .max = WIRE_MAX_STEPS,
    .fields = step_fields,
    .elem_size = sizeof(struct wire_step),
    .get = step_get,
    .put = step_put,
};

/* ---- one lease ---- */

void wire_lease_cleanup(struct wire_lease *l)
{
    for (size_t i = 0; l->steps != NULL && i < l->n_steps; i++) {
        wire_step_cleanup(&l->steps[i]);
    }
    free(l->steps);
    free(l->sql);
    memset(l, 0, sizeof *l);
}

/* direction, target, expected_from, migration_set, timeouts, steps. */
static int lease_migrate_put(struct wire_cx *cx, const struct wire_lease *l)
{
    int rc = wire_put_cstr(cx, "direction", WIRE_STR_NAME, wire_direction_names[l->direction]);
    if (rc == 0) {
        rc = wire_put_cstr(cx, "target", WIRE_STR_VERSION, l->target);
    }
    if (rc == 0) {
        rc = wire_put_cstr(cx, "expected_from", WIRE_STR_VERSION, l->expected_from);
    }
    if (rc == 0) {
        rc = wire_put_cstr(cx, "migration_set", WIRE_STR_HEX64, l->migration_set);
    }
    if (rc == 0 && !l->has_timeouts) {
        rc = wire_fail(cx, "timeouts", SW_EINVAL, "required field missing");
    }
    if (rc == 0) {
        rc = timeouts_put(cx, &l->timeouts);
    }
    if (rc == 0 && l->transaction != WIRE_TXN_STEP) { /* the default stays off the wire */
        rc =
            (unsigned)l->transaction < WIRE_TXN_COUNT
                ? wire_put_cstr(cx, "transaction", WIRE_STR_NAME, transaction_names[l->transaction])
                : wire_fail(cx, "transaction", SW_EINVAL, "out of range");
    }
    return rc == 0 ? wire_put_objs(cx, &steps_objs, l->steps, l->n_steps, NULL) : rc;
}

static int lease_kind_put(struct wire_cx *cx, const struct wire_lease *l)
{
    switch (l->kind) {
    case WIRE_LEASE_MIGRATE:
    case WIRE_LEASE_ROLLBACK:
        return lease_migrate_put(cx, l);
    case WIRE_LEASE_GATE: {
        int rc = wire_put_str(cx, "sql", WIRE_STR_GATE_SQL, l->sql, l->sql_len);
        return rc == 0 && l->has_timeouts ? timeouts_put(cx, &l->timeouts) : rc;
    }
    case WIRE_LEASE_INVENTORY:
        return l->has_timeouts ? timeouts_put(cx, &l->timeouts) : 0;
    case WIRE_LEASE_KIND_COUNT:
        break;
    }
    return wire_fail(cx, "kind", SW_EINVAL, "unknown lease kind %d", (int)l->kind);
}

static int lease_put(struct wire_cx *cx, const void *elem, const void *arg)
{
    const struct wire_lease *l = elem;
    (void)arg;
    if ((unsigned)l->kind >= WIRE_LEASE_KIND_COUNT || (unsigned)l->engine >= MIGSET_ENGINE_COUNT ||
        (unsigned)l->direction > MIGSET_DOWN) {
        return wire_fail(cx, NULL, SW_EINVAL, "kind, engine or direction out of range");
    }
    int rc = wire_put_cstr(cx, "lease", WIRE_STR_LEASE, l->lease);
    if (rc == 0) {
        rc = wire_put_cstr(cx, "kind", WIRE_STR_NAME, wire_lease_kind_names[l->kind]);
    }
    if (rc == 0 && (l->wave[0] != '\0' || l->kind != WIRE_LEASE_INVENTORY)) {
        rc = wire_put_cstr(cx, "wave", WIRE_STR_WAVE, l->wave);
    }
    if (rc == 0) {
        rc = wire_put_cstr(cx, "shard", WIRE_STR_ID, l->shard);
    }
    if (rc == 0) {
        rc = wire_put_cstr(cx, "engine", WIRE_STR_NAME, engine_names[l->engine]);
    }
    if (rc == 0) {
        rc = wire_put_int(cx, "lease_ttl_ms", ms_range, l->lease_ttl_ms);
    }
    return rc == 0 ? lease_kind_put(cx, l) : rc;
}

static int lease_migrate_get(struct wire_cx *cx, struct wire_lease *l)
{
    size_t dir = 0;
    void *steps = NULL;
    int rc = wire_forbid(cx, sql_member, wire_lease_kind_names[l->kind]);
    if (rc == 0) {
        rc = wire_get_enum(cx, "direction", true, wire_direction_names, WIRE_DIRECTION_COUNT, &dir);
        l->direction = (enum migset_dir)dir;
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "target", WIRE_STR_VERSION, true, l->target, sizeof l->target);
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "expected_from", WIRE_STR_VERSION, true, l->expected_from,
                            sizeof l->expected_from);
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "migration_set", WIRE_STR_HEX64, true, l->migration_set,
                            sizeof l->migration_set);
    }
    if (rc == 0) {
        l->has_timeouts = true;
        rc = timeouts_get(cx, &l->timeouts);
    }
    if (rc == 0) {
        size_t txn = WIRE_TXN_STEP;
        rc = wire_get_enum(cx, "transaction", false, transaction_names, WIRE_TXN_COUNT, &txn);
        l->transaction = (enum wire_transaction)txn;
    }
    if (rc == 0) {
        rc = wire_get_objs(cx, &steps_objs, NULL, &steps, &l->n_steps);
        l->steps = steps;
    }
    return rc;
}

static int lease_optional_timeouts(struct wire_cx *cx, struct wire_lease *l)
{
    l->has_timeouts = wire_has(cx, "timeouts");
    return l->has_timeouts ? timeouts_get(cx, &l->timeouts) : 0;
}

static int lease_kind_get(struct wire_cx *cx, struct wire_lease *l)
{
    const char *kind = wire_lease_kind_names[l->kind];
    int rc = 0;
    switch (l->kind) {
    case WIRE_LEASE_MIGRATE:
    case WIRE_LEASE_ROLLBACK:
        return lease_migrate_get(cx, l);
    case WIRE_LEASE_GATE:
        rc = wire_forbid(cx, steps_members, kind);
        if (rc == 0) {
            rc = wire_get_dup(cx, "sql", WIRE_STR_GATE_SQL, true, &l->sql, &l->sql_len);
        }
        return rc == 0 ? lease_optional_timeouts(cx, l) : rc;
    case WIRE_LEASE_INVENTORY:
        rc = wire_forbid(cx, steps_members, kind);
        if (rc == 0) {
            rc = wire_forbid(cx, sql_member, kind);
        }
        return rc == 0 ? lease_optional_timeouts(cx, l) : rc;
    case WIRE_LEASE_KIND_COUNT:
        break;
    }
    return wire_fail(cx, "kind", SW_EINTERNAL, "unknown lease kind %d", (int)l->kind);
}

static int lease_get(struct wire_cx *cx, void *elem, const void *arg)
{
    struct wire_lease *l = elem;
    size_t kind = 0, engine = 0;
    (void)arg;
    int rc = wire_get_fixed(cx, "lease", WIRE_STR_LEASE, true, l->lease, sizeof l->lease);
    if (rc == 0) {
        rc = wire_get_enum(cx, "kind", true, wire_lease_kind_names, WIRE_LEASE_KIND_COUNT, &kind);
        l->kind = (enum wire_lease_kind)kind;
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "wave", WIRE_STR_WAVE, l->kind != WIRE_LEASE_INVENTORY, l->wave,
                            sizeof l->wave);
    }
    if (rc == 0) {
        rc = wire_get_fixed(cx, "shard", WIRE_STR_ID, true, l->shard, sizeof l->shard);
    }
    if (rc == 0) {
        rc = wire_get_enum(cx, "engine", true, engine_names, MIGSET_ENGINE_COUNT, &engine);
        l->engine = (enum migset_engine)engine;
    }
    if (rc == 0) {
        rc = wire_get_int(cx, "lease_ttl_ms", true, ms_range, &l->lease_ttl_ms);
    }
    return rc == 0 ? lease_kind_get(cx, l) : rc;
}

/* ---- lease response ---- */

static const char *const lease_fields[] = {"lease",         "kind",          "wave",      "shard",
                                           "engine",        "lease_ttl_ms",  "direction", "target",
                                           "expected_from", "migration_set", "timeouts",  "steps",
                                           "sql",           "transaction",   NULL};
static const struct wire_objs leases_objs = {
    .key = "leases",
    .required = true,
    .max = WIRE_MAX_LEASES,
    .fields = lease_fields,
    .elem_size = sizeof(struct wire_lease),
    .get = lease_get,
    .put = lease_put,
};

/* The same array, optional: a reports response's leases (protocol 1.2). */
const struct wire_objs wire_leases_optional = {
    .key = "leases",
    .required = false,
    .max = WIRE_MAX_LEASES,
    .fields = lease_fields,
    .elem_size = sizeof(struct wire_lease),
    .get = lease_get,
    .put = lease_put,
};

static int lease_resp_put(struct wire_cx *cx, const void *msg)
{
    const struct wire_lease_resp *m = msg;
    return wire_put_objs(cx, &leases_objs, m->leases, m->n_leases, NULL);
}

static int lease_resp_get(struct wire_cx *cx, void *msg)
{
    struct wire_lease_resp *m = msg;
    void *leases = NULL;
    m->protocol_minor = cx->peer_minor;
    int rc = wire_get_objs(cx, &leases_objs, NULL, &leases, &m->n_leases);
    m->leases = leases;
    return rc;
}

static const char *const lease_resp_fields[] = {"protocol", "leases", NULL};
static const struct wire_msg lease_resp_msg = {lease_resp_fields, lease_resp_get, lease_resp_put};

void wire_lease_resp_cleanup(struct wire_lease_resp *m)
{
    for (size_t i = 0; m->leases != NULL && i < m->n_leases; i++) {
        wire_lease_cleanup(&m->leases[i]);
    }
    free(m->leases);
    memset(m, 0, sizeof *m);
}

/* ---- entry points ---- */

WIRE_CODECS(lease_req)
WIRE_CODECS(lease_resp)
