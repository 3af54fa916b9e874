/*
 * Private to coordinator/store/: the handle and the small backend-neutral helpers
 * every store module uses (prepare, bind by a type string, step, column reads,
 * transactions). Each helper dispatches to the backend's vtable (store_db_sqlite.c,
 * store_db_pg.c), so every module keeps one copy of its SQL, written in the dialect
 * both backends accept: `?` / `?N` placeholders (rewritten to `$N` for PostgreSQL),
 * INSERT ... ON CONFLICT, explicit column types.
 */
#ifndef SW_COORDINATOR_STORE_IMPL_H
#define SW_COORDINATOR_STORE_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "sw/err.h"

/* A statement being read: opaque, owned by the backend, released by store_stmt_done. */
struct store_q;
/* What a transaction is for. */
enum store_txn_mode {
    STORE_TXN_READ,  /* one read-only snapshot */
    STORE_TXN_WRITE, /* a write, serialised with every other writer of the store */
    STORE_TXN_LEASE, /* the leader lease claim: not behind the writer lock */
};

/* Backend connection state: defined by store_db_sqlite.c / store_db_pg.c. */
struct store_lite;
struct store_pg;

/* What a backend implements. Every slot is required. */
struct store_db_ops {
    const char *name; /* "SQLite", "PostgreSQL": for messages only */
    /* Prepares (cached by the address of `sql`, always a literal) and binds the
     * parameters described by `types` (see store_stmt). PostgreSQL also executes. */
    int (*stmt)(struct store *st, struct store_q **out, const char *sql, const char *types,
                va_list ap, struct sw_err *err);
    void (*done)(struct store *st, struct store_q *q);
    int (*step)(struct store *st, struct store_q *q, const char *what, struct sw_err *err);
    int64_t (*changes)(struct store *st);
    /* BEGIN (rolled back again on failure); COMMIT; ROLLBACK (best effort, no-op
     * outside a transaction). */
    int (*begin)(struct store *st, enum store_txn_mode mode, struct sw_err *err);
    /* A write transaction (as STORE_TXN_WRITE) that first reads the lease row (epoch,
     * holder, url), locked against a concurrent claim until COMMIT: *lease_row is
     * positioned before that row (store_step), released with store_stmt_done. */
    int (*begin_fenced)(struct store *st, struct store_q **lease_row, struct sw_err *err);
    int (*commit)(struct store *st, struct sw_err *err);
    void (*rollback)(struct store *st);
    /* Column reads of the current row: text (NULL for SQL NULL), its length in
     * bytes, an integer, a blob (length in *len; NULL for an empty one). */
    const char *(*col_text)(struct store_q *q, int col);
    size_t (*col_bytes)(struct store_q *q, int col);
    int64_t (*col_int)(struct store_q *q, int col);
    const void *(*col_blob)(struct store_q *q, int col, size_t *len);
    const char *(*col_name)(struct store_q *q, int col);
    void (*close)(struct store *st);
    /* The store's own clock (ms since the epoch): lease expiry never uses ours. */
    const char *sql_now_ms;
    /* One row, one column: 1 when the store schema exists. */
    const char *sql_has_schema;
};

#define STORE_STMT_CACHE 128

struct store {
    const struct store_db_ops *ops;
    struct store_lite *lite;      /* SQLite backend; NULL otherwise */
    struct store_pg *pg;          /* PostgreSQL backend; NULL otherwise */
    char *path;                   /* the file path, or the redacted URL */
    int lock_fd;                  /* the SQLite primary's flock on "<path>.lock"; -1 otherwise */
    bool in_txn;                  /* inside store_begin .. store_commit/store_rollback */
    bool in_batch;                /* inside store_batch_begin .. store_batch_end */
    bool is_batch_read;           /* a read transaction joined the batch */
    bool is_batch_failed;         /* a call inside the batch rolled back: it cannot commit */
    const _Atomic int64_t *fence; /* store_set_fence; NULL = no fencing */
};

/* Backend constructors (store_db_sqlite.c, store_db_pg.c): connect st (st->path set,
 * st->ops set by the callee) with the options. `conninfo` (PostgreSQL) holds the
 * password and never reaches a message. */
int store_lite_connect(struct store *st, const struct store_open_opts *opts, struct sw_err *err);
int store_pg_connect(struct store *st, const char *conninfo, int lock_timeout_ms, int idle_txn_ms,
                     struct sw_err *err);
/* The libpq conninfo for a postgres:// URL plus a password (NULL = the URL's own, or
 * libpq's PGPASSWORD / .pgpass): *out is a heap string holding the secret; release it
 * with store_pg_conninfo_free (which clears it). */
int store_pg_conninfo(const char *url, const char *password, char **out, struct sw_err *err);
void store_pg_conninfo_free(char *conninfo);

/* Prepares `sql` (a string literal: statements are cached per handle by its
 * address) and binds the variadic arguments described by `types`, one char per
 * parameter: 's' const char * (NULL binds NULL), 'i' int64_t, 'b' int (0/1), 'z' a
 * blob as const void * followed by size_t. Release with store_stmt_done. */
int store_stmt(struct store *st, struct store_q **out, struct sw_err *err, const char *sql,
               const char *types, ...);
/* Releases a statement (the cached one is reset for reuse). NULL: no-op. */
void store_stmt_done(struct store *st, struct store_q *q);
/* Steps once: 1 for a row, 0 when done, a negative code on failure. */
int store_step(struct store *st, struct store_q *q, const char *what, struct sw_err *err);
/* Runs a statement that returns no rows (prepare, bind, step, release). Outside a
 * transaction on a fenced handle it runs inside one, so the fence check applies. */
int store_run(struct store *st, struct sw_err *err, const char *sql, const char *types, ...);
/* Rows changed by the last statement on this handle. */
int64_t store_changes(struct store *st);

/* A write transaction: SQLite BEGIN IMMEDIATE, PostgreSQL BEGIN plus the store's
 * writer lock (store_db_pg.c explains), so read-then-write transactions never race;
 * on a fenced handle, then checks the lease epoch (SW_EFENCED, transaction rolled
 * back). store_begin_lease: the lease claim's transaction (no fence, no writer lock). */
int store_begin(struct store *st, struct sw_err *err);
int store_begin_lease(struct store *st, struct sw_err *err);
/* One consistent read-only snapshot for several reads; end it with store_rollback. */
int store_begin_read(struct store *st, struct sw_err *err);
int store_commit(struct store *st, struct sw_err *err);
void store_rollback(struct store *st);

/* Column helpers. store_col_copy fails (SW_EINTERNAL) when the value does not fit
 * cap, which a store written by this code never does. */
int store_col_copy(struct store *st, struct store_q *q, int col, char *buf, size_t cap,
                   struct sw_err *err);
/* A heap copy of a text column, NULL for SQL NULL; *out NULL with SW_ENOMEM on failure. */
int store_col_dup(struct store *st, struct store_q *q, int col, char **out, struct sw_err *err);
int64_t store_col_int(struct store *st, struct store_q *q, int col);
/* Text of a column, NULL for SQL NULL; borrowed until the next step or done. */
const char *store_col_text(struct store *st, struct store_q *q, int col);
/* A blob column; borrowed until the next step or done; NULL with *len 0 when empty. */
const void *store_col_blob(struct store *st, struct store_q *q, int col, size_t *len);

/* The store's clock in ms since the epoch. */
int store_now_ms(struct store *st, int64_t *now_ms, struct sw_err *err);

/* Shared row readers and the active-wave lookup (store_wave.c). */
int store_shard_active_wave(struct store *st, const char *shard_id, char wave_id[WAVE_ID_MAX + 1],
                            struct sw_err *err);

#endif
