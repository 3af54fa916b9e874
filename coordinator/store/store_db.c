/*
 * SQLite plumbing for the store modules: statements with bound parameters, steps,
 * column copies and transactions, with every failure mapped to one error shape.
 */
#include "store_impl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int store_db_error(struct store *st, const char *what, struct sw_err *err)
{
    int rc = sqlite3_errcode(st->db);
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
    return sw_err_set(err, code, "store %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

static int store_bind_va(struct store *st, sqlite3_stmt *stmt, const char *types, va_list ap,
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
            return store_db_error(st, "binding a parameter", err);
        }
    }
    return 0;
}

/* A prepared statement for sql: a free cached one (statements are cached by the
 * address of their SQL text, which is always a literal), else a new one that is
 * cached when there is room. */
static int store_prepare(struct store *st, const char *sql, sqlite3_stmt **out, struct sw_err *err)
{
    struct store_cached_stmt *slot = NULL;
    for (size_t i = 0; i < st->n_cached; i++) {
        if (st->cache[i].sql == sql && !st->cache[i].in_use) {
            st->cache[i].in_use = true;
            *out = st->cache[i].stmt;
            return 0;
        }
    }
    if (st->n_cached < STORE_STMT_CACHE) {
        slot = &st->cache[st->n_cached];
    }
    *out = NULL;
    if (sqlite3_prepare_v3(st->db, sql, -1, slot ? SQLITE_PREPARE_PERSISTENT : 0, out, NULL) !=
        SQLITE_OK) {
        int rc = store_db_error(st, "preparing a statement", err);
        sqlite3_finalize(*out);
        *out = NULL;
        return rc;
    }
    if (slot != NULL) {
        *slot = (struct store_cached_stmt){.sql = sql, .stmt = *out, .in_use = true};
        st->n_cached++;
    }
    return 0;
}

void store_stmt_done(struct store *st, sqlite3_stmt *stmt)
{
    if (stmt == NULL) {
        return;
    }
    for (size_t i = 0; i < st->n_cached; i++) {
        if (st->cache[i].stmt == stmt) {
            sqlite3_reset(stmt);
            sqlite3_clear_bindings(stmt);
            st->cache[i].in_use = false;
            return;
        }
    }
    sqlite3_finalize(stmt);
}

void store_stmt_cache_clear(struct store *st)
{
    for (size_t i = 0; i < st->n_cached; i++) {
        sqlite3_finalize(st->cache[i].stmt);
    }
    st->n_cached = 0;
}

int store_stmt(struct store *st, sqlite3_stmt **out, struct sw_err *err, const char *sql,
               const char *types, ...)
{
    int rc = store_prepare(st, sql, out, err);
    if (rc != 0) {
        return rc;
    }
    va_list ap;
    va_start(ap, types);
    rc = store_bind_va(st, *out, types, ap, err);
    va_end(ap);
    if (rc != 0) {
        store_stmt_done(st, *out);
        *out = NULL;
    }
    return rc;
}

int store_step(struct store *st, sqlite3_stmt *stmt, const char *what, struct sw_err *err)
{
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    if (rc == SQLITE_DONE) {
        return 0;
    }
    return store_db_error(st, what, err);
}

int store_run(struct store *st, struct sw_err *err, const char *sql, const char *types, ...)
{
    sqlite3_stmt *stmt = NULL;
    int rc = store_prepare(st, sql, &stmt, err);
    if (rc != 0) {
        return rc;
    }
    va_list ap;
    va_start(ap, types);
    rc = store_bind_va(st, stmt, types, ap, err);
    va_end(ap);
    if (rc == 0) {
        rc = store_step(st, stmt, "writing", err);
        rc = rc > 0 ? 0 : rc;
    }
    store_stmt_done(st, stmt);
    return rc;
}

int64_t store_changes(struct store *st)
{
    return (int64_t)sqlite3_changes64(st->db);
}

int store_begin(struct store *st, struct sw_err *err)
{
    if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        return store_db_error(st, "starting a transaction", err);
    }
    return 0;
}

int store_begin_read(struct store *st, struct sw_err *err)
{
    if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        return store_db_error(st, "starting a read transaction", err);
    }
    return 0;
}

int store_commit(struct store *st, struct sw_err *err)
{
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        int rc = store_db_error(st, "committing", err);
        store_rollback(st);
        return rc;
    }
    return 0;
}

void store_rollback(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db)) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

int store_col_copy(struct store *st, sqlite3_stmt *stmt, int col, char *buf, size_t cap,
                   struct sw_err *err)
{
    const unsigned char *v = sqlite3_column_text(stmt, col);
    size_t len = v ? (size_t)sqlite3_column_bytes(stmt, col) : 0;
    if (len >= cap) {
        return sw_err_set(err, SW_EINTERNAL, "store %s: column %s: %zu bytes, at most %zu expected",
                          st->path, sqlite3_column_name(stmt, col), len, cap - 1);
    }
    if (len > 0) {
        memcpy(buf, v, len);
    }
    buf[len] = '\0';
    return 0;
}

int store_col_dup(struct store *st, sqlite3_stmt *stmt, int col, char **out, struct sw_err *err)
{
    *out = NULL;
    if (sqlite3_column_type(stmt, col) == SQLITE_NULL) {
        return 0;
    }
    const unsigned char *v = sqlite3_column_text(stmt, col);
    *out = v ? strdup((const char *)v) : NULL;
    return *out ? 0 : sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
}

int64_t store_col_int(sqlite3_stmt *stmt, int col)
{
    return (int64_t)sqlite3_column_int64(stmt, col);
}
