/*
 * Operator actions on a shard's history: repair a dirty step and baseline an
 * existing database. Both append rows (the history is never rewritten) under
 * the migrator lock.
 */
#include "runner/runner.h"

#include <stdio.h>
#include <string.h>

#include "runner/history.h"
#include "runner/plan.h"
#include "sw/clock.h"

struct op_ctx {
    struct engine *eng;
    const struct runner_opts *opts;
    struct runner_status st;
    bool locked;
};

static int op_begin(struct op_ctx *c, struct sw_err *err)
{
    int rc = engine_lock(c->eng, c->opts->lock_wait_ms, err);
    if (rc != 0) {
        return rc;
    }
    c->locked = true;
    rc = history_ensure(c->eng, err);
    if (rc == 0) {
        rc = runner_status(c->eng, c->opts->set, &c->st, err);
    }
    return rc;
}

static void op_end(struct op_ctx *c)
{
    if (c->locked) {
        struct sw_err ignored;
        engine_unlock(c->eng, &ignored);
    }
    runner_status_cleanup(&c->st);
}

static const struct runner_item *find_dirty(const struct runner_status *st)
{
    for (size_t i = 0; i < st->n_items; i++) {
        if (st->items[i].state == RUNNER_STATE_DIRTY) {
            return &st->items[i];
        }
    }
    return NULL;
}

static enum history_direction dirty_direction(const struct runner_item *it)
{
    return it->last_dir == MIGSET_DOWN ? HISTORY_DOWN : HISTORY_UP;
}

static int describe_choices(const struct runner_item *it, struct sw_err *err)
{
    sw_err_set(err, SW_ECONFLICT,
               "version %s (%s) is dirty: %d of %d statements completed before it stopped: %s",
               it->version_text, it->script, it->stmt_done, it->stmt_total,
               it->error[0] ? it->error : "its migrator was interrupted");
    sw_err_hint(err,
                "choose one: --mark-applied (you completed the remaining statements by hand), "
                "--retry-from %d (the next migrate runs statements %d..%d), or --mark-reverted "
                "(you undid the completed statements; the step runs again in full)",
                it->stmt_done + 1, it->stmt_done + 1, it->stmt_total);
    return SW_ECONFLICT;
}

static int repair_dirty(struct op_ctx *c, const struct runner_item *it,
                        enum runner_repair_action action, int retry_from,
                        struct runner_repair_result *res, struct sw_err *err)
{
    struct history_record rec = {
        .version_text = it->version_text,
        .description = it->description,
        .direction = dirty_direction(it),
        .script = it->script,
        .checksum = it->file_checksum[0] ? it->file_checksum : NULL,
        .wave = c->opts->wave,
        .agent = c->opts->agent,
        .started_ms = sw_clock_wall_ms(),
        .stmt_total = it->stmt_total,
    };
    rec.finished_ms = rec.started_ms;
    const char *dir = rec.direction == HISTORY_UP ? "up" : "down";
    switch (action) {
    case RUNNER_REPAIR_AUTO:
        return describe_choices(it, err);
    case RUNNER_REPAIR_MARK_APPLIED:
        rec.state = HISTORY_APPLIED;
        rec.stmt_done = it->stmt_total;
        rec.error = "repair: marked applied by the operator";
        snprintf(res->message, sizeof res->message,
                 "marked version %s (%s, %s) as applied; the next migrate continues after it",
                 it->version_text, it->script, dir);
        break;
    case RUNNER_REPAIR_RETRY_FROM:
        if (retry_from < 1 || retry_from > it->stmt_total) {
            return sw_err_set(err, SW_EINVAL,
                              "--retry-from %d is out of range: version %s has statements 1..%d",
                              retry_from, it->version_text, it->stmt_total);
        }
        rec.state = HISTORY_RESUME;
        rec.stmt_done = retry_from - 1;
        rec.error = "repair: resume requested by the operator";
        snprintf(res->message, sizeof res->message,
                 "version %s (%s, %s) will resume at statement %d of %d on the next run",
                 it->version_text, it->script, dir, retry_from, it->stmt_total);
        break;
    case RUNNER_REPAIR_MARK_REVERTED:
        rec.state = HISTORY_REVERTED;
        rec.error = "repair: partial changes reverted by the operator";
        snprintf(res->message, sizeof res->message,
                 "marked version %s (%s, %s) as reverted; the next run executes it in full",
                 it->version_text, it->script, dir);
        break;
    }
    int rc = history_insert(c->eng, &rec, NULL, err);
    if (rc == 0) {
        res->n_changed = 1;
    }
    return rc;
}

int runner_repair(struct engine *eng, const struct runner_opts *opts,
                  enum runner_repair_action action, int retry_from,
                  struct runner_repair_result *res, struct sw_err *err)
{
    struct op_ctx c = {.eng = eng, .opts = opts};
    memset(res, 0, sizeof *res);
    int rc = op_begin(&c, err);
    if (rc != 0) {
        goto out;
    }
    const struct runner_item *dirty = find_dirty(&c.st);
    if (dirty != NULL) {
        rc = repair_dirty(&c, dirty, action, retry_from, res, err);
        goto out;
    }
    if (action != RUNNER_REPAIR_AUTO) {
        rc = sw_err_set(err, SW_ECONFLICT, "no dirty step to repair on this database");
        goto out;
    }
    size_t n_failed = 0;
    for (size_t i = 0; i < c.st.n_items; i++) {
        n_failed += c.st.items[i].state == RUNNER_STATE_FAILED;
    }
    if (n_failed > 0) {
        snprintf(res->message, sizeof res->message,
                 "nothing to repair: %zu step(s) failed cleanly (nothing changed); the next "
                 "migrate retries them",
                 n_failed);
    } else {
        snprintf(res->message, sizeof res->message,
                 "nothing to repair: no dirty or failed step (current version %s)",
                 c.st.current_text);
    }
out:
    op_end(&c);
    return rc;
}

int runner_baseline(struct engine *eng, const struct runner_opts *opts, const struct version *v,
                    struct sw_err *err)
{
    struct op_ctx c = {.eng = eng, .opts = opts};
    char text[VERSION_TEXT_MAX];
    version_format(v, text, sizeof text);
    int rc = op_begin(&c, err);
    if (rc != 0) {
        goto out;
    }
    if (version_is_zero(v)) {
        rc = sw_err_set(err, SW_EINVAL, "baseline version must be above 0");
        goto out;
    }
    if (!version_is_zero(&c.st.current) || c.st.is_dirty) {
        rc = sw_err_set(err, SW_ECONFLICT,
                        "this database already has migration history (current version %s): "
                        "baseline only adopts a database that shardwave never migrated",
                        c.st.current_text);
        goto out;
    }
    struct history_record rec = {
        .version_text = text,
        .description = "baseline",
        .direction = HISTORY_BASELINE,
        .state = HISTORY_APPLIED,
        .wave = opts->wave,
        .agent = opts->agent,
        .started_ms = sw_clock_wall_ms(),
    };
    rec.finished_ms = rec.started_ms;
    rc = history_insert(eng, &rec, NULL, err);
out:
    op_end(&c);
    return rc;
}
