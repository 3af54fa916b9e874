/*
 * shardwave_schema_history I/O through the engine interface: create on first use,
 * read all rows, append a row, finish a row. All SQL here uses placeholders for its values
 * (bound parameters; a `running` row that travels with its step's statements on
 * MySQL/MariaDB goes as hex literals: engine_exec_script_after).
 */
#ifndef SW_AGENT_RUNNER_HISTORY_H
#define SW_AGENT_RUNNER_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "runner/plan.h"

/* Creates the table (and index) if missing: a read when it exists, the DDL only when it
 * does not. Call while holding the migrator lock and outside a transaction (MySQL DDL
 * commits implicitly). */
int history_ensure(struct engine *eng, struct sw_err *err);
/* Whether the table exists (a read). */
int history_exists(struct engine *eng, bool *exists, struct sw_err *err);
/* The table's DDL (CREATE ... IF NOT EXISTS), in the caller's transaction if one is open
 * (engines with transactional DDL), else committed on its own. */
int history_create(struct engine *eng, struct sw_err *err);

/* Reads every row in id order into a heap array (caller frees *rows). A missing table
 * reads as zero rows and *exists = false. */
int history_read(struct engine *eng, struct history_row **rows, size_t *n_rows, bool *exists,
                 struct sw_err *err);
/* The same when the table is known to exist (no existence check). */
int history_read_rows(struct engine *eng, struct history_row **rows, size_t *n_rows,
                      struct sw_err *err);

/* What a new row says; times are "YYYY-MM-DD HH:MM:SS.mmm" UTC. */
struct history_record {
    const char *version_text;
    const char *description;
    enum history_direction direction;
    const char *script;   /* may be NULL */
    const char *checksum; /* may be NULL */
    enum history_state state;
    const char *wave;    /* may be NULL */
    const char *agent;   /* may be NULL */
    int64_t started_ms;  /* wall clock */
    int64_t finished_ms; /* 0 = not finished (NULL) */
    int stmt_done, stmt_total;
    const char *error; /* may be NULL */
};

/* Appends a row; *id receives its id (may be NULL). Runs in the caller's transaction,
 * if any. */
int history_insert(struct engine *eng, const struct history_record *rec, int64_t *id,
                   struct sw_err *err);
/* history_insert (a row outside a transaction), then statements start_idx..n-1 of script
 * as engine_exec_script, only if the row was written: where the engine can, in one round
 * trip (engine_exec_script_after); the row commits before the script's first statement
 * starts. *id is the row's id, or 0 when it was not written: then the error is the
 * insert's ("recording version ...") and nothing of the script ran; else rc and res are
 * the script's. */
int history_insert_then_run(struct engine *eng, const struct history_record *rec, int64_t *id,
                            const char *script, size_t len, size_t start_idx,
                            struct engine_script_result *res, struct sw_err *err);
/* Finishes row `id`: state, progress, finished time, duration, error. */
int history_finish(struct engine *eng, int64_t id, enum history_state state, int stmt_done,
                   int64_t started_ms, int64_t finished_ms, const char *error, struct sw_err *err);

/* Records progress of a running row (non-transactional steps, between retries). */
int history_progress(struct engine *eng, int64_t id, int stmt_done, struct sw_err *err);

#endif
