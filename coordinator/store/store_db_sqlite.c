/*
 * The SQLite backend of the store (the embedded default): one file in WAL mode,
 * statements cached by the address of their SQL literal, BEGIN IMMEDIATE for
 * writes so read-then-write transactions never deadlock.
 */
#include "store_impl.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

struct store_q {
    sqlite3_stmt *stmt;
    bool is_cached;
};

struct store_lite_stmt {
    const char *sql; /* the literal it was prepared from (compared by address) */
    struct store_q q;
    bool in_use;
};

struct store_lite {
    sqlite3 *db;
    size_t n_cached;
    struct store_lite_stmt cache[STORE_STMT_CACHE];
};

/* Maps a SQLite failure to an sw_err: SW_ELOCKED for busy/locked (the busy timeout
 * ran out), SW_ECONFLICT for constraint violations, SW_EDB otherwise; the message
 * is "store <path>: <what>: <sqlite message>". Returns the code. */
static int store_lite_error(struct store *st, const char *what, struct sw_err *err)
{
    int rc = sqlite3_errcode(st->lite->db);
    int code = SW_EDB;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = SW_ELOCKED;
        break;
    case SQLITE_CONSTRAINT:
        code = SW_ECONFLICT;
        break;
    case SQLITE_NOMEM:
        code = SW_ENOMEM;
        break;
    default:
        break;
    }
    return sw_err_set(err, code, "store %s: %s: %s", st->path, what, sqlite3_errmsg(st->lite->db));
}

static int store_lite_bind(struct store *st, sqlite3_stmt *stmt, const char *types, va_list ap,
                           struct sw_err *err)
{
    for (int i = 0; types[i] != '\0'; i++) {
        int rc = SQLITE_MISUSE;
        const char *s = NULL;
        const void *blob = NULL;
        size_t len = 0;
        switch (types[i]) {
        case 's':
            s = va_arg(ap, const char *);
            rc = s ? sqlite3_bind_text(stmt, i + 1, s, -1, SQLITE_TRANSIENT)
                   : sqlite3_bind_null(stmt, i + 1);
            break;
        case 'i':
            rc = sqlite3_bind_int64(stmt, i + 1, (sqlite3_int64)va_arg(ap, int64_t));
            break;
        case 'b':
            rc = sqlite3_bind_int(stmt, i + 1, va_arg(ap, int) ? 1 : 0);
            break;
        case 'z':
            blob = va_arg(ap, const void *);
            len = va_arg(ap, size_t);
            rc = sqlite3_bind_blob64(stmt, i + 1, len ? blob : "", (sqlite3_uint64)len,
                                     SQLITE_TRANSIENT);
            break;
        default:
            return sw_err_set(err, SW_EINTERNAL, "store: bad bind type '%c'", types[i]);
        }
        if (rc != SQLITE_OK) {
            return store_lite_error(st, "binding a parameter", err);
        }
    }
    return 0;
}

/* A prepared statement for sql: a free cached one, else a new one that is cached
 * when there is room (else heap-allocated and finalized by done). */
static int store_lite_prepare(struct store *st, const char *sql, struct store_q **out,
                              struct sw_err *err)
{
    struct store_lite *l = st->lite;
    struct store_lite_stmt *slot = NULL;
    sqlite3_stmt *stmt = NULL;
    for (size_t i = 0; i < l->n_cached; i++) {
        if (l->cache[i].sql == sql && !l->cache[i].in_use) {
            l->cache[i].in_use = true;
            *out = &l->cache[i].q;
            return 0;
        }
    }
    if (l->n_cached < STORE_STMT_CACHE) {
        slot = &l->cache[l->n_cached];
    }
    *out = NULL;
    if (sqlite3_prepare_v3(l->db, sql, -1, slot ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, NULL) !=
        SQLITE_OK) {
        int rc = store_lite_error(st, "preparing a statement", err);
        sqlite3_finalize(stmt);
        return rc;
    }
    if (slot != NULL) {
        *slot = (struct store_lite_stmt){.sql = sql, .q = {stmt, true}, .in_use = true};
        l->n_cached++;
        *out = &slot->q;
        return 0;
    }
    *out = malloc(sizeof **out);
    if (*out == NULL) {
        sqlite3_finalize(stmt);
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    **out = (struct store_q){stmt, false};
    return 0;
}

static void store_lite_done(struct store *st, struct store_q *q)
{
    if (!q->is_cached) {
        sqlite3_finalize(q->stmt);
        free(q);
        return;
    }
    sqlite3_reset(q->stmt);
    sqlite3_clear_bindings(q->stmt);
    for (size_t i = 0; i < st->lite->n_cached; i++) {
        if (&st->lite->cache[i].q == q) {
            st->lite->cache[i].in_use = false;
        }
    }
}

static int store_lite_stmt(struct store *st, struct store_q **out, const char *sql,
                           const char *types, va_list ap, struct sw_err *err)
{
    int rc = store_lite_prepare(st, sql, out, err);
    if (rc == 0) {
        rc = store_lite_bind(st, (*out)->stmt, types, ap, err);
    }
    if (rc != 0 && *out != NULL) {
        store_lite_done(st, *out);
        *out = NULL;
    }
    return rc;
}

static int store_lite_step(struct store *st, struct store_q *q, const char *what,
                           struct sw_err *err)
{
    int rc = sqlite3_step(q->stmt);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    if (rc == SQLITE_DONE) {
        return 0;
    }
    return store_lite_error(st, what, err);
}

static int64_t store_lite_changes(struct store *st)
{
    return (int64_t)sqlite3_changes64(st->lite->db);
}

static int store_lite_exec(struct store *st, const char *sql, const char *what, struct sw_err *err)
{
    if (sqlite3_exec(st->lite->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        return store_lite_error(st, what, err);
    }
    return 0;
}

static int store_lite_begin(struct store *st, enum store_txn_mode mode, struct sw_err *err)
{
    switch (mode) {
    case STORE_TXN_READ:
        return store_lite_exec(st, "BEGIN", "starting a read transaction", err);
    case STORE_TXN_WRITE:
    case STORE_TXN_LEASE:
        break;
    }
    return store_lite_exec(st, "BEGIN IMMEDIATE", "starting a transaction", err);
}

static void store_lite_rollback(struct store *st);

/* BEGIN IMMEDIATE already holds the write lock: no claim can slip in before COMMIT. */
static int store_lite_begin_fenced(struct store *st, struct store_q **lease_row, struct sw_err *err)
{
    *lease_row = NULL;
    int rc = store_lite_begin(st, STORE_TXN_WRITE, err);
    if (rc == 0) {
        rc = store_lite_prepare(st, "SELECT epoch, holder, url FROM leader WHERE id = 1", lease_row,
                                err);
    }
    if (rc != 0) {
        store_lite_rollback(st);
    }
    return rc;
}

static void store_lite_rollback(struct store *st)
{
    if (!sqlite3_get_autocommit(st->lite->db)) {
        sqlite3_exec(st->lite->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

static int store_lite_commit(struct store *st, struct sw_err *err)
{
    int rc = store_lite_exec(st, "COMMIT", "committing", err);
    if (rc != 0) {
        store_lite_rollback(st);
    }
    return rc;
}

static const char *store_lite_col_text(struct store_q *q, int col)
{
    return (const char *)sqlite3_column_text(q->stmt, col);
}

static size_t store_lite_col_bytes(struct store_q *q, int col)
{
    return (size_t)sqlite3_column_bytes(q->stmt, col);
}

static int64_t store_lite_col_int(struct store_q *q, int col)
{
    return (int64_t)sqlite3_column_int64(q->stmt, col);
}

static const void *store_lite_col_blob(struct store_q *q, int col, size_t *len)
{
    const void *v = sqlite3_column_blob(q->stmt, col);
    *len = (size_t)sqlite3_column_bytes(q->stmt, col);
    return v;
}

static const char *store_lite_col_name(struct store_q *q, int col)
{
    return sqlite3_column_name(q->stmt, col);
}

static void store_lite_close(struct store *st)
{
    struct store_lite *l = st->lite;
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n_cached; i++) {
        sqlite3_finalize(l->cache[i].q.stmt);
    }
    sqlite3_close_v2(l->db);
    free(l);
    st->lite = NULL;
}

static const struct store_db_ops store_lite_ops = {
    .name = "SQLite",
    .stmt = store_lite_stmt,
    .done = store_lite_done,
    .step = store_lite_step,
    .changes = store_lite_changes,
    .begin = store_lite_begin,
    .begin_fenced = store_lite_begin_fenced,
    .commit = store_lite_commit,
    .rollback = store_lite_rollback,
    .col_text = store_lite_col_text,
    .col_bytes = store_lite_col_bytes,
    .col_int = store_lite_col_int,
    .col_blob = store_lite_col_blob,
    .col_name = store_lite_col_name,
    .close = store_lite_close,
    .sql_now_ms = "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
    .sql_has_schema = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'waves'",
};

int store_lite_connect(struct store *st, const struct store_open_opts *opts, struct sw_err *err)
{
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    st->ops = &store_lite_ops;
    st->lite = calloc(1, sizeof *st->lite);
    if (st->lite == NULL) {
        return sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    if (sqlite3_open_v2(st->path, &st->lite->db, flags, NULL) != SQLITE_OK) {
        return st->lite->db ? store_lite_error(st, "opening", err)
                            : sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
    }
    int busy_ms =
        opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : STORE_DEFAULT_BUSY_TIMEOUT_MS;
    sqlite3_extended_result_codes(st->lite->db, 1);
    sqlite3_busy_timeout(st->lite->db, busy_ms);
    int rc = store_lite_exec(st, "PRAGMA journal_mode = WAL", "PRAGMA journal_mode = WAL", err);
    if (rc == 0) {
        rc = store_lite_exec(st, "PRAGMA foreign_keys = ON", "PRAGMA foreign_keys = ON", err);
    }
    if (rc == 0) {
        rc = store_lite_exec(st, "PRAGMA synchronous = NORMAL", "PRAGMA synchronous = NORMAL", err);
    }
    if (rc == 0 && opts != NULL && opts->is_small_cache) {
        rc = store_lite_exec(st, "PRAGMA cache_size = -512", "PRAGMA cache_size = -512", err);
    }
    return rc;
}
