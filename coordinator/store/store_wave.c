/*
 * Waves and their shards: creation (with the one-active-wave-per-shard check in
 * the same transaction), reads, lists and the busy-shard set.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "store_impl.h"
#include "sw/strbuf.h"

#define STORE_WAVE_COLS                                                                            \
    "id, digest, plan, target, direction, on_failure, state, current_stage, stage_phase, "         \
    "phase_until_ms, halt_reason, reason, created_by, created_ms, updated_ms, revision"
#define STORE_SHARD_COLS                                                                           \
    "shard_id, stage_idx, state, from_version, to_version, steps, host, has_down, agent, "         \
    "lease_id, lease_expires_ms, attempts, error, started_ms, finished_ms, finished_seq"
#define STORE_STEPS_MAX_BYTES (64u * 1024u * 1024u)

void store_wave_cleanup(struct store_wave *w)
{
    if (w == NULL) {
        return;
    }
    free(w->plan_json);
    free(w->halt_reason);
    free(w->reason);
    memset(w, 0, sizeof *w);
}

void store_wave_shard_cleanup(struct store_wave_shard *s)
{
    if (s == NULL) {
        return;
    }
    free(s->steps);
    free(s->error);
    memset(s, 0, sizeof *s);
}

void store_wave_detail_cleanup(struct store_wave_detail *d)
{
    if (d == NULL) {
        return;
    }
    store_wave_cleanup(&d->wave);
    for (size_t i = 0; i < d->n_shards; i++) {
        store_wave_shard_cleanup(&d->shards[i]);
    }
    free(d->shards);
    memset(d, 0, sizeof *d);
}

void store_waves_free(struct store_wave *waves, size_t n)
{
    for (size_t i = 0; waves != NULL && i < n; i++) {
        store_wave_cleanup(&waves[i]);
    }
    free(waves);
}

/* ---- busy shards ---- */

int store_shard_active_wave(struct store *st, const char *shard_id, char wave_id[WAVE_ID_MAX + 1],
                            struct sw_err *err)
{
    struct store_q *q = NULL;
    wave_id[0] = '\0';
    int rc = store_stmt(st, &q, err,
                        "SELECT w.id FROM wave_shards ws JOIN waves w ON w.id = ws.wave_id "
                        "WHERE ws.shard_id = ? AND w.is_active = 1 AND ws.state <> ? LIMIT 1",
                        "ss", shard_id, wave_shard_state_name(WSHARD_SKIPPED));
    if (rc == 0 && (rc = store_step(st, q, "reading waves", err)) == 1) {
        rc = store_col_copy(st, q, 0, wave_id, WAVE_ID_MAX + 1, err);
    }
    store_stmt_done(st, q);
    return rc;
}

int store_busy_shards(struct store *st, const char *exclude_wave_id, struct store_busy_shard **out,
                      size_t *n, struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = store_stmt(st, &q, err,
                        "SELECT ws.shard_id, ws.wave_id FROM wave_shards ws "
                        "JOIN waves w ON w.id = ws.wave_id WHERE w.is_active = 1 "
                        "AND ws.state <> ?1 AND (?2 IS NULL OR w.id <> ?2) ORDER BY ws.shard_id",
                        "ss", wave_shard_state_name(WSHARD_SKIPPED), exclude_wave_id);
    while (rc == 0 && (rc = store_step(st, q, "reading busy shards", err)) == 1) {
        rc = 0; /* a row */
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct store_busy_shard *b = realloc(*out, cap * sizeof *b);
            if (b == NULL) {
                rc = sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
                break;
            }
            *out = b;
        }
        struct store_busy_shard *b = &(*out)[*n];
        rc = store_col_copy(st, q, 0, b->shard_id, sizeof b->shard_id, err);
        if (rc == 0) {
            rc = store_col_copy(st, q, 1, b->wave_id, sizeof b->wave_id, err);
        }
        *n += rc == 0;
    }
    store_stmt_done(st, q);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- create ---- */

/* Joins step versions with ','. */
static int store_steps_text(const struct store_wave_shard *s, struct sw_strbuf *sb,
                            struct sw_err *err)
{
    sw_strbuf_reset(sb);
    for (size_t i = 0; i < s->n_steps; i++) {
        int rc = sw_strbuf_printf(sb, err, "%s%s", i ? "," : "", s->steps[i]);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Every shard must exist and be in no other active wave. */
static int store_wave_check_shards(struct store *st, const struct store_wave_shard *shards,
                                   size_t n, struct sw_err *err)
{
    size_t n_busy = 0;
    char first_shard[FLEET_ID_MAX + 1] = "";
    char first_wave[WAVE_ID_MAX + 1] = "";
    for (size_t i = 0; i < n; i++) {
        char wave[WAVE_ID_MAX + 1];
        if (shards[i].state == WSHARD_SKIPPED) {
            continue;
        }
        int rc = store_shard_active_wave(st, shards[i].shard_id, wave, err);
        if (rc != 0) {
            return rc;
        }
        if (wave[0] != '\0' && n_busy++ == 0) {
            snprintf(first_shard, sizeof first_shard, "%s", shards[i].shard_id);
            snprintf(first_wave, sizeof first_wave, "%s", wave);
        }
    }
    if (n_busy == 0) {
        return 0;
    }
    int rc = n_busy == 1 ? sw_err_set(err, SW_ECONFLICT, "shard %s is in active wave %s",
                                      first_shard, first_wave)
                         : sw_err_set(err, SW_ECONFLICT,
                                      "shard %s is in active wave %s (and %zu more shards are "
                                      "in active waves)",
                                      first_shard, first_wave, n_busy - 1);
    sw_err_hint(err, "finish, abort or roll back that wave first");
    return rc;
}

/* A fresh "w-" + 8 hex digits id that no wave has yet. */
static int store_wave_new_id(struct store *st, char id[WAVE_ID_MAX + 1], struct sw_err *err)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        unsigned char r[4];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
            return sw_err_set(err, SW_EIO, "store %s: no random bytes for a wave id", st->path);
        }
        snprintf(id, WAVE_ID_MAX + 1, "w-%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
        struct store_q *q = NULL;
        int rc = store_stmt(st, &q, err, "SELECT 1 FROM waves WHERE id = ?", "s", id);
        if (rc == 0) {
            rc = store_step(st, q, "reading waves", err);
        }
        store_stmt_done(st, q);
        if (rc <= 0) {
            return rc;
        }
    }
    return sw_err_set(err, SW_EINTERNAL, "store %s: no free wave id after 8 attempts", st->path);
}

/* A caller-chosen id must not name an existing wave. */
static int store_wave_check_new_id(struct store *st, const char *id, struct sw_err *err)
{
    struct store_wave old = {0};
    int rc = store_wave_get_row(st, id, &old, err);
    store_wave_cleanup(&old);
    if (rc == SW_ENOTFOUND) {
        return 0;
    }
    return rc != 0 ? rc : sw_err_set(err, SW_ECONFLICT, "wave %s already exists", id);
}

static int store_wave_insert_row(struct store *st, const struct store_wave *w, struct sw_err *err)
{
    return store_run(st, err,
                     "INSERT INTO waves (" STORE_WAVE_COLS ", is_active) VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                     "sssssssisisssiib", w->id, w->digest, w->plan_json ? w->plan_json : "{}",
                     w->target, plan_direction_name(w->direction),
                     plan_on_failure_name(w->on_failure), wave_state_name(w->state),
                     (int64_t)w->current_stage, wave_stage_phase_name(w->stage_phase),
                     w->phase_until_ms, w->halt_reason, w->reason, w->created_by, w->created_ms,
                     w->updated_ms, (int)wave_state_is_active(w->state));
}

static int store_wave_insert_shard(struct store *st, const char *wave_id,
                                   const struct store_wave_shard *s, struct sw_strbuf *sb,
                                   struct sw_err *err)
{
    int rc = store_steps_text(s, sb, err);
    if (rc != 0) {
        return rc;
    }
    return store_run(st, err,
                     "INSERT INTO wave_shards (wave_id, " STORE_SHARD_COLS ") VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     "ssisssssbssiisiii", wave_id, s->shard_id, (int64_t)s->stage_idx,
                     wave_shard_state_name(s->state), s->from_version, s->to_version,
                     sw_strbuf_str(sb), s->host, (int)s->has_down, s->agent, s->lease_id,
                     s->lease_expires_ms, (int64_t)s->attempts, s->error, s->started_ms,
                     s->finished_ms, s->finished_seq);
}

static int store_wave_insert(struct store *st, struct store_wave *w,
                             const struct store_wave_shard *shards, size_t n, struct sw_err *err)
{
    struct sw_strbuf sb;
    sw_strbuf_init(&sb, STORE_STEPS_MAX_BYTES);
    int rc = store_wave_insert_row(st, w, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = store_wave_insert_shard(st, w->id, &shards[i], &sb, err);
        if (rc != 0) {
            sw_err_prefix(err, "shard %s", shards[i].shard_id);
        }
    }
    sw_strbuf_cleanup(&sb);
    if (rc != 0) {
        return rc;
    }
    return store_run(st, err,
                     "INSERT INTO events (wave_id, at_ms, actor, kind, to_state, message) "
                     "VALUES (?, ?, ?, 'created', ?, ?)",
                     "sisss", w->id, w->created_ms, w->created_by, wave_state_name(w->state),
                     w->reason);
}

/* Checks the set and the shards exist and are free, then inserts everything. */
static int store_wave_create_txn(struct store *st, struct store_wave *w,
                                 const struct store_wave_shard *shards, size_t n,
                                 struct sw_err *err)
{
    bool exists = false;
    int rc = store_migset_exists(st, w->digest, &exists, err);
    if (rc == 0 && !exists) {
        rc = sw_err_set(err, SW_ENOTFOUND, "migration set %s is not known", w->digest);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct store_q *q = NULL;
        rc = store_stmt(st, &q, err, "SELECT 1 FROM shards WHERE id = ?", "s", shards[i].shard_id);
        if (rc == 0) {
            rc = store_step(st, q, "reading shards", err);
            rc = rc == 0 ? sw_err_set(err, SW_ENOTFOUND, "shard %s not found", shards[i].shard_id)
                         : (rc == 1 ? 0 : rc);
        }
        store_stmt_done(st, q);
    }
    if (rc == 0) {
        rc = store_wave_check_shards(st, shards, n, err);
    }
    if (rc == 0 && w->id[0] == '\0') {
        rc = store_wave_new_id(st, w->id, err);
    } else if (rc == 0) {
        rc = store_wave_check_new_id(st, w->id, err);
    }
    if (rc == 0) {
        rc = store_wave_insert(st, w, shards, n, err);
    }
    return rc;
}

int store_wave_create(struct store *st, struct store_wave *w, const struct store_wave_shard *shards,
                      size_t n_shards, struct sw_err *err)
{
    bool generated = w->id[0] == '\0';
    int rc = store_begin(st, err);
    if (rc == 0) {
        rc = store_wave_create_txn(st, w, shards, n_shards, err);
    }
    if (rc == 0) {
        rc = store_commit(st, err);
    }
    if (rc != 0) {
        store_rollback(st);
        if (generated) {
            w->id[0] = '\0';
        }
        return rc;
    }
    w->revision = 1;
    return 0;
}
