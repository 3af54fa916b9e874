/*
 * Private to coordinator/store/: the handle and the small SQLite helpers every
 * store module uses (prepare, bind by a type string, step, column copies,
 * transactions), so SQL errors are reported one way everywhere.
 */
#ifndef SW_COORDINATOR_STORE_IMPL_H
#define SW_COORDINATOR_STORE_IMPL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "sw/err.h"

#define STORE_STMT_CACHE 64

struct store_cached_stmt {
    const char *sql; /* the literal it was prepared from (compared by address) */
    sqlite3_stmt *stmt;
    bool in_use;
};

struct store {
    sqlite3 *db;
    char *path;
    int lock_fd; /* the primary's flock on "<path>.lock"; -1 for secondaries */
    size_t n_cached;
    struct store_cached_stmt cache[STORE_STMT_CACHE];
};

/* Maps a SQLite failure on `st` to an sw_err: SW_ELOCKED for busy/locked (the busy
 * timeout ran out), SW_ECONFLICT for constraint violations, SW_EDB otherwise; the
 * message is "store <path>: <what>: <sqlite message>". Returns the code. */
int store_db_error(struct store *st, const char *what, struct sw_err *err);

/* Prepares `sql` (a string literal: statements are cached per handle by its
 * address) and binds the variadic arguments described by `types`, one char per
 * parameter: 's' const char * (NULL binds NULL), 'i' int64_t, 'b' int (0/1), 'z' a
 * blob as const void * followed by size_t. Release with store_stmt_done. */
int store_stmt(struct store *st, sqlite3_stmt **out, struct sw_err *err, const char *sql,
               const char *types, ...);
/* Resets a cached statement for reuse, or finalizes an uncached one. NULL: no-op. */
void store_stmt_done(struct store *st, sqlite3_stmt *stmt);
/* Finalizes every cached statement (before closing the handle). */
void store_stmt_cache_clear(struct store *st);
/* Steps once: 1 for a row, 0 when done, a negative code on failure. */
int store_step(struct store *st, sqlite3_stmt *stmt, const char *what, struct sw_err *err);
/* Runs a statement that returns no rows (prepare, bind, step, finalize). */
int store_run(struct store *st, struct sw_err *err, const char *sql, const char *types, ...);
/* Rows changed by the last statement on this handle. */
int64_t store_changes(struct store *st);

/* BEGIN IMMEDIATE (takes the write lock up front, so read-then-write transactions
 * never deadlock), COMMIT, ROLLBACK (best effort, for error paths). */
int store_begin(struct store *st, struct sw_err *err);
/* BEGIN (deferred): one consistent snapshot for several reads; end it with
 * store_rollback. */
int store_begin_read(struct store *st, struct sw_err *err);
int store_commit(struct store *st, struct sw_err *err);
void store_rollback(struct store *st);

/* Column helpers. store_col_copy fails (SW_EINTERNAL) when the value does not fit
 * cap, which a store written by this code never does. */
int store_col_copy(struct store *st, sqlite3_stmt *stmt, int col, char *buf, size_t cap,
                   struct sw_err *err);
/* A heap copy of a text column, NULL for SQL NULL; *out NULL with SW_ENOMEM on failure. */
int store_col_dup(struct store *st, sqlite3_stmt *stmt, int col, char **out, struct sw_err *err);
int64_t store_col_int(sqlite3_stmt *stmt, int col);

/* Shared row readers and the active-wave lookup (store_wave.c). */
int store_shard_active_wave(struct store *st, const char *shard_id, char wave_id[WAVE_ID_MAX + 1],
                            struct sw_err *err);

#endif
