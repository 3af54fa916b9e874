/*
 * Persisting wave transitions: store_apply_decision (optimistic check, wave row,
 * shard rows, leases, events and report id in one transaction), and reading the
 * append-only event log back.
 */
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

void store_event_cleanup(struct store_event *e)
{
    if (e == NULL) {
        return;
    }
    free(e->message);
    memset(e, 0, sizeof *e);
}

void store_events_free(struct store_event *events, size_t n)
{
    for (size_t i = 0; events != NULL && i < n; i++) {
        store_event_cleanup(&events[i]);
    }
    free(events);
}

/* Why the optimistic update below changed no row: the wave is gone, or no longer in
 * the state (and revision) the decision was computed from. */
static int store_decision_check(struct store *st, const struct store_decision *d,
                                struct sw_err *err)
{
    struct store_q *q = NULL;
    enum wave_state found = WAVE_PENDING;
    int rc =
        store_stmt(st, &q, err, "SELECT state, revision FROM waves WHERE id = ?", "s", d->wave_id);
    if (rc == 0) {
        rc = store_step(st, q, "reading waves", err);
    }
    if (rc == 0) {
        rc = sw_err_set(err, SW_ENOTFOUND, "wave %s not found", d->wave_id);
    } else if (rc == 1) {
        const char *state = store_col_text(st, q, 0);
        int64_t revision = store_col_int(st, q, 1);
        rc = state != NULL && wave_state_parse(state, &found) == 0
                 ? 0
                 : sw_err_set(err, SW_EINTERNAL, "store %s: wave %s: bad state", st->path,
                              d->wave_id);
        if (rc == 0 && (found != d->expected_state ||
                        (d->expected_revision > 0 && revision != d->expected_revision))) {
            rc = sw_err_set(err, SW_ECONFLICT,
                            "wave %s changed concurrently: expected %s (revision %lld), found %s "
                            "(revision %lld)",
                            d->wave_id, wave_state_name(d->expected_state),
                            (long long)d->expected_revision, wave_state_name(found),
                            (long long)revision);
            sw_err_hint(err, "reload the wave and decide again");
        }
    }
    store_stmt_done(st, q);
    return rc;
}

/* Reads the RETURNING revision of an optimistic wave update; no row: the check failed. */
static int store_decision_updated(struct store *st, struct store_q *q,
                                  const struct store_decision *d, int64_t *revision,
                                  struct sw_err *err)
{
    int rc = store_step(st, q, "updating waves", err);
    if (rc == 1) {
        *revision = store_col_int(st, q, 0);
        rc = store_step(st, q, "updating waves", err);
        return rc > 0 ? 0 : rc;
    }
    if (rc == 0) {
        rc = store_decision_check(st, d, err);
    }
    return rc != 0 ? rc
                   : sw_err_set(err, SW_EINTERNAL, "store %s: wave %s: update matched no row",
                                st->path, d->wave_id);
}

/* The optimistic check and the new wave row in one statement (one round trip on
 * PostgreSQL): the row changes only while it still has the expected state (and
 * revision); *revision receives the bumped revision. */
static int store_decision_wave(struct store *st, const struct store_decision *d, int64_t *revision,
                               struct sw_err *err)
{
    const struct store_wave *w = d->wave;
    const char *expected = wave_state_name(d->expected_state);
    struct store_q *q = NULL;
    int rc = w == NULL
                 ? store_stmt(st, &q, err,
                              "UPDATE waves SET revision = revision + 1 WHERE id = ?1 AND "
                              "state = ?2 AND (?3 = 0 OR revision = ?3) RETURNING revision",
                              "ssi", d->wave_id, expected, d->expected_revision)
                 : store_stmt(st, &q, err,
                              "UPDATE waves SET state = ?4, is_active = ?5, current_stage = ?6, "
                              "stage_phase = ?7, phase_until_ms = ?8, halt_reason = ?9, "
                              "updated_ms = ?10, revision = revision + 1 WHERE id = ?1 AND "
                              "state = ?2 AND (?3 = 0 OR revision = ?3) RETURNING revision",
                              "ssisbisisi", d->wave_id, expected, d->expected_revision,
                              wave_state_name(w->state), (int)wave_state_is_active(w->state),
                              (int64_t)w->current_stage, wave_stage_phase_name(w->stage_phase),
                              w->phase_until_ms, w->halt_reason, w->updated_ms);
    if (rc == 0) {
        rc = store_decision_updated(st, q, d, revision, err);
    }
    store_stmt_done(st, q);
    return rc;
}

/* Keeps the leases table in step with the shard's lease (one statement either way). */
static int store_decision_lease(struct store *st, const char *wave_id,
                                const struct store_wave_shard *s, struct sw_err *err)
{
    if (s->lease_id[0] == '\0') {
        return store_run(st, err, "DELETE FROM leases WHERE wave_id = ? AND shard_id = ?", "ss",
                         wave_id, s->shard_id);
    }
    return store_run(st, err,
                     "INSERT INTO leases (id, wave_id, shard_id, agent_id, expires_ms) "
                     "VALUES (?, ?, ?, ?, ?) ON CONFLICT (wave_id, shard_id) DO UPDATE SET "
                     "id = excluded.id, agent_id = excluded.agent_id, "
                     "expires_ms = excluded.expires_ms",
                     "ssssi", s->lease_id, wave_id, s->shard_id, s->agent, s->lease_expires_ms);
}

static int store_decision_shard(struct store *st, const char *wave_id,
                                const struct store_wave_shard *s, struct sw_err *err)
{
    int rc = store_run(st, err,
                       "UPDATE wave_shards SET state = ?, from_version = ?, to_version = ?, "
                       "agent = ?, lease_id = ?, lease_expires_ms = ?, attempts = ?, error = ?, "
                       "started_ms = ?, finished_ms = ?, finished_seq = ?, failure = ? "
                       "WHERE wave_id = ? AND shard_id = ?",
                       "sssssiisiiisss", wave_shard_state_name(s->state), s->from_version,
                       s->to_version, s->agent, s->lease_id, s->lease_expires_ms,
                       (int64_t)s->attempts, s->error, s->started_ms, s->finished_ms,
                       s->finished_seq, wave_failure_name(s->failure), wave_id, s->shard_id);
    if (rc == 0 && store_changes(st) == 0) {
        rc = sw_err_set(err, SW_ENOTFOUND, "shard %s is not in wave %s", s->shard_id, wave_id);
    }
    if (rc == 0) {
        rc = store_decision_lease(st, wave_id, s, err);
    }
    return rc;
}

/* Appends one event; *id (may be NULL) receives the id it got. */
static int store_event_insert(struct store *st, const char *wave_id, const struct store_event *e,
                              int64_t *id, struct sw_err *err)
{
    struct store_q *q = NULL;
    int rc = store_stmt(st, &q, err,
                        "INSERT INTO events (wave_id, at_ms, actor, kind, from_state, to_state, "
                        "shard_id, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        "sissssss", e->wave_id[0] ? e->wave_id : wave_id, e->at_ms, e->actor,
                        e->kind, e->from_state, e->to_state, e->shard_id, e->message);
    if (rc == 0 && (rc = store_step(st, q, "appending an event", err)) == 1) {
        if (id != NULL) {
            *id = store_col_int(st, q, 0);
        }
        rc = store_step(st, q, "appending an event", err);
    }
    store_stmt_done(st, q);
    return rc > 0 ? 0 : rc;
}

static int store_decision_report(struct store *st, const struct store_decision *d,
                                 struct sw_err *err)
{
    int64_t at_ms = d->wave != NULL ? d->wave->updated_ms : 0;
    if (d->n_events > 0 && d->events[0].at_ms > at_ms) {
        at_ms = d->events[0].at_ms;
    }
    int rc = store_run(st, err, "INSERT INTO seen_reports (report_id, at_ms) VALUES (?, ?)", "si",
                       d->report_id, at_ms);
    if (rc == SW_ECONFLICT) {
        rc = sw_err_set(err, SW_ECONFLICT, "report %s was already recorded", d->report_id);
    }
    return rc;
}

static int store_decision_txn(struct store *st, const struct store_decision *d,
                              int64_t *new_revision, struct sw_err *err)
{
    int64_t revision = d->expected_revision;
    int rc = d->records_only ? 0 : store_decision_wave(st, d, &revision, err);
    if (rc == 0 && d->report_id != NULL) {
        rc = store_decision_report(st, d, err);
    }
    for (size_t i = 0; rc == 0 && i < d->n_shards; i++) {
        rc = store_decision_shard(st, d->wave_id, &d->shards[i], err);
    }
    for (size_t i = 0; rc == 0 && i < d->n_events; i++) {
        rc = store_event_insert(st, d->wave_id, &d->events[i],
                                d->event_ids != NULL ? &d->event_ids[i] : NULL, err);
    }
    if (rc == 0 && new_revision != NULL) {
        *new_revision = revision;
    }
    return rc;
}

int store_apply_decision(struct store *st, const struct store_decision *d, int64_t *new_revision,
                         struct sw_err *err)
{
    int rc = store_begin(st, err);
    if (rc == 0) {
        rc = store_decision_txn(st, d, new_revision, err);
    }
    if (rc == 0) {
        rc = store_commit(st, err);
    }
    if (rc != 0) {
        store_rollback(st);
    }
    return rc;
}

/* ---- reading events ---- */

static int store_event_row(struct store *st, struct store_q *q, struct store_event *e,
                           struct sw_err *err)
{
    *e = (struct store_event){0};
    e->id = store_col_int(st, q, 0);
    e->at_ms = store_col_int(st, q, 2);
    int rc = store_col_copy(st, q, 1, e->wave_id, sizeof e->wave_id, err);
    if (rc == 0) {
        rc = store_col_copy(st, q, 3, e->actor, sizeof e->actor, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 4, e->kind, sizeof e->kind, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 5, e->from_state, sizeof e->from_state, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 6, e->to_state, sizeof e->to_state, err);
    }
    if (rc == 0) {
        rc = store_col_copy(st, q, 7, e->shard_id, sizeof e->shard_id, err);
    }
    if (rc == 0) {
        rc = store_col_dup(st, q, 8, &e->message, err);
    }
    return rc;
}

static int store_events_read(struct store *st, const char *wave_id, int64_t after_id, size_t limit,
                             struct store_event **out, size_t *n, struct sw_err *err)
{
    struct store_q *q = NULL;
    size_t cap = 0;
    int rc = store_stmt(st, &q, err,
                        "SELECT id, wave_id, at_ms, actor, kind, from_state, to_state, shard_id, "
                        "message FROM events WHERE wave_id = ? AND id > ? ORDER BY id LIMIT ?",
                        "sii", wave_id, after_id, (int64_t)limit);
    while (rc == 0 && (rc = store_step(st, q, "reading events", err)) == 1) {
        rc = 0; /* a row */
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            struct store_event *e = realloc(*out, cap * sizeof *e);
            if (e == NULL) {
                rc = sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
                break;
            }
            *out = e;
        }
        rc = store_event_row(st, q, &(*out)[*n], err);
        (*n)++;
    }
    store_stmt_done(st, q);
    return rc;
}

int store_events_list(struct store *st, const char *wave_id, int64_t after_id, size_t limit,
                      struct store_event **out, size_t *n, struct sw_err *err)
{
    struct store_wave w = {0};
    *out = NULL;
    *n = 0;
    if (limit < 1 || limit > STORE_EVENTS_MAX_LIMIT) {
        return sw_err_set(err, SW_EINVAL, "events limit must be 1..%d, got %zu",
                          STORE_EVENTS_MAX_LIMIT, limit);
    }
    int rc = store_begin_read(st, err);
    if (rc == 0) {
        rc = store_wave_get_row(st, wave_id, &w, err);
    }
    if (rc == 0) {
        rc = store_events_read(st, wave_id, after_id, limit, out, n, err);
    }
    store_rollback(st);
    store_wave_cleanup(&w);
    if (rc != 0) {
        store_events_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int store_report_seen(struct store *st, const char *report_id, bool *seen, struct sw_err *err)
{
    struct store_q *q = NULL;
    *seen = false;
    int rc =
        store_stmt(st, &q, err, "SELECT 1 FROM seen_reports WHERE report_id = ?", "s", report_id);
    if (rc == 0) {
        rc = store_step(st, q, "reading reports", err);
    }
    store_stmt_done(st, q);
    if (rc < 0) {
        return rc;
    }
    *seen = rc == 1;
    return 0;
}
