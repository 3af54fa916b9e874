/*
 * The pure half of the runner: from the history table's rows and the migration
 * set, derive every version's state and the current version, and plan the steps
 * of a migrate or an undo. No I/O, no clock: unit-tested with rows built in memory.
 *
 * Derivation, per version, over its rows in id order:
 *  - applied-ness comes from its last row in state `applied`: direction up → applied,
 *    down → not applied; none → not applied (unless covered by a baseline);
 *  - the last row of any state says what happened last: running/dirty → DIRTY (a
 *    non-transactional step stopped part-way or its migrator died), resume → the next
 *    run resumes at statement stmt_done+1, failed → FAILED (clean: nothing changed),
 *    reverted → clean.
 */
#ifndef SW_AGENT_RUNNER_PLAN_H
#define SW_AGENT_RUNNER_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "runner/runner.h"

enum history_direction { HISTORY_UP, HISTORY_DOWN, HISTORY_BASELINE, HISTORY_DIRECTION_COUNT };
enum history_state {
    HISTORY_RUNNING,
    HISTORY_APPLIED,
    HISTORY_FAILED,
    HISTORY_DIRTY,
    HISTORY_RESUME,
    HISTORY_REVERTED,
    HISTORY_STATE_COUNT
};

const char *history_direction_name(enum history_direction d);
const char *history_state_name(enum history_state s);
int history_direction_parse(const char *s, enum history_direction *out);
int history_state_parse(const char *s, enum history_state *out);

struct history_row {
    int64_t id;
    struct version version;
    char version_text[VERSION_TEXT_MAX];
    char description[256];
    enum history_direction direction;
    char script[256];
    char checksum[CHECKSUM_HEX_LEN + 1];
    enum history_state state;
    char finished_at[32];
    int stmt_done, stmt_total;
    char error[1024];
};

/* Derives the status of every version (set steps plus versions only in history) for
 * `engine`. rows must be in id order. *out is caller-embedded (runner_status_cleanup). */
int plan_status(const struct migset *set, enum migset_engine engine, const struct history_row *rows,
                size_t n_rows, struct runner_status *out, struct sw_err *err);

struct plan_step {
    size_t item_idx; /* into status->items */
    const struct migset_step *step;
    const struct migset_file *file; /* the file to run (up or down) for the engine */
    enum migset_dir dir;
    size_t start_stmt; /* 0-based statement to start at (resume after repair) */
};

struct plan {
    size_t n_steps;
    struct plan_step *steps; /* heap; in execution order */
    struct version target;
};
void plan_cleanup(struct plan *p);

/* Plans migrate to target (NULL = latest in set). Refusals in runner.h (runner_migrate). */
int plan_up(const struct migset *set, enum migset_engine engine, const struct runner_status *st,
            const struct version *target, struct plan *out, struct sw_err *err);
/* Plans undo to `to`. Refusals in runner.h (runner_undo). */
int plan_down(const struct migset *set, enum migset_engine engine, const struct runner_status *st,
              const struct version *to, struct plan *out, struct sw_err *err);

#endif
