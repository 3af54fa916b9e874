/*
 * The fleet inventory: shards from the fleet file or the API, their labels and
 * last reported status; fleet-file sync with removed-shard reporting.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

void store_fleet_cleanup(struct store_fleet *f)
{
    if (f == NULL) {
        return;
    }
    fleet_cleanup(&f->fleet);
    free(f->status);
    free(f->meta);
    memset(f, 0, sizeof *f);
}

/* Makes room for one more shard in out (doubling from *cap, or exactly `exact` slots the
 * first time when exact > 0: a shard status is ~1.3 KB, so doubling's spare room is
 * megabytes per load at 10,000 shards). */
static int store_fleet_grow(struct store *st, struct store_fleet *out, size_t *cap, size_t exact,
                            struct sw_err *err)
{
    if (out->fleet.n_shards < *cap) {
        return 0;
    }
    size_t n = *cap ? *cap * 2 : (exact > 0 ? exact : 64);
    struct fleet_shard *s = realloc(out->fleet.shards, n * sizeof *s);
    if (s != NULL) {
        out->fleet.shards = s;
    }
    struct shard_status *ss = realloc(out->status, n * sizeof *ss);
    if (ss != NULL) {
        out->status = ss;
    }
    struct store_shard_meta *m = realloc(out->meta, n * sizeof *m);
    if (m != NULL) {
        out->meta = m;
    }
    if (s == NULL || ss == NULL || m == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    *cap = n;
    return 0;
}

/* Reads one row of the shard query into the next slot of out. */
static int store_fleet_row(struct store *st, struct store_q *q, struct store_fleet *out,
                           struct sw_err *err)
{
    size_t i = out->fleet.n_shards;
    struct fleet_shard *s = &out->fleet.shards[i];
    struct shard_status *ss = &out->status[i];
    struct store_shard_meta *m = &out->meta[i];
    *s = (struct fleet_shard){0};
    *ss = (struct shard_status){0};
    *m = (struct store_shard_meta){0};
    out->fleet.n_shards++; /* from here on fleet_cleanup frees what the slot holds */
    const char *engine = store_col_text(st, q, 1);
    const char *health = store_col_text(st, q, 6);
    if (engine == NULL || migset_engine_parse(engine, strlen(engine), &s->engine) != 0 ||
        health == NULL || shard_health_parse(health, &ss->health) != 0) {
        return sw_err_set(err, SW_EINTERNAL, "store %s: shard %s: bad engine or health", st->path,
                          store_col_text(st, q, 0));
    }
    m->in_fleet_file = store_col_int(st, q, 3) != 0;
    ss->last_seen_ms = store_col_int(st, q, 7);
    int rc = store_col_dup(st, q, 0, &s->id, err);
    if (rc == 0) {
        rc = store_col_dup(st, q, 2, &s->pool, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 4, m->registered_by, sizeof m->registered_by, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 5, ss->version, sizeof ss->version, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 8, ss->fingerprint, sizeof ss->fingerprint, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 9, ss->unknown_versions, sizeof ss->unknown_versions, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 10, ss->edited_versions, sizeof ss->edited_versions, err);
    }
    return rc;
}

/* How many shards are not removed (to size the load's arrays exactly). */
static int store_fleet_count(struct store *st, size_t *n, struct sw_err *err)
{
    struct store_q *q = NULL;
    *n = 0;
    int rc = store_stmt(st, &q, err, "SELECT count(*) FROM shards WHERE is_removed = 0", "");
    if (rc == 0 && (rc = store_step(st, q, "counting shards", err)) == 1) {
        int64_t v = store_col_int(st, q, 0);
        *n = v > 0 ? (size_t)v : 0;
        rc = 0;
    }
    store_stmt_done(st, q);
    return rc;
}

static int store_fleet_read_shards(struct store *st, struct store_fleet *out, struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    size_t exact = 0;
    int rc = store_fleet_count(st, &exact, err);
    if (rc != 0) {
        return rc;
    }
    rc = store_stmt(st, &q, err,
                    "SELECT id, engine, pool, from_fleet_file, registered_by, version, health, "
                    "last_seen_ms, fingerprint, unknown_versions, edited_versions FROM shards "
                    "WHERE is_removed = 0 ORDER BY id",
                    "");
    while (rc == 0 && (rc = store_step(st, q, "reading shards", err)) == 1) {
        rc = 0; /* a row */
        rc = store_fleet_grow(st, out, &cap, exact, err);
        if (rc == 0) {
            rc = store_fleet_row(st, q, out, err);
        }
    }
    store_stmt_done(st, q);
    return rc;
}

int store_shard_pools(struct store *st, struct store_shard_pool **out, size_t *n,
                      struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = store_begin_read(st, err);
    if (rc == 0) {
        rc = store_fleet_count(st, &cap, err);
    }
    struct store_shard_pool *p = rc == 0 ? calloc(cap + 1, sizeof *p) : NULL;
    if (rc == 0 && p == NULL) {
        rc = sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    if (rc == 0) {
        rc = store_stmt(st, &q, err,
                        "SELECT id, pool, engine FROM shards WHERE is_removed = 0 ORDER BY id", "");
    }
    size_t k = 0;
    while (rc == 0 && k < cap && (rc = store_step(st, q, "reading shard pools", err)) == 1) {
        const char *engine = store_col_text(st, q, 2);
        rc = store_col_copy(st, q, 0, p[k].id, sizeof p[k].id, err);
        if (rc == 0) {
            rc = store_col_copy(st, q, 1, p[k].pool, sizeof p[k].pool, err);
        }
        if (rc == 0 &&
            (engine == NULL || migset_engine_parse(engine, strlen(engine), &p[k].engine) != 0)) {
            rc = sw_err_set(err, SW_EINTERNAL, "store %s: shard %s: bad engine", st->path, p[k].id);
        }
        k++;
    }
    store_stmt_done(st, q);
    store_rollback(st);
    if (rc != 0) {
        free(p);
        return rc;
    }
    *out = p;
    *n = k;
    return 0;
}

static int store_label_add(struct store *st, struct fleet_shard *s, struct store_q *q,
                           struct sw_err *err)
{
    if (s->n_labels == FLEET_MAX_LABELS) {
        return sw_err_set(err, SW_EINTERNAL, "store %s: shard %s: more than %d labels", st->path,
                          s->id, FLEET_MAX_LABELS);
    }
    struct fleet_label *l = realloc(s->labels, (s->n_labels + 1) * sizeof *l);
    if (l == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    s->labels = l;
    l = &s->labels[s->n_labels];
    *l = (struct fleet_label){0};
    s->n_labels++;
    int rc = store_col_dup(st, q, 1, &l->key, err);
    return rc != 0 ? rc : store_col_dup(st, q, 2, &l->value, err);
}

static int store_fleet_read_labels(struct store *st, struct store_fleet *out, struct sw_err *err)
{
    struct store_q *q = NULL;
    int rc = store_stmt(st, &q, err,
                        "SELECT l.shard_id, l.key, l.value FROM shard_labels l "
                        "JOIN shards s ON s.id = l.shard_id WHERE s.is_removed = 0 "
                        "ORDER BY l.shard_id, l.key",
                        "");
    while (rc == 0 && (rc = store_step(st, q, "reading labels", err)) == 1) {
        rc = 0; /* a row */
        long idx = fleet_find(&out->fleet, store_col_text(st, q, 0));
        if (idx >= 0) {
            rc = store_label_add(st, &out->fleet.shards[idx], q, err);
        }
    }
    store_stmt_done(st, q);
    return rc;
}

static int store_fleet_read_active(struct store *st, struct store_fleet *out, struct sw_err *err)
{
    struct store_busy_shard *busy = NULL;
    size_t n = 0;
    int rc = store_busy_shards(st, NULL, &busy, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        long idx = fleet_find(&out->fleet, busy[i].shard_id);
        if (idx >= 0) {
            memcpy(out->meta[idx].active_wave, busy[i].wave_id, sizeof busy[i].wave_id);
        }
    }
    free(busy);
    return rc;
}

int store_fleet_load(struct store *st, struct store_fleet *out, struct sw_err *err)
{
    *out = (struct store_fleet){0};
    int rc = store_begin_read(st, err); /* one snapshot for shards, labels and waves */
    if (rc == 0) {
        rc = store_fleet_read_shards(st, out, err);
    }
    if (rc == 0) {
        rc = store_fleet_read_labels(st, out, err);
    }
    if (rc == 0) {
        rc = store_fleet_read_active(st, out, err);
    }
    store_rollback(st);
    if (rc != 0) {
        store_fleet_cleanup(out);
    }
    return rc;
}

/* ---- writing shards ---- */

/* Replaces a shard's labels. */
static int store_labels_put(struct store *st, const struct fleet_shard *s, struct sw_err *err)
{
    int rc = store_run(st, err, "DELETE FROM shard_labels WHERE shard_id = ?", "s", s->id);
    for (size_t i = 0; rc == 0 && i < s->n_labels; i++) {
        rc = store_run(st, err, "INSERT INTO shard_labels (shard_id, key, value) VALUES (?, ?, ?)",
                       "sss", s->id, s->labels[i].key, s->labels[i].value);
    }
    return rc;
}

/* How a shard compares with what is stored. */
enum store_shard_diff { STORE_SHARD_NEW, STORE_SHARD_SAME, STORE_SHARD_CHANGED };

static int store_labels_same(struct store *st, const struct fleet_shard *s, bool *same,
                             struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t i = 0;
    *same = true;
    int rc = store_stmt(st, &q, err,
                        "SELECT key, value FROM shard_labels WHERE shard_id = ? ORDER BY key", "s",
                        s->id);
    while (rc == 0 && (rc = store_step(st, q, "reading labels", err)) == 1) {
        rc = 0; /* a row */
        if (i >= s->n_labels || strcmp(store_col_text(st, q, 0), s->labels[i].key) != 0 ||
            strcmp(store_col_text(st, q, 1), s->labels[i].value) != 0) {
            *same = false;
        }
        i++;
    }
    if (i != s->n_labels) {
        *same = false;
    }
    store_stmt_done(st, q);
    return rc;
}

static int store_shard_diff(struct store *st, const struct fleet_shard *s,
                            enum store_shard_diff *diff, struct sw_err *err)
{
    struct store_q *q = NULL;
    bool same = false;
    *diff = STORE_SHARD_NEW;
    int rc = store_stmt(st, &q, err, "SELECT engine, pool, is_removed FROM shards WHERE id = ?",
                        "s", s->id);
    if (rc == 0 && (rc = store_step(st, q, "reading a shard", err)) == 1) {
        rc = 0;
        if (store_col_int(st, q, 2) == 0) {
            same = strcmp(store_col_text(st, q, 0), migset_engine_name(s->engine)) == 0 &&
                   strcmp(store_col_text(st, q, 1), s->pool) == 0;
            *diff = STORE_SHARD_CHANGED;
        }
    }
    store_stmt_done(st, q);
    if (rc == 0 && *diff == STORE_SHARD_CHANGED && same) {
        rc = store_labels_same(st, s, &same, err);
        *diff = same ? STORE_SHARD_SAME : STORE_SHARD_CHANGED;
    }
    return rc;
}

/* Upserts a shard row (not removed) and, unless unchanged, its labels. */
static int store_shard_write(struct store *st, const struct fleet_shard *s, const char *actor,
                             int64_t now_ms, enum store_shard_diff diff, struct sw_err *err)
{
    int rc = store_run(st, err,
                       "INSERT INTO shards (id, engine, pool, from_fleet_file, registered_by, "
                       "is_removed, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6) "
                       "ON CONFLICT (id) DO UPDATE SET engine = ?2, pool = ?3, "
                       "from_fleet_file = ?4, registered_by = ?5, is_removed = 0, updated_ms = ?6",
                       "sssbsi", s->id, migset_engine_name(s->engine), s->pool, actor == NULL,
                       actor, now_ms);
    if (rc == 0 && diff != STORE_SHARD_SAME) {
        rc = store_labels_put(st, s, err);
    }
    return rc;
}

int store_shard_put(struct store *st, const struct fleet_shard *shard, const char *actor,
                    int64_t now_ms, bool *created, struct sw_err *err)
{
    enum store_shard_diff diff = STORE_SHARD_NEW;
    int rc = store_begin(st, err);
    if (rc == 0) {
        rc = store_shard_diff(st, shard, &diff, err);
    }
    if (rc == 0) {
        rc = store_shard_write(st, shard, actor ? actor : "unknown", now_ms, diff, err);
    }
    if (rc == 0) {
        rc = store_commit(st, err);
    }
    if (rc != 0) {
        store_rollback(st);
        sw_err_prefix(err, "shard %s", shard->id);
        return rc;
    }
    if (created != NULL) {
        *created = diff == STORE_SHARD_NEW;
    }
    return 0;
}

int store_shard_status_put(struct store *st, const char *shard_id,
                           const struct shard_status *status, struct sw_err *err)
{
    /* a new fingerprint replaces the old one (with the scan's unknown and edited
     * versions); without one, the old ones stay only while the version does (a migrated
     * schema has another fingerprint and other applied versions) */
    int rc = store_run(st, err,
                       "UPDATE shards SET fingerprint = CASE WHEN ?1 <> '' THEN ?1 "
                       "WHEN version = ?2 THEN fingerprint ELSE '' END, "
                       "unknown_versions = CASE WHEN ?1 <> '' THEN ?6 "
                       "WHEN version = ?2 THEN unknown_versions ELSE '' END, "
                       "edited_versions = CASE WHEN ?1 <> '' THEN ?7 "
                       "WHEN version = ?2 THEN edited_versions ELSE '' END, version = ?2, "
                       "health = ?3, last_seen_ms = ?4 WHERE id = ?5",
                       "sssisss", status->fingerprint, status->version,
                       shard_health_name(status->health), status->last_seen_ms, shard_id,
                       status->unknown_versions, status->edited_versions);
    if (rc == 0 && store_changes(st) == 0) {
        rc = sw_err_set(err, SW_ENOTFOUND, "shard %s not found", shard_id);
    }
    return rc;
}

/* ---- fleet-file sync ---- */

void store_sync_result_cleanup(struct store_sync_result *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n_added; i++) {
        free(r->added[i]);
    }
    for (size_t i = 0; i < r->n_changed; i++) {
        free(r->changed[i]);
    }
    for (size_t i = 0; i < r->n_removed; i++) {
        free(r->removed[i]);
    }
    free(r->added);
    free(r->changed);
    free(r->removed);
    free(r->removed_active);
    memset(r, 0, sizeof *r);
}

/* Appends a copy of s (capacity doubles at powers of two). */
static int store_strlist_add(struct store *st, char ***list, size_t *n, const char *s,
                             struct sw_err *err)
{
    if ((*n & (*n - 1)) == 0) {
        char **grown = realloc(*list, (*n ? *n * 2 : 1) * sizeof *grown);
        if (grown == NULL) {
            return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
        }
        *list = grown;
    }
    (*list)[*n] = strdup(s);
    if ((*list)[*n] == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    (*n)++;
    return 0;
}

static int store_sync_upsert(struct store *st, const struct fleet *file, int64_t now_ms,
                             struct store_sync_result *out, struct sw_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < file->n_shards; i++) {
        const struct fleet_shard *s = &file->shards[i];
        enum store_shard_diff diff = STORE_SHARD_NEW;
        rc = store_shard_diff(st, s, &diff, err);
        if (rc == 0) {
            rc = store_shard_write(st, s, NULL, now_ms, diff, err);
        }
        if (rc == 0 && diff == STORE_SHARD_NEW) {
            rc = store_strlist_add(st, &out->added, &out->n_added, s->id, err);
        } else if (rc == 0 && diff == STORE_SHARD_CHANGED) {
            rc = store_strlist_add(st, &out->changed, &out->n_changed, s->id, err);
        }
    }
    return rc;
}

static int store_sync_find_removed(struct store *st, const struct fleet *file,
                                   struct store_sync_result *out, struct sw_err *err)
{
    struct store_q *q = NULL;
    int rc = store_stmt(st, &q, err,
                        "SELECT id FROM shards WHERE from_fleet_file = 1 AND is_removed = 0 "
                        "ORDER BY id",
                        "");
    while (rc == 0 && (rc = store_step(st, q, "reading shards", err)) == 1) {
        rc = 0; /* a row */
        const char *id = store_col_text(st, q, 0);
        rc = fleet_find(file, id) >= 0
                 ? 0
                 : store_strlist_add(st, &out->removed, &out->n_removed, id, err);
    }
    store_stmt_done(st, q);
    return rc;
}

static int store_sync_remove(struct store *st, int64_t now_ms, struct store_sync_result *out,
                             struct sw_err *err)
{
    int rc = 0;
    if (out->n_removed > 0) {
        out->removed_active = calloc(out->n_removed, sizeof *out->removed_active);
        if (out->removed_active == NULL) {
            return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
        }
    }
    for (size_t i = 0; rc == 0 && i < out->n_removed; i++) {
        struct store_busy_shard *b = &out->removed_active[out->n_removed_active];
        rc = store_run(st, err, "UPDATE shards SET is_removed = 1, updated_ms = ? WHERE id = ?",
                       "is", now_ms, out->removed[i]);
        if (rc == 0) {
            rc = store_shard_active_wave(st, out->removed[i], b->wave_id, err);
        }
        if (rc == 0 && b->wave_id[0] != '\0') {
            snprintf(b->shard_id, sizeof b->shard_id, "%s", out->removed[i]);
            out->n_removed_active++;
        }
    }
    return rc;
}

static int store_sync_count(struct store *st, size_t *n, struct sw_err *err)
{
    struct store_q *q = NULL;
    int rc = store_stmt(st, &q, err, "SELECT count(*) FROM shards WHERE is_removed = 0", "");
    if (rc == 0 && (rc = store_step(st, q, "counting shards", err)) == 1) {
        *n = (size_t)store_col_int(st, q, 0);
        rc = 0;
    }
    store_stmt_done(st, q);
    return rc;
}

static int store_fleet_check_sorted(const struct fleet *file, struct sw_err *err)
{
    for (size_t i = 1; i < file->n_shards; i++) {
        if (strcmp(file->shards[i - 1].id, file->shards[i].id) >= 0) {
            return sw_err_set(err, SW_EINVAL, "fleet: shard ids must be sorted and unique: %s, %s",
                              file->shards[i - 1].id, file->shards[i].id);
        }
    }
    return 0;
}

int store_fleet_sync(struct store *st, const struct fleet *file, int64_t now_ms,
                     struct store_sync_result *out, struct sw_err *err)
{
    *out = (struct store_sync_result){0};
    int rc = store_fleet_check_sorted(file, err);
    if (rc == 0) {
        rc = store_begin(st, err);
    }
    if (rc == 0) {
        rc = store_sync_upsert(st, file, now_ms, out, err);
    }
    if (rc == 0) {
        rc = store_sync_find_removed(st, file, out, err);
    }
    if (rc == 0) {
        rc = store_sync_remove(st, now_ms, out, err);
    }
    if (rc == 0) {
        rc = store_sync_count(st, &out->n_shards, err);
    }
    if (rc == 0) {
        rc = store_commit(st, err);
    }
    if (rc != 0) {
        store_rollback(st);
        store_sync_result_cleanup(out);
    }
    return rc;
}
