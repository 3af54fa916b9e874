/*
 * Reading waves back: the wave row, its shards, and lists of waves.
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

#define STORE_WAVE_SELECT                                                                          \
    "SELECT id, digest, plan, target, direction, on_failure, state, current_stage, "               \
    "stage_phase, phase_until_ms, halt_reason, reason, created_by, created_ms, updated_ms, "       \
    "revision FROM waves "
#define STORE_SHARD_SELECT                                                                         \
    "SELECT shard_id, stage_idx, state, from_version, to_version, steps, host, has_down, "         \
    "agent, lease_id, lease_expires_ms, attempts, error, started_ms, finished_ms, "                \
    "finished_seq, failure FROM wave_shards "

/* Finds `text` among the names name_of(0 .. count-1) of one of our enums. */
static int store_enum_parse(const char *text, int count, const char *(*name_of)(int), int *out)
{
    for (int i = 0; text != NULL && i < count; i++) {
        if (strcmp(text, name_of(i)) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

static const char *store_direction_name(int i)
{
    return plan_direction_name((enum plan_direction)i);
}

static const char *store_on_failure_name(int i)
{
    return plan_on_failure_name((enum plan_on_failure)i);
}

static const char *store_phase_name(int i)
{
    return wave_stage_phase_name((enum wave_stage_phase)i);
}

static int store_wave_enums(struct store *st, struct store_q *q, struct store_wave *w,
                            struct sw_err *err)
{
    int dir = 0;
    int onf = 0;
    int phase = 0;
    const char *state = store_col_text(st, q, 6);
    if (store_enum_parse(store_col_text(st, q, 4), PLAN_DOWN + 1, store_direction_name, &dir) !=
            0 ||
        store_enum_parse(store_col_text(st, q, 5), PLAN_ON_FAILURE_ROLLBACK + 1,
                         store_on_failure_name, &onf) != 0 ||
        store_enum_parse(store_col_text(st, q, 8), STAGE_PHASE_COUNT, store_phase_name, &phase) !=
            0 ||
        state == NULL || wave_state_parse(state, &w->state) != 0) {
        return sw_err_set(err, SW_EINTERNAL,
                          "store %s: wave %s: bad direction, on_failure, "
                          "phase or state",
                          st->path, w->id);
    }
    w->direction = (enum plan_direction)dir;
    w->on_failure = (enum plan_on_failure)onf;
    w->stage_phase = (enum wave_stage_phase)phase;
    return 0;
}

/* Reads one row of STORE_WAVE_SELECT into *w (zeroed first; w owns its strings). */
static int store_wave_row(struct store *st, struct store_q *q, struct store_wave *w,
                          struct sw_err *err)
{
    *w = (struct store_wave){0};
    int rc = store_col_copy(st, q, 0, w->id, sizeof w->id, err);
    if (rc == 0) {
        rc = store_col_copy(st, q, 1, w->digest, sizeof w->digest, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 3, w->target, sizeof w->target, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 12, w->created_by, sizeof w->created_by, err);
    }
    if (rc == 0) {
        rc = store_wave_enums(st, q, w, err);
    }
    if (rc == 0) {
        rc = store_col_dup(st, q, 2, &w->plan_json, err);
    }
    if (rc == 0) {
        rc = store_col_dup(st, q, 10, &w->halt_reason, err);
    }
    if (rc == 0) {
        rc = store_col_dup(st, q, 11, &w->reason, err);
    }
    w->current_stage = (int)store_col_int(st, q, 7);
    w->phase_until_ms = store_col_int(st, q, 9);
    w->created_ms = store_col_int(st, q, 13);
    w->updated_ms = store_col_int(st, q, 14);
    w->revision = store_col_int(st, q, 15);
    return rc;
}

/* Splits "6,7" into s->steps. */
static int store_steps_parse(struct store *st, const char *text, struct store_wave_shard *s,
                             struct sw_err *err)
{
    size_t n = 0;
    if (text == NULL || text[0] == '\0') {
        return 0;
    }
    for (const char *p = text; p != NULL; p = strchr(p + 1, ',')) {
        n++;
    }
    s->steps = calloc(n, sizeof *s->steps);
    if (s->steps == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    const char *p = text;
    for (size_t i = 0; i < n; i++) {
        size_t len = strcspn(p, ",");
        if (len >= VERSION_TEXT_MAX) {
            return sw_err_set(err, SW_EINTERNAL, "store %s: shard %s: bad steps", st->path,
                              s->shard_id);
        }
        memcpy(s->steps[i], p, len);
        s->steps[i][len] = '\0';
        p += len + 1;
    }
    s->n_steps = n;
    return 0;
}

static int store_shard_texts(struct store *st, struct store_q *q, struct store_wave_shard *s,
                             struct sw_err *err)
{
    int rc = store_col_copy(st, q, 0, s->shard_id, sizeof s->shard_id, err);
    if (rc == 0) {
        rc = store_col_copy(st, q, 3, s->from_version, sizeof s->from_version, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 4, s->to_version, sizeof s->to_version, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 6, s->host, sizeof s->host, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 8, s->agent, sizeof s->agent, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 9, s->lease_id, sizeof s->lease_id, err);
    }
    if (rc == 0) {
        rc = store_col_dup(st, q, 12, &s->error, err);
    }
    return rc;
}

/* Reads one row of STORE_SHARD_SELECT into *s (zeroed first); the step list only when
 * with_steps. */
static int store_shard_row(struct store *st, struct store_q *q, bool with_steps,
                           struct store_wave_shard *s, struct sw_err *err)
{
    *s = (struct store_wave_shard){0};
    int rc = store_shard_texts(st, q, s, err);
    const char *state = store_col_text(st, q, 2);
    if (rc == 0 && (state == NULL || wave_shard_state_parse(state, &s->state) != 0)) {
        rc = sw_err_set(err, SW_EINTERNAL, "store %s: shard %s: bad state", st->path, s->shard_id);
    }
    if (rc == 0 && with_steps) {
        rc = store_steps_parse(st, store_col_text(st, q, 5), s, err);
    }
    s->stage_idx = (int)store_col_int(st, q, 1);
    s->has_down = store_col_int(st, q, 7) != 0;
    s->lease_expires_ms = store_col_int(st, q, 10);
    s->attempts = (int)store_col_int(st, q, 11);
    s->started_ms = store_col_int(st, q, 13);
    s->finished_ms = store_col_int(st, q, 14);
    s->finished_seq = store_col_int(st, q, 15);
    const char *failure = store_col_text(st, q, 16);
    if (rc == 0 && (failure == NULL || wave_failure_parse(failure, &s->failure) != 0)) {
        rc = sw_err_set(err, SW_EINTERNAL, "store %s: shard %s: bad failure class", st->path,
                        s->shard_id);
    }
    return rc;
}

int store_wave_get_row(struct store *st, const char *id, struct store_wave *out, struct sw_err *err)
{
    struct store_q *q = NULL;
    *out = (struct store_wave){0};
    int rc = store_stmt(st, &q, err, STORE_WAVE_SELECT "WHERE id = ?", "s", id);
    if (rc == 0) {
        rc = store_step(st, q, "reading waves", err);
    }
    if (rc == 0) {
        rc = sw_err_set(err, SW_ENOTFOUND, "wave %s not found", id);
    } else if (rc == 1) {
        rc = store_wave_row(st, q, out, err);
    }
    store_stmt_done(st, q);
    if (rc != 0) {
        store_wave_cleanup(out);
    }
    return rc;
}

/* How many shards the wave has (the (wave_id, state) index), to allocate them exactly. */
static int store_wave_n_shards(struct store *st, const char *id, size_t *n, struct sw_err *err)
{
    struct store_q *q = NULL;
    *n = 0;
    int rc = store_stmt(st, &q, err, "SELECT count(*) FROM wave_shards WHERE wave_id = ?", "s", id);
    if (rc == 0) {
        rc = store_step(st, q, "counting wave shards", err);
    }
    if (rc == 1) {
        int64_t count = store_col_int(st, q, 0);
        *n = count > 0 ? (size_t)count : 0;
        rc = 0;
    }
    store_stmt_done(st, q);
    return rc;
}

/* The shards, in an array sized by a count first (in the same read transaction): a
 * doubling array would peak at up to twice a wave's detail while it is read (10,000
 * shards: 14.7 MB instead of 9 MB, twice when the API and the scheduler read at once). */
static int store_wave_read_shards(struct store *st, bool with_steps, struct store_wave_detail *d,
                                  struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    int rc = store_wave_n_shards(st, d->wave.id, &cap, err);
    if (rc == 0 && cap > 0) {
        d->shards = calloc(cap, sizeof *d->shards);
        rc =
            d->shards != NULL ? 0 : sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    if (rc == 0) {
        rc = store_stmt(st, &q, err,
                        STORE_SHARD_SELECT "WHERE wave_id = ? ORDER BY stage_idx, shard_id", "s",
                        d->wave.id);
    }
    while (rc == 0 && (rc = store_step(st, q, "reading wave shards", err)) == 1) {
        rc = 0;                   /* a row */
        if (d->n_shards == cap) { /* the read is one snapshot: cannot happen */
            rc = sw_err_set(err, SW_EINTERNAL, "store %s: wave %s: more shards than counted",
                            st->path, d->wave.id);
            break;
        }
        rc = store_shard_row(st, q, with_steps, &d->shards[d->n_shards], err);
        d->n_shards++; /* cleanup frees a half-read row too */
    }
    store_stmt_done(st, q);
    return rc;
}

static int store_wave_get_what(struct store *st, const char *id, bool with_steps,
                               struct store_wave_detail *out, struct sw_err *err)
{
    *out = (struct store_wave_detail){0};
    int rc = store_begin_read(st, err);
    if (rc == 0) {
        rc = store_wave_get_row(st, id, &out->wave, err);
    }
    if (rc == 0) {
        rc = store_wave_read_shards(st, with_steps, out, err);
    }
    store_rollback(st);
    if (rc != 0) {
        store_wave_detail_cleanup(out);
    }
    return rc;
}

int store_wave_get(struct store *st, const char *id, struct store_wave_detail *out,
                   struct sw_err *err)
{
    return store_wave_get_what(st, id, true, out, err);
}

int store_wave_get_no_steps(struct store *st, const char *id, struct store_wave_detail *out,
                            struct sw_err *err)
{
    return store_wave_get_what(st, id, false, out, err);
}

int store_wave_list(struct store *st, const struct store_wave_filter *filter,
                    struct store_wave **out, size_t *n, struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    bool by_state = filter != NULL && filter->by_state;
    bool active_only = filter != NULL && filter->active_only;
    *out = NULL;
    *n = 0;
    int rc = store_stmt(st, &q, err,
                        STORE_WAVE_SELECT "WHERE (?1 IS NULL OR state = ?1) AND (?2 = 0 OR "
                                          "is_active = 1) ORDER BY created_ms DESC, id DESC",
                        "sb", by_state ? wave_state_name(filter->state) : NULL, (int)active_only);
    while (rc == 0 && (rc = store_step(st, q, "reading waves", err)) == 1) {
        rc = 0; /* a row */
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct store_wave *w = realloc(*out, cap * sizeof *w);
            if (w == NULL) {
                rc = sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
                break;
            }
            *out = w;
        }
        rc = store_wave_row(st, q, &(*out)[*n], err);
        (*n)++;
    }
    store_stmt_done(st, q);
    if (rc != 0) {
        store_waves_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* One row of store_wave_active into *ref. */
static int store_wave_ref_row(struct store *st, struct store_q *q, struct store_wave_ref *ref,
                              struct sw_err *err)
{
    const char *state = store_col_text(st, q, 1);
    int rc = store_col_copy(st, q, 0, ref->id, sizeof ref->id, err);
    if (rc == 0 && (state == NULL || wave_state_parse(state, &ref->state) != 0)) {
        rc = sw_err_set(err, SW_EINTERNAL, "store %s: wave %s: bad state", st->path, ref->id);
    }
    return rc;
}

int store_wave_active(struct store *st, struct store_wave_ref **out, size_t *n, struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    int rc = store_stmt(st, &q, err,
                        "SELECT id, state FROM waves WHERE is_active = 1 "
                        "ORDER BY created_ms DESC, id DESC",
                        "");
    while (rc == 0 && (rc = store_step(st, q, "reading waves", err)) == 1) {
        rc = 0; /* a row */
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            struct store_wave_ref *grown = realloc(*out, cap * sizeof *grown);
            if (grown == NULL) {
                rc = sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
                break;
            }
            *out = grown;
        }
        rc = store_wave_ref_row(st, q, &(*out)[*n], err);
        (*n)++;
    }
    store_stmt_done(st, q);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int store_wave_revision(struct store *st, const char *id, int64_t *revision, struct sw_err *err)
{
    struct store_q *q = NULL;
    *revision = 0;
    int rc = store_stmt(st, &q, err, "SELECT revision FROM waves WHERE id = ?", "s", id);
    if (rc == 0) {
        rc = store_step(st, q, "reading waves", err);
    }
    if (rc == 0) {
        rc = sw_err_set(err, SW_ENOTFOUND, "wave %s not found", id);
    } else if (rc == 1) {
        *revision = store_col_int(st, q, 0);
        rc = 0;
    }
    store_stmt_done(st, q);
    return rc;
}

int store_wave_counts(struct store *st, const char *id, size_t counts[WSHARD_STATE_COUNT],
                      struct sw_err *err)
{
    int64_t revision = 0;
    struct store_q *q = NULL;
    memset(counts, 0, WSHARD_STATE_COUNT * sizeof counts[0]);
    int rc = store_wave_revision(st, id, &revision, err); /* SW_ENOTFOUND */
    if (rc == 0) {
        rc = store_stmt(st, &q, err,
                        "SELECT state, count(*) FROM wave_shards WHERE wave_id = ? GROUP BY state",
                        "s", id);
    }
    while (rc == 0 && (rc = store_step(st, q, "reading wave_shards", err)) == 1) {
        enum wave_shard_state state = WSHARD_PENDING;
        const char *name = store_col_text(st, q, 0);
        rc =
            name != NULL && wave_shard_state_parse(name, &state) == 0
                ? 0
                : sw_err_set(err, SW_EINTERNAL, "store %s: wave %s: bad shard state", st->path, id);
        if (rc == 0) {
            counts[state] += (size_t)store_col_int(st, q, 1);
        }
    }
    store_stmt_done(st, q);
    return rc;
}
