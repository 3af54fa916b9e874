/*
 * The agent protocol's side of the store (issue 4): registered agents and the
 * leases they hold. Leases are written by store_apply_decision only.
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

int store_agent_put(struct store *st, const struct store_agent *a, struct sw_err *err)
{
    return store_run(st, err,
                     "INSERT INTO agents (id, version, pools, capacity, last_seen_ms) "
                     "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET version = ?2, "
                     "pools = ?3, capacity = ?4, last_seen_ms = ?5",
                     "sssii", a->id, a->version, a->pools, (int64_t)a->capacity, a->last_seen_ms);
}

static int store_agent_row(struct store *st, struct store_q *q, struct store_agent *a,
                           struct sw_err *err)
{
    *a = (struct store_agent){0};
    a->capacity = (int)store_col_int(st, q, 3);
    a->last_seen_ms = store_col_int(st, q, 4);
    int rc = store_col_copy(st, q, 0, a->id, sizeof a->id, err);
    if (rc == 0) {
        rc = store_col_copy(st, q, 1, a->version, sizeof a->version, err);
    }
    return rc != 0 ? rc : store_col_copy(st, q, 2, a->pools, sizeof a->pools, err);
}

/* Grows a plain array of `size`-byte items for one more (doubling). */
static int store_array_room(struct store *st, void **items, size_t n, size_t *cap, size_t size,
                            struct sw_err *err)
{
    if (n < *cap) {
        return 0;
    }
    size_t grown_cap = *cap ? *cap * 2 : 16;
    void *grown = realloc(*items, grown_cap * size);
    if (grown == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    *items = grown;
    *cap = grown_cap;
    return 0;
}

int store_agents_list(struct store *st, struct store_agent **out, size_t *n, struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = store_stmt(st, &q, err,
                        "SELECT id, version, pools, capacity, last_seen_ms FROM agents "
                        "ORDER BY id",
                        "");
    while (rc == 0 && (rc = store_step(st, q, "reading agents", err)) == 1) {
        rc = store_array_room(st, (void **)out, *n, &cap, sizeof **out, err);
        if (rc == 0) {
            rc = store_agent_row(st, q, &(*out)[*n], err);
            *n += rc == 0;
        }
    }
    store_stmt_done(st, q);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

#define STORE_LEASE_SELECT "SELECT id, wave_id, shard_id, agent_id, expires_ms FROM leases "

static int store_lease_row(struct store *st, struct store_q *q, struct store_lease *l,
                           struct sw_err *err)
{
    *l = (struct store_lease){0};
    l->expires_ms = store_col_int(st, q, 4);
    int rc = store_col_copy(st, q, 0, l->id, sizeof l->id, err);
    if (rc == 0) {
        rc = store_col_copy(st, q, 1, l->wave_id, sizeof l->wave_id, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 2, l->shard_id, sizeof l->shard_id, err);
    }
    return rc != 0 ? rc : store_col_copy(st, q, 3, l->agent_id, sizeof l->agent_id, err);
}

int store_leases_expired(struct store *st, int64_t now_ms, struct store_lease **out, size_t *n,
                         struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc =
        store_stmt(st, &q, err, STORE_LEASE_SELECT "WHERE expires_ms <= ? ORDER BY expires_ms, id",
                   "i", now_ms);
    while (rc == 0 && (rc = store_step(st, q, "reading leases", err)) == 1) {
        rc = store_array_room(st, (void **)out, *n, &cap, sizeof **out, err);
        if (rc == 0) {
            rc = store_lease_row(st, q, &(*out)[*n], err);
            *n += rc == 0;
        }
    }
    store_stmt_done(st, q);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int store_lease_get(struct store *st, const char *lease_id, struct store_lease *out,
                    struct sw_err *err)
{
    struct store_q *q = NULL;
    *out = (struct store_lease){0};
    int rc = store_stmt(st, &q, err, STORE_LEASE_SELECT "WHERE id = ?", "s", lease_id);
    if (rc == 0) {
        rc = store_step(st, q, "reading leases", err);
    }
    if (rc == 0) {
        rc = sw_err_set(err, SW_ENOTFOUND, "lease %s not found (expired or finished)", lease_id);
    } else if (rc == 1) {
        rc = store_lease_row(st, q, out, err);
    }
    store_stmt_done(st, q);
    return rc;
}
