/*
 * The runner: lock, history table, plan, apply, record — for one database.
 * Decisions come from plan.c (pure); this file does the I/O around them and
 * branches on engine capabilities only.
 */
#include "runner/runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/history.h"
#include "runner/plan.h"
#include "sqlsplit/sqlsplit.h"
#include "sw/clock.h"
#include "sw/numparse.h"

static const int default_lock_timeouts_ms[] = {200, 500, 1000, 2000};
static const int default_pauses_ms[] = {500, 1000, 2000};

void runner_lock_policy_default(struct runner_lock_policy *p)
{
    memset(p, 0, sizeof *p);
    p->n_attempts = sizeof default_lock_timeouts_ms / sizeof default_lock_timeouts_ms[0];
    for (size_t i = 0; i < p->n_attempts; i++) {
        p->lock_timeout_ms[i] = default_lock_timeouts_ms[i];
        p->pause_ms[i] =
            i < sizeof default_pauses_ms / sizeof default_pauses_ms[0] ? default_pauses_ms[i] : 0;
    }
}

/* Parses a comma-separated list of milliseconds into vals[]; returns the count or <0. */
static int parse_ms_list(const char *text, const char *what, int *vals, size_t max, size_t *n_out,
                         struct sw_err *err)
{
    size_t n = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[32];
        if (n == max || len == 0 || len >= sizeof item) {
            return sw_err_set(err, SW_EINVAL,
                              "%s: expected up to %zu comma-separated milliseconds, got '%s'", what,
                              max, text);
        }
        memcpy(item, p, len);
        item[len] = '\0';
        int rc = sw_parse_int(item, 1, 3600 * 1000, what, &vals[n++], err);
        if (rc != 0) {
            return rc;
        }
        p += len + (comma ? 1 : 0);
    }
    *n_out = n;
    return 0;
}

int runner_lock_policy_parse(const char *timeouts, const char *pauses,
                             struct runner_lock_policy *out, struct sw_err *err)
{
    struct runner_lock_policy p;
    runner_lock_policy_default(&p);
    if (timeouts != NULL) {
        int rc = parse_ms_list(timeouts, "lock timeouts", p.lock_timeout_ms,
                               RUNNER_MAX_LOCK_ATTEMPTS, &p.n_attempts, err);
        if (rc != 0) {
            return rc;
        }
    }
    if (pauses != NULL) {
        size_t n = 0;
        memset(p.pause_ms, 0, sizeof p.pause_ms);
        int rc =
            parse_ms_list(pauses, "lock pauses", p.pause_ms, RUNNER_MAX_LOCK_ATTEMPTS, &n, err);
        if (rc != 0) {
            return rc;
        }
        for (size_t i = n; i < RUNNER_MAX_LOCK_ATTEMPTS && n > 0; i++) {
            p.pause_ms[i] = p.pause_ms[n - 1]; /* the last pause repeats */
        }
    }
    *out = p;
    return 0;
}

void runner_opts_init(struct runner_opts *o, const struct migset *set)
{
    memset(o, 0, sizeof *o);
    o->set = set;
    o->lock_wait_ms = 10000;
    o->statement_timeout_ms = 0;
    runner_lock_policy_default(&o->lock_policy);
}

/* Everything one run needs, passed down explicitly. */
struct run_ctx {
    struct engine *eng;
    const struct runner_opts *opts;
    unsigned seed; /* jitter for retry pauses */
    /* The history table does not exist yet and the engine's DDL is transactional: the
     * first transaction that writes a history row creates it (one commit less on a new
     * shard than creating it on its own); anything else writing a row creates it first. */
    bool is_history_missing;
};

static void emit(const struct run_ctx *c, struct runner_event *ev)
{
    if (c->opts->on_event != NULL) {
        c->opts->on_event(c->opts->ctx, ev);
    }
}

static bool is_stop_requested(const struct run_ctx *c)
{
    return c->opts->stop != NULL && *c->opts->stop;
}

static int read_status(struct engine *eng, const struct migset *set, struct runner_status *st,
                       struct sw_err *err)
{
    struct history_row *rows = NULL;
    size_t n_rows = 0;
    bool exists = false;
    int rc = history_read(eng, &rows, &n_rows, &exists, err);
    if (rc == 0) {
        rc = plan_status(set, engine_kind(eng), rows, n_rows, st, err);
        st->has_history_table = exists;
    }
    free(rows);
    return rc;
}

/* read_status after lock_and_prepare, which knows whether the table exists. */
static int read_status_locked(const struct run_ctx *c, struct runner_status *st, struct sw_err *err)
{
    struct history_row *rows = NULL;
    size_t n_rows = 0;
    int rc = c->is_history_missing ? 0 : history_read_rows(c->eng, &rows, &n_rows, err);
    if (rc == 0) {
        rc = plan_status(c->opts->set, engine_kind(c->eng), rows, n_rows, st, err);
        st->has_history_table = !c->is_history_missing;
    }
    free(rows);
    return rc;
}

int runner_status(struct engine *eng, const struct migset *set, struct runner_status *out,
                  struct sw_err *err)
{
    memset(out, 0, sizeof *out);
    return read_status(eng, set, out, err);
}

/* Takes the migrator lock and makes sure the history table exists (or, with
 * transactional DDL, that the first transaction creates it). */
static int lock_and_prepare(struct run_ctx *c, struct sw_err *err)
{
    int rc = engine_lock(c->eng, c->opts->lock_wait_ms, err);
    if (rc != 0) {
        return rc;
    }
    struct runner_event ev = {.kind = RUNNER_EV_LOCK_ACQUIRED};
    emit(c, &ev);
    bool exists = false;
    rc = history_exists(c->eng, &exists, err);
    if (rc == 0 && !exists && (engine_caps(c->eng) & ENGINE_CAP_TXN_DDL)) {
        c->is_history_missing = true;
    } else if (rc == 0 && !exists) {
        rc = history_create(c->eng, err);
    }
    if (rc != 0) {
        struct sw_err ignored;
        engine_unlock(c->eng, &ignored);
    }
    return rc;
}

/* Creates the history table now if the first transaction was to do it (outside a
 * transaction: a running row, a failure row after a rollback). */
static int history_now(struct run_ctx *c, struct sw_err *err)
{
    if (!c->is_history_missing) {
        return 0;
    }
    int rc = history_create(c->eng, err);
    c->is_history_missing = rc != 0;
    return rc;
}

/* Inside the transaction that writes the first history row: the table's DDL joins it
 * (is_history_missing stays set until that transaction commits). */
static int history_in_txn(const struct run_ctx *c, struct sw_err *err)
{
    return c->is_history_missing ? history_create(c->eng, err) : 0;
}

static void unlock_quietly(struct run_ctx *c)
{
    struct sw_err ignored;
    engine_unlock(c->eng, &ignored);
}

static int step_lock_timeout_ms(const struct run_ctx *c, const struct plan_step *ps, size_t i)
{
    int directive = ps->file->directives.lock_timeout_ms;
    return directive >= 0 ? directive : c->opts->lock_policy.lock_timeout_ms[i];
}

static int step_statement_timeout_ms(const struct run_ctx *c, const struct plan_step *ps)
{
    int directive = ps->file->directives.statement_timeout_ms;
    return directive >= 0 ? directive : c->opts->statement_timeout_ms;
}

static enum history_direction direction_of(const struct plan_step *ps)
{
    return ps->dir == MIGSET_UP ? HISTORY_UP : HISTORY_DOWN;
}

static void record_init(struct history_record *rec, const struct run_ctx *c,
                        const struct plan_step *ps, enum history_state state, int64_t started)
{
    memset(rec, 0, sizeof *rec);
    rec->version_text = ps->step->version_text;
    rec->description = ps->step->description;
    rec->direction = direction_of(ps);
    rec->script = ps->file->name;
    rec->checksum = ps->file->checksum;
    rec->state = state;
    rec->wave = c->opts->wave;
    rec->agent = c->opts->agent;
    rec->started_ms = started;
}

/* One transactional attempt: the step and its history row commit together. */
static int attempt_txn(struct run_ctx *c, const struct plan_step *ps, int64_t started,
                       struct engine_script_result *sres, struct sw_err *err)
{
    int rc = engine_begin(c->eng, err);
    if (rc != 0) {
        return rc;
    }
    rc = history_in_txn(c, err);
    if (rc == 0) {
        rc = engine_exec_script(c->eng, ps->file->sql, ps->file->sql_len, 0, sres, err);
    }
    if (rc == 0) {
        struct history_record rec;
        record_init(&rec, c, ps, HISTORY_APPLIED, started);
        rec.finished_ms = sw_clock_wall_ms();
        rec.stmt_done = (int)sres->n_total;
        rec.stmt_total = (int)sres->n_total;
        rc = history_insert(c->eng, &rec, NULL, err);
    }
    if (rc == 0) {
        rc = engine_commit(c->eng, err);
        c->is_history_missing = c->is_history_missing && rc != 0;
        return rc;
    }
    struct sw_err ignored;
    engine_rollback(c->eng, &ignored);
    return rc;
}

/* The first attempt of a non-transactional step: its `running` row, then (only once that
 * row is committed) its statements from start on; in one round trip where the engine
 * can (history_insert_then_run). *row_id stays 0 when the row was not written. */
static int run_nontxn_first(struct run_ctx *c, const struct plan_step *ps, int64_t started,
                            int64_t *row_id, size_t start, struct engine_script_result *sres,
                            struct sw_err *err)
{
    struct sqlsplit_result split = {0};
    int rc = history_now(c, err);
    if (rc != 0) {
        return rc;
    }
    rc = sqlsplit_split(engine_kind(c->eng), ps->file->sql, ps->file->sql_len, &split, err);
    if (rc != 0) {
        sw_err_prefix(err, "%s", ps->file->name);
        return rc;
    }
    struct history_record rec;
    record_init(&rec, c, ps, HISTORY_RUNNING, started);
    rec.stmt_done = (int)start;
    rec.stmt_total = (int)split.n_stmts;
    sqlsplit_result_cleanup(&split);
    return history_insert_then_run(c->eng, &rec, row_id, ps->file->sql, ps->file->sql_len, start,
                                   sres, err);
}

/* One non-transactional attempt: `running` row first, statements from *start on. */
static int attempt_nontxn(struct run_ctx *c, const struct plan_step *ps, int64_t started,
                          int64_t *row_id, size_t *start, struct engine_script_result *sres,
                          struct sw_err *err)
{
    int rc = 0;
    if (*row_id == 0) {
        rc = run_nontxn_first(c, ps, started, row_id, *start, sres, err);
        if (*row_id == 0) {
            memset(sres, 0, sizeof *sres); /* nothing ran: as before the step */
            return rc;
        }
    } else {
        rc = engine_exec_script(c->eng, ps->file->sql, ps->file->sql_len, *start, sres, err);
    }
    if (rc == 0) {
        return history_finish(c->eng, *row_id, HISTORY_APPLIED, (int)sres->n_total, started,
                              sw_clock_wall_ms(), NULL, err);
    }
    *start = sres->failed_idx; /* statements before it are committed */
    return rc;
}

/* Records a step's final failure; keeps the step's own error in err. */
static void record_failure(struct run_ctx *c, const struct plan_step *ps, bool txn, int64_t row_id,
                           int64_t started, const struct engine_script_result *sres,
                           const struct sw_err *err)
{
    struct sw_err ignored;
    int64_t now = sw_clock_wall_ms();
    if (txn && history_now(c, &ignored) == 0) { /* the rollback may have undone its DDL */
        struct history_record rec;
        record_init(&rec, c, ps, HISTORY_FAILED, started);
        rec.finished_ms = now;
        rec.stmt_total = (int)sres->n_total;
        rec.error = err->msg;
        history_insert(c->eng, &rec, NULL, &ignored);
        return;
    }
    if (row_id == 0) {
        return;
    }
    /* Nothing committed yet means nothing changed: a clean failure, safe to retry. */
    enum history_state state = sres->n_done == 0 ? HISTORY_FAILED : HISTORY_DIRTY;
    history_finish(c->eng, row_id, state, (int)sres->n_done, started, now, err->msg, &ignored);
}

static void pause_before_retry(struct run_ctx *c, const struct plan_step *ps, size_t attempt,
                               const struct sw_err *err)
{
    int pause = c->opts->lock_policy.pause_ms[attempt];
    int jitter = pause > 0 ? (int)(rand_r(&c->seed) % (unsigned)(pause / 5 + 1)) : 0;
    struct runner_event ev = {
        .kind = RUNNER_EV_LOCK_RETRY,
        .version_text = ps->step->version_text,
        .description = ps->step->description,
        .script = ps->file->name,
        .dir = ps->dir,
        .attempt = (int)attempt + 1,
        .next_lock_timeout_ms = step_lock_timeout_ms(c, ps, attempt + 1),
        .pause_ms = pause + jitter,
        .error = err,
    };
    emit(c, &ev);
    sw_clock_sleep_ms(pause + jitter, c->opts->stop);
}

/* "applying V3__x.sql: <error> (statement 2 of 3: INSERT INTO ...)". */
static void describe_failure(const struct plan_step *ps, const struct engine_script_result *sres,
                             struct sw_err *err)
{
    if (sres->n_total > 0 && sres->failed_idx < sres->n_total && sres->failed_excerpt[0] != '\0') {
        char where[SW_ERR_MSG_MAX];
        snprintf(where, sizeof where, " (statement %zu of %zu: %s)", sres->failed_idx + 1,
                 sres->n_total, sres->failed_excerpt);
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, "%s", where);
    }
    sw_err_prefix(err, "%s %s", ps->dir == MIGSET_UP ? "applying" : "undoing", ps->file->name);
}

static void step_event_init(struct runner_event *ev, enum runner_event_kind kind,
                            const struct plan_step *ps, int64_t started_ms)
{
    *ev = (struct runner_event){.kind = kind,
                                .version_text = ps->step->version_text,
                                .description = ps->step->description,
                                .script = ps->file->name,
                                .dir = ps->dir,
                                .started_ms = started_ms};
}

static int run_step(struct run_ctx *c, const struct plan_step *ps, struct sw_err *err)
{
    bool txn = (engine_caps(c->eng) & ENGINE_CAP_TXN_DDL) && !ps->file->directives.no_transaction;
    int64_t started = sw_clock_wall_ms();
    int64_t t0 = sw_clock_mono_ms();
    int64_t row_id = 0;
    size_t start = ps->start_stmt;
    struct engine_script_result sres = {0};
    struct runner_event ev;
    step_event_init(&ev, RUNNER_EV_STEP_START, ps, started);
    emit(c, &ev);
    int rc = 0;
    size_t n_attempts = c->opts->lock_policy.n_attempts ? c->opts->lock_policy.n_attempts : 1;
    for (size_t attempt = 0; attempt < n_attempts; attempt++) {
        memset(&sres, 0, sizeof sres);
        rc = engine_set_timeouts(c->eng, step_lock_timeout_ms(c, ps, attempt),
                                 step_statement_timeout_ms(c, ps), err);
        if (rc == 0) {
            rc = txn ? attempt_txn(c, ps, started, &sres, err)
                     : attempt_nontxn(c, ps, started, &row_id, &start, &sres, err);
        }
        if (rc == 0 || !sres.lock_timeout || attempt + 1 == n_attempts || is_stop_requested(c)) {
            break;
        }
        if (!txn) {
            struct sw_err ignored;
            history_progress(c->eng, row_id, (int)sres.n_done, &ignored);
        }
        pause_before_retry(c, ps, attempt, err);
    }
    ev.duration_ms = sw_clock_mono_ms() - t0;
    ev.stmt_done = sres.n_done;
    ev.stmt_total = sres.n_total;
    if (rc == 0) {
        ev.kind = RUNNER_EV_STEP_DONE;
        emit(c, &ev);
        return 0;
    }
    describe_failure(ps, &sres, err);
    record_failure(c, ps, txn, row_id, started, &sres, err);
    ev.kind = RUNNER_EV_STEP_FAILED;
    ev.error = err;
    emit(c, &ev);
    return rc;
}

static int run_plan(struct run_ctx *c, const struct plan *p, struct sw_err *err)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        if (is_stop_requested(c)) {
            return sw_err_set(err, SW_ECONFLICT, "stopped before version %s: shutdown requested",
                              p->steps[i].step->version_text);
        }
        int rc = run_step(c, &p->steps[i], err);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* ---- one transaction per shard (runner_opts.one_transaction) ------------------------ */

/* When and how long each step of the shard's transaction ran. */
struct shard_step_time {
    int64_t started_ms; /* wall clock */
    int64_t duration_ms;
    size_t n_stmts;
};

/* One shard transaction: per-step times for the events after it ends, and where it
 * failed. */
struct shard_txn {
    const struct plan *p;
    struct shard_step_time *times;    /* p->n_steps */
    size_t failed_idx;                /* the failing step (the last one when COMMIT failed) */
    bool is_stopped;                  /* stop requested: rolled back, no failure to record */
    struct engine_script_result sres; /* of the failing step */
};

/* Every step must be able to run inside one transaction on this engine. */
static int shard_txn_check(const struct run_ctx *c, const struct plan *p, struct sw_err *err)
{
    if ((engine_caps(c->eng) & ENGINE_CAP_TXN_DDL) == 0) {
        int rc = sw_err_set(err, SW_ECONFLICT,
                            "one transaction per shard needs transactional DDL; %s commits each "
                            "DDL statement on its own",
                            engine_name(c->eng));
        sw_err_hint(err, "run this shard with transaction = \"step\"");
        return rc;
    }
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct plan_step *ps = &p->steps[i];
        if (ps->file->directives.no_transaction || ps->start_stmt > 0) {
            int rc = sw_err_set(
                err, SW_ECONFLICT, "%s %s: it cannot run inside the shard's one transaction",
                ps->file->name, ps->start_stmt > 0 ? "resumes part-way" : "is no-transaction");
            sw_err_hint(err, "run this shard with transaction = \"step\"");
            return rc;
        }
    }
    return 0;
}

/* One step and its `applied` row inside the shard's open transaction. */
static int shard_txn_step(struct run_ctx *c, struct shard_txn *tx, size_t i, size_t attempt,
                          struct sw_err *err)
{
    const struct plan_step *ps = &tx->p->steps[i];
    struct shard_step_time *t = &tx->times[i];
    struct runner_event ev;
    int64_t t0 = sw_clock_mono_ms();
    t->started_ms = sw_clock_wall_ms();
    step_event_init(&ev, RUNNER_EV_STEP_START, ps, t->started_ms);
    emit(c, &ev);
    memset(&tx->sres, 0, sizeof tx->sres);
    tx->failed_idx = i;
    int rc = engine_set_timeouts(c->eng, step_lock_timeout_ms(c, ps, attempt),
                                 step_statement_timeout_ms(c, ps), err);
    if (rc == 0) {
        rc = engine_exec_script(c->eng, ps->file->sql, ps->file->sql_len, 0, &tx->sres, err);
    }
    if (rc == 0) {
        struct history_record rec;
        record_init(&rec, c, ps, HISTORY_APPLIED, t->started_ms);
        rec.finished_ms = sw_clock_wall_ms();
        rec.stmt_done = (int)tx->sres.n_total;
        rec.stmt_total = (int)tx->sres.n_total;
        rc = history_insert(c->eng, &rec, NULL, err);
    }
    t->duration_ms = sw_clock_mono_ms() - t0;
    t->n_stmts = tx->sres.n_total;
    return rc;
}

/* BEGIN, every step, COMMIT; rolled back on any failure or a stop request. */
static int shard_txn_attempt(struct run_ctx *c, struct shard_txn *tx, size_t attempt,
                             struct sw_err *err)
{
    tx->failed_idx = 0;
    tx->is_stopped = false;
    memset(&tx->sres, 0, sizeof tx->sres);
    int rc = engine_begin(c->eng, err);
    if (rc != 0) {
        return rc;
    }
    rc = history_in_txn(c, err);
    for (size_t i = 0; rc == 0 && i < tx->p->n_steps; i++) {
        if (is_stop_requested(c)) {
            tx->is_stopped = true;
            rc = sw_err_set(err, SW_ECONFLICT,
                            "stopped before version %s: shutdown requested (the shard's "
                            "transaction was rolled back)",
                            tx->p->steps[i].step->version_text);
            break;
        }
        rc = shard_txn_step(c, tx, i, attempt, err);
    }
    if (rc == 0) {
        tx->failed_idx = tx->p->n_steps - 1;
        rc = engine_commit(c->eng, err);
        if (rc != 0) {
            sw_err_prefix(err, "committing the shard's transaction");
        }
        c->is_history_missing = c->is_history_missing && rc != 0;
    }
    if (rc != 0) {
        struct sw_err ignored;
        engine_rollback(c->eng, &ignored); /* also after a failed COMMIT (SQLite keeps it) */
    }
    return rc;
}

/* The failing step's `failed` row (outside the rolled-back transaction) and event. */
static void shard_txn_failed(struct run_ctx *c, const struct shard_txn *tx, struct sw_err *err)
{
    const struct plan_step *ps = &tx->p->steps[tx->failed_idx];
    const struct shard_step_time *t = &tx->times[tx->failed_idx];
    describe_failure(ps, &tx->sres, err);
    if (tx->failed_idx > 0) {
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len,
                 "; the shard's one transaction was rolled back with the %zu step%s before it",
                 tx->failed_idx, tx->failed_idx == 1 ? "" : "s");
    }
    record_failure(c, ps, true, 0, t->started_ms, &tx->sres, err);
    struct runner_event ev;
    step_event_init(&ev, RUNNER_EV_STEP_FAILED, ps, t->started_ms);
    ev.duration_ms = sw_clock_wall_ms() - t->started_ms;
    ev.stmt_done = tx->sres.n_done;
    ev.stmt_total = tx->sres.n_total;
    ev.error = err;
    emit(c, &ev);
}

/* After the commit: one STEP_DONE per step, in order. */
static void shard_txn_done(struct run_ctx *c, const struct shard_txn *tx)
{
    for (size_t i = 0; i < tx->p->n_steps; i++) {
        struct runner_event ev;
        step_event_init(&ev, RUNNER_EV_STEP_DONE, &tx->p->steps[i], tx->times[i].started_ms);
        ev.duration_ms = tx->times[i].duration_ms;
        ev.stmt_done = tx->times[i].n_stmts;
        ev.stmt_total = tx->times[i].n_stmts;
        emit(c, &ev);
    }
}

/* All steps in one transaction; a lock timeout retries the whole transaction. */
static int run_plan_one_txn(struct run_ctx *c, const struct plan *p, struct sw_err *err)
{
    struct shard_txn tx = {.p = p};
    if (p->n_steps == 0) {
        return 0;
    }
    tx.times = calloc(p->n_steps, sizeof *tx.times);
    if (tx.times == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory");
    }
    int rc = 0;
    size_t n_attempts = c->opts->lock_policy.n_attempts ? c->opts->lock_policy.n_attempts : 1;
    for (size_t attempt = 0; attempt < n_attempts; attempt++) {
        rc = shard_txn_attempt(c, &tx, attempt, err);
        if (rc == 0 || tx.is_stopped || !tx.sres.lock_timeout || attempt + 1 == n_attempts ||
            is_stop_requested(c)) {
            break;
        }
        pause_before_retry(c, &p->steps[tx.failed_idx], attempt, err);
    }
    if (rc == 0) {
        shard_txn_done(c, &tx);
    } else if (!tx.is_stopped) {
        shard_txn_failed(c, &tx, err);
    }
    free(tx.times);
    return rc;
}

static void emit_planned(struct run_ctx *c, const struct plan *p)
{
    for (size_t i = 0; i < p->n_steps; i++) {
        const struct plan_step *ps = &p->steps[i];
        struct runner_event ev = {.kind = RUNNER_EV_STEP_PLANNED,
                                  .version_text = ps->step->version_text,
                                  .description = ps->step->description,
                                  .script = ps->file->name,
                                  .dir = ps->dir};
        emit(c, &ev);
    }
}

typedef int (*plan_fn)(const struct migset *set, enum migset_engine engine,
                       const struct runner_status *st, const struct version *target,
                       struct plan *out, struct sw_err *err);

/* The shared shape of migrate and undo: lock, read, plan, run, re-read, unlock. */
static int run_direction(struct engine *eng, const struct runner_opts *opts, plan_fn planner,
                         const struct version *target, struct runner_result *res,
                         struct sw_err *err)
{
    struct run_ctx c = {.eng = eng, .opts = opts, .seed = (unsigned)sw_clock_wall_ms()};
    struct runner_status st = {0};
    struct plan p = {0};
    int64_t t0 = sw_clock_mono_ms();
    memset(res, 0, sizeof *res);
    bool locked = false;
    int rc = 0;
    if (!opts->dry_run) {
        rc = lock_and_prepare(&c, err);
        locked = rc == 0;
    }
    if (rc == 0) {
        rc = locked ? read_status_locked(&c, &st, err) : read_status(eng, opts->set, &st, err);
    }
    if (rc == 0) {
        snprintf(res->from_text, sizeof res->from_text, "%s", st.current_text);
        rc = planner(opts->set, engine_kind(eng), &st, target, &p, err);
    }
    if (rc != 0) {
        goto out;
    }
    res->n_steps = p.n_steps;
    if (opts->one_transaction && p.n_steps > 0) {
        rc = shard_txn_check(&c, &p, err);
        if (rc != 0) {
            goto out;
        }
    }
    if (opts->dry_run) {
        emit_planned(&c, &p);
        version_format(&p.target, res->to_text, sizeof res->to_text);
        goto out;
    }
    rc = opts->one_transaction ? run_plan_one_txn(&c, &p, err) : run_plan(&c, &p, err);
    if (rc == 0) { /* every step applied: the plan's target, without reading it back */
        version_format(&p.target, res->to_text, sizeof res->to_text);
        if (p.n_steps == 0) {
            snprintf(res->to_text, sizeof res->to_text, "%s", res->from_text);
        }
        goto out;
    }
    runner_status_cleanup(&st);
    struct sw_err reread_err;
    if (read_status(eng, opts->set, &st, &reread_err) == 0) {
        snprintf(res->to_text, sizeof res->to_text, "%s", st.current_text);
    }
out:
    if (locked) {
        unlock_quietly(&c);
    }
    res->duration_ms = sw_clock_mono_ms() - t0;
    plan_cleanup(&p);
    runner_status_cleanup(&st);
    return rc;
}

int runner_migrate(struct engine *eng, const struct runner_opts *opts, const struct version *target,
                   struct runner_result *res, struct sw_err *err)
{
    return run_direction(eng, opts, plan_up, target, res, err);
}

int runner_undo(struct engine *eng, const struct runner_opts *opts, const struct version *to,
                struct runner_result *res, struct sw_err *err)
{
    return run_direction(eng, opts, plan_down, to, res, err);
}
