/*
 * The backend-neutral side of the store's SQL plumbing: every helper of store_impl.h
 * dispatches to the handle's backend (store_db_sqlite.c, store_db_pg.c); transactions
 * add the leader fence; column copies report one error shape.
 */
#include "store_impl.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

int store_stmt(struct store *st, struct store_q **out, struct sw_err *err, const char *sql,
               const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    int rc = st->ops->stmt(st, out, sql, types, ap, err);
    va_end(ap);
    return rc;
}

void store_stmt_done(struct store *st, struct store_q *q)
{
    if (q != NULL) {
        st->ops->done(st, q);
    }
}

int store_step(struct store *st, struct store_q *q, const char *what, struct sw_err *err)
{
    return st->ops->step(st, q, what, err);
}

/* Prepares, binds and steps once; no rows expected. */
static int store_run_va(struct store *st, const char *sql, const char *types, va_list ap,
                        struct sw_err *err)
{
    struct store_q *q = NULL;
    int rc = st->ops->stmt(st, &q, sql, types, ap, err);
    if (rc == 0) {
        rc = st->ops->step(st, q, "writing", err);
        rc = rc > 0 ? 0 : rc;
    }
    store_stmt_done(st, q);
    return rc;
}

int store_run(struct store *st, struct sw_err *err, const char *sql, const char *types, ...)
{
    bool own_txn = st->fence != NULL && !st->in_txn;
    int rc = own_txn ? store_begin(st, err) : 0;
    if (rc == 0) {
        va_list ap;
        va_start(ap, types);
        rc = store_run_va(st, sql, types, ap, err);
        va_end(ap);
    }
    if (own_txn && rc == 0) {
        rc = store_commit(st, err); /* keeps store_changes of the statement */
    } else if (own_txn) {
        store_rollback(st);
    }
    return rc;
}

int64_t store_changes(struct store *st)
{
    return st->ops->changes(st);
}

/* The fence: inside the write transaction, the lease row must still carry the epoch
 * this process leads with (store.h, store_set_fence). q: the lease row query. */
static int store_fence_check(struct store *st, struct store_q *q, struct sw_err *err)
{
    int64_t mine = atomic_load(st->fence);
    int rc = store_step(st, q, "checking the leader lease", err);
    if (rc == 0) {
        return sw_err_set(err, SW_EFENCED, "store: not the leader: no leader lease");
    }
    if (rc < 0) {
        return rc;
    }
    int64_t epoch = store_col_int(st, q, 0);
    if (epoch == mine && mine > 0) {
        return 0;
    }
    const char *holder = store_col_text(st, q, 1);
    const char *url = store_col_text(st, q, 2);
    rc = sw_err_set(err, SW_EFENCED,
                    "store: not the leader: epoch %lld was superseded by %lld (leader %s at %s)",
                    (long long)mine, (long long)epoch, holder && holder[0] ? holder : "none",
                    url && url[0] ? url : "-");
    sw_err_hint(err, "retry at the leader");
    return rc;
}

static int store_begin_write(struct store *st, bool fenced, struct sw_err *err)
{
    if (st->in_batch) { /* joins the batch's transaction (fenced at store_batch_begin) */
        return st->is_batch_failed
                   ? sw_err_set(err, SW_ECONFLICT, "store: a call of this batch already failed")
                   : 0;
    }
    struct store_q *lease_row = NULL;
    bool check = fenced && st->fence != NULL;
    int rc = check ? st->ops->begin_fenced(st, &lease_row, err)
                   : st->ops->begin(st, fenced ? STORE_TXN_WRITE : STORE_TXN_LEASE, err);
    if (rc != 0) {
        return rc; /* the backend rolled back */
    }
    st->in_txn = true;
    if (check) {
        rc = store_fence_check(st, lease_row, err);
        store_stmt_done(st, lease_row);
    }
    if (rc != 0) {
        store_rollback(st);
    }
    return rc;
}

int store_begin(struct store *st, struct sw_err *err)
{
    return store_begin_write(st, true, err);
}

int store_begin_lease(struct store *st, struct sw_err *err)
{
    return store_begin_write(st, false, err);
}

int store_begin_read(struct store *st, struct sw_err *err)
{
    if (st->in_batch) { /* reads the batch's own writes; ended by store_rollback */
        st->is_batch_read = true;
        return 0;
    }
    int rc = st->ops->begin(st, STORE_TXN_READ, err);
    st->in_txn = rc == 0;
    return rc;
}

int store_commit(struct store *st, struct sw_err *err)
{
    if (st->in_batch) {
        return 0; /* store_batch_end commits */
    }
    int rc = st->ops->commit(st, err);
    st->in_txn = false;
    return rc;
}

void store_rollback(struct store *st)
{
    if (st->in_batch && st->is_batch_read) {
        st->is_batch_read = false; /* the end of a joined read */
        return;
    }
    if (st->in_batch) {
        st->is_batch_failed = true; /* undone at store_batch_end */
        return;
    }
    st->ops->rollback(st);
    st->in_txn = false;
}

int store_batch_begin(struct store *st, struct sw_err *err)
{
    if (st->in_batch || st->in_txn) {
        return sw_err_set(err, SW_EINTERNAL, "store_batch_begin: a transaction is open");
    }
    int rc = store_begin(st, err);
    st->in_batch = rc == 0;
    st->is_batch_read = false;
    st->is_batch_failed = false;
    return rc;
}

int store_batch_end(struct store *st, bool commit, struct sw_err *err)
{
    if (!st->in_batch) {
        return 0;
    }
    bool is_failed = st->is_batch_failed;
    st->in_batch = false;
    st->is_batch_read = false;
    st->is_batch_failed = false;
    if (commit && !is_failed) {
        int rc = store_commit(st, err);
        if (rc != 0) {
            st->ops->rollback(st); /* a COMMIT that failed may leave it open (SQLite) */
        }
        return rc;
    }
    store_rollback(st);
    return commit ? sw_err_set(err, SW_ECONFLICT,
                               "store: a call of the batch failed: the batch was rolled back")
                  : 0;
}

int store_col_copy(struct store *st, struct store_q *q, int col, char *buf, size_t cap,
                   struct sw_err *err)
{
    const char *v = st->ops->col_text(q, col);
    size_t len = v ? st->ops->col_bytes(q, col) : 0;
    if (len >= cap) {
        return sw_err_set(err, SW_EINTERNAL, "store %s: column %s: %zu bytes, at most %zu expected",
                          st->path, st->ops->col_name(q, col), len, cap - 1);
    }
    if (len > 0) {
        memcpy(buf, v, len);
    }
    buf[len] = '\0';
    return 0;
}

int store_col_dup(struct store *st, struct store_q *q, int col, char **out, struct sw_err *err)
{
    const char *v = st->ops->col_text(q, col);
    *out = NULL;
    if (v == NULL) {
        return 0;
    }
    *out = strdup(v);
    return *out ? 0 : sw_err_set(err, SW_ENOMEM, "store %s: out of memory", st->path);
}

int64_t store_col_int(struct store *st, struct store_q *q, int col)
{
    return st->ops->col_int(q, col);
}

const char *store_col_text(struct store *st, struct store_q *q, int col)
{
    return st->ops->col_text(q, col);
}

const void *store_col_blob(struct store *st, struct store_q *q, int col, size_t *len)
{
    return st->ops->col_blob(q, col, len);
}

int store_now_ms(struct store *st, int64_t *now_ms, struct sw_err *err)
{
    struct store_q *q = NULL;
    *now_ms = 0;
    int rc = store_stmt(st, &q, err, st->ops->sql_now_ms, "");
    if (rc == 0 && (rc = store_step(st, q, "reading the store clock", err)) == 1) {
        *now_ms = store_col_int(st, q, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = sw_err_set(err, SW_EINTERNAL, "store %s: the clock query returned no row", st->path);
    }
    store_stmt_done(st, q);
    return rc;
}
