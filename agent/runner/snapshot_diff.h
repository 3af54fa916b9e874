/*
 * The difference between two schema snapshots (engine_schema_snapshot): which catalog
 * lines the second has that the first lacks, and which it lost. Pure: no I/O, no engine;
 * `shardwave test` uses it to say what a down migration failed to restore.
 */
#ifndef SW_RUNNER_SNAPSHOT_DIFF_H
#define SW_RUNNER_SNAPSHOT_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "sw/err.h"

/* Lines, each a heap string without its '\n', in strcmp order. */
struct snapshot_diff {
    char **added; /* in `after` but not in `before` (e.g. an index the down forgot) */
    size_t n_added;
    char **removed; /* in `before` but not in `after` (e.g. a column the down dropped) */
    size_t n_removed;
};

/* Compares two snapshots line by line as multisets (a line twice in `after` and once
 * in `before` is one added line). Either text may be "" and need not be sorted; a final
 * line without '\n' counts, empty lines do not. out is filled (zeroed first); free it
 * with snapshot_diff_cleanup, also on failure. Errors: SW_ENOMEM. */
int snapshot_diff_compute(const char *before, const char *after, struct snapshot_diff *out,
                          struct sw_err *err);

/* True when both snapshots held the same lines. */
bool snapshot_diff_is_empty(const struct snapshot_diff *d);

/* Frees the lines; no-op on a zeroed struct. */
void snapshot_diff_cleanup(struct snapshot_diff *d);

#endif
