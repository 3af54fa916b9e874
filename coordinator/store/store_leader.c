/*
 * Leadership of coordinators sharing one store: the lease row (holder, url, epoch,
 * expiry on the store's clock), claimed and renewed by the HA loop; the fence every
 * write transaction checks lives in store_db.c.
 */
#include "store/store.h"

#include <string.h>

#include "store_impl.h"

/* Reads the lease row into *out (now_ms left as it is). */
static int store_leader_read(struct store *st, struct store_leader *out, struct sw_err *err)
{
    struct store_q *q = NULL;
    int rc = store_stmt(st, &q, err,
                        "SELECT holder, url, epoch, expires_ms FROM leader WHERE id = 1", "");
    if (rc == 0) {
        rc = store_step(st, q, "reading the leader lease", err);
    }
    if (rc == 0) {
        rc = sw_err_set(err, SW_EINTERNAL, "store %s: the leader lease row is missing", st->path);
    } else if (rc == 1) {
        out->epoch = store_col_int(st, q, 2);
        out->expires_ms = store_col_int(st, q, 3);
        rc = store_col_copy(st, q, 0, out->holder, sizeof out->holder, err);
        if (rc == 0) {
            rc = store_col_copy(st, q, 1, out->url, sizeof out->url, err);
        }
    }
    store_stmt_done(st, q);
    return rc;
}

int store_leader_get(struct store *st, struct store_leader *out, struct sw_err *err)
{
    *out = (struct store_leader){0};
    int rc = store_now_ms(st, &out->now_ms, err);
    if (rc == 0) {
        rc = store_leader_read(st, out, err);
    }
    if (rc == 0 && out->epoch == 0) {
        rc = sw_err_set(err, SW_ENOTFOUND, "no coordinator has led store %s yet", st->path);
    }
    return rc;
}

static int store_leader_check_args(const char *holder, const char *url, int64_t ttl_ms,
                                   struct sw_err *err)
{
    if (holder == NULL || holder[0] == '\0' || strlen(holder) > STORE_ACTOR_MAX) {
        return sw_err_set(err, SW_EINVAL, "leader id must be 1..%d bytes", STORE_ACTOR_MAX);
    }
    if (url == NULL || strlen(url) > STORE_URL_MAX) {
        return sw_err_set(err, SW_EINVAL, "leader url must be at most %d bytes", STORE_URL_MAX);
    }
    if (ttl_ms <= 0) {
        return sw_err_set(err, SW_EINVAL, "leader lease ttl must be > 0 ms, got %lld",
                          (long long)ttl_ms);
    }
    return 0;
}

/* The claim itself: one UPDATE that succeeds only when the lease is free, expired
 * or ours (PostgreSQL re-checks the WHERE after waiting for a concurrent claim's row
 * lock, so two claimants never both win). The SET reads the old holder: a renewal
 * keeps the epoch, anyone else's claim increments it. */
static int store_leader_claim_txn(struct store *st, const char *holder, const char *url,
                                  int64_t ttl_ms, struct store_leader *out, bool *won,
                                  struct sw_err *err)
{
    int rc = store_now_ms(st, &out->now_ms, err);
    if (rc == 0) {
        rc = store_run(st, err,
                       "UPDATE leader SET epoch = CASE WHEN holder = ?1 THEN epoch ELSE epoch + 1 "
                       "END, holder = ?1, url = ?2, expires_ms = ?3 WHERE id = 1 AND "
                       "(holder = ?1 OR holder = '' OR expires_ms <= ?4)",
                       "ssii", holder, url, out->now_ms + ttl_ms, out->now_ms);
    }
    if (rc == 0) {
        *won = store_changes(st) == 1;
        rc = store_leader_read(st, out, err);
    }
    return rc;
}

int store_leader_claim(struct store *st, const char *holder, const char *url, int64_t ttl_ms,
                       struct store_leader *out, struct sw_err *err)
{
    bool won = false;
    *out = (struct store_leader){0};
    int rc = store_leader_check_args(holder, url, ttl_ms, err);
    if (rc == 0) {
        rc = store_begin_lease(st, err);
    }
    if (rc == 0) {
        rc = store_leader_claim_txn(st, holder, url, ttl_ms, out, &won, err);
    }
    if (rc == 0) {
        rc = store_commit(st, err);
    }
    if (rc != 0) {
        store_rollback(st);
        return rc;
    }
    if (!won) {
        return sw_err_set(err, SW_ECONFLICT,
                          "the leader lease is held by %s (%s) for %lld ms more, epoch %lld",
                          out->holder, out->url, (long long)(out->expires_ms - out->now_ms),
                          (long long)out->epoch);
    }
    return 0;
}

int store_leader_release(struct store *st, const char *holder, int64_t epoch, struct sw_err *err)
{
    int64_t now_ms = 0;
    int rc = store_begin_lease(st, err);
    if (rc == 0) {
        rc = store_now_ms(st, &now_ms, err);
    }
    if (rc == 0) {
        rc = store_run(st, err,
                       "UPDATE leader SET holder = '', expires_ms = ? WHERE id = 1 AND holder = ? "
                       "AND epoch = ?",
                       "isi", now_ms, holder, epoch);
    }
    if (rc == 0) {
        rc = store_commit(st, err);
    }
    if (rc != 0) {
        store_rollback(st);
    }
    return rc;
}
