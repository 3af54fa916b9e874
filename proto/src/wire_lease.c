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
static const char *const direction_names[] = {[MIGSET_UP] = "up", [MIGSET_DOWN] = "down"};
static const char *const kind_names[WIRE_LEASE_KIND_COUNT] = {
    [WIRE_LEASE_MIGRATE] = "migrate",
    [WIRE_LEASE_ROLLBACK] = "rollback",
    [WIRE_LEASE_GATE] = "gate",
    [WIRE_LEASE_INVENTORY] = "inventory",
};

/* Members only some kinds carry. */
static const char *const steps_members[] = {"direction",     "target", "expected_from",
                                            "migration_set", "steps",  NULL};
static const char *const sql_member[] = {"sql", NULL};

/* ---- lease request ---- */

int wire_lease_req_to_json(const struct wire_lease_req *m, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc == 0) {
        rc = wire_put_cstr(&cx, "agent", WIRE_STR_ID, m->agent);
    }
    if (rc == 0) {
        rc = wire_put_int(&cx, "max", max_range, m->max);
    }
    if (rc == 0) {
        rc = wire_put_int(&cx, "wait_ms", ms0_range, m->wait_ms);
    }
    return wire_enc_end(&cx, rc, out);
}

int wire_lease_req_from_json(const json_t *doc, struct wire_lease_req *out, struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "agent", "max", "wait_ms", NULL};
    struct wire_cx cx;
    int64_t max = 0;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    int rc = wire_begin(&cx, doc, fields);
    if (rc == 0) {
        rc = wire_get_fixed(&cx, "agent", WIRE_STR_ID, true, out->agent, sizeof out->agent);
    }
    if (rc == 0) {
        rc = wire_get_int(&cx, "max", true, max_range, &max);
        out->max = (int)max;
    }
    if (rc == 0) {
        rc = wire_get_int(&cx, "wait_ms", true, ms0_range, &out->wait_ms);
    }
    if (rc < 0) {
        wire_lease_req_cleanup(out);
    }
    return rc;
}

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

static int step_put(struct wire_cx *cx, const struct wire_step *s)
{
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

static int step_get(struct wire_cx *cx, struct wire_step *s)
{
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

static int steps_put(struct wire_cx *cx, const struct wire_lease *l)
{
    json_t *arr = NULL;
    if (l->n_steps > WIRE_MAX_STEPS) {
        return wire_fail(cx, "steps", SW_EINVAL, "more than %d entries", WIRE_MAX_STEPS);
    }
    int rc = wire_put_array(cx, "steps", &arr);
    for (size_t i = 0; rc == 0 && i < l->n_steps; i++) {
        struct wire_mark mk;
        rc = wire_put_elem(cx, "steps", arr, i, &mk);
        if (rc == 0) {
            rc = step_put(cx, &l->steps[i]);
        }
        wire_leave(cx, &mk);
    }
    return rc;
}

static int steps_get(struct wire_cx *cx, struct wire_lease *l)
{
    static const char *const fields[] = {"version", "script",         "description", "checksum",
                                         "sql",     "no_transaction", NULL};
    const json_t *arr = NULL;
    size_t n = 0;
    int rc = wire_get_array(cx, "steps", true, WIRE_MAX_STEPS, &arr, &n);
    if (rc == 0 && n > 0) {
        l->steps = calloc(n, sizeof *l->steps);
        rc = l->steps == NULL ? wire_fail(cx, "steps", SW_ENOMEM, "out of memory") : 0;
        l->n_steps = rc == 0 ? n : 0;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct wire_mark mk;
        rc = wire_enter(cx, "steps", arr, i, fields, &mk);
        if (rc == 0) {
            rc = step_get(cx, &l->steps[i]);
        }
        wire_leave(cx, &mk);
    }
    return rc;
}

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
    int rc = wire_put_cstr(cx, "direction", WIRE_STR_NAME, direction_names[l->direction]);
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
    return rc == 0 ? steps_put(cx, l) : rc;
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

static int lease_put(struct wire_cx *cx, const struct wire_lease *l)
{
    if ((unsigned)l->kind >= WIRE_LEASE_KIND_COUNT || (unsigned)l->engine >= MIGSET_ENGINE_COUNT ||
        (unsigned)l->direction > MIGSET_DOWN) {
        return wire_fail(cx, NULL, SW_EINVAL, "kind, engine or direction out of range");
    }
    int rc = wire_put_cstr(cx, "lease", WIRE_STR_LEASE, l->lease);
    if (rc == 0) {
        rc = wire_put_cstr(cx, "kind", WIRE_STR_NAME, kind_names[l->kind]);
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
    int rc = wire_forbid(cx, sql_member, kind_names[l->kind]);
    if (rc == 0) {
        rc = wire_get_enum(cx, "direction", true, direction_names, 2, &dir);
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
    return rc == 0 ? steps_get(cx, l) : rc;
}

static int lease_optional_timeouts(struct wire_cx *cx, struct wire_lease *l)
{
    l->has_timeouts = wire_has(cx, "timeouts");
    return l->has_timeouts ? timeouts_get(cx, &l->timeouts) : 0;
}

static int lease_kind_get(struct wire_cx *cx, struct wire_lease *l)
{
    const char *kind = kind_names[l->kind];
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

static int lease_get(struct wire_cx *cx, struct wire_lease *l)
{
    size_t kind = 0, engine = 0;
    int rc = wire_get_fixed(cx, "lease", WIRE_STR_LEASE, true, l->lease, sizeof l->lease);
    if (rc == 0) {
        rc = wire_get_enum(cx, "kind", true, kind_names, WIRE_LEASE_KIND_COUNT, &kind);
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

int wire_lease_resp_to_json(const struct wire_lease_resp *m, json_t **out, struct sw_err *err)
{
    struct wire_cx cx;
    json_t *arr = NULL;
    wire_cx_init(&cx, err);
    int rc = wire_enc_begin(&cx);
    if (rc == 0 && m->n_leases > WIRE_MAX_LEASES) {
        rc = wire_fail(&cx, "leases", SW_EINVAL, "more than %d entries", WIRE_MAX_LEASES);
    }
    if (rc == 0) {
        rc = wire_put_array(&cx, "leases", &arr);
    }
    for (size_t i = 0; rc == 0 && i < m->n_leases; i++) {
        struct wire_mark mk;
        rc = wire_put_elem(&cx, "leases", arr, i, &mk);
        if (rc == 0) {
            rc = lease_put(&cx, &m->leases[i]);
        }
        wire_leave(&cx, &mk);
    }
    return wire_enc_end(&cx, rc, out);
}

int wire_lease_resp_from_json(const json_t *doc, struct wire_lease_resp *out, struct sw_err *err)
{
    static const char *const fields[] = {"protocol", "leases", NULL};
    static const char *const lease_fields[] = {
        "lease",     "kind",   "wave",          "shard",         "engine",   "lease_ttl_ms",
        "direction", "target", "expected_from", "migration_set", "timeouts", "steps",
        "sql",       NULL};
    struct wire_cx cx;
    const json_t *arr = NULL;
    size_t n = 0;
    wire_cx_init(&cx, err);
    memset(out, 0, sizeof *out);
    int rc = wire_begin(&cx, doc, fields);
    if (rc == 0) {
        rc = wire_get_array(&cx, "leases", true, WIRE_MAX_LEASES, &arr, &n);
    }
    if (rc == 0 && n > 0) {
        out->leases = calloc(n, sizeof *out->leases);
        rc = out->leases == NULL ? wire_fail(&cx, "leases", SW_ENOMEM, "out of memory") : 0;
        out->n_leases = rc == 0 ? n : 0;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct wire_mark mk;
        rc = wire_enter(&cx, "leases", arr, i, lease_fields, &mk);
        if (rc == 0) {
            rc = lease_get(&cx, &out->leases[i]);
        }
        wire_leave(&cx, &mk);
    }
    if (rc < 0) {
        wire_lease_resp_cleanup(out);
    }
    return rc;
}

void wire_lease_resp_cleanup(struct wire_lease_resp *m)
{
    for (size_t i = 0; m->leases != NULL && i < m->n_leases; i++) {
        wire_lease_cleanup(&m->leases[i]);
    }
    free(m->leases);
    memset(m, 0, sizeof *m);
}

WIRE_TEXT_CODECS(lease_req)
WIRE_TEXT_CODECS(lease_resp)
