/*
 * Pure planning: history rows + migration set -> per-version state, current
 * version, and the ordered steps of a migrate or an undo. No I/O.
 */
#include "runner/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const direction_names[HISTORY_DIRECTION_COUNT] = {"up", "down", "baseline"};
static const char *const state_names[HISTORY_STATE_COUNT] = {"running", "applied", "failed",
                                                             "dirty",   "resume",  "reverted"};
static const char *const runner_state_names[RUNNER_STATE_COUNT] = {
    "pending", "applied", "failed", "dirty", "checksum_mismatch", "baseline", "missing"};

const char *history_direction_name(enum history_direction d)
{
    return direction_names[d];
}

const char *history_state_name(enum history_state s)
{
    return state_names[s];
}

const char *runner_state_name(enum runner_state s)
{
    return runner_state_names[s];
}

int history_direction_parse(const char *s, enum history_direction *out)
{
    for (int i = 0; i < HISTORY_DIRECTION_COUNT; i++) {
        if (strcmp(s, direction_names[i]) == 0) {
            *out = (enum history_direction)i;
            return 0;
        }
    }
    return -1;
}

int history_state_parse(const char *s, enum history_state *out)
{
    for (int i = 0; i < HISTORY_STATE_COUNT; i++) {
        if (strcmp(s, state_names[i]) == 0) {
            *out = (enum history_state)i;
            return 0;
        }
    }
    return -1;
}

void runner_status_cleanup(struct runner_status *st)
{
    free(st->items);
    memset(st, 0, sizeof *st);
}

void plan_cleanup(struct plan *p)
{
    free(p->steps);
    memset(p, 0, sizeof *p);
}

/* What the rows of one version say. */
struct version_summary {
    const struct history_row *last;         /* last row of any state */
    const struct history_row *last_applied; /* last row in state applied (up or down) */
};

static void summarise(const struct history_row *rows, size_t n_rows, const struct version *v,
                      struct version_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    for (size_t i = 0; i < n_rows; i++) {
        const struct history_row *r = &rows[i];
        if (r->direction == HISTORY_BASELINE || version_cmp(&r->version, v) != 0) {
            continue;
        }
        sum->last = r;
        if (r->state == HISTORY_APPLIED) {
            sum->last_applied = r;
        }
    }
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

/* Fills the state fields of `it` from the version's rows. */
static void derive_state(struct runner_item *it, const struct version_summary *sum,
                         const struct version *baseline)
{
    bool applied = sum->last_applied != NULL && sum->last_applied->direction == HISTORY_UP;
    if (applied) {
        copy_str(it->applied_checksum, sizeof it->applied_checksum, sum->last_applied->checksum);
        copy_str(it->applied_at, sizeof it->applied_at, sum->last_applied->finished_at);
    }
    const struct history_row *last = sum->last;
    if (last != NULL) {
        it->stmt_done = last->stmt_done;
        it->stmt_total = last->stmt_total;
        copy_str(it->error, sizeof it->error, last->error);
        it->last_dir = last->direction == HISTORY_DOWN ? MIGSET_DOWN : MIGSET_UP;
    }
    if (last != NULL && (last->state == HISTORY_RUNNING || last->state == HISTORY_DIRTY)) {
        it->state = RUNNER_STATE_DIRTY;
        return;
    }
    if (last != NULL && last->state == HISTORY_RESUME) {
        it->resume_from = last->stmt_done + 1;
    }
    if (applied) {
        bool drift = it->has_file && it->applied_checksum[0] != '\0' &&
                     strcmp(it->applied_checksum, it->file_checksum) != 0;
        it->state = !it->has_file ? RUNNER_STATE_MISSING
                    : drift       ? RUNNER_STATE_CHECKSUM_MISMATCH
                                  : RUNNER_STATE_APPLIED;
        return;
    }
    if (sum->last == NULL && !version_is_zero(baseline) &&
        version_cmp(&it->version, baseline) <= 0) {
        it->state = RUNNER_STATE_BASELINE;
        return;
    }
    bool failed = last != NULL && last->state == HISTORY_FAILED && last->direction == HISTORY_UP;
    it->state = failed ? RUNNER_STATE_FAILED : RUNNER_STATE_PENDING;
}

static bool counts_as_applied(enum runner_state s)
{
    switch (s) {
    case RUNNER_STATE_APPLIED:
    case RUNNER_STATE_CHECKSUM_MISMATCH:
    case RUNNER_STATE_BASELINE:
    case RUNNER_STATE_MISSING:
        return true;
    case RUNNER_STATE_PENDING:
    case RUNNER_STATE_FAILED:
    case RUNNER_STATE_DIRTY:
    case RUNNER_STATE_COUNT:
        return false;
    }
    return false;
}

static void fill_from_step(struct runner_item *it, const struct migset_step *step,
                           enum migset_engine engine)
{
    it->version = step->version;
    copy_str(it->version_text, sizeof it->version_text, step->version_text);
    copy_str(it->description, sizeof it->description, step->description);
    const struct migset_file *up = migset_step_file(step, MIGSET_UP, engine);
    it->has_file = up != NULL;
    it->has_down = migset_step_file(step, MIGSET_DOWN, engine) != NULL;
    if (up != NULL) {
        copy_str(it->script, sizeof it->script, up->name);
        copy_str(it->file_checksum, sizeof it->file_checksum, up->checksum);
    }
}

/* Versions that appear in history but not in the set, ascending, deduplicated. */
static int add_history_only(const struct migset *set, const struct history_row *rows, size_t n_rows,
                            struct runner_item *items, size_t *n_items)
{
    for (size_t i = 0; i < n_rows; i++) {
        const struct history_row *r = &rows[i];
        if (r->direction == HISTORY_BASELINE || migset_find(set, &r->version) != NULL) {
            continue;
        }
        bool seen = false;
        for (size_t j = 0; j < *n_items && !seen; j++) {
            seen = version_cmp(&items[j].version, &r->version) == 0;
        }
        if (seen) {
            continue;
        }
        struct runner_item *it = &items[(*n_items)++];
        memset(it, 0, sizeof *it);
        it->version = r->version;
        copy_str(it->version_text, sizeof it->version_text, r->version_text);
        copy_str(it->description, sizeof it->description, r->description);
        copy_str(it->script, sizeof it->script, r->script);
    }
    return 0;
}

static int item_cmp(const void *a, const void *b)
{
    const struct runner_item *x = a;
    const struct runner_item *y = b;
    return version_cmp(&x->version, &y->version);
}

int plan_status(const struct migset *set, enum migset_engine engine, const struct history_row *rows,
                size_t n_rows, struct runner_status *out, struct sw_err *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = migset_count(set) + n_rows;
    out->items = calloc(cap ? cap : 1, sizeof *out->items);
    if (out->items == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory planning %zu versions", cap);
    }
    for (size_t i = 0; i < n_rows; i++) {
        if (rows[i].direction == HISTORY_BASELINE && rows[i].state == HISTORY_APPLIED) {
            out->baseline = rows[i].version;
        }
    }
    for (size_t i = 0; i < migset_count(set); i++) {
        fill_from_step(&out->items[out->n_items++], migset_step_at(set, i), engine);
    }
    add_history_only(set, rows, n_rows, out->items, &out->n_items);
    qsort(out->items, out->n_items, sizeof *out->items, item_cmp);

    out->current = out->baseline;
    for (size_t i = 0; i < out->n_items; i++) {
        struct runner_item *it = &out->items[i];
        struct version_summary sum;
        summarise(rows, n_rows, &it->version, &sum);
        derive_state(it, &sum, &out->baseline);
        if (it->state == RUNNER_STATE_DIRTY) {
            out->is_dirty = true;
        }
        if (counts_as_applied(it->state) && version_cmp(&it->version, &out->current) > 0) {
            out->current = it->version;
        }
    }
    version_format(&out->current, out->current_text, sizeof out->current_text);
    return 0;
}

/* Refuses when any version is dirty (a resumable one is allowed). */
static int check_not_dirty(const struct runner_status *st, struct sw_err *err)
{
    for (size_t i = 0; i < st->n_items; i++) {
        const struct runner_item *it = &st->items[i];
        if (it->state != RUNNER_STATE_DIRTY) {
            continue;
        }
        sw_err_set(err, SW_ECONFLICT,
                   "version %s (%s) is dirty: it stopped part-way (%d of %d statements done): "
                   "%s; nothing runs on this database until an operator repairs it",
                   it->version_text, it->script[0] ? it->script : it->description, it->stmt_done,
                   it->stmt_total, it->error[0] ? it->error : "its migrator was interrupted");
        sw_err_hint(err,
                    "inspect the database, finish or undo the step by hand, then run "
                    "`shardwave repair` with --mark-applied, --retry-from %d or --mark-reverted",
                    it->stmt_done + 1);
        return SW_ECONFLICT;
    }
    return 0;
}

static int check_checksums(const struct runner_status *st, struct sw_err *err)
{
    for (size_t i = 0; i < st->n_items; i++) {
        const struct runner_item *it = &st->items[i];
        if (it->state != RUNNER_STATE_CHECKSUM_MISMATCH) {
            continue;
        }
        sw_err_set(err, SW_ECHECKSUM,
                   "%s was modified after it was applied (applied checksum %.12s, file now "
                   "%.12s): never modify a committed migration",
                   it->script, it->applied_checksum, it->file_checksum);
        sw_err_hint(err, "restore the file from version control and put the change in a new "
                         "migration (`shardwave new`)");
        return SW_ECHECKSUM;
    }
    return 0;
}

static int plan_alloc(struct plan *out, size_t n, struct sw_err *err)
{
    memset(out, 0, sizeof *out);
    out->steps = calloc(n ? n : 1, sizeof *out->steps);
    if (out->steps == NULL) {
        return sw_err_set(err, SW_ENOMEM, "out of memory planning %zu steps", n);
    }
    return 0;
}

static bool is_pending(enum runner_state s)
{
    return s == RUNNER_STATE_PENDING || s == RUNNER_STATE_FAILED;
}

/* Pending steps below the current version would run out of order. */
static int check_order(const struct runner_status *st, struct sw_err *err)
{
    for (size_t i = 0; i < st->n_items; i++) {
        const struct runner_item *it = &st->items[i];
        if (is_pending(it->state) && version_cmp(&it->version, &st->current) < 0) {
            sw_err_set(err, SW_ECONFLICT,
                       "%s (version %s) is pending but the database is already at version %s: "
                       "out-of-order migrations are refused",
                       it->script[0] ? it->script : it->version_text, it->version_text,
                       st->current_text);
            sw_err_hint(err,
                        "give the new migration a version above %s (`shardwave new` "
                        "picks the next one), or baseline past it if it was applied by "
                        "hand",
                        st->current_text);
            return SW_ECONFLICT;
        }
    }
    return 0;
}

static int resolve_up_target(const struct migset *set, const struct runner_status *st,
                             const struct version *target, struct version *out, struct sw_err *err)
{
    char buf[VERSION_TEXT_MAX];
    struct version latest = migset_latest(set);
    if (target == NULL) {
        *out = version_cmp(&latest, &st->current) > 0 ? latest : st->current;
        return 0;
    }
    if (version_cmp(target, &st->current) < 0) {
        sw_err_set(err, SW_ECONFLICT,
                   "target version %s is below the current version %s: migrate only moves up",
                   version_format(target, buf, sizeof buf), st->current_text);
        sw_err_hint(err, "use `shardwave undo --to %s` to go down", buf);
        return SW_ECONFLICT;
    }
    if (version_cmp(target, &st->current) > 0 && migset_find(set, target) == NULL) {
        char lbuf[VERSION_TEXT_MAX];
        return sw_err_set(
            err, SW_ENOTFOUND, "target version %s is not in the migration set (latest is %s)",
            version_format(target, buf, sizeof buf), version_format(&latest, lbuf, sizeof lbuf));
    }
    *out = *target;
    return 0;
}

int plan_up(const struct migset *set, enum migset_engine engine, const struct runner_status *st,
            const struct version *target, struct plan *out, struct sw_err *err)
{
    int rc = check_not_dirty(st, err);
    if (rc == 0) {
        rc = check_checksums(st, err);
    }
    if (rc == 0) {
        rc = check_order(st, err);
    }
    struct version to = {0};
    if (rc == 0) {
        rc = resolve_up_target(set, st, target, &to, err);
    }
    if (rc == 0) {
        rc = plan_alloc(out, st->n_items, err);
    }
    if (rc != 0) {
        return rc;
    }
    out->target = to;
    for (size_t i = 0; i < st->n_items; i++) {
        const struct runner_item *it = &st->items[i];
        if (!is_pending(it->state) || version_cmp(&it->version, &to) > 0) {
            continue;
        }
        const struct migset_step *step = migset_find(set, &it->version);
        const struct migset_file *file = migset_step_file(step, MIGSET_UP, engine);
        if (file == NULL) {
            plan_cleanup(out);
            sw_err_set(err, SW_EINVAL, "version %s (%s) has no file for engine %s",
                       it->version_text, step->description, migset_engine_name(engine));
            sw_err_hint(err, "add V%s__<description>.sql or V%s__<description>.%s.sql",
                        it->version_text, it->version_text, migset_engine_name(engine));
            return SW_EINVAL;
        }
        struct plan_step *ps = &out->steps[out->n_steps++];
        ps->item_idx = i;
        ps->step = step;
        ps->file = file;
        ps->dir = MIGSET_UP;
        ps->start_stmt = it->resume_from > 0 ? (size_t)(it->resume_from - 1) : 0;
    }
    return 0;
}

/* Whether `v` is applied on the database (with or without a file in the set): a set
 * holding only the steps to undo (an agent's rollback lease) may still name it. */
static bool is_applied_version(const struct runner_status *st, const struct version *v)
{
    for (size_t i = 0; i < st->n_items; i++) {
        if (counts_as_applied(st->items[i].state) && version_cmp(&st->items[i].version, v) == 0) {
            return true;
        }
    }
    return false;
}

static int resolve_down_target(const struct migset *set, const struct runner_status *st,
                               const struct version *to, struct sw_err *err)
{
    char buf[VERSION_TEXT_MAX];
    if (version_cmp(to, &st->current) > 0) {
        sw_err_set(err, SW_ECONFLICT,
                   "undo target %s is above the current version %s: undo only moves down",
                   version_format(to, buf, sizeof buf), st->current_text);
        sw_err_hint(err, "use `shardwave migrate --target %s` to go up", buf);
        return SW_ECONFLICT;
    }
    if (!version_is_zero(to) && migset_find(set, to) == NULL &&
        version_cmp(to, &st->baseline) != 0 && !is_applied_version(st, to)) {
        return sw_err_set(err, SW_ENOTFOUND,
                          "undo target %s is not a version of the migration set (use 0 to "
                          "undo everything)",
                          version_format(to, buf, sizeof buf));
    }
    return 0;
}

/* Checks that `it` can be undone and returns its down file via *file. */
static int down_file_for(const struct migset *set, enum migset_engine engine,
                         const struct runner_item *it, const struct migset_file **file,
                         struct sw_err *err)
{
    if (it->state == RUNNER_STATE_BASELINE) {
        return sw_err_set(err, SW_ECONFLICT,
                          "version %s is covered by the baseline: it cannot be undone",
                          it->version_text);
    }
    const struct migset_step *step = migset_find(set, &it->version);
    *file = step != NULL ? migset_step_file(step, MIGSET_DOWN, engine) : NULL;
    if (*file == NULL) {
        sw_err_set(err, SW_ECONFLICT,
                   "version %s (%s) has no down migration for %s: cannot undo past it",
                   it->version_text, it->description, migset_engine_name(engine));
        sw_err_hint(err, "write U%s__<description>.sql, or undo only to %s", it->version_text,
                    it->version_text);
        return SW_ECONFLICT;
    }
    return 0;
}

int plan_down(const struct migset *set, enum migset_engine engine, const struct runner_status *st,
              const struct version *to, struct plan *out, struct sw_err *err)
{
    int rc = check_not_dirty(st, err);
    if (rc == 0) {
        rc = check_checksums(st, err);
    }
    if (rc == 0) {
        rc = resolve_down_target(set, st, to, err);
    }
    if (rc == 0) {
        rc = plan_alloc(out, st->n_items, err);
    }
    if (rc != 0) {
        return rc;
    }
    out->target = *to;
    for (size_t k = st->n_items; k > 0; k--) {
        const struct runner_item *it = &st->items[k - 1];
        if (!counts_as_applied(it->state) || version_cmp(&it->version, to) <= 0) {
            continue;
        }
        const struct migset_file *file = NULL;
        rc = down_file_for(set, engine, it, &file, err);
        if (rc != 0) {
            plan_cleanup(out);
            return rc;
        }
        struct plan_step *ps = &out->steps[out->n_steps++];
        ps->item_idx = k - 1;
        ps->step = migset_find(set, &it->version);
        ps->file = file;
        ps->dir = MIGSET_DOWN;
        /* An applied version with a resume marker was repaired part-way through its down. */
        ps->start_stmt = it->resume_from > 0 ? (size_t)(it->resume_from - 1) : 0;
    }
    return 0;
}
